/*
 * Fuzz target for keys_pwblob_parse (server/keys/src/pwblob.c), the reader
 * of the password-sealed master key blob stored in the catalog.
 *
 * Any byte sequence must either be refused with a "password blob: " message,
 * or parse to views that lie inside the input, respect every cap, cover the
 * input exactly (header + ciphertext) and write back to the very same bytes.
 * Any violation aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keys/pwblob.h"
#include "mk/buf.h"
#include "mk/result.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "keys_pwblob_fuzz: check failed at line %d: %s\n", __LINE__, #cond);   \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static int inside(const uint8_t *base, size_t size, const uint8_t *p, size_t n)
{
    return p >= base && n <= size && (size_t)(p - base) <= size - n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    keys_pwblob b;
    if (mk_failed(keys_pwblob_parse(data, size, &b))) {
        CHECK(strncmp(mk_error_message(), "password blob: ", 15) == 0 ||
              mk_error_code() == MK_E_BOUNDS);
        return 0;
    }
    CHECK(b.iterations >= 1 && b.iterations <= KEYS_PW_ITER_MAX);
    CHECK(b.salt_len >= KEYS_PW_SALT_MIN && b.salt_len <= KEYS_PW_SALT_MAX);
    CHECK(b.iv_len == KEYS_PW_IV_LEN);
    CHECK(b.ct_len > KEYS_PW_TAG_LEN && b.ct_len <= KEYS_PW_CT_MAX);
    CHECK(inside(data, size, b.salt, b.salt_len));
    CHECK(inside(data, size, b.iv, b.iv_len));
    CHECK(inside(data, size, b.ct, b.ct_len));
    CHECK(b.aad_len + b.ct_len == size);
    CHECK(b.ct == data + b.aad_len);

    mk_buf out;
    mk_buf_init(&out, 0);
    CHECK(mk_ok(keys_pwblob_write(&b, &out)));
    CHECK(out.len == size && memcmp(out.data, data, size) == 0);
    mk_buf_reset(&out);
    CHECK(mk_ok(keys_pwblob_write_header(&b, &out)));
    CHECK(out.len == b.aad_len && memcmp(out.data, data, b.aad_len) == 0);
    mk_buf_cleanup(&out);
    return 0;
}
