/*
 * Kept links: one thread per partner or witness address that keeps one
 * authenticated outbound connection up, reconnecting with exponential
 * backoff (250 ms doubling to 8 s, reset after a login). The connection
 * itself is an ordinary registry connection (ep_connect), so the catalog
 * re-check, heartbeats and the dm view apply to it unchanged.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "mk/log.h"

#define BACKOFF_MIN_MS 250
#define BACKOFF_MAX_MS 8000
#define KEEPER_TICK_MS 50

/* Sleep ms in ticks; false as soon as the keeper is told to stop. */
static bool nap(ep_keeper *k, int ms)
{
    for (int waited = 0; waited < ms; waited += KEEPER_TICK_MS) {
        if (atomic_load(&k->stop)) {
            return false;
        }
        usleep(KEEPER_TICK_MS * 1000);
    }
    return !atomic_load(&k->stop);
}

static void *keeper_thread(void *arg)
{
    ep_keeper *k = arg;
    ep_manager *m = k->m;
    int backoff = BACKOFF_MIN_MS;
    char id[EP_ID_LEN + 1];
    while (!atomic_load(&k->stop)) {
        if (mk_failed(ep_connect(m, k->host, k->port, k->role, id))) {
            MK_LOG_INFO("endpoint %s: link to %s not up (%s); retrying in %d ms", m->instance,
                        k->address, mk_error_message(), backoff);
            if (!nap(k, backoff)) {
                break;
            }
            backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
            continue;
        }
        backoff = BACKOFF_MIN_MS;
        atomic_store(&k->up, true);
        atomic_fetch_add(&k->logins, 1);
        while (ep_is_logged_in(m, id) && nap(k, KEEPER_TICK_MS)) {
        }
        atomic_store(&k->up, false);
        if (atomic_load(&k->stop)) {
            if (mk_failed(ep_close(m, id))) {
                MK_LOG_DEBUG("endpoint: link %s already closed", k->address);
            }
            break;
        }
        MK_LOG_INFO("endpoint %s: link to %s went down; reconnecting", m->instance, k->address);
        if (!nap(k, backoff)) {
            break;
        }
    }
    return NULL;
}

static ep_keeper *find(ep_manager *m, const char *address)
{
    for (ep_keeper *k = m->keepers; k != NULL; k = k->next) {
        if (strcasecmp(k->address, address) == 0) {
            return k;
        }
    }
    return NULL;
}

MK_RESULT ep_link_add(ep_manager *m, const char *address, ep_hello_role role)
{
    ENSURE_MSG(!atomic_load(&m->closing), MK_E_STATE, "the endpoint is shutting down");
    ep_keeper *k = calloc(1, sizeof(*k));
    ENSURE(k != NULL, MK_E_NOMEM);
    if (strlen(address) >= sizeof(k->address) ||
        mk_failed(ep_address_parse(address, strlen(address), k->host, &k->port))) {
        free(k);
        return mk_error_code() == MK_E_NONE ? MK_RAISE(MK_E_INVALID, "address too long") : MK_ERR;
    }
    snprintf(k->address, sizeof(k->address), "%s", address);
    k->m = m;
    k->role = role;
    atomic_init(&k->stop, false);
    atomic_init(&k->up, false);
    atomic_init(&k->logins, 0);
    pthread_mutex_lock(&m->lock);
    mk_result r = MK_OK;
    if (find(m, address) != NULL) {
        r = MK_RAISE(MK_E_EXISTS, "a link to %s is already kept", address);
    } else if (m->nkeepers >= EP_MAX_LINKS) {
        r = MK_RAISE(MK_E_STATE, "too many kept links (%d)", EP_MAX_LINKS);
    } else if (pthread_create(&k->thread, NULL, keeper_thread, k) != 0) {
        r = MK_RAISE(MK_E_NOMEM, "no thread for the link to %s", address);
    } else {
        k->next = m->keepers;
        m->keepers = k;
        m->nkeepers++;
    }
    pthread_mutex_unlock(&m->lock);
    if (mk_failed(r)) {
        free(k);
    }
    return r;
}

static void keeper_join(ep_keeper *k)
{
    atomic_store(&k->stop, true);
    pthread_join(k->thread, NULL);
    free(k);
}

MK_RESULT ep_link_remove(ep_manager *m, const char *address)
{
    ep_keeper *k = NULL;
    pthread_mutex_lock(&m->lock);
    for (ep_keeper **pp = &m->keepers; *pp != NULL; pp = &(*pp)->next) {
        if (strcasecmp((*pp)->address, address) == 0) {
            k = *pp;
            *pp = k->next;
            m->nkeepers--;
            break;
        }
    }
    pthread_mutex_unlock(&m->lock);
    ENSURE_MSG(k != NULL, MK_E_NOT_FOUND, "no kept link to %s", address);
    keeper_join(k);
    return MK_OK;
}

bool ep_link_up(ep_manager *m, const char *address)
{
    pthread_mutex_lock(&m->lock);
    ep_keeper *k = find(m, address);
    bool up = k != NULL && atomic_load(&k->up);
    pthread_mutex_unlock(&m->lock);
    return up;
}

unsigned ep_link_logins(ep_manager *m, const char *address)
{
    pthread_mutex_lock(&m->lock);
    ep_keeper *k = find(m, address);
    unsigned n = k != NULL ? atomic_load(&k->logins) : 0;
    pthread_mutex_unlock(&m->lock);
    return n;
}

void ep_keepers_stop_all(ep_manager *m)
{
    pthread_mutex_lock(&m->lock);
    ep_keeper *all = m->keepers;
    m->keepers = NULL;
    m->nkeepers = 0;
    pthread_mutex_unlock(&m->lock);
    while (all != NULL) {
        ep_keeper *k = all;
        all = k->next;
        keeper_join(k);
    }
}

size_t ep_links_list(ep_manager *m, ep_link_info *out, size_t cap)
{
    size_t n = 0;
    pthread_mutex_lock(&m->lock);
    for (ep_keeper *k = m->keepers; k != NULL; k = k->next, n++) {
        if (n < cap) {
            snprintf(out[n].address, sizeof(out[n].address), "%s", k->address);
            out[n].role = k->role;
        }
    }
    pthread_mutex_unlock(&m->lock);
    return n;
}

bool ep_link_source(void *manager, const char *address) { return ep_link_up(manager, address); }
