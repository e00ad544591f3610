#!/usr/bin/env bash
# mirrorkey's command line and topology checks, before anything is
# contacted: bad topology files are refused with the line named and exit 2
# while a listener on the named server sees no connection; secrets on the
# command line are refused; outbound / inbound for one instance work and
# write only the public .cer.
# Usage: cli_test.sh MIRRORKEYD MIRRORKEY SRC
set -euo pipefail
HOSTS_TO_SHOW="HOST_A HOST_B"
source "$(dirname "$0")/setup_lib.sh"
scenario_init mk-setup-cli

# A listener that records every connection it gets.
port=$(free_port)
"$PYTHON" - "$port" "$work/contacts" <<'PY' &
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(16); s.settimeout(300)
open(sys.argv[2], "w").close()
while True:
    try:
        c, _ = s.accept()
    except OSError:
        break
    open(sys.argv[2], "a").write("x\n"); c.close()
PY
pids+=($!)
for i in $(seq 1 100); do [ -f "$work/contacts" ] && break; sleep 0.1; done
(umask 077; echo 'Some-Passw0rd!' >"$work/pw")
base() {
    printf '[instance %s]\nserver = 127.0.0.1:%s\nlogin = admin\npassword-file = %s\n' "$1" "$port" "$work/pw"
    printf 'trust-server-certificate = yes\nendpoint-port = %s\nmaster-key-password-file = %s\n\n' "$2" "$work/pw"
}
# bad NAME LINE REGEX: the file $work/NAME.ini is refused naming LINE, exit 2.
bad() {
    local rc=0
    "$MIRRORKEY" apply "$work/$1.ini" >"$work/$1.out" 2>&1 || rc=$?
    [ $rc -eq 2 ] || { cat "$work/$1.out" >&2; fail "$1: exit $rc, want 2"; }
    grep -Eq "$1.ini:$2: .*$3" "$work/$1.out" || { cat "$work/$1.out" >&2; fail "$1: message"; }
}
{ base A 5022; echo 'passwd = x'; } >"$work/unknown_key.ini"
bad unknown_key 9 "unknown key 'passwd'"
{ base A 5022; base a 5023; } >"$work/duplicate.ini"
bad duplicate 9 "duplicate instance"
{ base A 5022; base B 5023; printf '[session db]\nprincipal = A\nmirror = C\n'; } >"$work/missing.ini"
bad missing 19 "no instance named .C."
{ base A 5022; base B 5023; printf '[session db]\nprincipal = A\nmirror = B\nwitness = B\n'; } >"$work/witness.ini"
bad witness 20 "witness is also a partner"
{ base A 5022; printf '[server X]\n'; } >"$work/section.ini"
bad section 9 "unknown section"
[ ! -s "$work/contacts" ] || fail "a bad topology file led to a connection"

# Secrets never on the command line.
rc=0; "$MIRRORKEY" outbound --password 'x' >/dev/null 2>&1 || rc=$?
[ $rc -eq 2 ] || fail "--password accepted"
rc=0; "$MIRRORKEY" outbound --pin 1234 >/dev/null 2>&1 || rc=$?
[ $rc -eq 2 ] || fail "--pin accepted"
"$MIRRORKEY" apply --help | grep -q 'dry-run' || fail "apply --help"
rc=0; "$MIRRORKEY" apply "$work/missing-file.ini" >/dev/null 2>&1 || rc=$?
[ $rc -eq 2 ] || fail "a missing topology file: $rc"
rc=0; "$MIRRORKEY" outbound --server "127.0.0.1:$port" --name A --login admin --password-file "$work/pw" \
    --master-key-password-file "$work/pw" >"$work/noca.out" 2>&1 || rc=$?
[ $rc -eq 2 ] && grep -q 'ca-file' "$work/noca.out" || { cat "$work/noca.out" >&2; fail "no ca-file and no trust accepted"; }
[ ! -s "$work/contacts" ] || fail "a refused command line led to a connection"

