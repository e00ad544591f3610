#!/usr/bin/env bash
# topology.sh — the witnessed ceremony that sets up a whole mirroring topology.
#
#   topology.sh TOPOLOGY [--sign-with pkcs11:URI [--sign-cert FILE]] [--out DIR]
#               [--yes] [--wait SECONDS] [--allow-changes]
#
# WHAT IT DOES, in order:
#   1. `mirrorkey apply TOPOLOGY --dry-run`: the T-SQL every instance would
#      receive (secrets as $(NAME) placeholders), saved for review and shown;
#   2. asks for confirmation: type "yes" on a terminal. --yes skips the
#      question; without a terminal and without --yes it refuses, having
#      changed nothing;
#   3. `mirrorkey apply TOPOLOGY --transcript OUT/apply-<UTC time>.jsonl
#      --cer-out OUT [--sign-with URI [--sign-cert FILE]]`: outbound on every
#      instance (certificates made on each instance's token), inbound for
#      every peer, the mirroring sessions. With --sign-with the finished
#      transcript is signed (detached CMS, .p7s) with a key on the operator's
#      token;
#   4. `mirrorkey transcript verify` (hash chain; the signature, pinned to
#      --sign-cert when given);
#   5. `mirrorkey status TOPOLOGY`;
#   6. prints a FOR THE WITNESS block: per instance, from the transcript's
#      "certificate" records, the certificate SHA-256, the SPKI SHA-256, the
#      token it is on and the key policy the token reports, next to the
#      sha256sum of the .cer file written for it (computed independently);
#      the transcript file's SHA-256 and its last line's; the signature.
#   Exits non-zero if apply stopped an instance, the transcript does not
#   verify, status reports something broken, a .cer differs from its
#   certificate, or a key does not meet the policy (meets_policy != 1).
#
# WHAT IT ASKS FOR — options, or the environment variables named after them.
# No secret on the command line: the topology names password files (mode
# 0600), and the signing key's PIN comes from its URI's pin-source.
#   TOPOLOGY                   the topology file (docs/setup.md)
#   --out DIR                  CEREMONY_OUT_DIR    output directory (default .)
#   --sign-with pkcs11:URI     CEREMONY_SIGN_WITH  the operator's signing key
#   --sign-cert FILE           CEREMONY_SIGN_CERT  its certificate, when it is not
#                              on the token under the key's CKA_ID; also pins
#                              the verification to it
#   --yes                      CEREMONY_YES=1      do not ask
#   --wait SECONDS             CEREMONY_WAIT       apply's wait for SYNCHRONIZED
#   --allow-changes            CEREMONY_ALLOW_CHANGES=1  passed to apply (read the
#                              dry run: it lets apply ALTER what differs)
#   Programs: MIRRORKEY (default: this tree's build/bin, else PATH), PYTHON.
#   For SoftHSM2 tokens, SOFTHSM2_CONF in the environment.
#
# WHAT IT LEAVES BEHIND in OUT (TS = the UTC time of the run, 20260101T120000Z):
#   apply-TS.dry-run.sql       step 1
#   apply-TS.jsonl[.p7s]       the transcript (and its signature)
#   apply-TS.out               apply's report
#   apply-TS.status.txt        step 5
#   apply-TS.witness.txt       the FOR THE WITNESS block
#   NAME_cert.cer              each instance's public certificate
#
# Exit: 0 done (status warnings are shown, not failures); 1 a step failed;
# 2 bad command line; 3 not confirmed (nothing was changed).
set -euo pipefail
umask 077

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
tree=$(cd "$here/../.." && pwd)

