/*
 * Module loading and (re)initialisation (see p11/module.h).
 *
 * C_Initialize gets CKF_OS_LOCKING_OK so the module may use OS threads
 * primitives (PKCS#11 v2.40 §5.4). A module that says
 * CKR_CRYPTOKI_ALREADY_INITIALIZED belongs to someone else in the process:
 * we use it but never finalise it. After fork() the child must call
 * C_Initialize again (§6.7.7); some modules then still say "already
 * initialised" (SoftHSM without reset_on_fork), in which case we finalise the
 * inherited state and initialise afresh.
 *
 * Modules may use OpenSSL themselves and leave errors on the calling thread's
 * OpenSSL error queue: SoftHSM2 2.6.1's C_Initialize asks for the "rdrand"
 * engine and leaves "no such engine" behind when it is absent. Token recovery
 * re-initialises the module inside whatever operation noticed the token was
 * back, often a signature in the middle of a TLS handshake, and one error
 * left on the queue fails that handshake (SSL_get_error reads the queue
 * first). This layer reports through mk_result only, so C_Initialize and
 * C_Finalize run between ERR_set_mark and ERR_pop_to_mark: whatever the
 * module pushed is dropped, errors the caller already had are kept.
 */
#include "p11/module.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>

#include "internal.h"
#include "mk/log.h"

#ifndef P11_DEFAULT_MODULE
#define P11_DEFAULT_MODULE "p11-kit-proxy.so"
#endif

const char *p11_module_default_path(void) { return P11_DEFAULT_MODULE; }

/* Drop what the module pushed on this thread's OpenSSL error queue since ERR_set_mark. */
static void drop_module_errors(const p11_module *m, const char *fn, unsigned long before)
{
    unsigned long last = ERR_peek_last_error();
    if (last != 0 && last != before) {
        char text[256];
        ERR_error_string_n(last, text, sizeof(text));
        MK_LOG_DEBUG("pkcs11: %s of %s left OpenSSL errors on the queue (dropped; last: %s)", fn,
                     m->path, text);
    }
    (void)ERR_pop_to_mark();
}

static CK_RV call_initialize(const p11_module *m)
{
    CK_C_INITIALIZE_ARGS args;
    memset(&args, 0, sizeof(args));
    args.flags = CKF_OS_LOCKING_OK;
    unsigned long before = ERR_peek_last_error();
    (void)ERR_set_mark(); /* no mark on an empty queue: the pop then clears it all */
    CK_RV rv = m->f->C_Initialize(&args);
    drop_module_errors(m, "C_Initialize", before);
    return rv;
}

static CK_RV call_finalize(const p11_module *m)
{
    unsigned long before = ERR_peek_last_error();
    (void)ERR_set_mark();
    CK_RV rv = m->f->C_Finalize(NULL);
    drop_module_errors(m, "C_Finalize", before);
    return rv;
}

/* First initialisation at load time. */
static MK_RESULT module_initialize(p11_module *m)
{
    CK_RV rv = call_initialize(m);
    if (rv == CKR_CRYPTOKI_ALREADY_INITIALIZED) {
        MK_LOG_DEBUG("pkcs11: %s already initialised by another user in this process", m->path);
        m->owns_init = false;
    } else if (rv != CKR_OK) {
        (void)P11_FAIL_AS(MK_E_PKCS11, "C_Initialize", rv);
        mk_error_context("module %s", m->path);
        return MK_ERR;
    } else {
        m->owns_init = true;
    }
    m->initialized = true;
    m->pid = getpid();
    m->gen++;
    return MK_OK;
}

static MK_RESULT module_open(const char *path, p11_module **out)
{
    mk_result res = MK_ERR;
    p11_module *m = calloc(1, sizeof(*m));
    ENSURE(m != NULL, MK_E_NOMEM);
    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init(&attr);
    /* Writers (re-init, recovery) must not starve behind a steady stream of signers. */
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&m->lock, &attr);
    pthread_rwlockattr_destroy(&attr);
    m->path = strdup(path);
    ENSURE_OUT(m->path != NULL, MK_E_NOMEM, NULL);
    m->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    ENSURE_OUT(m->dl != NULL, MK_E_IO, "cannot load PKCS#11 module %s: %s", path, dlerror());
    CK_C_GetFunctionList get = NULL;
    *(void **)&get = dlsym(m->dl, "C_GetFunctionList");
    ENSURE_OUT(get != NULL, MK_E_INVALID, "%s is not a PKCS#11 module (no C_GetFunctionList)",
               path);
    CK_RV rv = get(&m->f);
    if (rv != CKR_OK || m->f == NULL) {
        (void)P11_FAIL_AS(MK_E_PKCS11, "C_GetFunctionList", rv);
        mk_error_context("module %s", path);
        goto out;
    }
    GUARD_OUT(module_initialize(m));
    MK_LOG_DEBUG("pkcs11: loaded %s (Cryptoki %d.%d)", path, m->f->version.major,
                 m->f->version.minor);
    *out = m;
    m = NULL;
    res = MK_OK;
out:
    if (m != NULL) {
        if (m->dl != NULL && m->f == NULL) {
            dlclose(m->dl); /* none of its code ran: safe to unload */
        }
        pthread_rwlock_destroy(&m->lock);
        free(m->path);
        free(m);
    }
    return res;
}

