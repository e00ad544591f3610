#!/usr/bin/env bash
# The key ceremony scripts (scripts/ceremony/site.sh, topology.sh) on SoftHSM2.
#
# site.sh --softhsm for SITE1 (kept running): exit 0; SITE1_cert.cer is the
# instance's CERTENCODED; every value of the FOR THE WITNESS block is checked
# against one computed here without the transcript (certificate and SPKI
# SHA-256 from the instance, the .cer and the TDS certificate hashed with
# openssl/sha256sum, the token serial from softhsm2-util, the key policy
# from `mirrorkey token report`, the transcript's file and last-line
# SHA-256); the transcript verifies. Then: it refuses to overwrite a record
# or to reuse a data directory, and takes no secret on argv (exit 2); with
# a transcript whose key policy says meets_policy 0 (a mirrorkey wrapper
# rewrites it and re-chains it) it exits 1, says WRONG, and stops its daemon.
# topology.sh on HOST_A + HOST_B (start_host): with no terminal and no --yes
# it refuses (exit 3), and on a terminal (a pty) answered "no" it stops
# (exit 3), both times changing nothing; with --yes and an operator key
# on its own token (--sign-with, --sign-cert) the session is SYNCHRONIZED,
# the signed transcript verifies (mirrorkey and openssl cms), and each
# instance's fingerprints in the witness block equal CERTENCODED's.
# Usage: ceremony_test.sh MIRRORKEYD MIRRORKEY SRC
set -euo pipefail
export HOSTS_TO_SHOW="SITE1 HOST_A HOST_B"
# shellcheck source=tests/integration/setup/setup_lib.sh
source "$(dirname "$0")/setup_lib.sh"
scenario_init mk-setup-ceremony
SITE_SH=$SRC/scripts/ceremony/site.sh
TOPO_SH=$SRC/scripts/ceremony/topology.sh
export MIRRORKEY MIRRORKEYD PYTHON OPENSSL

sha() { sha256sum "$1" | cut -d' ' -f1; }
# certencoded HOST NAME: the DER of NAME's certificate on HOST (CERTENCODED) in FILE $3.
certencoded() {
    local hex
    hex=$(q "$1" <<<"SELECT CERTENCODED(CERT_ID('$2'))" | tr -d '\r' | sed -E 's/^([0-9]+> )+//' |
        grep -Eio '^(0x)?[0-9a-f]{200,}$' | head -n 1 | sed 's/^0[xX]//')
    [ -n "$hex" ] || fail "$1: no CERTENCODED for $2"
    "$PYTHON" -c 'import sys; open(sys.argv[2], "wb").write(bytes.fromhex(sys.argv[1]))' "$hex" "$3"
}
spki_sha() { # DER certificate file
    "$OPENSSL" x509 -inform DER -in "$1" -noout -pubkey | "$OPENSSL" pkey -pubin -outform DER | sha256sum | cut -d' ' -f1
}
# witness_has FILE TEXT: the witness block holds TEXT (a fixed string) on one line.
witness_has() { grep -qF -- "$2" "$1" || { cat "$1" >&2; fail "witness block $1 lacks: $2"; }; }
witness_line() { # FILE LABEL VALUE: a line "  LABEL  VALUE" (any spacing)
    grep -qE "^[[:space:]]*$2[[:space:]]+$3([[:space:]]|\$)" "$1" ||
        { cat "$1" >&2; fail "witness block $1: no '$2 $3' line"; }
}
last_line_sha() { tail -n 1 "$1" | tr -d '\n' | sha256sum | cut -d' ' -f1; }

# =================== site.sh ===================
s=$work/SITE1
mkdir -p "$s"
(umask 077; printf '%s\n' "$ADMIN_PW" >"$s/admin.pw"; printf 'Mk-SITE1-Passw0rd!\n' >"$s/mk.pw")
site_args=(--name SITE1 --admin-password-file "$s/admin.pw" --master-key-password-file "$s/mk.pw"
    --endpoint-port "$(free_port)" --out "$s/out")
rc=0
bash "$SITE_SH" --softhsm "$s/hsm" --data-dir "$s/data" "${site_args[@]}" --keep-running >"$s/site.out" 2>&1 || rc=$?
site_pid=""
if [ -s "$s/out/SITE1-mirrorkeyd.pid" ]; then
    site_pid=$(cat "$s/out/SITE1-mirrorkeyd.pid")
    pids+=("$site_pid")
