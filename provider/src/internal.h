/*
 * Private declarations shared by the files of the mirrorkey provider.
 *
 * Layout: provider.c (entry point, configuration, errors), tokens.c (the
 * per-provider token cache), redact.c (URIs safe to print), key.c (the key
 * object behind both KEYMGMTs), keymgmt_rsa.c, keymgmt_ec.c, store.c,
 * signature.c with sig_params.c (context parameters) and sig_encode.c
 * (DigestInfo, ECDSA-Sig-Value, AlgorithmIdentifier), asym_cipher.c with
 * oaep.c. Each operation file keeps
 * its entry points static and exports only its OSSL_DISPATCH table(s).
 */
#ifndef MKPROV_INTERNAL_H
#define MKPROV_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/core.h>
#include <openssl/core_dispatch.h>
#include <openssl/evp.h>

#include "mk/buf.h"
#include "mk/result.h"
#include "p11/key.h"
#include "p11/token.h"
#include "p11/uri.h"

#define MKPROV_NAME "mirrorkey"
/* Property definition of every algorithm we offer. */
#define MKPROV_PROPS "provider=mirrorkey"
/* Query for everything we delegate (digests, public-key math): never ourselves. */
#define MKPROV_PROPQ_OTHER "provider!=mirrorkey"

/* Reason codes on the OpenSSL error queue (strings in provider.c). */
enum mkprov_reason {
    MKPROV_R_PKCS11 = 1,
    MKPROV_R_NOT_FOUND,
    MKPROV_R_AMBIGUOUS,
    MKPROV_R_PIN,
    MKPROV_R_TOKEN_LOST,
    MKPROV_R_INVALID,
    MKPROV_R_UNSUPPORTED,
    MKPROV_R_CRYPTO,
    MKPROV_R_NO_PRIVATE_KEY,
    MKPROV_R_IO,
    MKPROV_R_PERM,
    MKPROV_R_NOMEM,
    MKPROV_R_INTERNAL,
};

typedef struct mkprov_token_entry mkprov_token_entry;

/* The provider context: one per OSSL_provider_init call. */
typedef struct mkprov_ctx {
    const OSSL_CORE_HANDLE *handle;
    OSSL_LIB_CTX *libctx; /* child of the application's library context */
    OSSL_FUNC_core_new_error_fn *core_new_error;
    OSSL_FUNC_core_set_error_debug_fn *core_set_error_debug;
    OSSL_FUNC_core_vset_error_fn *core_vset_error;
    char *module_path; /* openssl.cnf pkcs11-module-path, or NULL */
    char *pin_source;  /* openssl.cnf pkcs11-pin-source, or NULL */
    pthread_mutex_t tokens_mu;
    mkprov_token_entry *tokens;
    struct mkprov_ctx *live_next; /* tokens.c: list of live contexts */
    /*
     * Digests fetched once and shared (mkprov_fetch_md): fetching on every
     * digest-sign init cost about a tenth of an EC signature's overhead.
     */
    pthread_mutex_t md_mu;
    EVP_MD *md_cache[8];
} mkprov_ctx;

/* ---- errors (provider.c) ---- */

