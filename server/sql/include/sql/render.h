/*
 * Rendering a parsed statement back to T-SQL, for logs and audit.
 *
 * The output is canonical T-SQL on one line: keywords in upper case, every
 * name in [brackets], strings quoted with '' doubling. Every password is
 * written as '******'; no function here ever renders a password. With
 * SQL_RENDER_FULL the text parses again to the same statement (passwords
 * aside); without it long binary literals are shortened for log lines.
 */
#ifndef SQL_RENDER_H
#define SQL_RENDER_H

#include "mk/buf.h"
#include "mk/result.h"
#include "sql/ast.h"

#define SQL_RENDER_FULL 0x1u        /* keep binary literals whole */
#define SQL_RENDER_BINARY_ABBREV 32 /* bytes shown of a longer binary literal */

/*
 * Append the rendering of stmt to out. Fails only when out's cap is reached
 * (MK_E_TOOBIG) or memory runs out; out may then hold a partial rendering.
 */
MK_RESULT sql_stmt_render(const sql_stmt *stmt, unsigned flags, mk_buf *out);

/* sql_stmt_render for a log line: passwords redacted, long binaries shortened. */
MK_RESULT sql_stmt_redacted(const sql_stmt *stmt, mk_buf *out);

#endif
