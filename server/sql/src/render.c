/*
 * Rendering statements back to canonical T-SQL (see sql/render.h): the
 * shared writers (names, strings, binaries, secrets), the dispatcher, and the
 * small statements (USE, SELECT, SET, DROP, databases). The other families
 * live in render_ddl.c and render_principal.c.
 *
 * The grammar of every rendering is the parser's own, which the fuzz target
 * checks: parse(render(s)) renders the same text again.
 */
#include "sql/render.h"

#include <inttypes.h>
#include <string.h>

#include "internal.h"

MK_RESULT sql_r_str(mk_buf *out, const char *s) { return mk_buf_append_str(out, s); }

MK_RESULT sql_r_upper(mk_buf *out, const char *s)
{
    for (; *s != '\0'; s++) {
        char c = *s;
        GUARD(mk_buf_put_u8(out, (uint8_t)((c >= 'a' && c <= 'z') ? c - 'a' + 'A' : c)));
    }
    return MK_OK;
}

/* s with every `quote` doubled. */
static MK_RESULT put_doubled(mk_buf *out, const char *s, char quote)
{
    const char *q;
    while ((q = strchr(s, quote)) != NULL) {
        GUARD(mk_buf_append(out, s, (size_t)(q - s) + 1));
        GUARD(mk_buf_put_u8(out, (uint8_t)quote));
        s = q + 1;
    }
    return mk_buf_append_str(out, s);
}

MK_RESULT sql_r_name(mk_buf *out, const char *name)
{
    GUARD(mk_buf_put_u8(out, '['));
    GUARD(put_doubled(out, name, ']'));
    return mk_buf_put_u8(out, ']');
}

MK_RESULT sql_r_string(mk_buf *out, const char *s, bool national)
{
    GUARD(mk_buf_append_str(out, national ? "N'" : "'"));
    GUARD(put_doubled(out, s, '\''));
    return mk_buf_put_u8(out, '\'');
}

MK_RESULT sql_r_secret(mk_buf *out) { return mk_buf_append_str(out, "'******'"); }

MK_RESULT sql_r_binary(mk_buf *out, const uint8_t *b, size_t n, unsigned flags)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t shown = n;
    if ((flags & SQL_RENDER_FULL) == 0 && n > SQL_RENDER_BINARY_ABBREV) {
        shown = SQL_RENDER_BINARY_ABBREV;
    }
    GUARD(mk_buf_append_str(out, "0x"));
    for (size_t i = 0; i < shown; i++) {
        GUARD(mk_buf_put_u8(out, (uint8_t)hex[b[i] >> 4]));
        GUARD(mk_buf_put_u8(out, (uint8_t)hex[b[i] & 0xF]));
    }
    if (shown < n) {
        GUARD(mk_buf_printf(out, "... (%zu bytes)", n));
    }
    return MK_OK;
}

MK_RESULT sql_r_objname(mk_buf *out, const sql_objname *name)
{
    if (name->nparts == 3) {
        GUARD(sql_r_name(out, name->db));
        GUARD(mk_buf_put_u8(out, '.'));
    }
    if (name->nparts >= 2) {
        if (name->schema != NULL) {
            GUARD(sql_r_name(out, name->schema));
        }
        GUARD(mk_buf_put_u8(out, '.'));
    }
    return sql_r_name(out, name->name);
}

MK_RESULT sql_r_on_off(mk_buf *out, bool on) { return mk_buf_append_str(out, on ? "ON" : "OFF"); }

static MK_RESULT put_literal(mk_buf *out, const sql_literal *lit, unsigned flags)
{
    switch (lit->kind) {
    case SQL_LIT_NULL: return mk_buf_append_str(out, "NULL");
    case SQL_LIT_STRING: return sql_r_string(out, lit->text, false);
    case SQL_LIT_NSTRING: return sql_r_string(out, lit->text, true);
    case SQL_LIT_INTEGER: return mk_buf_printf(out, "%" PRId64, lit->integer);
    case SQL_LIT_DECIMAL: return mk_buf_append_str(out, lit->text);
    case SQL_LIT_BINARY: return sql_r_binary(out, lit->bytes, lit->bytes_len, flags);
    }
    BAIL_MSG(MK_E_INTERNAL, "unknown literal kind %d", (int)lit->kind);
}

