#!/usr/bin/env bash
# Signed ceremony transcripts with operator keys on a fresh SoftHSM2 token.
# Keys come from `mirrorkey token keygen` (EC and RSA), their self-signed
# certificates from `openssl req` through the mirrorkey provider; the EC
# certificate is stored on the token under the key's CKA_ID, the RSA one is
# only a file. transcript_sign_tool writes transcripts and signs them
# (mkt_sign). Proves: `mirrorkey transcript verify` and `openssl cms -verify`
# (-noverify, and -CAfile with the signer) accept both signatures (token
# certificate object, and the certificate-file fallback, PEM and DER); a
# flipped byte anywhere in the file fails both; --cert with another
# certificate fails; no certificate, a certificate of another key, an
# existing signature file, a pin-value URI and a broken chain are refused.
#
# Arguments: mirrorkey, transcript_sign_tool, scripts/softhsm-token.sh, the
# directory holding mirrorkey.so. MK_ASAN_RUNTIME (sanitizer builds): the
# runtime to preload into the system openssl when it loads our provider.
set -uo pipefail
mk=$1
tool=$2
softhsm_token=$3
provider_dir=$4
work=$(mktemp -d "${TMPDIR:-/tmp}/mkt-sign-XXXXXX")
trap 'rm -rf "$work"' EXIT
eval "$("$softhsm_token" "$work/hsm" transcript)"
Q="?module-path=$MK_MODULE&pin-source=file:$MK_PIN_FILE"

fails=0
passes=0
ok() { passes=$((passes + 1)); }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }
check() { # name, expected exit code, command...
    local name=$1 want=$2
    shift 2
    "$@" >"$work/out" 2>"$work/err"
    local got=$?
    if [ "$got" -ne "$want" ]; then
        bad "$name: exit $got, want $want"; cat "$work/out" "$work/err"
    else
        ok
    fi
}
expect_out() { # name, pattern (in stdout+stderr of the last check)
    if grep -qE -- "$2" "$work/out" "$work/err"; then ok; else
        bad "$1: no '$2' in output"; cat "$work/out" "$work/err"; fi
}

# openssl with our provider; a sanitizer-built provider needs the ASan runtime first.
ossl_prov() {
    local run=(env)
    if [ -n "${MK_ASAN_RUNTIME:-}" ]; then
        run+=("LD_PRELOAD=$MK_ASAN_RUNTIME" "ASAN_OPTIONS=detect_leaks=0:abort_on_error=1")
    fi
    "${run[@]}" openssl "$@" -provider-path "$provider_dir" -provider default -provider mirrorkey
}
cms_verify() { # file sig [extra openssl options]
    local f=$1 s=$2
    shift 2
    openssl cms -verify -binary -inform DER -in "$s" -content "$f" -out /dev/null "$@"
}

# make_operator TYPE: key pair op-TYPE on the token, its self-signed certificate in op-TYPE.pem/.der.
make_operator() {
    local t=$1 extra=()
    [ "$t" = rsa ] && extra=(--bits 2048)
    "$mk" token keygen --uri "$MK_TOKEN_URI" --label "op-$t" --type "$t" "${extra[@]}" >"$work/keygen-$t" 2>&1 ||
        { cat "$work/keygen-$t"; bad "keygen $t"; exit 1; }
    sed -n "s/^generated .* id \([0-9a-f]*\)$/\1/p" "$work/keygen-$t" >"$work/id-$t"
    [ -s "$work/id-$t" ] || { cat "$work/keygen-$t"; bad "no id for op-$t"; exit 1; }
    ossl_prov req -new -x509 -key "pkcs11:token=transcript;object=op-$t;type=private$Q" \
        -subj "/CN=op-$t" -days 30 -out "$work/op-$t.pem" >"$work/req-$t" 2>&1 ||
        { cat "$work/req-$t"; bad "req $t"; exit 1; }
    openssl x509 -in "$work/op-$t.pem" -outform DER -out "$work/op-$t.der"
}
make_operator ec
make_operator rsa
# Only the EC certificate goes on the token. pkcs11-tool wants the PIN on its
# command line: acceptable for this throwaway token only.
pkcs11-tool --module "$MK_MODULE" --login --pin "$(cat "$MK_PIN_FILE")" --write-object "$work/op-ec.der" \
    --type cert --id "$(cat "$work/id-ec")" --label op-ec >/dev/null 2>&1 || bad "importing the EC certificate"

ec_uri="pkcs11:token=transcript;object=op-ec;type=private$Q"
rsa_uri="pkcs11:token=transcript;object=op-rsa$Q"

# --- EC key, certificate from the token ---
f=$work/ec.jsonl
check write-ec 0 "$tool" write "$f" 5
check sign-ec 0 "$tool" sign "$f" "$ec_uri" "$f.p7s"
check verify-ec 0 "$mk" transcript verify "$f"
expect_out verify-ec-msg "5 lines, chain ok, signature ok \(signer CN=op-ec\)"
check verify-ec-cert 0 "$mk" transcript verify "$f" --cert "$work/op-ec.pem"
check verify-ec-cert-der 0 "$mk" transcript verify "$f" --signature "$f.p7s" --cert "$work/op-ec.der"
check verify-ec-other 1 "$mk" transcript verify "$f" --cert "$work/op-rsa.pem"
expect_out verify-ec-other-msg "signature"
check cms-ec-noverify 0 cms_verify "$f" "$f.p7s" -noverify
check cms-ec-cafile 0 cms_verify "$f" "$f.p7s" -CAfile "$work/op-ec.pem" -purpose any
check cms-ec-wrong-ca 4 cms_verify "$f" "$f.p7s" -CAfile "$work/op-rsa.pem" -purpose any
openssl cms -cmsout -print -inform DER -in "$f.p7s" >"$work/ec.print" 2>&1
grep -q "algorithm: sha256" "$work/ec.print" && ok || bad "EC signature does not use SHA-256"
grep -q "algorithm: ecdsa-with-SHA256" "$work/ec.print" && ok || bad "EC signature is not ecdsa-with-SHA256"
grep -q "eContent: <ABSENT>" "$work/ec.print" && ok || bad "EC signature is not detached"