/* Put one error on the OpenSSL queue, through the core (our own library code). */
void mkprov_raise(const mkprov_ctx *p, const char *file, int line, const char *func, int reason,
                  const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/*
 * Translate the thread's mk_result error once: reason from its class, text
 * "<what>: <message>", followed by " [<uri>]" when uri is given (uri must
 * already be redacted, see mkprov_uri_redact).
 */
void mkprov_raise_result(const mkprov_ctx *p, const char *file, int line, const char *func,
                         const char *what, const char *uri);

#define MKPROV_ERR(p, reason, ...)                                                                 \
    mkprov_raise((p), OPENSSL_FILE, OPENSSL_LINE, OPENSSL_FUNC, (reason), __VA_ARGS__)
#define MKPROV_ERR_RESULT(p, what, uri)                                                            \
    mkprov_raise_result((p), OPENSSL_FILE, OPENSSL_LINE, OPENSSL_FUNC, (what), (uri))

/* ---- URIs fit to print (redact.c) ---- */

/*
 * Copy `uri` into out[0..out_len) without any pin-value attribute (path or
 * query, any case). Always NUL-terminates; truncates with "..." if needed.
 */
void mkprov_uri_redact(const char *uri, char *out, size_t out_len);

/* ---- token cache (tokens.c) ---- */

/*
 * The token `uri` selects, opened with the provider's configured defaults.
 * Tokens stay open (and logged in) for the life of the provider: one
 * p11_token per (module, token selector, PIN source). A URI carrying a
 * pin-value is opened without caching. *out holds one new reference.
 */
MK_RESULT mkprov_token_get(mkprov_ctx *p, const p11_uri *uri, p11_token **out);
/* Drop every cached token (provider teardown). */
void mkprov_tokens_clear(mkprov_ctx *p);
/* Track a live provider context for the exit handler. */
void mkprov_tokens_register(mkprov_ctx *p);
void mkprov_tokens_unregister(mkprov_ctx *p);
/* True once the process started exiting: no more calls into tokens (see tokens.c). */
bool mkprov_exiting(void);

/* ---- the key object (key.c) ---- */

typedef struct mkprov_key mkprov_key;

/* A key object for a token key; takes its own reference on k. */
MK_RESULT mkprov_key_from_p11(mkprov_ctx *p, p11_key *k, mkprov_key **out);
/* An empty key of `type`, to be filled by mkprov_key_import. */
MK_RESULT mkprov_key_new_empty(mkprov_ctx *p, p11_key_type type, mkprov_key **out);
mkprov_key *mkprov_key_ref(mkprov_key *k);
/* Accepts NULL. */
void mkprov_key_unref(mkprov_key *k);
/*
 * The key behind an OSSL_OBJECT_PARAM_REFERENCE our store made (the bytes of
 * a mkprov_key pointer, checked for our magic), or NULL. Borrowed.
 */
mkprov_key *mkprov_key_from_reference(const void *ref, size_t ref_len);

mkprov_ctx *mkprov_key_prov(const mkprov_key *k);
p11_key_type mkprov_key_type(const mkprov_key *k);
/* The token key, or NULL for a public key imported from another provider. */
p11_key *mkprov_key_p11(const mkprov_key *k);
bool mkprov_key_has_private(const mkprov_key *k);
/* The public half as a key of another provider (NULL while empty). Borrowed. */
EVP_PKEY *mkprov_key_public(const mkprov_key *k);
/* A printable name for messages: the token key's URI (no PIN) or "imported public key". */
void mkprov_key_describe(const mkprov_key *k, char *out, size_t out_len);

/* The KEYMGMT operations both key types share (OpenSSL conventions: 1/0). */
int mkprov_key_has(const mkprov_key *k, int selection);
int mkprov_key_match(const mkprov_key *a, const mkprov_key *b, int selection);
int mkprov_key_import(mkprov_key *k, int selection, const OSSL_PARAM params[]);
int mkprov_key_export(const mkprov_key *k, int selection, OSSL_CALLBACK *cb, void *cbarg);
int mkprov_key_get_params(const mkprov_key *k, OSSL_PARAM params[]);

/* ---- signature context (signature.c, sig_params.c) ---- */

typedef struct mkprov_sig {
    mkprov_ctx *prov;
    p11_key_type want; /* RSA for the "RSA" table, EC for "ECDSA" */
    mkprov_key *key;
    bool signing;
    int pad;           /* RSA_PKCS1_PADDING or RSA_PKCS1_PSS_PADDING */
    EVP_MD *md;        /* NULL: none set */
    EVP_MD *mgf1;      /* NULL: same as md */
    int saltlen;       /* RSA_PSS_SALTLEN_* or a length */
    EVP_MD_CTX *mdctx; /* digest_sign / digest_verify in progress */
} mkprov_sig;

/* Apply / report OSSL_SIGNATURE_PARAM_* (sig_params.c). */
MK_RESULT mkprov_sig_apply_params(mkprov_sig *c, const OSSL_PARAM params[]);
MK_RESULT mkprov_sig_fill_params(const mkprov_sig *c, OSSL_PARAM params[]);

/* ---- signature helpers (sig_encode.c) ---- */

/* DER DigestInfo (PKCS#1 v1.5, RFC 8017 §9.2) of a digest value computed with md. */
MK_RESULT mkprov_digest_info(const EVP_MD *md, const uint8_t *hash, size_t hash_len, mk_buf *out);
/* Raw r||s (CKM_ECDSA output) to a DER ECDSA-Sig-Value (RFC 3279 §2.2.3). */
MK_RESULT mkprov_ecdsa_raw_to_der(const uint8_t *raw, size_t raw_len, uint8_t *out, size_t out_cap,
                                  size_t *out_len);
/* CKM_SHA* and CKG_MGF1_SHA* for a digest; MK_E_INVALID for digests the token cannot name. */
MK_RESULT mkprov_md_to_ckm(const EVP_MD *md, CK_MECHANISM_TYPE *mech, CK_RSA_PKCS_MGF_TYPE *mgf);
/*
 * The PSS salt length in bytes for an OpenSSL salt-length setting
 * (RSA_PSS_SALTLEN_DIGEST, _MAX, _AUTO or a length), modulus bits and digest
 * size, checked against the maximum emLen - hLen - 2 (RFC 8017 §9.1.1).
 */
MK_RESULT mkprov_pss_salt_len(int setting, unsigned mod_bits, size_t md_len, size_t *out);
/*
 * The signature AlgorithmIdentifier (DER) X.509 signing needs
 * (OSSL_SIGNATURE_PARAM_ALGORITHM_ID): <md>WithRSAEncryption, RSASSA-PSS
 * with its parameters (RFC 4055 §3.1), or ecdsa-with-<md>.
 */
MK_RESULT mkprov_signature_algorithm_id(p11_key_type type, int pad, const EVP_MD *md,
                                        const EVP_MD *mgf1, size_t salt_len, mk_buf *out);

/* ---- OAEP decoding after a raw RSA decryption (oaep.c) ---- */

/*
 * Check and strip OAEP padding (RFC 8017 §7.1.2) from em[0..k), the raw RSA
 * result, in constant time (OpenSSL's implementation). Writes the message
 * to out (capacity out_cap) and its length to *out_len. MK_E_CRYPTO on any
 * padding or label mismatch, without saying which.
 */
MK_RESULT mkprov_oaep_decode(const uint8_t *em, size_t k, const uint8_t *label, size_t label_len,
                             const EVP_MD *md, const EVP_MD *mgf1, uint8_t *out, size_t out_cap,
                             size_t *out_len);

/* ---- delegation (provider.c) ---- */

/* Fetch a digest from any provider but ours; MK_E_INVALID naming it when unknown. */
MK_RESULT mkprov_fetch_md(mkprov_ctx *p, const char *name, EVP_MD **out);
/*
 * Read an OpenSSL RSA padding mode given as an integer or as text ("pkcs1",
 * "pss", "oaep", "none", ...). MK_E_INVALID otherwise.
 */
MK_RESULT mkprov_param_pad_mode(const OSSL_PARAM *p, int *out);

/* ---- dispatch tables ---- */

extern const OSSL_DISPATCH mkprov_store_functions[];
extern const OSSL_DISPATCH mkprov_rsa_keymgmt_functions[];
extern const OSSL_DISPATCH mkprov_ec_keymgmt_functions[];
extern const OSSL_DISPATCH mkprov_rsa_signature_functions[];
extern const OSSL_DISPATCH mkprov_ecdsa_signature_functions[];
extern const OSSL_DISPATCH mkprov_rsa_asym_cipher_functions[];

#endif
