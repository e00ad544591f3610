/*
 * The per-token session pool, fork detection and token-loss recovery.
 *
 * Every operation checks a session out (p11_session_get) and gives it back
 * (p11_session_put). One extra "anchor" session is never handed out: it holds
 * the login, because closing the last session of an application logs it out
 * (PKCS#11 v2.40 §5.6) and we close sessions that failed mid-operation.
 *
 * Generations: t->gen changes whenever the token's sessions are thrown away
 * (fork, module re-init, loss). A session checked out under an older
 * generation is dropped on return without C_CloseSession (its handle may now
 * name someone else's session), and cached object handles from an older
 * generation are re-found by CKA_ID.
 *
 * Recovery runs under the module's write lock, so no other Cryptoki call on
 * the module is in flight. SoftHSM2 (file backend) keeps failing after its
 * token directory comes back (C_GetTokenInfo and C_Login answer
 * CKR_GENERAL_ERROR until the library is re-initialised), so when the token
 * cannot be found again, and the module is ours, recovery finalises and
 * re-initialises the module and looks again.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "mk/log.h"

#define IDLE_MAX 64
#define GET_ATTEMPTS 3

uint64_t p11_token_generation(const p11_token *t) { return atomic_load(&t->gen_pub); }

static void bump_gen_locked(p11_token *t)
{
    t->gen++;
    atomic_store(&t->gen_pub, t->gen);
}

/* Forget every session; close them first when they are still ours to close. */
static void forget_sessions_locked(p11_token *t, bool close_them)
{
    if (close_them && t->have_anchor) {
        (void)t->m->f->C_CloseAllSessions(t->info.slot_id);
    }
    t->n_idle = 0;
    t->n_out = 0;
    t->have_anchor = false;
    t->logged_in = false;
    bump_gen_locked(t);
    pthread_cond_broadcast(&t->cv);
}

static CK_RV open_raw(p11_token *t, CK_SESSION_HANDLE *h)
{
    CK_FLAGS flags = CKF_SERIAL_SESSION | (t->rw ? CKF_RW_SESSION : 0);
    CK_RV rv = t->m->f->C_OpenSession(t->info.slot_id, flags, NULL, NULL, h);
    if (rv == CKR_TOKEN_WRITE_PROTECTED && t->rw) {
        t->rw = false;
        rv = t->m->f->C_OpenSession(t->info.slot_id, CKF_SERIAL_SESSION, NULL, NULL, h);
    }
    return rv;
}

/* Is the token in t->info.slot_id still the one we opened? Else look for it. */
static MK_RESULT locate_locked(p11_token *t)
{
    CK_TOKEN_INFO raw;
    if (t->m->f->C_GetTokenInfo(t->info.slot_id, &raw) == CKR_OK) {
        char serial[17], label[33];
        p11_trim_copy(serial, sizeof(serial), raw.serialNumber, sizeof(raw.serialNumber));
        p11_trim_copy(label, sizeof(label), raw.label, sizeof(raw.label));
        if (strcmp(serial, t->info.serial) == 0 && strcmp(label, t->info.label) == 0) {
            return MK_OK;
        }
    }
    CK_SLOT_ID slot = 0;
    GUARD(p11_select_again(t->m, &t->info, &slot));
    t->info.slot_id = slot;
    return MK_OK;
}

/* Anchor session and login, with the module write lock and t->mu held. */
static MK_RESULT start_locked(p11_token *t, bool after_fork)
{
    CK_RV rv = open_raw(t, &t->anchor);
    if (rv != CKR_OK) {
        if (p11_rv_is_token_lost(rv)) {
            t->lost = true;
        }
        return P11_FAIL("C_OpenSession", rv);
    }
    t->have_anchor = true;
    t->pid = getpid();
    t->mod_gen = t->m->gen;
    return p11_login_locked(t, after_fork);
}

