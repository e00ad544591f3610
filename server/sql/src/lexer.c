/*
 * T-SQL lexer (see sql/lexer.h for the token kinds and caps).
 *
 * The batch is read through one bounded mk_cursor: lx_peek(k) looks k bytes
 * ahead and answers -1 past the end, lx_advance(n) moves on and counts lines.
 * Decoded values (identifiers without brackets, strings without doubled
 * quotes, binary bytes) are copied into the caller's arena, which is wiped
 * when freed because string literals may be passwords.
 */
#include "sql/lexer.h"

#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "mk/cursor.h"

typedef struct lexer {
    mk_cursor cur;
    int line;
    bool bol; /* only blanks since the start of the line: GO may follow */
    sql_arena *arena;
    sql_error *err;
    sql_token *toks;
    size_t n;
    size_t cap;
} lexer;

static int lx_peek(const lexer *lx, size_t k)
{
    if (k >= mk_cursor_remaining(&lx->cur)) {
        return -1;
    }
    return mk_cursor_ptr(&lx->cur)[k];
}

static size_t lx_pos(const lexer *lx) { return mk_cursor_pos(&lx->cur); }

/* Move n bytes on (n never exceeds what lx_peek has seen), counting newlines. */
static void lx_advance(lexer *lx, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        if (lx_peek(lx, 0) == '\n') {
            lx->line++;
            lx->bol = true;
        }
        if (mk_failed(mk_cursor_skip(&lx->cur, 1))) {
            return; /* unreachable: callers only advance over peeked bytes */
        }
    }
}

static bool is_digit(int c) { return c >= '0' && c <= '9'; }

static bool is_hex(int c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int hex_val(int c)
{
    if (is_digit(c)) {
        return c - '0';
    }
    return (c | 0x20) - 'a' + 10;
}

/* Bytes of a Unicode blank at offset k (U+00A0, U+FEFF), else 0. */
static size_t unicode_blank(const lexer *lx, size_t k)
{
    int c = lx_peek(lx, k);
    if (c == 0xC2 && lx_peek(lx, k + 1) == 0xA0) {
        return 2;
    }
    if (c == 0xEF && lx_peek(lx, k + 1) == 0xBB && lx_peek(lx, k + 2) == 0xBF) {
        return 3;
    }
    return 0;
}

static bool is_word_start(const lexer *lx, size_t k)
{
    int c = lx_peek(lx, k);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '#' || c == '@') {
        return true;
    }
    return c >= 0x80 && unicode_blank(lx, k) == 0;
}

static bool is_word_char(const lexer *lx, size_t k)
{
    int c = lx_peek(lx, k);
    return is_word_start(lx, k) || is_digit(c) || c == '$';
}

static MK_RESULT lx_alloc_fail(lexer *lx)
{
    sql_error_from_mk(lx->err, lx->line);
    return MK_ERR;
}

/* Append a token; value is copied into the arena (binary values may hold NULs). */
static MK_RESULT lx_push(lexer *lx, sql_tok_kind kind, size_t pos, int line, const char *value,
                         size_t value_len, char quote)
{
    if (lx->n == lx->cap) {
        if (lx->cap > SQL_MAX_TOKENS) {
            (void)MK_RAISE(MK_E_TOOBIG, "batch has more than %zu tokens", SQL_MAX_TOKENS);
            return lx_alloc_fail(lx);
        }
        size_t cap = lx->cap != 0 ? lx->cap * 2 : 64;
        if (cap > SQL_MAX_TOKENS + 1) {
            cap = SQL_MAX_TOKENS + 1;
        }
        sql_token *t = realloc(lx->toks, cap * sizeof(*t));
        if (t == NULL) {
            (void)MK_RAISE(MK_E_NOMEM, NULL);
            return lx_alloc_fail(lx);
        }
        lx->toks = t;
        lx->cap = cap;
    }
    char *copy = NULL;
    if (mk_failed(sql_arena_strndup(lx->arena, value != NULL ? value : "", value_len, &copy))) {
        return lx_alloc_fail(lx);
    }
    sql_token *t = &lx->toks[lx->n++];
    t->kind = kind;
    t->line = line;
    t->pos = pos;
    t->len = lx_pos(lx) - pos;
    t->quote = quote;
    t->value = copy;
    t->value_len = value_len;
    lx->bol = false;
    return MK_OK;
}

