/*
 * The benches' token: a throwaway SoftHSM2 token in a temporary directory
 * (or one named by --uri), keys found by label or generated on the token
 * with mirrorkey's own key template, and the pkcs11: URIs that name them.
 * Shared by bench/sign and bench/endpoint.
 */
#ifndef MK_BENCH_TOKEN_H
#define MK_BENCH_TOKEN_H

#include <stdbool.h>
#include <stddef.h>

#include "bench.h"
#include "mk/result.h"
#include "p11/key.h"
#include "p11/token.h"

/*
 * Make a SoftHSM2 token labelled `label` in a new directory under $TMPDIR
 * (path written to dir) and point SOFTHSM2_CONF at it. Fills o's module,
 * token label, PIN file (0600) and token URI. softhsm2-util takes its
 * throwaway PINs on the command line; the user PIN is then only ever read
 * from the file. Errors: MK_E_IO.
 */
MK_RESULT bench_token_make(bench_opts *o, const char *label, char *dir, size_t dir_len);

/* Fill o's module, token label and PIN file from o->token_uri. Errors: MK_E_INVALID. */
MK_RESULT bench_token_parse_uri(bench_opts *o);

/* The key labelled k->label on t; MK_E_NOT_FOUND if none. *out holds one reference. */
MK_RESULT bench_token_find_key(p11_token *t, const bench_key *k, p11_key **out);

/*
 * The key labelled k->label on t, generated on the token (never in
 * software) when there is none. *out holds one reference.
 */
MK_RESULT bench_token_ensure_key(p11_token *t, const bench_key *k, p11_key **out);

/* "pkcs11:token=L;object=<label>;type=private" plus, if with_query, o's query part. */
void bench_key_uri(const bench_opts *o, const bench_key *k, bool with_query, char *out,
                   size_t out_len);

/* Write text to path, mode 0600. Errors: MK_E_IO. */
MK_RESULT bench_write_file(const char *path, const char *text);

/* Run argv (PATH lookup) with stdout discarded; MK_E_IO unless it exits 0. */
MK_RESULT bench_run_quiet(char *const argv[]);

/* rm -rf dir (nothing when dir is ""). */
void bench_dir_remove(const char *dir);

#endif
