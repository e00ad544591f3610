# Shared by scripts/demo.sh, the scenario tests and the endpoint daemon
# tests (tests/integration/endpoint/*.sh; sourced, not run): a work
# directory cleaned up on exit (kept with MK_TEST_KEEP=1), real mirrorkeyd
# daemons each with its own SoftHSM2 token, and FreeTDS tsql as the client.
#
# The sourcing script sets MIRRORKEYD, SRC (the source tree), TSQL, and
# HOSTS_TO_SHOW (names whose daemon logs `fail` prints), then calls
# scenario_init PREFIX. SRC and TSQL left unset default to this script's
# tree and MK_TSQL (else tsql); OPENSSL and PYTHON, for tests that use them,
# to MK_OPENSSL and MK_PYTHON (else openssl and python3), as ctest sets them.

SRC=${SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
TSQL=${TSQL:-${MK_TSQL:-tsql}}
OPENSSL=${OPENSSL:-${MK_OPENSSL:-openssl}}
PYTHON=${PYTHON:-${MK_PYTHON:-python3}}

ADMIN_PW='Adm1n-Passw0rd!'
SEEDS=$SRC/tests/scenario/seeds
pids=()
declare -A HOST_PID=()

scenario_init() {
    work=$(mktemp -d "${TMPDIR:-/tmp}/$1-XXXXXX")
    trap scenario_cleanup EXIT
}

scenario_cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    if [ -z "${MK_TEST_KEEP:-}" ]; then rm -rf "$work"; else echo "kept $work" >&2; fi
}