fi
[ $rc -eq 0 ] || { cat "$s/site.out" >&2; fail "site.sh exited $rc"; }
[ -n "$site_pid" ] || fail "site.sh --keep-running left no pid file"
grep -q mirrorkeyd "/proc/$site_pid/cmdline" 2>/dev/null || fail "pid $site_pid is not a running mirrorkeyd"
ln -s "$s/out/SITE1-mirrorkeyd.log" "$s/mirrorkeyd.log"
module=$(sed -n 's/^module:[[:space:]]*//p' "$s/out/SITE1-token-info.txt")
[ -n "$module" ] || fail "site.sh's token info names no module"
site_uri="pkcs11:token=SITE1?module-path=$module&pin-source=file:$s/hsm/SITE1.pin"
port=$(sed -n 's/.*tds listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$s/out/SITE1-mirrorkeyd.log" | head -n 1)
[ -n "$port" ] || fail "no tds port in SITE1's log"
printf '[global]\n\ttds version = 7.4\n[SITE1]\n\thost = 127.0.0.1\n\tport = %s\n\tencryption = require\n' \
    "$port" >"$s/freetds.conf"

w=$s/out/SITE1-witness.txt
t=$s/out/SITE1-outbound.jsonl
cer=$s/out/SITE1_cert.cer
[ -s "$w" ] || fail "site.sh wrote no witness block"
grep -qF 'FOR THE WITNESS' "$s/site.out" || fail "site.sh did not print the witness block"
cmp -s <(sed -n '/FOR THE WITNESS/,/^=====*$/p' "$s/site.out") "$w" || fail "printed and saved witness blocks differ"
[ -s "$cer" ] || fail "no SITE1_cert.cer"

# The .cer is the instance's certificate, byte for byte.
certencoded SITE1 SITE1_cert "$s/certencoded.der"
cmp -s "$cer" "$s/certencoded.der" || fail "SITE1_cert.cer is not CERTENCODED(CERT_ID('SITE1_cert'))"
cert_sha=$(sha "$s/certencoded.der")
witness_line "$w" "certificate SHA-256" "$cert_sha"
witness_line "$w" "sha256sum of .cer" "$cert_sha"
witness_has "$w" "$cert_sha   [ok]"
witness_line "$w" "SPKI SHA-256" "$(spki_sha "$cer")"
# The token: label and serial as SoftHSM2 itself reports them.
serial=$(SOFTHSM2_CONF=$s/hsm/softhsm2.conf softhsm2-util --show-slots |
    awk '/Serial number:/ {s=$3} /Label:[[:space:]]*SITE1[[:space:]]*$/ {print s; exit}')
[ -n "$serial" ] || fail "softhsm2-util shows no serial for token SITE1"
witness_line "$w" "TOKEN \(step 1\)[[:space:]]+label" SITE1
witness_line "$w" serial "$serial"
# The key policy, from the token now, through the tool's own report (exit 0 = meets the policy).
SOFTHSM2_CONF=$s/hsm/softhsm2.conf "$MIRRORKEY" token report \
    --uri "pkcs11:token=SITE1;object=SITE1_cert;type=private?module-path=$module&pin-source=file:$s/hsm/SITE1.pin" \
    >"$s/report.out" 2>&1 || { cat "$s/report.out" >&2; fail "token report: SITE1_cert's key fails the policy"; }
for kv in "is_local 1" "is_sensitive 1" "is_always_sensitive 1" "is_extractable 0" \
    "is_never_extractable 1" "is_private_value_readable 0" "meets_policy 1"; do
    witness_line "$w" "${kv% *}" "${kv#* } +\[ok\]"
done
expect SITE1 "SELECT name, meets_policy FROM sys.mirrorkey_certificate_keys WHERE name = 'SITE1_cert'" \
    'SITE1_cert[[:space:]]+1'
# The TDS certificate the transcript says was checked is init's tds-cert.pem (or a copy from the token).
pin=$s/data/tds-cert.pem
[ -s "$pin" ] || pin=$s/out/SITE1-tds-cert.pem
[ -s "$pin" ] || fail "neither tds-cert.pem nor an exported copy: the connection was not pinned"
witness_line "$w" SHA-256 "$("$OPENSSL" x509 -in "$pin" -outform DER | sha256sum | cut -d' ' -f1) +\[ok\]"
# The transcript: verifies; its file and last-line hashes are the block's.
"$MIRRORKEY" transcript verify "$t" >"$s/verify.out" 2>&1 || { cat "$s/verify.out" >&2; fail "SITE1 transcript"; }
witness_line "$w" "file SHA-256" "$(sha "$t")"
witness_line "$w" "last line SHA-256" "$(last_line_sha "$t")"
witness_has "$w" "RESULT                 OK"
witness_line "$w" "TDS certificate" "pinned: $pin"
for f in "$s/site.out" "$t" "$w"; do
    ! grep -qF -e "$ADMIN_PW" -e "Mk-SITE1-Passw0rd!" -e "$(cat "$s/hsm/SITE1.pin")" "$f" ||
        fail "a secret in $f"
done

# Refusals: an existing record, a used data directory, a secret option.
rc=0; bash "$SITE_SH" --token-uri "$site_uri" --data-dir "$s/data" "${site_args[@]}" >"$s/again.out" 2>&1 || rc=$?
if [ $rc -ne 1 ] || ! grep -q 'not empty' "$s/again.out"; then
    cat "$s/again.out" >&2
    fail "site.sh reused a data dir ($rc)"
fi
rc=0; bash "$SITE_SH" --token-uri "$site_uri" --data-dir "$work/fresh" "${site_args[@]}" >"$s/again2.out" 2>&1 || rc=$?
if [ $rc -ne 1 ] || ! grep -q 'never overwritten' "$s/again2.out"; then
    cat "$s/again2.out" >&2
    fail "site.sh would overwrite a transcript ($rc)"
fi
[ ! -e "$work/fresh/catalog.db" ] || fail "site.sh made an instance before refusing"
rc=0; bash "$SITE_SH" --pin 1234 --token-uri "$site_uri" --data-dir "$work/fresh" "${site_args[@]}" >"$s/pin.out" 2>&1 || rc=$?
[ $rc -eq 2 ] || { cat "$s/pin.out" >&2; fail "site.sh --pin: exit $rc, want 2"; }
bash "$SITE_SH" --help >"$s/help.out" || fail "site.sh --help: exit $?"
grep -q 'WHAT IT ASKS FOR' "$s/help.out" || fail "site.sh --help says nothing"

stop_site() { kill "$site_pid" 2>/dev/null || true; }
stop_site

# A key the token reports as not meeting the policy: a wrapper around mirrorkey
# turns meets_policy into 0 in outbound's transcript and re-chains it, so that
# the chain still verifies and only site.sh's own check can catch it.
cat >"$work/mk-wrapper" <<'SH'
#!/usr/bin/env bash
set -uo pipefail
rc=0; "$MK_REAL" "$@" || rc=$?
if [ "${1:-}" = outbound ]; then
    while [ $# -gt 0 ]; do [ "$1" = --transcript ] && t=$2; shift; done
    "$PYTHON" - "$t" <<'PY'
import hashlib, re, sys
p = sys.argv[1]
lines = open(p, "rb").read().split(b"\n")[:-1]
prev, out = b"0" * 64, []
for l in lines:
    l = l.replace(b'"meets_policy":"1"', b'"meets_policy":"0"')
    l = re.sub(rb'"prev":"[0-9a-f]{64}"', b'"prev":"' + prev + b'"', l)
    out.append(l)
    prev = hashlib.sha256(l).hexdigest().encode()
open(p, "wb").write(b"\n".join(out) + b"\n")
PY
fi
exit $rc
SH
chmod 700 "$work/mk-wrapper"
s2=$work/SITE2
mkdir -p "$s2"
cp "$s/admin.pw" "$s/mk.pw" "$s2/"
rc=0
real_mirrorkey=$MIRRORKEY
MK_REAL=$real_mirrorkey MIRRORKEY=$work/mk-wrapper bash "$SITE_SH" --softhsm "$s2/hsm" --name SITE2 \
    --data-dir "$s2/data" --admin-password-file "$s2/admin.pw" --master-key-password-file "$s2/mk.pw" \
    --endpoint-port "$(free_port)" --out "$s2/out" --keep-running >"$s2/site.out" 2>&1 || rc=$?
# A broken site.sh might have kept its daemon: stop it with the others.
if [ -s "$s2/out/SITE2-mirrorkeyd.pid" ]; then pids+=("$(cat "$s2/out/SITE2-mirrorkeyd.pid")"); fi
[ $rc -eq 1 ] || { cat "$s2/site.out" >&2; fail "site.sh with meets_policy 0: exit $rc, want 1"; }
"$MIRRORKEY" transcript verify "$s2/out/SITE2-outbound.jsonl" >/dev/null 2>&1 || fail "the re-chained transcript should verify"
witness_line "$s2/out/SITE2-witness.txt" meets_policy "0 +\[WRONG, want 1\]"
grep -q 'RESULT .*FAILED: the token reports meets_policy' "$s2/out/SITE2-witness.txt" || fail "SITE2: no FAILED result"
grep -q 'error: .*meets_policy' "$s2/site.out" || fail "SITE2: no error message"
[ ! -e "$s2/out/SITE2-mirrorkeyd.pid" ] || fail "SITE2: the daemon was kept after a failed ceremony"
grep -q 'SIGTERM received' "$s2/out/SITE2-mirrorkeyd.log" || fail "SITE2: the daemon was not stopped"
echo "ceremony_test: site.sh ok"

# =================== topology.sh ===================
for h in HOST_A HOST_B; do start_host "$h"; done
topo=$work/topo.ini
{
    topology_instance HOST_A
    topology_instance HOST_B
    printf '[session db1]\nprincipal = HOST_A\nmirror = HOST_B\n'
} >"$topo"

# No terminal and no --yes: refused before anything changes.
rc=0; bash "$TOPO_SH" "$topo" --out "$work/refused" </dev/null >"$work/refused.out" 2>&1 || rc=$?
[ $rc -eq 3 ] || { cat "$work/refused.out" >&2; fail "topology.sh without a terminal or --yes: exit $rc, want 3"; }
grep -q 'refusing' "$work/refused.out" || fail "topology.sh: no refusal message"
ls "$work/refused"/apply-*.dry-run.sql >/dev/null 2>&1 || fail "topology.sh: no saved dry run"
! ls "$work/refused"/apply-*.jsonl >/dev/null 2>&1 || fail "topology.sh: a transcript without confirmation"
# On a terminal it asks; anything but "yes" stops it, again before anything changes.
rc=0
"$PYTHON" - "$TOPO_SH" "$topo" "$work/declined" >"$work/declined.out" 2>&1 <<'PY' || rc=$?
import os, select, sys, time
pid, fd = os.forkpty()
if pid == 0:
    os.execvp("bash", ["bash", sys.argv[1], sys.argv[2], "--out", sys.argv[3]])
buf, answered, deadline = b"", False, time.monotonic() + 120
while time.monotonic() < deadline:
    r, _, _ = select.select([fd], [], [], 1)
    if r:
        try:
            data = os.read(fd, 4096)
        except OSError:
            break
        if not data:
            break
        buf += data
    if not answered and b'Type "yes"' in buf:
        os.write(fd, b"no\n")
        answered = True
sys.stdout.write(buf.decode(errors="replace"))
_, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status) if answered else 99)
PY
[ $rc -eq 3 ] || { cat "$work/declined.out" >&2; fail "topology.sh answered 'no' on a terminal: exit $rc, want 3"; }
grep -q 'not confirmed' "$work/declined.out" || fail "topology.sh: no 'not confirmed' message"
! ls "$work/declined"/apply-*.jsonl >/dev/null 2>&1 || fail "topology.sh: a transcript after 'no'"
never HOST_A "SELECT name FROM sys.certificates" 'HOST_A_cert'

