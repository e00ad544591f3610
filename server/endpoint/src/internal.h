/*
 * Private structures of the endpoint layer, shared by its files:
 * manager.c (config, apply), session.c (mirroring sessions), identity.c (our certificate, key and
 * TLS contexts), auth.c (catalog checks), registry.c (live connections, the dm view, re-check),
 * listener.c (accept thread, inbound login), connector.c (outbound login) and link.c (the framed
 * loop with heartbeats).
 *
 * Locks: m->lock guards the registry, the endpoint row copy, the identity
 * pointer and counters; m->db_lock guards m->db; reap_lock keeps connections
 * from being freed during a re-check. Order: apply_lock, reap_lock, lock,
 * db_lock (auth takes db_lock alone); sync_lock comes before all of them.
 */
#ifndef EP_INTERNAL_H
#define EP_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "catalog/certs.h"
#include "catalog/endpoints.h"
#include "endpoint/address.h"
#include "endpoint/endpoint.h"
#include "endpoint/frame.h"
#include "net/conn.h"
#include "net/tls.h"
#include "p11/key.h"

#define EP_ID_LEN 36
#define EP_TICK_MS 100
#define EP_ADDR_MAX 64
/* Hard cap on live connections (the re-check snapshots at most this many). */
#define EP_MAX_CONNECTIONS 256

/* Our side: the endpoint's certificate, its token key and TLS contexts (refcounted). */
typedef struct ep_identity {
    int refs; /* under m->lock */
    int32_t certificate_id;
    char cert_name[CAT_NAME_MAX + 1];
    int64_t not_before, not_after;
    p11_key *key;
    net_tls_ctx *server;
    net_tls_ctx *client;
} ep_identity;

/* What the catalog says about an authenticated peer. */
typedef struct ep_peer {
    int32_t cert_id;
    char cert_name[CAT_NAME_MAX + 1];
    char user_name[CAT_NAME_MAX + 1];
    char login_name[CAT_NAME_MAX + 1];
} ep_peer;

/* One live connection (inbound or outbound). */
typedef struct ep_conn {
    struct ep_conn *next;
    ep_manager *m;
    char id[EP_ID_LEN + 1];
    char addr[EP_ADDR_MAX];
    bool is_accept;
    int fd;            /* the socket, polled by the connection's thread; -1 when none */
    mk_conn *conn;     /* owned by the connection's thread */
    uint8_t *peer_der; /* the peer certificate, set before login, then immutable */
    size_t peer_der_len;
    uint8_t role; /* requested (inbound) or our (outbound) HELLO role */
    char peer_instance[EP_NAME_MAX + 1];
    ep_peer peer;
    /* Under m->lock: */
    int state;       /* cat_mirror_conn.state codes */
    int login_state; /* 0 INITIAL, 12 ONLINE, 13 ERROR */
    int64_t connect_time, login_time, last_activity;
    int64_t bytes_sent, bytes_recv, sends, recvs;
    char close_reason[160];
    atomic_bool close_requested;
    atomic_bool finished;
    pthread_t thread;
    bool has_thread;
} ep_conn;

/* A kept link as ep_links_list reports it. */
typedef struct ep_link_info {
    char address[EP_ADDR_MAX + EP_HOST_MAX];
    ep_hello_role role;
} ep_link_info;

/* A kept outbound link (keeper.c). */
typedef struct ep_keeper {
    struct ep_keeper *next;
    ep_manager *m;
    char address[EP_ADDR_MAX + EP_HOST_MAX];
    char host[EP_HOST_MAX + 1];
    uint16_t port;
    ep_hello_role role;
    atomic_bool stop;
    atomic_bool up;
    atomic_uint logins;
    pthread_t thread;
} ep_keeper;

struct ep_manager {
    char instance[EP_NAME_MAX + 1];
    p11_token *token;
    OSSL_LIB_CTX *libctx;
    char *key_uri_query;
    int heartbeat_ms, idle_timeout_ms, handshake_timeout_ms;
    unsigned max_connections;

    pthread_mutex_t db_lock;
    cat_db *db;