static MK_RESULT recover_locked(p11_token *t)
{
    p11_module *m = t->m;
    bool after_fork = t->pid != getpid();
    GUARD(p11_module_fix_fork_locked(m));
    if (t->mod_gen != m->gen || after_fork) {
        /* Module re-initialised: our handles mean nothing now. */
        forget_sessions_locked(t, false);
        t->mod_gen = m->gen;
        t->lost = true;
    }
    if (!t->lost && t->have_anchor) {
        return MK_OK; /* another thread recovered it already */
    }
    forget_sessions_locked(t, true);
    if (mk_failed(locate_locked(t))) {
        ENSURE_MSG(m->owns_init, MK_E_TOKEN_LOST,
                   "no slot holds it (serial %s), and module %s belongs to another component",
                   t->info.serial, m->path);
        MK_LOG_DEBUG("pkcs11: token '%s' not found; re-initialising %s", t->info.label, m->path);
        GUARD(p11_module_reinit_locked(m));
        t->mod_gen = m->gen;
        GUARD(locate_locked(t));
    }
    GUARD(start_locked(t, after_fork));
    t->lost = false;
    if (after_fork) {
        MK_LOG_DEBUG("pkcs11: token '%s' reopened after fork", t->info.label);
    } else {
        MK_LOG_INFO("pkcs11: token '%s' is available again (slot %lu)", t->info.label,
                    (unsigned long)t->info.slot_id);
    }
    return MK_OK;
}

static MK_RESULT recover(p11_token *t)
{
    p11_module_lock_exclusive(t->m);
    pthread_mutex_lock(&t->mu);
    mk_result r = recover_locked(t);
    pthread_mutex_unlock(&t->mu);
    p11_module_unlock_exclusive(t->m);
    if (mk_failed(r)) {
        if (mk_error_code() != MK_E_PIN) {
            mk_error_context("token '%s' unavailable", t->info.label);
        }
        return MK_ERR;
    }
    return MK_OK;
}

static bool usable_locked(const p11_token *t)
{
    return !t->lost && t->have_anchor && t->mod_gen == t->m->gen && t->pid == getpid();
}

/* With the module read side and t->mu held: take an idle session or reserve a new one. */
static MK_RESULT take_locked(p11_token *t, p11_session *s, bool *need_open)
{
    while (usable_locked(t) && t->n_idle == 0 && t->max_sessions > 0 &&
           t->n_out + 1 >= t->max_sessions) {
        pthread_cond_wait(&t->cv, &t->mu);
    }
    if (!usable_locked(t)) {
        return MK_ERR; /* lost while waiting: caller retries (recovery) */
    }
    ENSURE_MSG(!t->login_failed, MK_E_PIN, "token '%s' rejected its PIN earlier; not retrying",
               t->info.label);
    *need_open = t->n_idle == 0;
    if (!*need_open) {
        s->h = t->idle[--t->n_idle];
    }
    t->n_out++;
    s->gen = t->gen;
    return MK_OK;
}

static MK_RESULT try_get(p11_token *t, p11_session *s, bool *retry)
{
    *retry = false;
    if (mk_failed(p11_module_enter(t->m))) {
        mk_error_context("token '%s' unavailable", t->info.label);
        return MK_ERR;
    }
    pthread_mutex_lock(&t->mu);
    bool need_open = false;
    mk_error_clear();
    mk_result r = take_locked(t, s, &need_open);
    pthread_mutex_unlock(&t->mu);
    if (mk_failed(r)) {
        p11_module_leave(t->m);
        *retry = mk_error_code() == MK_E_NONE;
        return MK_ERR;
    }
    s->t = t;
    s->f = t->m->f;
    s->held = true;
    if (need_open) {
        CK_RV rv = open_raw(t, &s->h);
        if (rv != CKR_OK) {
            mk_result f = p11_session_fail(s, "C_OpenSession", rv);
            s->h = CK_INVALID_HANDLE; /* nothing to close or pool */
            p11_session_put(s, rv);
            return f;
        }
    }
    return MK_OK;
}

MK_RESULT p11_session_get(p11_token *t, p11_session *s)
{
    memset(s, 0, sizeof(*s));
    for (int attempt = 0; attempt < GET_ATTEMPTS; attempt++) {
        bool retry = false;
        if (mk_ok(try_get(t, s, &retry))) {
            return MK_OK;
        }
        if (!retry) {
            return MK_ERR;
        }
        GUARD(recover(t));
    }
    BAIL_MSG(MK_E_TOKEN_LOST, "token '%s' keeps getting reset; giving up", t->info.label);
}

