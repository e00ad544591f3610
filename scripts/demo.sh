#!/usr/bin/env bash
# mirrorkey demo: three SQL Server-style instances, HOST_A, HOST_B and
# WITNESS, each a real mirrorkeyd with its own SoftHSM2 token, set up through
# FreeTDS tsql with the Microsoft documents' T-SQL (master key, certificate
# made on the token, endpoint, BACKUP CERTIFICATE of the public .cer; for
# each peer a login, a user, the peer's certificate FROM FILE and GRANT
# CONNECT). Then a mirroring session: SET PARTNER on the mirror, then on the
# principal, SET WITNESS; every endpoint connection is TLS 1.3 with AES-GCM
# and both keys used on their tokens. An intruder with its own valid
# certificate is refused (28035); REVOKE CONNECT drops HOST_B (28034) and
# GRANT brings it back. It checks every step and fails if one is missing.
#
# Installs what it needs and builds first. Everything runs in a temporary
# directory on 127.0.0.1 and is removed at the end (MK_DEMO_KEEP=1 keeps it).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

scripts/install-deps.sh
cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$root/build" -j"$(nproc 2>/dev/null || echo 2)" --target mirrorkeyd mirrorkey >/dev/null

MIRRORKEYD=$root/build/bin/mirrorkeyd
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
protectors live on (SoftHSM2) tokens, set up with the Microsoft documents'
T-SQL through FreeTDS.
TXT

step "Start HOST_A, HOST_B, WITNESS and INTRUDER (mirrorkeyd init + run, each with its own token)"
for h in HOST_A HOST_B WITNESS INTRUDER; do
    start_host "$h"
    echo "$h: mirrorkeyd serving TDS (TLS key on its token)"
done

step "Outbound, on each: master key, certificate (key pair made on the token), endpoint, backup"
seed_outbound HOST_A ALL
seed_outbound HOST_B ALL
seed_outbound WITNESS WITNESS
seed_outbound INTRUDER ALL
show HOST_A <<'SQL'
SELECT name, pvt_key_encryption_type_desc, key_length FROM sys.certificates;
SELECT name, role_desc, state_desc, connection_auth_desc, encryption_algorithm_desc
   FROM sys.database_mirroring_endpoints;
SQL

step "Inbound, on each for each peer: login, user, the peer's .cer FROM FILE, GRANT CONNECT"
for pair in "HOST_A HOST_B" "HOST_A WITNESS" "HOST_B HOST_A" "HOST_B WITNESS" \
    "WITNESS HOST_A" "WITNESS HOST_B" "INTRUDER HOST_A"; do
    seed_inbound $pair
    echo "on ${pair% *}: ${pair#* }_login, ${pair#* }_user, ${pair#* }_cert, CONNECT granted"
done
echo "(INTRUDER trusts HOST_A's public certificate; nobody imported INTRUDER's)"

step "The key behind HOST_B_cert on HOST_B's token (policy report)"
SOFTHSM2_CONF=$(cat "$work/HOST_B/softhsm2.conf.path") "$root/build/bin/mirrorkey" token report \
    --uri "pkcs11:token=HOST_B;object=HOST_B_cert;type=private?module-path=$MK_MODULE&pin-source=file:$work/HOST_B/hsm/HOST_B.pin"

step "A mirroring session: SET PARTNER on the mirror (HOST_B) first, then on the principal (HOST_A)"
ok HOST_A "CREATE DATABASE mk_demo"
ok HOST_B "CREATE DATABASE mk_demo"
ok HOST_B "ALTER DATABASE mk_demo SET PARTNER = '$(addr HOST_A)'"
ok HOST_A "ALTER DATABASE mk_demo SET PARTNER = '$(addr HOST_B)'"
ok HOST_A "ALTER DATABASE mk_demo SET WITNESS = '$(addr WITNESS)'"
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
