/*
 * T-SQL parser: a whole batch to a list of statements (sql/ast.h).
 *
 * Pure: no sockets, files, catalog or token. The whole batch is parsed before
 * anything runs; a syntax error anywhere rejects the batch (SQL Server's
 * rule for compile errors), reported as error 102 "Incorrect syntax near
 * '%s'." naming the offending token (the last token when the batch ends
 * early) with its line. Statements are separated by `;`, by a GO line or by
 * nothing at all, as in T-SQL.
 */
#ifndef SQL_PARSER_H
#define SQL_PARSER_H

#include <stddef.h>

#include "mk/result.h"
#include "sql/ast.h"
#include "sql/error.h"

#define SQL_MAX_STATEMENTS ((size_t)4096) /* per batch */
#define SQL_MAX_LIST ((size_t)4096)       /* items in one list (columns, principals, ...) */
#define SQL_MAX_DEPTH 32                  /* nesting of expressions */

typedef struct sql_batch sql_batch;

/*
 * Parse text[0..len) (UTF-8). On success *out owns the statements (an empty
 * batch has none) and err is cleared. On failure returns MK_ERR with *out
 * NULL and err filled: the lexer's errors (see sql/lexer.h), 102 syntax,
 * 103 identifier too long, 1038 empty name, 191 nested too deeply, 8623 over
 * a cap, 701 out of memory. text is borrowed; it may hold passwords, so the
 * caller wipes it when done.
 */
MK_RESULT sql_parse(const char *text, size_t len, sql_batch **out, sql_error *err);

size_t sql_batch_count(const sql_batch *b);
/* Statement i (i < count); owned by the batch. */
sql_stmt *sql_batch_stmt(sql_batch *b, size_t i);
/* Wipe all batch memory (passwords and every other string) and release. NULL ok. */
void sql_batch_free(sql_batch *b);

#endif
