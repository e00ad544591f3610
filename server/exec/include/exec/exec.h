/*
 * The T-SQL executor: runs a parsed batch against the catalog (and, for the
 * security DDL, the token) on behalf of one logged-in session, and reports
 * results through a sink the TDS session turns into tokens.
 *
 * Semantics follow SQL Server where mirrorkey implements a statement:
 *   - a batch that does not parse runs nothing (one ERROR, one DONE);
 *   - every statement runs in its own catalog transaction: a failing
 *     statement changes nothing, reports its error, and the batch goes on
 *     with the next statement (most SQL Server errors do not end a batch);
 *   - only members of sysadmin may run DDL (15247 otherwise); other logins
 *     see only their own rows in the catalog views.
 * Errors carry SQL Server's number, class, state and wording (sql_error).
 */
#ifndef EXEC_EXEC_H
#define EXEC_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/types.h>

#include "catalog/catalog.h"
#include "mk/result.h"
#include "mk/rowset.h"
#include "p11/token.h"
#include "sql/error.h"

typedef struct exec_instance exec_instance;
typedef struct exec_session exec_session;

/* What an instance is made of; strings are copied. */
typedef struct exec_instance_config {
    const char *server_name; /* @@SERVERNAME */
    const char *file_root;   /* FROM FILE / TO FILE resolve inside it; NULL: file I/O refused */
    p11_token *token;        /* referenced; NULL: statements that need the token fail */
    OSSL_LIB_CTX *libctx;    /* default + mirrorkey providers; borrowed */
    /*
     * Query part appended to key URIs handed to the provider, e.g.
     * "module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/x/pin".
     * Never a PIN value.
     */
    const char *key_uri_query;
} exec_instance_config;

MK_RESULT exec_instance_new(const exec_instance_config *cfg, exec_instance **out);
/* Accepts NULL. */
void exec_instance_free(exec_instance *inst);

/* The logged-in principal a session runs as. */
typedef struct exec_principal {
    int32_t login_id;
    char login_name[CAT_NAME_MAX + 1];
} exec_principal;

/*
 * A session over its own catalog handle (borrowed: one cat_db per
 * connection thread). Sysadmin membership is read from the catalog at each
 * statement, so ALTER SERVER ROLE or DROP LOGIN take effect at once.
 */
MK_RESULT exec_session_new(exec_instance *inst, cat_db *db, const exec_principal *who,
                           exec_session **out);
void exec_session_free(exec_session *s);
/* Current database name ("master"). */
const char *exec_session_database(const exec_session *s);

/* The end of one statement's results (TDS DONE). */
typedef struct exec_done {
    bool error;     /* the statement failed */
    bool has_count; /* count is meaningful (SELECT rows, DML) */
    uint64_t count;
    bool more; /* more statements follow in this batch */
} exec_done;

/*
 * Where results go. rows: a result set (COLMETADATA + ROWs); message: an
 * INFO (class <= 10) or ERROR; done: end of a statement. A sink failure
 * (e.g. the client went away) stops the batch and is returned.
 */
typedef struct exec_sink {
    void *arg;
    mk_result (*rows)(void *arg, const mk_rowset *rs);
    mk_result (*message)(void *arg, const sql_error *msg);
    mk_result (*done)(void *arg, const exec_done *done);
} exec_sink;

/*
 * Parse and run text[0..len) (UTF-8). Every statement ends with exactly one
 * done() call; an empty batch produces one done() with no count. The text
 * may hold passwords: the caller wipes it afterwards (the parser's copies
 * are wiped here). Returns MK_ERR only when the sink failed.
 */
MK_RESULT exec_batch(exec_session *s, const char *text, size_t len, const exec_sink *sink);

/* Product version reported by @@VERSION and SERVERPROPERTY('ProductVersion'). */
#define EXEC_PRODUCT_VERSION "16.0.1000.6"

#endif
