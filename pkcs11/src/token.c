/*
 * Opening and closing tokens, and the small token-wide calls (random bytes,
 * mechanism info, health check, destroy by CKA_ID). See p11/token.h.
 */
#include "p11/token.h"

#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "mk/log.h"

static void token_destroy(p11_token *t)
{
    p11_session_close_all(t);
    p11_login_cleanup(t);
    free(t->idle);
    pthread_cond_destroy(&t->cv);
    pthread_mutex_destroy(&t->mu);
    pthread_mutex_destroy(&t->create_mu);
    p11_module_unref(t->m);
    free(t);
}

static MK_RESULT token_new(p11_module *m, const p11_token_info *info,
                           const p11_token_defaults *defaults, p11_token **out)
{
    p11_token *t = calloc(1, sizeof(*t));
    ENSURE(t != NULL, MK_E_NOMEM);
    pthread_mutex_init(&t->mu, NULL);
    pthread_mutex_init(&t->create_mu, NULL);
    pthread_cond_init(&t->cv, NULL);
    t->m = m;
    atomic_store(&t->refs, 1);
    t->info = *info;
    t->rw = true;
    t->gen = 1;
    atomic_store(&t->gen_pub, t->gen);
    t->cache_pin = defaults != NULL && defaults->cache_pin;
    *out = t;
    return MK_OK;
}

/* Max sessions from CK_TOKEN_INFO: 0 (unlimited) unless a real, usable bound. */
static size_t session_bound(p11_module *m, CK_SLOT_ID slot)
{
    CK_TOKEN_INFO ti;
    if (m->f->C_GetTokenInfo(slot, &ti) != CKR_OK ||
        ti.ulMaxSessionCount == CK_EFFECTIVELY_INFINITE ||
        ti.ulMaxSessionCount == CK_UNAVAILABLE_INFORMATION || ti.ulMaxSessionCount < 2) {
        return 0;
    }
    return (size_t)ti.ulMaxSessionCount;
}

/* An open token for the same module and token (serial, label), with one more reference. */
static p11_token *registry_find(p11_module *m, const p11_token_info *info)
{
    for (p11_token *t = p11_registry_tokens(); t != NULL; t = t->next) {
        if (t->m != m || strcmp(t->info.serial, info->serial) != 0 ||
            strcmp(t->info.label, info->label) != 0) {
            continue;
        }
        /* Take a reference only if the token is not already on its way out. */
        unsigned refs = atomic_load(&t->refs);
        while (refs > 0) {
            if (atomic_compare_exchange_weak(&t->refs, &refs, refs + 1)) {
                return t;
            }
        }
    }
    return NULL;
}

static MK_RESULT open_selected(p11_module *m, const p11_uri *uri,
                               const p11_token_defaults *defaults, const p11_token_info *info,
                               p11_token **out)
{
    mk_result res = MK_ERR;
    p11_token *t = NULL;
    GUARD(token_new(m, info, defaults, &t));
    if (mk_ok(p11_module_enter(m))) {
        t->max_sessions = session_bound(m, info->slot_id);
        p11_module_leave(m);
    }
    GUARD_OUT(p11_login_setup(t, uri, defaults));
    GUARD_OUT(p11_session_start(t));
    p11_registry_lock();
    p11_token *other = registry_find(m, info);
    if (other == NULL) {
        p11_registry_add_token(t);
    }
    p11_registry_unlock();
    if (other != NULL) {
        /* Another thread opened it meanwhile: use theirs (ours logs nothing out: theirs is open).
         */
        token_destroy(t);
        t = other;
    }
    MK_LOG_DEBUG("pkcs11: opened token '%s' (serial %s, slot %lu)", info->label, info->serial,
                 (unsigned long)info->slot_id);
    *out = t;
    t = NULL;
    res = MK_OK;
out:
    if (t != NULL) {
        token_destroy(t); /* also drops the module reference */
    }
    return res;
}

