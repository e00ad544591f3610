#!/usr/bin/env bash
# Cryptoki calls per signature for each path to a token key (raw Cryptoki,
# the mirrorkey provider, the libp11 engine), counted by OpenSC's pkcs11-spy
# sitting between the path and SoftHSM2. For each path and key it runs
# bench/sign --count 0 (setup only) and --count N, and reports
# (calls(N) - calls(0)) / N overall and per function. Not a test.
#
#   bench/count-calls.sh [BUILD_DIR] [N]       (defaults: build, 200)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
n=${2:-200}
sign="$build/bench/sign"
[ -x "$sign" ] || { echo "count-calls: build bench_sign first ($sign)" >&2; exit 1; }

spy=""
for s in /usr/lib/x86_64-linux-gnu/pkcs11-spy.so /usr/lib/x86_64-linux-gnu/pkcs11/pkcs11-spy.so \
    /usr/lib/aarch64-linux-gnu/pkcs11-spy.so /usr/lib/pkcs11/pkcs11-spy.so; do
    if [ -e "$s" ]; then spy=$s; break; fi
done
[ -n "$spy" ] || { echo "count-calls: pkcs11-spy.so not found (install opensc)" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/mk-count-XXXXXX")
trap 'rm -rf "$work"' EXIT
eval "$("$root/scripts/softhsm-token.sh" "$work/hsm" mk-count)"
"$sign" --uri "pkcs11:token=mk-count?module-path=$MK_MODULE&pin-source=file:$MK_PIN_FILE" \
    --keygen --count 0 --backend raw --key RSA-2048 >/dev/null 2>"$work/keygen.err" ||
    { cat "$work/keygen.err" >&2; exit 1; }
spy_uri="pkcs11:token=mk-count?module-path=$spy&pin-source=file:$MK_PIN_FILE"

# calls BACKEND KEY COUNT OUT: run through the spy, write "count function" lines to OUT.
calls() {
    rm -f "$work/spy.log"
    PKCS11SPY="$MK_MODULE" PKCS11SPY_OUTPUT="$work/spy.log" \
        "$sign" --uri "$spy_uri" --count "$3" --backend "$1" --key "$2" >/dev/null 2>"$work/run.err" ||
        { cat "$work/run.err" >&2; echo "count-calls: $1 $2 failed" >&2; exit 1; }
    sed -n 's/^[0-9][0-9]*: \(C_[A-Za-z]*\).*/\1/p' "$work/spy.log" | sort | uniq -c >"$4"
}

printf 'Cryptoki calls per signature (pkcs11-spy, %d signatures minus setup)\n' "$n"
for key in RSA-2048 EC\ P-256; do
    for backend in raw provider engine; do
        calls "$backend" "$key" 0 "$work/base"
        calls "$backend" "$key" "$n" "$work/full"
        # Per function: (count in the N run - count in the setup-only run) / N.
        awk -v n="$n" -v b="$backend" -v k="$key" '
            FNR == NR { base[$2] = $1; next }
            { d = $1 - base[$2]; if (d > 0) { per[$2] = d / n; total += d / n } }
            END {
                line = ""
                for (f in per) line = line sprintf(" %s=%.2f", f, per[f])
                printf "%-9s %-9s %5.2f calls/signature:%s\n", k, b, total, line
            }' "$work/base" "$work/full"
    done
done
