#!/usr/bin/env bash
# site.sh — the witnessed key ceremony for ONE mirrorkey site.
#
#   site.sh (--token-uri URI | --softhsm DIR) --name NAME --data-dir DIR
#           --admin-password-file FILE --master-key-password-file FILE
#           --out DIR [--endpoint-port N] [--tds-listen ADDR:PORT] [--keep-running] ...
#
#   e.g. a rehearsal:  scripts/ceremony/site.sh --softhsm /srv/rehearsal/hsm \
#          --name HOST_A --data-dir /srv/rehearsal/data --out /srv/rehearsal/out \
#          --admin-password-file admin.pw --master-key-password-file mk.pw
#
# WHAT IT DOES, in order, stopping at the first failure:
#   1. shows the identity of the token the keys will live on
#      (`mirrorkey token info`): label, serial, manufacturer, model;
#   2. creates the instance on that token (`mirrorkeyd init`: catalog, admin
#      login, the TLS key pair and certificate generated on the token);
#   3. starts it (`mirrorkeyd run`, in the background) and waits for its
#      "tds listening on" log line;
#   4. runs the outbound half of the mirroring setup (`mirrorkey outbound`:
#      master key, certificate whose key pair is generated on the token,
#      endpoint) with a ceremony transcript, and writes the public NAME_cert.cer.
#      The TDS connection is pinned to DATA/tds-cert.pem (written by init).
#      A daemon too old to write it: the certificate is exported from the
#      token with p11tool (a public object, no PIN) when p11tool is
#      installed, and only failing that is the connection left unchecked
#      (--trust-server-certificate, announced in capitals and recorded in
#      the transcript as "not checked");
#   5. verifies the transcript's hash chain (`mirrorkey transcript verify`);
#   6. prints a FOR THE WITNESS block — what the witness compares and signs:
#      the token's label and serial, the certificate's SHA-256 and SPKI
#      SHA-256 and the key policy the token reports for its private key (all
#      from the transcript), the .cer file's SHA-256 computed independently
#      (sha256sum; it must equal the certificate's), the pinned TDS
#      certificate, and the SHA-256 of the transcript file and of its last
#      line (the value a line appended to it would have to carry as "prev").
#   Exits non-zero unless the token reports meets_policy = 1 for the key, the
#   .cer matches the certificate, and the instance used the token shown in 1.
#   The daemon is stopped at the end unless --keep-running is given (it is
#   stopped on any failure either way).
#
# WHAT IT ASKS FOR — options, or the environment variables named after them.
# No secret is ever taken on the command line: passwords come from files
# (owned by you, mode 0600, one line) and the token PIN from the URI's
# pin-source.
#   --token-uri URI          CEREMONY_TOKEN_URI    an initialised token:
#        'pkcs11:token=LABEL?module-path=/path/to/module.so&pin-source=file:/path/pin'
#        (the daemon runs in the background, so pin-source=file: is required;
#        a URI with pin-value is refused). For SoftHSM2 tokens export
#        SOFTHSM2_CONF as well.
#   --softhsm DIR            CEREMONY_SOFTHSM_DIR  instead: a rehearsal on a fresh
#        SoftHSM2 token made in DIR by scripts/softhsm-token.sh (random PINs
#        in DIR, or MK_USER_PIN_FILE / MK_SO_PIN_FILE; softhsm2-util briefly
#        shows them in its argv, acceptable for a rehearsal token only)
#   --token-label LABEL      CEREMONY_TOKEN_LABEL  label for --softhsm (default: the name)
#   --name NAME              CEREMONY_NAME         instance name (@@SERVERNAME), required
#   --data-dir DIR           CEREMONY_DATA_DIR     new, or empty, instance directory, required
#   --tds-listen ADDR:PORT   CEREMONY_TDS_LISTEN   default 127.0.0.1:0 (a free port)
#   --admin-login NAME       CEREMONY_ADMIN_LOGIN  default admin
#   --admin-password-file F  CEREMONY_ADMIN_PASSWORD_FILE        required
#   --master-key-password-file F  CEREMONY_MASTER_KEY_PASSWORD_FILE  required
#   --endpoint-port N        CEREMONY_ENDPOINT_PORT  default 5022
#   --role partner|witness|all  CEREMONY_ROLE     default all
#   --key SPEC               CEREMONY_KEY          certificate key (rsa:3072 ... ec:p384)
#   --expiry YYYY-MM-DD      CEREMONY_EXPIRY       certificate EXPIRY_DATE
#   --tds-key-type rsa|ec    CEREMONY_TDS_KEY_TYPE the TLS key made by init (default ec)
#   --out DIR                CEREMONY_OUT_DIR      output directory, required
#   --keep-running           CEREMONY_KEEP_RUNNING=1  leave the daemon running
#   Programs: MIRRORKEY, MIRRORKEYD (default: this tree's build/bin, else
#   PATH), PYTHON (python3), P11TOOL (p11tool), OPENSSL (openssl).
#
# WHAT IT LEAVES BEHIND
#   DATA/                       the instance (catalog, config, files/)
#   on the token                the TLS key pair + certificate
#                               (mirrorkey-tds-NAME), NAME_cert's key pair
#   OUT/NAME-token-info.txt     step 1's output
#   OUT/NAME-mirrorkeyd.log     the daemon's log (appended to)
#   OUT/NAME-mirrorkeyd.pid     with --keep-running: the daemon's process id
#   OUT/NAME-tds-cert.pem       only when exported from the token (step 4)
#   OUT/NAME-outbound.jsonl     the ceremony transcript (never overwritten)
#   OUT/NAME-outbound.txt       mirrorkey outbound's report
#   OUT/NAME_cert.cer           the public certificate (DER) for the peers
#   OUT/NAME-witness.txt        the FOR THE WITNESS block
#   With --softhsm: DIR/softhsm2.conf, DIR/tokens/, DIR/LABEL.pin, DIR/LABEL.so-pin.
#
# Exit: 0 done; 1 a step failed or the key does not meet the policy;
# 2 bad command line.
set -euo pipefail
umask 077

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
tree=$(cd "$here/../.." && pwd)