usage() { sed -n '2,/^set -euo pipefail$/{/^set /d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"; }
die() { printf 'topology.sh: error: %s\n' "$*" >&2; exit 1; }
usage_error() { printf 'topology.sh: %s (see --help)\n' "$*" >&2; exit 2; }
say() { printf '\n== %s\n' "$*"; }

topo=""
out=${CEREMONY_OUT_DIR:-.}
sign_with=${CEREMONY_SIGN_WITH:-}
sign_cert=${CEREMONY_SIGN_CERT:-}
yes=${CEREMONY_YES:-0}
wait_s=${CEREMONY_WAIT:-}
allow=${CEREMONY_ALLOW_CHANGES:-0}

while [ $# -gt 0 ]; do
    opt=$1
    case $opt in
    -h | --help) usage; exit 0 ;;
    --yes | -y) yes=1; shift; continue ;;
    --allow-changes) allow=1; shift; continue ;;
    --*=*) set -- "${opt%%=*}" "${opt#*=}" "${@:2}"; continue ;;
    --out | --sign-with | --sign-cert | --wait)
        [ $# -ge 2 ] || usage_error "$opt needs a value"
        val=$2
        shift 2 ;;
    --password | --pin | --pin-value | --*-password | --*-pin)
        usage_error "$opt: secrets are never taken on the command line" ;;
    -*) usage_error "unknown option '$opt'" ;;
    *)
        [ -z "$topo" ] || usage_error "one TOPOLOGY only"
        topo=$opt
        shift
        continue ;;
    esac
    case $opt in
    --out) out=$val ;;
    --sign-with) sign_with=$val ;;
    --sign-cert) sign_cert=$val ;;
    --wait) wait_s=$val ;;
    esac
done

[ -n "$topo" ] || usage_error "TOPOLOGY is required"
if [ ! -f "$topo" ] || [ ! -r "$topo" ]; then die "$topo: not a readable file"; fi
if [ -n "$wait_s" ] && ! [[ $wait_s =~ ^[0-9]+$ ]]; then usage_error "--wait: seconds"; fi
case $sign_with in
"") [ -z "$sign_cert" ] || usage_error "--sign-cert needs --sign-with" ;;
*pin-value*) die "--sign-with carries pin-value: PINs never go on a command line (use pin-source)" ;;
pkcs11:*) ;;
*) usage_error "--sign-with must be a pkcs11: URI" ;;
esac
if [ -n "$sign_cert" ] && [ ! -r "$sign_cert" ]; then die "--sign-cert $sign_cert: not readable"; fi
case $yes in 0 | 1 | "") ;; *) usage_error "CEREMONY_YES: 0 or 1" ;; esac
case $allow in 0 | 1 | "") ;; *) usage_error "CEREMONY_ALLOW_CHANGES: 0 or 1" ;; esac

if [ -n "${MIRRORKEY:-}" ]; then :
elif [ -x "$tree/build/bin/mirrorkey" ]; then MIRRORKEY=$tree/build/bin/mirrorkey
else MIRRORKEY=$(command -v mirrorkey) || die "mirrorkey not found (build the tree or set MIRRORKEY)"
fi
PYTHON=${PYTHON:-python3}
command -v "$PYTHON" >/dev/null || die "$PYTHON not found (needed to read the transcript)"

mkdir -p "$out"
out=$(cd "$out" && pwd)
ts=$(date -u +%Y%m%dT%H%M%SZ)
base=$out/apply-$ts
transcript=$base.jsonl
for f in "$base.dry-run.sql" "$transcript" "$transcript.p7s" "$base.witness.txt"; do
    [ ! -e "$f" ] || die "$f exists: a ceremony record is never overwritten (wait a second, or another --out)"
done

# ---- 1. the dry run ----
say "1. Dry run: what apply would send (mirrorkey apply --dry-run) -> $base.dry-run.sql"
rc=0
"$MIRRORKEY" apply "$topo" --dry-run >"$base.dry-run.sql" 2>"$base.dry-run.err" || rc=$?
if [ "$rc" -ne 0 ]; then
    cat "$base.dry-run.sql" "$base.dry-run.err" >&2
    die "the dry run failed (exit $rc): nothing was changed"
fi
cat "$base.dry-run.sql"
if [ -s "$base.dry-run.err" ]; then cat "$base.dry-run.err"; else rm -f "$base.dry-run.err"; fi
echo "-- ($(wc -l <"$base.dry-run.sql") lines, saved in $base.dry-run.sql)"

