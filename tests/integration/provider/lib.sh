# shellcheck shell=bash
# Shared setup for the provider's shell tests: a fresh SoftHSM2 token in a
# temp dir, helpers to make keys with pkcs11-tool (not with our code), an
# `ossl` wrapper that runs openssl with the mirrorkey provider, and checks
# that fail the test with a message. Sourced by each test script; ctest sets
# MK_SOURCE_DIR, MK_PROVIDER_DIR and, in sanitizer builds, MK_ASAN_RUNTIME.
set -euo pipefail

: "${MK_SOURCE_DIR:?set by ctest}"
: "${MK_PROVIDER_DIR:?set by ctest}"
[ -f "$MK_PROVIDER_DIR/mirrorkey.so" ] || { echo "no $MK_PROVIDER_DIR/mirrorkey.so" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/mkprov-test-XXXXXX")
bg_pids=()
cleanup() {
    local pid
    for pid in "${bg_pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    if [ -n "${MK_TEST_KEEP:-}" ]; then
        echo "kept $work" >&2
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT

eval "$("$MK_SOURCE_DIR/scripts/softhsm-token.sh" "$work/hsm" provtest)"
# Query part of a URI: module and PIN source (the PIN stays in its 0600 file).
Q="?module-path=$MK_MODULE&pin-source=file:$MK_PIN_FILE"
PROV=(-provider-path "$MK_PROVIDER_DIR" -provider mirrorkey -provider default)

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# openssl for commands that load our provider. A sanitizer-built provider
# needs the ASan runtime loaded first (the system openssl is not
# instrumented), so OSSL_RUN preloads it; leak checking stays off because
# openssl itself is not ours.
OSSL_RUN=(env)
if [ -n "${MK_ASAN_RUNTIME:-}" ]; then
    OSSL_RUN+=("LD_PRELOAD=$MK_ASAN_RUNTIME" "ASAN_OPTIONS=detect_leaks=0:abort_on_error=1"
        "UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1")
fi
OSSL_RUN+=(openssl)
ossl() {
    "${OSSL_RUN[@]}" "$@"
}

# pkcs11-tool takes the PIN on its command line: acceptable for this throwaway test token only.
p11tool() {
    pkcs11-tool --module "$MK_MODULE" --login --pin "$(cat "$MK_PIN_FILE")" "$@"
}

# keygen TYPE HEXID [LABEL]: a key pair made by pkcs11-tool.
keygen() {
    local args=(--keypairgen --key-type "$1" --id "$2")
    [ $# -ge 3 ] && args+=(--label "$3")
    p11tool "${args[@]}" >/dev/null 2>&1 || fail "pkcs11-tool --keypairgen $*"
}

# pubkey_of HEXID OUT.pem: the public key as pkcs11-tool reads it from the token.
pubkey_of() {
    p11tool --read-object --type pubkey --id "$1" -o "$work/tmp.der" >/dev/null 2>&1 ||
        fail "pkcs11-tool --read-object --id $1"
    openssl pkey -pubin -inform DER -in "$work/tmp.der" -out "$2"
}

# expect_grep PATTERN FILE: FILE must contain PATTERN (fixed string).
expect_grep() {
    grep -qF -- "$1" "$2" || { cat "$2" >&2; fail "'$1' not found in $2"; }
}

# wait_for PATTERN FILE [TENTHS]: wait (bounded) until FILE contains PATTERN.
wait_for() {
    local i
    for ((i = 0; i < ${3:-150}; i++)); do
        grep -qF -- "$1" "$2" 2>/dev/null && return 0
        sleep 0.1
    done
    cat "$2" >&2 || true
    fail "timed out waiting for '$1' in $2"
}
