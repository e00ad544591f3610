/*
 * Executor internals shared by the statement handlers (one file per family).
 */
#ifndef EXEC_INTERNAL_H
#define EXEC_INTERNAL_H

#include <pthread.h>

#include "catalog/certs.h"
#include "catalog/databases.h"
#include "catalog/principals.h"
#include "catalog/views.h"
#include "exec/exec.h"
#include "mk/buf.h"
#include "mk/secret.h"
#include "sql/ast.h"

struct exec_instance {
    char *server_name;
    char *file_root;
    char *key_uri_query;
    p11_token *token;
    OSSL_LIB_CTX *libctx;
    p11_key_type cert_key_type; /* P11_KEY_RSA or P11_KEY_EC */
    unsigned cert_key_bits;     /* 0: the token layer's default for the type */
    exec_change_fn on_change;   /* NULL: nobody listens */
    void *on_change_arg;
    exec_mirror_fn mirror;         /* NULL: SET PARTNER / WITNESS cannot reach anyone (1418) */
    exec_port_check_fn port_check; /* NULL: CREATE / ALTER ENDPOINT skip the 7890 check */
    void *hook_arg;                /* for mirror and port_check */
    /*
     * The open database master key, shared by all sessions (mirrorkey opens
     * it per instance, not per session). Set and cleared only through the
     * deferred actions below, after the statement committed.
     */
    pthread_mutex_t mk_lock;
    mk_secret *master_key;
};

/*
 * Work a statement hands to the end of its transaction: undo on rollback
 * what cannot be rolled back with the catalog (token objects created, a
 * file written), and do on commit what must not happen unless the catalog
 * change is durable (token objects destroyed, the open master key swapped,
 * the change hook called).
 */
typedef enum exec_defer_kind {
    EXEC_DEFER_DESTROY_ID = 1, /* p11_token_destroy_id(id) */
    EXEC_DEFER_UNLINK,         /* remove path (relative to the file root) */
    EXEC_DEFER_MASTER_KEY,     /* install secret as the open master key (NULL: close) */
    EXEC_DEFER_NOTIFY,         /* on_change(change, name) */
    EXEC_DEFER_MIRROR,         /* mirror(op, database = text, address, witness), best effort */
} exec_defer_kind;

typedef enum exec_defer_when { EXEC_ON_COMMIT = 1, EXEC_ON_ROLLBACK = 2 } exec_defer_when;

#define EXEC_DEFER_MAX 8
#define EXEC_DEFER_ID_MAX 64

typedef struct exec_deferred {
    exec_defer_kind kind;
    exec_defer_when when;
    uint8_t id[EXEC_DEFER_ID_MAX];
    size_t id_len;
    char *text; /* UNLINK: the relative path; NOTIFY: the object's name; MIRROR: database */
    exec_change_kind change;
    exec_mirror_op op; /* MIRROR */
    char *address;     /* MIRROR */
    char *witness;     /* MIRROR: SET_WITNESS only */
    mk_secret *secret; /* MASTER_KEY: owned until installed or freed */
} exec_deferred;