usage() { sed -n '2,/^set -euo pipefail$/{/^set /d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"; }
die() { printf 'site.sh: error: %s\n' "$*" >&2; exit 1; }
usage_error() { printf 'site.sh: %s (see --help)\n' "$*" >&2; exit 2; }
say() { printf '\n== %s\n' "$*"; }

token_uri=${CEREMONY_TOKEN_URI:-}
softhsm_dir=${CEREMONY_SOFTHSM_DIR:-}
token_label=${CEREMONY_TOKEN_LABEL:-}
name=${CEREMONY_NAME:-}
data=${CEREMONY_DATA_DIR:-}
listen=${CEREMONY_TDS_LISTEN:-127.0.0.1:0}
admin_login=${CEREMONY_ADMIN_LOGIN:-admin}
admin_pw=${CEREMONY_ADMIN_PASSWORD_FILE:-}
mk_pw=${CEREMONY_MASTER_KEY_PASSWORD_FILE:-}
ep_port=${CEREMONY_ENDPOINT_PORT:-5022}
role=${CEREMONY_ROLE:-}
key=${CEREMONY_KEY:-}
expiry=${CEREMONY_EXPIRY:-}
tds_key_type=${CEREMONY_TDS_KEY_TYPE:-}
out=${CEREMONY_OUT_DIR:-}
keep=${CEREMONY_KEEP_RUNNING:-0}

while [ $# -gt 0 ]; do
    opt=$1
    case $opt in
    -h | --help) usage; exit 0 ;;
    --keep-running) keep=1; shift; continue ;;
    --*=*) set -- "${opt%%=*}" "${opt#*=}" "${@:2}"; continue ;;
    --token-uri | --softhsm | --token-label | --name | --data-dir | --tds-listen | --admin-login | \
        --admin-password-file | --master-key-password-file | --endpoint-port | --role | --key | \
        --expiry | --tds-key-type | --out)
        [ $# -ge 2 ] || usage_error "$opt needs a value"
        val=$2
        shift 2 ;;
    --password | --pin | --pin-value | --so-pin | --*-password | --*-pin)
        usage_error "$opt: secrets are never taken on the command line; use a file (see --help)" ;;
    *) usage_error "unknown argument '$opt'" ;;
    esac
    case $opt in
    --token-uri) token_uri=$val ;;
    --softhsm) softhsm_dir=$val ;;
    --token-label) token_label=$val ;;
    --name) name=$val ;;
    --data-dir) data=$val ;;
    --tds-listen) listen=$val ;;
    --admin-login) admin_login=$val ;;
    --admin-password-file) admin_pw=$val ;;
    --master-key-password-file) mk_pw=$val ;;
    --endpoint-port) ep_port=$val ;;
    --role) role=$val ;;
    --key) key=$val ;;
    --expiry) expiry=$val ;;
    --tds-key-type) tds_key_type=$val ;;
    --out) out=$val ;;
    esac
