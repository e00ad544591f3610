#!/usr/bin/env bash
# Install every Debian 12 package mirrorkey, its tests, fuzzing, demo and
# benches need. Non-interactive and idempotent: when everything is present it
# does nothing (not even `apt-get update`).
set -euo pipefail

PACKAGES=(
    build-essential cmake pkg-config clang clang-format clang-tidy
    libclang-rt-14-dev llvm valgrind
    libssl-dev openssl
    softhsm2 p11-kit libp11-kit-dev opensc gnutls-bin
    libp11-dev libengine-pkcs11-openssl stunnel4
    freetds-dev freetds-bin python3 python3-pymssql
    libsqlite3-dev sqlite3 libcmocka-dev libinih-dev libjansson-dev
    iproute2 procps psmisc
)

missing=()
for p in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