struct exec_session {
    exec_instance *inst;
    cat_db *db;
    exec_principal who;
    char database[CAT_NAME_MAX + 1];
    exec_deferred deferred[EXEC_DEFER_MAX];
    size_t ndeferred;
    /* BEGIN TRANSACTION nesting (@@TRANCOUNT) and DDL statements run inside it. */
    int trancount;
    unsigned tran_changes;
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

/*
 * mirrorkey's own error numbers, for refusals SQL Server has no number for
 * (docs/tsql.md lists them). All class 16.
 */
#define EXEC_ERR_NOT_SUPPORTED 40508      /* statement, option or securable not implemented */
#define EXEC_ERR_KEY_EXPORT 50101         /* BACKUP CERTIFICATE ... WITH PRIVATE KEY */
#define EXEC_ERR_KEY_IMPORT 50102         /* CREATE CERTIFICATE FROM ... WITH PRIVATE KEY */
#define EXEC_ERR_CERT_PASSWORD 50103      /* CREATE CERTIFICATE ... ENCRYPTION BY PASSWORD */
#define EXEC_ERR_SERVICE_MASTER_KEY 50104 /* ALTER MASTER KEY ADD/DROP ... SERVICE MASTER KEY */
#define EXEC_ERR_WINDOWS_AUTH 50105       /* endpoint AUTHENTICATION = WINDOWS (or default) */
#define EXEC_ERR_NO_ENCRYPTION 50106      /* endpoint ENCRYPTION = DISABLED */
#define EXEC_ERR_RC4 50107                /* endpoint ALGORITHM with RC4 */
#define EXEC_ERR_CERT_NOT_IN_HSM                                                                   \
    50108 /* endpoint certificate without a private key on the token                               \
           */
#define EXEC_ERR_MK_ONE_PASSWORD                                                                   \
    50109                              /* ALTER MASTER KEY ADD ENCRYPTION BY PASSWORD, one exists  \
                                        */
#define EXEC_ERR_HSM 50110             /* token missing or a token operation failed */
#define EXEC_ERR_ENDPOINT_OPTION 50111 /* endpoint option missing or out of range */
#define EXEC_ERR_SYSTEM_DB_MIRRORING                                                               \
    50114                                /* ALTER DATABASE SET PARTNER / WITNESS on a system db    \
                                          */
#define EXEC_ERR_WITNESS_ON_MIRROR 50115 /* ALTER DATABASE SET WITNESS run on the mirror */

/* Whether a statement kind needs sysadmin (DDL) or not (USE, SELECT, SET). */
bool exec_kind_is_ddl(sql_stmt_kind kind);

/* Handlers (query.c). */
mk_result exec_use(exec_session *s, sql_stmt *stmt, const exec_sink *sink, exec_outcome *outcome,
                   sql_error *err);
mk_result exec_select(exec_session *s, sql_stmt *stmt, const exec_sink *sink, exec_outcome *outcome,
                      sql_error *err);
mk_result exec_set(exec_session *s, sql_stmt *stmt, const exec_sink *sink, exec_outcome *outcome,
                   sql_error *err);

/* Handlers (tran.c): BEGIN / COMMIT / ROLLBACK TRANSACTION. */
mk_result exec_tran(exec_session *s, sql_stmt *stmt, const exec_sink *sink, exec_outcome *outcome,
                    sql_error *err);

/* Handlers (ddl_masterkey.c). */
mk_result exec_create_master_key(exec_session *s, sql_stmt *stmt, const exec_sink *sink,
                                 exec_outcome *outcome, sql_error *err);
mk_result exec_open_master_key(exec_session *s, sql_stmt *stmt, const exec_sink *sink,
                               exec_outcome *outcome, sql_error *err);
mk_result exec_close_master_key(exec_session *s, sql_stmt *stmt, const exec_sink *sink,
                                exec_outcome *outcome, sql_error *err);
mk_result exec_alter_master_key(exec_session *s, sql_stmt *stmt, const exec_sink *sink,
                                exec_outcome *outcome, sql_error *err);

/* Handlers (ddl_cert.c, ddl_cert_import.c). */
mk_result exec_create_certificate(exec_session *s, sql_stmt *stmt, const exec_sink *sink,
                                  exec_outcome *outcome, sql_error *err);
mk_result exec_backup_certificate(exec_session *s, sql_stmt *stmt, const exec_sink *sink,
                                  exec_outcome *outcome, sql_error *err);
mk_result exec_drop_certificate(exec_session *s, sql_stmt *stmt, const exec_sink *sink,
                                exec_outcome *outcome, sql_error *err);
/* CREATE CERTIFICATE ... FROM FILE | FROM BINARY (called by exec_create_certificate). */
mk_result exec_import_certificate(exec_session *s, sql_stmt *stmt, int32_t owner_id,
                                  const exec_sink *sink, sql_error *err);

/* Handlers (ddl_endpoint.c). */
mk_result exec_create_endpoint(exec_session *s, sql_stmt *stmt, const exec_sink *sink,
                               exec_outcome *outcome, sql_error *err);
mk_result exec_alter_endpoint(exec_session *s, sql_stmt *stmt, const exec_sink *sink,
                              exec_outcome *outcome, sql_error *err);
mk_result exec_drop_endpoint(exec_session *s, sql_stmt *stmt, const exec_sink *sink,
                             exec_outcome *outcome, sql_error *err);

/* Handlers (ddl_principal.c). */
mk_result exec_create_login(exec_session *s, sql_stmt *stmt, const exec_sink *sink,
                            exec_outcome *outcome, sql_error *err);
mk_result exec_alter_login(exec_session *s, sql_stmt *stmt, const exec_sink *sink,
                           exec_outcome *outcome, sql_error *err);
mk_result exec_drop_login(exec_session *s, sql_stmt *stmt, const exec_sink *sink,
                          exec_outcome *outcome, sql_error *err);
mk_result exec_create_user(exec_session *s, sql_stmt *stmt, const exec_sink *sink,
                           exec_outcome *outcome, sql_error *err);
mk_result exec_drop_user(exec_session *s, sql_stmt *stmt, const exec_sink *sink,
                         exec_outcome *outcome, sql_error *err);

/*
 * SQL Server's password policy (ddl_principal.c) for CREATE/ALTER LOGIN and
 * the master key password: with check_policy, 15116 (too short), 15117
 * (too long), 15118 (not complex enough, or contains the login name);
 * without it only the 128-character limit (15117). login may be NULL.
 * Never puts the password in err.
 */
mk_result exec_check_password(const char *login, const char *pw, bool check_policy, int line,
                              sql_error *err);

/* Handlers (ddl_perm.c): GRANT, REVOKE, DENY and ALTER AUTHORIZATION. */
mk_result exec_perm(exec_session *s, sql_stmt *stmt, const exec_sink *sink, exec_outcome *outcome,
                    sql_error *err);
mk_result exec_alter_authorization(exec_session *s, sql_stmt *stmt, const exec_sink *sink,
                                   exec_outcome *outcome, sql_error *err);

/* Handlers (ddl_database.c): CREATE / DROP DATABASE, ALTER DATABASE SET PARTNER / WITNESS. */
mk_result exec_create_database(exec_session *s, sql_stmt *stmt, const exec_sink *sink,
                               exec_outcome *outcome, sql_error *err);
mk_result exec_drop_database(exec_session *s, sql_stmt *stmt, const exec_sink *sink,
                             exec_outcome *outcome, sql_error *err);
mk_result exec_alter_database(exec_session *s, sql_stmt *stmt, const exec_sink *sink,
                              exec_outcome *outcome, sql_error *err);
/* Record EXEC_CHANGE_DATABASE for the commit; fills err (50000) when it cannot. */
mk_result exec_database_changed(exec_session *s, const char *name, int line, sql_error *err);
/*
 * ALTER DATABASE d SET PARTNER / WITNESS ... (ddl_mirroring.c) on the user
 * database d, already checked by exec_alter_database. Talks to peers
 * through the instance's mirror hook; errors as docs/tsql.md lists them.
 */
mk_result exec_alter_mirroring(exec_session *s, const cat_database *d, const sql_alter_db_stmt *a,
                               int line, sql_error *err);

/*
 * Deferred work (deferred.c). Each call records one action for the end of
 * the current statement; it fails (MK_E_TOOBIG, MK_E_NOMEM, MK_E_INVALID)
 * only when the action cannot be recorded, and then the caller must fail
 * the statement. exec_defer_master_key takes ownership of mk (may be NULL
 * to close) whether it succeeds or not.
 */
mk_result exec_defer_destroy_id(exec_session *s, exec_defer_when when, const uint8_t *id,
                                size_t id_len);
mk_result exec_defer_unlink(exec_session *s, const char *relpath);
mk_result exec_defer_master_key(exec_session *s, mk_secret *mk);
mk_result exec_defer_notify(exec_session *s, exec_change_kind kind, const char *name);
/*
 * Send req through the instance's mirror hook when the statement ends as
 * `when` says (nothing is recorded when there is no hook). Best effort: a
 * request that cannot be delivered, or that the peer refuses, is logged
 * (MK_LOG_WARN) and changes nothing else. The strings are copied.
 */
mk_result exec_defer_mirror(exec_session *s, exec_defer_when when, const exec_mirror_request *req);
/* Send req now, best effort, as exec_defer_mirror's actions are sent. */
void exec_mirror_best_effort(exec_session *s, const exec_mirror_request *req);
/*
 * Run the actions for the statement's outcome (committed: ON_COMMIT ones;
 * else ON_ROLLBACK ones) in reverse order of recording, then forget all of
 * them. Failures are logged (the statement's result is already decided).
 */
void exec_deferred_finish(exec_session *s, bool committed);

/*
 * Send an informational message (class 10: 15214, 15215...). A sink failure
 * clears err and returns MK_ERR (the batch stops).
 */
mk_result exec_send_info(const exec_sink *sink, int number, int line, sql_error *err,
                         const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Fill err with 50110 from the token layer's last error, prefixed by `what`. */
void exec_error_hsm(sql_error *err, int line, const char *what);
/* Fill err with 50000 (class 16) for an internal failure while `what`. */
void exec_error_internal(sql_error *err, int line, const char *what);

/*
 * Dates (dates.c): a CREATE CERTIFICATE date as SQL Server converts it to
 * datetime, taken as UTC: 'mm/dd/yyyy' (also with '-' or '.'),
 * 'yyyy-mm-dd' (also with '/'), 'yyyymmdd', each optionally followed by a
 * time 'hh:mm[:ss[.fffffff]]' after a space (or 'T' for the ISO forms, with
 * an optional 'Z'). Years 1753..9999. *ms is milliseconds since the epoch.
 * MK_E_INVALID when the text is not such a date (the caller raises 241).
 */
mk_result exec_parse_date(const char *text, int64_t *ms);
/* ms + one calendar year (29 February becomes 28 February). */
int64_t exec_add_year(int64_t ms, int years);

/*
 * File paths (files.c). A T-SQL path names a file inside the instance's
 * file root: 'C:\x.cer', '\x.cer', 'x.cer' and 'sub/x.cer' (either slash)
 * all resolve under the root; an absolute POSIX path is accepted only when
 * it lies under the root's path as configured. Refused: other drives, UNC
 * paths, drive-relative 'C:x', '..' components, ':' inside a component
 * (alternate data streams), control characters, NUL bytes, empty paths and
 * paths naming a directory.
 *
 * exec_path_resolve is pure: it writes the root-relative path ("sub/x.cer")
 * to rel[0..rel_size). Errors: MK_E_INVALID (malformed), MK_E_PERM (outside
 * the root), MK_E_TOOBIG (over PATH_MAX or a component over NAME_MAX).
 *
 * The file functions walk the relative path from a directory descriptor of
 * the root with openat(O_NOFOLLOW) component by component, so no symlink
 * (inside the root or not) and no rename race can lead outside it. Errors:
 * as above, plus MK_E_NOT_FOUND (missing), MK_E_EXISTS (create: the file
 * is there), MK_E_PERM (a symlink on the way, permission denied),
 * MK_E_INVALID (not a regular file), MK_E_TOOBIG (over max), MK_E_IO.
 */
mk_result exec_path_resolve(const char *root, const char *path, size_t path_len, char *rel,
                            size_t rel_size);
/* Read the whole regular file `path` (at most max bytes) into out. */
mk_result exec_file_read(const char *root, const char *path, size_t max, mk_buf *out);
/*
 * Create `path` exclusively (mode 0644: certificates are public) and write
 * data; a partial file is removed. rel (may be NULL) receives the resolved
 * relative path, for a later exec_file_unlink.
 */
mk_result exec_file_create(const char *root, const char *path, const uint8_t *data, size_t len,
                           char *rel, size_t rel_size);
/* Remove the file at the root-relative path rel (as exec_path_resolve wrote it). */
mk_result exec_file_unlink(const char *root, const char *rel);

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
