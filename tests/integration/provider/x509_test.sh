#!/usr/bin/env bash
# openssl req -new -x509 with token keys (RSA PKCS#1 v1.5, RSA-PSS, ECDSA):
# the provider supplies the signature AlgorithmIdentifier and signs the
# certificate on the token. Proves: x509 -text shows the expected algorithm,
# the certificate's public key is the token key's, and `openssl verify
# -check_ss_sig` (which checks a self-signed certificate's own signature)
# accepts the self-signed certificate with and without our provider loaded
# (with it, OpenSSL may route verification of default-provider keys to us);
# a certificate whose signature was altered is rejected.
source "$(dirname "$0")/lib.sh"

keygen rsa:2048 a1 x509-rsa
keygen EC:prime256v1 a2 x509-ec

rsa="pkcs11:token=provtest;object=x509-rsa;type=private$Q"
ec="pkcs11:token=provtest;object=x509-ec;type=private$Q"

# make NAME KEYURI EXPECTED-ALGORITHM [req options...]
make() {
    local name=$1 key=$2 alg=$3
    shift 3
    ossl req "${PROV[@]}" -new -x509 -key "$key" -subj "/CN=$name" -days 3 -out "$work/$name.pem" "$@" ||
        fail "req -new -x509 ($name)"
    openssl x509 -in "$work/$name.pem" -noout -text >"$work/$name.txt"
    expect_grep "Signature Algorithm: $alg" "$work/$name.txt"
    expect_grep "Subject: CN = $name" "$work/$name.txt"
    openssl x509 -in "$work/$name.pem" -noout -pubkey >"$work/$name.certpub"
    ossl pkey "${PROV[@]}" -in "$key" -pubout -out "$work/$name.keypub"
    cmp -s "$work/$name.certpub" "$work/$name.keypub" || fail "$name: certificate key is not the token key"
    openssl verify -check_ss_sig -CAfile "$work/$name.pem" "$work/$name.pem" >/dev/null || fail "verify $name"
    ossl verify "${PROV[@]}" -check_ss_sig -CAfile "$work/$name.pem" "$work/$name.pem" >/dev/null ||
        fail "verify $name with the provider loaded"
    # Flip one bit inside the signature value (the last bytes of the DER).
    openssl x509 -in "$work/$name.pem" -outform DER -out "$work/$name.der"
    python3 -c 'import sys;b=bytearray(open(sys.argv[1],"rb").read());b[-5]^=1;open(sys.argv[2],"wb").write(b)' \
        "$work/$name.der" "$work/$name.bad.der"
    openssl x509 -inform DER -in "$work/$name.bad.der" -out "$work/$name.bad.pem"
    for p in "" provider; do
        if ossl verify ${p:+"${PROV[@]}"} -check_ss_sig -CAfile "$work/$name.bad.pem" "$work/$name.bad.pem" \
            >/dev/null 2>&1; then
            fail "$name: a corrupted signature verified ${p:+(with the provider)}"
        fi
    done
}

make rsa-cert "$rsa" sha256WithRSAEncryption
make rsa-pss-cert "$rsa" rsassaPss -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:digest
expect_grep "Salt Length: 0x20" "$work/rsa-pss-cert.txt"
expect_grep "Mask Algorithm: mgf1 with sha256" "$work/rsa-pss-cert.txt"
make rsa-sha384-cert "$rsa" sha384WithRSAEncryption -sha384
make ec-cert "$ec" ecdsa-with-SHA256
make ec-sha512-cert "$ec" ecdsa-with-SHA512 -sha512
echo "x509_test: OK"