/* Push a token whose value is its own text: start (at offset pos) up to the cursor. */
static MK_RESULT lx_push_text(lexer *lx, sql_tok_kind kind, const char *start, size_t pos, int line)
{
    return lx_push(lx, kind, pos, line, start, lx_pos(lx) - pos, 0);
}

static const char *lx_ptr(const lexer *lx) { return (const char *)mk_cursor_ptr(&lx->cur); }

/* `--` up to (not including) the end of the line; nested slash-star comments. */
static MK_RESULT skip_blanks(lexer *lx)
{
    for (;;) {
        int c = lx_peek(lx, 0);
        size_t ub = unicode_blank(lx, 0);
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') {
            lx_advance(lx, 1);
        } else if (ub > 0) {
            lx_advance(lx, ub);
        } else if (c == '-' && lx_peek(lx, 1) == '-') {
            while (lx_peek(lx, 0) != -1 && lx_peek(lx, 0) != '\n') {
                lx_advance(lx, 1);
            }
        } else if (c == '/' && lx_peek(lx, 1) == '*') {
            int start_line = lx->line;
            size_t depth = 0;
            do {
                if (lx_peek(lx, 0) == -1) {
                    sql_error_set(lx->err, SQL_ERR_MISSING_END_COMMENT, 15, 1, start_line,
                                  "Missing end comment mark '*/'.");
                    return MK_RAISE(MK_E_INVALID, "unclosed comment");
                }
                if (lx_peek(lx, 0) == '/' && lx_peek(lx, 1) == '*') {
                    depth++;
                    lx_advance(lx, 2);
                } else if (lx_peek(lx, 0) == '*' && lx_peek(lx, 1) == '/') {
                    depth--;
                    lx_advance(lx, 2);
                } else {
                    lx_advance(lx, 1);
                }
            } while (depth > 0);
            lx->bol = false;
        } else {
            return MK_OK;
        }
    }
}

/*
 * Scan a quoted run that starts after its opening quote and ends at `close`;
 * a doubled close stands for one. Sets *raw_len (bytes up to the closing
 * quote) and *val_len (decoded length), without moving the cursor; false when
 * the batch ends first.
 */
static bool scan_quoted(const lexer *lx, size_t from, int close, size_t *raw_len, size_t *val_len)
{
    size_t k = from;
    size_t v = 0;
    for (;;) {
        int c = lx_peek(lx, k);
        if (c == -1) {
            *raw_len = k - from;
            *val_len = v;
            return false;
        }
        if (c == close) {
            if (lx_peek(lx, k + 1) != close) {
                *raw_len = k - from;
                *val_len = v;
                return true;
            }
            k++;
        }
        k++;
        v++;
    }
}

/* Copy the decoded quoted run of scan_quoted into the arena. */
static MK_RESULT decode_quoted(lexer *lx, size_t from, int close, size_t raw_len, size_t val_len,
                               char **out)
{
    void *mem = NULL;
    GUARD(sql_arena_alloc(lx->arena, val_len + 1, &mem));
    char *d = mem;
    size_t v = 0;
    for (size_t k = from; k < from + raw_len; k++) {
        int c = lx_peek(lx, k);
        d[v++] = (char)c;
        if (c == close) {
            k++; /* the second of a doubled quote */
        }
    }
    *out = d;
    return MK_OK;
}

