/*
 * Reader and writer of the sealed-secret blob (format in p11/seal_blob.h).
 * The reader is pure: bytes in, views out, every length checked against its
 * cap before anything else looks at it.
 */
#include "p11/seal_blob.h"

#include <string.h>

#include "mk/cursor.h"

static MK_RESULT read_header(mk_cursor *c, p11_seal_blob *out)
{
    uint8_t magic[4];
    GUARD(mk_cursor_copy(c, magic, sizeof(magic)));
    ENSURE_MSG(memcmp(magic, P11_SEAL_MAGIC, sizeof(magic)) == 0, MK_E_INVALID,
               "sealed blob: bad magic");
    GUARD(mk_cursor_read_u8(c, &out->version));
    ENSURE_MSG(out->version == P11_SEAL_VERSION, MK_E_INVALID,
               "sealed blob: unsupported version %u", out->version);
    GUARD(mk_cursor_read_u8(c, &out->alg));
    ENSURE_MSG(out->alg == P11_SEAL_ALG_AES256_GCM, MK_E_INVALID,
               "sealed blob: unsupported algorithm %u", out->alg);
    return MK_OK;
}

/* A length-prefixed field: the length is checked against [min, max] before the bytes are taken. */
static MK_RESULT read_field(mk_cursor *c, size_t len, size_t min, size_t max, const char *what,
                            const uint8_t **ptr, size_t *out_len)
{
    ENSURE_MSG(len <= max, MK_E_TOOBIG, "sealed blob: %s length %zu over %zu", what, len, max);
    ENSURE_MSG(len >= min, MK_E_INVALID, "sealed blob: %s length %zu under %zu", what, len, min);
    mk_cursor sub;
    GUARD(mk_cursor_read_bytes(c, len, &sub));
    *ptr = mk_cursor_ptr(&sub);
    *out_len = len;
    return MK_OK;
}

MK_RESULT p11_seal_blob_parse(const uint8_t *data, size_t len, p11_seal_blob *out)
{
    memset(out, 0, sizeof(*out));
    mk_cursor c;
    mk_cursor_init(&c, data, len);
    GUARD(read_header(&c, out));
    uint8_t id_len = 0, iv_len = 0;
    uint16_t label_len = 0;
    uint32_t ct_len = 0;
    GUARD(mk_cursor_read_u8(&c, &id_len));
    GUARD(read_field(&c, id_len, 1, P11_SEAL_ID_MAX, "id", &out->id, &out->id_len));
    GUARD(mk_cursor_read_u16be(&c, &label_len));
    GUARD(read_field(&c, label_len, 0, P11_SEAL_LABEL_MAX, "label", &out->label, &out->label_len));
    GUARD(mk_cursor_read_u8(&c, &iv_len));
    ENSURE_MSG(iv_len == P11_SEAL_IV_LEN, MK_E_INVALID, "sealed blob: IV length %u, not %d", iv_len,
               P11_SEAL_IV_LEN);
    GUARD(read_field(&c, iv_len, P11_SEAL_IV_LEN, P11_SEAL_IV_LEN, "IV", &out->iv, &out->iv_len));
    GUARD(mk_cursor_read_u32be(&c, &ct_len));
    GUARD(read_field(&c, ct_len, P11_SEAL_TAG_LEN + 1, P11_SEAL_CT_MAX, "ciphertext", &out->ct,
                     &out->ct_len));
    ENSURE_MSG(mk_cursor_done(&c), MK_E_INVALID, "sealed blob: %zu trailing bytes",
               mk_cursor_remaining(&c));
    return MK_OK;
}

MK_RESULT p11_seal_blob_write(const p11_seal_blob *b, mk_buf *out)
{
    ENSURE_MSG(b->id_len >= 1 && b->id_len <= P11_SEAL_ID_MAX, MK_E_INVALID,
               "sealed blob: id length %zu", b->id_len);
    ENSURE_MSG(b->label_len <= P11_SEAL_LABEL_MAX, MK_E_TOOBIG, "sealed blob: label length %zu",
               b->label_len);
    ENSURE_MSG(b->iv_len == P11_SEAL_IV_LEN, MK_E_INVALID, "sealed blob: IV length %zu", b->iv_len);
    ENSURE_MSG(b->ct_len > P11_SEAL_TAG_LEN && b->ct_len <= P11_SEAL_CT_MAX, MK_E_TOOBIG,
               "sealed blob: ciphertext length %zu", b->ct_len);
    GUARD(mk_buf_append(out, P11_SEAL_MAGIC, 4));
    GUARD(mk_buf_put_u8(out, P11_SEAL_VERSION));
    GUARD(mk_buf_put_u8(out, P11_SEAL_ALG_AES256_GCM));
    GUARD(mk_buf_put_u8(out, (uint8_t)b->id_len));
    GUARD(mk_buf_append(out, b->id, b->id_len));
    GUARD(mk_buf_put_u16be(out, (uint16_t)b->label_len));
    GUARD(mk_buf_append(out, b->label, b->label_len));
    GUARD(mk_buf_put_u8(out, (uint8_t)b->iv_len));
    GUARD(mk_buf_append(out, b->iv, b->iv_len));
    GUARD(mk_buf_put_u32be(out, (uint32_t)b->ct_len));
    GUARD(mk_buf_append(out, b->ct, b->ct_len));
    return MK_OK;
}
