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
#include "catalog/keyinfo.h"
#include "mk/result.h"
#include "mk/rowset.h"
#include "p11/key.h"
#include "p11/token.h"
#include "sql/error.h"

typedef struct exec_instance exec_instance;
typedef struct exec_session exec_session;

/*
 * What a committed statement changed that a running component may have to
 * act on at once (the endpoint layer: listen or stop, close a peer's live
 * connections when its CONNECT is revoked or denied, its login disabled or
 * dropped, its user or certificate dropped). `name` is the object's name
 * (endpoint, login, user or certificate).
 */
typedef enum exec_change_kind {
    EXEC_CHANGE_ENDPOINT = 1,    /* CREATE / ALTER / DROP ENDPOINT, ALTER AUTHORIZATION ON it */
    EXEC_CHANGE_PERMISSION = 2,  /* GRANT / REVOKE / DENY CONNECT (name = grantee) */
    EXEC_CHANGE_LOGIN = 3,       /* ALTER LOGIN (ENABLE, DISABLE, PASSWORD), DROP LOGIN */
    EXEC_CHANGE_USER = 4,        /* CREATE / DROP USER */
    EXEC_CHANGE_CERTIFICATE = 5, /* CREATE / DROP CERTIFICATE, ALTER AUTHORIZATION ON it */
    EXEC_CHANGE_DATABASE = 6,    /* CREATE / DROP DATABASE, ALTER DATABASE SET PARTNER / WITNESS */
} exec_change_kind;

/*
 * The change hook: called after the statement's catalog transaction
 * committed, on the thread that ran it, with no executor lock held. It must
 * not block for long; it reads what it needs from the catalog itself. It is
 * never called for a statement that failed.
 */
typedef void (*exec_change_fn)(void *arg, exec_change_kind kind, const char *name);

/*
 * Database mirroring sessions (ALTER DATABASE ... SET PARTNER / WITNESS)
 * need a word with another instance's mirroring endpoint before the
 * statement commits. The executor does not speak the endpoint protocol: it
 * calls this hook (mirrorkeyd wires it to the endpoint layer) with one
 * request and gets the peer's answer.
 */
typedef enum exec_mirror_op {
    /* SET PARTNER: ask the partner at `address` (as PARTNER) about `database`. */
    EXEC_MIRROR_JOIN = 1,
    /* SET PARTNER OFF: tell the partner at `address` that the session ended. */
    EXEC_MIRROR_LEAVE = 2,
    /* SET WITNESS: tell the partner at `address` the witness (`witness`, "" = none). */
    EXEC_MIRROR_SET_WITNESS = 3,
    /* SET WITNESS: log in to the witness at `address` as WITNESS, then hang up. */
    EXEC_MIRROR_PROBE_WITNESS = 4,
} exec_mirror_op;

typedef struct exec_mirror_request {
    exec_mirror_op op;
    const char *database; /* the session's database name */
    const char *address;  /* whom to ask: 'TCP://host:port' as written in the statement */
    const char *witness;  /* SET_WITNESS only */
} exec_mirror_request;

#define EXEC_INSTANCE_NAME_MAX 128

typedef struct exec_mirror_reply {
    /*
     * 0: done. Otherwise SQL Server's error number the peer answered with:
     * JOIN: 1416 (the peer has no session for the database: it has not run
     * its SET PARTNER yet), 1410 (the peer's copy is already in a session);
     * LEAVE / SET_WITNESS: 1416 (the peer has no such session with us).
     */
    int number;
    /* The instance that answered (its name in the endpoint handshake). */
    char peer_instance[EXEC_INSTANCE_NAME_MAX + 1];
    /*
     * The certificate_id in our catalog of the certificate it presented: a
     * session is pinned to it (cat_mirroring.partner_cert_id). 0 = unknown.
     */
    int32_t peer_certificate_id;
} exec_mirror_reply;

/*
 * Send one request and wait for the answer (bounded by the endpoint's
 * handshake timeout). MK_ERR when it could not be delivered: our endpoint
 * is not STARTED, the address does not resolve or answer, TLS failed,
 * either side's catalog check refused the other, or the peer's endpoint
 * ROLE does not admit the role (the reason is logged and in
 * mk_error_message()). The executor maps that to 1418.
 */
typedef mk_result (*exec_mirror_fn)(void *arg, const exec_mirror_request *req,
                                    exec_mirror_reply *reply);

/*
 * CREATE / ALTER ENDPOINT: whether the endpoint could listen on ip:port
 * ("" = ALL). MK_E_EXISTS when another process holds the port (→ 7890);
 * the port our own endpoint already listens on is free for this purpose.
 */
typedef mk_result (*exec_port_check_fn)(void *arg, const char *ip, int port);

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
    /*
     * Key pairs CREATE CERTIFICATE generates on the token: P11_KEY_RSA
     * (the default when 0; bits 0 = 3072, as SQL Server 2022) or
     * P11_KEY_EC (bits 0 = 256, P-256).
     */
    p11_key_type cert_key_type;
    unsigned cert_key_bits;
    /* Optional change hook (see exec_change_fn) and its argument. */
    exec_change_fn on_change;
    void *on_change_arg;
    /* Optional hooks to the endpoint layer (NULL: SET PARTNER / WITNESS answer 1418). */
    exec_mirror_fn mirror;
    exec_port_check_fn port_check; /* NULL: no check (the endpoint logs 7890 itself) */
    void *hook_arg;
} exec_instance_config;

MK_RESULT exec_instance_new(const exec_instance_config *cfg, exec_instance **out);
/* Accepts NULL. */
void exec_instance_free(exec_instance *inst);

/*
 * Open the database master key through the token protector, with no
 * password: what the daemon calls at start. db is the caller's catalog
 * handle (used outside any transaction). *opened (may be NULL) tells
 * whether a master key is now open; a catalog without a master key is
 * success with *opened false. Errors: no token configured (MK_E_STATE), the
 * protector's errors (MK_E_NOT_FOUND: the protector is not on this token,
 * MK_E_CRYPTO, MK_E_TOKEN_LOST, ...), catalog errors. On error nothing is
 * opened; OPEN MASTER KEY DECRYPTION BY PASSWORD remains the way in.
 */
MK_RESULT exec_instance_open_master_key(exec_instance *inst, cat_db *db, bool *opened);
/* Whether a master key is open (CREATE CERTIFICATE needs one). */
bool exec_instance_master_key_is_open(exec_instance *inst);

/*
 * The key-info source of sys.mirrorkey_certificate_keys (a cat_keyinfo_fn;
 * arg is the exec_instance). Register it on every cat_db whose sessions run
 * on this instance:
 *     cat_set_keyinfo_source(db, exec_keyinfo_source, inst);
 * For the private key with CKA_ID key_id it reads, from the instance's
 * token and at the time of the call, the key's type and size and the
 * attribute policy report (p11/policy.h). The token's label is filled
 * whenever the instance has a token; a missing key, a token that is away
 * or a failed report leave out->found false (logged, not an error). Never
 * fails. The instance must outlive the registration.
 */
mk_result exec_keyinfo_source(void *arg, const uint8_t *key_id, size_t key_id_len,
                              cat_key_info *out);

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