    pthread_mutex_t apply_lock; /* one apply at a time */
    pthread_mutex_t reap_lock;  /* held while connections are freed or re-checked */
    pthread_mutex_t lock;
    bool have_ep;
    cat_endpoint ep;    /* copy of the row last applied */
    ep_identity *ident; /* NULL when not listening */
    ep_conn *conns;
    unsigned nconns;
    bool token_down; /* last health check failed (for logging transitions) */

    ep_keeper *keepers; /* under lock */
    unsigned nkeepers;
    pthread_mutex_t sync_lock; /* one ep_sessions_sync at a time; taken before all others */
    atomic_bool closing;       /* ep_manager_free started: no new kept links */

    /* Listener (owned by apply). */
    int lfd;
    uint16_t port;
    char ip[46];
    pthread_t lthread;
    bool listening;
    atomic_bool lstop;
};

int64_t ep_now_ms(void);

/* identity.c */
MK_RESULT ep_identity_load(ep_manager *m, const cat_endpoint *ep, ep_identity **out,
                           ep_apply_error *why);
ep_identity *ep_identity_get(ep_manager *m); /* a reference to the current one, or NULL */
void ep_identity_put(ep_manager *m, ep_identity *id);
/* Sign a test digest with our key: fails closed when the token is gone (logged on change). */
MK_RESULT ep_identity_health(ep_manager *m, ep_identity *id);

/* auth.c: the catalog check of a peer certificate. *sql_error gets 28034/28035/28055. */
MK_RESULT ep_auth_peer(ep_manager *m, const uint8_t *der, size_t len, ep_peer *out, int *sql_error);
/* Log a refused (or, live, a dropped) peer with its number and the recorded reason. */
void ep_auth_log(ep_manager *m, int sql_error, const char *where, const char *addr, bool live);

/* registry.c */
MK_RESULT ep_conn_new(ep_manager *m, bool is_accept, const char *addr, int fd, ep_conn **out);
/*
 * Add to the registry and start fn(c) on its own thread; from then on the
 * registry frees c once fn has called ep_conn_finish. MK_E_STATE when full,
 * MK_E_NOMEM without a thread; on failure the caller still owns c.
 */
MK_RESULT ep_conn_start(ep_manager *m, ep_conn *c, void *(*fn)(void *));
void ep_conn_free(ep_conn *c);
/* Join and free finished connections. */
void ep_reap(ep_manager *m);
void ep_conn_request_close(ep_conn *c, const char *reason);
/* The connection's thread is done: close it and mark it for ep_reap. */
void ep_conn_finish(ep_conn *c);
void ep_conn_set_logged_in(ep_conn *c);
void ep_conn_count(ep_conn *c, bool sent, size_t bytes);

/* link.c: frame I/O and the loop run by each connection's thread after login. */
MK_RESULT ep_send_frame(ep_conn *c, uint8_t type, const uint8_t *payload, size_t len);
/* Read one frame into body (cap per type); *h gets its header. */
MK_RESULT ep_recv_frame(ep_conn *c, ep_frame_header *h, mk_buf *body);
void ep_link_run(ep_conn *c);
/* Thread body: runs the loop then marks the connection finished. */
void *ep_link_thread(void *arg);

/* keeper.c: stop and join every keeper (manager shutdown). */
void ep_keepers_stop_all(ep_manager *m);
/* Copy up to cap kept links; returns how many there are (may exceed cap). */
size_t ep_links_list(ep_manager *m, ep_link_info *out, size_t cap);

/* connector.c: connect, TLS, check the acceptor, HELLO / ACCEPT; not started, not registered. */
MK_RESULT ep_dial(ep_manager *m, const char *host, uint16_t port, ep_hello_role role,
                  ep_conn **out);

/* session.c: a CONTROL frame received on an inbound connection; answers it with a RESULT. */
MK_RESULT ep_session_handle(ep_conn *c, const uint8_t *body, size_t len);

/* listener.c */
MK_RESULT ep_listener_start(ep_manager *m, const char *ip, uint16_t port);
void ep_listener_stop(ep_manager *m);

#endif