# outbound on HOST_A, inbound of HOST_A's .cer on HOST_B: one instance at a time.
start_host HOST_A
start_host HOST_B
conn() { echo --server "127.0.0.1:$(tds_port "$1")" --login admin --password-file "$work/$1/admin.pw" --ca-file "$(tds_cert "$1")"; }
(umask 077; echo 'Mk-Passw0rd-A!' >"$work/mka")
mkdir "$work/cer"
# shellcheck disable=SC2046
"$MIRRORKEY" outbound $(conn HOST_A) --name HOST_A --master-key-password-file "$work/mka" \
    --endpoint-port "$(free_port)" --key ec:p256 --cer-out "$work/cer" --transcript "$work/out.jsonl" \
    >"$work/out.txt" 2>&1 || { cat "$work/out.txt" >&2; fail "outbound"; }
"$MIRRORKEY" transcript verify "$work/out.jsonl" >/dev/null || fail "outbound's transcript"
[ "$("$PYTHON" -c 'import json,sys; print(" ".join(json.loads(l)["type"] for l in open(sys.argv[1]) if json.loads(l)["type"] in ("start","certificate","end")))' "$work/out.jsonl")" = "start certificate end" ] ||
    fail "outbound's transcript lacks start, certificate or end"
grep -Eq 'sha256 [0-9a-f]{64}, spki-sha256 [0-9a-f]{64}' "$work/out.txt" || fail "outbound: no fingerprints"
[ "$(ls "$work/cer")" = "HOST_A_cert.cer" ] || fail "outbound wrote something other than the .cer"
"$OPENSSL" x509 -inform DER -in "$work/cer/HOST_A_cert.cer" -noout -text | grep -q 'prime256v1' ||
    fail "the instance did not honour key = ec:p256"
! grep -q 'PRIVATE' "$work/cer/HOST_A_cert.cer" || fail "private material in the .cer"
# Inbound before the instance has an endpoint: refused before any change.
rc=0
# shellcheck disable=SC2046
"$MIRRORKEY" inbound $(conn HOST_B) --peer HOST_A --cer "$work/cer/HOST_A_cert.cer" >"$work/in0.txt" 2>&1 || rc=$?
[ $rc -eq 1 ] && grep -q 'run outbound here first' "$work/in0.txt" || { cat "$work/in0.txt" >&2; fail "inbound without an endpoint"; }
never HOST_B "SELECT name FROM sys.server_principals WHERE name = 'HOST_A_login'" HOST_A_login
(umask 077; echo 'Mk-Passw0rd-B!' >"$work/mkb")
# shellcheck disable=SC2046
"$MIRRORKEY" outbound $(conn HOST_B) --name HOST_B --master-key-password-file "$work/mkb" \
    --endpoint-port "$(free_port)" --cer-out "$work/cer" >"$work/outb.txt" 2>&1 || { cat "$work/outb.txt" >&2; fail "outbound B"; }
# shellcheck disable=SC2046
"$MIRRORKEY" inbound $(conn HOST_B) --peer HOST_A --cer "$work/cer/HOST_A_cert.cer" >"$work/in.txt" 2>&1 ||
    { cat "$work/in.txt" >&2; fail "inbound"; }
expect HOST_B "SELECT name FROM sys.certificates WHERE name = 'HOST_A_cert'" HOST_A_cert
expect HOST_B "SELECT permission_name, state_desc FROM sys.server_permissions WHERE permission_name = 'CONNECT'" 'CONNECT[[:space:]]+GRANT'
# shellcheck disable=SC2046
"$MIRRORKEY" inbound $(conn HOST_B) --peer HOST_A --cer "$work/cer/HOST_A_cert.cer" >"$work/in2.txt" 2>&1 ||
    fail "inbound again"
! grep -Eq ' (done|error) ' "$work/in2.txt" || { cat "$work/in2.txt" >&2; fail "a second inbound changed something"; }
echo "cli_test: ok"