/* Error 105 for a string or quoted identifier that never closes. */
static MK_RESULT unclosed(lexer *lx, int line, const char *content, size_t len, bool secret)
{
    if (secret) {
        content = "******";
        len = 6;
    }
    size_t keep = sql_utf8_clip(content, len, 400);
    sql_error_set(lx->err, SQL_ERR_UNCLOSED_QUOTE, 15, 1, line,
                  "Unclosed quotation mark after the character string '%.*s'.", (int)keep, content);
    return MK_RAISE(MK_E_INVALID, "unclosed quotation mark");
}

/* Error 103 when an identifier exceeds SQL_MAX_IDENT_CHARS characters. */
static MK_RESULT check_ident_len(lexer *lx, int line, const char *v, size_t len)
{
    if (sql_error_ident_too_long(lx->err, line, v, len)) {
        return MK_RAISE(MK_E_INVALID, "identifier too long");
    }
    return MK_OK;
}

/* 'text', N'text' (prefix 1), [name] and "name". */
static MK_RESULT lex_quoted(lexer *lx, sql_tok_kind kind, size_t prefix, int close, char quote)
{
    size_t pos = lx_pos(lx);
    int line = lx->line;
    size_t from = prefix + 1;
    size_t raw_len = 0;
    size_t val_len = 0;
    bool closed = scan_quoted(lx, from, close, &raw_len, &val_len);
    char *value = NULL;
    if (mk_failed(decode_quoted(lx, from, close, raw_len, val_len, &value))) {
        return lx_alloc_fail(lx);
    }
    if (!closed) {
        return unclosed(lx, line, value, val_len, sql_tok_is_secret(lx->toks, lx->n));
    }
    if (kind == SQL_TOK_QIDENT) {
        GUARD(check_ident_len(lx, line, value, val_len));
    }
    lx_advance(lx, from + raw_len + 1);
    return lx_push(lx, kind, pos, line, value, val_len, quote);
}

/* 0x0123ab: odd digit counts are left-padded with a zero nibble; 0x alone is empty. */
static MK_RESULT lex_binary(lexer *lx)
{
    size_t pos = lx_pos(lx);
    int line = lx->line;
    size_t digits = 0;
    while (is_hex(lx_peek(lx, 2 + digits))) {
        digits++;
    }
    size_t nbytes = (digits + 1) / 2;
    void *mem = NULL;
    if (mk_failed(sql_arena_alloc(lx->arena, nbytes + 1, &mem))) {
        return lx_alloc_fail(lx);
    }
    unsigned char *b = mem;
    size_t nib = digits % 2; /* first digit is a low nibble when odd */
    for (size_t k = 0; k < digits; k++, nib++) {
        int v = hex_val(lx_peek(lx, 2 + k));
        b[nib / 2] = (unsigned char)(b[nib / 2] | (nib % 2 == 0 ? v << 4 : v));
    }
    lx_advance(lx, 2 + digits);
    return lx_push(lx, SQL_TOK_BINARY, pos, line, (const char *)b, nbytes, 0);
}

/* 12, 12.5, 12., .5, 1e5, 1.5E-3. */
static MK_RESULT lex_number(lexer *lx)
{
    const char *start = lx_ptr(lx);
    size_t pos = lx_pos(lx);
    int line = lx->line;
    size_t k = 0;
    bool decimal = false;
    while (is_digit(lx_peek(lx, k))) {
        k++;
    }
    if (lx_peek(lx, k) == '.') {
        decimal = true;
        k++;
        while (is_digit(lx_peek(lx, k))) {
            k++;
        }
    }
    int e = lx_peek(lx, k);
    if (e == 'e' || e == 'E') {
        size_t s = k + 1;
        if (lx_peek(lx, s) == '+' || lx_peek(lx, s) == '-') {
            s++;
        }
        if (is_digit(lx_peek(lx, s))) {
            decimal = true;
            k = s;
            while (is_digit(lx_peek(lx, k))) {
                k++;
            }
        }
    }
    lx_advance(lx, k);
    return lx_push_text(lx, decimal ? SQL_TOK_DECIMAL : SQL_TOK_INTEGER, start, pos, line);
}

