/*
 * Fuzz target for the T-SQL batch parser (server/sql, sql_parse).
 *
 * Any byte string goes in; the parser must either build a batch or fill a
 * SQL Server error (number, class, non-empty text), never crash or leak.
 * For every statement that parses, the full rendering must parse again to
 * one statement of the same kind whose rendering is identical, and the log
 * rendering must succeed: this checks that the renderer and the grammar
 * agree. Secrets are wiped as the executor would.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mk/buf.h"
#include "sql/parser.h"
#include "sql/render.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void render_or_die(const sql_stmt *s, unsigned flags, mk_buf *out)
{
    mk_buf_init(out, 0);
    if (mk_failed(sql_stmt_render(s, flags, out)) || mk_failed(mk_buf_terminate(out))) {
        abort();
    }
}

/* parse(render(s)) is one statement of the same kind that renders the same. */
static void check_round_trip(const sql_stmt *s)
{
    mk_buf first;
    mk_buf second;
    render_or_die(s, SQL_RENDER_FULL, &first);
    sql_batch *again = NULL;
    sql_error err;
    if (mk_failed(sql_parse((const char *)first.data, first.len, &again, &err)) ||
        sql_batch_count(again) != 1 || sql_batch_stmt(again, 0)->kind != s->kind) {
        abort();
    }
    render_or_die(sql_batch_stmt(again, 0), SQL_RENDER_FULL, &second);
    if (first.len != second.len || memcmp(first.data, second.data, first.len) != 0) {
        abort();
    }
    mk_buf_cleanup(&second);
    mk_buf_cleanup(&first);
    sql_batch_free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sql_batch *b = NULL;
    sql_error err;
    if (mk_failed(sql_parse((const char *)data, size, &b, &err))) {
        if (b != NULL || err.number == 0 || err.cls == 0 || err.message[0] == '\0') {
            abort();
        }
        return 0;
    }
    for (size_t i = 0; i < sql_batch_count(b); i++) {
        sql_stmt *s = sql_batch_stmt(b, i);
        mk_buf log;
        render_or_die(s, 0, &log);
        mk_buf_cleanup(&log);
        check_round_trip(s);
        sql_stmt_wipe_secrets(s);
    }
    sql_batch_free(b);
    return 0;
}
