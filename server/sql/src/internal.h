/*
 * Private structures of the T-SQL front end: the arena every token value and
 * AST node lives in, the token list, the batch, the parser state and the
 * helpers the per-family parse_*.c files share.
 */
#ifndef SQL_INTERNAL_H
#define SQL_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mk/buf.h"
#include "mk/result.h"
#include "sql/ast.h"
#include "sql/error.h"
#include "sql/lexer.h"
#include "sql/parser.h"

/* ---- Arena (arena.c) -------------------------------------------------------
 * Bump allocator in chunks. All memory is zeroed on allocation and wiped with
 * OPENSSL_cleanse before it is released, so string copies (passwords among
 * them) never outlive the batch. The total is capped.
 */
typedef struct sql_chunk sql_chunk;

typedef struct sql_arena {
    sql_chunk *head;
    size_t total; /* bytes obtained from malloc */
} sql_arena;

#define SQL_ARENA_MAX ((size_t)64 * 1024 * 1024)

void sql_arena_init(sql_arena *a);
/* Wipe and free every chunk; the arena is empty and reusable. */
void sql_arena_cleanup(sql_arena *a);
/* n zeroed bytes aligned for any object. MK_E_NOMEM / MK_E_TOOBIG. */
MK_RESULT sql_arena_alloc(sql_arena *a, size_t n, void **out);
/* Copy s[0..n) and append a NUL. */
MK_RESULT sql_arena_strndup(sql_arena *a, const char *s, size_t n, char **out);

/*
 * Test hook: when set, called with each chunk just before it is freed (after
 * the wipe), so tests can prove that no byte survives. NULL in production.
 */
extern void (*sql_arena_free_hook)(const void *mem, size_t len);

/* Growable array of pointers inside an arena (old storage is left to the arena). */
typedef struct sql_vec {
    const void **v;
    size_t n;
    size_t cap;
} sql_vec;

MK_RESULT sql_vec_push(sql_arena *a, sql_vec *vec, const void *item);

/* ---- Text helpers (text.c) ------------------------------------------------ */

/* ASCII case-insensitive equality of s[0..n) and the NUL-terminated kw. */
bool sql_ieq(const char *s, size_t n, const char *kw);
/*
 * Length of the longest valid UTF-8 prefix of s[0..n) (no overlongs, no
 * surrogates, nothing above U+10FFFF, no NUL byte).
 */
size_t sql_utf8_valid_prefix(const char *s, size_t n);
/* Largest length <= max that does not cut a UTF-8 sequence of s[0..n). */
size_t sql_utf8_clip(const char *s, size_t n, size_t max);
/* Number of characters in the valid UTF-8 text s[0..n). */
size_t sql_utf8_chars(const char *s, size_t n);
/*
 * Fill e from the mk_result error of this thread after an arena or list
 * failure: 701 (out of memory) or 8623 (over a cap), at line.
 */
void sql_error_from_mk(sql_error *e, int line);
/*
 * When v[0..len) (valid UTF-8) is longer than SQL_MAX_IDENT_CHARS characters,
 * fill e with error 103 naming its first characters and return true.
 */
bool sql_error_ident_too_long(sql_error *e, int line, const char *v, size_t len);
/* T-SQL reserved keyword (never a bare name or alias)? Plain identifiers only. */
bool sql_is_reserved(const char *s, size_t n);

/* ---- Lexer (lexer.c) ------------------------------------------------------ */

/*
 * Tokenize into a malloc'd array (*toks, *ntoks, ending with SQL_TOK_EOF)
 * whose values live in arena. On failure *toks is NULL and err is filled.
 */
MK_RESULT sql_lex_into(sql_arena *arena, const char *text, size_t len, sql_token **toks,
                       size_t *ntoks, sql_error *err);

/*
 * True when the quoted token (string or quoted identifier) at index i of toks
 * (i may be the count of tokens so far) may stand where a password goes: a
 * PASSWORD, OLD_PASSWORD or SECRET keyword among the three tokens before it,
 * or BY right before it. Error texts show such a token as '******'.
 */