done

# ---- checks before anything is made ----
[ -n "$name" ] || usage_error "--name is required"
[[ $name =~ ^[A-Za-z0-9_.-]{1,64}$ ]] || usage_error "--name: letters, digits, _ - . (1..64)"
[ -n "$data" ] || usage_error "--data-dir is required"
[ -n "$out" ] || usage_error "--out is required"
[ -n "$admin_pw" ] || usage_error "--admin-password-file is required"
[ -n "$mk_pw" ] || usage_error "--master-key-password-file is required"
if [ -n "$token_uri" ] && [ -n "$softhsm_dir" ]; then
    usage_error "give --token-uri or --softhsm, not both"
fi
[ -n "$token_uri" ] || [ -n "$softhsm_dir" ] || usage_error "--token-uri or --softhsm is required"
if ! [[ $ep_port =~ ^[0-9]+$ ]] || [ "$ep_port" -lt 1 ] || [ "$ep_port" -gt 65535 ]; then
    usage_error "--endpoint-port: 1..65535"
fi
case $keep in 0 | 1 | "") ;; *) usage_error "CEREMONY_KEEP_RUNNING: 0 or 1" ;; esac

secret_file_ok() { # FILE WHAT
    local f=$1 what=$2 mode owner
    [ -f "$f" ] || die "$what $f: not a regular file"
    mode=$(stat -c %a "$f")
    owner=$(stat -c %u "$f")
    [ "$owner" = "$(id -u)" ] || die "$what $f: not owned by you"
    [ $((8#$mode & 8#077)) -eq 0 ] || die "$what $f: readable by group or others (chmod 600 it)"
    [ -s "$f" ] || die "$what $f: empty"
}
secret_file_ok "$admin_pw" "admin password file"
secret_file_ok "$mk_pw" "master key password file"
case $token_uri in
*pin-value*) die "--token-uri carries pin-value: PINs never go on a command line (use pin-source=file:)" ;;
"") ;;
pkcs11:*) [[ $token_uri == *pin-source=file:* ]] ||
    die "--token-uri needs pin-source=file:PATH (the daemon runs in the background and cannot prompt)" ;;
*) die "--token-uri must be a pkcs11: URI" ;;
esac
if [ -e "$data" ] && [ -n "$(ls -A "$data" 2>/dev/null)" ]; then
    die "--data-dir $data exists and is not empty: init never overwrites an instance"
fi

find_prog() { # VAR_VALUE NAME
    if [ -n "$1" ]; then printf '%s\n' "$1"; return; fi
    if [ -x "$tree/build/bin/$2" ]; then printf '%s\n' "$tree/build/bin/$2"; return; fi
    command -v "$2" || die "$2 not found (build the tree or set ${2^^})"
}
MIRRORKEY=$(find_prog "${MIRRORKEY:-}" mirrorkey)
MIRRORKEYD=$(find_prog "${MIRRORKEYD:-}" mirrorkeyd)
PYTHON=${PYTHON:-python3}
P11TOOL=${P11TOOL:-p11tool}
OPENSSL=${OPENSSL:-openssl}
command -v "$PYTHON" >/dev/null || die "$PYTHON not found (needed to read the transcript)"
command -v sha256sum >/dev/null || die "sha256sum not found"