/*
 * At a word "GO" that begins a line: does the rest of the line hold only an
 * optional count and an optional `--` comment? Sets *count_len.
 */
static bool go_line(const lexer *lx, size_t *count_len)
{
    size_t k = 2;
    while (lx_peek(lx, k) == ' ' || lx_peek(lx, k) == '\t') {
        k++;
    }
    size_t digits_at = k;
    while (is_digit(lx_peek(lx, k))) {
        k++;
    }
    *count_len = k - digits_at;
    if (*count_len > 0 && is_word_char(lx, k)) {
        return false;
    }
    while (lx_peek(lx, k) == ' ' || lx_peek(lx, k) == '\t' || lx_peek(lx, k) == '\r') {
        k++;
    }
    int c = lx_peek(lx, k);
    return c == -1 || c == '\n' || (c == '-' && lx_peek(lx, k + 1) == '-');
}

static MK_RESULT lex_go(lexer *lx, size_t count_len)
{
    size_t pos = lx_pos(lx);
    int line = lx->line;
    lx_advance(lx, 2);
    while (lx_peek(lx, 0) == ' ' || lx_peek(lx, 0) == '\t') {
        lx_advance(lx, 1);
    }
    const char *count = lx_ptr(lx);
    lx_advance(lx, count_len);
    return lx_push(lx, SQL_TOK_GO, pos, line, count, count_len, 0);
}

/* Identifiers, keywords, @variables, @@system_variables and GO lines. */
static MK_RESULT lex_word(lexer *lx)
{
    size_t pos = lx_pos(lx);
    int line = lx->line;
    size_t k = 0;
    while (is_word_char(lx, k)) {
        k++;
    }
    const char *w = lx_ptr(lx);
    size_t count_len = 0;
    if (k == 2 && lx->bol && sql_ieq(w, 2, "GO") && go_line(lx, &count_len)) {
        return lex_go(lx, count_len);
    }
    GUARD(check_ident_len(lx, line, w, k));
    sql_tok_kind kind = SQL_TOK_IDENT;
    if (w[0] == '@') {
        kind = (k > 1 && w[1] == '@') ? SQL_TOK_SYSVAR : SQL_TOK_VARIABLE;
    }
    lx_advance(lx, k);
    return lx_push_text(lx, kind, w, pos, line);
}

/* Operators and punctuation; anything unknown becomes a one-byte OTHER token. */
static MK_RESULT lex_operator(lexer *lx)
{
    const char *start = lx_ptr(lx);
    size_t pos = lx_pos(lx);
    int line = lx->line;
    int c = lx_peek(lx, 0);
    int d = lx_peek(lx, 1);
    sql_tok_kind kind = SQL_TOK_OTHER;
    size_t n = 1;
    switch (c) {
    case '=': kind = SQL_TOK_EQ; break;
    case ',': kind = SQL_TOK_COMMA; break;
    case '(': kind = SQL_TOK_LPAREN; break;
    case ')': kind = SQL_TOK_RPAREN; break;
    case ';': kind = SQL_TOK_SEMI; break;
    case '.': kind = SQL_TOK_DOT; break;
    case '*': kind = SQL_TOK_STAR; break;
    case '+': kind = SQL_TOK_PLUS; break;
    case '-': kind = SQL_TOK_MINUS; break;
    case '<':
        kind = d == '>' ? SQL_TOK_NE : d == '=' ? SQL_TOK_LE : SQL_TOK_LT;
        n = (d == '>' || d == '=') ? 2 : 1;
        break;
    case '>':
        kind = d == '=' ? SQL_TOK_GE : SQL_TOK_GT;
        n = d == '=' ? 2 : 1;
        break;
    case '!':
        if (d == '=') {
            kind = SQL_TOK_NE;
            n = 2;
        }
        break;
    case ':':
        if (d == ':') {
            kind = SQL_TOK_SCOPE;
            n = 2;
        }
        break;
    default: break;
    }
    lx_advance(lx, n);
    return lx_push_text(lx, kind, start, pos, line);
}

