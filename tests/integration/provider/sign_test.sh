#!/usr/bin/env bash
# openssl pkey -pubout and pkeyutl -sign / dgst -sign with token keys made by
# pkcs11-tool: RSA-2048 with a label, RSA-3072 without a label and with an id
# of URI-special bytes ('/', '?', '%', ' '), EC P-256 and P-384. Proves: the
# public key the provider exports equals the one pkcs11-tool reads; RSA
# PKCS#1 v1.5, RSA-PSS (salt "digest", "max", "auto", a number) and ECDSA
# signatures made on the token verify in the default provider alone and
# through the provider's own verify; a tampered signature or a non-digest
# input fails; an impossible salt length is refused; a mechanism the token
# refuses is reported with the Cryptoki reason.
source "$(dirname "$0")/lib.sh"

keygen rsa:2048 01 rsa-label
keygen rsa:3072 2f3f2520
keygen EC:prime256v1 02 ec-label
keygen EC:secp384r1 ff00

declare -A uri=(
    [rsa]="pkcs11:token=provtest;object=rsa-label$Q"
    [odd]="pkcs11:token=provtest;id=%2F%3F%25%20$Q"
    [ec]="pkcs11:token=provtest;id=%02;type=private$Q"
    [ec384]="pkcs11:token=provtest;id=%FF%00$Q"
)
declare -A hexid=([rsa]=01 [odd]=2f3f2520 [ec]=02 [ec384]=ff00)

for k in rsa odd ec; do
    ossl pkey "${PROV[@]}" -in "${uri[$k]}" -pubout -out "$work/$k.pub" || fail "pkey -pubout $k"
    pubkey_of "${hexid[$k]}" "$work/$k.tool.pub"
    cmp -s "$work/$k.pub" "$work/$k.tool.pub" || fail "$k: exported public key differs from pkcs11-tool's"
done
# pkcs11-tool (OpenSC 0.23) cannot export P-384 public keys ("cannot create
# EVP_PKEY"): compare the point it lists with the one in our export instead.
ossl pkey "${PROV[@]}" -in "${uri[ec384]}" -pubout -out "$work/ec384.pub" || fail "pkey -pubout ec384"
tool_point=$(p11tool --list-objects --type pubkey --id ff00 2>/dev/null |
    sed -n 's/^ *EC_POINT: *0461\(04[0-9a-f]*\)$/\1/p')
