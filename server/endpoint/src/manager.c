/*
 * The endpoint manager: configuration, the catalog handle, and apply —
 * making the listener and our identity match the catalog's endpoint row at
 * once (start, stop, move, DISABLED, dropped, new certificate) — plus the
 * orderly shutdown that closes every connection and joins every thread.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mk/log.h"

MK_RESULT ep_manager_new(const ep_config *cfg, ep_manager **out)
{
    ENSURE_MSG(cfg->instance_name != NULL && cfg->instance_name[0] != '\0' &&
                   strlen(cfg->instance_name) <= EP_NAME_MAX,
               MK_E_INVALID, "endpoint: bad instance name");
    ENSURE_MSG(cfg->catalog_path != NULL && cfg->token != NULL && cfg->libctx != NULL, MK_E_INVALID,
               "endpoint: catalog, token and library context are required");
    ep_manager *m = calloc(1, sizeof(*m));
    ENSURE(m != NULL, MK_E_NOMEM);
    snprintf(m->instance, sizeof(m->instance), "%s", cfg->instance_name);
    m->key_uri_query = strdup(cfg->key_uri_query != NULL ? cfg->key_uri_query : "");
    if (m->key_uri_query == NULL) {
        free(m);
        BAIL(MK_E_NOMEM);
    }
    if (mk_failed(cat_open(cfg->catalog_path, 0, &m->db))) {
        free(m->key_uri_query);
        free(m);
        return MK_ERR;
    }
    m->token = p11_token_ref(cfg->token);
    m->libctx = cfg->libctx;
    m->heartbeat_ms = cfg->heartbeat_ms > 0 ? cfg->heartbeat_ms : 1000;
    m->idle_timeout_ms = cfg->idle_timeout_ms > 0 ? cfg->idle_timeout_ms : 4 * m->heartbeat_ms;
    m->handshake_timeout_ms = cfg->handshake_timeout_ms > 0 ? cfg->handshake_timeout_ms : 5000;
    m->max_connections = cfg->max_connections > 0 ? cfg->max_connections : 64;
    if (m->max_connections > EP_MAX_CONNECTIONS) {
        m->max_connections = EP_MAX_CONNECTIONS;
    }
    m->lfd = -1;
    pthread_mutex_init(&m->db_lock, NULL);
    pthread_mutex_init(&m->apply_lock, NULL);
    pthread_mutex_init(&m->reap_lock, NULL);
    pthread_mutex_init(&m->lock, NULL);
    pthread_mutex_init(&m->sync_lock, NULL);
    atomic_init(&m->lstop, false);
    atomic_init(&m->closing, false);
    *out = m;
    return MK_OK;
}

/* Publish the row and identity (NULL: none) under the lock; drop the old identity. */
static void publish(ep_manager *m, const cat_endpoint *ep, ep_identity *id, bool replace_id)
{
    ep_identity *old = NULL;
    pthread_mutex_lock(&m->lock);
    m->have_ep = ep != NULL;
    if (ep != NULL) {
        m->ep = *ep;
    }
    if (replace_id) {
        old = m->ident;
        m->ident = id;
    }
    pthread_mutex_unlock(&m->lock);
    ep_identity_put(m, old);
}

/* Listen where the row says, moving the listener if needed. */
static MK_RESULT place_listener(ep_manager *m, const cat_endpoint *ep, ep_apply_error *why)
{
    uint16_t port = (uint16_t)ep->port;
    if (m->listening && m->port == port && strcmp(m->ip, ep->ip_address) == 0) {
        return MK_OK;
    }
    ep_listener_stop(m);
    if (mk_failed(ep_listener_start(m, ep->ip_address, port))) {
        bool in_use = mk_error_code() == MK_E_EXISTS;
        *why = in_use ? EP_APPLY_PORT_IN_USE : EP_APPLY_OTHER;
        MK_LOG_ERR("endpoint %s/%s: %scannot listen on %s:%u: %s; the endpoint does not start",
                   m->instance, ep->name, in_use ? "error 7890: " : "",
                   ep->ip_address[0] != '\0' ? ep->ip_address : "ALL", (unsigned)port,
                   mk_error_message());
        return MK_ERR;
    }
    MK_LOG_INFO("endpoint %s/%s: listening on %s:%u (%s)", m->instance, ep->name,
                ep->ip_address[0] != '\0' ? ep->ip_address : "ALL", (unsigned)m->port,
                ep->state == CAT_EP_STARTED ? "STARTED" : "STOPPED: refusing connections");
    return MK_OK;
}

