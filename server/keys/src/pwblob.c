/*
 * Reader and writer of the password-sealed master key blob (format in
 * keys/pwblob.h). The reader checks every length against its cap before it
 * takes the bytes, and never allocates.
 */
#include "keys/pwblob.h"

#include <string.h>

#include "mk/cursor.h"

/* A field of `len` bytes, checked against [min, max] before it is taken. */
static MK_RESULT read_field(mk_cursor *c, size_t len, size_t min, size_t max, const char *what,
                            const uint8_t **ptr, size_t *out_len)
{
    ENSURE_MSG(len <= max, MK_E_TOOBIG, "password blob: %s length %zu over %zu", what, len, max);
    ENSURE_MSG(len >= min, MK_E_INVALID, "password blob: %s length %zu under %zu", what, len, min);
    mk_cursor sub;
    GUARD(mk_cursor_read_bytes(c, len, &sub));
    *ptr = mk_cursor_ptr(&sub);
    *out_len = len;
    return MK_OK;
}

static MK_RESULT read_kdf(mk_cursor *c, keys_pwblob *out)
{
    uint8_t magic[4];
    uint8_t version = 0;
    uint8_t kdf = 0;
    uint8_t salt_len = 0;
    GUARD(mk_cursor_copy(c, magic, sizeof(magic)));
    ENSURE_MSG(memcmp(magic, KEYS_PW_MAGIC, sizeof(magic)) == 0, MK_E_INVALID,
               "password blob: bad magic");
    GUARD(mk_cursor_read_u8(c, &version));
    ENSURE_MSG(version == KEYS_PW_VERSION, MK_E_INVALID, "password blob: unsupported version %u",
               version);
    GUARD(mk_cursor_read_u8(c, &kdf));
    ENSURE_MSG(kdf == KEYS_PW_KDF_PBKDF2_SHA256, MK_E_INVALID,
               "password blob: unsupported key derivation %u", kdf);
    GUARD(mk_cursor_read_u32be(c, &out->iterations));
    ENSURE_MSG(out->iterations >= 1, MK_E_INVALID, "password blob: zero iterations");
    ENSURE_MSG(out->iterations <= KEYS_PW_ITER_MAX, MK_E_TOOBIG,
               "password blob: %u iterations over the cap", out->iterations);
    GUARD(mk_cursor_read_u8(c, &salt_len));
    return read_field(c, salt_len, KEYS_PW_SALT_MIN, KEYS_PW_SALT_MAX, "salt", &out->salt,
                      &out->salt_len);
}

MK_RESULT keys_pwblob_parse(const uint8_t *data, size_t len, keys_pwblob *out)
{
    memset(out, 0, sizeof(*out));
    mk_cursor c;
    mk_cursor_init(&c, data, len);
    uint8_t aead = 0;
    uint8_t iv_len = 0;
    uint16_t ct_len = 0;
    GUARD(read_kdf(&c, out));
    GUARD(mk_cursor_read_u8(&c, &aead));
    ENSURE_MSG(aead == KEYS_PW_AEAD_AES256_GCM, MK_E_INVALID,
               "password blob: unsupported cipher %u", aead);
    GUARD(mk_cursor_read_u8(&c, &iv_len));
    ENSURE_MSG(iv_len == KEYS_PW_IV_LEN, MK_E_INVALID, "password blob: IV length %u, not %d",
               iv_len, KEYS_PW_IV_LEN);
    GUARD(read_field(&c, iv_len, KEYS_PW_IV_LEN, KEYS_PW_IV_LEN, "IV", &out->iv, &out->iv_len));
    GUARD(mk_cursor_read_u16be(&c, &ct_len));
    out->aad_len = mk_cursor_pos(&c);
    GUARD(read_field(&c, ct_len, KEYS_PW_TAG_LEN + 1, KEYS_PW_CT_MAX, "ciphertext", &out->ct,
                     &out->ct_len));
    ENSURE_MSG(mk_cursor_done(&c), MK_E_INVALID, "password blob: %zu trailing bytes",
               mk_cursor_remaining(&c));
    return MK_OK;
}

MK_RESULT keys_pwblob_write_header(const keys_pwblob *b, mk_buf *out)
{
    ENSURE_MSG(b->iterations >= 1 && b->iterations <= KEYS_PW_ITER_MAX, MK_E_INVALID,
               "password blob: %u iterations", b->iterations);
    ENSURE_MSG(b->salt_len >= KEYS_PW_SALT_MIN && b->salt_len <= KEYS_PW_SALT_MAX, MK_E_INVALID,
               "password blob: salt length %zu", b->salt_len);
    ENSURE_MSG(b->iv_len == KEYS_PW_IV_LEN, MK_E_INVALID, "password blob: IV length %zu",
               b->iv_len);
    ENSURE_MSG(b->ct_len > KEYS_PW_TAG_LEN && b->ct_len <= KEYS_PW_CT_MAX, MK_E_TOOBIG,
               "password blob: ciphertext length %zu", b->ct_len);
    GUARD(mk_buf_append(out, KEYS_PW_MAGIC, 4));
    GUARD(mk_buf_put_u8(out, KEYS_PW_VERSION));
    GUARD(mk_buf_put_u8(out, KEYS_PW_KDF_PBKDF2_SHA256));
    GUARD(mk_buf_put_u32be(out, b->iterations));
    GUARD(mk_buf_put_u8(out, (uint8_t)b->salt_len));
    GUARD(mk_buf_append(out, b->salt, b->salt_len));
    GUARD(mk_buf_put_u8(out, KEYS_PW_AEAD_AES256_GCM));
    GUARD(mk_buf_put_u8(out, (uint8_t)b->iv_len));
    GUARD(mk_buf_append(out, b->iv, b->iv_len));
    GUARD(mk_buf_put_u16be(out, (uint16_t)b->ct_len));
    return MK_OK;
}

MK_RESULT keys_pwblob_write(const keys_pwblob *b, mk_buf *out)
{
    GUARD(keys_pwblob_write_header(b, out));
    return mk_buf_append(out, b->ct, b->ct_len);
}