# The operator's signing key: its own token, a key from `mirrorkey token keygen`,
# a self-signed certificate made through the mirrorkey provider (a file only).
op=$work/operator
mkdir -p "$op"
eval "$(bash "$SRC/scripts/softhsm-token.sh" "$op/hsm" operator)"
"$MIRRORKEY" token keygen --uri "$MK_TOKEN_URI" --label op-ec --type ec >"$op/keygen.out" 2>&1 ||
    { cat "$op/keygen.out" >&2; fail "operator keygen"; }
op_uri="pkcs11:token=operator;object=op-ec;type=private?module-path=$MK_MODULE&pin-source=file:$MK_PIN_FILE"
prov=(env)
[ -z "${MK_ASAN_RUNTIME:-}" ] || prov+=("LD_PRELOAD=$MK_ASAN_RUNTIME" "ASAN_OPTIONS=detect_leaks=0")
"${prov[@]}" "$OPENSSL" req -new -x509 -key "$op_uri" -subj /CN=ceremony-operator -days 30 -out "$op/op.pem" \
    -provider-path "${MK_PROVIDER_DIR:?MK_PROVIDER_DIR: the directory of mirrorkey.so}" \
    -provider default -provider mirrorkey >"$op/req.out" 2>&1 || { cat "$op/req.out" >&2; fail "operator certificate"; }

