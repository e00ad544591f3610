/*
 * Private structures and helpers of the token layer (pkcs11/src only).
 *
 * Locking, outermost first (never take an outer lock while holding an inner
 * one):
 *   1. the registry mutex (registry.c): module and token lists, refcounts
 *   2. a module's rwlock: every Cryptoki call runs under the read side; the
 *      write side is taken to (re)initialise the module and to recover a
 *      lost token, so C_Finalize never races with another call
 *   3. a token's mutex: pool bookkeeping and token state, held only briefly
 * A pthread_atfork handler takes all three in that order so that the child
 * starts with consistent, unlocked state.
 */
#ifndef P11_INTERNAL_H
#define P11_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <p11-kit/pkcs11.h>

#include "mk/result.h"
#include "mk/secret.h"
#include "p11/cert.h"
#include "p11/key.h"
#include "p11/module.h"
#include "p11/policy.h"
#include "p11/protector.h"
#include "p11/pin.h"
#include "p11/rv.h"
#include "p11/token.h"
#include "p11/uri.h"

/* ---- modules (module.c) ---- */

struct p11_module {
    char *path;
    void *dl;
    CK_FUNCTION_LIST *f;
    unsigned refs;    /* registry mutex */
    bool owns_init;   /* we called C_Initialize successfully: we finalise */
    bool initialized; /* write side of lock */
    pid_t pid;        /* process that initialised it */
    uint64_t gen;     /* bumped at every (re)initialisation */
    pthread_rwlock_t lock;
    struct p11_module *next; /* registry list */
};

/* Take the read side, re-initialising first after a fork or a failed re-init. */
MK_RESULT p11_module_enter(p11_module *m);
void p11_module_leave(p11_module *m);
/* Take the read side only if no re-initialisation is due (for cleanup paths). */
bool p11_module_enter_if_ready(p11_module *m);
/* Write side, for recovery. */
void p11_module_lock_exclusive(p11_module *m);
void p11_module_unlock_exclusive(p11_module *m);
/* With the write side held: make the module usable again after a fork. */
MK_RESULT p11_module_fix_fork_locked(p11_module *m);
/* With the write side held: C_Finalize (when owned) + C_Initialize. */
MK_RESULT p11_module_reinit_locked(p11_module *m);
/* Read under the write or read side. */
bool p11_module_needs_init(const p11_module *m);

/* ---- registry (registry.c) ---- */

void p11_registry_lock(void);
void p11_registry_unlock(void);
/* Installs the atfork handlers once. */
void p11_registry_init_once(void);
/* With the registry locked: list heads, linking and unlinking. */
p11_module *p11_registry_modules(void);
p11_token *p11_registry_tokens(void);
void p11_registry_add_module(p11_module *m);
void p11_registry_remove_module(p11_module *m);
void p11_registry_add_token(p11_token *t);
void p11_registry_remove_token(p11_token *t);

/* ---- tokens (token.c, select.c, login.c, session.c) ---- */

typedef enum p11_pin_mode {
    P11_PINMODE_NONE = 0, /* no login */
    P11_PINMODE_FILE,     /* re-read the file at every login */
    P11_PINMODE_VALUE,    /* the URI's pin-value, kept in pin_cache */
    P11_PINMODE_ONCE,     /* fd: or prompt: read once; cached only if cache_pin */
    P11_PINMODE_PINPAD,   /* C_Login(NULL) */
} p11_pin_mode;

struct p11_token {
    p11_module *m;
    _Atomic unsigned refs;  /* 0 = being destroyed: registry lookups skip it */
    struct p11_token *next; /* registry list (registry mutex) */

    pthread_mutex_t mu;
    pthread_cond_t cv;
    p11_token_info info; /* slot_id may change after a rescan (mu) */
    uint64_t mod_gen;    /* module generation our sessions belong to (mu) */
    uint64_t gen;        /* session/object generation (mu; atomic copy below) */
    _Atomic uint64_t gen_pub;
    bool lost;                /* mu */
    bool logged_in;           /* mu */
    bool login_failed;        /* mu: a rejected PIN latches here */
    bool ever_logged_in;      /* mu: the first login happened */
    pid_t pid;                /* mu: process our sessions belong to */
    bool rw;                  /* sessions are read-write */
    CK_SESSION_HANDLE anchor; /* keeps the login alive; never handed out */
    bool have_anchor;
    CK_SESSION_HANDLE *idle;
    size_t n_idle;
    size_t cap_idle;
    size_t n_out;        /* sessions handed out */
    size_t max_sessions; /* 0 = unlimited */

