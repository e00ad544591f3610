#!/usr/bin/env bash
# `mirrorkey token` against a fresh SoftHSM2 token: key generation with the
# policy report, listing, re-reporting, and every refusal (duplicate label,
# unknown token, PIN on the command line, bad URI, bad options).
set -uo pipefail
mk=$1
softhsm_token=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
eval "$("$softhsm_token" "$work/hsm" cli-test)"

fails=0
passes=0
check() { # name, expected exit code, command...
    local name=$1 want=$2
    shift 2
    "$@" >"$work/out" 2>"$work/err"
    local got=$?
    if [ "$got" -ne "$want" ]; then
        echo "FAIL $name: exit $got, want $want"; cat "$work/out" "$work/err"; fails=$((fails + 1))
    else
        passes=$((passes + 1))
    fi
}
expect_out() { # name, pattern (in stdout+stderr of the last check)
    if grep -qE -- "$2" "$work/out" "$work/err"; then passes=$((passes + 1)); else
        echo "FAIL $1: no '$2' in output"; cat "$work/out" "$work/err"; fails=$((fails + 1)); fi
}

uri=$MK_TOKEN_URI
check info 0 "$mk" token info --uri "$uri"
expect_out info-label "token: +cli-test"
expect_out info-login "logged in: +yes"

check keygen-ec 0 "$mk" token keygen --uri "$uri" --label EC_cert --type ec
expect_out ec-pass "policy for EC private key 'EC_cert': PASS"
expect_out ec-value "CKA_VALUE +expect CKR_ATTRIBUTE_SENSITIVE +token: CKR_ATTRIBUTE_SENSITIVE +ok"
expect_out ec-extract "CKA_EXTRACTABLE +expect FALSE +token: FALSE +ok"

check keygen-rsa 0 "$mk" token keygen --uri "$uri" --label RSA_cert --type rsa --bits 2048
expect_out rsa-pass "policy for RSA private key 'RSA_cert': PASS"
expect_out rsa-exp "CKA_PRIVATE_EXPONENT +expect CKR_ATTRIBUTE_SENSITIVE .* ok"

check keygen-dup 1 "$mk" token keygen --uri "$uri" --label EC_cert --type ec
expect_out dup-msg "already exists"
check keygen-badbits 1 "$mk" token keygen --uri "$uri" --label X --type rsa --bits 1024

check list 0 "$mk" token list --uri "$uri"
[ "$(grep -c '^private-key' "$work/out")" -eq 2 ] && passes=$((passes + 1)) ||
    { echo "FAIL list: want 2 private keys"; cat "$work/out"; fails=$((fails + 1)); }
# The private and public key of one pair share one CKA_ID.
ids=$(awk '/EC_cert/ {print $3}' "$work/out" | sort -u | wc -l)
[ "$ids" -eq 1 ] && passes=$((passes + 1)) || { echo "FAIL shared id"; fails=$((fails + 1)); }

sel="pkcs11:token=cli-test;object=RSA_cert?module-path=$MK_MODULE&pin-source=file:$MK_PIN_FILE"
check report 0 "$mk" token report --uri "$sel"
expect_out report-pass "PASS"

# The PIN source can come from the option instead of the URI.
check pin-source-opt 0 "$mk" token list --uri "pkcs11:token=cli-test?module-path=$MK_MODULE" \
    --pin-source "file:$MK_PIN_FILE"

check unknown-token 1 "$mk" token info --uri "pkcs11:token=nope?module-path=$MK_MODULE"
expect_out lists-visible "visible tokens: 'cli-test'"
check pin-argv 2 "$mk" token info --uri "$uri" --pin 123456
expect_out pin-argv-msg "never taken on the command line"
if grep -q 123456 "$work/out" "$work/err"; then echo "FAIL pin echoed"; fails=$((fails + 1)); fi
check bad-uri 1 "$mk" token info --uri "http://x"
check no-uri 2 "$mk" token info
check bad-verb 2 "$mk" token frobnicate --uri "$uri"
check no-args 2 "$mk"
check help 0 "$mk" token --help

# A group-readable PIN file is refused.
cp "$MK_PIN_FILE" "$work/loose.pin"
chmod 644 "$work/loose.pin"
check loose-pin 1 "$mk" token info --uri "pkcs11:token=cli-test?module-path=$MK_MODULE&pin-source=file:$work/loose.pin"
expect_out loose-pin-msg "chmod 600"

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
