#!/usr/bin/env bash
# TLS 1.3 with mutual certificate authentication where both sides' private
# keys are on the token: openssl s_server -Verify 1 and s_client, both with
# -key pkcs11:... . Run twice: RSA server (RSA-PSS CertificateVerify) with an
# ECDSA client, and ECDSA server with an RSA client. Proves: the handshake
# completes with TLSv1.3 ("Protocol  : TLSv1.3", a TLS 1.3 suite), each side
# verifies the other (client "Verification: OK", server "verify return:1"
# for the client chain), the expected CertificateVerify types are used, and application data crosses both
# ways (client -> server line seen by the server, server -> client line seen
# by the client). Ports are chosen by the kernel (-accept 127.0.0.1:0); every
# wait is bounded and servers are killed on exit.
source "$(dirname "$0")/lib.sh"

keygen rsa:2048 b1 tls-rsa
keygen EC:prime256v1 b2 tls-ec
rsa="pkcs11:token=provtest;object=tls-rsa;type=private$Q"
ec="pkcs11:token=provtest;object=tls-ec;type=private$Q"
ossl req "${PROV[@]}" -new -x509 -key "$rsa" -subj "/CN=tls-rsa" -days 2 -out "$work/rsa.pem" ||
    fail "RSA certificate"
ossl req "${PROV[@]}" -new -x509 -key "$ec" -subj "/CN=tls-ec" -days 2 -out "$work/ec.pem" ||
    fail "EC certificate"

# run_case NAME SERVERKEY SERVERCERT CLIENTKEY CLIENTCERT SERVER-SIG CLIENT-SIG CLIENT-CN [OPTS...]
# (OPTS go to both s_server and s_client; PROV says which providers, in which order.)
run_case() {
    local name=$1 skey=$2 scert=$3 ckey=$4 ccert=$5 ssig=$6 csig=$7 ccn=$8
    shift 8
    local extra=("$@")
    local d="$work/$name"
    mkdir -p "$d"
    mkfifo "$d/srv.in" "$d/cli.in"
    timeout 60 "${OSSL_RUN[@]}" s_server "${PROV[@]}" -accept 127.0.0.1:0 -naccept 1 -tls1_3 \
        "${extra[@]}" -cert "$scert" -key "$skey" -Verify 1 -CAfile "$ccert" -verify_return_error \
        <"$d/srv.in" >"$d/srv.out" 2>&1 &
    local spid=$!
    bg_pids+=("$spid")
    exec 7>"$d/srv.in" # the server's stdin stays open until we send Q
    wait_for "ACCEPT 127.0.0.1:" "$d/srv.out"
    local port
    port=$(sed -n 's/^ACCEPT 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' "$d/srv.out")
    [ -n "$port" ] || fail "$name: no port in the server output"

    timeout 60 "${OSSL_RUN[@]}" s_client "${PROV[@]}" -connect "127.0.0.1:$port" -tls1_3 \
        "${extra[@]}" -cert "$ccert" -key "$ckey" -CAfile "$scert" -verify_return_error -ign_eof \
        <"$d/cli.in" >"$d/cli.out" 2>&1 &
    local cpid=$!
    bg_pids+=("$cpid")
    exec 8>"$d/cli.in"
    printf 'ping-from-client-%s\n' "$name" >&8
    wait_for "ping-from-client-$name" "$d/srv.out" 300
    printf 'pong-from-server-%s\n' "$name" >&7
    wait_for "pong-from-server-$name" "$d/cli.out" 300
    printf 'Q\n' >&7 # server: close the connection and exit
    exec 7>&- 8>&-
    local i
    for ((i = 0; i < 200; i++)); do
        kill -0 "$spid" 2>/dev/null || break
        sleep 0.1
    done
    kill -0 "$spid" 2>/dev/null && fail "$name: the server did not exit"
    wait "$spid" || true
    for ((i = 0; i < 200; i++)); do
        kill -0 "$cpid" 2>/dev/null || break
        sleep 0.1
    done
    kill "$cpid" 2>/dev/null || true
    wait "$cpid" 2>/dev/null || true

    expect_grep "Verification: OK" "$d/cli.out"
    expect_grep "Protocol  : TLSv1.3" "$d/cli.out"
    expect_grep "Peer signature type: $ssig" "$d/cli.out"
    # s_server (without -brief, which would hide the ACCEPT line) reports the
    # verified client chain, the client's CertificateVerify type and a TLS 1.3 suite.
    expect_grep "verify return:1" "$d/srv.out"
    expect_grep "subject=CN = $ccn" "$d/srv.out"
    expect_grep "Peer signature type: $csig" "$d/srv.out"
    expect_grep "CIPHER is TLS_AES_" "$d/srv.out"
    if grep -q "verify error" "$d/srv.out"; then fail "$name: the server saw a verify error"; fi
    echo "tls_test: $name OK"
}

run_case rsa-server "$rsa" "$work/rsa.pem" "$ec" "$work/ec.pem" RSA-PSS ECDSA tls-ec
run_case ec-server "$ec" "$work/ec.pem" "$rsa" "$work/rsa.pem" ECDSA RSA-PSS tls-rsa
# With the default provider loaded first, its EC key management wins plain
# fetches, so ECDHE on P-256 is available next to the token keys (with
# mirrorkey first, libssl drops the NIST groups: see docs/provider.md).
PROV=(-provider-path "$MK_PROVIDER_DIR" -provider default -provider mirrorkey)
run_case default-first "$ec" "$work/ec.pem" "$rsa" "$work/rsa.pem" ECDSA RSA-PSS tls-rsa \
    -groups P-256
expect_grep "Server Temp Key: ECDH, prime256v1" "$work/default-first/cli.out"
echo "tls_test: OK"
