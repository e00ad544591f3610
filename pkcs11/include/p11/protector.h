/*
 * The master-key protector: an AES-256 secret key on the token that seals
 * and unseals small secrets with CKM_AES_GCM.
 *
 * Template: CKK_AES, CKA_VALUE_LEN 32, CKA_TOKEN, CKA_PRIVATE, CKA_SENSITIVE =
 * TRUE, CKA_EXTRACTABLE = FALSE, CKA_ENCRYPT = CKA_DECRYPT = TRUE and
 * SIGN/VERIFY/WRAP/UNWRAP/DERIVE = FALSE, CKA_ID 16 random bytes from the
 * token RNG, CKA_LABEL the given label.
 *
 * Seal: a fresh 12-byte IV from the token RNG, a 128-bit tag, the protector's
 * CKA_ID as AAD; the result is a sealed blob (p11/seal_blob.h) that records
 * the protector's id and label so that protectors can rotate. Unseal finds
 * the protector the blob names (by CKA_ID; the label must agree) and
 * decrypts into an mk_secret.
 */
#ifndef P11_PROTECTOR_H
#define P11_PROTECTOR_H

#include <stddef.h>
#include <stdint.h>

#include "mk/buf.h"
#include "mk/result.h"
#include "mk/secret.h"
#include "p11/policy.h"
#include "p11/token.h"

typedef struct p11_protector p11_protector;

/* Largest plaintext seal accepts. */
#define P11_SEAL_PLAINTEXT_MAX ((size_t)64 * 1024)

/*
 * Generate a protector with the given label (1..P11_LABEL_MAX bytes), then
 * check its attributes (report may be NULL). Errors: MK_E_INVALID,
 * MK_E_EXISTS (any object already has the label), MK_E_POLICY (the new key
 * was destroyed), MK_E_PIN, MK_E_TOKEN_LOST, MK_E_PKCS11.
 */
MK_RESULT p11_protector_generate(p11_token *t, const char *label, p11_protector **out,
                                 p11_policy_report *report);
/* The one AES secret key with this label / CKA_ID. MK_E_NOT_FOUND, MK_E_AMBIGUOUS, ... */
MK_RESULT p11_protector_find_label(p11_token *t, const char *label, p11_protector **out);
MK_RESULT p11_protector_find_id(p11_token *t, const uint8_t *id, size_t id_len,
                                p11_protector **out);
/* Accepts NULL. */
void p11_protector_free(p11_protector *p);

/* Borrowed views. */
const uint8_t *p11_protector_id(const p11_protector *p, size_t *len);
const char *p11_protector_label(const p11_protector *p);

/* Re-run the attribute policy report on the protector key. */
MK_RESULT p11_protector_policy_check(p11_protector *p, p11_policy_report *report);

/*
 * Seal pt[0..pt_len) (1..P11_SEAL_PLAINTEXT_MAX bytes) and append the blob to
 * out. Errors: MK_E_INVALID, MK_E_TOKEN_LOST, MK_E_PKCS11.
 */
MK_RESULT p11_seal(p11_protector *p, const uint8_t *pt, size_t pt_len, mk_buf *out);

/*
 * Parse blob, find the protector it names on token t, and decrypt. *out is a
 * new secret holding the plaintext (caller frees). Errors: MK_E_INVALID /
 * MK_E_BOUNDS / MK_E_TOOBIG (malformed blob, label mismatch), MK_E_NOT_FOUND
 * (no protector with the blob's id), MK_E_CRYPTO (authentication failed:
 * wrong key, flipped byte), MK_E_TOKEN_LOST, MK_E_PKCS11.
 */
MK_RESULT p11_unseal(p11_token *t, const uint8_t *blob, size_t blob_len, mk_secret **out);

/* Unseal with a protector already in hand; MK_E_NOT_FOUND if the blob names another. */
MK_RESULT p11_unseal_with(p11_protector *p, const uint8_t *blob, size_t blob_len, mk_secret **out);

#endif
