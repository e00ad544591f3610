#!/usr/bin/env bash
# mirrorkey demo: the key ceremony for three instances (HOST_A, HOST_B and a
# WITNESS), each on its own SoftHSM2 token, then their endpoints
# authenticating each other with TLS 1.3, mutual certificates and private keys
# that never leave the tokens, and an intruder refused.
#
# Installs what it needs and builds first. Everything happens in a temporary
# directory on 127.0.0.1 and is removed at the end (MK_DEMO_KEEP=1 keeps it).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

scripts/install-deps.sh
cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$root/build" -j"$(nproc 2>/dev/null || echo 2)" --target mirrorkey mirrorkey_provider >/dev/null

mk="$root/build/bin/mirrorkey"
prov=(-provider-path "$root/build/provider" -provider default -provider mirrorkey)
work=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    if [ "${MK_DEMO_KEEP:-0}" = "1" ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

step() { printf '\n== %s\n' "$*"; }

# One token per instance; key pair generated on the token; only the public
# certificate is written to disk.
ceremony() {
    local name=$1
    step "$name: key ceremony on its own token"
    (
        eval "$(scripts/softhsm-token.sh "$work/$name/hsm" "$name")"
        "$mk" token keygen --uri "$MK_TOKEN_URI" --label "${name}_cert" --type rsa --bits 3072
        local key="pkcs11:token=$name;object=${name}_cert;type=private?module-path=$MK_MODULE&pin-source=file:$MK_PIN_FILE"
        openssl req -new -x509 "${prov[@]}" -key "$key" -sha256 -days 365 \
            -subj "/CN=$name certificate for database mirroring" -outform DER \
            -out "$work/${name}_cert.cer"
        openssl x509 -inform DER -in "$work/${name}_cert.cer" -out "$work/${name}_cert.pem"
        printf 'SOFTHSM2_CONF=%q\nKEY=%q\n' "$SOFTHSM2_CONF" "$key" >"$work/$name/env"
        echo "exported $work/${name}_cert.cer (public certificate only):"
        openssl x509 -inform DER -in "$work/${name}_cert.cer" -noout -subject -enddate
    )
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Start an endpoint for $1 that trusts exactly the certificates listed after it.
endpoint() {
    local name=$1 port=$2
    shift 2
    cat "$@" >"$work/$name/peers.pem"
    # shellcheck disable=SC1090
    (source "$work/$name/env"; export SOFTHSM2_CONF
     exec openssl s_server "${prov[@]}" -accept "127.0.0.1:$port" -naccept 3 -tls1_3 \
        -ciphersuites TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256 \
        -cert "$work/${name}_cert.pem" -key "$KEY" -Verify 1 -verify_return_error \
        -CAfile "$work/$name/peers.pem" -rev) >"$work/$name/server.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 50); do
        grep -q ACCEPT "$work/$name/server.log" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "endpoint $name did not start"; cat "$work/$name/server.log"; return 1
}

# $1 connects to $2's endpoint on port $3 and sends a message.
connect() {
    local from=$1 to=$2 port=$3
    # shellcheck disable=SC1090
    (source "$work/$from/env"; export SOFTHSM2_CONF
     # Send a line, give the answer a moment, then close stdin (s_client quits).
     (echo "HELLO from $from"; sleep 1) | timeout 20 openssl s_client "${prov[@]}" \
        -connect "127.0.0.1:$port" -tls1_3 -cert "$work/${from}_cert.pem" -key "$KEY" \
        -CAfile "$work/${to}_cert.pem" -verify_return_error -brief 2>&1) || true
}

cat <<'TXT'
mirrorkey demo. The keys are made and kept on SoftHSM2 tokens through the
mirrorkey PKCS#11 layer; certificates are signed on the tokens through the
mirrorkey OpenSSL provider. Until mirrorkeyd's mirroring endpoint lands, the
endpoints here are `openssl s_server`/`s_client` with the same provider and
the endpoint's TLS policy (TLS 1.3, AES-GCM only, mutual certificates).
TXT
ceremony HOST_A
ceremony HOST_B
ceremony WITNESS
ceremony INTRUDER

step "HOST_A's endpoint trusts the certificates copied from HOST_B and WITNESS"
port=$(free_port)
endpoint HOST_A "$port" "$work/HOST_B_cert.pem" "$work/WITNESS_cert.pem"

for peer in HOST_B WITNESS; do
    step "$peer connects to HOST_A (TLS 1.3, both keys on tokens)"
    out=$(connect "$peer" HOST_A "$port")
    echo "$out" | grep -E "^(Protocol version|Ciphersuite|Verification|Peer certificate):" || true
    echo "$out" | grep -qx "$(echo "HELLO from $peer" | rev)" ||
        { echo "no answer from HOST_A"; echo "$out"; exit 1; }
    echo "HOST_A answered over the encrypted channel: $(echo "HELLO from $peer" | rev)"
done

step "INTRUDER, with its own valid certificate that nobody imported, is refused"
if out=$(connect INTRUDER HOST_A "$port") && echo "$out" | grep -q "morf OLLEH"; then
    echo "UNEXPECTED: the intruder got through"; exit 1
fi
echo "refused by HOST_A: $(grep -m1 -iE 'verify error|certificate verify failed|unknown ca' \
    "$work/HOST_A/server.log" || echo 'handshake failed') (not among the imported peer certificates)"

step "Files written outside the token stores"
find "$work" -path "*/hsm" -prune -o -name '*.cer' -print -o -name "*.pem" -print | sed "s|$work/||" | sort
echo "only public certificates; the private keys stayed on the tokens."