mkdir -p "$out"
out=$(cd "$out" && pwd)
transcript=$out/$name-outbound.jsonl
cer=$out/${name}_cert.cer
witness=$out/$name-witness.txt
log=$out/$name-mirrorkeyd.log
pidfile=$out/$name-mirrorkeyd.pid
for f in "$transcript" "$witness"; do
    [ ! -e "$f" ] || die "$f exists: a ceremony record is never overwritten (use another --out)"
done

# ---- the daemon is stopped on every way out, unless kept running after success ----
daemon_pid=""
success=0
stop_daemon() {
    [ -n "$daemon_pid" ] || return 0
    kill -TERM "$daemon_pid" 2>/dev/null || { daemon_pid=""; return 0; }
    for _ in $(seq 1 300); do
        kill -0 "$daemon_pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$daemon_pid" 2>/dev/null; then
        echo "site.sh: mirrorkeyd (pid $daemon_pid) did not stop within 30 s; left running" >&2
    else
        wait "$daemon_pid" 2>/dev/null || true
        echo "mirrorkeyd (pid $daemon_pid) stopped."
    fi
    rm -f "$pidfile"
    daemon_pid=""
}
on_exit() {
    local rc=$?
    if [ "$success" = 1 ] && [ "$keep" = 1 ]; then return 0; fi
    [ "$rc" -eq 0 ] || [ -z "$daemon_pid" ] || echo "site.sh: the ceremony failed; stopping the daemon." >&2
    stop_daemon
    return 0
}
trap on_exit EXIT
trap 'exit 130' INT TERM HUP

# ---- 0. a rehearsal token ----
if [ -n "$softhsm_dir" ]; then
    token_label=${token_label:-$name}
    say "Rehearsal token: a fresh SoftHSM2 token '$token_label' in $softhsm_dir"
    [ ! -e "$softhsm_dir/$token_label.pin" ] ||
        die "$softhsm_dir already holds a token '$token_label'; a ceremony starts from a fresh token (use --token-uri for an existing one)"
    env_out=$(bash "$tree/scripts/softhsm-token.sh" "$softhsm_dir" "$token_label") ||
        die "scripts/softhsm-token.sh failed"
    eval "$env_out"
    token_uri=$MK_TOKEN_URI
    echo "SOFTHSM2_CONF=$SOFTHSM2_CONF"
fi

# ---- 1. the token ----
say "1. The token (mirrorkey token info)"
"$MIRRORKEY" token info --uri "$token_uri" >"$out/$name-token-info.txt" 2>&1 ||
    { cat "$out/$name-token-info.txt" >&2; die "cannot open the token (mirrorkey token info)"; }
cat "$out/$name-token-info.txt"
info_field() { sed -n "s/^$1:[[:space:]]*//p" "$out/$name-token-info.txt" | head -n 1; }
tok_label=$(info_field token)
tok_serial=$(info_field serial)
tok_maker=$(info_field manufacturer)
tok_model=$(info_field model)
if [ -z "$tok_label" ] || [ -z "$tok_serial" ]; then
    die "mirrorkey token info printed no token label or serial"
fi

# ---- 2. the instance ----
say "2. Create instance $name on token '$tok_label' (mirrorkeyd init)"
init_args=(init --data-dir "$data" --pkcs11-uri "$token_uri" --admin-login "$admin_login"
    --admin-password-file "$admin_pw" --instance-name "$name")
[ -z "$tds_key_type" ] || init_args+=(--key-type "$tds_key_type")
"$MIRRORKEYD" "${init_args[@]}" || die "mirrorkeyd init failed (it removed what it had made)"
data=$(cd "$data" && pwd)

