#!/usr/bin/env bash
# Mirroring sessions end to end (issue 6): three real mirrorkeyd daemons,
# HOST_A and HOST_B as partners and WITNESS, each with its own SoftHSM2
# token, set up through FreeTDS tsql with the seed documents' statements
# (outbound: master key, certificate, endpoint, backup; inbound for each
# peer: login, user, certificate FROM FILE, GRANT CONNECT), the names and
# ports changed per instance. Then:
#   - CREATE DATABASE and ALTER DATABASE ... SET PARTNER, on the mirror
#     first, then on the principal; SET WITNESS on the principal;
#   - all links log in, heartbeats flow, sys.database_mirroring and
#     sys.dm_db_mirroring_connections show both directions with the peers'
#     certificate owners as principal_name and AES;
#   - SQL Server's errors for the misuses (1405, 1416, 1418, 1429, 1449,
#     1452, 226, 3743, 7890 for a port another process holds, 50115);
#   - an intruder with its own valid certificate nobody imported is refused
#     (28035 logged), one imported but not granted is refused (28034);
#   - REVOKE CONNECT drops the live partner within a second and keeps it
#     out; GRANT lets it back;
#   - a restarted principal resumes its session;
#   - SET PARTNER OFF ends the session on both partners.
#
# Environment: MIRRORKEYD, MK_SOURCE_DIR, MK_TSQL.
set -euo pipefail

MIRRORKEYD=${MIRRORKEYD:?set MIRRORKEYD to the mirrorkeyd binary}
SRC=${MK_SOURCE_DIR:?set MK_SOURCE_DIR to the source tree}
TSQL=${MK_TSQL:-tsql}
HOSTS_TO_SHOW="HOST_A HOST_B WITNESS"
# shellcheck source=scripts/instances.sh
source "$SRC/scripts/instances.sh"
scenario_init mk-mirroring

for h in HOST_A HOST_B WITNESS INTRUDER STRANGER; do start_host "$h"; done
seed_outbound HOST_A ALL
seed_outbound HOST_B ALL
seed_outbound WITNESS WITNESS
seed_outbound INTRUDER ALL
seed_outbound STRANGER ALL
for pair in "HOST_A HOST_B" "HOST_A WITNESS" "HOST_B HOST_A" "HOST_B WITNESS" \
    "WITNESS HOST_A" "WITNESS HOST_B" "INTRUDER HOST_A" "STRANGER HOST_A"; do
    seed_inbound $pair
done
seed_inbound HOST_A STRANGER nogrant
echo "ok: five instances set up with the seeds' statements"


# Sessions: the mirror first, then the principal (SQL Server's order).
ok HOST_A "CREATE DATABASE mk_db"
ok HOST_B "CREATE DATABASE mk_db"
expect HOST_A "SELECT name, state_desc FROM sys.databases WHERE name = 'mk_db'" '^mk_db[[:space:]]+ONLINE'
ok HOST_B "ALTER DATABASE mk_db SET PARTNER = '$(addr HOST_A)'"
expect HOST_B "SELECT mirroring_role_desc, mirroring_state_desc FROM sys.database_mirroring WHERE mirroring_guid IS NOT NULL" \
    '^MIRROR[[:space:]]+DISCONNECTED'
ok HOST_A "ALTER DATABASE mk_db SET PARTNER = '$(addr HOST_B)'"
sel="SELECT mirroring_role_desc, mirroring_state_desc, mirroring_partner_instance, mirroring_partner_name FROM sys.database_mirroring WHERE mirroring_guid IS NOT NULL"
eventually HOST_A "$sel" "^PRINCIPAL[[:space:]]+SYNCHRONIZED[[:space:]]+HOST_B[[:space:]]+$(addr HOST_B)"
eventually HOST_B "$sel" "^MIRROR[[:space:]]+SYNCHRONIZED[[:space:]]+HOST_A[[:space:]]+$(addr HOST_A)"
echo "ok: partners joined (mirror first), both SYNCHRONIZED"

ok HOST_A "ALTER DATABASE mk_db SET WITNESS = '$(addr WITNESS)'"
wsel="SELECT mirroring_witness_name, mirroring_witness_state_desc FROM sys.database_mirroring WHERE mirroring_guid IS NOT NULL"
for h in HOST_A HOST_B; do
    eventually "$h" "$wsel" "^$(addr WITNESS)[[:space:]]+CONNECTED"
done
echo "ok: witness set on the principal, CONNECTED from both partners"

