#!/usr/bin/env bash
# Configuration and errors: the provider loaded from openssl.cnf with
# pkcs11-module-path and pkcs11-pin-source (URIs then need neither), URI
# query attributes overriding the configuration, the p11-kit proxy when no
# module is named anywhere, MIRRORKEY_PROVIDER_DEBUG, and the error texts:
# a URI that matches nothing names the URI, an unknown token lists what is
# visible, a wrong PIN says CKR_PIN_INCORRECT once, and a pin-value never
# appears in any message.
source "$(dirname "$0")/lib.sh"

keygen rsa:2048 d1 cfg-rsa
ossl pkey "${PROV[@]}" -in "pkcs11:token=provtest;object=cfg-rsa$Q" -pubout -out "$work/ref.pub" ||
    fail "reference public key"

write_conf() { # FILE MODULE-PATH PIN-SOURCE
    cat >"$1" <<CONF
openssl_conf = openssl_init
[openssl_init]
providers = provider_sect
[provider_sect]
default = default_sect
mirrorkey = mirrorkey_sect
[default_sect]
activate = 1
[mirrorkey_sect]
module = $MK_PROVIDER_DIR/mirrorkey.so
pkcs11-module-path = $2
pkcs11-pin-source = $3
activate = 1
CONF
}

# 1. Everything from openssl.cnf: the URI names only the token and the key.
write_conf "$work/good.cnf" "$MK_MODULE" "file:$MK_PIN_FILE"
OPENSSL_CONF="$work/good.cnf" ossl pkey -in "pkcs11:token=provtest;object=cfg-rsa" -pubout \
    -out "$work/cnf.pub" || fail "key from openssl.cnf defaults"
cmp -s "$work/ref.pub" "$work/cnf.pub" || fail "openssl.cnf: different key"
printf 'x%.0s' {1..32} >"$work/h"
OPENSSL_CONF="$work/good.cnf" ossl pkeyutl -sign -inkey "pkcs11:token=provtest;object=cfg-rsa" \
    -in "$work/h" -out "$work/sig" -pkeyopt digest:sha256 || fail "sign with openssl.cnf defaults"
openssl pkeyutl -verify -pubin -inkey "$work/ref.pub" -in "$work/h" -sigfile "$work/sig" \
    -pkeyopt digest:sha256 >/dev/null || fail "openssl.cnf signature does not verify"

# 2. The URI's module-path and pin-source win over a broken configuration.
write_conf "$work/bad.cnf" "/nonexistent/module.so" "file:/nonexistent/pin"
OPENSSL_CONF="$work/bad.cnf" ossl pkey -in "pkcs11:token=provtest;object=cfg-rsa$Q" -pubout \
    -out "$work/uri.pub" || fail "URI query attributes must override openssl.cnf"
cmp -s "$work/ref.pub" "$work/uri.pub" || fail "override: different key"
# ... and the broken configuration is what is used without them, with a clear error.
if OPENSSL_CONF="$work/bad.cnf" ossl pkey -in "pkcs11:token=provtest;object=cfg-rsa" -pubout \
    -out "$work/x.pub" 2>"$work/bad.err"; then
    fail "a nonexistent module worked"
fi
expect_grep "/nonexistent/module.so" "$work/bad.err"

# 3. No module anywhere: the p11-kit proxy (which finds SoftHSM2 through its module config).
MIRRORKEY_PROVIDER_DEBUG=1 ossl pkey "${PROV[@]}" \
    -in "pkcs11:token=provtest;object=cfg-rsa?pin-source=file:$MK_PIN_FILE" -pubout \
    -out "$work/proxy.pub" 2>"$work/proxy.err" || { cat "$work/proxy.err" >&2; fail "p11-kit proxy"; }
cmp -s "$work/ref.pub" "$work/proxy.pub" || fail "proxy: different key"
expect_grep "default module p11-kit proxy" "$work/proxy.err"
expect_grep "opened token 'provtest'" "$work/proxy.err"
# Without MIRRORKEY_PROVIDER_DEBUG the provider says nothing.
ossl pkey "${PROV[@]}" -in "pkcs11:token=provtest;object=cfg-rsa$Q" -pubout -out /dev/null \
    2>"$work/quiet.err" || fail "quiet run"
[ ! -s "$work/quiet.err" ] || { cat "$work/quiet.err" >&2; fail "output without MIRRORKEY_PROVIDER_DEBUG"; }

# 4. Errors name the URI and the reason.
if ossl pkey "${PROV[@]}" -in "pkcs11:token=provtest;object=no-such-key$Q" -pubout \
    -out "$work/x.pub" 2>"$work/nomatch.err"; then
    fail "a URI naming nothing loaded a key"
fi
expect_grep "mirrorkey" "$work/nomatch.err"
expect_grep "no such token or object" "$work/nomatch.err"
expect_grep "object=no-such-key" "$work/nomatch.err"
expect_grep "no private key on token 'provtest' matches the URI" "$work/nomatch.err"

if ossl pkey "${PROV[@]}" -in "pkcs11:token=no-such-token$Q" -pubout -out "$work/x.pub" \
    2>"$work/notoken.err"; then
    fail "an unknown token was opened"
fi
expect_grep "token=no-such-token" "$work/notoken.err"
expect_grep "provtest" "$work/notoken.err" # the visible token is listed

umask 077
printf 'wrong-pin-value\n' >"$work/wrong.pin"
if ossl pkey "${PROV[@]}" -in "pkcs11:token=provtest;object=cfg-rsa?module-path=$MK_MODULE&pin-source=file:$work/wrong.pin" \
    -pubout -out "$work/x.pub" 2>"$work/pin.err"; then
    fail "a wrong PIN logged in"
fi
expect_grep "CKR_PIN_INCORRECT" "$work/pin.err"
expect_grep "PIN unavailable or rejected" "$work/pin.err"
[ "$(grep -c CKR_PIN_INCORRECT "$work/pin.err")" = 1 ] || fail "the wrong PIN was reported more than once"

if ossl pkey "${PROV[@]}" -in "pkcs11:token=provtest;object=nothing-here?module-path=$MK_MODULE&pin-value=Sekr1tPinValue" \
    -pubout -out "$work/x.pub" 2>"$work/pinvalue.err"; then
    fail "pin-value: loaded something"
fi
# (openssl's own messages repeat the URI as typed; ours must not carry the PIN.)
grep -F "mirrorkey:" "$work/pinvalue.err" >"$work/ours.err" || fail "no mirrorkey error"
expect_grep "object=nothing-here?module-path=$MK_MODULE]" "$work/ours.err"
if grep -q "Sekr1tPinValue" "$work/ours.err"; then
    fail "the pin-value appears in a mirrorkey error message"
fi
echo "config_test: OK"
