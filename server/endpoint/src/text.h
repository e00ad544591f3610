/*
 * Text fields of the endpoint wire messages (hello.c, control.c). Pure.
 */
#ifndef EP_TEXT_H
#define EP_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mk/cursor.h"
#include "mk/result.h"

/* Well-formed UTF-8 (no overlongs, surrogates or values over U+10FFFF), no C0/DEL/C1 controls. */
bool ep_text_ok(const uint8_t *s, size_t n);

/*
 * Read n bytes of text into out (capacity cap + 1, NUL-terminated) after
 * checking n <= cap and the text rule. what names the field in errors.
 * Errors: MK_E_INVALID, MK_E_BOUNDS (c ends first).
 */
MK_RESULT ep_read_text(mk_cursor *c, size_t n, size_t cap, char *out, const char *what);

#endif