our_point=$(openssl pkey -pubin -in "$work/ec384.pub" -outform DER | tail -c 97 | od -An -tx1 | tr -d ' \n')
[ ${#tool_point} = 194 ] || fail "no P-384 point from pkcs11-tool"
[ "$tool_point" = "$our_point" ] || fail "ec384: exported point differs from the token's"

# The private half never leaves: printing the private key must fail.
if ossl pkey "${PROV[@]}" -in "${uri[rsa]}" -out "$work/priv.pem" 2>/dev/null; then
    fail "the private key was exported"
fi

printf 'message signed on the token\n' >"$work/msg"
openssl dgst -sha256 -binary "$work/msg" >"$work/h256"
openssl dgst -sha384 -binary "$work/msg" >"$work/h384"

flip() { python3 -c 'import sys;b=bytearray(open(sys.argv[1],"rb").read());b[len(b)//2]^=1;open(sys.argv[2],"wb").write(b)' "$1" "$2"; }

# sign_verify KEY HASHFILE PKEYOPTS...: pkeyutl on pre-hashed input.
sign_verify() {
    local k=$1 h=$2
    shift 2
    ossl pkeyutl "${PROV[@]}" -sign -inkey "${uri[$k]}" -in "$h" -out "$work/sig" "$@" ||
        fail "pkeyutl -sign $k $*"
    openssl pkeyutl -verify -pubin -inkey "$work/$k.pub" -in "$h" -sigfile "$work/sig" "$@" \
        >/dev/null || fail "default provider rejects the $k signature ($*)"
    ossl pkeyutl "${PROV[@]}" -verify -inkey "${uri[$k]}" -in "$h" -sigfile "$work/sig" "$@" \
        >/dev/null || fail "provider verify rejects the $k signature ($*)"
    flip "$work/sig" "$work/sig.bad"
    if openssl pkeyutl -verify -pubin -inkey "$work/$k.pub" -in "$h" -sigfile "$work/sig.bad" "$@" \
        >/dev/null 2>&1; then
        fail "tampered $k signature verified ($*)"
    fi
    if ossl pkeyutl "${PROV[@]}" -verify -inkey "${uri[$k]}" -in "$h" -sigfile "$work/sig.bad" "$@" \
        >/dev/null 2>&1; then
        fail "provider verify accepted a tampered $k signature ($*)"
    fi
}

sign_verify rsa "$work/h256" -pkeyopt digest:sha256
sign_verify rsa "$work/h256"   # raw PKCS#1 v1.5 block, no DigestInfo
for salt in digest max auto 17; do
    sign_verify rsa "$work/h256" -pkeyopt digest:sha256 -pkeyopt rsa_padding_mode:pss \
        -pkeyopt rsa_pss_saltlen:$salt
done
# SoftHSM2 2.6 only does PSS with MGF1 over the same hash: its refusal must
# surface with the Cryptoki function and reason.
if ossl pkeyutl "${PROV[@]}" -sign -inkey "${uri[rsa]}" -in "$work/h256" -out "$work/sig" \
    -pkeyopt digest:sha256 -pkeyopt rsa_padding_mode:pss -pkeyopt rsa_mgf1_md:sha1 2>"$work/err"; then
    openssl pkeyutl -verify -pubin -inkey "$work/rsa.pub" -in "$work/h256" -sigfile "$work/sig" \
        -pkeyopt digest:sha256 -pkeyopt rsa_padding_mode:pss -pkeyopt rsa_mgf1_md:sha1 \
        >/dev/null || fail "PSS with MGF1-SHA1: bad signature"
else
    expect_grep "C_SignInit failed: CKR_" "$work/err"
fi
sign_verify odd "$work/h384" -pkeyopt digest:sha384
sign_verify odd "$work/h256" -pkeyopt digest:sha256 -pkeyopt rsa_padding_mode:pss \
    -pkeyopt rsa_pss_saltlen:digest
sign_verify ec "$work/h256"
sign_verify ec "$work/h256" -pkeyopt digest:sha256
sign_verify ec384 "$work/h384" -pkeyopt digest:sha384

# A PSS salt longer than emLen - hLen - 2 (222 for RSA-2048/SHA-256) is refused.
if ossl pkeyutl "${PROV[@]}" -sign -inkey "${uri[rsa]}" -in "$work/h256" -out "$work/sig" \
    -pkeyopt digest:sha256 -pkeyopt rsa_padding_mode:pss -pkeyopt rsa_pss_saltlen:223 \
    2>"$work/err"; then
    fail "salt length 223 accepted"
fi
expect_grep "exceeds the maximum 222" "$work/err"
# Input that is not a digest of the stated size is refused, not signed.
if ossl pkeyutl "${PROV[@]}" -sign -inkey "${uri[rsa]}" -in "$work/msg" -out "$work/sig" \
    -pkeyopt digest:sha256 2>"$work/err"; then
    fail "a non-digest input was signed as SHA-256"
fi
expect_grep "not a SHA2-256 digest" "$work/err"

# Digest-and-sign (EVP_DigestSign): dgst -sign, verified by dgst -verify.
dgst_sign() {
    local k=$1 md=$2
    shift 2
    ossl dgst "${PROV[@]}" "-$md" -sign "${uri[$k]}" -out "$work/dsig" "$@" "$work/msg" ||
        fail "dgst -sign $k $md $*"
    openssl dgst "-$md" -verify "$work/$k.pub" -signature "$work/dsig" "$@" "$work/msg" \
        >/dev/null || fail "dgst -verify $k $md $*"
}
dgst_sign rsa sha256
dgst_sign rsa sha512 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:max
dgst_sign odd sha256 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:digest
dgst_sign ec sha256
dgst_sign ec384 sha384
echo "sign_test: OK"
