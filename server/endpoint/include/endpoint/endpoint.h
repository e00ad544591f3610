/*
 * The DATABASE_MIRRORING endpoint of one instance (docs/endpoint.md).
 *
 * An ep_manager owns the listener, the outbound connections and the
 * registry of live connections. It reads everything from the catalog: the
 * endpoint row (port, ip, state, role, certificate), our certificate (its
 * private key stays on the token and is used through the mirrorkey provider
 * by pkcs11: URI), and for every peer the certificate (exact DER), its
 * owner user, that user's login and CONNECT on the endpoint.
 *
 * Transport: server/net's NET_TLS_ENDPOINT profile (TLS 1.3, AES-GCM,
 * certificates on both sides); the peer certificate is checked against the
 * catalog after the handshake, then HELLO / ACCEPT | REJECT, then frames
 * with heartbeats (endpoint/frame.h, endpoint/hello.h).
 *
 * Threads: one accept thread while listening, one thread per connection.
 * The manager has its own catalog handle (opened from catalog_path) guarded
 * by a mutex; callers keep their own handles. All functions are safe to
 * call from any thread. The process must ignore SIGPIPE (mirrorkeyd does):
 * TLS writes to a peer that went away must fail, not kill the process.
 */
#ifndef EP_ENDPOINT_H
#define EP_ENDPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/types.h>

#include "catalog/catalog.h"
#include "catalog/connections.h"
#include "endpoint/control.h"
#include "endpoint/hello.h"
#include "mk/result.h"
#include "p11/token.h"

typedef struct ep_manager ep_manager;

typedef struct ep_config {
    const char *instance_name; /* sent in HELLO / ACCEPT (1..EP_NAME_MAX bytes) */
    const char *catalog_path;  /* the instance's catalog; the manager opens its own handle */
    p11_token *token;          /* referenced; our keys are found on it by CKA_ID */
    OSSL_LIB_CTX *libctx;      /* default + mirrorkey providers; borrowed, must outlive */
    /* Query appended to our key URI for the provider ("module-path=...&pin-source=file:..."). */
    const char *key_uri_query;
    int heartbeat_ms;         /* send a heartbeat after this much send silence; 0 = 1000 */
    int idle_timeout_ms;      /* close after this much receive silence; 0 = 4 heartbeats */
    int handshake_timeout_ms; /* TLS + HELLO, and any one blocking read/write; 0 = 5000 */
    unsigned max_connections; /* inbound + outbound; 0 = 64, at most 256 */
} ep_config;

/* Why ep_manager_apply failed (beyond the mk_err), with SQL Server's number. */
typedef enum ep_apply_error {
    EP_APPLY_OK = 0,
    EP_APPLY_PORT_IN_USE = 7890, /* MK_E_EXISTS: the port is bound by someone else */
    EP_APPLY_NO_CERT = 28036,    /* MK_E_NOT_FOUND: the endpoint names no usable certificate */
    EP_APPLY_BAD_CERT = 28055,   /* MK_E_POLICY: outside its validity, or its key unusable */
    EP_APPLY_OTHER = -1,         /* catalog, token (MK_E_TOKEN_LOST), socket errors */
} ep_apply_error;

/*
 * A manager with nothing listening yet. Errors: MK_E_INVALID (config),
 * catalog open errors, MK_E_NOMEM. *out is the caller's (ep_manager_free).
 */
MK_RESULT ep_manager_new(const ep_config *cfg, ep_manager **out);

/* Stop listening, close every connection, join all threads. Accepts NULL. */
void ep_manager_free(ep_manager *m);

/*
 * Make the running endpoint match the catalog's endpoint row, at once:
 * no row or DISABLED → not listening; STARTED / STOPPED → listening on
 * LISTENER_IP:LISTENER_PORT (STOPPED refuses every connection with REJECT
 * STOPPED after the TLS handshake); a new port or address moves the
 * listener; a new certificate reloads our identity. On failure the endpoint
 * does not listen, the reason is logged with SQL Server's number, and
 * *why (may be NULL) says which (ep_apply_error). Live connections are
 * re-checked afterwards (ep_manager_recheck).
 */
MK_RESULT ep_manager_apply(ep_manager *m, ep_apply_error *why);

/*
 * Re-check every live connection against the catalog (certificate still
 * there, owner's login enabled with CONNECT and no DENY, endpoint STARTED,
 * role admitted) and close those that fail; each is logged with its number.
 * They are gone within a second. Errors: catalog errors (nothing closed).
 */
MK_RESULT ep_manager_recheck(ep_manager *m);

/*
 * What the executor's change hook calls after any security DDL commits:
 * apply the endpoint row (errors are logged) and re-check connections.
 */
