/*
 * T-SQL lexer: splits a batch (UTF-8, already converted from UTF-16 by the
 * TDS layer) into tokens with line numbers.
 *
 * Keywords are not a token kind: they are plain identifiers that the parser
 * compares without regard to case, so [SELECT] (bracketed) is never a
 * keyword. Comments (`--` to end of line, nested slash-star) and whitespace
 * are dropped. A line holding only GO (any case, optional repeat count,
 * optional `--` comment) becomes a SQL_TOK_GO separator: GO is a client-side
 * batch separator, tolerated here so that scripts pasted whole still run; the
 * parser treats it like `;` and ignores the count.
 *
 * Hard caps bound the work any input can cause: SQL_MAX_BATCH_BYTES of text
 * and SQL_MAX_TOKENS tokens (error 8623 beyond them), identifiers of at most
 * SQL_MAX_IDENT_CHARS characters (error 103). Invalid UTF-8 is error 102.
 */
#ifndef SQL_LEXER_H
#define SQL_LEXER_H

#include <stdbool.h>
#include <stddef.h>

#include "mk/result.h"
#include "sql/error.h"

#define SQL_MAX_BATCH_BYTES ((size_t)1024 * 1024)
#define SQL_MAX_TOKENS ((size_t)65536)
#define SQL_MAX_IDENT_CHARS 128

typedef enum sql_tok_kind {
    SQL_TOK_EOF = 0,  /* always the last token of a list */
    SQL_TOK_IDENT,    /* plain identifier or keyword: letters, digits, _ @ # $ */
    SQL_TOK_QIDENT,   /* [bracketed] or "double-quoted" identifier */
    SQL_TOK_STRING,   /* 'text' */
    SQL_TOK_NSTRING,  /* N'text' */
    SQL_TOK_BINARY,   /* 0x0123... */
    SQL_TOK_INTEGER,  /* 123 (unsigned; the parser applies a sign) */
    SQL_TOK_DECIMAL,  /* 1.5, .5, 1e3 */
    SQL_TOK_SYSVAR,   /* @@VERSION */
    SQL_TOK_VARIABLE, /* @name */
    SQL_TOK_EQ,       /* = */
    SQL_TOK_NE,       /* <> or != */
    SQL_TOK_LT,       /* < */
    SQL_TOK_GT,       /* > */
    SQL_TOK_LE,       /* <= */
    SQL_TOK_GE,       /* >= */
    SQL_TOK_COMMA,    /* , */
    SQL_TOK_LPAREN,   /* ( */
    SQL_TOK_RPAREN,   /* ) */
    SQL_TOK_SEMI,     /* ; */
    SQL_TOK_DOT,      /* . */
    SQL_TOK_SCOPE,    /* :: */
    SQL_TOK_STAR,     /* * */
    SQL_TOK_PLUS,     /* + */
    SQL_TOK_MINUS,    /* - */
    SQL_TOK_GO,       /* a line holding only GO [count] */
    SQL_TOK_OTHER,    /* any other single character; never valid in the grammar */
} sql_tok_kind;

typedef struct sql_token {
    sql_tok_kind kind;
    int line;   /* 1-based line of the token's first character */
    size_t pos; /* byte offset of the token in the batch */
    size_t len; /* byte length of the token as written */
    char quote; /* SQL_TOK_QIDENT: '[' or '"'; otherwise 0 */
    /*
     * Decoded value, owned by the list (or the parsed batch) and always
     * NUL-terminated: identifier text without brackets or doubled quotes,
     * string contents with '' undoubled, the bytes of a binary literal, the
     * digits of a number, the full text of a variable. For SQL_TOK_GO, the
     * repeat count digits (empty when none). value_len excludes the NUL.
     */
    const char *value;
    size_t value_len;
} sql_token;

typedef struct sql_token_list sql_token_list;

/*
 * Tokenize text[0..len). On success *out owns the tokens (free with
 * sql_token_list_free) and the list ends with one SQL_TOK_EOF token. On
 * failure returns MK_ERR, *out is NULL and err holds the SQL Server error
 * (105 unclosed quote or bracket, 113 unclosed comment, 103 identifier too
 * long, 102 invalid UTF-8, 8623 over a cap, 701 out of memory). text is
 * borrowed and only read during the call.
 */
MK_RESULT sql_lex(const char *text, size_t len, sql_token_list **out, sql_error *err);

size_t sql_token_list_count(const sql_token_list *l);
/* Token i (i < count); borrowed from the list. */
const sql_token *sql_token_list_at(const sql_token_list *l, size_t i);
/* Wipe every decoded value (string literals may be passwords) and release. NULL ok. */
void sql_token_list_free(sql_token_list *l);

/* Short constant name of a kind, for diagnostics ("IDENT", "STRING", ...). */
const char *sql_tok_kind_name(sql_tok_kind kind);

#endif