o=$work/topo-out
bash "$TOPO_SH" "$topo" --yes --out "$o" --sign-with "$op_uri" --sign-cert "$op/op.pem" \
    </dev/null >"$work/topo.out" 2>&1 || { cat "$work/topo.out" >&2; fail "topology.sh --yes exited non-zero"; }
tw=$(ls "$o"/apply-*.witness.txt)
tt=${tw%.witness.txt}.jsonl
if [ ! -s "$tt" ] || [ ! -s "$tt.p7s" ]; then fail "topology.sh: no signed transcript"; fi
grep -q 'CREATE MASTER KEY' "${tw%.witness.txt}.dry-run.sql" || fail "topology.sh: the dry run lacks the master key"
[[ $(basename "$tt") =~ ^apply-[0-9]{8}T[0-9]{6}Z\.jsonl$ ]] || fail "transcript name $(basename "$tt")"
eventually HOST_A "SELECT mirroring_role_desc, mirroring_state_desc FROM sys.database_mirroring WHERE mirroring_guid IS NOT NULL" \
    'PRINCIPAL[[:space:]]+SYNCHRONIZED' 30
"$MIRRORKEY" transcript verify "$tt" --cert "$op/op.pem" >"$work/tverify.out" 2>&1 ||
    { cat "$work/tverify.out" >&2; fail "the apply transcript's signature"; }