# A signature is never overwritten.
cp "$f.p7s" "$work/keep.p7s"
check sign-exists 1 "$tool" sign "$f" "$ec_uri" "$f.p7s"
expect_out sign-exists-msg "File exists"
cmp -s "$f.p7s" "$work/keep.p7s" && ok || bad "existing signature changed"

# A flipped byte in the first, a middle and the last line: both verifiers refuse.
for off in 10 400 -20; do
    cp "$f" "$work/tampered.jsonl"
    cp "$f.p7s" "$work/tampered.jsonl.p7s"
    python3 - "$work/tampered.jsonl" "$off" <<'PY'
import sys
p, off = sys.argv[1], int(sys.argv[2])
b = bytearray(open(p, "rb").read())
i = off if off >= 0 else len(b) + off
b[i] = ord("X") if b[i] != ord("X") else ord("Y")
open(p, "wb").write(b)
PY
    check "verify-tampered-$off" 1 "$mk" transcript verify "$work/tampered.jsonl"
    [ "$(wc -l <"$work/err")" -eq 1 ] && ok || bad "tampered $off: not one line"
    check "cms-tampered-$off" 4 cms_verify "$work/tampered.jsonl" "$work/tampered.jsonl.p7s" -noverify
done

# --- RSA key: no certificate on the token, so the certificate file is needed ---
f=$work/rsa.jsonl
check write-rsa 0 "$tool" write "$f" 3
check sign-rsa-nocert 1 "$tool" sign "$f" "$rsa_uri" "$f.p7s"
expect_out sign-rsa-nocert-msg "no signer certificate"
[ ! -e "$f.p7s" ] && ok || bad "failed signing left $f.p7s"
check sign-rsa-wrongcert 1 "$tool" sign "$f" "$rsa_uri" "$f.p7s" "$work/op-ec.pem"
expect_out sign-rsa-wrongcert-msg "does not belong to the signing key"
check sign-rsa 0 "$tool" sign "$f" "$rsa_uri" "$f.p7s" "$work/op-rsa.pem"
check verify-rsa 0 "$mk" transcript verify "$f" --cert "$work/op-rsa.pem"
expect_out verify-rsa-msg "3 lines, chain ok, signature ok \(signer CN=op-rsa\)"
check cms-rsa-noverify 0 cms_verify "$f" "$f.p7s" -noverify
check cms-rsa-cafile 0 cms_verify "$f" "$f.p7s" -CAfile "$work/op-rsa.pem" -purpose any
openssl cms -cmsout -print -inform DER -in "$f.p7s" >"$work/rsa.print" 2>&1
grep -q "algorithm: sha256" "$work/rsa.print" && ok || bad "RSA signature does not use SHA-256"
# The DER certificate file works as well.
check sign-rsa-der 0 "$tool" sign "$f" "$rsa_uri" "$work/rsa-der.p7s" "$work/op-rsa.der"
check verify-rsa-der 0 "$mk" transcript verify "$f" --signature "$work/rsa-der.p7s"
check verify-rsa-swapped 1 "$mk" transcript verify "$work/ec.jsonl" --signature "$work/rsa-der.p7s"

# --- refusals ---
check sign-pin-value 1 "$tool" sign "$f" "pkcs11:token=transcript;object=op-rsa?pin-value=1234" "$work/x.p7s"
expect_out sign-pin-value-msg "pin-value"
if grep -q 1234 "$work/out" "$work/err"; then bad "pin echoed"; fi
printf '{"seq":1}\n' >"$work/broken.jsonl"
check sign-broken 1 "$tool" sign "$work/broken.jsonl" "$ec_uri" "$work/broken.jsonl.p7s"
expect_out sign-broken-msg "not signing a broken transcript"
check verify-no-sig-given 1 "$mk" transcript verify "$work/rsa.jsonl" --signature "$work/none.p7s"
cp "$work/rsa.jsonl" "$work/unsigned.jsonl"
check verify-unsigned 0 "$mk" transcript verify "$work/unsigned.jsonl"
expect_out verify-unsigned-msg "not signed"
check verify-unsigned-cert 1 "$mk" transcript verify "$work/unsigned.jsonl" --cert "$work/op-rsa.pem"
check usage-none 2 "$mk" transcript
check usage-verb 2 "$mk" transcript check "$f"
check usage-nofile 2 "$mk" transcript verify
check usage-twofiles 2 "$mk" transcript verify "$f" "$f"
check usage-option 2 "$mk" transcript verify "$f" --frob
check help 0 "$mk" transcript --help
expect_out help-msg "usage: mirrorkey transcript verify FILE"
check main-help 0 "$mk" --help
expect_out main-help-msg "transcript"

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
