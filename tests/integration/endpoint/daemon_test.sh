#!/usr/bin/env bash
# The endpoint inside a real mirrorkeyd, driven by T-SQL through FreeTDS tsql:
# CREATE ENDPOINT makes the daemon listen at once (the executor's change
# hook → ep_manager_changed); an unknown certificate is refused with 28035;
# TLS 1.2 is refused; a peer whose certificate was imported with CREATE
# CERTIFICATE ... FROM FILE and granted CONNECT logs in, answers heartbeats
# and shows up in sys.dm_db_mirroring_connections; REVOKE CONNECT drops it
# within a second and it stays out; GRANT lets it back; ALTER ENDPOINT
# moves the port and STATE = DISABLED stops listening.
#
# Environment: MIRRORKEYD, MK_SOURCE_DIR, MK_TSQL, MK_OPENSSL, MK_PYTHON.
set -euo pipefail

MIRRORKEYD=${MIRRORKEYD:?}
SRC=${MK_SOURCE_DIR:?}
TSQL=${MK_TSQL:-tsql}
OPENSSL=${MK_OPENSSL:-openssl}
PYTHON=${MK_PYTHON:-python3}
PEER=$SRC/tests/integration/endpoint/peer.py
ADMIN_PW='Adm1n-Passw0rd!'

work=$(mktemp -d "${TMPDIR:-/tmp}/mk-epd-XXXXXX")
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    if [ -z "${MK_TEST_KEEP:-}" ]; then rm -rf "$work"; fi
}
trap cleanup EXIT
log=$work/data.log

fail() {
    echo "FAIL: $*" >&2
    [ -f "$log" ] && { echo "--- daemon log" >&2; tail -n 60 "$log" >&2; }
    exit 1
}

