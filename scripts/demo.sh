#!/usr/bin/env bash
# mirrorkey demo: three SQL Server-style instances, HOST_A, HOST_B and
# WITNESS, each a real mirrorkeyd with its own SoftHSM2 token, configured by
# ONE `mirrorkey apply` of a topology file (printed): on each instance a
# master key, a certificate whose key pair is made on its token, the
# mirroring endpoint; the public certificates exchanged in memory; for each
# peer a login, a user, the peer's certificate and CONNECT; then a mirroring
# session (SET PARTNER on the mirror, then the principal, SET WITNESS).
# `mirrorkey status` is all green, a second apply changes nothing (every
# step skipped), the ceremony transcript is signed with an operator's token
# key and verified, an intruder with its own valid certificate is refused
# (28035), REVOKE CONNECT drops HOST_B (28034) and GRANT brings it back.
# It checks every step and fails if one is missing.
#
# Installs what it needs and builds first. Everything runs in a temporary
# directory on 127.0.0.1 and is removed at the end (MK_DEMO_KEEP=1 keeps it).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

scripts/install-deps.sh
cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$root/build" -j"$(nproc 2>/dev/null || echo 2)" --target mirrorkeyd mirrorkey mirrorkey_provider >/dev/null

MIRRORKEYD=$root/build/bin/mirrorkeyd
MK=$root/build/bin/mirrorkey
SRC=$root
TSQL=tsql
HOSTS_TO_SHOW="HOST_A HOST_B WITNESS"
MK_TEST_KEEP=${MK_DEMO_KEEP:-}
[ "$MK_TEST_KEEP" = 0 ] && MK_TEST_KEEP=
# shellcheck source=scripts/instances.sh
source "$root/scripts/instances.sh"
scenario_init mk-demo

step() { printf '\n== %s\n' "$*"; }
# show HOST: tsql's output of stdin without its prompts and banners.
show() {
    q "$1" | tr -d '\r' | sed -E 's/^([0-9]+> )+//' |
        grep -vE '^(locale|using default charset|Setting master as default database|$)' || true
}
# log HOST REGEX: print the first matching line of HOST's daemon log (it must exist).
log() {
    grep -m1 -E "$2" "$work/$1/mirrorkeyd.log" | sed 's/^[^ ]* //' | cut -c1-220 ||
        fail "$1 logged nothing matching $2"
}

cat <<'TXT'
mirrorkey demo: database-mirroring endpoints whose private keys and master key
protectors live on (SoftHSM2) tokens, set up by `mirrorkey apply` over FreeTDS.
TXT

step "Start HOST_A, HOST_B, WITNESS and INTRUDER (mirrorkeyd init + run, each with its own token)"
for h in HOST_A HOST_B WITNESS INTRUDER; do
    start_host "$h"
    echo "$h: mirrorkeyd serving TDS on 127.0.0.1:$(tds_port "$h") (TLS key on its token)"
done

step "The topology file"
topo=$work/topology.ini
{
    topology_instance HOST_A
    topology_instance HOST_B "key = ec:p256"
    topology_instance WITNESS
    printf '[session mk_demo]\nprincipal = HOST_A\nmirror = HOST_B\nwitness = WITNESS\n'
} >"$topo"
sed "s|$work/||g" "$topo"

step "An operator's signing key on its own token (for the ceremony transcript)"
eval "$(bash "$root/scripts/softhsm-token.sh" "$work/operator" operator)"
"$MK" token keygen --uri "$MK_TOKEN_URI" --label operator --type ec >/dev/null 2>&1
op_uri="pkcs11:token=operator;object=operator;type=private?module-path=$MK_MODULE&pin-source=file:$MK_PIN_FILE"
openssl req -new -x509 -provider-path "$root/build/provider" -provider default -provider mirrorkey \
    -key "$op_uri" -subj /CN=operator -days 30 -out "$work/operator.pem" 2>/dev/null
echo "operator key on token 'operator'; certificate CN=operator"

step "mirrorkey apply --dry-run: the T-SQL it would send (first lines)"
"$MK" apply "$topo" --dry-run >"$work/dry-run.sql"
head -n 12 "$work/dry-run.sql"
echo "..."

step "mirrorkey apply: outbound on all three at once, certificates exchanged, inbound, the session"
start=$(date +%s%N)
"$MK" apply "$topo" --transcript "$work/ceremony.jsonl" --sign-with "$op_uri" \
    --sign-cert "$work/operator.pem" --cer-out "$work" | sed "s|$work/||g" | cut -c1-150
ms=$((($(date +%s%N) - start) / 1000000))
printf 'apply took %d.%03d s (three empty tokens to a synchronized session with its witness)\n' $((ms / 1000)) $((ms % 1000))

