/*
 * The one error idiom of mirrorkey (after s2n-tls's s2n_result).
 *
 * Internal functions return mk_result and are declared with MK_RESULT so the
 * compiler warns when a caller drops it. On failure the function records a
 * code, a human message and the file:line where the failure started in a
 * thread-local slot, then returns MK_ERR. Callers propagate with GUARD, check
 * conditions with ENSURE and fail with BAIL. Borders (Cryptoki, OpenSSL entry
 * points, the T-SQL executor, CLIs) translate the recorded error once.
 *
 * Functions that own resources use one exit label: they keep a local
 * `mk_result res = MK_ERR;`, jump with the *_OUT variants, set `res = MK_OK;`
 * just before `out:`, and release everything after it.
 */
#ifndef MK_RESULT_H
#define MK_RESULT_H

#include <stdbool.h>

typedef struct mk_result {
    int failed; /* 0 = success; never inspect directly, use mk_ok/mk_failed */
} mk_result;

#define MK_RESULT __attribute__((warn_unused_result)) mk_result

#define MK_OK ((mk_result){0})
#define MK_ERR ((mk_result){1})

/* Error classes. The message says what happened; the code says what kind. */
typedef enum mk_err {
    MK_E_NONE = 0,
    MK_E_NOMEM,      /* allocation failed */
    MK_E_BOUNDS,     /* read or write past a cursor/buffer limit */
    MK_E_INVALID,    /* malformed input or bad argument */
    MK_E_TOOBIG,     /* input over a hard cap */
    MK_E_IO,         /* file or socket error */
    MK_E_NOT_FOUND,  /* selector matched nothing */
    MK_E_AMBIGUOUS,  /* selector matched more than one */
    MK_E_EXISTS,     /* object already exists */
    MK_E_PKCS11,     /* a Cryptoki call failed */
    MK_E_TOKEN_LOST, /* token removed or sessions invalidated */
    MK_E_PIN,        /* PIN could not be obtained or was rejected */
    MK_E_POLICY,     /* a security policy check failed */
    MK_E_CRYPTO,     /* a cryptographic check failed (bad tag, bad signature) */
    MK_E_PERM,       /* permission denied */
    MK_E_STATE,      /* operation not valid in the current state */
    MK_E_INTERNAL,   /* a bug */
} mk_err;

static inline bool mk_ok(mk_result r) { return r.failed == 0; }
static inline bool mk_failed(mk_result r) { return r.failed != 0; }

/*
 * Record an error for this thread. fmt may be NULL (a generic text for the
 * code is used). Never pass secrets in the message. Returns MK_ERR so that
 * `return mk_error_set(...)` reads naturally.
 */
mk_result mk_error_set(mk_err code, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Prefix the current message with more context ("loading key: <old>"). */
void mk_error_context(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The last error recorded on this thread. Valid until the next mk_error_set. */
mk_err mk_error_code(void);
const char *mk_error_message(void); /* human text, never NULL */
const char *mk_error_file(void);    /* where it was raised, or "" */
int mk_error_line(void);
void mk_error_clear(void);

/* Generic text for a code ("out of memory", ...). */
const char *mk_err_name(mk_err code);

#define MK_RAISE(code, ...) mk_error_set((code), __FILE__, __LINE__, __VA_ARGS__)

/* Fail with code: record and return MK_ERR. */
#define BAIL(code)                                                                                 \
    do {                                                                                           \
        (void)mk_error_set((code), __FILE__, __LINE__, NULL);                                      \
        return MK_ERR;                                                                             \
    } while (0)
#define BAIL_MSG(code, ...)                                                                        \
    do {                                                                                           \
        (void)mk_error_set((code), __FILE__, __LINE__, __VA_ARGS__);                               \
        return MK_ERR;                                                                             \
    } while (0)

/* Fail with code unless cond holds. */
#define ENSURE(cond, code)                                                                         \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            BAIL(code);                                                                            \
        }                                                                                          \
    } while (0)
#define ENSURE_MSG(cond, code, ...)                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            BAIL_MSG(code, __VA_ARGS__);                                                           \
        }                                                                                          \
    } while (0)

/* Propagate a failure from a callee that already recorded it. */
#define GUARD(expr)                                                                                \
    do {                                                                                           \
        if (mk_failed(expr)) {                                                                     \
            return MK_ERR;                                                                         \
        }                                                                                          \
    } while (0)

/* Variants for functions with one `out:` cleanup label and `res` preset to MK_ERR. */
#define GUARD_OUT(expr)                                                                            \
    do {                                                                                           \
        if (mk_failed(expr)) {                                                                     \
            goto out;                                                                              \
        }                                                                                          \
    } while (0)
#define BAIL_OUT(code, ...)                                                                        \
    do {                                                                                           \
        (void)mk_error_set((code), __FILE__, __LINE__, __VA_ARGS__);                               \
        goto out;                                                                                  \
    } while (0)
#define ENSURE_OUT(cond, code, ...)                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            BAIL_OUT(code, __VA_ARGS__);                                                           \
        }                                                                                          \
    } while (0)

#endif
