#!/usr/bin/env bash
# bench/endpoint end to end with tiny run times: it must exit 0 and print a
# number (not "failed") for every figure and ratio of RSA-2048 and EC P-256
# at 1 and 2 pairs, a payload figure and an openssl speed figure; the
# stunnel figures must be numbers when stunnel4 is installed; the temporary
# token and work directories must be gone. No figure is compared with
# anything: this proves the bench works, not how fast it is.
set -euo pipefail
bench=${1:?usage: endpoint_smoke.sh BENCH_ENDPOINT}
work=$(mktemp -d "${TMPDIR:-/tmp}/mk-bench-smoke-XXXXXX")
trap 'rm -rf "$work"' EXIT
export TMPDIR=$work

fail() { echo "FAIL: $*" >&2; cat "$work/out" >&2; exit 1; }

"$bench" --seconds 0.2 --repeat 1 --pairs 2 --keys rsa2048,ec256 --speed-seconds 1 \
    --frame 65536 >"$work/out" 2>"$work/err" || { cat "$work/err" >&2; fail "bench exited $?"; }

have_stunnel=0
if command -v stunnel4 >/dev/null || command -v stunnel >/dev/null; then have_stunnel=1; fi

# Two tables, one row per key and pairs in each. Figures: pairs token software
# stunnel raw-sig sw-sig. Ratios: pairs tok/soft tok/stun limit tok/limit model tok/model.
number='^[0-9]+(\.[0-9]+)?$'
for key in RSA-2048 "EC P-256"; do
    for pairs in 1 2; do
        rows=$(grep -E "^${key} +${pairs} " "$work/out") || fail "no rows for $key, $pairs pair(s)"
        [ "$(wc -l <<<"$rows")" -eq 2 ] || fail "expected 2 rows for $key/$pairs"
        read -r -a f <<<"$(head -n 1 <<<"$rows" | cut -c 10-)"
        read -r -a r <<<"$(tail -n 1 <<<"$rows" | cut -c 10-)"
        [ "${#f[@]}" -eq 6 ] && [ "${#r[@]}" -eq 7 ] || fail "bad rows for $key/$pairs: $rows"
        for i in 1 2 4 5; do
            [[ ${f[$i]} =~ $number ]] || fail "$key/$pairs: figure $i is '${f[$i]}'"
        done
        for i in 1 3 4 5 6; do
            [[ ${r[$i]} =~ $number ]] || fail "$key/$pairs: ratio column $i is '${r[$i]}'"
        done
        if [ "$have_stunnel" = 1 ]; then
            [[ ${f[3]} =~ $number ]] && [[ ${r[2]} =~ $number ]] ||
                fail "$key/$pairs: stunnel figure '${f[3]}', ratio '${r[2]}'"
        fi
    done
done
grep -qE '^  endpoint frames .* [0-9]+ MB/s$' "$work/out" || fail "no payload figure"
grep -qE '^  openssl speed .* [0-9]+ MB/s ' "$work/out" || fail "no openssl speed figure"
! grep -q failed "$work/out" || fail "a figure failed"
# The temporary token and work directory are removed by the bench itself.
leftover=$(find "$work" -mindepth 1 -maxdepth 1 -name 'mk-bench-*' | wc -l)
[ "$leftover" -eq 0 ] || fail "the bench left $leftover temporary directories"
echo "bench/endpoint smoke: ok"
