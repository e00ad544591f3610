#!/usr/bin/env bash
# mirrorkey demo: two instances, HOST_A and HOST_B, each a real mirrorkeyd
# with its own SoftHSM2 token, configured through FreeTDS tsql with the
# Microsoft documents' T-SQL (master key, certificate, endpoint, backup,
# login, user, certificate FROM FILE, GRANT CONNECT). Then HOST_B's key, used
# on HOST_B's token, authenticates to HOST_A's mirroring endpoint over TLS 1.3;
# an intruder with its own valid certificate is refused (28035), and so is
# HOST_B once CONNECT is revoked (28034). No private key leaves a token.
#
# Installs what it needs and builds first. Everything runs in a temporary
# directory on 127.0.0.1 and is removed at the end (MK_DEMO_KEEP=1 keeps it).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

scripts/install-deps.sh
cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$root/build" -j"$(nproc 2>/dev/null || echo 2)" \
    --target mirrorkeyd mirrorkey mirrorkey_provider >/dev/null

daemon="$root/build/bin/mirrorkeyd"
prov=(-provider-path "$root/build/provider" -provider default -provider mirrorkey)
work=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    if [ "${MK_DEMO_KEEP:-0}" = "1" ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

step() { printf '\n== %s\n' "$*"; }
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
EXPIRY=$(date -u -d '+1 year' +%m/%d/%Y)
ADMIN_PW="Mirr0r-Key-Demo!"

# start_instance NAME: token, `mirrorkeyd init`, `mirrorkeyd run`, freetds.conf.
start_instance() {
    local h=$1 dir=$work/$1 port=""
    mkdir -p "$dir"
    (umask 077; printf '%s\n' "$ADMIN_PW" >"$dir/admin.pw")
    eval "$(scripts/softhsm-token.sh "$dir/hsm" "$h")"
    printf 'export SOFTHSM2_CONF=%q MK_MODULE=%q MK_PIN_FILE=%q\n' \
        "$SOFTHSM2_CONF" "$MK_MODULE" "$MK_PIN_FILE" >"$dir/env"
    "$daemon" init --data-dir "$dir/data" --pkcs11-uri "$MK_TOKEN_URI" --admin-login admin \
        --admin-password-file "$dir/admin.pw" --instance-name "$h" >"$dir/init.log" 2>&1 ||
        { cat "$dir/init.log"; exit 1; }
    "$daemon" run --data-dir "$dir/data" --tds-listen 127.0.0.1:0 >"$dir/daemon.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 300); do
        port=$(sed -n 's/.*tds listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$dir/daemon.log")
        [ -n "$port" ] && break
        sleep 0.1
    done
    [ -n "$port" ] || { cat "$dir/daemon.log"; exit 1; }
    printf '[%s]\n\thost = 127.0.0.1\n\tport = %s\n\ttds version = 7.4\n\tencryption = require\n' \
        "$h" "$port" >"$dir/freetds.conf"
    echo "$h: mirrorkeyd serving TDS on 127.0.0.1:$port (TLS key on its token)"
}

# sql HOST: run T-SQL from stdin through tsql as the instance's sysadmin.
sql() {
    { cat; printf '\ngo\nexit\n'; } |
        FREETDSCONF=$work/$1/freetds.conf tsql -S "$1" -U admin -P "$ADMIN_PW" 2>&1 |
        tr -d '\r' | sed -E 's/^([0-9]+> )+//' |
        grep -vE '^(locale|using default charset|Setting master as default database|$)' || true
}

# outbound HOST PORT: the documents' outbound procedure (ports and expiry as noted).
outbound() {
    sql "$1" <<SQL
USE master;
CREATE MASTER KEY ENCRYPTION BY PASSWORD = '<1_Strong_Password!>';
GO
CREATE CERTIFICATE ${1}_cert
   WITH SUBJECT = '${1} certificate for database mirroring',
   EXPIRY_DATE = '$EXPIRY';
GO
CREATE ENDPOINT Endpoint_Mirroring
   STATE = STARTED
   AS TCP (
      LISTENER_PORT=$2
      , LISTENER_IP = ALL
   )
   FOR DATABASE_MIRRORING (
      AUTHENTICATION = CERTIFICATE ${1}_cert
      , ENCRYPTION = REQUIRED ALGORITHM AES
      , ROLE = ALL
   );
GO
BACKUP CERTIFICATE ${1}_cert TO FILE = 'C:\\${1}_cert.cer';
GO
SELECT name, pvt_key_encryption_type_desc FROM sys.certificates;
SQL
}

# inbound HOST PEER: the documents' inbound procedure for PEER on HOST.
inbound() {
    sql "$1" <<SQL
USE master;
CREATE LOGIN ${2}_login WITH PASSWORD = '1Sample_Strong_Password!@#';
GO
CREATE USER ${2}_user FOR LOGIN ${2}_login;
GO
CREATE CERTIFICATE ${2}_cert
   AUTHORIZATION ${2}_user
   FROM FILE = 'C:\\${2}_cert.cer'
GO
GRANT CONNECT ON ENDPOINT::Endpoint_Mirroring TO [${2}_login];
GO
SQL
}

# hello NAME: a mirrorkey HELLO frame (docs/endpoint.md): PARTNER, protocol 1.
hello() {
    local n=$1
    printf '\x01\x00\x00\x00\x00\x00\x00\x00\x00'"\\x$(printf %02x $((10 + ${#n})))"
    printf 'MKEP\x00\x01\x00\x01\x01'"\\x$(printf %02x ${#n})"'%s' "$n"
}

# connect FROM CERT_PEM KEY_URI PORT: TLS 1.3 to HOST_A's endpoint with a key
# used on FROM's token, send HELLO, stay a few seconds.
connect() {
    local from=$1 cert=$2 key=$3 port=$4
    # shellcheck disable=SC1090
    (source "$work/$from/env"
     { hello "$from"; sleep 4; } | timeout 20 openssl s_client "${prov[@]}" -quiet \
        -connect "127.0.0.1:$port" -tls1_3 -cert "$cert" -key "$key" >/dev/null 2>&1) || true
}

cat <<'TXT'
mirrorkey demo: two SQL Server-style instances whose endpoint private keys and
master key protectors live on (SoftHSM2) tokens, set up with the Microsoft
documents' T-SQL through FreeTDS.
TXT

step "Start HOST_A and HOST_B (mirrorkeyd init + run, each with its own token)"
start_instance HOST_A
start_instance HOST_B
port_a=$(free_port)
port_b=$(free_port)

step "Outbound, on each instance: master key, certificate (key pair made on the token), endpoint, backup"
outbound HOST_A "$port_a"
outbound HOST_B "$port_b"
cp "$work/HOST_A/data/files/HOST_A_cert.cer" "$work/HOST_B/data/files/"
cp "$work/HOST_B/data/files/HOST_B_cert.cer" "$work/HOST_A/data/files/"
echo "copied the public .cer files between the instances' file roots"

step "Inbound, on each instance: login, user, the peer's certificate FROM FILE, GRANT CONNECT"
inbound HOST_A HOST_B
inbound HOST_B HOST_A
sql HOST_A <<'SQL'
SELECT name, role_desc, state_desc, connection_auth_desc, encryption_algorithm_desc
   FROM sys.database_mirroring_endpoints;
SELECT name, pvt_key_encryption_type_desc FROM sys.certificates;
SQL

step "The key behind HOST_B_cert on HOST_B's token (policy report)"
# shellcheck disable=SC1090
(source "$work/HOST_B/env"
 "$root/build/bin/mirrorkey" token report \
    --uri "pkcs11:token=HOST_B;object=HOST_B_cert;type=private?module-path=$MK_MODULE&pin-source=file:$MK_PIN_FILE")

step "HOST_B connects to HOST_A's endpoint: TLS 1.3, HOST_B's key used on its token"
openssl x509 -inform DER -in "$work/HOST_B/data/files/HOST_B_cert.cer" -out "$work/HOST_B.pem"
key_b="pkcs11:token=HOST_B;object=HOST_B_cert;type=private?module-path=$(. "$work/HOST_B/env"; echo "$MK_MODULE")&pin-source=file:$(. "$work/HOST_B/env"; echo "$MK_PIN_FILE")"
connect HOST_B "$work/HOST_B.pem" "$key_b" "$port_a" &
sleep 2
sql HOST_A <<'SQL'
SELECT principal_name, state_desc, encryption_algorithm_desc, is_accept
   FROM sys.dm_db_mirroring_connections;
SQL
wait $!
grep -m1 "logged in as" "$work/HOST_A/daemon.log" | sed 's/^[^ ]* //'

step "INTRUDER, with its own valid certificate that nobody imported, is refused"
eval "$(scripts/softhsm-token.sh "$work/INTRUDER/hsm" INTRUDER)"
printf 'export SOFTHSM2_CONF=%q\n' "$SOFTHSM2_CONF" >"$work/INTRUDER/env"
"$root/build/bin/mirrorkey" token keygen --uri "$MK_TOKEN_URI" --label INTRUDER_cert --type ec >/dev/null 2>&1
key_i="pkcs11:token=INTRUDER;object=INTRUDER_cert;type=private?module-path=$MK_MODULE&pin-source=file:$MK_PIN_FILE"
openssl req -new -x509 "${prov[@]}" -key "$key_i" -subj "/CN=INTRUDER" -days 30 -out "$work/INTRUDER.pem"
connect INTRUDER "$work/INTRUDER.pem" "$key_i" "$port_a"
sleep 1
grep -m1 "28035" "$work/HOST_A/daemon.log" | sed 's/^[^ ]* //'

step "REVOKE CONNECT from HOST_B_login on HOST_A: HOST_B is refused now"
sql HOST_A <<<"REVOKE CONNECT ON ENDPOINT::Endpoint_Mirroring FROM [HOST_B_login];" >/dev/null
connect HOST_B "$work/HOST_B.pem" "$key_b" "$port_a"
sleep 1
grep -m1 "28034" "$work/HOST_A/daemon.log" | sed 's/^[^ ]* //'

step "Files outside the token stores"
find "$work" -path "*/hsm" -prune -o \( -name '*.cer' -o -name '*.pem' \) -print | sed "s|$work/||" | sort
echo "only public certificates: every private key and master key protector stayed on a token."