fail() {
    echo "FAIL: $*" >&2
    for h in ${HOSTS_TO_SHOW:-}; do
        if [ -f "$work/$h/mirrorkeyd.log" ]; then
            echo "--- $h log" >&2
            tail -n 40 "$work/$h/mirrorkeyd.log" >&2
        fi
    done
    exit 1
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# run_host NAME [PORT]: `mirrorkeyd run` on NAME's data directory (again after a
# stop) on PORT (default: a free one); waits for the TDS port and writes
# freetds.conf for tsql.
run_host() {
    local h=$1 dir=$work/$1 port="" i
    touch "$dir/mirrorkeyd.log"
    SOFTHSM2_CONF=$(cat "$dir/softhsm2.conf.path") "$MIRRORKEYD" run --data-dir "$dir/data" \
        --tds-listen "127.0.0.1:${2:-0}" >>"$dir/mirrorkeyd.log" 2>&1 &
    pids+=($!)
    HOST_PID[$h]=$!
    local from=$(($(wc -l <"$dir/mirrorkeyd.log") + 1))
    for i in $(seq 1 600); do
        port=$(tail -n +"$from" "$dir/mirrorkeyd.log" |
            sed -n 's/.*tds listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p;T;q')
        [ -n "$port" ] && break
        kill -0 "${HOST_PID[$h]}" 2>/dev/null || fail "mirrorkeyd $h exited"
        sleep 0.1
    done
    [ -n "$port" ] || fail "mirrorkeyd $h did not report its port"
    printf '[global]\n\ttds version = 7.4\n[%s]\n\thost = 127.0.0.1\n\tport = %s\n\tencryption = require\n' \
        "$h" "$port" >"$dir/freetds.conf"
}

# stop_host NAME: SIGTERM and wait.
stop_host() {
    kill "${HOST_PID[$1]}" 2>/dev/null || true
    wait "${HOST_PID[$1]}" 2>/dev/null || true
}

# init_host NAME: a token of its own and `mirrorkeyd init` (not started).
init_host() {
    local h=$1 dir=$work/$1
    mkdir -p "$dir"
    (umask 077; printf '%s\n' "$ADMIN_PW" >"$dir/admin.pw")
    eval "$(bash "$SRC/scripts/softhsm-token.sh" "$dir/hsm" "$h")"
    echo "$SOFTHSM2_CONF" >"$dir/softhsm2.conf.path"
    SOFTHSM2_CONF=$SOFTHSM2_CONF "$MIRRORKEYD" init --data-dir "$dir/data" \
        --pkcs11-uri "$MK_TOKEN_URI" --admin-login admin \
        --admin-password-file "$dir/admin.pw" --instance-name "$h" >"$dir/init.log" 2>&1 ||
        { cat "$dir/init.log" >&2; fail "mirrorkeyd init $h"; }
}

# start_host NAME: init_host, then run_host.
start_host() {
    init_host "$1"
    run_host "$1"
}

# tds_port NAME: the TDS port NAME's daemon serves (from its freetds.conf).
tds_port() { sed -n 's/^[[:space:]]*port = //p' "$work/$1/freetds.conf"; }

# tds_cert NAME: the PEM of the certificate NAME's TDS port presents: the
# tds-cert.pem init writes, else exported from the token (public object).
tds_cert() {
    local h=$1 f=$work/$1/data/tds-cert.pem
    if [ ! -s "$f" ]; then
        f=$work/$h/tds-cert.pem
        [ -s "$f" ] || SOFTHSM2_CONF=$(cat "$work/$h/softhsm2.conf.path") p11tool --provider "$MK_MODULE" \
            --export "pkcs11:token=$h;object=mirrorkey-tds-$h;type=cert" >"$f" 2>/dev/null ||
            fail "cannot export $h's TDS certificate"
    fi
    printf '%s\n' "$f"
}

# topology_instance NAME [KEY=VALUE...]: NAME's [instance] section for
# `mirrorkey apply` on stdout: its TDS port, the admin login, a master key
# password file, the TDS certificate it pins (tds-cert.pem from init), and
# an endpoint port picked now (kept in EP_PORT); extra lines as given.
topology_instance() {
    local h=$1 kv
    shift
    [ -n "${EP_PORT[$h]:-}" ] || EP_PORT[$h]=$(free_port)
    [ -f "$work/$h/mk.pw" ] || (umask 077; printf 'Mk-%s-Passw0rd!\n' "$h" >"$work/$h/mk.pw")
    printf '[instance %s]\nserver = 127.0.0.1:%s\nlogin = admin\npassword-file = %s\n' \
        "$h" "${TDS_PORT[$h]:-$(tds_port "$h")}" "$work/$h/admin.pw"
    printf 'ca-file = %s\nendpoint-port = %s\nmaster-key-password-file = %s\n' \
        "$(tds_cert "$h")" "${EP_PORT[$h]}" "$work/$h/mk.pw"
    for kv in "$@"; do printf '%s\n' "$kv"; done
    printf '\n'
}
declare -A TDS_PORT=()

# q HOST: run stdin through tsql against HOST (as admin); output on stdout.
q() {
    local h=$1
    { cat; printf '\ngo\nexit\n'; } |
        FREETDSCONF=$work/$h/freetds.conf "$TSQL" -S "$h" -U admin -P "$ADMIN_PW" 2>&1
}

# expect HOST SQL REGEX: the tsql output of SQL matches REGEX (extended, per line).
expect() {
    local out
    out=$(printf '%s\n' "$2" | q "$1")
    grep -Eq "$3" <<<"$out" || { printf '%s\n' "$out" >&2; fail "$1: $2 !~ $3"; }
}

# expect_error HOST SQL NUMBER: SQL fails with Msg NUMBER.
expect_error() {
    local out
    out=$(printf '%s\n' "$2" | q "$1")
    grep -Eq "Msg $3[^0-9]" <<<"$out" || { printf '%s\n' "$out" >&2; fail "$1: $2: want Msg $3"; }
}

# ok HOST SQL: SQL runs without an error (severity > 10).
ok() {
    local out
    out=$(printf '%s\n' "$2" | q "$1")
    if grep -Eq 'Msg [0-9]+ \(severity (1[1-9]|2[0-9])' <<<"$out"; then
        printf '%s\n' "$out" >&2
        fail "$1: $2 failed"
    fi
}

# eventually HOST SQL REGEX [SECONDS]: the output of SQL matches within SECONDS (default 15).
eventually() {
    local i out
    for i in $(seq 1 $((${4:-15} * 4))); do
        out=$(printf '%s\n' "$2" | q "$1")
        grep -Eq "$3" <<<"$out" && return 0
        sleep 0.25
    done
    printf '%s\n' "$out" >&2
    fail "$1: $2 !~ $3 within ${4:-15} s"
}

# log_after HOST MARK REGEX [SECONDS]: a log line after line MARK matches (bounded wait).
log_after() {
    local i
    for i in $(seq 1 $((${4:-10} * 10))); do
        tail -n +"$(($2 + 1))" "$work/$1/mirrorkeyd.log" | grep -Eq "$3" && return 0
        sleep 0.1
    done
    fail "$1: no log line matching $3"
}
log_mark() { wc -l <"$work/$1/mirrorkeyd.log"; }

# never HOST SQL REGEX: no line of SQL's output matches REGEX.
never() {
    local out
    out=$(printf '%s\n' "$2" | q "$1")
    if grep -Eq "$3" <<<"$out"; then printf '%s\n' "$out" >&2; fail "$1: $2 =~ $3"; fi
}

# eventually_never HOST SQL REGEX [SECONDS]: within SECONDS no line matches.
eventually_never() {
    local i out
    for i in $(seq 1 $((${4:-15} * 4))); do
        out=$(printf '%s\n' "$2" | q "$1")
        grep -Eq "$3" <<<"$out" || return 0
        sleep 0.25
    done
    printf '%s\n' "$out" >&2
    fail "$1: $2 still =~ $3 after ${4:-15} s"
}

# ---- The seed documents' procedures, per instance ----
# Endpoints listen on ports picked at run time and certificates expire a
# year ahead (the seeds' 7024 and 11/30/2013 cannot work here).
EXPIRY=$(date -u -d '+1 year' +%m/%d/%Y)
declare -A EP_PORT=()
addr() { printf 'TCP://127.0.0.1:%s' "${EP_PORT[$1]}"; }

# seed_outbound HOST ROLE: the seeds' outbound steps for HOST (HOST_A's text with
# the name, port, expiry date and endpoint ROLE changed), then its .cer.
seed_outbound() {
    local h=$1 role=$2 f out
    EP_PORT[$h]=$(free_port)
    for f in out_a_1_master_key.sql out_a_2_certificate.sql out_a_5_endpoint.sql \
        out_a_6_backup.sql; do
        out=$(sed -e "s/HOST_A/$h/g" -e "s/LISTENER_PORT=7024/LISTENER_PORT=${EP_PORT[$h]}/" \
            -e "s|EXPIRY_DATE = '11/30/2013'|EXPIRY_DATE = '$EXPIRY'|" \
            -e "s/ROLE = ALL/ROLE = $role/" "$SEEDS/$f" | q "$h")
        printf '%s\n' "$out" >>"$work/$h/tsql.out"
        if grep -Eq 'Msg [0-9]+ \(severity (1[1-9]|2[0-9])' <<<"$out"; then
            printf '%s\n' "$out" >&2
            fail "$f (outbound) on $h"
        fi
    done
    [ -s "$work/$h/data/files/${h}_cert.cer" ] || fail "$h: no ${h}_cert.cer"
}

# seed_inbound HOST PEER [grant]: the seeds' inbound Example on HOST for PEER
# (HOST_A's text with PEER's name); without "grant" the GRANT is left out.
seed_inbound() {
    local h=$1 peer=$2 out
    cp "$work/$peer/data/files/${peer}_cert.cer" "$work/$h/data/files/"
    out=$(sed -e "s/HOST_A/$peer/g" "$SEEDS/in_b_example.sql" |
        if [ "${3:-grant}" = grant ]; then cat; else grep -v '^GRANT CONNECT'; fi | q "$h")
    if grep -Eq 'Msg [0-9]+ \(severity (1[1-9]|2[0-9])' <<<"$out"; then
        printf '%s\n' "$out" >&2
        fail "inbound for $peer on $h"
    fi
}

# ---- For tests that talk to an endpoint themselves ----

# sql HOST SQL: SQL's tsql output on stdout; an error (severity > 10) fails, as in ok.
sql() {
    local out
    out=$(printf '%s\n' "$2" | q "$1")
    ! grep -Eq 'Msg [0-9]+ \(severity (1[1-9]|2[0-9])' <<<"$out" ||
        { printf '%s\n' "$out" >&2; fail "$1: $2 failed"; }
    printf '%s\n' "$out"
}

# soft_peer NAME: a peer outside mirrorkeyd, a software key: $work/NAME/key.pem
# and a self-signed P-256 cert.pem (30 days, CN=NAME), with its DER copy
# where an instance's BACKUP CERTIFICATE leaves one, for seed_inbound.
soft_peer() {
    local d=$work/$1
    mkdir -p "$d/data/files"
    "$OPENSSL" req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -subj "/CN=$1" -days 30 -keyout "$d/key.pem" -out "$d/cert.pem" 2>/dev/null
    "$OPENSSL" x509 -in "$d/cert.pem" -outform DER -out "$d/data/files/$1_cert.cer"
}
