/*
 * SQL batch (MS-TDS 2.2.6.7): ALL_HEADERS, then the batch text as UTF-16LE
 * running to the end of the message. The text is returned as UTF-8 for the
 * T-SQL layer; its size is capped before and during conversion.
 */
#include "tds/sqlbatch.h"

#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "tds/ucs2.h"

MK_RESULT tds_sqlbatch_parse(const uint8_t *msg, size_t len, size_t max_text, tds_sqlbatch *out)
{
    mk_result res = MK_ERR;
    mk_buf text;
    mk_cursor c;
    memset(out, 0, sizeof(*out));
    ENSURE_MSG(max_text > 0 && max_text < SIZE_MAX, MK_E_INVALID, "bad SQL text cap");
    mk_buf_init(&text, max_text + 1);
    mk_cursor_init(&c, msg, len);
    GUARD_OUT(tds_all_headers_parse(&c, &out->headers));
    ENSURE_OUT(mk_cursor_remaining(&c) % 2 == 0, MK_E_INVALID, "SQL batch text has odd length");
    /* Each UTF-16 unit yields at least one UTF-8 byte: reject early. */
    ENSURE_OUT(mk_cursor_remaining(&c) / 2 <= max_text, MK_E_TOOBIG,
               "SQL batch over %zu bytes of text", max_text);
    if (mk_failed(tds_utf16le_to_utf8(&c, &text))) {
        if (mk_error_code() == MK_E_TOOBIG) {
            (void)mk_error_set(MK_E_TOOBIG, __FILE__, __LINE__, "SQL batch over %zu bytes of text",
                               max_text);
        }
        goto out;
    }
    ENSURE_OUT(text.len <= max_text, MK_E_TOOBIG, "SQL batch over %zu bytes of text", max_text);
    GUARD_OUT(tds_check_no_nul((const char *)text.data, text.len, "SQL batch"));
    GUARD_OUT(mk_buf_terminate(&text));
    out->text = (char *)text.data;
    out->text_len = text.len;
    text.data = NULL;
    res = MK_OK;
out:
    mk_buf_cleanup(&text);
    if (mk_failed(res)) {
        memset(out, 0, sizeof(*out));
    }
    return res;
}

void tds_sqlbatch_cleanup(tds_sqlbatch *b)
{
    free(b->text);
    memset(b, 0, sizeof(*b));
}

MK_RESULT tds_sqlbatch_encode(const char *sql, mk_buf *out)
{
    const size_t start = out->len;
    if (mk_failed(tds_all_headers_encode(0, 1, out)) ||
        mk_failed(tds_utf8_to_utf16le(sql, strlen(sql), out, NULL))) {
        out->len = start;
        return MK_ERR;
    }
    return MK_OK;
}
