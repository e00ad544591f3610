#!/usr/bin/env bash
# The mirroring endpoint between two "hosts": network namespaces joined by a
# veth pair (10.213.7.1/24 and 10.213.7.2/24, nothing else, not even a
# route to the machine). A real mirrorkeyd with its own SoftHSM2 token runs
# in the first, configured through tsql there, its endpoint bound to
# 10.213.7.1 only; from the second, a peer whose certificate was imported
# and granted logs in with mutual authentication (it pins the daemon's
# certificate), coming from 10.213.7.2 across the veth, and an intruder with
# its own valid certificate is refused (28035). The daemon, tsql and the
# seeds' inbound procedure come from scripts/instances.sh, the daemon's
# `run` and tsql put into host A's namespace.
#
# Needs root, iproute2 and the right to create namespaces: elsewhere (e.g.
# an unprivileged container) it says why and exits 77 (ctest SKIP).
#
# Environment: MIRRORKEYD, MK_SOURCE_DIR, MK_TSQL, MK_OPENSSL, MK_PYTHON.
set -euo pipefail

MIRRORKEYD=${MIRRORKEYD:?}
HOSTS_TO_SHOW=HOST_A
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

# shellcheck source=scripts/instances.sh
source "${MK_SOURCE_DIR:?}/scripts/instances.sh"
scenario_init mk-epn
PEER=$SRC/tests/integration/endpoint/peer.py
# instances.sh's cleanup (daemons, work directory), then the hosts: deleting
# a namespace also deletes its end of the veth, and so the pair.
cleanup() {
    scenario_cleanup
    "$IP" netns del "$NS_A" 2>/dev/null || true
    "$IP" netns del "$NS_B" 2>/dev/null || true
}
trap cleanup EXIT

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

# instances.sh's daemon and tsql, on host A: `mirrorkeyd run` goes through
# `ip netns exec`, exec'd, so that run_host's $! is the daemon itself (ip
# netns exec execs it too); run_host is always in the background.
mk_bin=$MIRRORKEYD
tsql_bin=$TSQL
mirrorkeyd_on_a() {
    if [ "$1" = run ]; then exec "$IP" netns exec "$NS_A" "$mk_bin" "$@"; fi
    "$mk_bin" "$@"
}
tsql_on_a() { in_a "$tsql_bin" "$@"; }
MIRRORKEYD=mirrorkeyd_on_a
TSQL=tsql_on_a

# from_b WHO [peer.py options]: WHO connects from host B to A's endpoint.
from_b() {
    in_b "$PYTHON" "$PEER" --cert "$work/$1/cert.pem" --key "$work/$1/key.pem" "${@:2}" \
        "$IP_A" "$ep_port" </dev/null
}

# The daemon on host A, on its own token; its endpoint bound to host A's
# address only (the seeds' text says ALL, so not seed_outbound), its
# certificate backed up for the peer to pin.
start_host HOST_A
tds_port=$(sed -n 's/^[[:space:]]*port = //p' "$work/HOST_A/freetds.conf")
[ -n "$tds_port" ] || fail "no TDS port in freetds.conf"
ep_port=$(in_a "$PYTHON" -c \
    "import socket; s=socket.socket(); s.bind(('$IP_A',0)); print(s.getsockname()[1])")
ok HOST_A "CREATE MASTER KEY ENCRYPTION BY PASSWORD = 'Mk-Passw0rd!2026';
CREATE CERTIFICATE HOST_A_cert WITH SUBJECT = 'HOST_A endpoint';
CREATE ENDPOINT Endpoint_Mirroring STATE = STARTED
  AS TCP (LISTENER_PORT = $ep_port, LISTENER_IP = ($IP_A))
  FOR DATABASE_MIRRORING (AUTHENTICATION = CERTIFICATE HOST_A_cert,
    ENCRYPTION = REQUIRED ALGORITHM AES, ROLE = ALL);
BACKUP CERTIFICATE HOST_A_cert TO FILE = 'HOST_A_cert.cer';"
log_after HOST_A 0 "endpoint HOST_A/Endpoint_Mirroring: listening on $IP_A_RE:$ep_port \\(STARTED\\)" 5
cp "$work/HOST_A/data/files/HOST_A_cert.cer" "$work/"

# The peer (imported with the seeds' inbound procedure, granted) and an
# intruder, software keys on host B.
soft_peer peer
soft_peer intruder
seed_inbound HOST_A peer

# The hosts are apart: A's TDS port on 127.0.0.1 is not B's loopback.
if in_b "$PYTHON" -c "import socket; socket.create_connection(('127.0.0.1', $tds_port), timeout=1)" \
    2>/dev/null; then
    fail "host B reaches host A's loopback: the namespaces are not separate"
fi

# One mutual login across the veth, one refusal.
mark=$(log_mark HOST_A)
out=$(from_b peer --once --pin "$work/HOST_A_cert.cer")
[ "$out" = "ACCEPT" ] || fail "peer on host B got: $out"
log_after HOST_A "$mark" "inbound connection .* from $IP_B_RE:[0-9]+ \\(PEER, PARTNER\\) logged in as 'peer_user'" 5
mark=$(log_mark HOST_A)
out=$(from_b intruder --once)
[ "$out" = "REJECT 2" ] || fail "intruder on host B got: $out"
log_after HOST_A "$mark" "error 28035: inbound connection from $IP_B_RE:[0-9]+ refused: .*not in the catalog" 5
echo "endpoint network namespace test: OK"
