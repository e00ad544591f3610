#!/usr/bin/env bash
# Create a private SoftHSM2 token store and one token for demos, ceremony
# rehearsals and shell tests.
#
#   eval "$(scripts/softhsm-token.sh DIR LABEL)"
#
# DIR is created (mode 0700) with softhsm2.conf, tokens/ and a 0600 PIN file.
# Prints the environment to use: SOFTHSM2_CONF, MK_PIN_FILE, MK_MODULE and
# MK_TOKEN_URI (a pkcs11: URI with module-path and pin-source). PINs are read
# from MK_USER_PIN_FILE / MK_SO_PIN_FILE when set, else random ones are made;
# they never appear in this script's output. (softhsm2-util itself only takes
# PINs as arguments, so they are briefly visible in its argv: acceptable for
# the SoftHSM2 stand-in, never for real tokens.)
set -euo pipefail

dir=${1:?usage: softhsm-token.sh DIR LABEL}
label=${2:?usage: softhsm-token.sh DIR LABEL}

module=""
for m in /usr/lib/softhsm/libsofthsm2.so /usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so \
         /usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so; do
    if [ -e "$m" ]; then module=$m; break; fi
done
[ -n "$module" ] || { echo "softhsm-token: libsofthsm2.so not found (install softhsm2)" >&2; exit 1; }

umask 077
mkdir -p "$dir/tokens"
dir=$(cd "$dir" && pwd)
conf="$dir/softhsm2.conf"
if [ ! -f "$conf" ]; then
    cat >"$conf" <<CONF
directories.tokendir = $dir/tokens
objectstore.backend = file
log.level = ERROR
slots.removable = false
library.reset_on_fork = true
CONF
fi
export SOFTHSM2_CONF=$conf

pin_file="$dir/$label.pin"
so_file="$dir/$label.so-pin"
if [ -n "${MK_USER_PIN_FILE:-}" ]; then cp "$MK_USER_PIN_FILE" "$pin_file"; fi
if [ -n "${MK_SO_PIN_FILE:-}" ]; then cp "$MK_SO_PIN_FILE" "$so_file"; fi
[ -f "$pin_file" ] || head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$pin_file"
[ -f "$so_file" ] || head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$so_file"
chmod 600 "$pin_file" "$so_file"

if ! softhsm2-util --show-slots 2>/dev/null | grep -qE "Label:[[:space:]]*$label[[:space:]]*\$"; then
    softhsm2-util --init-token --free --label "$label" \
        --so-pin "$(cat "$so_file")" --pin "$(cat "$pin_file")" >/dev/null
fi

printf 'export SOFTHSM2_CONF=%q\n' "$conf"
printf 'export MK_MODULE=%q\n' "$module"
printf 'export MK_PIN_FILE=%q\n' "$pin_file"
printf 'export MK_TOKEN_URI=%q\n' "pkcs11:token=$label?module-path=$module&pin-source=file:$pin_file"
