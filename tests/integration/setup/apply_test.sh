#!/usr/bin/env bash
# mirrorkey apply on three fresh instances (real daemons, tokens, FreeTDS):
# a dry run changes nothing; apply reaches PRINCIPAL / MIRROR SYNCHRONIZED
# with the witness CONNECTED; a second apply reports every step skipped and
# leaves the catalogs and tokens byte for byte as they were; status exits 0,
# then 1 with the witness down and 2 with the mirror down; the transcript's
# chain verifies and a flipped byte fails; no secret in any output.
# Usage: apply_test.sh MIRRORKEYD MIRRORKEY SRC
set -euo pipefail
source "$(dirname "$0")/setup_lib.sh"
scenario_init mk-setup-apply

for h in HOST_A HOST_B WITNESS; do start_host "$h"; done
topo=$work/topo.ini
three_topology "$topo"

# A dry run contacts the instances but changes nothing.
before=$(snapshot HOST_A HOST_B WITNESS)
"$MIRRORKEY" apply "$topo" --dry-run >"$work/dry.sql" 2>"$work/dry.err" || { cat "$work/dry.err" >&2; fail "dry run"; }
grep -q 'CREATE MASTER KEY ENCRYPTION BY PASSWORD = .\$(HOST_A_MASTER_KEY_PASSWORD).' "$work/dry.sql" ||
    fail "dry run: no master key statement"
after=$(snapshot HOST_A HOST_B WITNESS)
[ "$after" = "$before" ] || { diff <(echo "$before") <(echo "$after") >&2; fail "the dry run changed something"; }

# The real apply, with JSON and a transcript.
"$MIRRORKEY" apply "$topo" --json --transcript "$work/t1.jsonl" --cer-out "$work" \
    >"$work/apply1.json" 2>"$work/apply1.err" || { cat "$work/apply1.json" "$work/apply1.err" >&2; fail "apply"; }
json_statuses "$work/apply1.json" >"$work/s1"
grep -q '^done ' "$work/s1" || fail "first apply did nothing"
! grep -qE '^(error|warning) ' "$work/s1" || { cat "$work/apply1.json" >&2; fail "first apply: errors"; }
mirroring_ok
for h in HOST_A HOST_B WITNESS; do
    [ -s "$work/${h}_cert.cer" ] || fail "no ${h}_cert.cer"
    "$OPENSSL" x509 -inform DER -in "$work/${h}_cert.cer" -noout -subject | grep -q "$h" || fail "$h .cer"
done
expect HOST_A "SELECT name FROM sys.certificates WHERE name = 'WITNESS_cert'" 'WITNESS_cert'
expect WITNESS "SELECT permission_name, state_desc FROM sys.server_permissions WHERE permission_name = 'CONNECT'" 'CONNECT[[:space:]]+GRANT'

# The second apply: every step skipped, and nothing changed (compared, not taken on trust).
snap1=$(snapshot HOST_A HOST_B WITNESS)
"$MIRRORKEY" apply "$topo" --json --cer-out "$work" >"$work/apply2.json" 2>"$work/apply2.err" ||
    { cat "$work/apply2.json" "$work/apply2.err" >&2; fail "second apply"; }
json_statuses "$work/apply2.json" >"$work/s2"
[ "$(cut -d' ' -f1 "$work/s2")" = "skipped" ] || { cat "$work/apply2.json" >&2; fail "second apply was not all skipped"; }
[ "$(snapshot HOST_A HOST_B WITNESS)" = "$snap1" ] || fail "the second apply changed a catalog or token"

# status: all well.
"$MIRRORKEY" status "$topo" >"$work/status0" 2>&1 || { cat "$work/status0" >&2; fail "status not 0"; }
grep -q 'db1: PRINCIPAL SYNCHRONIZED' "$work/status0" || fail "status: no principal line"

# The transcript: the chain verifies; a flipped byte does not.
"$MIRRORKEY" transcript verify "$work/t1.jsonl" >"$work/verify.out" 2>&1 || { cat "$work/verify.out" >&2; fail "transcript verify"; }
grep -q '"type":"certificate"' "$work/t1.jsonl" || fail "transcript: no certificate record"
grep -q '"spki_sha256"' "$work/t1.jsonl" || fail "transcript: no SPKI hash"
grep -q '"is_never_extractable":"1"' "$work/t1.jsonl" || fail "transcript: no key policy report"
cp "$work/t1.jsonl" "$work/t1.bad"
"$PYTHON" - "$work/t1.bad" <<'PY'
import sys
p = sys.argv[1]; b = bytearray(open(p, 'rb').read()); i = len(b) // 2
b[i] = ord('X') if b[i] != ord('X') else ord('Y'); open(p, 'wb').write(b)
PY
if "$MIRRORKEY" transcript verify "$work/t1.bad" >/dev/null 2>&1; then fail "a flipped byte verified"; fi

# No secret anywhere the tool wrote.
for h in HOST_A HOST_B WITNESS; do
    for s in "$ADMIN_PW" "$(cat "$work/$h/mk.pw")"; do
        if grep -rqF -- "$s" "$work/dry.sql" "$work/dry.err" "$work/apply1.json" "$work/apply1.err" \
            "$work/apply2.json" "$work/t1.jsonl" "$work/status0"; then
            fail "a secret of $h was written out"
        fi
    done
done
! grep -qE "PASSWORD = '[^$]" "$work/t1.jsonl" "$work/apply1.json" || fail "a password literal in the output"

# status: a witness down is a warning (1), a mirror down is broken (2).
single=(--server "127.0.0.1:$(tds_port HOST_A)" --login admin --password-file "$work/HOST_A/admin.pw"
    --ca-file "$(tds_cert HOST_A)")
stop_host WITNESS
for i in $(seq 1 100); do
    rc=0; "$MIRRORKEY" status "${single[@]}" >"$work/status1" 2>&1 || rc=$?
    [ $rc -eq 1 ] && break
    sleep 0.3
done
[ $rc -eq 1 ] || { cat "$work/status1" >&2; fail "status with the witness down: $rc, want 1"; }
stop_host HOST_B
for i in $(seq 1 100); do
    rc=0; "$MIRRORKEY" status "${single[@]}" >"$work/status2" 2>&1 || rc=$?
    [ $rc -eq 2 ] && break
    sleep 0.3
done
[ $rc -eq 2 ] || { cat "$work/status2" >&2; fail "status with the mirror down: $rc, want 2"; }
grep -q 'DISCONNECTED' "$work/status2" || fail "status does not say DISCONNECTED"
echo "apply_test: ok"