static MK_RESULT apply_locked(ep_manager *m, ep_apply_error *why)
{
    cat_endpoint ep;
    bool found = false;
    pthread_mutex_lock(&m->db_lock);
    mk_result r = cat_endpoint_get_mirroring(m->db, &ep, &found);
    pthread_mutex_unlock(&m->db_lock);
    GUARD(r);
    if (!found || ep.state == CAT_EP_DISABLED) {
        if (m->listening) {
            MK_LOG_INFO("endpoint %s/%s: %s; not listening", m->instance,
                        found ? ep.name : "(dropped)", found ? "DISABLED" : "dropped");
        }
        ep_listener_stop(m);
        publish(m, found ? &ep : NULL, NULL, true);
        *why = EP_APPLY_OK;
        return MK_OK;
    }
    ep_identity *cur = ep_identity_get(m);
    bool reload = cur == NULL || cur->certificate_id != ep.certificate_id;
    ep_identity_put(m, cur);
    if (reload) {
        ep_identity *nid = NULL;
        if (mk_failed(ep_identity_load(m, &ep, &nid, why))) {
            ep_listener_stop(m);
            publish(m, &ep, NULL, true);
            return MK_ERR;
        }
        publish(m, &ep, nid, true);
    } else {
        publish(m, &ep, NULL, false);
    }
    if (mk_failed(place_listener(m, &ep, why))) {
        publish(m, &ep, NULL, true);
        return MK_ERR;
    }
    *why = EP_APPLY_OK;
    return MK_OK;
}

MK_RESULT ep_manager_apply(ep_manager *m, ep_apply_error *why)
{
    ep_apply_error w = EP_APPLY_OTHER;
    pthread_mutex_lock(&m->apply_lock);
    mk_result r = apply_locked(m, &w);
    pthread_mutex_unlock(&m->apply_lock);
    if (why != NULL) {
        *why = w;
    }
    /* Also after a failure: what the endpoint still carries is checked against the new row. */
    if (mk_failed(r)) {
        if (mk_failed(ep_manager_recheck(m))) {
            mk_log_error_result(MK_LOG_ERROR, "endpoint: re-checking connections");
        }
        return r;
    }
    return ep_manager_recheck(m);
}

void ep_manager_changed(ep_manager *m)
{
    ep_apply_error why = EP_APPLY_OK;
    if (mk_failed(ep_manager_apply(m, &why)) && why == EP_APPLY_OTHER) {
        mk_log_error_result(MK_LOG_ERROR, "endpoint: applying the catalog change");
    }
}

uint16_t ep_manager_port(ep_manager *m)
{
    pthread_mutex_lock(&m->lock);
    uint16_t p = m->listening ? m->port : 0;
    pthread_mutex_unlock(&m->lock);
    return p;
}

void ep_manager_free(ep_manager *m)
{
    if (m == NULL) {
        return;
    }
    /* No new kept links from here; wait out a sync in progress. */
    atomic_store(&m->closing, true);
    pthread_mutex_lock(&m->sync_lock);
    pthread_mutex_unlock(&m->sync_lock);
    ep_keepers_stop_all(m);
    pthread_mutex_lock(&m->apply_lock);
    ep_listener_stop(m);
    for (;;) {
        pthread_mutex_lock(&m->lock);
        for (ep_conn *c = m->conns; c != NULL; c = c->next) {
            if (!atomic_load(&c->close_requested)) {
                snprintf(c->close_reason, sizeof(c->close_reason), "endpoint shutting down");
                atomic_store(&c->close_requested, true);
            }
        }
        bool empty = m->conns == NULL;
        pthread_mutex_unlock(&m->lock);
        if (empty) {
            break;
        }
        ep_reap(m);
        usleep(10 * 1000);
    }
    pthread_mutex_unlock(&m->apply_lock);
    /* A connection thread's session request may have added a link before it was joined. */
    ep_keepers_stop_all(m);
    publish(m, NULL, NULL, true);
    pthread_mutex_destroy(&m->sync_lock);
    pthread_mutex_destroy(&m->lock);
    pthread_mutex_destroy(&m->reap_lock);
    pthread_mutex_destroy(&m->apply_lock);
    pthread_mutex_destroy(&m->db_lock);
    cat_close(m->db);
    p11_token_unref(m->token);
    free(m->key_uri_query);
    free(m);
}
