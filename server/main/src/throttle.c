/*
 * Per-address login failure throttle (see srv/throttle.h): a fixed table of
 * (address, failure count, time of the last failure) under one mutex.
 */
#include "srv/throttle.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

typedef struct entry {
    bool used;
    char addr[SRV_THROTTLE_ADDR_MAX + 1];
    unsigned failures;
    int64_t last_ms;
} entry;

struct srv_throttle {
    srv_throttle_policy policy;
    pthread_mutex_t lock;
    entry *entries;
};

srv_throttle_policy srv_throttle_policy_default(void)
{
    srv_throttle_policy p = {
        .first_delay_ms = 1000,
        .max_delay_ms = 8000,
        .forget_ms = 10 * 60 * 1000,
        .max_entries = 4096,
    };
    return p;
}

MK_RESULT srv_throttle_new(const srv_throttle_policy *policy, srv_throttle **out)
{
    ENSURE_MSG(policy->max_entries >= 1 && policy->max_entries <= 1000000, MK_E_INVALID,
               "throttle: table size out of range");
    ENSURE_MSG(policy->max_delay_ms >= policy->first_delay_ms, MK_E_INVALID,
               "throttle: cap below the first delay");
    srv_throttle *t = calloc(1, sizeof(*t));
    ENSURE(t != NULL, MK_E_NOMEM);
    t->entries = calloc(policy->max_entries, sizeof(entry));
    if (t->entries == NULL) {
        free(t);
        BAIL(MK_E_NOMEM);
    }
    t->policy = *policy;
    pthread_mutex_init(&t->lock, NULL);
    *out = t;
    return MK_OK;
}

void srv_throttle_free(srv_throttle *t)
{
    if (t == NULL) {
        return;
    }
    pthread_mutex_destroy(&t->lock);
    free(t->entries);
    free(t);
}

/* Copy addr into a fixed key, cut at SRV_THROTTLE_ADDR_MAX bytes. */
static void make_key(const char *addr, char key[SRV_THROTTLE_ADDR_MAX + 1])
{
    size_t n = strnlen(addr != NULL ? addr : "", SRV_THROTTLE_ADDR_MAX);
    memcpy(key, addr != NULL ? addr : "", n);
    key[n] = '\0';
}

static bool expired(const srv_throttle *t, const entry *e, int64_t now_ms)
{
    return now_ms - e->last_ms > (int64_t)t->policy.forget_ms;
}

static entry *find(srv_throttle *t, const char *key)
{
    for (size_t i = 0; i < t->policy.max_entries; i++) {
        if (t->entries[i].used && strcmp(t->entries[i].addr, key) == 0) {
            return &t->entries[i];
        }
    }
    return NULL;
}

/* A free slot, else an expired one, else the one whose last failure is oldest. */
static entry *take_slot(srv_throttle *t, int64_t now_ms)
{
    entry *oldest = &t->entries[0];
    for (size_t i = 0; i < t->policy.max_entries; i++) {
        entry *e = &t->entries[i];
        if (!e->used || expired(t, e, now_ms)) {
            return e;
        }
        if (e->last_ms < oldest->last_ms) {
            oldest = e;
        }
    }
    return oldest;
}

/* Delay for the n-th failure in a row: 0, first, 2*first, 4*first, ... capped. */
static unsigned delay_for(const srv_throttle *t, unsigned failures)
{
    if (failures <= 1) {
        return 0;
    }
    unsigned shift = failures - 2;
    uint64_t d = (uint64_t)t->policy.first_delay_ms << (shift > 32 ? 32 : shift);
    return d > t->policy.max_delay_ms ? t->policy.max_delay_ms : (unsigned)d;
}

/* Failures still counting for e at now_ms (0 once the forget window passed). */
static unsigned live_failures(const srv_throttle *t, const entry *e, int64_t now_ms)
{
    return e == NULL || expired(t, e, now_ms) ? 0 : e->failures;
}

unsigned srv_throttle_fail(srv_throttle *t, const char *addr, int64_t now_ms)
{
    char key[SRV_THROTTLE_ADDR_MAX + 1];
    make_key(addr, key);
    pthread_mutex_lock(&t->lock);
    entry *e = find(t, key);
    unsigned failures = live_failures(t, e, now_ms);
    if (e == NULL) {
        e = take_slot(t, now_ms);
        memset(e, 0, sizeof(*e));
        e->used = true;
        memcpy(e->addr, key, sizeof(key));
    }
    if (failures < UINT32_MAX) {
        failures++;
    }
    e->failures = failures;
    e->last_ms = now_ms;
    unsigned d = delay_for(t, failures);
    pthread_mutex_unlock(&t->lock);
    return d;
}

unsigned srv_throttle_peek(srv_throttle *t, const char *addr, int64_t now_ms)
{
    char key[SRV_THROTTLE_ADDR_MAX + 1];
    make_key(addr, key);
    pthread_mutex_lock(&t->lock);
    unsigned failures = live_failures(t, find(t, key), now_ms);
    pthread_mutex_unlock(&t->lock);
    return delay_for(t, failures < UINT32_MAX ? failures + 1 : failures);
}

void srv_throttle_success(srv_throttle *t, const char *addr)
{
    char key[SRV_THROTTLE_ADDR_MAX + 1];
    make_key(addr, key);
    pthread_mutex_lock(&t->lock);
    entry *e = find(t, key);
    if (e != NULL) {
        memset(e, 0, sizeof(*e));
    }
    pthread_mutex_unlock(&t->lock);
}

size_t srv_throttle_count(srv_throttle *t)
{
    size_t n = 0;
    pthread_mutex_lock(&t->lock);
    for (size_t i = 0; i < t->policy.max_entries; i++) {
        n += t->entries[i].used ? 1 : 0;
    }
    pthread_mutex_unlock(&t->lock);
    return n;
}

void srv_peer_address(const char *peer, char *out, size_t out_len)
{
    const char *colon = peer != NULL ? strrchr(peer, ':') : NULL;
    size_t n = peer == NULL ? 0 : colon != NULL ? (size_t)(colon - peer) : strlen(peer);
    if (n >= out_len) {
        n = out_len - 1;
    }
    if (n > 0) {
        memcpy(out, peer, n);
    }
    out[n] = '\0';
}
