#!/usr/bin/env bash
# The seed documents end to end: two real mirrorkeyd daemons (HOST_A and
# HOST_B, each with its own SoftHSM2 token, catalog and file root) and FreeTDS
# tsql running the documents' T-SQL verbatim (tests/scenario/seeds/*.sql,
# split at GO by tsql itself) except, as the issue allows, the endpoint ports
# (picked at run time) and the two EXPIRY_DATEs (a year ahead, so that the
# endpoints can start); each as-written CREATE CERTIFICATE also runs once and
# gives warning 15214 and no error. Outbound on both, the .cer files copied
# between the file roots, inbound on both. Then it checks, through tsql, that
# both endpoints listen, the catalog views (ALL / STARTED / CERTIFICATE / AES,
# STORED_IN_HSM and NO_PRIVATE_KEY certificates, CONNECT granted to the peer
# login), that the .cer files are one DER certificate each and nothing else,
# that BACKUP ... WITH PRIVATE KEY is refused (50101) without writing a file,
# and that no seed password reached a daemon log.
#
# Environment: MIRRORKEYD (the daemon), MK_SOURCE_DIR, MK_TSQL (tsql).
set -euo pipefail

MIRRORKEYD=${MIRRORKEYD:?set MIRRORKEYD to the mirrorkeyd binary}
SRC=${MK_SOURCE_DIR:?set MK_SOURCE_DIR to the source tree}
TSQL=${MK_TSQL:-tsql}
HOSTS_TO_SHOW="HOST_A HOST_B"
# shellcheck source=scripts/instances.sh
source "$SRC/scripts/instances.sh"
scenario_init mk-seeds

# The seeds' endpoints listen on 7024; two instances on one machine (and CI)
# need ports picked at run time: the only change made to the seeds' text.
declare -A EP_PORT=([HOST_A]=$(free_port) [HOST_B]=$(free_port))
# The seeds' EXPIRY_DATE = '11/30/2013' has passed: a certificate created with
# it is refused for endpoint authentication (28055). The seeds run with a date
# a year ahead; each as-written CREATE CERTIFICATE also runs once, below
# (as_written), to show the expired-certificate warning 15214.
EXPIRY=$(date -u -d '+1 year' +%m/%d/%Y)

# seed HOST FILE: run a seed script (ports and expiry dates as above); it must
# produce no error (severity > 10).
seed() {
    local h=$1 f=$2 out
    out=$(sed -e "s/LISTENER_PORT=7024/LISTENER_PORT=${EP_PORT[$h]}/" \
        -e "s|EXPIRY_DATE = '11/30/2013'|EXPIRY_DATE = '$EXPIRY'|" "$SEEDS/$f" | q "$h")
    printf '%s\n' "$out" >>"$work/$h/tsql.out"
    if grep -Eq 'Msg [0-9]+ \(severity (1[1-9]|2[0-9])' <<<"$out"; then
        printf '%s\n' "$out" >&2
        fail "$f on $h reported an error"
    fi
    printf '%s\n' "$out"
}

start_host HOST_A
start_host HOST_B
root_a=$work/HOST_A/data/files
root_b=$work/HOST_B/data/files

# as_written HOST FILE: the seed's CREATE CERTIFICATE exactly as written, once:
# warning 15214 (already expired), no error; then dropped again so that the
# seeds below create it with the future date.
as_written() {
    local h=$1 f=$2 cert out
    cert=$(sed -n '/^CREATE CERTIFICATE/,/EXPIRY_DATE/p' "$SEEDS/$f")
    out=$(printf 'USE master;\n%s\n' "$cert" | q "$h")
    grep -q 'Msg 15214' <<<"$out" || { printf '%s\n' "$out" >&2; fail "no 15214 on $h"; }
    if grep -Eq 'Msg [0-9]+ \(severity (1[1-9]|2[0-9])' <<<"$out"; then
        printf '%s\n' "$out" >&2
        fail "as-written CREATE CERTIFICATE failed on $h"
    fi
    out=$(printf 'DROP CERTIFICATE %s_cert\n' "$h" | q "$h")
    ! grep -q 'Msg' <<<"$out" || { printf '%s\n' "$out" >&2; fail "DROP CERTIFICATE on $h"; }
}

