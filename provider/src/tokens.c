/*
 * The provider's token cache: one open p11_token per (module, token
 * selector, PIN source), kept (and logged in) for the provider's lifetime so
 * that loading a second key does not log in again. Lookups are serialised by
 * one mutex; opening a token happens under it, so two threads asking for the
 * same new token log in once.
 *
 * Threads and fork: the p11_token itself is thread-safe and recovers after a
 * fork (the token layer re-initialises the module in the child), so cached
 * entries stay valid in a child process.
 *
 * Process exit: OpenSSL tears providers down from its own atexit handler,
 * which runs after the static destructors of modules loaded later (SoftHSM2
 * crashes in C_CloseSession then). So after the first token is opened (the
 * module is loaded by then) we register an atexit handler of our own; it runs
 * before the module's destructors, releases every provider's cached tokens
 * while the module still works, and from then on nothing calls into a token
 * again (mkprov_exiting()).
 */
#include "internal.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "mk/log.h"

/* Every live provider context (linked through live_next), for the exit handler. */
static pthread_mutex_t live_mu = PTHREAD_MUTEX_INITIALIZER;
static mkprov_ctx *live;
static atomic_bool exiting = false;
static pthread_once_t exit_once = PTHREAD_ONCE_INIT;

struct mkprov_token_entry {
    char *key;
    p11_token *token;
    mkprov_token_entry *next;
};

/* Cache key: the URI's token part plus the effective module and PIN source. */
static MK_RESULT cache_key(const mkprov_ctx *p, const p11_uri *uri, mk_buf *out)
{
    mk_result res = MK_ERR;
    p11_uri *k = NULL;
    GUARD_OUT(p11_uri_dup(uri, &k));
    GUARD_OUT(p11_uri_set(k, P11_URI_OBJECT, NULL));
    GUARD_OUT(p11_uri_set_id(k, NULL, 0));
    p11_uri_set_type(k, P11_URI_TYPE_ANY);
    if (p11_uri_get(k, P11_URI_MODULE_PATH) == NULL && p->module_path != NULL) {
        GUARD_OUT(p11_uri_set(k, P11_URI_MODULE_PATH, p->module_path));
    }
    if (p11_uri_get(k, P11_URI_PIN_SOURCE) == NULL && p->pin_source != NULL) {
        GUARD_OUT(p11_uri_set(k, P11_URI_PIN_SOURCE, p->pin_source));
    }
    GUARD_OUT(p11_uri_format(k, out));
    res = MK_OK;
out:
    p11_uri_free(k);
    return res;
}

static MK_RESULT open_token(const mkprov_ctx *p, const p11_uri *uri, p11_token **out)
{
    p11_token_defaults defaults = {
        .module_path = p->module_path,
        .pin_source = p->pin_source,
        .cache_pin = false,
    };
    return p11_token_open_uri(uri, &defaults, out);
}

static MK_RESULT lookup_or_open(mkprov_ctx *p, const p11_uri *uri, const char *key, p11_token **out)
{
    mk_result res = MK_ERR;
    mkprov_token_entry *e = NULL;
    for (mkprov_token_entry *it = p->tokens; it != NULL; it = it->next) {
        if (strcmp(it->key, key) == 0) {
            *out = p11_token_ref(it->token);
            return MK_OK;
        }
    }
    e = OPENSSL_zalloc(sizeof(*e));
    ENSURE_OUT(e != NULL, MK_E_NOMEM, "token cache entry");
    e->key = OPENSSL_strdup(key);
    ENSURE_OUT(e->key != NULL, MK_E_NOMEM, "token cache entry");
    GUARD_OUT(open_token(p, uri, &e->token));
    MK_LOG_DEBUG("mirrorkey provider: opened token '%s' (serial %s, %s)",
                 p11_token_get_info(e->token)->label, p11_token_get_info(e->token)->serial,
                 p11_token_logged_in(e->token) ? "logged in" : "not logged in");
    e->next = p->tokens;
    p->tokens = e;
    *out = p11_token_ref(e->token);
    e = NULL;
    res = MK_OK;
out:
    if (e != NULL) {
        OPENSSL_free(e->key);
        OPENSSL_free(e);
    }
    return res;
}

static void release_at_exit(void)
{
    pthread_mutex_lock(&live_mu);
    atomic_store(&exiting, true);
    for (mkprov_ctx *p = live; p != NULL; p = p->live_next) {
        mkprov_tokens_clear(p);
    }
    pthread_mutex_unlock(&live_mu);
}

static void register_exit_handler(void)
{
    if (atexit(release_at_exit) != 0) {
        MK_LOG_WARN("mirrorkey provider: cannot register the exit handler");
    }
}

bool mkprov_exiting(void) { return atomic_load(&exiting); }

void mkprov_tokens_register(mkprov_ctx *p)
{
    pthread_mutex_lock(&live_mu);
    p->live_next = live;
    live = p;
    pthread_mutex_unlock(&live_mu);
}

void mkprov_tokens_unregister(mkprov_ctx *p)
{
    pthread_mutex_lock(&live_mu);
    for (mkprov_ctx **it = &live; *it != NULL; it = &(*it)->live_next) {
        if (*it == p) {
            *it = p->live_next;
            break;
        }
    }
    pthread_mutex_unlock(&live_mu);
}

MK_RESULT mkprov_token_get(mkprov_ctx *p, const p11_uri *uri, p11_token **out)
{
    ENSURE_MSG(!mkprov_exiting(), MK_E_STATE, "the process is exiting");
    mk_result res = MK_ERR;
    mk_buf key;
    mk_buf_init(&key, 16 * 1024);
    if (p11_uri_has_pin_value(uri)) {
        res = open_token(p, uri, out);
    } else {
        GUARD_OUT(cache_key(p, uri, &key));
        pthread_mutex_lock(&p->tokens_mu);
        res = lookup_or_open(p, uri, (const char *)key.data, out);
        pthread_mutex_unlock(&p->tokens_mu);
    }
    if (mk_ok(res)) {
        pthread_once(&exit_once, register_exit_handler);
    }
out:
    mk_buf_cleanup(&key);
    return res;
}

void mkprov_tokens_clear(mkprov_ctx *p)
{
    pthread_mutex_lock(&p->tokens_mu);
    mkprov_token_entry *e = p->tokens;
    p->tokens = NULL;
    pthread_mutex_unlock(&p->tokens_mu);
    while (e != NULL) {
        mkprov_token_entry *next = e->next;
        p11_token_unref(e->token);
        OPENSSL_free(e->key);
        OPENSSL_free(e);
        e = next;
    }
}
