#!/usr/bin/env bash
# The STORE side: one URI naming a key pair and its certificate (same
# CKA_ID) yields the private key, the public key and the certificate, in that
# order (`openssl storeutl`); type= narrows it. Proves: the certificate read
# through the provider is byte-identical to the one written with pkcs11-tool;
# a public-key object loads as a public key equal to the private key's
# public half; an id-only URI and a label-only URI find the same objects.
source "$(dirname "$0")/lib.sh"

keygen rsa:2048 31 st-rsa
key="pkcs11:token=provtest;object=st-rsa;type=private$Q"
ossl req "${PROV[@]}" -new -x509 -key "$key" -subj "/CN=st-rsa" -days 2 -out "$work/cert.pem" ||
    fail "certificate"
openssl x509 -in "$work/cert.pem" -outform DER -out "$work/cert.der"
p11tool --write-object "$work/cert.der" --type cert --id 31 --label st-rsa >/dev/null 2>&1 ||
    fail "pkcs11-tool --write-object"

ossl storeutl "${PROV[@]}" "pkcs11:token=provtest;id=%31$Q" >"$work/all.txt" || fail "storeutl"
expect_grep "0: Pkey" "$work/all.txt"
expect_grep "1: Public key" "$work/all.txt"
expect_grep "2: Certificate" "$work/all.txt"
expect_grep "Total found: 3" "$work/all.txt"

ossl storeutl "${PROV[@]}" "pkcs11:token=provtest;object=st-rsa;type=cert$Q" >"$work/cert.txt" ||
    fail "storeutl type=cert"
expect_grep "Total found: 1" "$work/cert.txt"

ossl x509 "${PROV[@]}" -in "pkcs11:token=provtest;object=st-rsa;type=cert$Q" -outform DER \
    -out "$work/token-cert.der" || fail "x509 -in pkcs11:...;type=cert"
cmp -s "$work/cert.der" "$work/token-cert.der" || fail "the certificate read back differs"

ossl pkey "${PROV[@]}" -pubin -in "pkcs11:token=provtest;id=%31;type=public$Q" -pubout \
    -out "$work/pubobj.pem" || fail "public key object"
ossl pkey "${PROV[@]}" -in "$key" -pubout -out "$work/priv-pub.pem" || fail "private key's public half"
cmp -s "$work/pubobj.pem" "$work/priv-pub.pem" || fail "public key object differs"
openssl x509 -in "$work/cert.pem" -noout -pubkey | cmp -s - "$work/pubobj.pem" ||
    fail "certificate key differs"
echo "store_test: OK"
