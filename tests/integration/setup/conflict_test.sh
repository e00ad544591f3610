#!/usr/bin/env bash
# mirrorkey apply when things go wrong: an unreachable instance fails alone
# (the others are set up; a re-run once it is back finishes the job); an
# endpoint on another port and a peer certificate with another thumbprint
# each stop that instance with both values named and change nothing, until
# --allow-changes; a certificate that expires soon makes status exit 1.
# Usage: conflict_test.sh MIRRORKEYD MIRRORKEY SRC
set -euo pipefail
source "$(dirname "$0")/setup_lib.sh"
scenario_init mk-setup-conflict

start_host HOST_A
start_host WITNESS
init_host HOST_B
TDS_PORT[HOST_B]=$(free_port)
topo=$work/topo.ini
three_topology "$topo"

# HOST_B is down: it fails alone; HOST_A and WITNESS get everything that does not need it.
rc=0
"$MIRRORKEY" apply "$topo" --wait 5 >"$work/a1.out" 2>"$work/a1.err" || rc=$?
[ $rc -eq 1 ] || { cat "$work/a1.out" "$work/a1.err" >&2; fail "apply with HOST_B down: exit $rc, want 1"; }
grep -q '^\[HOST_B\] connect .*error' "$work/a1.err" || { cat "$work/a1.err" >&2; fail "no connect error for HOST_B"; }
grep -q 'left undone' "$work/a1.err" || fail "what is left undone is not said"
expect HOST_A "SELECT name FROM sys.certificates WHERE name = 'WITNESS_cert'" 'WITNESS_cert'
expect WITNESS "SELECT name FROM sys.certificates WHERE name = 'HOST_A_cert'" 'HOST_A_cert'
never HOST_A "SELECT name FROM sys.server_principals WHERE name = 'HOST_B_login'" 'HOST_B_login'

# HOST_B back on the same port: a re-run finishes the job.
run_host HOST_B "${TDS_PORT[HOST_B]}"
"$MIRRORKEY" apply "$topo" >"$work/a2.out" 2>"$work/a2.err" || { cat "$work/a2.out" "$work/a2.err" >&2; fail "re-run"; }
mirroring_ok

# An endpoint on another port: HOST_A stops with both ports named, nothing changes.
moved=$work/moved.ini
sed "/^\[instance HOST_A\]/,/^$/ s/^endpoint-port = .*/endpoint-port = 1/" "$topo" >"$moved"
snap=$(snapshot HOST_A)
rc=0
"$MIRRORKEY" apply "$moved" --wait 5 >"$work/a3.out" 2>"$work/a3.err" || rc=$?
[ $rc -eq 1 ] || fail "endpoint port conflict: exit $rc, want 1"
grep -q "port ${EP_PORT[HOST_A]} (topology: 1)" "$work/a3.err" || { cat "$work/a3.err" >&2; fail "port conflict not named"; }
[ "$(snapshot HOST_A)" = "$snap" ] || fail "the port conflict changed HOST_A"

# A peer certificate whose thumbprint differs: stop, then --allow-changes replaces it.
soft_peer IMPOSTOR
cp "$work/IMPOSTOR/data/files/IMPOSTOR_cert.cer" "$work/HOST_A/data/files/"
ok HOST_A "ALTER DATABASE db1 SET PARTNER OFF"
ok HOST_A "DROP CERTIFICATE HOST_B_cert"
ok HOST_A "CREATE CERTIFICATE HOST_B_cert AUTHORIZATION HOST_B_user FROM FILE = 'IMPOSTOR_cert.cer'"
want=$("$OPENSSL" x509 -inform DER -in "$work/IMPOSTOR/data/files/IMPOSTOR_cert.cer" -noout -fingerprint -sha1 | sed 's/.*=//; s/://g' | tr 'A-F' 'a-f')
snap=$(snapshot HOST_A)
rc=0
"$MIRRORKEY" apply "$topo" --wait 5 >"$work/a4.out" 2>"$work/a4.err" || rc=$?
[ $rc -eq 1 ] || fail "thumbprint conflict: exit $rc, want 1"
grep -q "HOST_B_cert has thumbprint $want; the peer's certificate has [0-9a-f]\{40\}" "$work/a4.err" ||
    { cat "$work/a4.err" >&2; fail "thumbprint conflict not named"; }
[ "$(snapshot HOST_A)" = "$snap" ] || fail "the thumbprint conflict changed HOST_A"
"$MIRRORKEY" apply "$topo" --allow-changes >"$work/a5.out" 2>"$work/a5.err" ||
    { cat "$work/a5.out" "$work/a5.err" >&2; fail "apply --allow-changes"; }
grep -Eq '^\[HOST_A\] peer certificate +done +dropped' "$work/a5.out" || fail "the impostor certificate was not replaced"
mirroring_ok

# A certificate that expires in 10 days: apply warns nothing, status exits 1.
start_host SOON
soon=$work/soon.ini
topology_instance SOON "certificate-expiry = $(date -u -d '+10 days' +%Y-%m-%d)" >"$soon"
"$MIRRORKEY" apply "$soon" >"$work/s1.out" 2>&1 || { cat "$work/s1.out" >&2; fail "apply SOON"; }
rc=0
"$MIRRORKEY" status "$soon" >"$work/s2.out" 2>&1 || rc=$?
[ $rc -eq 1 ] || { cat "$work/s2.out" >&2; fail "status with a certificate expiring in 10 days: $rc, want 1"; }
grep -q 'SOON_cert.*expires in [0-9] days' "$work/s2.out" || { cat "$work/s2.out" >&2; fail "expiry not reported"; }
rc=0
"$MIRRORKEY" status "$soon" --warn-days 5 >/dev/null 2>&1 || rc=$?
[ $rc -eq 0 ] || fail "status --warn-days 5: $rc, want 0"
echo "conflict_test: ok"
