/*
 * Executor internals shared by the statement handlers (one file per family).
 */
#ifndef EXEC_INTERNAL_H
#define EXEC_INTERNAL_H

#include <pthread.h>

#include "catalog/certs.h"
#include "catalog/principals.h"
#include "catalog/views.h"
#include "exec/exec.h"
#include "mk/secret.h"
#include "sql/ast.h"

struct exec_instance {
    char *server_name;
    char *file_root;
    char *key_uri_query;
    p11_token *token;
    OSSL_LIB_CTX *libctx;
    /* The open database master key, shared by all sessions (DDL issue). */
    pthread_mutex_t mk_lock;
    mk_secret *master_key;
};

struct exec_session {
    exec_instance *inst;
    cat_db *db;
    exec_principal who;
    char database[CAT_NAME_MAX + 1];
};

/*
 * What a handler reports besides rows and messages: whether it produced a
 * row count (SELECT) and the count.
 */
typedef struct exec_outcome {
    bool has_count;
    uint64_t count;
} exec_outcome;

/*
 * A statement handler. Runs inside the statement's catalog transaction. On
 * failure it fills err (number, class, state, text) and returns MK_ERR; the
 * caller rolls back, sends err and a DONE with the error bit. Sink failures
 * are also returned as MK_ERR with err->number 0 (the batch stops).
 */
typedef mk_result (*exec_handler)(exec_session *s, sql_stmt *stmt, const exec_sink *sink,
                                  exec_outcome *outcome, sql_error *err);

/* Whether a statement kind needs sysadmin (DDL) or not (USE, SELECT, SET). */
bool exec_kind_is_ddl(sql_stmt_kind kind);

/* Handlers (query.c). */
mk_result exec_use(exec_session *s, sql_stmt *stmt, const exec_sink *sink, exec_outcome *outcome,
                   sql_error *err);
mk_result exec_select(exec_session *s, sql_stmt *stmt, const exec_sink *sink, exec_outcome *outcome,
                      sql_error *err);
mk_result exec_set(exec_session *s, sql_stmt *stmt, const exec_sink *sink, exec_outcome *outcome,
                   sql_error *err);

/*
 * Fill err from the catalog's last failure (cat_error_reason) with SQL
 * Server's number and text; `what` names the object kind for 15151
 * ("certificate", "login", ...). Unknown reasons become 50000-class 16 with
 * the catalog's message.
 */
void exec_error_from_catalog(sql_error *err, int line, const char *what, const char *name);

/* The session's cat_session (visibility) for view queries. */
mk_result exec_cat_session(exec_session *s, cat_session *out, sql_error *err, int line);

#endif
