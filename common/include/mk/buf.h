/*
 * Growable byte buffer for building messages (the writer side of the cursor).
 * Every buffer has a hard cap fixed at init; growing past it fails with
 * MK_E_TOOBIG, so an encoder fed hostile sizes cannot exhaust memory.
 * A buffer marked secret is wiped before its memory is released.
 */
#ifndef MK_BUF_H
#define MK_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mk/result.h"

typedef struct mk_buf {
    uint8_t *data;
    size_t len;
    size_t cap;
    size_t max;
    bool secret;
} mk_buf;

#define MK_BUF_DEFAULT_MAX ((size_t)64 * 1024 * 1024)

/* Empty buffer; max 0 means MK_BUF_DEFAULT_MAX. No allocation yet. */
void mk_buf_init(mk_buf *b, size_t max);
/* Same, but the contents are wiped on every reallocation and on cleanup. */
void mk_buf_init_secret(mk_buf *b, size_t max);
/* Release memory (wiping it if secret); the buffer is empty and reusable. */
void mk_buf_cleanup(mk_buf *b);
/* Forget the contents but keep the allocation (wipes if secret). */
void mk_buf_reset(mk_buf *b);

MK_RESULT mk_buf_reserve(mk_buf *b, size_t extra);
MK_RESULT mk_buf_append(mk_buf *b, const void *data, size_t n);
MK_RESULT mk_buf_append_str(mk_buf *b, const char *s);
MK_RESULT mk_buf_printf(mk_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
MK_RESULT mk_buf_put_u8(mk_buf *b, uint8_t v);
MK_RESULT mk_buf_put_u16be(mk_buf *b, uint16_t v);
MK_RESULT mk_buf_put_u16le(mk_buf *b, uint16_t v);
MK_RESULT mk_buf_put_u32be(mk_buf *b, uint32_t v);
MK_RESULT mk_buf_put_u32le(mk_buf *b, uint32_t v);
MK_RESULT mk_buf_put_u64le(mk_buf *b, uint64_t v);
MK_RESULT mk_buf_put_u64be(mk_buf *b, uint64_t v);
/* Overwrite bytes already written (for length fields filled in afterwards). */
MK_RESULT mk_buf_patch_u16be(mk_buf *b, size_t at, uint16_t v);
MK_RESULT mk_buf_patch_u16le(mk_buf *b, size_t at, uint16_t v);
MK_RESULT mk_buf_patch_u32le(mk_buf *b, size_t at, uint32_t v);
/* NUL-terminate without counting the NUL in len (for text buffers). */
MK_RESULT mk_buf_terminate(mk_buf *b);

#endif