free_port() {
    "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_log REGEX [tenths]: a daemon log line after line $mark matches (bounded wait).
mark=0
set_mark() { mark=$(wc -l <"$log"); }
wait_log() {
    local _
    for _ in $(seq 1 "${2:-50}"); do
        tail -n +"$((mark + 1))" "$log" | grep -Eq "$1" && return 0
        sleep 0.1
    done
    fail "no log line matching: $1"
}

# wait_file FILE REGEX: a line of FILE matches within 5 s.
wait_file() {
    local _
    for _ in $(seq 1 50); do
        grep -Eq "$2" "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    fail "$1 has no line matching $2: $(cat "$1" 2>/dev/null)"
}

q() {
    { cat; printf '\ngo\nexit\n'; } |
        FREETDSCONF=$work/freetds.conf "$TSQL" -S HOST_A -U admin -P "$ADMIN_PW" 2>&1
}

# run SQL: no error of severity > 10.
run() {
    local out
    out=$(printf '%s\n' "$1" | q)
    if grep -Eq 'Msg [0-9]+ \(severity (1[1-9]|2[0-9])' <<<"$out"; then
        printf '%s\n' "$out" >&2
        fail "T-SQL failed: $1"
    fi
    printf '%s\n' "$out"
}

# The daemon.
mkdir -p "$work"
(umask 077; printf '%s\n' "$ADMIN_PW" >"$work/admin.pw")
eval "$(bash "$SRC/scripts/softhsm-token.sh" "$work/hsm" HOST_A)"
export SOFTHSM2_CONF
"$MIRRORKEYD" init --data-dir "$work/data" --pkcs11-uri "$MK_TOKEN_URI" --admin-login admin \
    --admin-password-file "$work/admin.pw" --instance-name HOST_A >"$work/init.log" 2>&1 ||
    { cat "$work/init.log" >&2; fail "mirrorkeyd init"; }
"$MIRRORKEYD" run --data-dir "$work/data" --tds-listen 127.0.0.1:0 >"$log" 2>&1 &
pids+=($!)
wait_log 'tds listening on 127\.0\.0\.1:[0-9]+' 600
tds_port=$(sed -n 's/.*tds listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p;T;q' "$log")
printf '[global]\n\ttds version = 7.4\n[HOST_A]\n\thost = 127.0.0.1\n\tport = %s\n\tencryption = require\n' \
    "$tds_port" >"$work/freetds.conf"

# Our certificate on the token and the endpoint: listening at once.
ep_port=$(free_port)
run "CREATE MASTER KEY ENCRYPTION BY PASSWORD = 'Mk-Passw0rd!2026';
CREATE CERTIFICATE HOST_A_cert WITH SUBJECT = 'HOST_A endpoint';
CREATE ENDPOINT Endpoint_Mirroring STATE = STARTED
  AS TCP (LISTENER_PORT = $ep_port, LISTENER_IP = ALL)
  FOR DATABASE_MIRRORING (AUTHENTICATION = CERTIFICATE HOST_A_cert,
    ENCRYPTION = REQUIRED ALGORITHM AES, ROLE = ALL);" >/dev/null
wait_log "endpoint HOST_A/Endpoint_Mirroring: listening on ALL:$ep_port \\(STARTED\\)"

# A peer with a software key; its certificate goes into the file root later.
for who in peer intruder; do
    "$OPENSSL" req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$who" \
        -days 30 -keyout "$work/$who.key" -out "$work/$who.pem" 2>/dev/null
done
"$OPENSSL" x509 -in "$work/peer.pem" -outform DER -out "$work/data/files/peer.cer"

# Unknown certificate: 28035; TLS 1.2: refused in the handshake.
set_mark
out=$("$PYTHON" "$PEER" --cert "$work/intruder.pem" --key "$work/intruder.key" --once 127.0.0.1 "$ep_port")
[ "$out" = "REJECT 2" ] || fail "intruder got: $out"
wait_log 'error 28035: inbound connection from .* refused: .*not in the catalog'
set_mark
out=$("$PYTHON" "$PEER" --cert "$work/intruder.pem" --key "$work/intruder.key" --tls12 127.0.0.1 "$ep_port")
[[ "$out" == TLS_REFUSED* ]] || fail "TLS 1.2 client got: $out"
wait_log 'refused in the TLS handshake: .*unsupported protocol'

# The seeds' inbound procedure for the peer, then it logs in.
run "CREATE LOGIN peer_login WITH PASSWORD = 'Peer-Passw0rd!1';
CREATE USER peer_user FOR LOGIN peer_login;
CREATE CERTIFICATE peer_cert AUTHORIZATION peer_user FROM FILE = 'peer.cer';" >/dev/null
out=$("$PYTHON" "$PEER" --cert "$work/peer.pem" --key "$work/peer.key" --once 127.0.0.1 "$ep_port")
[ "$out" = "REJECT 2" ] || fail "peer without CONNECT got: $out"
wait_log "error 28034: inbound connection from .* refused: .*'peer_login'"
run "GRANT CONNECT ON ENDPOINT::Endpoint_Mirroring TO [peer_login];" >/dev/null
"$PYTHON" "$PEER" --cert "$work/peer.pem" --key "$work/peer.key" 127.0.0.1 "$ep_port" >"$work/peer.out" &
pids+=($!)
wait_file "$work/peer.out" '^ACCEPT$'
sleep 1.5 # a few heartbeats each way
out=$(run "SELECT state_desc, principal_name, is_accept, authentication_method, encryption_algorithm_desc, login_state_desc FROM sys.dm_db_mirroring_connections")
grep -Eq 'LOGGED_IN[[:space:]]+peer_user[[:space:]]+1[[:space:]]+CERTIFICATE[[:space:]]+AES[[:space:]]+ONLINE' <<<"$out" ||
    { printf '%s\n' "$out" >&2; fail "dm view does not show the peer"; }
out=$(run "SELECT total_receives FROM sys.dm_db_mirroring_connections")
n=$(grep -m 1 -E '^[0-9]+[[:space:]]*$' <<<"$out" | tr -d '[:space:]')
[ "${n:-0}" -ge 2 ] || fail "no heartbeats received (total_receives=${n:-none})"

# REVOKE drops it within a second (plus tsql's own time) and it stays out.
set_mark
run "REVOKE CONNECT ON ENDPOINT::Endpoint_Mirroring FROM [peer_login];" >/dev/null
t0=$(date +%s%N)
wait_file "$work/peer.out" '^CLOSED$'
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$ms" -lt 1500 ] || fail "peer dropped only after $ms ms"
wait_log "error 28034: inbound connection from .* closed: .*'peer_login'"
set_mark
out=$("$PYTHON" "$PEER" --cert "$work/peer.pem" --key "$work/peer.key" --once 127.0.0.1 "$ep_port")
[ "$out" = "REJECT 2" ] || fail "revoked peer got: $out"
wait_log "error 28034: inbound connection from .* refused: .*'peer_login'"
run "GRANT CONNECT ON ENDPOINT::Endpoint_Mirroring TO [peer_login];" >/dev/null
"$PYTHON" "$PEER" --cert "$work/peer.pem" --key "$work/peer.key" 127.0.0.1 "$ep_port" >"$work/peer2.out" &
pids+=($!)
wait_file "$work/peer2.out" '^ACCEPT$'

# ALTER ENDPOINT: a new port at once (the live peer is not affected), then DISABLED.
new_port=$(free_port)
run "ALTER ENDPOINT Endpoint_Mirroring AS TCP (LISTENER_PORT = $new_port);" >/dev/null
wait_log "listening on ALL:$new_port"
out=$("$PYTHON" "$PEER" --cert "$work/peer.pem" --key "$work/peer.key" --once 127.0.0.1 "$new_port")
[ "$out" = "ACCEPT" ] || fail "new port: $out"
run "ALTER ENDPOINT Endpoint_Mirroring STATE = DISABLED;" >/dev/null
wait_file "$work/peer2.out" '^CLOSED$'
if "$PYTHON" -c "import socket,sys; socket.create_connection(('127.0.0.1', $new_port), timeout=2)" 2>/dev/null; then
    fail "DISABLED endpoint still accepts TCP connections"
fi
echo "endpoint daemon test: OK"
