#!/usr/bin/env bash
# Every refusal of the mirroring endpoint inside a real mirrorkeyd (its own
# SoftHSM2 token, configured through FreeTDS tsql, ports picked at run time),
# each followed by a granted peer logging in, so the daemon is shown still
# serving after it:
#   * an intruder whose valid certificate nobody imported    28035
#   * a peer imported with its login and user, no CONNECT    28034
#   * a peer imported and granted, certificate expired       28035
#   * TLS 1.2; TLS 1.3 offering only TLS_CHACHA20_POLY1305_SHA256; no client
#     certificate: each refused in the TLS handshake
#   * the token taken out of the SoftHSM2 store while the daemon runs: a
#     peer is refused before TLS (fail closed) and the daemon says why; the
#     token put back: the peer logs in again, same daemon process.
# The granted peer pins the daemon's certificate (BACKUP CERTIFICATE), so its
# logins are mutual: both sides proved their keys in the handshake.
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

work=$(mktemp -d "${TMPDIR:-/tmp}/mk-epr-XXXXXX")
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

# peer WHO [peer.py options]: WHO's certificate and key, one answer line.
peer() {
    local who=$1
    shift
    "$PYTHON" "$PEER" --cert "$work/$who.pem" --key "$work/$who.key" "$@" 127.0.0.1 "$ep_port" </dev/null
}

# expect_refused WHAT ANSWER OUT LOG_REGEX: the client's answer OUT matches
# the glob ANSWER (never ACCEPT), the daemon logged why, and the granted
# peer still logs in (mutually) afterwards.
expect_refused() {
    # shellcheck disable=SC2053
    [[ $3 == $2 ]] || fail "$1 got: $3"
    wait_log "$4"
    out=$(peer peer --once --pin "$work/HOST_A_cert.cer")
    [ "$out" = "ACCEPT" ] || fail "after $1 the granted peer got: $out"
}

# sclient WHO SUITES: openssl s_client offering only SUITES (TLS 1.3), sends
# our HELLO and hangs up a second later; prints what the endpoint answered.
sclient() {
    { "$PYTHON" "$PEER" --hello PEER; sleep 1; } |
        timeout 10 "$OPENSSL" s_client -quiet -no_ign_eof -connect "127.0.0.1:$ep_port" \
            -tls1_3 -ciphersuites "$2" -cert "$work/$1.pem" -key "$work/$1.key" \
            >"$work/sclient.out" 2>"$work/sclient.err" || true
    "$PYTHON" "$PEER" --read "$work/sclient.out"
}

# The daemon, on its own token.
(umask 077; printf '%s\n' "$ADMIN_PW" >"$work/admin.pw")
eval "$(bash "$SRC/scripts/softhsm-token.sh" "$work/hsm" HOST_A)"
export SOFTHSM2_CONF
"$MIRRORKEYD" init --data-dir "$work/data" --pkcs11-uri "$MK_TOKEN_URI" --admin-login admin \
    --admin-password-file "$work/admin.pw" --instance-name HOST_A >"$work/init.log" 2>&1 ||
    { cat "$work/init.log" >&2; fail "mirrorkeyd init"; }
"$MIRRORKEYD" run --data-dir "$work/data" --tds-listen 127.0.0.1:0 >"$log" 2>&1 </dev/null &
daemon=$!
pids+=("$daemon")
wait_log 'tds listening on 127\.0\.0\.1:[0-9]+' 600
tds_port=$(sed -n 's/.*tds listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p;T;q' "$log")
printf '[global]\n\ttds version = 7.4\n[HOST_A]\n\thost = 127.0.0.1\n\tport = %s\n\tencryption = require\n' \
    "$tds_port" >"$work/freetds.conf"

ep_port=$(free_port)
run "CREATE MASTER KEY ENCRYPTION BY PASSWORD = 'Mk-Passw0rd!2026';
CREATE CERTIFICATE HOST_A_cert WITH SUBJECT = 'HOST_A endpoint';
CREATE ENDPOINT Endpoint_Mirroring STATE = STARTED
  AS TCP (LISTENER_PORT = $ep_port, LISTENER_IP = ALL)
  FOR DATABASE_MIRRORING (AUTHENTICATION = CERTIFICATE HOST_A_cert,
    ENCRYPTION = REQUIRED ALGORITHM AES, ROLE = ALL);
BACKUP CERTIFICATE HOST_A_cert TO FILE = 'HOST_A_cert.cer';" >/dev/null
wait_log "endpoint HOST_A/Endpoint_Mirroring: listening on ALL:$ep_port \\(STARTED\\)"
cp "$work/data/files/HOST_A_cert.cer" "$work/"

# Software-key peers. "expired" is valid from 2020-01-01 to 2020-02-01:
# OpenSSL 3.0's req/x509 take only a positive -days, so openssl ca signs it
# (self-signed) with explicit dates.
for who in peer intruder stranger; do
    "$OPENSSL" req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$who" \
        -days 30 -keyout "$work/$who.key" -out "$work/$who.pem" 2>/dev/null