# ---- 3. the daemon ----
say "3. Start mirrorkeyd (log: $log)"
touch "$log"
from=$(($(wc -l <"$log") + 1))
"$MIRRORKEYD" run --data-dir "$data" --tds-listen "$listen" </dev/null >>"$log" 2>&1 &
daemon_pid=$!
addr=""
for _ in $(seq 1 300); do
    addr=$(tail -n +"$from" "$log" | sed -n 's/.* tds listening on \([^[:space:]]*\).*/\1/p' | head -n 1)
    [ -n "$addr" ] && break
    kill -0 "$daemon_pid" 2>/dev/null ||
        { tail -n 20 "$log" >&2; daemon_pid=""; die "mirrorkeyd run exited (log above)"; }
    sleep 0.1
done
[ -n "$addr" ] || { tail -n 20 "$log" >&2; die "mirrorkeyd logged no 'tds listening on' line within 30 s"; }
port=${addr##*:}
host=${addr%:*}
case $host in "" | "*" | 0.0.0.0) host=127.0.0.1 ;; "[::]") host="[::1]" ;; esac
server=$host:$port
echo "mirrorkeyd pid $daemon_pid: tds listening on $addr (connecting to $server)"
if [ "$keep" = 1 ]; then echo "$daemon_pid" >"$pidfile"; fi

# ---- 4. outbound ----
say "4. Outbound: master key, certificate on the token, endpoint (mirrorkey outbound)"
tds_pin=""
tds_pin_source=""
if [ -s "$data/tds-cert.pem" ]; then
    tds_pin=$data/tds-cert.pem
    tds_pin_source="pinned: $data/tds-cert.pem (written by mirrorkeyd init)"