void ep_manager_changed(ep_manager *m);

/* The port actually listened on, 0 when not listening. */
uint16_t ep_manager_port(ep_manager *m);

/*
 * Connect out to host:port as `role`: TLS with our certificate, check the
 * acceptor's certificate against our catalog (28035 / 28055 / 28034, as for
 * inbound), HELLO, and on ACCEPT a live connection with heartbeats.
 * id_out (may be NULL, 37 bytes) gets its connection_id. Needs our endpoint
 * STARTED. Errors: MK_E_STATE (endpoint not started), MK_E_IO (connect,
 * TLS), MK_E_PERM (our check of the acceptor failed, or it sent REJECT;
 * the message names the reason), MK_E_INVALID (protocol).
 */
MK_RESULT ep_connect(ep_manager *m, const char *host, uint16_t port, ep_hello_role role,
                     char *id_out);

/* Close one live connection by id. MK_E_NOT_FOUND when it is not live. */
MK_RESULT ep_close(ep_manager *m, const char *id);

/* Whether connection id is live and logged in. */
bool ep_is_logged_in(ep_manager *m, const char *id);

/* Number of logged-in connections (inbound when is_accept, else outbound). */
size_t ep_count_logged_in(ep_manager *m, bool is_accept);

/*
 * Kept links (what a mirroring session needs from the endpoint): keep one
 * authenticated outbound connection to `address` ('TCP://host:port', see
 * endpoint/address.h) as `role`. A keeper thread connects (ep_connect), and
 * whenever the connection is refused or closes it tries again after a
 * backoff that starts at 250 ms and doubles to 8 s, back to 250 ms after a
 * login. Adding an address that is already kept is MK_E_EXISTS; at most
 * EP_MAX_LINKS links. Errors: address parse errors, MK_E_NOMEM.
 */
#define EP_MAX_LINKS 16
MK_RESULT ep_link_add(ep_manager *m, const char *address, ep_hello_role role);
/* Stop keeping address and close its connection. MK_E_NOT_FOUND when not kept. */
MK_RESULT ep_link_remove(ep_manager *m, const char *address);
/* Whether the kept link to address is logged in right now. */
bool ep_link_up(ep_manager *m, const char *address);
/* How many times the keeper of address has logged in (0 when not kept). */
unsigned ep_link_logins(ep_manager *m, const char *address);

/*
 * Mirroring sessions (docs/endpoint.md "Sessions"). The catalog's databases
 * say which sessions exist; the endpoint keeps the links they need:
 * a joined session keeps a PARTNER link to its partner's address and, with
 * a witness, a WITNESS link to the witness's address. ep_sessions_sync
 * makes the kept links match the catalog at once (adding, removing, or
 * changing a link's role); mirrorkeyd calls it at start and after every
 * catalog change. Errors: catalog errors (links unchanged).
 */
MK_RESULT ep_sessions_sync(ep_manager *m);

/*
 * One session request to the instance at address ('TCP://host:port'):
 * log in as role (ep_dial: TLS, our check of the acceptor, HELLO/ACCEPT),
 * send req as a CONTROL frame and wait for its RESULT in *answer, then
 * hang up. req NULL: log in and hang up (a probe). peer_instance (may be
 * NULL, EP_NAME_MAX + 1 bytes) gets the acceptor's instance name and
 * *peer_cert_id (may be NULL) the id in our catalog of the certificate it
 * presented (0 when it is ourselves); when it is our own instance (its
 * name, or our own certificate) the request is not sent and *answer says 0
 * (the caller refuses a partner that is itself). Errors: address errors,
 * ep_connect's (MK_E_STATE our endpoint not started, MK_E_IO, MK_E_PERM),
 * MK_E_INVALID (an answer that is not a RESULT).
 */
MK_RESULT ep_session_request(ep_manager *m, const char *address, ep_hello_role role,
                             const ep_control *req, ep_control *answer, char *peer_instance,
                             int32_t *peer_cert_id);

/* The link source for sys.database_mirroring (cat_set_link_source): ep_link_up. */
bool ep_link_source(void *manager, const char *address);

/*
 * Whether the endpoint could listen on ip ("" = ALL):port: MK_OK when the
 * port is free or is the one our listener holds, MK_E_EXISTS when another
 * process holds it (SQL Server's 7890), MK_E_IO otherwise.
 */
MK_RESULT ep_manager_port_check(ep_manager *m, const char *ip, int port);

/*
 * The source behind sys.dm_db_mirroring_connections: register it on every
 * catalog handle that may query the view (cat_set_conn_source(db,
 * ep_conn_source, m)). Lists every live connection.
 */
mk_result ep_conn_source(void *manager, cat_conn_sink *sink);

#endif
