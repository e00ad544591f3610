#!/usr/bin/env bash
# The mirroring endpoint between two "hosts": network namespaces joined by a
# veth pair (10.213.7.1/24 and 10.213.7.2/24, nothing else, not even a
# route to the machine). A real mirrorkeyd with its own SoftHSM2 token runs
# in the first, configured through tsql there, its endpoint bound to
# 10.213.7.1 only; from the second, a peer whose certificate was imported
# and granted logs in with mutual authentication (it pins the daemon's
# certificate), coming from 10.213.7.2 across the veth, and an intruder with
# its own valid certificate is refused (28035).
#
# Needs root, iproute2 and the right to create namespaces: elsewhere (e.g.
# an unprivileged container) it says why and exits 77 (ctest SKIP).
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
NS_A=mk-epd-a-$$
NS_B=mk-epd-b-$$
IP_A=10.213.7.1
IP_B=10.213.7.2
IP_A_RE=${IP_A//./\\.}
IP_B_RE=${IP_B//./\\.}

skip() {
    echo "SKIP: $*"
    exit 77
}
[ "$(id -u)" -eq 0 ] || skip "network namespaces need root"
IP=$(command -v ip || true)
[ -n "$IP" ] || skip "no ip binary (install iproute2)"

work=$(mktemp -d "${TMPDIR:-/tmp}/mk-epn-XXXXXX")
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    # Deleting a namespace also deletes its end of the veth, and so the pair.
    "$IP" netns del "$NS_A" 2>/dev/null || true
    "$IP" netns del "$NS_B" 2>/dev/null || true
    if [ -z "${MK_TEST_KEEP:-}" ]; then rm -rf "$work"; fi
}
trap cleanup EXIT
log=$work/data.log

fail() {
    echo "FAIL: $*" >&2
    [ -f "$log" ] && { echo "--- daemon log" >&2; tail -n 60 "$log" >&2; }
    exit 1
}

in_a() { "$IP" netns exec "$NS_A" "$@"; }
in_b() { "$IP" netns exec "$NS_B" "$@"; }

# The two hosts.
"$IP" netns add "$NS_A" 2>"$work/netns.err" ||
    skip "ip netns add is not allowed here: $(head -n 1 "$work/netns.err")"
"$IP" netns add "$NS_B" 2>"$work/netns.err" ||
    skip "ip netns add is not allowed here: $(head -n 1 "$work/netns.err")"
"$IP" link add "mkva$$" netns "$NS_A" type veth peer name "mkvb$$" netns "$NS_B" \
    2>"$work/netns.err" || skip "cannot create a veth pair: $(head -n 1 "$work/netns.err")"
in_a "$IP" addr add "$IP_A/24" dev "mkva$$"
in_b "$IP" addr add "$IP_B/24" dev "mkvb$$"
for ns in "$NS_A" "$NS_B"; do
    "$IP" -n "$ns" link set lo up
done
in_a "$IP" link set "mkva$$" up
in_b "$IP" link set "mkvb$$" up

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

# run SQL: tsql inside host A; no error of severity > 10.
run() {
    local out
    out=$({ printf '%s\n' "$1"; printf '\ngo\nexit\n'; } |
        FREETDSCONF=$work/freetds.conf in_a "$TSQL" -S HOST_A -U admin -P "$ADMIN_PW" 2>&1)
    if grep -Eq 'Msg [0-9]+ \(severity (1[1-9]|2[0-9])' <<<"$out"; then
        printf '%s\n' "$out" >&2
        fail "T-SQL failed: $1"
    fi
    printf '%s\n' "$out"
}

# from_b WHO [peer.py options]: WHO connects from host B to A's endpoint.
from_b() {
    local who=$1
    shift
    in_b "$PYTHON" "$PEER" --cert "$work/$who.pem" --key "$work/$who.key" "$@" \
        "$IP_A" "$ep_port" </dev/null
}

# The daemon on host A, on its own token.
(umask 077; printf '%s\n' "$ADMIN_PW" >"$work/admin.pw")
eval "$(bash "$SRC/scripts/softhsm-token.sh" "$work/hsm" HOST_A)"
export SOFTHSM2_CONF
"$MIRRORKEYD" init --data-dir "$work/data" --pkcs11-uri "$MK_TOKEN_URI" --admin-login admin \
    --admin-password-file "$work/admin.pw" --instance-name HOST_A >"$work/init.log" 2>&1 ||
    { cat "$work/init.log" >&2; fail "mirrorkeyd init"; }
# Not through in_a: $! must be the daemon itself (ip netns exec execs it).
"$IP" netns exec "$NS_A" "$MIRRORKEYD" run --data-dir "$work/data" --tds-listen 127.0.0.1:0 \
    >"$log" 2>&1 </dev/null &
pids+=($!)
wait_log 'tds listening on 127\.0\.0\.1:[0-9]+' 600
tds_port=$(sed -n 's/.*tds listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p;T;q' "$log")
printf '[global]\n\ttds version = 7.4\n[HOST_A]\n\thost = 127.0.0.1\n\tport = %s\n\tencryption = require\n' \
    "$tds_port" >"$work/freetds.conf"

ep_port=$(in_a "$PYTHON" -c \
    "import socket; s=socket.socket(); s.bind(('$IP_A',0)); print(s.getsockname()[1])")
run "CREATE MASTER KEY ENCRYPTION BY PASSWORD = 'Mk-Passw0rd!2026';
CREATE CERTIFICATE HOST_A_cert WITH SUBJECT = 'HOST_A endpoint';
CREATE ENDPOINT Endpoint_Mirroring STATE = STARTED
  AS TCP (LISTENER_PORT = $ep_port, LISTENER_IP = ($IP_A))
  FOR DATABASE_MIRRORING (AUTHENTICATION = CERTIFICATE HOST_A_cert,
    ENCRYPTION = REQUIRED ALGORITHM AES, ROLE = ALL);
BACKUP CERTIFICATE HOST_A_cert TO FILE = 'HOST_A_cert.cer';" >/dev/null
wait_log "endpoint HOST_A/Endpoint_Mirroring: listening on $IP_A_RE:$ep_port \\(STARTED\\)"
cp "$work/data/files/HOST_A_cert.cer" "$work/"

# The peer (imported and granted) and an intruder, software keys on host B.
for who in peer intruder; do
    "$OPENSSL" req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$who" \
        -days 30 -keyout "$work/$who.key" -out "$work/$who.pem" 2>/dev/null
done
"$OPENSSL" x509 -in "$work/peer.pem" -outform DER -out "$work/data/files/peer.cer"
run "CREATE LOGIN peer_login WITH PASSWORD = 'Peer-Passw0rd!1';
CREATE USER peer_user FOR LOGIN peer_login;
CREATE CERTIFICATE peer_cert AUTHORIZATION peer_user FROM FILE = 'peer.cer';
GRANT CONNECT ON ENDPOINT::Endpoint_Mirroring TO [peer_login];" >/dev/null

# The hosts are apart: A's TDS port on 127.0.0.1 is not B's loopback.
if in_b "$PYTHON" -c "import socket; socket.create_connection(('127.0.0.1', $tds_port), timeout=1)" \
    2>/dev/null; then
    fail "host B reaches host A's loopback: the namespaces are not separate"
fi

# One mutual login across the veth, one refusal.
set_mark
out=$(from_b peer --once --pin "$work/HOST_A_cert.cer")
[ "$out" = "ACCEPT" ] || fail "peer on host B got: $out"
wait_log "inbound connection .* from $IP_B_RE:[0-9]+ \\(PEER, PARTNER\\) logged in as 'peer_user'"
set_mark
out=$(from_b intruder --once)
[ "$out" = "REJECT 2" ] || fail "intruder on host B got: $out"
wait_log "error 28035: inbound connection from $IP_B_RE:[0-9]+ refused: .*not in the catalog"
echo "endpoint network namespace test: OK"