    p11_pin_mode pin_mode;
    p11_pin_source pin_src;
    mk_secret *pin_cache; /* VALUE, or ONCE with cache_pin */
    bool cache_pin;

    pthread_mutex_t create_mu; /* serialises "label is free" + create */
};

/* A checked-out session. The module's read side is held until p11_session_put. */
typedef struct p11_session {
    p11_token *t;
    CK_FUNCTION_LIST *f;
    CK_SESSION_HANDLE h;
    uint64_t gen;
    bool held; /* module read side held */
} p11_session;

/*
 * Check out a session, first recovering the token if it was lost, the module
 * re-initialised or the process forked. Errors: MK_E_TOKEN_LOST, MK_E_PIN,
 * MK_E_PKCS11. On success p11_session_put must follow.
 */
MK_RESULT p11_session_get(p11_token *t, p11_session *s);
/*
 * Give the session back. rv is the last Cryptoki result on it: CKR_OK returns
 * it to the pool; a token-loss code marks the token lost; anything else
 * closes it (an operation may still be active). Idempotent.
 */
void p11_session_put(p11_session *s, CK_RV rv);
/* Record "<fn> failed: <CKR>" for a call on s, marking the token lost if rv says so. */
mk_result p11_session_fail(p11_session *s, const char *fn, CK_RV rv);
/*
 * After CKR_OBJECT_HANDLE_INVALID / CKR_KEY_HANDLE_INVALID on a cached handle:
 * ask the token whether it is still there (C_GetTokenInfo on its slot). If not,
 * mark it lost and return false.
 */
bool p11_session_probe(p11_session *s);
/* Mark the token lost (next call recovers). */
void p11_token_mark_lost(p11_token *t);
/* Current object generation (cached handles from older generations are stale). */
uint64_t p11_token_generation(const p11_token *t);

/* session.c: C_GenerateRandom on a session we hold. */
MK_RESULT p11_random_s(p11_session *s, uint8_t *out, size_t len);

/* select.c: find the slot whose token matches (exactly one) and fill info. */
MK_RESULT p11_select_token(p11_module *m, const p11_uri *uri, p11_token_info *out);
/* session.c: C_GenerateRandom on a session we hold. */
MK_RESULT p11_random_s(p11_session *s, uint8_t *out, size_t len);

/* select.c: find the slot holding the token with this serial and label again. */
MK_RESULT p11_select_again(p11_module *m, const p11_token_info *want, CK_SLOT_ID *slot);
/* select.c: Cryptoki fixed-width padded string to C string. */
void p11_trim_copy(char *dst, size_t dst_len, const unsigned char *src, size_t src_len);

/* login.c */
MK_RESULT p11_login_setup(p11_token *t, const p11_uri *uri, const p11_token_defaults *defaults);
/* With the token mutex held and module write side: log in on the anchor. */
MK_RESULT p11_login_locked(p11_token *t, bool after_fork);
void p11_login_cleanup(p11_token *t);
void p11_login_count_call(void);

/* session.c: first session + login at open. */
MK_RESULT p11_session_start(p11_token *t);
void p11_session_close_all(p11_token *t);

/* ---- objects (find.c) ---- */

#define P11_FIND_MAX 4096

/* Search with tmpl; up to max handles into out (count in *n). */
MK_RESULT p11_find(p11_session *s, CK_ATTRIBUTE *tmpl, CK_ULONG count, CK_OBJECT_HANDLE *out,
                   size_t max, size_t *n);
/* MK_E_TOKEN_LOST unless the token still answers C_GetTokenInfo. */
MK_RESULT p11_check_present(p11_session *s);
/* Read one attribute of any length (size query, then value) into a fresh heap buffer. */
MK_RESULT p11_attr_alloc(p11_session *s, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type, uint8_t **out,
                         size_t *len);