done
mkdir "$work/ca"
: >"$work/ca/index.txt"
cat >"$work/ca/ca.cnf" <<CNF
[ca]
default_ca = old
[old]
database = $work/ca/index.txt
new_certs_dir = $work/ca
serial = $work/ca/serial
default_md = sha256
policy = any
[any]
commonName = supplied
CNF
"$OPENSSL" req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=expired \
    -keyout "$work/expired.key" -out "$work/expired.csr" 2>/dev/null
"$OPENSSL" ca -batch -config "$work/ca/ca.cnf" -selfsign -keyfile "$work/expired.key" \
    -in "$work/expired.csr" -out "$work/expired.pem" -notext -create_serial \
    -startdate 20200101000000Z -enddate 20200201000000Z 2>"$work/ca.log" ||
    { cat "$work/ca.log" >&2; fail "openssl ca"; }
"$OPENSSL" x509 -in "$work/expired.pem" -noout -checkend 0 >/dev/null &&
    fail "the expired certificate is not expired"

# The seeds' inbound procedure for peer, stranger and expired; CONNECT for
# peer and expired only.
for who in peer stranger expired; do
    "$OPENSSL" x509 -in "$work/$who.pem" -outform DER -out "$work/data/files/$who.cer"
    run "CREATE LOGIN ${who}_login WITH PASSWORD = 'Peer-Passw0rd!1';
CREATE USER ${who}_user FOR LOGIN ${who}_login;
CREATE CERTIFICATE ${who}_cert AUTHORIZATION ${who}_user FROM FILE = '$who.cer';" >/dev/null
done
run "GRANT CONNECT ON ENDPOINT::Endpoint_Mirroring TO [peer_login];
GRANT CONNECT ON ENDPOINT::Endpoint_Mirroring TO [expired_login];" >/dev/null
out=$(peer peer --once --pin "$work/HOST_A_cert.cer")
[ "$out" = "ACCEPT" ] || fail "granted peer got: $out"
out=$(peer peer --once --pin "$work/data/files/peer.cer")
[ "$out" != "ACCEPT" ] || fail "the peer accepted an endpoint certificate that is not pinned"

# Catalog refusals.
set_mark
expect_refused intruder "REJECT 2" "$(peer intruder --once)" \
    "error 28035: inbound connection from .* refused: .*not in the catalog"
set_mark
expect_refused "imported peer without CONNECT" "REJECT 2" "$(peer stranger --once)" \
    "error 28034: inbound connection from .* refused: .*'stranger_login'"
set_mark
expect_refused "expired certificate" "REJECT 2" "$(peer expired --once)" \
    "error 28035: inbound connection from .* refused: .*'expired_cert' has expired"

# TLS refusals, the granted peer's certificate each time (only the TLS differs).
set_mark
expect_refused "TLS 1.2 client" "TLS_REFUSED*" "$(peer peer --tls12 --once)" \
    "refused in the TLS handshake: .*unsupported protocol"
out=$(sclient peer TLS_AES_256_GCM_SHA384)
[ "$out" = "ACCEPT" ] || fail "s_client with an AES-GCM suite got: $out"
set_mark
expect_refused "TLS_CHACHA20_POLY1305_SHA256-only client" NOTHING \
    "$(sclient peer TLS_CHACHA20_POLY1305_SHA256)" \
    "refused in the TLS handshake: .*no shared cipher"
set_mark
expect_refused "client without a certificate" "TLS_REFUSED*" \
    "$("$PYTHON" "$PEER" --once 127.0.0.1 "$ep_port" </dev/null)" \
    "refused in the TLS handshake: .*did not return a certificate"

# Token loss, twice (the re-initialised token layer notices the second loss
# too): SoftHSM2 finds a token by any directory name inside its store, so
# the token's directory moves out of the store, then back.
tokendir=$(dirname "$(grep -l HOST_A "$work"/hsm/tokens/*/token.object)")
for cycle in 1 2; do
    set_mark
    mv "$tokendir" "$work/hsm/HOST_A.away"
    out=$(peer peer --once)
    [[ "$out" == TLS_REFUSED* ]] || fail "loss $cycle: peer got while the token is away: $out"
    wait_log "endpoint HOST_A: token unavailable, the key of certificate 'HOST_A_cert' cannot sign .*refusing connections \\(fail closed\\)"
    out=$(peer peer --once)
    [[ "$out" == TLS_REFUSED* ]] || fail "loss $cycle: peer got on its second try: $out"
    away=$(tail -n +"$((mark + 1))" "$log")
    [ "$(grep -c 'token unavailable' <<<"$away")" -eq 1 ] || fail "loss $cycle: not logged once"
    grep -q 'refused in the TLS handshake' <<<"$away" && fail "a TLS handshake without the token"
    set_mark
    mv "$work/hsm/HOST_A.away" "$tokendir"
    out=$(peer peer --once --pin "$work/HOST_A_cert.cer")
    [ "$out" = "ACCEPT" ] || fail "loss $cycle: peer got once the token is back: $out"
    wait_log "endpoint HOST_A: token available again; accepting connections"
    wait_log "inbound connection .* logged in as 'peer_user'"
done
kill -0 "$daemon" 2>/dev/null || fail "the daemon exited"
[ "$(grep -c 'tds listening on' "$log")" -eq 1 ] || fail "the daemon restarted"
echo "endpoint daemon refusals test: OK"