static MK_RESULT put_expr(mk_buf *out, const sql_expr *e, unsigned flags)
{
    switch (e->kind) {
    case SQL_EXPR_LITERAL: return put_literal(out, &e->lit, flags);
    case SQL_EXPR_SYSVAR: return mk_buf_append_str(out, e->name);
    case SQL_EXPR_COLUMN: return sql_r_name(out, e->name);
    case SQL_EXPR_STAR: return mk_buf_put_u8(out, '*');
    case SQL_EXPR_FUNC:
        GUARD(mk_buf_append_str(out, e->name));
        GUARD(mk_buf_put_u8(out, '('));
        for (size_t i = 0; i < e->nargs; i++) {
            GUARD(mk_buf_append_str(out, i > 0 ? ", " : ""));
            GUARD(put_expr(out, &e->args[i], flags));
        }
        return mk_buf_put_u8(out, ')');
    }
    BAIL_MSG(MK_E_INTERNAL, "unknown expression kind %d", (int)e->kind);
}

static MK_RESULT put_cond(mk_buf *out, const sql_cond *c, unsigned flags)
{
    GUARD(sql_r_name(out, c->column));
    switch (c->op) {
    case SQL_CMP_IS_NULL: return mk_buf_append_str(out, " IS NULL");
    case SQL_CMP_IS_NOT_NULL: return mk_buf_append_str(out, " IS NOT NULL");
    case SQL_CMP_EQ: GUARD(mk_buf_append_str(out, " = ")); break;
    case SQL_CMP_NE: GUARD(mk_buf_append_str(out, " <> ")); break;
    }
    return put_expr(out, &c->value, flags);
}

static MK_RESULT render_select(const sql_select_stmt *sel, unsigned flags, mk_buf *out)
{
    GUARD(mk_buf_append_str(out, "SELECT"));
    if (sel->has_top) {
        GUARD(mk_buf_printf(out, " TOP (%" PRId64 ")", sel->top));
    }
    for (size_t i = 0; i < sel->nitems; i++) {
        const sql_select_item *it = &sel->items[i];
        GUARD(mk_buf_append_str(out, i > 0 ? ", " : " "));
        if (it->star) {
            GUARD(mk_buf_put_u8(out, '*'));
            continue;
        }
        GUARD(put_expr(out, &it->expr, flags));
        if (it->alias != NULL) {
            GUARD(mk_buf_append_str(out, " AS "));
            GUARD(sql_r_name(out, it->alias));
        }
    }
    if (!sel->has_from) {
        return MK_OK;
    }
    GUARD(mk_buf_append_str(out, " FROM "));
    GUARD(sql_r_objname(out, &sel->from));
    for (size_t i = 0; i < sel->nwhere; i++) {
        GUARD(mk_buf_append_str(out, i > 0 ? " AND " : " WHERE "));
        GUARD(put_cond(out, &sel->where[i], flags));
    }
    return MK_OK;
}

static MK_RESULT render_set(const sql_set_stmt *set, unsigned flags, mk_buf *out)
{
    GUARD(mk_buf_append_str(out, "SET "));
    for (size_t i = 0; i < set->noptions; i++) {
        GUARD(mk_buf_append_str(out, i > 0 ? ", " : ""));
        GUARD(sql_r_upper(out, set->options[i]));
    }
    GUARD(mk_buf_put_u8(out, ' '));
    switch (set->kind) {
    case SQL_SET_ON: return mk_buf_append_str(out, "ON");
    case SQL_SET_OFF: return mk_buf_append_str(out, "OFF");
    case SQL_SET_LITERAL: return put_literal(out, &set->lit, flags);
    case SQL_SET_WORD: break;
    }
    /* Isolation levels are keywords; any other word is a name. */
    if (set->noptions == 1 && strcmp(set->options[0], "TRANSACTION ISOLATION LEVEL") == 0) {
        return mk_buf_append_str(out, set->word);
    }
    return sql_r_name(out, set->word);
}

