/*
 * The registry of live connections: creation and release, the counters and
 * states sys.dm_db_mirroring_connections shows (ep_conn_source), the
 * re-check that closes connections the catalog no longer allows, and
 * joining finished connection threads.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <openssl/rand.h>

#include "mk/log.h"

int64_t ep_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A random (version 4) GUID in SQL Server's text form. */
static MK_RESULT make_guid(char out[EP_ID_LEN + 1])
{
    uint8_t b[16];
    ENSURE_MSG(RAND_bytes(b, sizeof(b)) == 1, MK_E_CRYPTO, "no random bytes for a connection id");
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
    snprintf(out, EP_ID_LEN + 1,
             "%02X%02X%02X%02X-%02X%02X-%02X%02X-%02X%02X-%02X%02X%02X%02X%02X%02X", b[0], b[1],
             b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
             b[15]);
    return MK_OK;
}

MK_RESULT ep_conn_new(ep_manager *m, bool is_accept, const char *addr, int fd, ep_conn **out)
{
    ep_conn *c = calloc(1, sizeof(*c));
    ENSURE(c != NULL, MK_E_NOMEM);
    if (mk_failed(make_guid(c->id))) {
        free(c);
        return MK_ERR;
    }
    c->m = m;
    c->is_accept = is_accept;
    c->fd = fd;
    snprintf(c->addr, sizeof(c->addr), "%s", addr);
    c->state = 2; /* CONNECTING */
    c->connect_time = ep_now_ms();
    c->last_activity = c->connect_time;
    atomic_init(&c->close_requested, false);
    atomic_init(&c->finished, false);
    *out = c;
    return MK_OK;
}

void ep_conn_free(ep_conn *c)
{
    if (c == NULL) {
        return;
    }
    net_conn_free(c->conn);
    free(c->peer_der);
    free(c);
}

MK_RESULT ep_conn_start(ep_manager *m, ep_conn *c, void *(*fn)(void *))
{
    /*
     * Under the lock, so that ep_reap (which checks `finished` under it)
     * never sees this connection before has_thread is set.
     */
    pthread_mutex_lock(&m->lock);
    bool full = m->nconns >= m->max_connections;
    bool started = !full && pthread_create(&c->thread, NULL, fn, c) == 0;
    if (started) {
        c->has_thread = true;
        c->next = m->conns;
        m->conns = c;
        m->nconns++;
    }
    pthread_mutex_unlock(&m->lock);
    ENSURE_MSG(!full, MK_E_STATE, "too many endpoint connections (%u)", m->max_connections);
    ENSURE_MSG(started, MK_E_NOMEM, "no thread for an endpoint connection");
    return MK_OK;
}

void ep_reap(ep_manager *m)
{
    ep_conn *done = NULL;
    pthread_mutex_lock(&m->reap_lock);
    pthread_mutex_lock(&m->lock);
    for (ep_conn **pp = &m->conns; *pp != NULL;) {
        ep_conn *c = *pp;
        if (atomic_load(&c->finished)) {
            *pp = c->next;
            m->nconns--;
            c->next = done;
            done = c;
        } else {
            pp = &c->next;
        }
    }
    pthread_mutex_unlock(&m->lock);
    while (done != NULL) {
        ep_conn *c = done;
        done = c->next;
        if (c->has_thread) {
            pthread_join(c->thread, NULL);
        }
        ep_conn_free(c);
    }
    pthread_mutex_unlock(&m->reap_lock);
}

void ep_conn_finish(ep_conn *c)
{
    pthread_mutex_lock(&c->m->lock);
    c->state = 5;        /* CLOSED */
    c->login_state = 13; /* ERROR: no longer online */
    c->fd = -1;
    pthread_mutex_unlock(&c->m->lock);
    net_conn_free(c->conn);
    c->conn = NULL;
    atomic_store(&c->finished, true);
}

void ep_conn_request_close(ep_conn *c, const char *reason)
{
    pthread_mutex_lock(&c->m->lock);
    if (!atomic_load(&c->close_requested)) {
        snprintf(c->close_reason, sizeof(c->close_reason), "%s", reason);
        atomic_store(&c->close_requested, true);
    }
    pthread_mutex_unlock(&c->m->lock);
}

void ep_conn_set_logged_in(ep_conn *c)
{
    pthread_mutex_lock(&c->m->lock);
    c->state = 4;        /* LOGGED_IN */
    c->login_state = 12; /* ONLINE */
    c->login_time = ep_now_ms();
    pthread_mutex_unlock(&c->m->lock);
}

void ep_conn_count(ep_conn *c, bool sent, size_t bytes)
{
    pthread_mutex_lock(&c->m->lock);
    if (sent) {
        c->bytes_sent += (int64_t)bytes;
        c->sends++;
    } else {
        c->bytes_recv += (int64_t)bytes;
        c->recvs++;
        c->last_activity = ep_now_ms();
    }
    pthread_mutex_unlock(&c->m->lock);
}