# ---- 2. confirmation ----
say "2. Confirmation"
if [ "$yes" = 1 ]; then
    echo "--yes given: not asking."
elif [ -t 0 ]; then
    printf 'Apply this to the instances of %s? Type "yes" to go on: ' "$topo"
    answer=""
    read -r answer || true
    if [ "$answer" != yes ]; then
        echo "topology.sh: not confirmed; nothing was changed." >&2
        exit 3
    fi
else
    echo "topology.sh: no terminal to ask on and no --yes: refusing; nothing was changed." >&2
    exit 3
fi

# ---- 3. apply ----
say "3. Apply (mirrorkey apply) -> $transcript"
ap=(apply "$topo" --transcript "$transcript" --cer-out "$out")
[ -z "$wait_s" ] || ap+=(--wait "$wait_s")
[ "$allow" != 1 ] || ap+=(--allow-changes)
if [ -n "$sign_with" ]; then
    ap+=(--sign-with "$sign_with")
    [ -z "$sign_cert" ] || ap+=(--sign-cert "$sign_cert")
fi
apply_rc=0
"$MIRRORKEY" "${ap[@]}" 2>&1 | tee "$base.out" || apply_rc=$?
failures=()
case $apply_rc in
0) ;;
1) failures+=("mirrorkey apply stopped an instance (exit 1; see $base.out)") ;;
*) failures+=("mirrorkey apply failed (exit $apply_rc; see $base.out)") ;;
esac
[ -s "$transcript" ] || die "${failures[0]:-mirrorkey apply wrote no transcript}; no transcript written"
if [ -n "$sign_with" ] && [ ! -s "$transcript.p7s" ]; then
    failures+=("--sign-with was given but there is no $transcript.p7s")
fi

# ---- 4. verify ----
say "4. Verify the transcript (mirrorkey transcript verify)"
vf=(transcript verify "$transcript")
[ -z "$sign_cert" ] || vf+=(--cert "$sign_cert")
verify_out=$("$MIRRORKEY" "${vf[@]}" 2>&1) || failures+=("the transcript does not verify: $verify_out")
printf '%s\n' "$verify_out"

# ---- 5. status ----
say "5. Status (mirrorkey status)"
status_rc=0
"$MIRRORKEY" status "$topo" 2>&1 | tee "$base.status.txt" || status_rc=$?
case $status_rc in
0) status_word="0 (all well)" ;;
1) status_word="1 (WARNINGS: read $base.status.txt)" ;;
*) status_word="$status_rc (BROKEN)"; failures+=("mirrorkey status exit $status_rc (something broken)") ;;
esac

# ---- 6. for the witness ----
# Per instance, from the transcript; the .cer files are hashed here, not taken from it.
rows=$("$PYTHON" - "$transcript" "$out" <<'PY'
import hashlib, json, os, re, sys
path, out = sys.argv[1], sys.argv[2]
certs, cers, tds, n = {}, {}, {}, 0
for line in open(path, "rb").read().split(b"\n"):
    if not line:
        continue
    n += 1
    rec = json.loads(line)
    t, inst = rec.get("type"), rec.get("instance")
    if t == "certificate":
        certs[inst] = rec          # the last record of each instance
    elif t == "cer":
        cers[inst] = rec
    elif t == "connect":
        tds[inst] = rec.get("tds_certificate_sha256")
clean = lambda v: re.sub(r"[\x00-\x1f\x7f]", "?", "" if v is None else str(v))
print("lines\t%d" % n)
for inst in sorted(certs):
    c = certs[inst]
    kp = c.get("key_policy") or {}
    cer = os.path.join(out, "%s.cer" % c.get("name"))
    cer_sha = hashlib.sha256(open(cer, "rb").read()).hexdigest() if os.path.isfile(cer) else "(no file)"
    fields = [inst, c.get("name"), c.get("key"), c.get("sha256"), c.get("spki_sha256"), cer_sha,
              (cers.get(inst) or {}).get("sha256", "(no cer record)"), tds.get(inst, "(no connect record)"),
              kp.get("token_label"), kp.get("checked_at")]
    fields += [kp.get(k) for k in ("is_local", "is_sensitive", "is_always_sensitive", "is_extractable",
                                   "is_never_extractable", "is_private_value_readable", "meets_policy")]
    print("cert\t" + "\t".join(clean(f) for f in fields))
PY
) || die "cannot read the transcript $transcript"