/* Read a CK_ULONG attribute. */
MK_RESULT p11_attr_ulong(p11_session *s, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type, CK_ULONG *out);
/* The label as a NUL-terminated heap string ("" when absent). */
MK_RESULT p11_attr_label(p11_session *s, CK_OBJECT_HANDLE h, char **out);
/* Is there any object (any class) with this label? */
MK_RESULT p11_label_exists(p11_session *s, const char *label, bool *exists);
/* Exactly one object of class cls with this id; MK_E_NOT_FOUND / MK_E_AMBIGUOUS. */
MK_RESULT p11_find_one_by_id(p11_session *s, CK_OBJECT_CLASS cls, const uint8_t *id, size_t id_len,
                             CK_OBJECT_HANDLE *out);
/* Hex of id for messages (truncated to fit). */
void p11_hex(char *dst, size_t dst_len, const uint8_t *id, size_t id_len);
/* Check a label we are about to create. */
MK_RESULT p11_check_label(const char *label);
/* Human name for a class ("private key"). */
const char *p11_class_name(CK_OBJECT_CLASS cls);

/* ---- keys (key.c) ---- */

struct p11_key {
    _Atomic unsigned refs;
    p11_token *t;
    p11_key_type type;
    bool has_private;
    unsigned bits;
    uint8_t *id;
    size_t id_len;
    char *label;
    uint8_t *mod, *exp; /* RSA */
    size_t mod_len, exp_len;
    uint8_t *params, *point; /* EC */
    size_t params_len, point_len;
    /* Cached private-key handle, valid for token generation handle_gen. */
    _Atomic CK_OBJECT_HANDLE handle;
    _Atomic uint64_t handle_gen;
};

/* Build a key from a private (or, with is_private false, public) key object. */
MK_RESULT p11_key_from_handle(p11_session *s, CK_OBJECT_HANDLE h, bool is_private, p11_key **out);
/* The cached handle if still current for s, else re-find by CKA_ID. */
MK_RESULT p11_key_handle(p11_key *k, p11_session *s, CK_OBJECT_HANDLE *out);
/* Forget the cached handle. */
void p11_key_forget_handle(p11_key *k);
/* Unwrap a DER OCTET STRING EC point (or accept a raw one of the right size). */
MK_RESULT p11_ec_point_unwrap(const uint8_t *in, size_t len, size_t field_bytes, const uint8_t **pt,
                              size_t *pt_len);
/* Field size in bits of the named curve in DER EC params; MK_E_INVALID if unknown. */
MK_RESULT p11_ec_params_bits(const uint8_t *params, size_t len, unsigned *bits);

/* key.c: exactly one match for tmpl; `what` names the class in messages. */
MK_RESULT p11_find_unique(p11_session *s, CK_ATTRIBUTE *tmpl, CK_ULONG count, const char *what,
                          CK_OBJECT_HANDLE *out);
/* key.c: class + id + label template from a selector (tmpl has room for 3). */
size_t p11_selector_template(const p11_uri *sel, CK_OBJECT_CLASS *cls, CK_ATTRIBUTE *tmpl);

/* protector.c */
struct p11_protector {
    p11_token *t;
    uint8_t id[64];
    size_t id_len;
    char *label;
    _Atomic CK_OBJECT_HANDLE handle;
    _Atomic uint64_t handle_gen;
};
MK_RESULT p11_protector_handle(p11_protector *p, p11_session *s, CK_OBJECT_HANDLE *out);
void p11_protector_forget_handle(p11_protector *p);

/* cert.c */
MK_RESULT p11_cert_from_handle(p11_session *s, CK_OBJECT_HANDLE h, p11_cert **out);
/* cert.c: the certificate's EC public point as encoded in its SPKI (heap copy). */
MK_RESULT p11_cert_ec_point(const p11_cert *c, uint8_t **out, size_t *len);

/* policy.c */
MK_RESULT p11_policy_run(p11_session *s, CK_OBJECT_HANDLE h, CK_KEY_TYPE kt, const char *what,
                         p11_policy_report *r);

#endif
