/*
 * sys.dm_db_mirroring_connections is live state owned by the endpoint
 * layer, not stored in SQLite. The endpoint layer registers a source
 * callback on each cat_db; when the view is queried the catalog calls it
 * with a sink and the callback adds one cat_mirror_conn per live connection
 * (taking whatever lock it needs). No source: the view is empty.
 */
#ifndef CAT_CONNECTIONS_H
#define CAT_CONNECTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "catalog/catalog.h"
#include "mk/result.h"

/* A datetime column value meaning NULL. */
#define CAT_NO_TIME INT64_MIN

/* One live connection; strings are borrowed and may be NULL (shown as NULL). */
typedef struct cat_mirror_conn {
    const char *connection_id;         /* GUID text */
    int state;                         /* 1 NEW, 2 CONNECTING, 3 CONNECTED, 4 LOGGED_IN, 5 CLOSED */
    int64_t connect_time;              /* ms since epoch or CAT_NO_TIME */
    int64_t login_time;                /* likewise */
    const char *authentication_method; /* "CERTIFICATE" */
    const char *principal_name;        /* the peer's login */
    const char *remote_user_name;
    int64_t last_activity_time;
    bool is_accept;              /* inbound */
    int login_state;             /* 0..13 as SQL Server documents */
    int32_t peer_certificate_id; /* 0 = NULL */
    int encryption_algorithm;    /* 0..8 like the endpoint's */
    int64_t total_bytes_sent;
    int64_t total_bytes_received;
    int64_t total_sends;
    int64_t total_receives;
} cat_mirror_conn;

typedef struct cat_conn_sink cat_conn_sink;

/* Add one connection to the result (values are copied). */
MK_RESULT cat_conn_sink_add(cat_conn_sink *sink, const cat_mirror_conn *c);

/* The source: add every live connection; a failure fails the query. */
typedef mk_result (*cat_conn_source_fn)(void *ctx, cat_conn_sink *sink);

/* Register (or with fn NULL, remove) the source for this cat_db. */
void cat_set_conn_source(cat_db *db, cat_conn_source_fn fn, void *ctx);

/*
 * sys.database_mirroring's live columns (mirroring_state, the witness
 * state) come from the endpoint layer's kept links: the view asks this
 * source whether the link to a 'TCP://host:port' address is logged in right
 * now. It must not call back into this cat_db. No source: every link is
 * down (DISCONNECTED).
 */
typedef bool (*cat_link_state_fn)(void *ctx, const char *address);

/* Register (or with fn NULL, remove) the link source for this cat_db. */
void cat_set_link_source(cat_db *db, cat_link_state_fn fn, void *ctx);

#endif