# The connections, both directions, with the certificate owners' names.
conn="SELECT is_accept, state_desc, login_state_desc, principal_name, encryption_algorithm_desc FROM sys.dm_db_mirroring_connections WHERE state_desc = 'LOGGED_IN'"
for spec in "HOST_A 0 HOST_B_user" "HOST_A 1 HOST_B_user" "HOST_A 0 WITNESS_user" \
    "HOST_B 0 HOST_A_user" "HOST_B 1 HOST_A_user" "HOST_B 0 WITNESS_user" \
    "WITNESS 1 HOST_A_user" "WITNESS 1 HOST_B_user"; do
    set -- $spec
    eventually "$1" "$conn" "^$2[[:space:]]+LOGGED_IN[[:space:]]+ONLINE[[:space:]]+$3[[:space:]]+AES"
done
# Heartbeats: the counters of A's link to B grow while nothing else happens.
counters="SELECT total_receives, total_sends FROM sys.dm_db_mirroring_connections WHERE is_accept = 0 AND principal_name = 'HOST_B_user'"
first=$(printf '%s\n' "$counters" | q HOST_A | grep -m1 -E '^[0-9]+[[:space:]]+[0-9]+' | awk '{print $1}')
sleep 2.5
second=$(printf '%s\n' "$counters" | q HOST_A | grep -m1 -E '^[0-9]+[[:space:]]+[0-9]+' | awk '{print $1}')
[ -n "$first" ] && [ -n "$second" ] && [ "$second" -gt "$first" ] ||
    fail "no heartbeats from HOST_B on HOST_A's link ($first -> $second)"
echo "ok: both directions logged in with AES and the right principals; heartbeats flow ($first -> $second)"

# Misuse gets SQL Server's errors and changes nothing.
expect_error HOST_A "ALTER DATABASE mk_db SET PARTNER = '$(addr HOST_B)'" 1405
expect_error HOST_B "ALTER DATABASE mk_db SET WITNESS = '$(addr WITNESS)'" 50115
expect_error HOST_A "ALTER DATABASE mk_db SET WITNESS = '$(addr HOST_B)'" 1429
expect_error HOST_A "DROP DATABASE mk_db" 3743
ok HOST_A "CREATE DATABASE mk_other"
expect_error HOST_A "ALTER DATABASE mk_other SET PARTNER = 'HOST_B:5022'" 1449
expect_error HOST_A "ALTER DATABASE mk_other SET PARTNER = 'TCP://127.0.0.1:$(free_port)'" 1418
expect_error HOST_A "ALTER DATABASE mk_other SET PARTNER = '$(addr HOST_A)'" 1452
expect_error HOST_A "ALTER DATABASE mk_other SET WITNESS = '$(addr WITNESS)'" 1416
expect_error HOST_A "BEGIN TRAN; ALTER DATABASE mk_other SET PARTNER = '$(addr HOST_B)'; COMMIT" 226
other_id=$(printf "SELECT database_id FROM sys.databases WHERE name = 'mk_other'\n" | q HOST_A |
    grep -m1 -E '^[0-9]+[[:space:]]*$' | tr -d '[:space:]')
[ -n "$other_id" ] || fail "no mk_other"
expect HOST_A "SELECT mirroring_guid FROM sys.database_mirroring WHERE database_id = $other_id" '^NULL'
ok HOST_A "DROP DATABASE mk_other"
# A port another process holds (WITNESS's endpoint): 7890, and HOST_A keeps its own.
expect_error HOST_A "ALTER ENDPOINT Endpoint_Mirroring AS TCP (LISTENER_PORT = ${EP_PORT[WITNESS]})" 7890
expect HOST_A "SELECT port FROM sys.tcp_endpoints WHERE name = 'Endpoint_Mirroring'" "^${EP_PORT[HOST_A]}[[:space:]]*\$"
expect HOST_A "$sel" "^PRINCIPAL[[:space:]]+SYNCHRONIZED"
echo "ok: 1405 1418 1416 1429 1449 1452 226 3743 7890 50115"

