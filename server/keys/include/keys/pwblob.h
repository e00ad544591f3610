/*
 * The password-sealed master key blob (DESIGN.md "Key hierarchy": the
 * break-glass copy of the database master key, sealed under a key derived
 * from a password). A small versioned binary format, parsed with the bounded
 * cursor; the parser is pure (bytes in, views out, no allocation).
 *
 *   offset  size      field
 *   0       4         magic "MKPW"
 *   4       1         version = 1
 *   5       1         kdf = 1 (PBKDF2-HMAC-SHA256, 32-byte output)
 *   6       4         iterations, big-endian, 1..KEYS_PW_ITER_MAX
 *   10      1         salt_len, KEYS_PW_SALT_MIN..KEYS_PW_SALT_MAX
 *   11      salt_len  salt
 *   .       1         aead = 1 (AES-256-GCM, 128-bit tag)
 *   .       1         iv_len = 12
 *   .       12        IV
 *   .       2         ct_len, big-endian, 17..KEYS_PW_CT_MAX
 *   .       ct_len    ciphertext || 16-byte tag
 * Nothing may follow. The GCM additional data is every byte before the
 * ciphertext (the header through ct_len), so iterations, salt and IV cannot
 * be changed without the tag failing.
 */
#ifndef KEYS_PWBLOB_H
#define KEYS_PWBLOB_H

#include <stddef.h>
#include <stdint.h>

#include "mk/buf.h"
#include "mk/result.h"

#define KEYS_PW_MAGIC "MKPW"
#define KEYS_PW_VERSION 1
#define KEYS_PW_KDF_PBKDF2_SHA256 1
#define KEYS_PW_AEAD_AES256_GCM 1
#define KEYS_PW_ITER_MAX 100000000u
#define KEYS_PW_SALT_MIN 16
#define KEYS_PW_SALT_MAX 64
#define KEYS_PW_IV_LEN 12
#define KEYS_PW_TAG_LEN 16
/* The sealed secret is at most 1 KiB (the master key is 32 bytes). */
#define KEYS_PW_PLAINTEXT_MAX 1024
#define KEYS_PW_CT_MAX (KEYS_PW_PLAINTEXT_MAX + KEYS_PW_TAG_LEN)

/* A parsed blob: views into the parsed bytes (valid while they are). */
typedef struct keys_pwblob {
    uint32_t iterations;
    const uint8_t *salt;
    size_t salt_len;
    const uint8_t *iv;
    size_t iv_len;
    const uint8_t *ct; /* ciphertext followed by the tag */
    size_t ct_len;
    size_t aad_len; /* bytes of the blob before ct: the GCM additional data */
} keys_pwblob;

/*
 * Parse data[0..len). Errors: MK_E_INVALID (magic, version, kdf, aead, IV
 * length, zero iterations, a length under its minimum, trailing bytes),
 * MK_E_TOOBIG (a length or the iteration count over its cap), MK_E_BOUNDS
 * (truncated). The message names the field.
 */
MK_RESULT keys_pwblob_parse(const uint8_t *data, size_t len, keys_pwblob *out);

/*
 * Append the header of b (everything up to and including ct_len) to out:
 * the GCM additional data. Same checks as the parser; ct is not read.
 */
MK_RESULT keys_pwblob_write_header(const keys_pwblob *b, mk_buf *out);

/* Append the whole encoding of b (header and ct) to out. */
MK_RESULT keys_pwblob_write(const keys_pwblob *b, mk_buf *out);

#endif
