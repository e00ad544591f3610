/*
 * mirrorkeyd internals shared by the files of server/main: the loaded
 * instance, the server (listener, connection slots, stop flag) and the state
 * of one TDS connection as it goes through PRELOGIN, TLS, LOGIN7 and the
 * session loop. Names are srv_-prefixed; nothing here is used outside main/.
 */
#ifndef SRV_INTERNAL_H
#define SRV_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/types.h>

#include "catalog/catalog.h"
#include "endpoint/endpoint.h"
#include "exec/exec.h"
#include "mk/buf.h"
#include "mk/result.h"
#include "net/conn.h"
#include "net/tls.h"
#include "p11/token.h"
#include "p11/uri.h"
#include "srv/cli.h"
#include "srv/config.h"
#include "srv/throttle.h"
#include "tds/reasm.h"
#include "tds/result.h"

/* Timeouts (milliseconds). */
#define SRV_SEND_TIMEOUT_MS 60000 /* a client that stops reading its results */
#define SRV_ACCEPT_POLL_MS 200    /* how often the accept thread looks at the stop flag */

/* Largest packet accepted before the login negotiated a size (MS-TDS allows 32767). */
#define SRV_PRELOGIN_MAX_PACKET 32767u
/* Largest negotiated packet size. */
#define SRV_MAX_PACKET_SIZE 32767u
/* Largest response message built in memory (results of one batch). */
#define SRV_MAX_RESPONSE ((size_t)64 * 1024 * 1024)

#define SRV_PROGRAM_NAME "mirrorkeyd"
/* First SPID handed out (SQL Server starts user sessions at 51). */
#define SRV_FIRST_SPID 51

/* ---- instance.c: what `run` loads from the data directory ---- */

typedef struct srv_instance {
    srv_config config;
    char data_dir[SRV_PATH_MAX];
    char catalog_path[SRV_PATH_MAX];
    p11_token *token;
    OSSL_LIB_CTX *libctx;
    net_tls_ctx *tls;
    exec_instance *exec;
    ep_manager *endpoint; /* the mirroring endpoint (server/endpoint) */
    srv_throttle *throttle;
    uint8_t collation[TDS_COLLATION_LEN];
} srv_instance;

/*
 * Load DATA_DIR's configuration, open the token (login through the URI's
 * pin-source), build the TLS context from the certificate and key on the
 * token, check the catalog opens, and create the executor instance.
 */
MK_RESULT srv_instance_open(const char *data_dir, srv_instance **out);
void srv_instance_free(srv_instance *inst);

/* ---- mirroring.c: the executor's hooks into the endpoint (arg: the srv_instance) ---- */

/* exec_mirror_fn: one session request through the endpoint. */
mk_result srv_mirror_request(void *arg, const exec_mirror_request *req, exec_mirror_reply *reply);
/* exec_port_check_fn: whether the endpoint could listen on ip:port. */
mk_result srv_port_check(void *arg, const char *ip, int port);

/* ---- identity.c: the instance's TLS identity on the token ---- */

/* A library context with the default and the built-in mirrorkey provider. */
MK_RESULT srv_libctx_new(OSSL_LIB_CTX **out);

/*
 * The URI of the key (or certificate) with CKA_ID id and label on the token
 * that token_uri selects, keeping token_uri's module-path and pin-source.
 * type is P11_URI_TYPE_PRIVATE or P11_URI_TYPE_CERT. Appended, NUL-terminated.
 */
MK_RESULT srv_object_uri(const char *token_uri, const uint8_t *id, size_t id_len, const char *label,
                         p11_uri_type type, mk_buf *out);

/* "module-path=...&pin-source=..." of token_uri (may be empty), NUL-terminated. */
MK_RESULT srv_uri_query(const char *token_uri, mk_buf *out);

/*
 * Generate the TLS key pair on the token (label "mirrorkey-tds-<instance>"),
 * build its self-signed certificate (CN = instance name) and store it beside
 * the key. Fills cfg->tls_key_id/label/type. On failure nothing stays on the
 * token.
 */
MK_RESULT srv_identity_create(p11_token *token, OSSL_LIB_CTX *libctx, srv_key_type type,
                              srv_config *cfg);

/* ---- certfile.c: DIR/tds-cert.pem, the TDS certificate for clients that pin it ---- */

typedef enum srv_cert_file_state {
    SRV_CERT_FILE_CURRENT = 0, /* it already held this certificate: untouched */
    SRV_CERT_FILE_CREATED,     /* it was missing */
    SRV_CERT_FILE_REPLACED,    /* it held something else */
} srv_cert_file_state;

/*
 * Make DATA_DIR/tds-cert.pem hold der[0..der_len) as PEM (public only,
 * mode 0644), unless it already holds exactly that text; the replacement is
 * atomic (temporary file, fsync, rename) and never follows a symlink.
 * *state says what happened. Errors: MK_E_IO (with the path), MK_E_CRYPTO,
 * MK_E_INVALID (path too long).
 */
