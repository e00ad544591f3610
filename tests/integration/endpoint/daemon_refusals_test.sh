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
# logins are mutual: both sides proved their keys in the handshake. The
# daemon, tsql and the seeds' procedures come from scripts/instances.sh.
#
# Environment: MIRRORKEYD, MK_SOURCE_DIR, MK_TSQL, MK_OPENSSL, MK_PYTHON.
set -euo pipefail

MIRRORKEYD=${MIRRORKEYD:?}
HOSTS_TO_SHOW=HOST_A
# shellcheck source=scripts/instances.sh
source "${MK_SOURCE_DIR:?}/scripts/instances.sh"
scenario_init mk-epr
PEER=$SRC/tests/integration/endpoint/peer.py
log=$work/HOST_A/mirrorkeyd.log

# peer WHO [peer.py options]: WHO's certificate and key, one answer line.
peer() {
    "$PYTHON" "$PEER" --cert "$work/$1/cert.pem" --key "$work/$1/key.pem" "${@:2}" \
        127.0.0.1 "$ep_port" </dev/null
}

# expect_refused WHAT ANSWER OUT LOG_REGEX: the client's answer OUT matches
# the glob ANSWER (never ACCEPT), the daemon logged why (after line $mark),
# and the granted peer still logs in (mutually) afterwards.
expect_refused() {
    # shellcheck disable=SC2053
    [[ $3 == $2 ]] || fail "$1 got: $3"
    log_after HOST_A "$mark" "$4" 5
    out=$(peer peer --once --pin "$pin")
    [ "$out" = "ACCEPT" ] || fail "after $1 the granted peer got: $out"
}

# sclient WHO SUITES: openssl s_client offering only SUITES (TLS 1.3), sends
# our HELLO and hangs up a second later; prints what the endpoint answered.
sclient() {
    { "$PYTHON" "$PEER" --hello PEER; sleep 1; } |
        timeout 10 "$OPENSSL" s_client -quiet -no_ign_eof -connect "127.0.0.1:$ep_port" \
            -tls1_3 -ciphersuites "$2" -cert "$work/$1/cert.pem" -key "$work/$1/key.pem" \
            >"$work/sclient.out" 2>"$work/sclient.err" || true
    "$PYTHON" "$PEER" --read "$work/sclient.out"
}

# The daemon, on its own token; the seeds' outbound procedure (certificate on
# the token, endpoint, BACKUP CERTIFICATE: the .cer the peer pins).
start_host HOST_A
seed_outbound HOST_A ALL
ep_port=${EP_PORT[HOST_A]}
log_after HOST_A 0 "endpoint HOST_A/Endpoint_Mirroring: listening on ALL:$ep_port \\(STARTED\\)" 5
cp "$work/HOST_A/data/files/HOST_A_cert.cer" "$work/"
pin=$work/HOST_A_cert.cer

# Software-key peers. "expired" is valid from 2020-01-01 to 2020-02-01:
# OpenSSL 3.0's req/x509 take only a positive -days, so openssl ca signs it
# (self-signed) with explicit dates.
for who in peer intruder stranger; do soft_peer "$who"; done
mkdir -p "$work/ca" "$work/expired/data/files"
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
    -keyout "$work/expired/key.pem" -out "$work/expired.csr" 2>/dev/null
"$OPENSSL" ca -batch -config "$work/ca/ca.cnf" -selfsign -keyfile "$work/expired/key.pem" \
    -in "$work/expired.csr" -out "$work/expired/cert.pem" -notext -create_serial \
    -startdate 20200101000000Z -enddate 20200201000000Z 2>"$work/ca.log" ||
    { cat "$work/ca.log" >&2; fail "openssl ca"; }
"$OPENSSL" x509 -in "$work/expired/cert.pem" -noout -checkend 0 >/dev/null &&
    fail "the expired certificate is not expired"
"$OPENSSL" x509 -in "$work/expired/cert.pem" -outform DER -out "$work/expired/data/files/expired_cert.cer"

