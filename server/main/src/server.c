/*
 * The TDS listener (DESIGN.md "Process model"): one accept thread, a thread
 * per connection with a hard cap, and an orderly stop.
 *
 * Connection slots: a fixed array of max_connections. The accept thread takes
 * a free slot for each connection (over the cap the connection is closed at
 * once and logged), reaping the threads of finished slots first. While a
 * connection thread owns its socket, the slot records the descriptor so that
 * srv_server_stop can shutdown(2) it and wake a thread blocked in a read; the
 * thread unregisters it (under the lock) before closing it, so stop never
 * touches a descriptor number that was reused.
 *
 * Login deadline: besides the per-read timeout on the socket, a connection
 * must be logged in within --login-timeout of being accepted. The accept
 * thread, which wakes every SRV_ACCEPT_POLL_MS anyway, shuts down the socket
 * of any connection past its deadline, so a client trickling bytes cannot
 * hold a slot either.
 */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "mk/log.h"
#include "net/socket.h"

int64_t srv_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool srv_server_stopping(srv_server *srv) { return atomic_load(&srv->stopping); }

bool srv_server_sleep(srv_server *srv, unsigned ms)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&srv->lock);
    int rc = 0;
    while (!atomic_load(&srv->stopping) && rc != ETIMEDOUT) {
        rc = pthread_cond_timedwait(&srv->stop_cond, &srv->lock, &until);
    }
    bool stopped = atomic_load(&srv->stopping);
    pthread_mutex_unlock(&srv->lock);
    return !stopped;
}

void srv_slot_release_fd(srv_slot *slot)
{
    pthread_mutex_lock(&slot->srv->lock);
    slot->fd = -1;
    pthread_mutex_unlock(&slot->srv->lock);
}

void srv_slot_logged_in(srv_slot *slot)
{
    pthread_mutex_lock(&slot->srv->lock);
    slot->login_deadline_ms = 0;
    pthread_mutex_unlock(&slot->srv->lock);
}

/* Cut off connections that are still not logged in after --login-timeout. */
static void enforce_login_deadlines(srv_server *srv)
{
    int64_t now = srv_now_ms();
    pthread_mutex_lock(&srv->lock);
    for (unsigned i = 0; i < srv->max_connections; i++) {
        srv_slot *s = &srv->slots[i];
        if (s->state == SRV_SLOT_RUNNING && s->fd >= 0 && s->login_deadline_ms != 0 &&
            now > s->login_deadline_ms) {
            MK_LOG_INFO("connection %u from %s: not logged in within %d s, closing",
                        SRV_FIRST_SPID + i, s->peer, srv->login_timeout_ms / 1000);
            (void)shutdown(s->fd, SHUT_RDWR);
            s->login_deadline_ms = 0;
        }
    }
    pthread_mutex_unlock(&srv->lock);
}

/* Join the threads of finished slots. Caller holds the lock. */
static void reap_locked(srv_server *srv)
{
    for (unsigned i = 0; i < srv->max_connections; i++) {
        if (srv->slots[i].state == SRV_SLOT_DONE) {
            pthread_join(srv->slots[i].thread, NULL);
            srv->slots[i].state = SRV_SLOT_FREE;
        }
    }
}

/* Hand a new connection to a thread, or refuse it when every slot is busy. */
static void dispatch(srv_server *srv, int fd, const char *peer)
{
    pthread_mutex_lock(&srv->lock);
    reap_locked(srv);
    srv_slot *slot = NULL;
    for (unsigned i = 0; i < srv->max_connections && slot == NULL; i++) {
        if (srv->slots[i].state == SRV_SLOT_FREE) {
            slot = &srv->slots[i];
        }
    }
    if (slot == NULL) {
        pthread_mutex_unlock(&srv->lock);
        MK_LOG_WARN("connection from %s refused: %u connections already open "
                    "(--max-connections)",
                    peer, srv->max_connections);
        close(fd);
        return;
    }
    slot->state = SRV_SLOT_RUNNING;
    slot->fd = fd;
    slot->login_deadline_ms = srv_now_ms() + srv->login_timeout_ms;
    snprintf(slot->peer, sizeof(slot->peer), "%s", peer);
    int rc = pthread_create(&slot->thread, NULL, srv_conn_main, slot);
    if (rc != 0) {
        slot->state = SRV_SLOT_FREE;
        slot->fd = -1;
    }
    pthread_mutex_unlock(&srv->lock);
    if (rc != 0) {
        MK_LOG_ERR("connection from %s closed: cannot start a thread: %s", peer, strerror(rc));
        close(fd);
    }
}