bool sql_tok_is_secret(const sql_token *toks, size_t i);

struct sql_token_list {
    sql_arena arena;
    sql_token *toks;
    size_t n;
};

/* ---- Batch (parse.c) ------------------------------------------------------ */

struct sql_batch {
    sql_arena arena;
    sql_stmt *stmts;
    size_t n;
};

/* ---- Parser state and shared helpers (parse_core.c) ----------------------- */

typedef struct sql_parser {
    const sql_token *toks;
    size_t ntoks;
    size_t pos;
    const char *text; /* the batch, for spans such as LISTENER_IP = (10.0.0.1) */
    sql_arena *arena;
    sql_error *err;
    int depth;
} sql_parser;

const sql_token *sql_p_peek(const sql_parser *p);
const sql_token *sql_p_peek_at(const sql_parser *p, size_t ahead);
const sql_token *sql_p_next(sql_parser *p);
bool sql_p_is(const sql_parser *p, sql_tok_kind kind);
bool sql_p_accept(sql_parser *p, sql_tok_kind kind);
/* The current token is the plain identifier kw (any case)? */
bool sql_p_is_kw(const sql_parser *p, const char *kw);
bool sql_p_is_kw_at(const sql_parser *p, size_t ahead, const char *kw);
bool sql_p_accept_kw(sql_parser *p, const char *kw);