MK_RESULT p11_module_load(const char *path, p11_module **out)
{
    if (path == NULL || path[0] == '\0') {
        path = P11_DEFAULT_MODULE;
    }
    char resolved[PATH_MAX];
    ENSURE_MSG(realpath(path, resolved) != NULL, MK_E_IO, "cannot load PKCS#11 module %s: %s", path,
               "no such file");
    p11_registry_init_once();
    p11_registry_lock();
    for (p11_module *m = p11_registry_modules(); m != NULL; m = m->next) {
        if (strcmp(m->path, resolved) == 0) {
            m->refs++;
            p11_registry_unlock();
            *out = m;
            return MK_OK;
        }
    }
    p11_module *m = NULL;
    mk_result r = module_open(resolved, &m);
    if (mk_ok(r)) {
        m->refs = 1;
        p11_registry_add_module(m);
        *out = m;
    }
    p11_registry_unlock();
    return r;
}

p11_module *p11_module_ref(p11_module *m)
{
    p11_registry_lock();
    m->refs++;
    p11_registry_unlock();
    return m;
}

void p11_module_unref(p11_module *m)
{
    if (m == NULL) {
        return;
    }
    p11_registry_lock();
    bool last = --m->refs == 0;
    if (last) {
        p11_registry_remove_module(m);
    }
    p11_registry_unlock();
    if (!last) {
        return;
    }
    /* No token references it any more, so no call is in flight. */
    if (m->owns_init && m->initialized && m->pid == getpid()) {
        CK_RV rv = call_finalize(m);
        if (rv != CKR_OK) {
            MK_LOG_DEBUG("pkcs11: C_Finalize(%s): %s", m->path, p11_rv_name(rv));
        }
    }
    /*
     * The library stays mapped (no dlclose): many modules are not safe to
     * unload (thread-local destructors, atexit handlers, their own OpenSSL
     * state), and leak reports from code that is still mapped can be
     * attributed and suppressed. A later load of the same path gets the same
     * mapping back from dlopen.
     */
    pthread_rwlock_destroy(&m->lock);
    free(m->path);
    free(m);
}

const char *p11_module_path(const p11_module *m) { return m->path; }
CK_FUNCTION_LIST *p11_module_functions(const p11_module *m) { return m->f; }

bool p11_module_needs_init(const p11_module *m) { return !m->initialized || m->pid != getpid(); }

void p11_module_lock_exclusive(p11_module *m) { pthread_rwlock_wrlock(&m->lock); }
void p11_module_unlock_exclusive(p11_module *m) { pthread_rwlock_unlock(&m->lock); }
void p11_module_leave(p11_module *m) { pthread_rwlock_unlock(&m->lock); }

bool p11_module_enter_if_ready(p11_module *m)
{
    pthread_rwlock_rdlock(&m->lock);
    if (p11_module_needs_init(m)) {
        pthread_rwlock_unlock(&m->lock);
        return false;
    }
    return true;
}

MK_RESULT p11_module_fix_fork_locked(p11_module *m)
{
    if (!p11_module_needs_init(m)) {
        return MK_OK;
    }
    bool forked = m->pid != getpid();
    CK_RV rv = call_initialize(m);
    if (rv == CKR_CRYPTOKI_ALREADY_INITIALIZED && (forked || !m->owns_init)) {
        /* State inherited from the parent (or never ours): start clean. */
        (void)call_finalize(m);
        rv = call_initialize(m);
    }
    if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
        m->initialized = false;
        (void)P11_FAIL_AS(MK_E_TOKEN_LOST, "C_Initialize", rv);
        mk_error_context("module %s unusable", m->path);
        return MK_ERR;
    }
    MK_LOG_DEBUG("pkcs11: %s re-initialised%s", m->path, forked ? " after fork" : "");
    m->owns_init = true;
    m->initialized = true;
    m->pid = getpid();
    m->gen++;
    return MK_OK;
}

MK_RESULT p11_module_reinit_locked(p11_module *m)
{
    if (p11_module_needs_init(m)) {
        return p11_module_fix_fork_locked(m);
    }
    ENSURE_MSG(m->owns_init, MK_E_TOKEN_LOST,
               "module %s was initialised by another component in this process; not "
               "re-initialising it",
               m->path);
    (void)call_finalize(m);
    m->initialized = false;
    m->gen++;
    CK_RV rv = call_initialize(m);
    if (rv != CKR_OK) {
        (void)P11_FAIL_AS(MK_E_TOKEN_LOST, "C_Initialize", rv);
        mk_error_context("module %s unusable", m->path);
        return MK_ERR;
    }
    MK_LOG_DEBUG("pkcs11: %s finalised and re-initialised", m->path);
    m->initialized = true;
    m->gen++;
    return MK_OK;
}

MK_RESULT p11_module_enter(p11_module *m)
{
    for (;;) {
        pthread_rwlock_rdlock(&m->lock);
        if (!p11_module_needs_init(m)) {
            return MK_OK;
        }
        pthread_rwlock_unlock(&m->lock);
        pthread_rwlock_wrlock(&m->lock);
        mk_result r = p11_module_fix_fork_locked(m);
        pthread_rwlock_unlock(&m->lock);
        GUARD(r);
    }
}

MK_RESULT p11_module_get_info(p11_module *m, p11_module_info *out)
{
    GUARD(p11_module_enter(m));
    CK_INFO info;
    CK_RV rv = m->f->C_GetInfo(&info);
    p11_module_leave(m);
    if (rv != CKR_OK) {
        return P11_FAIL_AS(MK_E_PKCS11, "C_GetInfo", rv);
    }
    memset(out, 0, sizeof(*out));
    p11_trim_copy(out->manufacturer, sizeof(out->manufacturer), info.manufacturerID,
                  sizeof(info.manufacturerID));
    p11_trim_copy(out->description, sizeof(out->description), info.libraryDescription,
                  sizeof(info.libraryDescription));
    out->cryptoki_major = info.cryptokiVersion.major;
    out->cryptoki_minor = info.cryptokiVersion.minor;
    out->library_major = info.libraryVersion.major;
    out->library_minor = info.libraryVersion.minor;
    return MK_OK;
}