# Intruders: a valid certificate nobody imported (28035), one imported but
# not granted (28034). Each trusts HOST_A; HOST_A refuses them.
mark=$(log_mark HOST_A)
ok INTRUDER "CREATE DATABASE mk_db"
expect_error INTRUDER "ALTER DATABASE mk_db SET PARTNER = '$(addr HOST_A)'" 1418
log_after HOST_A "$mark" 'error 28035: inbound connection from [^ ]*127\.0\.0\.1:[0-9]+ refused'
mark=$(log_mark HOST_A)
ok STRANGER "CREATE DATABASE mk_db"
expect_error STRANGER "ALTER DATABASE mk_db SET PARTNER = '$(addr HOST_A)'" 1418
log_after HOST_A "$mark" "error 28034: inbound connection from .*login 'STRANGER_login'"
eventually HOST_A "$sel" "^PRINCIPAL[[:space:]]+SYNCHRONIZED[[:space:]]+HOST_B"
echo "ok: intruder refused with 28035, the ungranted peer with 28034; the session is untouched"

# REVOKE drops the live partner within a second and keeps it out; GRANT lets it back.
mark=$(log_mark HOST_A)
t0=$(date +%s%N)
ok HOST_A "REVOKE CONNECT ON ENDPOINT::Endpoint_Mirroring FROM HOST_B_login"
log_after HOST_A "$mark" "error 28034: (in|out)bound connection .* closed" 2
t1=$(date +%s%N)
eventually HOST_A "$sel" "^PRINCIPAL[[:space:]]+DISCONNECTED" 3
sleep 3
expect HOST_A "$sel" "^PRINCIPAL[[:space:]]+DISCONNECTED"
never HOST_A "SELECT principal_name FROM sys.dm_db_mirroring_connections WHERE principal_name = 'HOST_B_user' AND state_desc = 'LOGGED_IN'" 'HOST_B_user'
log_after HOST_A "$mark" "error 28034: (inbound connection from|outbound connection to) .* refused" 1
ok HOST_A "GRANT CONNECT ON ENDPOINT::Endpoint_Mirroring TO HOST_B_login"
eventually HOST_A "$sel" "^PRINCIPAL[[:space:]]+SYNCHRONIZED" 20
eventually HOST_B "$sel" "^MIRROR[[:space:]]+SYNCHRONIZED" 20
echo "ok: REVOKE dropped HOST_B in $(((t1 - t0) / 1000000)) ms (tsql included) and kept it out; GRANT let it back"

# A restarted principal resumes its session from the catalog.
stop_host HOST_A
eventually HOST_B "$sel" "^MIRROR[[:space:]]+DISCONNECTED" 10
run_host HOST_A
eventually HOST_A "$sel" "^PRINCIPAL[[:space:]]+SYNCHRONIZED[[:space:]]+HOST_B" 20
eventually HOST_B "$sel" "^MIRROR[[:space:]]+SYNCHRONIZED" 20
eventually HOST_A "$wsel" "CONNECTED" 20
echo "ok: HOST_A restarted and resumed the session"

# SET PARTNER OFF on one partner ends the session on both; the links go.
ok HOST_A "ALTER DATABASE mk_db SET PARTNER OFF"
for h in HOST_A HOST_B; do
    never "$h" "SELECT mirroring_role_desc FROM sys.database_mirroring WHERE mirroring_guid IS NOT NULL" 'PRINCIPAL|MIRROR'
done
for h in HOST_A HOST_B; do
    eventually_never "$h" "SELECT principal_name FROM sys.dm_db_mirroring_connections WHERE is_accept = 0 AND state_desc = 'LOGGED_IN'" '_user' 10
done
ok HOST_A "DROP DATABASE mk_db"
ok HOST_B "DROP DATABASE mk_db"
echo "ok: SET PARTNER OFF ended the session on both partners"

for pw in '<1_Strong_Password!>' 'AStrongPassword!@#' "$ADMIN_PW"; do
    for h in HOST_A HOST_B WITNESS; do
        if grep -qF -- "$pw" "$work/$h/mirrorkeyd.log"; then fail "a password reached $h's log"; fi
    done
done
# Every daemon drains and exits cleanly on SIGTERM (under ASan/UBSan too: no report).
for h in HOST_A HOST_B WITNESS INTRUDER STRANGER; do
    kill "${HOST_PID[$h]}"
    rc=0
    wait "${HOST_PID[$h]}" || rc=$?
    [ "$rc" = 0 ] || fail "mirrorkeyd $h exited with $rc"
    if grep -Eq 'Sanitizer|runtime error:' "$work/$h/mirrorkeyd.log"; then
        grep -E -A20 'Sanitizer|runtime error:' "$work/$h/mirrorkeyd.log" >&2
        fail "$h: sanitizer report"
    fi
done
echo "ok mirroring sessions: partners, witness, refusals, revoke/grant, restart, partner off"