# Outbound, HOST_A (the procedure's steps) and HOST_B (the Example section).
seed HOST_A out_a_1_master_key.sql >/dev/null
as_written HOST_A out_a_2_certificate.sql
out=$(seed HOST_A out_a_2_certificate.sql)
! grep -q 'Msg 15214' <<<"$out" || fail "15214 for a certificate that is not expired"
out=$(seed HOST_A out_a_3_select_certificates.sql)
grep -q 'HOST_A_cert' <<<"$out" || fail "HOST_A_cert not listed"
seed HOST_A out_a_4_select_endpoints.sql >/dev/null
seed HOST_A out_a_5_endpoint.sql >/dev/null
seed HOST_A out_a_6_backup.sql >/dev/null
[ -s "$root_a/HOST_A_cert.cer" ] || fail "BACKUP CERTIFICATE wrote no $root_a/HOST_A_cert.cer"
# HOST_B's as-written certificate needs its master key first: create it as
# the Example does, then run the whole Example (its CREATE MASTER KEY then
# answers 15578, which is expected and the only message allowed there).
printf 'USE master;\nCREATE MASTER KEY ENCRYPTION BY PASSWORD = %s;\n' \
    "'<Strong_Password_#2>'" | q HOST_B >/dev/null
as_written HOST_B out_b_example.sql
out=$(sed -e "s/LISTENER_PORT=7024/LISTENER_PORT=${EP_PORT[HOST_B]}/" \
    -e "s|EXPIRY_DATE = '11/30/2013'|EXPIRY_DATE = '$EXPIRY'|" "$SEEDS/out_b_example.sql" | q HOST_B)
printf '%s\n' "$out" >>"$work/HOST_B/tsql.out"
[ "$(grep -Eo 'Msg [0-9]+' <<<"$out" | sort -u)" = "Msg 15578" ] ||
    { printf '%s\n' "$out" >&2; fail "HOST_B Example: want only 15578 (master key exists)"; }
[ -s "$root_b/HOST_B_cert.cer" ] || fail "no HOST_B_cert.cer"

# Both endpoints listen (STATE = STARTED), each on its own port.
for h in HOST_A HOST_B; do
    grep -q "endpoint $h/Endpoint_Mirroring: listening on .*:${EP_PORT[$h]}" \
        "$work/$h/mirrorkeyd.log" || fail "$h endpoint not listening on ${EP_PORT[$h]}"
done

# "Using any secure copy method": the file roots are the C:\ of each host.
cp "$root_a/HOST_A_cert.cer" "$root_b/"
cp "$root_b/HOST_B_cert.cer" "$root_a/"

# Inbound, HOST_A (the procedure) and HOST_B (the Example section).
for f in in_a_1_login.sql in_a_2_select_principals.sql in_a_3_user.sql \
    in_a_4_select_sysusers.sql in_a_5_certificate.sql in_a_6_select_certificates.sql \
    in_a_7_grant.sql; do
    seed HOST_A "$f" >/dev/null
done
seed HOST_B in_b_example.sql >/dev/null