static MK_RESULT lex_one(lexer *lx)
{
    int c = lx_peek(lx, 0);
    int d = lx_peek(lx, 1);
    if (c == '\'') {
        return lex_quoted(lx, SQL_TOK_STRING, 0, '\'', 0);
    }
    if ((c == 'N' || c == 'n') && d == '\'') {
        return lex_quoted(lx, SQL_TOK_NSTRING, 1, '\'', 0);
    }
    if (c == '[') {
        return lex_quoted(lx, SQL_TOK_QIDENT, 0, ']', '[');
    }
    if (c == '"') {
        return lex_quoted(lx, SQL_TOK_QIDENT, 0, '"', '"');
    }
    if (c == '0' && (d == 'x' || d == 'X')) {
        return lex_binary(lx);
    }
    if (is_digit(c) || (c == '.' && is_digit(d))) {
        return lex_number(lx);
    }
    if (is_word_start(lx, 0)) {
        return lex_word(lx);
    }
    return lex_operator(lx);
}

/* Reject invalid UTF-8 (and NUL) with error 102 at the offending line. */
static MK_RESULT check_utf8(const char *text, size_t len, sql_error *err)
{
    size_t ok = sql_utf8_valid_prefix(text, len);
    if (ok == len) {
        return MK_OK;
    }
    int line = 1;
    for (size_t i = 0; i < ok; i++) {
        line += text[i] == '\n';
    }
    sql_error_syntax(err, line, "\xEF\xBF\xBD", 3);
    return MK_RAISE(MK_E_INVALID, "batch is not valid UTF-8");
}

MK_RESULT sql_lex_into(sql_arena *arena, const char *text, size_t len, sql_token **toks,
                       size_t *ntoks, sql_error *err)
{
    mk_result res = MK_ERR;
    lexer lx = {.line = 1, .bol = true, .arena = arena, .err = err};
    *toks = NULL;
    *ntoks = 0;
    if (len > SQL_MAX_BATCH_BYTES) {
        (void)MK_RAISE(MK_E_TOOBIG, "batch of %zu bytes over the %zu-byte cap", len,
                       SQL_MAX_BATCH_BYTES);
        sql_error_from_mk(err, 1);
        goto out;
    }
    GUARD_OUT(check_utf8(text, len, err));
    mk_cursor_init(&lx.cur, text, len);
    for (;;) {
        GUARD_OUT(skip_blanks(&lx));
        if (lx_peek(&lx, 0) == -1) {
            break;
        }
        GUARD_OUT(lex_one(&lx));
    }
    GUARD_OUT(lx_push(&lx, SQL_TOK_EOF, lx_pos(&lx), lx.line, "", 0, 0));
    *toks = lx.toks;
    *ntoks = lx.n;
    lx.toks = NULL;
    res = MK_OK;
out:
    free(lx.toks);
    return res;
}

bool sql_tok_is_secret(const sql_token *toks, size_t i)
{
    static const char *const keys[] = {"PASSWORD", "OLD_PASSWORD", "SECRET"};
    /* Conservative: a password keyword among the three tokens before, or `BY 'x'`. */
    for (size_t back = 1; back <= 3 && back <= i; back++) {
        const sql_token *k = &toks[i - back];
        if (k->kind != SQL_TOK_IDENT) {
            continue;
        }
        if (back == 1 && sql_ieq(k->value, k->value_len, "BY")) {
            return true;
        }
        for (size_t j = 0; j < sizeof(keys) / sizeof(keys[0]); j++) {
            if (sql_ieq(k->value, k->value_len, keys[j])) {
                return true;
            }
        }
    }
    return false;
}
