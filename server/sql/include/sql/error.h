/*
 * SQL Server style errors: number, class (severity), state, line and text.
 *
 * The parser fills one when a batch is rejected (102, 103, 105, 113, ...);
 * the executor uses the same struct for its own errors, and the TDS layer
 * turns it into an ERROR token. Texts follow SQL Server's wording. Messages
 * never carry secrets: a string literal in a password position is shown as
 * '******' (see sql_error_syntax).
 */
#ifndef SQL_ERROR_H
#define SQL_ERROR_H

#include <stddef.h>

/* Numbers the parser produces. */
#define SQL_ERR_SYNTAX 102              /* Incorrect syntax near '%s'. */
#define SQL_ERR_IDENT_TOO_LONG 103      /* The identifier that starts with '%s' is too long. */
#define SQL_ERR_UNCLOSED_QUOTE 105      /* Unclosed quotation mark after the character string */
#define SQL_ERR_MISSING_END_COMMENT 113 /* Missing end comment mark '*' '/'. */
#define SQL_ERR_NESTED_TOO_DEEPLY 191   /* Some part of your SQL statement is nested too deeply. */
#define SQL_ERR_NOMEM 701               /* There is insufficient system memory ... */
#define SQL_ERR_EMPTY_NAME 1038         /* An object or column name is missing or empty. */
#define SQL_ERR_TOO_COMPLEX 8623        /* The query processor ran out of internal resources ... */

typedef struct sql_error {
    int number;        /* SQL Server error number; 0 = no error */
    int cls;           /* severity (class), 0..25 */
    int state;         /* state, 1..255 */
    int line;          /* 1-based line in the batch; 0 when not tied to a line */
    char message[512]; /* NUL-terminated UTF-8 text, truncated to fit */
} sql_error;

/* Reset to "no error". */
void sql_error_clear(sql_error *e);

/* Fill every field; the message is formatted with printf rules and truncated. */
void sql_error_set(sql_error *e, int number, int cls, int state, int line, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/*
 * Error 102 class 15 state 1, "Incorrect syntax near '<near>'.". near[0..len)
 * is UTF-8; it is cut at a character boundary so that the message fits.
 */
void sql_error_syntax(sql_error *e, int line, const char *near, size_t len);

#endif
