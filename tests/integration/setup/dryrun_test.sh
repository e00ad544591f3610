#!/usr/bin/env bash
# mirrorkey apply --dry-run on three fresh instances prints T-SQL that does
# the job by hand: each block piped through tsql on its instance (secrets
# filled in for the $(NAME) placeholders, the .cer files copied between file
# roots as the seeds say) reaches SYNCHRONIZED with the witness CONNECTED, and
# a real apply afterwards finds every step already done (all skipped).
# Usage: dryrun_test.sh MIRRORKEYD MIRRORKEY SRC
set -euo pipefail
source "$(dirname "$0")/setup_lib.sh"
scenario_init mk-setup-dryrun

for h in HOST_A HOST_B WITNESS; do start_host "$h"; done
topo=$work/topo.ini
three_topology "$topo"
"$MIRRORKEY" apply "$topo" --dry-run >"$work/dry.sql" || fail "dry run"

# Split into blocks ("-- ==== NAME: phase" headers) and run them in order.
peer_pw='Peer-L0gin-Passw0rd!'
"$PYTHON" - "$work/dry.sql" "$work/blocks" <<'PY'
import os, re, sys
text = open(sys.argv[1]).read(); out = sys.argv[2]; os.makedirs(out)
parts = re.split(r'^-- ==== (\S+): (\S+).*$', text, flags=re.M)
n = 0
for i in range(1, len(parts), 3):
    n += 1
    with open(os.path.join(out, '%03d_%s_%s' % (n, parts[i], parts[i + 1])), 'w') as f:
        f.write(parts[i + 2])
PY
for b in "$work"/blocks/*; do
    name=$(basename "$b" | cut -d_ -f2- | sed 's/_[^_]*$//')
    phase=${b##*_}
    if [ "$phase" = inbound ]; then
        for p in HOST_A HOST_B WITNESS; do
            [ "$p" = "$name" ] || cp "$work/$p/data/files/${p}_cert.cer" "$work/$name/data/files/" 2>/dev/null || true
        done
    fi
    sed -e "s/\$([A-Za-z0-9_]*_MASTER_KEY_PASSWORD)/$(cat "$work/$name/mk.pw")/" \
        -e "s/\$([A-Za-z0-9_]*_login_PASSWORD)/$peer_pw/" "$b" >"$b.sql"
    ! grep -q '\$(' "$b.sql" || fail "$b: a placeholder left"
    out=$(sed 's/^GO$/go/' "$b.sql" | q "$name")
    if grep -Eq 'Msg [0-9]+ \(severity (1[1-9]|2[0-9])' <<<"$out"; then
        printf '%s\n' "$out" >&2
        fail "block $(basename "$b") failed on $name"
    fi
done
mirroring_ok

# The real tool agrees that nothing is left to do.
"$MIRRORKEY" apply "$topo" --json >"$work/apply.json" || { cat "$work/apply.json" >&2; fail "apply after the manual run"; }
json_statuses "$work/apply.json" >"$work/s"
[ "$(cut -d' ' -f1 "$work/s")" = "skipped" ] || { cat "$work/apply.json" >&2; fail "apply found work left after the dry run's T-SQL"; }
echo "dryrun_test: ok"