want() { if [ "$1" = "$2" ]; then echo "ok"; else echo "WRONG, want $2"; fi; }
file_sha=$(sha256sum "$transcript" | cut -d' ' -f1)
last_sha=$(tail -n 1 "$transcript" | tr -d '\n' | sha256sum | cut -d' ' -f1)
ninst=0
problems=()
{
    echo "==================================== FOR THE WITNESS ===================================="
    echo "Topology               $(cd "$(dirname "$topo")" && pwd)/$(basename "$topo")"
    echo "                       sha256 $(sha256sum "$topo" | cut -d' ' -f1)"
    echo "Ceremony run           $ts by ${USER:-$(id -un)} on $(hostname)"
    echo "Dry run reviewed       $base.dry-run.sql  sha256 $(sha256sum "$base.dry-run.sql" | cut -d' ' -f1)"
    while IFS=$'\t' read -r kind inst cname ckey csha cspki cersha cerrec tdssha tlabel checked \
        islocal sens asens extr nextr readable meets; do
        [ "$kind" = cert ] || continue
        ninst=$((ninst + 1))
        cat <<EOF

INSTANCE $inst         certificate $cname ($ckey) on token '$tlabel'
  certificate SHA-256  $csha
  SPKI SHA-256         $cspki
  sha256sum of .cer    $cersha   [$(want "$cersha" "$csha")]   ($out/$cname.cer)
  TDS certificate      $tdssha
  key policy at $checked: local $islocal, sensitive $sens, always_sensitive $asens, extractable $extr,
                       never_extractable $nextr, private_value_readable $readable
  meets_policy         $meets   [$(want "$meets" 1)]
EOF
        [ "$meets" = 1 ] || problems+=("$inst: the token reports meets_policy = '$meets' for $cname's key")
        [ "$cersha" = "$csha" ] || problems+=("$inst: $cname.cer is not the certificate in the transcript")
        [ "$cerrec" = "$csha" ] || problems+=("$inst: the transcript's cer record differs from its certificate record")
    done <<<"$rows"
    [ "$ninst" -gt 0 ] || problems+=("the transcript has no certificate record")
    cat <<EOF

TRANSCRIPT             $transcript ($(sed -n 's/^lines\t//p' <<<"$rows") lines)
  file SHA-256         $file_sha
  last line SHA-256    $last_sha
                       (SHA-256 of the last line without its newline: the "prev" a next line carries)
  verify               $verify_out
EOF
    if [ -s "$transcript.p7s" ]; then
        echo "  signature            $transcript.p7s  sha256 $(sha256sum "$transcript.p7s" | cut -d' ' -f1)"
        [ -z "$sign_cert" ] || echo "  pinned signer        $sign_cert"
    else
        echo "  signature            none (no --sign-with)"
    fi
    echo "STATUS                 exit $status_word"
    cat <<EOF

The witness compares and signs off, per instance: the certificate SHA-256 equals
the .cer's sha256sum and what the site ceremony (site.sh) recorded for it; the
SPKI SHA-256; the token label; meets_policy 1. Then the transcript's file and
last line SHA-256 and the signature, recorded with this sheet.
EOF
    failures+=("${problems[@]}")
    for f in "${failures[@]}"; do echo "!! $f"; done
    if [ ${#failures[@]} -gt 0 ]; then
        echo "RESULT                 FAILED"
    else
        echo "RESULT                 OK"
    fi
    echo "=========================================================================================="
} >"$base.witness.txt"
printf '\n'
cat "$base.witness.txt"
[ ${#failures[@]} -eq 0 ] || die "${failures[0]} (see $base.witness.txt)"
echo "topology.sh: done; records in $out (apply-$ts.*)"