# The views, on both hosts.
for pair in "HOST_A HOST_B" "HOST_B HOST_A"; do
    set -- $pair
    self=$1 peer=$2
    expect "$self" "SELECT name, role_desc, state_desc, connection_auth_desc, encryption_algorithm_desc FROM sys.database_mirroring_endpoints" \
        '^Endpoint_Mirroring[[:space:]]+ALL[[:space:]]+STARTED[[:space:]]+CERTIFICATE[[:space:]]+AES[[:space:]]*$'
    expect "$self" "SELECT name, pvt_key_encryption_type_desc FROM sys.certificates WHERE name = '${self}_cert'" \
        "^${self}_cert[[:space:]]+STORED_IN_HSM[[:space:]]*\$"
    expect "$self" "SELECT name FROM sys.certificates WHERE pvt_key_encryption_type_desc = 'NO_PRIVATE_KEY'" \
        "^${peer}_cert[[:space:]]*\$"
    uid=$(printf "SELECT principal_id FROM sys.database_principals WHERE name = '%s_user'\n" "$peer" |
        q "$self" | grep -m 1 -E '^[0-9]+[[:space:]]*$' | tr -d '[:space:]')
    [ -n "$uid" ] || fail "$self: no ${peer}_user"
    expect "$self" "SELECT principal_id FROM sys.certificates WHERE name = '${peer}_cert'" "^${uid}[[:space:]]*\$"
    lid=$(printf "SELECT principal_id FROM sys.server_principals WHERE name = '%s_login'\n" "$peer" |
        q "$self" | grep -m 1 -E '^[0-9]+[[:space:]]*$' | tr -d '[:space:]')
    [ -n "$lid" ] || fail "$self: no ${peer}_login"
    expect "$self" "SELECT permission_name, state_desc FROM sys.server_permissions WHERE class = 105 AND grantee_principal_id = $lid" \
        '^CONNECT[[:space:]]+GRANT[[:space:]]*$'
    expect "$self" "SELECT name FROM sys.symmetric_keys" '^##MS_DatabaseMasterKey##'
done

# The .cer files: one DER certificate each, nothing else (re-encoding gives the same bytes).
for c in "$root_a/HOST_A_cert.cer" "$root_b/HOST_B_cert.cer"; do
    openssl x509 -inform DER -in "$c" -noout >/dev/null 2>&1 || fail "$c is not a DER certificate"
    openssl x509 -inform DER -in "$c" -outform DER -out "$work/reencoded.der" 2>/dev/null
    cmp -s "$c" "$work/reencoded.der" || fail "$c holds more than one DER certificate"
    if openssl pkey -inform DER -in "$c" -noout >/dev/null 2>&1; then fail "$c parses as a private key"; fi
done
subj=$(openssl x509 -inform DER -in "$root_a/HOST_A_cert.cer" -noout -subject)
grep -q 'CN *= *HOST_A certificate for database mirroring' <<<"$subj" || fail "HOST_A subject"

# No private key can be exported, and nothing is written trying.
out=$(printf "BACKUP CERTIFICATE HOST_A_cert TO FILE = 'C:\\\\leak.cer' WITH PRIVATE KEY (FILE = 'C:\\\\leak.pvk', ENCRYPTION BY PASSWORD = 'Str0ng!Passw0rd')\n" |
    q HOST_A)
grep -q 'Msg 50101' <<<"$out" || { printf '%s\n' "$out" >&2; fail "WITH PRIVATE KEY not refused"; }
[ ! -e "$root_a/leak.cer" ] && [ ! -e "$root_a/leak.pvk" ] || fail "a file was written"

# Running a seed again changes nothing and says what SQL Server says.
out=$(q HOST_A <"$SEEDS/out_a_5_endpoint.sql")
grep -q 'Msg 7862' <<<"$out" || { printf '%s\n' "$out" >&2; fail "second CREATE ENDPOINT"; }

# No seed password in the logs.
for pw in '<1_Strong_Password!>' '<Strong_Password_#2>' '1Sample_Strong_Password!@#' \
    'AStrongPassword!@#' "$ADMIN_PW"; do
    if grep -qF -- "$pw" "$work/HOST_A/mirrorkeyd.log" "$work/HOST_B/mirrorkeyd.log"; then
        fail "a password reached a daemon log"
    fi
done
echo "ok seeds end to end through tsql on two mirrorkeyd instances"