/* Error 102 near the current token (the last real token at EOF). */
MK_RESULT sql_p_syntax_error(sql_parser *p);
/* Error 102 near token i. */
MK_RESULT sql_p_syntax_error_at(sql_parser *p, size_t i);
/* Record a non-syntax error (191, 1038, 8623, ...) at the current token's line. */
MK_RESULT sql_p_fail(sql_parser *p, int number, int cls, int state, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

MK_RESULT sql_p_expect(sql_parser *p, sql_tok_kind kind);
MK_RESULT sql_p_expect_kw(sql_parser *p, const char *kw);
/* Expect `kw =` (an option name followed by an equals sign). */
MK_RESULT sql_p_expect_kw_eq(sql_parser *p, const char *kw);

/* A name: a non-reserved plain identifier or a quoted one (not empty: 1038). */
MK_RESULT sql_p_name(sql_parser *p, const char **out);
/* A column alias: a name or a string ('' is error 1038, over 128 characters 103). */
MK_RESULT sql_p_alias(sql_parser *p, const char **out);
/* A one- to three-part name (a.b.c, a..c). */
MK_RESULT sql_p_objname(sql_parser *p, sql_objname *out);
/* A string literal ('x' or N'x'); its decoded text. */
MK_RESULT sql_p_string(sql_parser *p, const char **out);
/* A string literal that is a secret: a writable pointer for wiping. */
MK_RESULT sql_p_password(sql_parser *p, char **out);
/* `= 'secret'`. */
MK_RESULT sql_p_eq_password(sql_parser *p, char **out);
/* ON or OFF. */
MK_RESULT sql_p_on_off(sql_parser *p, bool *out);
/* [+|-] integer that fits int64. */
MK_RESULT sql_p_integer(sql_parser *p, int64_t *out);
/* A literal: NULL, 'x', N'x', 0x.., [+|-] number. */
MK_RESULT sql_p_literal(sql_parser *p, sql_literal *out);
/*
 * An option named once: if *seen is already set, error 102 near the option
 * token (the current one); else set it.
 */
MK_RESULT sql_p_once(sql_parser *p, bool *seen);
/* Arena allocation and list growth that record 701 / 8623 in p->err on failure. */
MK_RESULT sql_p_alloc(sql_parser *p, size_t n, void **out);
MK_RESULT sql_p_push(sql_parser *p, sql_vec *vec, const void *item);
/* The strings collected in vec as a fresh array. */
MK_RESULT sql_p_str_array(sql_parser *p, const sql_vec *vec, const char *const **out);
/* The structs (each elem_size bytes) that vec points to, copied into one array. */
MK_RESULT sql_p_struct_array(sql_parser *p, const sql_vec *vec, size_t elem_size, void **out);
/* Enter / leave a nesting level (error 191 beyond SQL_MAX_DEPTH). */
MK_RESULT sql_p_enter(sql_parser *p);
void sql_p_leave(sql_parser *p);
/* Skip a balanced ( ... ) group starting at the current '('. */
MK_RESULT sql_p_skip_group(sql_parser *p);

/* ---- Statement families (parse_*.c) -------------------------------------- */
/*
 * The dispatcher (parse.c) consumes a statement's leading keywords (e.g.
 * CREATE CERTIFICATE, OPEN MASTER KEY, GRANT), sets s->kind and s->line, then
 * calls the family function, which parses the rest.
 */
typedef MK_RESULT (*sql_stmt_parser)(sql_parser *p, sql_stmt *s);

MK_RESULT sql_parse_use(sql_parser *p, sql_stmt *s);
MK_RESULT sql_parse_tran(sql_parser *p, sql_stmt *s);
MK_RESULT sql_parse_if_trancount(sql_parser *p, sql_stmt *s);
MK_RESULT sql_parse_set(sql_parser *p, sql_stmt *s);
MK_RESULT sql_parse_drop(sql_parser *p, sql_stmt *s);
MK_RESULT sql_parse_create_database(sql_parser *p, sql_stmt *s);
MK_RESULT sql_parse_alter_database(sql_parser *p, sql_stmt *s);
MK_RESULT sql_parse_select(sql_parser *p, sql_stmt *s);
MK_RESULT sql_parse_expr(sql_parser *p, sql_expr *out);
MK_RESULT sql_parse_masterkey(sql_parser *p, sql_stmt *s);
MK_RESULT sql_parse_create_cert(sql_parser *p, sql_stmt *s);
MK_RESULT sql_parse_backup_cert(sql_parser *p, sql_stmt *s);
MK_RESULT sql_parse_endpoint(sql_parser *p, sql_stmt *s); /* CREATE and ALTER */
MK_RESULT sql_parse_create_login(sql_parser *p, sql_stmt *s);
MK_RESULT sql_parse_alter_login(sql_parser *p, sql_stmt *s);
MK_RESULT sql_parse_create_user(sql_parser *p, sql_stmt *s);
MK_RESULT sql_parse_perm(sql_parser *p, sql_stmt *s); /* GRANT, REVOKE, DENY */
MK_RESULT sql_parse_alter_auth(sql_parser *p, sql_stmt *s);

/* ---- Rendering (render*.c) ------------------------------------------------ */

MK_RESULT sql_r_str(mk_buf *out, const char *s);                   /* as is */
MK_RESULT sql_r_upper(mk_buf *out, const char *s);                 /* ASCII upper case */
MK_RESULT sql_r_name(mk_buf *out, const char *name);               /* [name] */
MK_RESULT sql_r_string(mk_buf *out, const char *s, bool national); /* 'text' / N'text' */
MK_RESULT sql_r_secret(mk_buf *out);                               /* '******' */
MK_RESULT sql_r_binary(mk_buf *out, const uint8_t *b, size_t n, unsigned flags);
MK_RESULT sql_r_objname(mk_buf *out, const sql_objname *name);
MK_RESULT sql_r_on_off(mk_buf *out, bool on);

/* Per-family renderers; each handles the kinds its parser produces. */
MK_RESULT sql_render_masterkey(const sql_stmt *s, mk_buf *out);
MK_RESULT sql_render_cert(const sql_stmt *s, unsigned flags, mk_buf *out);
MK_RESULT sql_render_endpoint(const sql_stmt *s, mk_buf *out);
MK_RESULT sql_render_login(const sql_stmt *s, mk_buf *out);
MK_RESULT sql_render_user(const sql_stmt *s, mk_buf *out);
MK_RESULT sql_render_perm(const sql_stmt *s, mk_buf *out);
MK_RESULT sql_render_alter_auth(const sql_stmt *s, mk_buf *out);

#endif
