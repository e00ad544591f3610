/*
 * The process-wide registry of loaded modules and open tokens, and the
 * pthread_atfork handlers that keep their locks consistent across fork().
 *
 * Before fork the handlers take the registry mutex, every module's write lock
 * (waiting for in-flight Cryptoki calls to finish) and every token mutex, so
 * that no lock is held by a thread that will not exist in the child. The
 * parent releases them; the child re-initialises them. The child then sees a
 * pid change on first use and re-initialises the module (module.c).
 */
#include "internal.h"

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static p11_module *g_modules;
static p11_token *g_tokens;

static void atfork_prepare(void)
{
    pthread_mutex_lock(&g_mu);
    for (p11_module *m = g_modules; m != NULL; m = m->next) {
        pthread_rwlock_wrlock(&m->lock);
    }
    for (p11_token *t = g_tokens; t != NULL; t = t->next) {
        pthread_mutex_lock(&t->create_mu);
        pthread_mutex_lock(&t->mu);
    }
}

static void atfork_parent(void)
{
    for (p11_token *t = g_tokens; t != NULL; t = t->next) {
        pthread_mutex_unlock(&t->mu);
        pthread_mutex_unlock(&t->create_mu);
    }
    for (p11_module *m = g_modules; m != NULL; m = m->next) {
        pthread_rwlock_unlock(&m->lock);
    }
    pthread_mutex_unlock(&g_mu);
}

/*
 * In the child only the forking thread exists; it holds every lock. Fresh
 * initialisation avoids relying on unlock-by-another-thread semantics.
 */
static void atfork_child(void)
{
    for (p11_token *t = g_tokens; t != NULL; t = t->next) {
        pthread_mutex_init(&t->mu, NULL);
        pthread_mutex_init(&t->create_mu, NULL);
        pthread_cond_init(&t->cv, NULL);
    }
    for (p11_module *m = g_modules; m != NULL; m = m->next) {
        pthread_rwlockattr_t attr;
        pthread_rwlockattr_init(&attr);
        pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
        pthread_rwlock_init(&m->lock, &attr);
        pthread_rwlockattr_destroy(&attr);
    }
    pthread_mutex_init(&g_mu, NULL);
}

static void registry_setup(void) { pthread_atfork(atfork_prepare, atfork_parent, atfork_child); }

void p11_registry_init_once(void) { pthread_once(&g_once, registry_setup); }
void p11_registry_lock(void) { pthread_mutex_lock(&g_mu); }
void p11_registry_unlock(void) { pthread_mutex_unlock(&g_mu); }
p11_module *p11_registry_modules(void) { return g_modules; }
p11_token *p11_registry_tokens(void) { return g_tokens; }

void p11_registry_add_module(p11_module *m)
{
    m->next = g_modules;
    g_modules = m;
}

void p11_registry_remove_module(p11_module *m)
{
    for (p11_module **pp = &g_modules; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == m) {
            *pp = m->next;
            m->next = NULL;
            return;
        }
    }
}

void p11_registry_add_token(p11_token *t)
{
    t->next = g_tokens;
    g_tokens = t;
}

void p11_registry_remove_token(p11_token *t)
{
    for (p11_token **pp = &g_tokens; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == t) {
            *pp = t->next;
            t->next = NULL;
            return;
        }
    }
}
