#!/usr/bin/env bash
# bench/setup/apply_bench.sh [ROUNDS]: wall time of `mirrorkey apply` from
# three empty instances (fresh SoftHSM2 tokens, mirrorkeyd init + run) to a
# SYNCHRONIZED session with its witness CONNECTED, and where the time goes:
# each statement's server time as the tool measured it (from --json), summed
# per step over the three instances. Prints the median and spread of ROUNDS
# (default 5). Not a test: it checks nothing about speed.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
rounds=${1:-5}
MIRRORKEYD=$root/build/bin/mirrorkeyd
MK=$root/build/bin/mirrorkey
SRC=$root
[ -x "$MK" ] && [ -x "$MIRRORKEYD" ] || { echo "build first: cmake --build build" >&2; exit 2; }
# shellcheck source=scripts/instances.sh
source "$root/scripts/instances.sh"
results=$(mktemp)
for r in $(seq 1 "$rounds"); do
    (
        scenario_init mk-bench-apply
        for h in HOST_A HOST_B WITNESS; do start_host "$h" >/dev/null; done
        topo=$work/topo.ini
        {
            topology_instance HOST_A; topology_instance HOST_B; topology_instance WITNESS
            printf '[session db1]\nprincipal = HOST_A\nmirror = HOST_B\nwitness = WITNESS\n'
        } >"$topo"
        t0=$(date +%s%N)
        "$MK" apply "$topo" --json >"$work/apply.json"
        t1=$(date +%s%N)
        python3 - "$work/apply.json" $(((t1 - t0) / 1000000)) >>"$results" <<'PY'
import json, re, sys, collections
doc = json.load(open(sys.argv[1])); total = int(sys.argv[2])
per = collections.Counter()
for a in doc["actions"]:
    m = re.search(r"\((\d+) ms\)$", a["detail"])
    if m:
        per[a["step"]] += int(m.group(1))
assert doc["result"] == "ok", doc["result"]
print(json.dumps({"total_ms": total, "steps": per}))
PY
    )
done
python3 - "$results" "$rounds" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
tot = sorted(r["total_ms"] for r in rows)
print("mirrorkey apply, three empty instances -> SYNCHRONIZED with witness (%s rounds)" % sys.argv[2])
print("  wall time: median %d ms, min %d, max %d" % (statistics.median(tot), tot[0], tot[-1]))
steps = sorted({k for r in rows for k in r["steps"]})
print("  server time per step, summed over the three instances (median ms):")
for s in steps:
    print("    %-18s %6d" % (s, statistics.median(r["steps"].get(s, 0) for r in rows)))
PY
rm -f "$results"