# The seeds' inbound procedure for peer, stranger and expired; CONNECT for
# peer and expired only.
seed_inbound HOST_A peer
seed_inbound HOST_A stranger nogrant
seed_inbound HOST_A expired
out=$(peer peer --once --pin "$pin")
[ "$out" = "ACCEPT" ] || fail "granted peer got: $out"
out=$(peer peer --once --pin "$work/peer/data/files/peer_cert.cer")
[ "$out" != "ACCEPT" ] || fail "the peer accepted an endpoint certificate that is not pinned"

# Catalog refusals.
mark=$(log_mark HOST_A)
expect_refused intruder "REJECT 2" "$(peer intruder --once)" \
    "error 28035: inbound connection from .* refused: .*not in the catalog"
mark=$(log_mark HOST_A)
expect_refused "imported peer without CONNECT" "REJECT 2" "$(peer stranger --once)" \
    "error 28034: inbound connection from .* refused: .*'stranger_login'"
mark=$(log_mark HOST_A)
expect_refused "expired certificate" "REJECT 2" "$(peer expired --once)" \
    "error 28035: inbound connection from .* refused: .*'expired_cert' has expired"

# TLS refusals, the granted peer's certificate each time (only the TLS differs).
mark=$(log_mark HOST_A)
expect_refused "TLS 1.2 client" "TLS_REFUSED*" "$(peer peer --tls12 --once)" \
    "refused in the TLS handshake: .*unsupported protocol"
out=$(sclient peer TLS_AES_256_GCM_SHA384)
[ "$out" = "ACCEPT" ] || fail "s_client with an AES-GCM suite got: $out"
mark=$(log_mark HOST_A)
expect_refused "TLS_CHACHA20_POLY1305_SHA256-only client" NOTHING \
    "$(sclient peer TLS_CHACHA20_POLY1305_SHA256)" \
    "refused in the TLS handshake: .*no shared cipher"
mark=$(log_mark HOST_A)
expect_refused "client without a certificate" "TLS_REFUSED*" \
    "$("$PYTHON" "$PEER" --once 127.0.0.1 "$ep_port" </dev/null)" \
    "refused in the TLS handshake: .*did not return a certificate"

# Token loss, twice (the re-initialised token layer notices the second loss
# too): SoftHSM2 finds a token by any directory name inside its store, so
# the token's directory moves out of the store, then back.
tokendir=$(dirname "$(grep -l HOST_A "$work"/HOST_A/hsm/tokens/*/token.object)")
for cycle in 1 2; do
    mark=$(log_mark HOST_A)
    mv "$tokendir" "$work/HOST_A/hsm/HOST_A.away"
    out=$(peer peer --once)
    [[ "$out" == TLS_REFUSED* ]] || fail "loss $cycle: peer got while the token is away: $out"
    log_after HOST_A "$mark" "endpoint HOST_A: token unavailable, the key of certificate 'HOST_A_cert' cannot sign .*refusing connections \\(fail closed\\)" 5
    out=$(peer peer --once)
    [[ "$out" == TLS_REFUSED* ]] || fail "loss $cycle: peer got on its second try: $out"
    away=$(tail -n +"$((mark + 1))" "$log")
    [ "$(grep -c 'token unavailable' <<<"$away")" -eq 1 ] || fail "loss $cycle: not logged once"
    grep -q 'refused in the TLS handshake' <<<"$away" && fail "a TLS handshake without the token"
    mark=$(log_mark HOST_A)
    mv "$work/HOST_A/hsm/HOST_A.away" "$tokendir"
    out=$(peer peer --once --pin "$pin")
    [ "$out" = "ACCEPT" ] || fail "loss $cycle: peer got once the token is back: $out"
    log_after HOST_A "$mark" "endpoint HOST_A: token available again; accepting connections" 5
    log_after HOST_A "$mark" "inbound connection .* logged in as 'peer_user'" 5
done
kill -0 "${HOST_PID[HOST_A]}" 2>/dev/null || fail "the daemon exited"
[ "$(grep -c 'tds listening on' "$log")" -eq 1 ] || fail "the daemon restarted"
echo "endpoint daemon refusals test: OK"
