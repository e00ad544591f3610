#!/usr/bin/env bash
# The test command: install dependencies, configure, build with -Werror, run
# the whole ctest suite (output on failure) and exit non-zero on any failure.
#   scripts/test.sh                 normal build in build/
#   SANITIZE=1 scripts/test.sh      ASan+UBSan build in build-sanitize/
#   CC=clang scripts/test.sh        build with clang (build-clang/)
# Extra arguments go to ctest (e.g. -R pkcs11).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

scripts/install-deps.sh

jobs=$(nproc 2>/dev/null || echo 2)
cc=${CC:-gcc}
if [ "${SANITIZE:-0}" = "1" ]; then
    # clang so that the fuzz targets are real libFuzzer binaries under ASan+UBSan.
    cc=${CC:-clang}
    build="$root/build-sanitize"
    cmake_args=(-DMK_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug)
    if [ "$cc" = "clang" ]; then
        cmake_args+=(-DMK_FUZZ=ON)
    fi
    # Leak checking stays on; abort on the first UBSan report.
    export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1}
    export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
    export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$root/tests/lsan.supp:print_suppressions=0}
else
    build="$root/build"
    cmake_args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo)
    if [ "$cc" = "clang" ]; then
        build="$root/build-clang"
    fi
fi

CC=$cc cmake -S "$root" -B "$build" -DMK_WERROR=ON "${cmake_args[@]}" >/dev/null
cmake --build "$build" -j"$jobs"
cd "$build"
ctest --output-on-failure -j"$jobs" "$@"
