#!/usr/bin/env bash
# The endpoint inside a real mirrorkeyd, driven by T-SQL through FreeTDS tsql:
# CREATE ENDPOINT makes the daemon listen at once (the executor's change
# hook → ep_manager_changed); an unknown certificate is refused with 28035;
# TLS 1.2 is refused; a peer whose certificate was imported with CREATE
# CERTIFICATE ... FROM FILE and granted CONNECT logs in, answers heartbeats
# and shows up in sys.dm_db_mirroring_connections; REVOKE CONNECT drops it
# within a second and it stays out; GRANT lets it back; ALTER ENDPOINT
# moves the port and STATE = DISABLED stops listening. The daemon, tsql and
# the seeds' procedures come from scripts/instances.sh.
#
# Environment: MIRRORKEYD, MK_SOURCE_DIR, MK_TSQL, MK_OPENSSL, MK_PYTHON.
set -euo pipefail

MIRRORKEYD=${MIRRORKEYD:?}
HOSTS_TO_SHOW=HOST_A
# shellcheck source=scripts/instances.sh
source "${MK_SOURCE_DIR:?}/scripts/instances.sh"
scenario_init mk-epd

# peer WHO PORT [peer.py options]: WHO's software key against HOST_A's endpoint at PORT.
peer() {
    "$PYTHON" "$SRC/tests/integration/endpoint/peer.py" --cert "$work/$1/cert.pem" \
        --key "$work/$1/key.pem" "${@:3}" 127.0.0.1 "$2"
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

# The daemon; the seeds' outbound procedure (certificate on the token, the
# endpoint): listening at once.
start_host HOST_A
seed_outbound HOST_A ALL
ep_port=${EP_PORT[HOST_A]}
log_after HOST_A 0 "endpoint HOST_A/Endpoint_Mirroring: listening on ALL:$ep_port \\(STARTED\\)" 5

# A peer with a software key (its certificate imported later) and an intruder.
soft_peer peer
soft_peer intruder

# Unknown certificate: 28035; TLS 1.2: refused in the handshake.
mark=$(log_mark HOST_A)
out=$(peer intruder "$ep_port" --once)
[ "$out" = "REJECT 2" ] || fail "intruder got: $out"
log_after HOST_A "$mark" 'error 28035: inbound connection from .* refused: .*not in the catalog' 5
mark=$(log_mark HOST_A)
out=$(peer intruder "$ep_port" --tls12)
[[ "$out" == TLS_REFUSED* ]] || fail "TLS 1.2 client got: $out"
log_after HOST_A "$mark" 'refused in the TLS handshake: .*unsupported protocol' 5

# The seeds' inbound procedure for the peer, CONNECT after a refusal; then it logs in.
seed_inbound HOST_A peer nogrant
out=$(peer peer "$ep_port" --once)
[ "$out" = "REJECT 2" ] || fail "peer without CONNECT got: $out"
log_after HOST_A "$mark" "error 28034: inbound connection from .* refused: .*'peer_login'" 5
ok HOST_A "GRANT CONNECT ON ENDPOINT::Endpoint_Mirroring TO [peer_login];"
peer peer "$ep_port" >"$work/peer.out" &
pids+=($!)
wait_file "$work/peer.out" '^ACCEPT$'
sleep 1.5 # a few heartbeats each way
out=$(sql HOST_A "SELECT state_desc, principal_name, is_accept, authentication_method, encryption_algorithm_desc, login_state_desc FROM sys.dm_db_mirroring_connections")
grep -Eq 'LOGGED_IN[[:space:]]+peer_user[[:space:]]+1[[:space:]]+CERTIFICATE[[:space:]]+AES[[:space:]]+ONLINE' <<<"$out" ||
    { printf '%s\n' "$out" >&2; fail "dm view does not show the peer"; }
out=$(sql HOST_A "SELECT total_receives FROM sys.dm_db_mirroring_connections")
n=$(grep -m 1 -E '^[0-9]+[[:space:]]*$' <<<"$out" | tr -d '[:space:]')
[ "${n:-0}" -ge 2 ] || fail "no heartbeats received (total_receives=${n:-none})"

# REVOKE drops it within a second (plus tsql's own time) and it stays out.
mark=$(log_mark HOST_A)
ok HOST_A "REVOKE CONNECT ON ENDPOINT::Endpoint_Mirroring FROM [peer_login];"
t0=$(date +%s%N)
wait_file "$work/peer.out" '^CLOSED$'
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$ms" -lt 1500 ] || fail "peer dropped only after $ms ms"
log_after HOST_A "$mark" "error 28034: inbound connection from .* closed: .*'peer_login'" 5
mark=$(log_mark HOST_A)
out=$(peer peer "$ep_port" --once)
[ "$out" = "REJECT 2" ] || fail "revoked peer got: $out"
log_after HOST_A "$mark" "error 28034: inbound connection from .* refused: .*'peer_login'" 5
ok HOST_A "GRANT CONNECT ON ENDPOINT::Endpoint_Mirroring TO [peer_login];"
peer peer "$ep_port" >"$work/peer2.out" &
pids+=($!)
wait_file "$work/peer2.out" '^ACCEPT$'

# ALTER ENDPOINT: a new port at once (the live peer is not affected), then DISABLED.
new_port=$(free_port)
ok HOST_A "ALTER ENDPOINT Endpoint_Mirroring AS TCP (LISTENER_PORT = $new_port);"
log_after HOST_A "$mark" "listening on ALL:$new_port" 5
out=$(peer peer "$new_port" --once)
[ "$out" = "ACCEPT" ] || fail "new port: $out"
ok HOST_A "ALTER ENDPOINT Endpoint_Mirroring STATE = DISABLED;"
wait_file "$work/peer2.out" '^CLOSED$'
if "$PYTHON" -c "import socket,sys; socket.create_connection(('127.0.0.1', $new_port), timeout=2)" 2>/dev/null; then
    fail "DISABLED endpoint still accepts TCP connections"
fi
echo "endpoint daemon test: OK"