void p11_session_put(p11_session *s, CK_RV rv)
{
    if (!s->held) {
        return;
    }
    p11_token *t = s->t;
    bool close = false;
    pthread_mutex_lock(&t->mu);
    if (s->gen == t->gen) {
        t->n_out--;
        if (s->h == CK_INVALID_HANDLE) {
            /* never opened */
        } else if (p11_rv_is_token_lost(rv)) {
            t->lost = true; /* dropped; recovery closes everything */
        } else if (rv != CKR_OK || t->n_idle >= IDLE_MAX) {
            close = true; /* an operation may still be active on it */
        } else {
            if (t->n_idle == t->cap_idle) {
                size_t cap = t->cap_idle == 0 ? 8 : t->cap_idle * 2;
                CK_SESSION_HANDLE *n = realloc(t->idle, cap * sizeof(*n));
                if (n != NULL) {
                    t->idle = n;
                    t->cap_idle = cap;
                }
            }
            if (t->n_idle < t->cap_idle) {
                t->idle[t->n_idle++] = s->h;
            } else {
                close = true;
            }
        }
        pthread_cond_signal(&t->cv);
    }
    pthread_mutex_unlock(&t->mu);
    if (close) {
        (void)s->f->C_CloseSession(s->h);
    }
    p11_module_leave(t->m);
    s->held = false;
}

void p11_token_mark_lost(p11_token *t)
{
    pthread_mutex_lock(&t->mu);
    if (!t->lost) {
        MK_LOG_WARN("pkcs11: token '%s' lost; will re-initialise on the next call", t->info.label);
    }
    t->lost = true;
    pthread_cond_broadcast(&t->cv);
    pthread_mutex_unlock(&t->mu);
}

mk_result p11_session_fail(p11_session *s, const char *fn, CK_RV rv)
{
    if (rv == CKR_USER_NOT_LOGGED_IN && s->t->pin_mode != P11_PINMODE_NONE) {
        /* The token forgot our login (reset behind our back): log in again next time. */
        p11_token_mark_lost(s->t);
        return P11_FAIL(fn, rv);
    }
    if (p11_rv_is_token_lost(rv)) {
        p11_token_mark_lost(s->t);
        (void)P11_FAIL_AS(MK_E_TOKEN_LOST, fn, rv);
        mk_error_context("token '%s' unavailable", s->t->info.label);
        return MK_ERR;
    }
    return P11_FAIL(fn, rv);
}

bool p11_session_probe(p11_session *s)
{
    p11_token *t = s->t;
    pthread_mutex_lock(&t->mu);
    CK_SLOT_ID slot = t->info.slot_id;
    pthread_mutex_unlock(&t->mu);
    CK_TOKEN_INFO raw;
    CK_RV rv = s->f->C_GetTokenInfo(slot, &raw);
    if (rv == CKR_OK) {
        char serial[17];
        p11_trim_copy(serial, sizeof(serial), raw.serialNumber, sizeof(raw.serialNumber));
        if (strcmp(serial, t->info.serial) == 0) {
            return true;
        }
    }
    p11_token_mark_lost(t);
    return false;
}

MK_RESULT p11_random_s(p11_session *s, uint8_t *out, size_t len)
{
    if (len == 0) {
        return MK_OK;
    }
    CK_RV rv = s->f->C_GenerateRandom(s->h, out, (CK_ULONG)len);
    if (rv != CKR_OK) {
        return p11_session_fail(s, "C_GenerateRandom", rv);
    }
    return MK_OK;
}

MK_RESULT p11_session_start(p11_token *t)
{
    GUARD(p11_module_enter(t->m));
    pthread_mutex_lock(&t->mu);
    mk_result r = start_locked(t, false);
    pthread_mutex_unlock(&t->mu);
    p11_module_leave(t->m);
    return r;
}

void p11_session_close_all(p11_token *t)
{
    if (!p11_module_enter_if_ready(t->m)) {
        return; /* forked child that never used the token: the sessions are the parent's */
    }
    pthread_mutex_lock(&t->mu);
    if (t->have_anchor && t->mod_gen == t->m->gen && t->pid == getpid()) {
        for (size_t i = 0; i < t->n_idle; i++) {
            (void)t->m->f->C_CloseSession(t->idle[i]);
        }
        (void)t->m->f->C_CloseSession(t->anchor);
    }
    t->n_idle = 0;
    t->have_anchor = false;
    pthread_mutex_unlock(&t->mu);
    p11_module_leave(t->m);
}
