/*
 * Executor core: instance and session objects, the batch loop with one
 * catalog transaction per statement, the sysadmin gate for DDL, and the
 * dispatch table from statement kind to handler.
 */
#include "exec/exec.h"

#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "mk/log.h"
#include "sql/parser.h"

/* Handlers for the statements implemented so far; NULL = not supported yet. */
static const exec_handler handlers[SQL_STMT_KIND_COUNT] = {
    [SQL_STMT_USE] = exec_use,
    [SQL_STMT_SELECT] = exec_select,
    [SQL_STMT_SET] = exec_set,
    [SQL_STMT_CREATE_MASTER_KEY] = exec_create_master_key,
    [SQL_STMT_OPEN_MASTER_KEY] = exec_open_master_key,
    [SQL_STMT_CLOSE_MASTER_KEY] = exec_close_master_key,
    [SQL_STMT_ALTER_MASTER_KEY] = exec_alter_master_key,
    [SQL_STMT_CREATE_CERTIFICATE] = exec_create_certificate,
    [SQL_STMT_BACKUP_CERTIFICATE] = exec_backup_certificate,
    [SQL_STMT_DROP_CERTIFICATE] = exec_drop_certificate,
    [SQL_STMT_CREATE_ENDPOINT] = exec_create_endpoint,
    [SQL_STMT_ALTER_ENDPOINT] = exec_alter_endpoint,
    [SQL_STMT_DROP_ENDPOINT] = exec_drop_endpoint,
    [SQL_STMT_ALTER_AUTHORIZATION] = exec_alter_authorization,
    [SQL_STMT_CREATE_LOGIN] = exec_create_login,
    [SQL_STMT_ALTER_LOGIN] = exec_alter_login,
    [SQL_STMT_DROP_LOGIN] = exec_drop_login,
    [SQL_STMT_CREATE_USER] = exec_create_user,
    [SQL_STMT_DROP_USER] = exec_drop_user,
    [SQL_STMT_GRANT] = exec_perm,
    [SQL_STMT_REVOKE] = exec_perm,
    [SQL_STMT_DENY] = exec_perm,
    [SQL_STMT_CREATE_DATABASE] = exec_create_database,
    [SQL_STMT_DROP_DATABASE] = exec_drop_database,
    [SQL_STMT_ALTER_DATABASE] = exec_alter_database,
    [SQL_STMT_BEGIN_TRAN] = exec_tran,
    [SQL_STMT_COMMIT_TRAN] = exec_tran,
    [SQL_STMT_ROLLBACK_TRAN] = exec_tran,
};

bool exec_kind_is_ddl(sql_stmt_kind kind)
{
    /* An explicit list, so that statements added to the parser later are not DDL by accident. */
    switch (kind) {
    case SQL_STMT_CREATE_MASTER_KEY:
    case SQL_STMT_OPEN_MASTER_KEY:
    case SQL_STMT_CLOSE_MASTER_KEY:
    case SQL_STMT_ALTER_MASTER_KEY:
    case SQL_STMT_CREATE_CERTIFICATE:
    case SQL_STMT_BACKUP_CERTIFICATE:
    case SQL_STMT_DROP_CERTIFICATE:
    case SQL_STMT_CREATE_ENDPOINT:
    case SQL_STMT_ALTER_ENDPOINT:
    case SQL_STMT_DROP_ENDPOINT:
    case SQL_STMT_ALTER_AUTHORIZATION:
    case SQL_STMT_CREATE_LOGIN:
    case SQL_STMT_ALTER_LOGIN:
    case SQL_STMT_DROP_LOGIN:
    case SQL_STMT_CREATE_USER:
    case SQL_STMT_DROP_USER:
    case SQL_STMT_GRANT:
    case SQL_STMT_REVOKE:
    case SQL_STMT_DENY:
    case SQL_STMT_CREATE_DATABASE:
    case SQL_STMT_DROP_DATABASE:
    case SQL_STMT_ALTER_DATABASE: return true;
    default: return false;
    }
}

static char *dup_or_null(const char *s) { return s != NULL ? strdup(s) : NULL; }

MK_RESULT exec_instance_new(const exec_instance_config *cfg, exec_instance **out)
{
    exec_instance *inst = calloc(1, sizeof(*inst));
    ENSURE(inst != NULL, MK_E_NOMEM);
    inst->server_name = strdup(cfg->server_name != NULL ? cfg->server_name : "MIRRORKEY");
    inst->file_root = dup_or_null(cfg->file_root);
    inst->key_uri_query = dup_or_null(cfg->key_uri_query);
    pthread_mutex_init(&inst->mk_lock, NULL);
    if (inst->server_name == NULL || (cfg->file_root != NULL && inst->file_root == NULL) ||
        (cfg->key_uri_query != NULL && inst->key_uri_query == NULL)) {
        exec_instance_free(inst);
        BAIL(MK_E_NOMEM);
    }
    inst->token = cfg->token != NULL ? p11_token_ref(cfg->token) : NULL;
    inst->libctx = cfg->libctx;
    inst->cert_key_type = cfg->cert_key_type == P11_KEY_EC ? P11_KEY_EC : P11_KEY_RSA;
    inst->cert_key_bits = cfg->cert_key_bits;
    inst->on_change = cfg->on_change;
    inst->on_change_arg = cfg->on_change_arg;
    inst->mirror = cfg->mirror;
    inst->port_check = cfg->port_check;
    inst->hook_arg = cfg->hook_arg;
    *out = inst;
    return MK_OK;
}