static void *accept_main(void *arg)
{
    srv_server *srv = arg;
    while (!atomic_load(&srv->stopping)) {
        int fd = -1;
        char peer[80] = "";
        if (mk_failed(net_accept(srv->listen_fd, SRV_ACCEPT_POLL_MS, &fd, peer, sizeof(peer)))) {
            mk_log_error_result(MK_LOG_ERROR, "tds accept");
            (void)srv_server_sleep(srv, SRV_ACCEPT_POLL_MS); /* e.g. out of descriptors */
        } else if (fd >= 0) {
            dispatch(srv, fd, peer);
        }
        enforce_login_deadlines(srv);
    }
    return NULL;
}

static void log_listening(const char *host, uint16_t port)
{
    if (host[0] == '\0') {
        MK_LOG_INFO("tds listening on *:%u", port);
    } else if (strchr(host, ':') != NULL) {
        MK_LOG_INFO("tds listening on [%s]:%u", host, port);
    } else {
        MK_LOG_INFO("tds listening on %s:%u", host, port);
    }
}

MK_RESULT srv_server_start(srv_server *srv, srv_instance *inst, const srv_run_args *args)
{
    const unsigned max_connections = args->max_connections;
    char host[256];
    uint16_t port = 0;
    uint16_t bound = 0;
    memset(srv, 0, sizeof(*srv));
    srv->inst = inst;
    srv->listen_fd = -1;
    srv->max_connections = max_connections;
    srv->login_timeout_ms = (int)(args->login_timeout_s * 1000u);
    atomic_init(&srv->stopping, false);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&srv->stop_cond, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&srv->lock, NULL);
    srv->slots = calloc(max_connections, sizeof(srv_slot));
    ENSURE(srv->slots != NULL, MK_E_NOMEM);
    for (unsigned i = 0; i < max_connections; i++) {
        srv->slots[i].srv = srv;
        srv->slots[i].index = i;
        srv->slots[i].fd = -1;
    }
    GUARD(net_parse_hostport(args->listen, host, sizeof(host), &port));
    if (mk_failed(net_listen(host, port, &srv->listen_fd, &bound))) {
        mk_error_context("tds listener");
        return MK_ERR;
    }
    log_listening(host, bound);
    int rc = pthread_create(&srv->accept_thread, NULL, accept_main, srv);
    ENSURE_MSG(rc == 0, MK_E_INTERNAL, "cannot start the accept thread: %s", strerror(rc));
    srv->accept_started = true;
    return MK_OK;
}

void srv_server_stop(srv_server *srv)
{
    pthread_mutex_lock(&srv->lock);
    atomic_store(&srv->stopping, true);
    pthread_cond_broadcast(&srv->stop_cond);
    pthread_mutex_unlock(&srv->lock);
    if (srv->accept_started) {
        pthread_join(srv->accept_thread, NULL);
        srv->accept_started = false;
    }
    if (srv->listen_fd >= 0) {
        close(srv->listen_fd);
        srv->listen_fd = -1;
    }
    if (srv->slots == NULL) {
        goto done;
    }
    /* No new slots from here on; wake every connection and wait for it. */
    pthread_mutex_lock(&srv->lock);
    unsigned open = 0;
    for (unsigned i = 0; i < srv->max_connections; i++) {
        if (srv->slots[i].state == SRV_SLOT_RUNNING && srv->slots[i].fd >= 0) {
            (void)shutdown(srv->slots[i].fd, SHUT_RDWR);
            open++;
        }
    }
    pthread_mutex_unlock(&srv->lock);
    if (open > 0) {
        MK_LOG_INFO("closing %u open connection(s)", open);
    }
    for (unsigned i = 0; i < srv->max_connections; i++) {
        pthread_mutex_lock(&srv->lock);
        int state = srv->slots[i].state;
        pthread_mutex_unlock(&srv->lock);
        if (state != SRV_SLOT_FREE) {
            pthread_join(srv->slots[i].thread, NULL);
            srv->slots[i].state = SRV_SLOT_FREE;
        }
    }
    free(srv->slots);
    srv->slots = NULL;
done:
    pthread_mutex_destroy(&srv->lock);
    pthread_cond_destroy(&srv->stop_cond);
}
