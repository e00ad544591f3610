/*
 * The ceremony transcript (`--transcript FILE`, docs/setup.md "Transcript"):
 * a JSON-lines record, created exclusively and never overwritten, in which
 * every line carries the SHA-256 of the line before it, so that removing,
 * reordering or editing a line breaks the chain. A finished transcript can be
 * signed with a key on an operator's token (a detached CMS signature, DER,
 * in FILE.p7s, that `openssl cms -verify` accepts) and checked later with
 * `mirrorkey transcript verify`.
 *
 * Line format: one compact JSON object per line, keys sorted, ending in
 * "\n". Every line has "seq" (1, 2, ...) and "prev" (lowercase hex SHA-256
 * of the previous line's bytes without its "\n"; 64 '0's on line 1). The
 * caller's record supplies the rest ("type" and its fields). Callers redact
 * secrets before appending: the transcript never sees one.
 */
#ifndef MK_SETUP_TRANSCRIPT_H
#define MK_SETUP_TRANSCRIPT_H

#include <jansson.h>
#include <stddef.h>

#include "mk/result.h"

typedef struct mk_transcript mk_transcript;

/* Create `path` exclusively (O_CREAT|O_EXCL, mode 0644). MK_E_EXISTS if it exists. */
MK_RESULT mkt_open(const char *path, mk_transcript **out);

/*
 * Append `record` (an object; borrowed, not modified) with "seq" and "prev"
 * added, as one line, flushed to the file. Thread-safe (one lock).
 */
MK_RESULT mkt_append(mk_transcript *t, const json_t *record);

/* Flush, fsync and close. Accepts NULL. Returns the first write error seen. */
MK_RESULT mkt_close(mk_transcript *t);

/*
 * Sign the finished transcript at `path` with the private key named by the
 * pkcs11: URI (loaded through the mirrorkey OpenSSL provider; the PIN from
 * the URI's pin-source) and its certificate (the token's certificate object
 * with the key's CKA_ID, else `cert_file`, PEM or DER). Writes a detached
 * CMS SignedData (DER, SHA-256, signer certificate included) to `sig_path`,
 * created exclusively.
 */
MK_RESULT mkt_sign(const char *path, const char *pkcs11_uri, const char *cert_file,
                   const char *sig_path);

/* What mkt_verify found (for the command's report). */
typedef struct mkt_verify_report {
    size_t lines;          /* lines read */
    int chain_ok;          /* 1 every seq/prev checks out */
    int signature_state;   /* 0 no signature file, 1 verified, -1 failed */
    char signer[256];      /* signer certificate's subject, when verified */
    char first_error[256]; /* e.g. "line 4: prev does not match line 3"; "" if none */
} mkt_verify_report;

/*
 * Check the chain of `path` and, when `sig_path` exists, the detached CMS
 * signature over the file's exact bytes. With `cert_file` the signer must be
 * that certificate (byte-equal); without it the signature must verify with
 * the certificate it carries. MK_OK only when everything present checks out.
 */
MK_RESULT mkt_verify(const char *path, const char *sig_path, const char *cert_file,
                     mkt_verify_report *report);

/* `mirrorkey transcript verify FILE [--signature SIG] [--cert CERT]`. */
int mk_cmd_transcript(int argc, char **argv);

#endif
