/*
 * SQL Server style error records (see sql/error.h).
 */
#include "sql/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* Room left for the near-text of error 102 once the fixed words are in. */
#define SQL_NEAR_MAX 400

void sql_error_clear(sql_error *e) { memset(e, 0, sizeof(*e)); }

void sql_error_set(sql_error *e, int number, int cls, int state, int line, const char *fmt, ...)
{
    va_list ap;
    e->number = number;
    e->cls = cls;
    e->state = state;
    e->line = line;
    va_start(ap, fmt);
    int n = vsnprintf(e->message, sizeof(e->message), fmt, ap);
    va_end(ap);
    if (n < 0) {
        e->message[0] = '\0';
    } else if ((size_t)n >= sizeof(e->message)) {
        /* vsnprintf cut at a byte; do not leave half a UTF-8 character. */
        size_t keep = sql_utf8_clip(e->message, sizeof(e->message) - 1, sizeof(e->message) - 1);
        e->message[keep] = '\0';
    }
}

void sql_error_syntax(sql_error *e, int line, const char *near, size_t len)
{
    size_t keep = sql_utf8_clip(near, len, SQL_NEAR_MAX);
    sql_error_set(e, SQL_ERR_SYNTAX, 15, 1, line, "Incorrect syntax near '%.*s'.", (int)keep, near);
}

void sql_error_from_mk(sql_error *e, int line)
{
    if (mk_error_code() == MK_E_NOMEM) {
        sql_error_set(e, SQL_ERR_NOMEM, 17, 1, line,
                      "There is insufficient system memory in resource pool 'default' to run "
                      "this query.");
        return;
    }
    sql_error_set(e, SQL_ERR_TOO_COMPLEX, 16, 1, line,
                  "The query processor ran out of internal resources and could not produce a "
                  "query plan. This is a rare event and only expected for extremely complex "
                  "queries or queries that reference a very large number of tables or "
                  "partitions. Please simplify the query. If you believe you have received "
                  "this message in error, contact Customer Support Services for more "
                  "information.");
}

bool sql_error_ident_too_long(sql_error *e, int line, const char *v, size_t len)
{
    if (sql_utf8_chars(v, len) <= SQL_MAX_IDENT_CHARS) {
        return false;
    }
    size_t cut = 0;
    for (size_t chars = 0; cut < len; cut++) {
        if (((unsigned char)v[cut] & 0xC0) != 0x80 && chars++ == SQL_MAX_IDENT_CHARS) {
            break;
        }
    }
    sql_error_set(e, SQL_ERR_IDENT_TOO_LONG, 15, 4, line,
                  "The identifier that starts with '%.*s' is too long. Maximum length is %d.",
                  (int)cut, v, SQL_MAX_IDENT_CHARS);
    return true;
}
