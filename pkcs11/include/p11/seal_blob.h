/*
 * The sealed-secret blob: a small versioned binary format, parsed with the
 * bounded cursor (pure: no token, no allocation).
 *
 *   offset  size      field
 *   0       4         magic "MKSB"
 *   4       1         version = 1
 *   5       1         algorithm = 1 (AES-256-GCM, 96-bit IV, 128-bit tag)
 *   6       1         id_len, 1..P11_SEAL_ID_MAX
 *   7       id_len    protector CKA_ID (also the GCM AAD)
 *   .       2         label_len, big-endian, 0..P11_SEAL_LABEL_MAX
 *   .       label_len protector CKA_LABEL (informational; must match on unseal)
 *   .       1         iv_len = 12
 *   .       12        IV
 *   .       4         ct_len, big-endian, 17..P11_SEAL_PLAINTEXT_MAX + 16
 *   .       ct_len    ciphertext || 16-byte tag
 * Nothing may follow. All integers big-endian.
 */
#ifndef P11_SEAL_BLOB_H
#define P11_SEAL_BLOB_H

#include <stddef.h>
#include <stdint.h>

#include "mk/buf.h"
#include "mk/result.h"

#define P11_SEAL_MAGIC "MKSB"
#define P11_SEAL_VERSION 1
#define P11_SEAL_ALG_AES256_GCM 1
#define P11_SEAL_ID_MAX 64
#define P11_SEAL_LABEL_MAX 128
#define P11_SEAL_IV_LEN 12
#define P11_SEAL_TAG_LEN 16
#define P11_SEAL_CT_MAX ((size_t)64 * 1024 + P11_SEAL_TAG_LEN)

/* A parsed blob: views into the parsed bytes (valid while they are). */
typedef struct p11_seal_blob {
    uint8_t version;
    uint8_t alg;
    const uint8_t *id;
    size_t id_len;
    const uint8_t *label;
    size_t label_len;
    const uint8_t *iv;
    size_t iv_len;
    const uint8_t *ct; /* ciphertext followed by the tag */
    size_t ct_len;
} p11_seal_blob;

/*
 * Parse data[0..len). Errors: MK_E_INVALID (bad magic, version, algorithm,
 * IV length, trailing bytes), MK_E_TOOBIG (a length over its cap),
 * MK_E_BOUNDS (truncated). The message names the field.
 */
MK_RESULT p11_seal_blob_parse(const uint8_t *data, size_t len, p11_seal_blob *out);

/* Append the encoding of b to out (same checks as the parser). */
MK_RESULT p11_seal_blob_write(const p11_seal_blob *b, mk_buf *out);

#endif