void exec_instance_free(exec_instance *inst)
{
    if (inst == NULL) {
        return;
    }
    mk_secret_free(inst->master_key);
    pthread_mutex_destroy(&inst->mk_lock);
    p11_token_unref(inst->token);
    free(inst->server_name);
    free(inst->file_root);
    free(inst->key_uri_query);
    free(inst);
}

MK_RESULT exec_session_new(exec_instance *inst, cat_db *db, const exec_principal *who,
                           exec_session **out)
{
    exec_session *s = calloc(1, sizeof(*s));
    ENSURE(s != NULL, MK_E_NOMEM);
    s->inst = inst;
    s->db = db;
    s->who = *who;
    strcpy(s->database, "master");
    *out = s;
    return MK_OK;
}

void exec_session_free(exec_session *s)
{
    if (s == NULL) {
        return;
    }
    exec_deferred_finish(s, false);
    free(s);
}

const char *exec_session_database(const exec_session *s) { return s->database; }

mk_result exec_cat_session(exec_session *s, cat_session *out, sql_error *err, int line)
{
    bool sysadmin = false;
    if (mk_failed(cat_login_is_sysadmin(s->db, s->who.login_id, &sysadmin))) {
        exec_error_from_catalog(err, line, "login", s->who.login_name);
        return MK_ERR;
    }
    int32_t user_id = -1;
    if (mk_failed(cat_user_for_login(s->db, s->who.login_id, &user_id))) {
        user_id = -1;
    }
    out->is_sysadmin = sysadmin;
    out->login_id = s->who.login_id;
    out->user_id = user_id;
    return MK_OK;
}

/* The permission gate and the handler, inside a transaction. */
static mk_result run_statement(exec_session *s, sql_stmt *stmt, const exec_sink *sink,
                               exec_outcome *outcome, sql_error *err)
{
    exec_handler h = handlers[stmt->kind];
    if (exec_kind_is_ddl(stmt->kind)) {
        cat_session who;
        if (mk_failed(exec_cat_session(s, &who, err, stmt->line))) {
            return MK_ERR;
        }
        if (!who.is_sysadmin) {
            sql_error_set(err, 15247, 16, 1, stmt->line,
                          "User does not have permission to perform this action.");
            return MK_ERR;
        }
    }
    if (h == NULL) {
        sql_error_set(err, 40508, 16, 1, stmt->line,
                      "The statement '%s' is not supported by mirrorkey.",
                      sql_stmt_kind_name(stmt->kind));
        return MK_ERR;
    }
    if (mk_failed(cat_begin(s->db))) {
        exec_error_from_catalog(err, stmt->line, "catalog", "");
        return MK_ERR;
    }
    mk_result r = h(s, stmt, sink, outcome, err);
    if (mk_ok(r) && exec_kind_is_ddl(stmt->kind) && s->trancount > 0) {
        s->tran_changes++;
    }
    if (mk_ok(r) && mk_failed(cat_commit(s->db))) {
        exec_error_from_catalog(err, stmt->line, "catalog", "");
        r = MK_ERR;
    }
    if (mk_failed(r) && cat_in_transaction(s->db)) {
        if (mk_failed(cat_rollback(s->db))) {
            mk_log_error_result(MK_LOG_ERROR, "catalog rollback");
        }
    }
    /* Token objects, files and the open master key follow the catalog's outcome. */
    exec_deferred_finish(s, mk_ok(r));
    return r;
}

/* Report a parse error: one ERROR and one DONE with the error bit. */
static mk_result report_parse_error(const exec_sink *sink, const sql_error *err)
{
    exec_done d = {.error = true};
    GUARD(sink->message(sink->arg, err));
    return sink->done(sink->arg, &d);
}

MK_RESULT exec_batch(exec_session *s, const char *text, size_t len, const exec_sink *sink)
{
    sql_batch *batch = NULL;
    sql_error err;
    sql_error_clear(&err);
    if (mk_failed(sql_parse(text, len, &batch, &err))) {
        return report_parse_error(sink, &err);
    }
    size_t n = sql_batch_count(batch);
    mk_result res = MK_OK;
    if (n == 0) {
        exec_done d = {0};
        res = sink->done(sink->arg, &d);
    }
    for (size_t i = 0; i < n && mk_ok(res); i++) {
        sql_stmt *stmt = sql_batch_stmt(batch, i);
        exec_outcome outcome = {0};
        sql_error_clear(&err);
        mk_result r = run_statement(s, stmt, sink, &outcome, &err);
        sql_stmt_wipe_secrets(stmt);
        if (mk_failed(r) && err.number == 0) {
            res = MK_ERR; /* the sink failed: stop */
            break;
        }
        if (mk_failed(r)) {
            MK_LOG_DEBUG("statement %s failed: %d %s", sql_stmt_kind_name(stmt->kind), err.number,
                         err.message);
            res = sink->message(sink->arg, &err);
        }
        exec_done d = {.error = mk_failed(r),
                       .has_count = mk_ok(r) && outcome.has_count,
                       .count = outcome.count,
                       .more = i + 1 < n};
        if (mk_ok(res)) {
            res = sink->done(sink->arg, &d);
        }
    }
    sql_batch_free(batch);
    return res;
}