MK_RESULT p11_token_open_uri(const p11_uri *uri, const p11_token_defaults *defaults,
                             p11_token **out)
{
    const char *path = p11_uri_get(uri, P11_URI_MODULE_PATH);
    if (path == NULL && defaults != NULL) {
        path = defaults->module_path;
    }
    p11_module *m = NULL;
    GUARD(p11_module_load(path, &m));
    p11_token_info info;
    if (mk_failed(p11_select_token(m, uri, &info))) {
        p11_module_unref(m);
        return MK_ERR;
    }
    p11_registry_lock();
    p11_token *t = registry_find(m, &info);
    p11_registry_unlock();
    if (t != NULL) {
        p11_module_unref(m); /* the open token holds its own */
        *out = t;
        return MK_OK;
    }
    /* open_selected owns the module reference from here on. */
    return open_selected(m, uri, defaults, &info, out);
}

MK_RESULT p11_token_open(const char *uri, const p11_token_defaults *defaults, p11_token **out)
{
    ENSURE_MSG(uri != NULL, MK_E_INVALID, "no token URI");
    p11_uri *u = NULL;
    GUARD(p11_uri_parse(uri, &u));
    mk_result r = p11_token_open_uri(u, defaults, out);
    p11_uri_free(u);
    return r;
}

/* Lock-free so that it may be called with a session (module lock) held. */
p11_token *p11_token_ref(p11_token *t)
{
    atomic_fetch_add(&t->refs, 1);
    return t;
}

void p11_token_unref(p11_token *t)
{
    if (t == NULL || atomic_fetch_sub(&t->refs, 1) != 1) {
        return;
    }
    /* refs is 0: registry_find can no longer resurrect it. */
    p11_registry_lock();
    p11_registry_remove_token(t);
    p11_registry_unlock();
    token_destroy(t);
}

const p11_token_info *p11_token_get_info(const p11_token *t) { return &t->info; }
p11_module *p11_token_module(const p11_token *t) { return t->m; }

bool p11_token_logged_in(const p11_token *t)
{
    p11_token *mt = (p11_token *)t;
    pthread_mutex_lock(&mt->mu);
    bool v = t->ever_logged_in && !t->login_failed;
    pthread_mutex_unlock(&mt->mu);
    return v;
}

MK_RESULT p11_token_random(p11_token *t, uint8_t *out, size_t len)
{
    if (len == 0) {
        return MK_OK;
    }
    p11_session s;
    GUARD(p11_session_get(t, &s));
    mk_result r = p11_random_s(&s, out, len);
    p11_session_put(&s, mk_ok(r) ? CKR_OK : CKR_GENERAL_ERROR);
    return r;
}

MK_RESULT p11_token_mechanism(p11_token *t, CK_MECHANISM_TYPE mech, bool *supported,
                              CK_FLAGS *flags)
{
    p11_session s;
    GUARD(p11_session_get(t, &s)); /* recovers and holds the module */
    CK_MECHANISM_INFO mi;
    CK_RV rv = s.f->C_GetMechanismInfo(t->info.slot_id, mech, &mi);
    p11_session_put(&s, CKR_OK);
    *supported = rv == CKR_OK;
    if (flags != NULL) {
        *flags = rv == CKR_OK ? mi.flags : 0;
    }
    if (rv == CKR_OK || rv == CKR_MECHANISM_INVALID) {
        return MK_OK;
    }
    if (p11_rv_is_token_lost(rv)) {
        p11_token_mark_lost(t);
    }
    return P11_FAIL("C_GetMechanismInfo", rv);
}

MK_RESULT p11_token_ping(p11_token *t)
{
    p11_session s;
    GUARD(p11_session_get(t, &s));
    CK_SESSION_INFO si;
    CK_RV rv = s.f->C_GetSessionInfo(s.h, &si);
    mk_result r = MK_OK;
    if (rv != CKR_OK) {
        r = p11_session_fail(&s, "C_GetSessionInfo", rv);
    } else if (!p11_session_probe(&s)) {
        r = MK_RAISE(MK_E_TOKEN_LOST, "token '%s' unavailable: C_GetTokenInfo failed",
                     t->info.label);
    }
    p11_session_put(&s, rv);
    return r;
}