static MK_RESULT render_alter_db(const sql_alter_db_stmt *a, mk_buf *out)
{
    static const char *const actions[] = {
        [SQL_DBM_OFF] = " OFF",         [SQL_DBM_FAILOVER] = " FAILOVER",
        [SQL_DBM_RESUME] = " RESUME",   [SQL_DBM_FORCE_SERVICE] = " FORCE_SERVICE_ALLOW_DATA_LOSS",
        [SQL_DBM_SUSPEND] = " SUSPEND",
    };
    GUARD(mk_buf_append_str(out, "ALTER DATABASE "));
    GUARD(sql_r_name(out, a->name));
    GUARD(mk_buf_append_str(out, a->target == SQL_DBM_WITNESS ? " SET WITNESS" : " SET PARTNER"));
    switch (a->action) {
    case SQL_DBM_ADDRESS:
        GUARD(mk_buf_append_str(out, " = "));
        return sql_r_string(out, a->address, false);
    case SQL_DBM_SAFETY:
        return mk_buf_append_str(out, a->safety_full ? " SAFETY FULL" : " SAFETY OFF");
    case SQL_DBM_TIMEOUT: return mk_buf_printf(out, " TIMEOUT %" PRId64, a->timeout);
    default: return mk_buf_append_str(out, actions[a->action]);
    }
}

/* USE, CREATE DATABASE and the DROP family: keyword words, then one name. */
static MK_RESULT render_named(const sql_stmt *s, mk_buf *out)
{
    GUARD(mk_buf_append_str(out, sql_stmt_kind_name(s->kind)));
    if (s->u.name.if_exists) {
        GUARD(mk_buf_append_str(out, " IF EXISTS"));
    }
    GUARD(mk_buf_put_u8(out, ' '));
    return sql_r_name(out, s->u.name.name);
}

static MK_RESULT render_tran(const sql_stmt *s, mk_buf *out)
{
    if (s->u.tran.if_trancount) {
        GUARD(mk_buf_append_str(out, "IF @@TRANCOUNT > 0 "));
    }
    GUARD(mk_buf_append_str(out, sql_stmt_kind_name(s->kind)));
    if (s->u.tran.name != NULL) {
        GUARD(mk_buf_put_u8(out, ' '));
        GUARD(sql_r_name(out, s->u.tran.name));
    }
    return MK_OK;
}

MK_RESULT sql_stmt_render(const sql_stmt *s, unsigned flags, mk_buf *out)
{
    switch (s->kind) {
    case SQL_STMT_BEGIN_TRAN:
    case SQL_STMT_COMMIT_TRAN:
    case SQL_STMT_ROLLBACK_TRAN: return render_tran(s, out);
    case SQL_STMT_SELECT: return render_select(&s->u.select, flags, out);
    case SQL_STMT_SET: return render_set(&s->u.set, flags, out);
    case SQL_STMT_ALTER_DATABASE: return render_alter_db(&s->u.alter_db, out);
    case SQL_STMT_USE:
    case SQL_STMT_CREATE_DATABASE:
    case SQL_STMT_DROP_DATABASE:
    case SQL_STMT_DROP_CERTIFICATE:
    case SQL_STMT_DROP_ENDPOINT:
    case SQL_STMT_DROP_LOGIN:
    case SQL_STMT_DROP_USER: return render_named(s, out);
    case SQL_STMT_CREATE_MASTER_KEY:
    case SQL_STMT_OPEN_MASTER_KEY:
    case SQL_STMT_CLOSE_MASTER_KEY:
    case SQL_STMT_ALTER_MASTER_KEY: return sql_render_masterkey(s, out);
    case SQL_STMT_CREATE_CERTIFICATE:
    case SQL_STMT_BACKUP_CERTIFICATE: return sql_render_cert(s, flags, out);
    case SQL_STMT_CREATE_ENDPOINT:
    case SQL_STMT_ALTER_ENDPOINT: return sql_render_endpoint(s, out);
    case SQL_STMT_ALTER_AUTHORIZATION: return sql_render_alter_auth(s, out);
    case SQL_STMT_CREATE_LOGIN:
    case SQL_STMT_ALTER_LOGIN: return sql_render_login(s, out);
    case SQL_STMT_CREATE_USER: return sql_render_user(s, out);
    case SQL_STMT_GRANT:
    case SQL_STMT_REVOKE:
    case SQL_STMT_DENY: return sql_render_perm(s, out);
    case SQL_STMT_KIND_COUNT: break;
    }
    BAIL_MSG(MK_E_INTERNAL, "unknown statement kind %d", (int)s->kind);
}

MK_RESULT sql_stmt_redacted(const sql_stmt *stmt, mk_buf *out)
{
    return sql_stmt_render(stmt, 0, out);
}
