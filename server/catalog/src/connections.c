/*
 * The live source behind sys.dm_db_mirroring_connections: the endpoint
 * layer registers a callback per cat_db, which adds cat_mirror_conn records
 * to a sink; the sink turns them into rows of the view's full column set.
 */
#include "catalog/connections.h"

#include <string.h>

#include "internal.h"

#define CONN_COLS 19
#define CONN_TEXT_MAX 512 /* bytes: nvarchar(128) in UTF-8 */

struct cat_conn_sink {
    mk_rowset *rs;
};

static mk_value text_or_null(const char *s)
{
    return s != NULL ? mk_value_text(s) : mk_value_null();
}

static mk_value time_or_null(int64_t t)
{
    return t != CAT_NO_TIME ? mk_value_int(t) : mk_value_null();
}

static mk_value desc_or_null(const char *kind, int code)
{
    return text_or_null(cat_desc(kind, code));
}

static MK_RESULT check_text(const char *s, const char *what)
{
    if (s == NULL) {
        return MK_OK;
    }
    size_t len = strlen(s);
    ENSURE_MSG(len <= CONN_TEXT_MAX && cat_utf8_valid((const uint8_t *)s, len, NULL), MK_E_INVALID,
               "connection %s is too long or not UTF-8", what);
    return MK_OK;
}

MK_RESULT cat_conn_sink_add(cat_conn_sink *sink, const cat_mirror_conn *c)
{
    ENSURE_MSG(sink != NULL && c != NULL && c->connection_id != NULL, MK_E_INVALID,
               "connection record missing");
    ENSURE_MSG(strlen(c->connection_id) == 36, MK_E_INVALID, "connection_id is not a GUID");
    GUARD(check_text(c->authentication_method, "authentication method"));
    GUARD(check_text(c->principal_name, "principal name"));
    GUARD(check_text(c->remote_user_name, "remote user name"));
    mk_value v[CONN_COLS] = {
        mk_value_text(c->connection_id),
        mk_value_int(c->state),
        desc_or_null("conn_state", c->state),
        time_or_null(c->connect_time),
        time_or_null(c->login_time),
        text_or_null(c->authentication_method),
        text_or_null(c->principal_name),
        text_or_null(c->remote_user_name),
        time_or_null(c->last_activity_time),
        mk_value_int(c->is_accept ? 1 : 0),
        mk_value_int(c->login_state),
        desc_or_null("login_state", c->login_state),
        c->peer_certificate_id != 0 ? mk_value_int(c->peer_certificate_id) : mk_value_null(),
        mk_value_int(c->encryption_algorithm),
        desc_or_null("algorithm", c->encryption_algorithm),
        mk_value_int(c->total_bytes_sent),
        mk_value_int(c->total_bytes_received),
        mk_value_int(c->total_sends),
        mk_value_int(c->total_receives),
    };
    ENSURE_MSG(mk_rowset_ncols(sink->rs) == CONN_COLS, MK_E_INTERNAL,
               "connections view has %zu columns", mk_rowset_ncols(sink->rs));
    return mk_rowset_add_row(sink->rs, v);
}

MK_RESULT cat_conn_collect(cat_db *db, mk_rowset *rs)
{
    if (db->conn_fn == NULL) {
        return MK_OK;
    }
    cat_conn_sink sink = {rs};
    mk_result r = db->conn_fn(db->conn_ctx, &sink);
    if (mk_failed(r)) {
        mk_error_context("listing mirroring connections");
        return MK_ERR;
    }
    return MK_OK;
}

/* mk_link_up(address): whether the kept link to address is logged in (0 without a source). */
static void sql_link_up(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const cat_db *db = sqlite3_user_data(ctx);
    const char *address = (const char *)sqlite3_value_text(argv[0]);
    bool up = db->link_fn != NULL && address != NULL && db->link_fn(db->link_ctx, address);
    sqlite3_result_int(ctx, up ? 1 : 0);
}

MK_RESULT cat_register_link_function(cat_db *db)
{
    /* Not deterministic: the answer changes as links come and go. */
    int rc = sqlite3_create_function_v2(db->sql, "mk_link_up", 1, SQLITE_UTF8 | SQLITE_INNOCUOUS,
                                        db, sql_link_up, NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        CAT_SQL_BAIL(db, rc, "registering mk_link_up");
    }
    return MK_OK;
}
