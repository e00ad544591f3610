/*
 * Cryptoki modules: dlopen + C_GetFunctionList + C_Initialize, once per path
 * per process.
 *
 * Modules live in a process-wide, refcounted registry keyed by the resolved
 * path: loading the same path twice returns the same module with one more
 * reference. C_Initialize is called with CKF_OS_LOCKING_OK and no mutex
 * callbacks. If the module answers CKR_CRYPTOKI_ALREADY_INITIALIZED (someone
 * else in the process, e.g. libp11, initialised it first) we use it as is and
 * leave C_Finalize to that owner; otherwise the last unref calls C_Finalize
 * and dlcloses the module.
 *
 * After fork() the child re-initialises the module before its first use
 * (PKCS#11 v2.40 §6.7.7: a child must call C_Initialize); tokens notice the
 * new module generation and reopen sessions and re-find objects.
 */
#ifndef P11_MODULE_H
#define P11_MODULE_H

#include <stdbool.h>

#include <p11-kit/pkcs11.h>

#include "mk/result.h"

typedef struct p11_module p11_module;

/* Library information from C_GetInfo, strings trimmed of padding. */
typedef struct p11_module_info {
    char manufacturer[33];
    char description[33];
    int cryptoki_major;
    int cryptoki_minor;
    int library_major;
    int library_minor;
} p11_module_info;

/*
 * Load and initialise the module at `path`, or the p11-kit proxy compiled in
 * as P11_DEFAULT_MODULE when path is NULL or empty. *out holds one reference
 * (release with p11_module_unref). Errors: MK_E_IO (dlopen failed; the
 * message carries dlerror()), MK_E_INVALID (no C_GetFunctionList),
 * MK_E_PKCS11 (C_GetFunctionList / C_Initialize failed, with the CKR name).
 */
MK_RESULT p11_module_load(const char *path, p11_module **out);
p11_module *p11_module_ref(p11_module *m);
/* Drop one reference; the last one finalises (if we initialised) and unloads. Accepts NULL. */
void p11_module_unref(p11_module *m);

/* The resolved path of the module (owned by the module). */
const char *p11_module_path(const p11_module *m);
/* C_GetInfo, trimmed. Errors: MK_E_PKCS11 "C_GetInfo failed: CKR_...". */
MK_RESULT p11_module_get_info(p11_module *m, p11_module_info *out);
/*
 * The raw function list, for tools that need a call this layer does not wrap.
 * Borrowed; valid while the module is referenced. Prefer the p11_ API.
 */
CK_FUNCTION_LIST *p11_module_functions(const p11_module *m);

/* Path of the compile-time default module (the p11-kit proxy). */
const char *p11_module_default_path(void);

#endif