"$OPENSSL" cms -verify -binary -inform DER -in "$tt.p7s" -content "$tt" -CAfile "$op/op.pem" \
    -purpose any -out /dev/null 2>/dev/null || fail "openssl cms -verify of the apply transcript"
for h in HOST_A HOST_B; do
    certencoded "$h" "${h}_cert" "$work/$h.der"
    cmp -s "$work/$h.der" "$o/${h}_cert.cer" || fail "$h: ${h}_cert.cer is not CERTENCODED"
    block=$(sed -n "/^INSTANCE $h /,/meets_policy/p" "$tw")
    [ -n "$block" ] || { cat "$tw" >&2; fail "no witness lines for $h"; }
    grep -qE "certificate SHA-256 +$(sha "$work/$h.der")\$" <<<"$block" || { cat "$tw" >&2; fail "$h: certificate SHA-256"; }
    grep -qE "sha256sum of .cer +$(sha "$work/$h.der") +\[ok\]" <<<"$block" || { cat "$tw" >&2; fail "$h: .cer SHA-256"; }
    grep -qE "SPKI SHA-256 +$(spki_sha "$work/$h.der")\$" <<<"$block" || { cat "$tw" >&2; fail "$h: SPKI SHA-256"; }
    grep -qE "on token '$h'" <<<"$block" || { cat "$tw" >&2; fail "$h: token label"; }
    grep -qE "meets_policy +1 +\[ok\]" <<<"$block" || { cat "$tw" >&2; fail "$h: meets_policy"; }
    grep -qE "TDS certificate +$("$OPENSSL" x509 -in "$(tds_cert "$h")" -outform DER | sha256sum | cut -d' ' -f1)\$" \
        <<<"$block" || { cat "$tw" >&2; fail "$h: TDS certificate"; }
done
witness_line "$tw" "file SHA-256" "$(sha "$tt")"
witness_line "$tw" "last line SHA-256" "$(last_line_sha "$tt")"
witness_line "$tw" signature "$tt.p7s +sha256 $(sha "$tt.p7s")"
witness_has "$tw" "STATUS                 exit 0 (all well)"
witness_has "$tw" "RESULT                 OK"
for f in "$work/topo.out" "$tt" "$tw"; do
    for h in HOST_A HOST_B; do
        ! grep -qF -e "$ADMIN_PW" -e "$(cat "$work/$h/mk.pw")" "$f" || fail "a secret of $h in $f"
    done
    ! grep -qF -- "$(cat "$MK_PIN_FILE")" "$f" || fail "the operator PIN in $f"
done
echo "ceremony_test: ok"