step "mirrorkey status: all green"
"$MK" status "$topo" | cut -c1-150
echo "status exit code: 0"

step "mirrorkey apply again: nothing to do"
"$MK" apply "$topo" --json >"$work/again.json"
python3 - "$work/again.json" <<'PY'
import json, sys, collections
doc = json.load(open(sys.argv[1]))
c = collections.Counter(a["status"] for a in doc["actions"])
print("second apply:", dict(c))
assert set(c) == {"skipped"}, c
PY

step "The signed ceremony transcript"
"$MK" transcript verify "$work/ceremony.jsonl" --cert "$work/operator.pem"
openssl cms -verify -binary -inform DER -in "$work/ceremony.jsonl.p7s" -content "$work/ceremony.jsonl" \
    -CAfile "$work/operator.pem" -purpose any -out /dev/null 2>&1 | sed 's/^/openssl cms: /'
python3 - "$work/ceremony.jsonl" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["type"] == "certificate":
        p = r["key_policy"]
        print("%-8s %s sha256 %s...  LOCAL=%s SENSITIVE=%s NEVER_EXTRACTABLE=%s EXTRACTABLE=%s meets_policy=%s" % (
            r["instance"], r["key"], r["sha256"][:16], p["is_local"], p["is_sensitive"],
            p["is_never_extractable"], p["is_extractable"], p["meets_policy"]))
PY

step "The session, as the instances see it"
sel="SELECT mirroring_role_desc, mirroring_state_desc, mirroring_partner_instance, mirroring_witness_state_desc FROM sys.database_mirroring WHERE mirroring_guid IS NOT NULL"
eventually HOST_A "$sel" '^PRINCIPAL[[:space:]]+SYNCHRONIZED[[:space:]]+HOST_B[[:space:]]+CONNECTED'
eventually HOST_B "$sel" '^MIRROR[[:space:]]+SYNCHRONIZED[[:space:]]+HOST_A[[:space:]]+CONNECTED'
for h in HOST_A HOST_B; do
    echo "-- $h"
    show "$h" <<<"$sel"
done
echo "-- HOST_A's endpoint connections (both directions with HOST_B, one to WITNESS)"
show HOST_A <<'SQL'
SELECT is_accept, state_desc, principal_name, encryption_algorithm_desc, total_sends, total_receives
   FROM sys.dm_db_mirroring_connections WHERE state_desc = 'LOGGED_IN';
SQL
echo "-- WITNESS's"
show WITNESS <<'SQL'
SELECT is_accept, state_desc, principal_name, encryption_algorithm_desc
   FROM sys.dm_db_mirroring_connections WHERE state_desc = 'LOGGED_IN';
SQL
log HOST_A 'outbound connection .* \(HOST_B\) logged in as PARTNER'

step "INTRUDER, with a valid certificate of its own that nobody imported, tries to partner HOST_A"
intr=(--server "127.0.0.1:$(tds_port INTRUDER)" --login admin --password-file "$work/INTRUDER/admin.pw"
    --ca-file "$(tds_cert INTRUDER)")
(umask 077; echo 'Intruder-Mk-Passw0rd!' >"$work/INTRUDER/mk.pw")
"$MK" outbound "${intr[@]}" --name INTRUDER --master-key-password-file "$work/INTRUDER/mk.pw" \
    --endpoint-port "$(free_port)" --cer-out "$work/INTRUDER" >/dev/null
"$MK" inbound "${intr[@]}" --peer HOST_A --cer "$work/HOST_A_cert.cer" >/dev/null
ok INTRUDER "CREATE DATABASE mk_demo"
printf "ALTER DATABASE mk_demo SET PARTNER = '%s'\n" "$(addr HOST_A)" | show INTRUDER | grep -E 'Msg|reached' || true
log HOST_A 'error 28035'

step "REVOKE CONNECT from HOST_B_login on HOST_A: HOST_B is dropped and kept out"
ok HOST_A "REVOKE CONNECT ON ENDPOINT::Endpoint_Mirroring FROM HOST_B_login"
eventually HOST_A "$sel" '^PRINCIPAL[[:space:]]+DISCONNECTED' 5
show HOST_A <<<"$sel"
log HOST_A 'error 28034'

step "GRANT CONNECT again: the partners reconnect by themselves"
ok HOST_A "GRANT CONNECT ON ENDPOINT::Endpoint_Mirroring TO HOST_B_login"
eventually HOST_A "$sel" '^PRINCIPAL[[:space:]]+SYNCHRONIZED' 20
show HOST_A <<<"$sel"

step "Files outside the token stores"
find "$work" -path "*/hsm" -prune -o \( -name '*.cer' -o -name '*.pem' -o -name '*.key' \) -print |
    sed "s|$work/||" | sort
echo "only public certificates: every private key and master key protector stayed on a token."
