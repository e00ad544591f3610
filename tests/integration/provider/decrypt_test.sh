#!/usr/bin/env bash
# RSA decryption with a token key: data encrypted by the default provider with
# the exported public key is decrypted through the provider with OAEP
# (SHA-1 and SHA-256, MGF1 = hash or different, with and without a label)
# and PKCS#1 v1.5. Proves: each plaintext comes back exactly; a wrong label,
# a wrong OAEP digest and a corrupted ciphertext are rejected; encryption
# through the provider (public key in software) decrypts on the token.
source "$(dirname "$0")/lib.sh"

keygen rsa:2048 c1 dec-rsa
key="pkcs11:token=provtest;object=dec-rsa;type=private$Q"
ossl pkey "${PROV[@]}" -in "$key" -pubout -out "$work/pub.pem" || fail "pkey -pubout"
printf 'the plaintext %s\n' "$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')" >"$work/plain"

# roundtrip NAME OPTS...: encrypt in the default provider, decrypt on the token.
roundtrip() {
    local name=$1
    shift
    openssl pkeyutl -encrypt -pubin -inkey "$work/pub.pem" -in "$work/plain" -out "$work/$name.ct" "$@" ||
        fail "encrypt $name"
    ossl pkeyutl "${PROV[@]}" -decrypt -inkey "$key" -in "$work/$name.ct" -out "$work/$name.pt" "$@" ||
        fail "decrypt $name"
    cmp -s "$work/plain" "$work/$name.pt" || fail "$name: wrong plaintext"
}
# must_fail NAME CIPHERTEXT OPTS...
must_fail() {
    local name=$1 ct=$2
    shift 2
    if ossl pkeyutl "${PROV[@]}" -decrypt -inkey "$key" -in "$ct" -out "$work/x.pt" "$@" \
        2>"$work/$name.err"; then
        fail "$name: decryption should have failed"
    fi
    expect_grep "decryption failed" "$work/$name.err"
}

oaep=(-pkeyopt rsa_padding_mode:oaep)
roundtrip pkcs1
roundtrip pkcs1-explicit -pkeyopt rsa_padding_mode:pkcs1
roundtrip oaep-sha1 "${oaep[@]}"
roundtrip oaep-sha1-label "${oaep[@]}" -pkeyopt rsa_oaep_label:0a0b0c
roundtrip oaep-sha256 "${oaep[@]}" -pkeyopt rsa_oaep_md:sha256
roundtrip oaep-sha256-label "${oaep[@]}" -pkeyopt rsa_oaep_md:sha256 -pkeyopt rsa_oaep_label:00ff
roundtrip oaep-sha256-mgf1sha1 "${oaep[@]}" -pkeyopt rsa_oaep_md:sha256 -pkeyopt rsa_mgf1_md:sha1
roundtrip oaep-sha384 "${oaep[@]}" -pkeyopt rsa_oaep_md:sha384

must_fail wrong-label "$work/oaep-sha1-label.ct" "${oaep[@]}" -pkeyopt rsa_oaep_label:0a0b0d
must_fail missing-label "$work/oaep-sha256-label.ct" "${oaep[@]}" -pkeyopt rsa_oaep_md:sha256
must_fail extra-label "$work/oaep-sha1.ct" "${oaep[@]}" -pkeyopt rsa_oaep_label:01
must_fail wrong-digest "$work/oaep-sha256.ct" "${oaep[@]}" -pkeyopt rsa_oaep_md:sha1
must_fail oaep-as-pkcs1 "$work/oaep-sha1.ct"
python3 -c 'import sys;b=bytearray(open(sys.argv[1],"rb").read());b[7]^=0x40;open(sys.argv[2],"wb").write(b)' \
    "$work/pkcs1.ct" "$work/bad.ct"
must_fail corrupted "$work/bad.ct"

# Encryption through the provider (software, public half) and decryption on the token.
ossl pkeyutl "${PROV[@]}" -encrypt -inkey "$key" -in "$work/plain" -out "$work/p.ct" "${oaep[@]}" \
    -pkeyopt rsa_oaep_md:sha256 || fail "encrypt through the provider"
ossl pkeyutl "${PROV[@]}" -decrypt -inkey "$key" -in "$work/p.ct" -out "$work/p.pt" "${oaep[@]}" \
    -pkeyopt rsa_oaep_md:sha256 || fail "decrypt provider-encrypted data"
cmp -s "$work/plain" "$work/p.pt" || fail "provider encryption round trip"
echo "decrypt_test: OK"