MK_RESULT srv_tds_cert_sync(const char *data_dir, const uint8_t *der, size_t der_len,
                            srv_cert_file_state *state);

/* srv_tds_cert_sync with the certificate object cfg's TLS key id names on the token. */
MK_RESULT srv_tds_cert_export(p11_token *token, const srv_config *cfg, const char *data_dir,
                              srv_cert_file_state *state);

/* ---- init.c / run.c: the two commands (exit codes 0 / 1) ---- */

int srv_cmd_init(const srv_init_args *args);
int srv_cmd_run(const srv_run_args *args);

/* ---- server.c: listener, connection slots, stop ---- */

typedef struct srv_server srv_server;

typedef struct srv_slot {
    srv_server *srv;
    unsigned index;
    int state; /* SRV_SLOT_* */
    pthread_t thread;
    int fd;                    /* the connection's socket while the thread owns it, else -1 */
    int64_t login_deadline_ms; /* monotonic; 0 once logged in */
    char peer[80];
} srv_slot;

enum { SRV_SLOT_FREE = 0, SRV_SLOT_RUNNING, SRV_SLOT_DONE };

struct srv_server {
    srv_instance *inst;
    int listen_fd;
    atomic_bool stopping;
    pthread_mutex_t lock; /* slots, stop condition */
    pthread_cond_t stop_cond;
    srv_slot *slots;
    unsigned max_connections;
    int login_timeout_ms; /* per read until logged in (--login-timeout) */
    pthread_t accept_thread;
    bool accept_started;
};

MK_RESULT srv_server_start(srv_server *srv, srv_instance *inst, const srv_run_args *args);
/* Stop accepting, wake every connection, join all threads, close the listener. */
void srv_server_stop(srv_server *srv);
bool srv_server_stopping(srv_server *srv);
/* Sleep up to ms; returns early (false) when the server stops. */
bool srv_server_sleep(srv_server *srv, unsigned ms);
/* The connection thread is done with its socket (called before it closes it). */
void srv_slot_release_fd(srv_slot *slot);
/* The connection logged in: its login deadline no longer applies. */
void srv_slot_logged_in(srv_slot *slot);

/* Monotonic milliseconds. */
int64_t srv_now_ms(void);

/* ---- conn.c and the TDS phases: one connection ---- */

typedef struct srv_tds {
    srv_slot *slot;
    srv_instance *inst;
    int fd;
    mk_conn *conn; /* plain until TLS is up, then TLS */
    uint16_t spid;
    char peer[80];
    char peer_addr[SRV_THROTTLE_ADDR_MAX + 1];
    tds_reasm *reasm;
    mk_buf packet; /* one incoming packet */
    mk_buf out;    /* outgoing packets */
    uint32_t packet_size;
    cat_db *db;
    exec_session *session;
    exec_principal who;
    bool client_eof;        /* the client closed the connection in an orderly way */
    bool handshake_pending; /* t->packet holds the first TLS handshake packet */
} srv_tds;

/* Thread entry for one accepted connection (arg: srv_slot *). */
void *srv_conn_main(void *arg);

/*
 * tds_io.c. Read one packet whose type is in `allowed` and whose length is
 * at most max_packet into t->packet. An orderly EOF before the header sets
 * t->client_eof and fails with MK_E_IO.
 */
MK_RESULT srv_tds_read_packet(srv_tds *t, size_t max_packet, uint32_t allowed);
/*
 * Read packets into the reassembler until one whole message is there
 * (readable through tds_reasm_*). Messages the client marked IGNORE are
 * dropped silently.
 */
MK_RESULT srv_tds_read_message(srv_tds *t, size_t max_packet, uint32_t allowed);
/* Packetize msg at t->packet_size as `type` and send it. */
MK_RESULT srv_tds_send(srv_tds *t, uint8_t type, const uint8_t *msg, size_t len);

/* prelogin.c: PRELOGIN exchange and the TLS handshake carried in PRELOGIN packets. */
MK_RESULT srv_tds_prelogin(srv_tds *t);
/* login.c: LOGIN7, authentication (throttled), login response; opens the session. */
MK_RESULT srv_tds_login(srv_tds *t);
/* session.c: requests until the client leaves or the server stops. */
MK_RESULT srv_tds_session(srv_tds *t);

/* sink.c: an exec_sink that encodes results as TDS tokens into a buffer. */
typedef struct srv_sink {
    mk_buf *out;
    const uint8_t *collation;
    const char *server_name;
    bool stmt_failed; /* an encoding problem turned this statement into an error */
} srv_sink;

void srv_sink_init(srv_sink *s, mk_buf *out, const uint8_t *collation, const char *server_name);
exec_sink srv_sink_ops(srv_sink *s);
/* Append an ERROR (class >= 11) or INFO and a final DONE with the error bit. */
MK_RESULT srv_tds_error_reply(mk_buf *out, int32_t number, uint8_t cls, const char *text,
                              const char *server_name);

#endif
