/*
 * UTF-16LE <-> UTF-8 conversion for TDS strings (MS-TDS 2.2.5.1: character
 * data of TDS 7.x is UCS-2/UTF-16 little-endian; mirrorkey works in UTF-8).
 *
 * Both directions are strict: UTF-16 input with an unpaired surrogate, and
 * UTF-8 input that is overlong, truncated, encodes a surrogate or lies above
 * U+10FFFF, fail with MK_E_INVALID. Readers take an mk_cursor so untrusted
 * bytes are only ever read through it.
 */
#ifndef TDS_UCS2_H
#define TDS_UCS2_H

#include <stddef.h>
#include <stdint.h>

#include "mk/buf.h"
#include "mk/cursor.h"
#include "mk/result.h"

/* Decode one code point from UTF-16LE. MK_E_BOUNDS on truncation. */
MK_RESULT tds_utf16le_next(mk_cursor *in, uint32_t *cp);

/* Decode one code point from UTF-8. MK_E_INVALID on any malformed sequence. */
MK_RESULT tds_utf8_next(mk_cursor *in, uint32_t *cp);

/* Encode cp (a Unicode scalar value) as UTF-8 into out[4]; returns its length 1..4, 0 if invalid.
 */
size_t tds_utf8_encode_cp(uint32_t cp, uint8_t out[4]);

/* Append cp as one or two UTF-16LE code units; *units gets 1 or 2. MK_E_INVALID for a non-scalar.
 */
MK_RESULT tds_utf16le_put(mk_buf *out, uint32_t cp, size_t *units);

/*
 * Convert all of `in` (UTF-16LE; an odd byte count is an error) and append
 * UTF-8 to out. The buffer's own cap bounds the output (MK_E_TOOBIG).
 */
MK_RESULT tds_utf16le_to_utf8(mk_cursor *in, mk_buf *out);

/*
 * Same into a caller-supplied array of cap bytes; *len receives the length.
 * Used for secrets (no intermediate heap copy). MK_E_TOOBIG when cap is short.
 */
MK_RESULT tds_utf16le_to_utf8_fixed(mk_cursor *in, uint8_t *out, size_t cap, size_t *len);

/*
 * Convert UTF-8 text[0..len) and append UTF-16LE to out. *units (may be NULL)
 * receives the number of UTF-16 code units written.
 */
MK_RESULT tds_utf8_to_utf16le(const char *text, size_t len, mk_buf *out, size_t *units);

/* Count the UTF-16 code units text[0..len) needs, validating it. */
MK_RESULT tds_utf16_units(const char *text, size_t len, size_t *units);

#endif
