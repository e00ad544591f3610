/*
 * Login and PIN handling for a token (see p11/token.h for the policy).
 *
 * The PIN lives in an mk_secret only for the C_Login call, except when the
 * caller allowed caching of a PIN that cannot be read again (fd:, prompt) or
 * the URI carried pin-value: then it stays in a locked, non-dumpable secret
 * until the token is closed. A rejected PIN latches login_failed so that no
 * code path ever tries it a second time.
 */
#include <stdatomic.h>
#include <string.h>

#include "internal.h"
#include "mk/log.h"

static _Atomic unsigned long g_login_calls;

unsigned long p11_debug_login_calls(void) { return atomic_load(&g_login_calls); }
void p11_login_count_call(void) { atomic_fetch_add(&g_login_calls, 1); }

static MK_RESULT setup_from_source(p11_token *t, const char *text)
{
    GUARD(p11_pin_source_parse(text, &t->pin_src));
    switch (t->pin_src.kind) {
    case P11_PIN_FILE: t->pin_mode = P11_PINMODE_FILE; break;
    case P11_PIN_FD:
    case P11_PIN_PROMPT: t->pin_mode = P11_PINMODE_ONCE; break;
    case P11_PIN_PINPAD:
        ENSURE_MSG(t->info.flags & CKF_PROTECTED_AUTHENTICATION_PATH, MK_E_PIN,
                   "pin-source=pinpad but token '%s' has no protected authentication path",
                   t->info.label);
        t->pin_mode = P11_PINMODE_PINPAD;
        break;
    }
    return MK_OK;
}

MK_RESULT p11_login_setup(p11_token *t, const p11_uri *uri, const p11_token_defaults *defaults)
{
    const char *src = p11_uri_get(uri, P11_URI_PIN_SOURCE);
    if (src != NULL) {
        return setup_from_source(t, src);
    }
    if (p11_uri_has_pin_value(uri)) {
        GUARD(p11_uri_pin_value(uri, &t->pin_cache));
        t->pin_mode = P11_PINMODE_VALUE;
        return MK_OK;
    }
    if (defaults != NULL && defaults->pin_source != NULL && defaults->pin_source[0] != '\0') {
        return setup_from_source(t, defaults->pin_source);
    }
    if (t->info.flags & CKF_PROTECTED_AUTHENTICATION_PATH) {
        t->pin_mode = P11_PINMODE_PINPAD;
        return MK_OK;
    }
    t->pin_mode = P11_PINMODE_NONE;
    MK_LOG_DEBUG("pkcs11: no PIN source for token '%s': public objects only", t->info.label);
    return MK_OK;
}

void p11_login_cleanup(p11_token *t)
{
    mk_secret_free(t->pin_cache);
    t->pin_cache = NULL;
}

/*
 * The PIN for this login: *pin is NULL for pinpad. *owned says whether the
 * caller frees it (false when it is the cache).
 */
static MK_RESULT obtain_pin(p11_token *t, bool after_fork, mk_secret **pin, bool *owned)
{
    *pin = NULL;
    *owned = true;
    switch (t->pin_mode) {
    case P11_PINMODE_FILE: return p11_pin_read(&t->pin_src, t->info.label, pin);
    case P11_PINMODE_VALUE:
        *pin = t->pin_cache;
        *owned = false;
        return MK_OK;
    case P11_PINMODE_ONCE:
        if (!t->ever_logged_in) {
            return p11_pin_read(&t->pin_src, t->info.label, pin);
        }
        ENSURE_MSG(t->pin_cache != NULL, MK_E_PIN,
                   "token '%s' needs a new login but its PIN (fd or prompt) was not cached",
                   t->info.label);
        *pin = t->pin_cache;
        *owned = false;
        return MK_OK;
    case P11_PINMODE_PINPAD:
        /* Never make a user act on a pinpad from inside a fork child. */
        ENSURE_MSG(!t->ever_logged_in || (t->cache_pin && !after_fork), MK_E_PIN,
                   "token '%s' needs a new login on its pinpad; not asking again automatically",
                   t->info.label);
        return MK_OK;
    case P11_PINMODE_NONE: break;
    }
    BAIL_MSG(MK_E_INTERNAL, "no PIN mode");
}

static MK_RESULT login_result(p11_token *t, CK_RV rv)
{
    if (rv == CKR_OK || rv == CKR_USER_ALREADY_LOGGED_IN) {
        t->logged_in = true;
        t->ever_logged_in = true;
        return MK_OK;
    }
    if (p11_rv_is_token_lost(rv)) {
        t->lost = true;
        (void)P11_FAIL_AS(MK_E_TOKEN_LOST, "C_Login", rv);
    } else if (p11_rv_class(rv) == MK_E_PIN) {
        t->login_failed = true;
        (void)P11_FAIL_AS(MK_E_PIN, "C_Login", rv);
        mk_error_context("token '%s' rejected the PIN (not retried)", t->info.label);
        MK_LOG_WARN("pkcs11: token '%s': C_Login failed: %s; not retrying", t->info.label,
                    p11_rv_name(rv));
        return MK_ERR;
    } else {
        (void)P11_FAIL_AS(MK_E_PKCS11, "C_Login", rv);
    }
    mk_error_context("token '%s'", t->info.label);
    return MK_ERR;
}

MK_RESULT p11_login_locked(p11_token *t, bool after_fork)
{
    if (t->pin_mode == P11_PINMODE_NONE) {
        return MK_OK;
    }
    ENSURE_MSG(!t->login_failed, MK_E_PIN,
               "token '%s' rejected its PIN earlier; not retrying (reopen the token)",
               t->info.label);
    mk_secret *pin = NULL;
    bool owned = true;
    GUARD(obtain_pin(t, after_fork, &pin, &owned));
    if (owned && pin != NULL && t->pin_mode == P11_PINMODE_ONCE && t->cache_pin &&
        t->pin_cache == NULL) {
        /* First read of a one-shot PIN the caller allowed us to keep. */
        t->pin_cache = pin;
        owned = false;
    }
    p11_login_count_call();
    CK_RV rv = t->m->f->C_Login(t->anchor, CKU_USER, pin != NULL ? mk_secret_data(pin) : NULL,
                                pin != NULL ? (CK_ULONG)mk_secret_len(pin) : 0);
    if (owned) {
        mk_secret_free(pin); /* wiped right after C_Login */
    }
    return login_result(t, rv);
}
