/*
 * Bounded byte cursor: the only way mirrorkey reads untrusted bytes (after
 * s2n_stuffer and unbound's sldns_buffer).
 *
 * A cursor is a borrowed view (pointer, length, position). Every reader checks
 * the remaining length first; a failed read records MK_E_BOUNDS, sets a sticky
 * error flag and leaves the position unchanged. Once the flag is set every
 * later read fails too, so a parser may read a whole structure and check
 * mk_cursor_failed() once. Readers never assert and never read past len.
 * Sub-cursors are views into the same memory and carry their own limits.
 */
#ifndef MK_CURSOR_H
#define MK_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mk/result.h"

typedef struct mk_cursor {
    const uint8_t *data;
    size_t len;
    size_t pos;
    bool failed;
} mk_cursor;

/* A view of data[0..len). data may be NULL only when len is 0. */
void mk_cursor_init(mk_cursor *c, const void *data, size_t len);

size_t mk_cursor_remaining(const mk_cursor *c);
size_t mk_cursor_pos(const mk_cursor *c);
bool mk_cursor_failed(const mk_cursor *c);
/* True when no error occurred and every byte was consumed. */
bool mk_cursor_done(const mk_cursor *c);
/* Pointer to the unread bytes (valid for mk_cursor_remaining(c) bytes). */
const uint8_t *mk_cursor_ptr(const mk_cursor *c);

MK_RESULT mk_cursor_read_u8(mk_cursor *c, uint8_t *out);
MK_RESULT mk_cursor_read_u16be(mk_cursor *c, uint16_t *out);
MK_RESULT mk_cursor_read_u16le(mk_cursor *c, uint16_t *out);
MK_RESULT mk_cursor_read_u32be(mk_cursor *c, uint32_t *out);
MK_RESULT mk_cursor_read_u32le(mk_cursor *c, uint32_t *out);
MK_RESULT mk_cursor_read_u64be(mk_cursor *c, uint64_t *out);
MK_RESULT mk_cursor_read_u64le(mk_cursor *c, uint64_t *out);
MK_RESULT mk_cursor_read_i32le(mk_cursor *c, int32_t *out);

/* Copy the next n bytes into out (caller-sized) and advance. */
MK_RESULT mk_cursor_copy(mk_cursor *c, void *out, size_t n);
/* Take the next n bytes as a sub-cursor and advance past them. */
MK_RESULT mk_cursor_read_bytes(mk_cursor *c, size_t n, mk_cursor *sub);
MK_RESULT mk_cursor_skip(mk_cursor *c, size_t n);
/* Move to an absolute position (<= len). */
MK_RESULT mk_cursor_seek(mk_cursor *c, size_t pos);
/*
 * A sub-cursor over [off, off+n) counted from the start of c, without moving
 * c. For formats with offset tables (TDS LOGIN7, PRELOGIN). Overflow-safe.
 */
MK_RESULT mk_cursor_slice(mk_cursor *c, size_t off, size_t n, mk_cursor *sub);
/* Read without advancing. */
MK_RESULT mk_cursor_peek_u8(mk_cursor *c, uint8_t *out);

#endif