mk_result ep_conn_source(void *manager, cat_conn_sink *sink)
{
    ep_manager *m = manager;
    mk_result r = MK_OK;
    pthread_mutex_lock(&m->lock);
    for (ep_conn *c = m->conns; c != NULL && mk_ok(r); c = c->next) {
        bool in = c->state == 4;
        cat_mirror_conn row = {
            .connection_id = c->id,
            .state = atomic_load(&c->finished) ? 5 : c->state,
            .connect_time = c->connect_time,
            .login_time = in ? c->login_time : CAT_NO_TIME,
            .authentication_method = "CERTIFICATE",
            .principal_name = in ? c->peer.user_name : NULL,
            .remote_user_name = NULL,
            .last_activity_time = c->last_activity,
            .is_accept = c->is_accept,
            .login_state = c->login_state,
            .peer_certificate_id = in ? c->peer.cert_id : 0,
            .encryption_algorithm = CAT_EP_ALG_AES,
            .total_bytes_sent = c->bytes_sent,
            .total_bytes_received = c->bytes_recv,
            .total_sends = c->sends,
            .total_receives = c->recvs,
        };
        r = cat_conn_sink_add(sink, &row);
    }
    pthread_mutex_unlock(&m->lock);
    return r;
}

/* Whether the endpoint row still admits a connection of this direction and role. */
static bool endpoint_admits(const ep_manager *m, const ep_conn *c, const char **why)
{
    if (!m->have_ep) {
        *why = "the endpoint was dropped";
        return false;
    }
    if (m->ep.state != CAT_EP_STARTED) {
        *why = "the endpoint is not STARTED";
        return false;
    }
    bool role_ok = m->ep.role == CAT_EP_ALL ||
                   (c->role == EP_HELLO_PARTNER && m->ep.role == CAT_EP_PARTNER) ||
                   (c->role == EP_HELLO_WITNESS && m->ep.role == CAT_EP_WITNESS);
    if (c->is_accept && !role_ok) {
        *why = "the endpoint's ROLE no longer admits the peer's role";
        return false;
    }
    return true;
}

/* Snapshot of a logged-in connection taken under the lock, checked without it. */
typedef struct recheck_item {
    ep_conn *c;
    uint8_t *der;
    size_t len;
} recheck_item;

MK_RESULT ep_manager_recheck(ep_manager *m)
{
    recheck_item items[EP_MAX_CONNECTIONS];
    size_t n = 0;
    pthread_mutex_lock(&m->reap_lock);
    pthread_mutex_lock(&m->lock);
    for (ep_conn *c = m->conns; c != NULL; c = c->next) {
        const char *why = NULL;
        if (c->state != 4 || atomic_load(&c->close_requested)) {
            continue;
        }
        if (!endpoint_admits(m, c, &why)) {
            MK_LOG_WARN("endpoint %s: closing %s connection %s (%s, certificate '%s'): %s",
                        m->instance, c->is_accept ? "inbound" : "outbound", c->id, c->addr,
                        c->peer.cert_name, why);
            snprintf(c->close_reason, sizeof(c->close_reason), "%s", why);
            atomic_store(&c->close_requested, true);
        } else if (n < sizeof(items) / sizeof(items[0])) {
            items[n++] = (recheck_item){c, c->peer_der, c->peer_der_len};
        }
    }
    pthread_mutex_unlock(&m->lock);
    /* The connections cannot be freed meanwhile: ep_reap waits for reap_lock. */
    for (size_t i = 0; i < n; i++) {
        ep_peer now;
        int sql_error = 0;
        if (mk_ok(ep_auth_peer(m, items[i].der, items[i].len, &now, &sql_error))) {
            continue;
        }
        ep_conn *c = items[i].c;
        ep_auth_log(m, sql_error, c->is_accept ? "inbound" : "outbound", c->addr, true);
        ep_conn_request_close(c, "the catalog no longer allows this peer");
    }
    pthread_mutex_unlock(&m->reap_lock);
    return MK_OK;
}

MK_RESULT ep_close(ep_manager *m, const char *id)
{
    bool found = false;
    pthread_mutex_lock(&m->lock);
    for (ep_conn *c = m->conns; c != NULL; c = c->next) {
        if (strcmp(c->id, id) == 0 && !atomic_load(&c->finished)) {
            found = true;
            snprintf(c->close_reason, sizeof(c->close_reason), "closed locally");
            atomic_store(&c->close_requested, true);
        }
    }
    pthread_mutex_unlock(&m->lock);
    ENSURE_MSG(found, MK_E_NOT_FOUND, "no live connection %s", id);
    return MK_OK;
}

bool ep_is_logged_in(ep_manager *m, const char *id)
{
    bool yes = false;
    pthread_mutex_lock(&m->lock);
    for (ep_conn *c = m->conns; c != NULL; c = c->next) {
        if (strcmp(c->id, id) == 0) {
            yes = c->state == 4 && !atomic_load(&c->finished);
        }
    }
    pthread_mutex_unlock(&m->lock);
    return yes;
}

size_t ep_count_logged_in(ep_manager *m, bool is_accept)
{
    size_t n = 0;
    pthread_mutex_lock(&m->lock);
    for (ep_conn *c = m->conns; c != NULL; c = c->next) {
        if (c->is_accept == is_accept && c->state == 4 && !atomic_load(&c->finished)) {
            n++;
        }
    }
    pthread_mutex_unlock(&m->lock);
    return n;
}