else
    echo "NOTE: $data has no tds-cert.pem (a mirrorkeyd older than this script)."
    tls_label=$(sed -n 's/^tls_key_label[[:space:]]*=[[:space:]]*//p' "$data/mirrorkeyd.conf")
    # The module from the URI's query (percent-decoded), the object URI encoded.
    module=$("$PYTHON" -c 'import sys, urllib.parse as u
q = sys.argv[1].partition("?")[2]
print(next((u.unquote(v) for k, _, v in (p.partition("=") for p in q.split("&")) if k == "module-path"), ""))' "$token_uri")
    cert_uri=$("$PYTHON" -c 'import sys, urllib.parse as u
print("pkcs11:token=%s;object=%s;type=cert" % (u.quote(sys.argv[1], safe=""), u.quote(sys.argv[2], safe="")))' \
        "$tok_label" "$tls_label")
    if command -v "$P11TOOL" >/dev/null && [ -n "$tls_label" ]; then
        p11=("$P11TOOL")
        [ -z "$module" ] || p11+=(--provider "$module")
        if "${p11[@]}" --export "$cert_uri" \
            >"$out/$name-tds-cert.pem" 2>"$out/$name-tds-cert.err" && [ -s "$out/$name-tds-cert.pem" ]; then
            tds_pin=$out/$name-tds-cert.pem
            tds_pin_source="pinned: $tds_pin (exported from the token with p11tool: object $tls_label)"
            echo "      Pinning the certificate exported from the token instead: $tds_pin"
        else
            rm -f "$out/$name-tds-cert.pem"
        fi
        rm -f "$out/$name-tds-cert.err"
    fi
fi
conn=(--server "$server" --login "$admin_login" --password-file "$admin_pw")
if [ -n "$tds_pin" ]; then
    conn+=(--ca-file "$tds_pin")
else
    cat <<'LOUD'

  !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!
  !!  WARNING: THE TDS CERTIFICATE OF THIS INSTANCE IS NOT CHECKED.           !!
  !!  The data directory has no tds-cert.pem and the certificate could not    !!
  !!  be exported from the token, so mirrorkey outbound runs with             !!
  !!  --trust-server-certificate. The transcript records "not checked".       !!
  !!  The witness must note this.                                             !!
  !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!

LOUD
    conn+=(--trust-server-certificate)
    tds_pin_source="NOT CHECKED (--trust-server-certificate)"
fi
ob=(outbound "${conn[@]}" --name "$name" --master-key-password-file "$mk_pw"
    --endpoint-port "$ep_port" --transcript "$transcript" --cer-out "$out")
[ -z "$role" ] || ob+=(--role "$role")
[ -z "$key" ] || ob+=(--key "$key")
[ -z "$expiry" ] || ob+=(--expiry "$expiry")
rc=0
"$MIRRORKEY" "${ob[@]}" 2>&1 | tee "$out/$name-outbound.txt" || rc=$?
[ "$rc" -eq 0 ] || die "mirrorkey outbound failed (exit $rc; report in $out/$name-outbound.txt)"
[ -s "$transcript" ] || die "mirrorkey outbound wrote no transcript"
[ -s "$cer" ] || die "mirrorkey outbound wrote no $cer"

# ---- 5. the transcript ----
say "5. Verify the transcript (mirrorkey transcript verify)"
"$MIRRORKEY" transcript verify "$transcript" || die "the transcript does not verify"

# ---- 6. for the witness ----
# The transcript's own record of the certificate: "key=value" lines into T[].
facts=$("$PYTHON" - "$transcript" "$name" <<'PY'
import json, re, sys
path, name = sys.argv[1], sys.argv[2]
certs, tds, lines = [], None, []
with open(path, "rb") as f:
    raw = f.read()
for line in raw.split(b"\n"):
    if not line:
        continue
    lines.append(line)
    rec = json.loads(line)
    if rec.get("type") == "certificate" and rec.get("instance") == name:
        certs.append(rec)
    if rec.get("type") == "connect" and rec.get("instance") == name:
        tds = rec.get("tds_certificate_sha256")
if not certs:
    sys.exit("the transcript has no certificate record for %s" % name)
c = certs[-1]
kp = c.get("key_policy") or {}
out = {
    "cert_name": c.get("name"), "cert_sha256": c.get("sha256"), "cert_spki": c.get("spki_sha256"),
    "cert_key": c.get("key"), "cert_subject": c.get("subject"), "cert_not_after": c.get("not_after"),
    "tds_sha256": tds if tds is not None else "(no connect record)",
    "kp_token_label": kp.get("token_label"), "kp_key_id": kp.get("key_id"),
    "kp_checked_at": kp.get("checked_at"), "n_lines": len(lines),
}
for k in ("is_local", "is_sensitive", "is_always_sensitive", "is_extractable",
          "is_never_extractable", "is_private_value_readable", "meets_policy"):
    out["kp_" + k] = kp.get(k)
for k, v in out.items():
    v = "" if v is None else str(v)
    print("%s=%s" % (k, re.sub(r"[\x00-\x1f\x7f]", "?", v)))
PY
) || die "cannot read the certificate record from $transcript"
declare -A T=()
while IFS= read -r kv; do T[${kv%%=*}]=${kv#*=}; done <<<"$facts"
want() { if [ "$1" = "$2" ]; then echo "ok"; else echo "WRONG, want $2"; fi; }
problems=()

cer_sha=$(sha256sum "$cer" | cut -d' ' -f1)
# The pinned TDS certificate's SHA-256 (DER), computed here, against the transcript's.
tds_check=""
if [ -n "$tds_pin" ]; then
    if pin_sha=$("$OPENSSL" x509 -in "$tds_pin" -outform DER 2>/dev/null | sha256sum | cut -d' ' -f1) &&
        [ "$pin_sha" != "$(printf '' | sha256sum | cut -d' ' -f1)" ]; then
        tds_check="  [$(want "$pin_sha" "${T[tds_sha256]}")]"
        [ "$pin_sha" = "${T[tds_sha256]}" ] ||
            problems+=("the transcript's TDS certificate is not the pinned file's")
    else
        tds_check="  (openssl could not read $tds_pin)"
    fi
fi
file_sha=$(sha256sum "$transcript" | cut -d' ' -f1)
last_sha=$(tail -n 1 "$transcript" | tr -d '\n' | sha256sum | cut -d' ' -f1)
not_after_utc=$(date -u -d "@${T[cert_not_after]}" '+%Y-%m-%d %H:%M:%S UTC' 2>/dev/null || echo "${T[cert_not_after]}")
[ "${T[kp_meets_policy]}" = 1 ] || problems+=("the token reports meets_policy = '${T[kp_meets_policy]}' for ${T[cert_name]}'s private key")
[ "$cer_sha" = "${T[cert_sha256]}" ] || problems+=("the .cer's SHA-256 differs from the certificate's in the transcript")
[ "${T[kp_token_label]}" = "$tok_label" ] ||
    problems+=("the key is on token '${T[kp_token_label]}', not on the token shown in step 1 ('$tok_label')")

{
    cat <<EOF
==================================== FOR THE WITNESS ====================================
Site / instance        $name   (mirrorkeyd at $server, data $data)
Ceremony run           $(date -u '+%Y-%m-%d %H:%M:%S UTC') by ${USER:-$(id -un)} on $(hostname)

TOKEN (step 1)         label   $tok_label
                       serial  $tok_serial
                       maker   $tok_maker, model $tok_model
TDS certificate        $tds_pin_source
                       SHA-256 ${T[tds_sha256]}${tds_check}

CERTIFICATE            ${T[cert_name]} (${T[cert_key]}), subject ${T[cert_subject]}
                       not after $not_after_utc
  certificate SHA-256  ${T[cert_sha256]}
  SPKI SHA-256         ${T[cert_spki]}
  .cer file            $cer
  sha256sum of .cer    $cer_sha   [$(want "$cer_sha" "${T[cert_sha256]}")]

KEY POLICY of ${T[cert_name]}'s private key, read from token '${T[kp_token_label]}' at ${T[kp_checked_at]}
(key id ${T[kp_key_id]})
  is_local                   ${T[kp_is_local]:-?}   [$(want "${T[kp_is_local]}" 1)]
  is_sensitive               ${T[kp_is_sensitive]:-?}   [$(want "${T[kp_is_sensitive]}" 1)]
  is_always_sensitive        ${T[kp_is_always_sensitive]:-?}   [$(want "${T[kp_is_always_sensitive]}" 1)]
  is_extractable             ${T[kp_is_extractable]:-?}   [$(want "${T[kp_is_extractable]}" 0)]
  is_never_extractable       ${T[kp_is_never_extractable]:-?}   [$(want "${T[kp_is_never_extractable]}" 1)]
  is_private_value_readable  ${T[kp_is_private_value_readable]:-?}   [$(want "${T[kp_is_private_value_readable]}" 0)]
  meets_policy               ${T[kp_meets_policy]:-?}   [$(want "${T[kp_meets_policy]}" 1)]

TRANSCRIPT             $transcript (${T[n_lines]} lines, hash chain verified)
  file SHA-256         $file_sha
  last line SHA-256    $last_sha
                       (SHA-256 of the last line without its newline: the "prev" a next line carries)

The witness compares and signs off:
  * the token label and serial above against the token physically present;
  * the .cer's sha256sum against the certificate SHA-256 (they must be equal),
    and later against what every peer site imports for $name;
  * the SPKI SHA-256 (the hash of the public key itself);
  * every key policy line is [ok] and meets_policy is 1;
  * the TDS certificate lines (pinned, not "NOT CHECKED"; the SHA-256 the
    transcript records equals the pinned file's);
  * the transcript's file SHA-256 and last line SHA-256, recorded with this sheet.
EOF
    if [ ${#problems[@]} -eq 0 ] && [ -z "$tds_pin" ]; then
        echo "RESULT                 OK, but the TDS certificate was NOT CHECKED (see above)"
    elif [ ${#problems[@]} -eq 0 ]; then
        echo "RESULT                 OK"
    else
        for p in "${problems[@]}"; do echo "RESULT                 FAILED: $p"; done
    fi
    echo "=========================================================================================="
} >"$witness"
printf '\n'
cat "$witness"

[ ${#problems[@]} -eq 0 ] || die "${problems[0]} (see $witness)"
success=1
if [ "$keep" = 1 ]; then
    printf '\nmirrorkeyd left running: pid %s (in %s), TDS at %s.\n' "$daemon_pid" "$pidfile" "$server"
else
    say "Stop mirrorkeyd"
    stop_daemon
fi
echo "site.sh: ceremony for $name complete; records in $out"
