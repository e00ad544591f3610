/*
 * An open token: a selected slot of a loaded module, a session pool and the
 * login state. This is what every other p11_ object hangs off.
 *
 * Selection (RFC 7512): the URI's token/manufacturer/serial/model and
 * slot-* attributes must match exactly one token that is present, else
 * MK_E_NOT_FOUND or MK_E_AMBIGUOUS with a message listing every visible token
 * (label, serial, manufacturer, model). library-* attributes must match the
 * module. The module comes from the URI's module-path, else the caller's
 * default, else the p11-kit proxy.
 *
 * Login happens once, in p11_token_open, with the PIN from (first found):
 * the URI's pin-source, the URI's pin-value, the caller's default
 * pin-source; else, if the token has CKF_PROTECTED_AUTHENTICATION_PATH, the
 * pinpad (C_Login with a NULL PIN). With none of these the token is opened
 * without login (public objects only). The PIN is wiped right after C_Login.
 * A rejected PIN (CKR_PIN_INCORRECT, CKR_PIN_LOCKED, ...) fails the call with
 * MK_E_PIN and is never retried: real tokens lock after a few failures. A
 * token whose re-login failed stays failed until it is closed and reopened.
 *
 * Re-login after fork or token loss (the token forgets the login): a file:
 * pin-source and pin-value are simply read again; fd:, prompt and pinpad
 * cannot be repeated, so their PIN is kept for re-login in an mk_secret
 * (locked, not dumped, wiped on close) only when the caller sets cache_pin.
 * Without it re-login fails with MK_E_PIN. Nothing ever prompts from inside
 * a fork child.
 *
 * Sessions: a per-token pool guarded by a pthread mutex; calls from many
 * threads run in parallel on separate sessions. A fork is detected by a pid
 * change: the child re-initialises the module, reopens sessions, logs in
 * again and re-finds objects by CKA_ID (keys re-resolve their handles
 * lazily). Token loss (CKR_DEVICE_REMOVED, CKR_TOKEN_NOT_PRESENT,
 * CKR_SESSION_HANDLE_INVALID, ...) marks the token lost: that call and any
 * call racing with it fail closed with MK_E_TOKEN_LOST; the next call
 * re-initialises (finds the slot again by serial and label, reopens sessions,
 * logs in again, invalidates cached object handles) and proceeds, or fails
 * with MK_E_TOKEN_LOST again while the token is still missing.
 *
 * Opening a token that is already open in this process (same module, same
 * serial) returns another reference to the same object; its login and pin
 * caching were decided by the first open.
 */
#ifndef P11_TOKEN_H
#define P11_TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <p11-kit/pkcs11.h>

#include "mk/result.h"
#include "p11/module.h"
#include "p11/uri.h"

typedef struct p11_token p11_token;

/* Caller defaults for what the URI leaves out. All fields optional (zero = none). */
typedef struct p11_token_defaults {
    const char *module_path; /* when the URI has no module-path; NULL: p11-kit proxy */
    const char *pin_source;  /* when the URI has neither pin-source nor pin-value */
    bool cache_pin;          /* keep an fd:/prompt/pinpad PIN for re-login (see above) */
} p11_token_defaults;

/* CK_TOKEN_INFO fields, trimmed of padding and NUL-terminated. */
typedef struct p11_token_info {
    char label[33];
    char manufacturer[33];
    char model[17];
    char serial[17];
    CK_FLAGS flags;
    CK_SLOT_ID slot_id;
} p11_token_info;

/*
 * Parse `uri` (a "pkcs11:" URI) and open the one token it selects.
 * defaults may be NULL. *out holds one reference. Errors: URI parse errors
 * (MK_E_INVALID), module load errors, MK_E_NOT_FOUND / MK_E_AMBIGUOUS (with
 * the list of visible tokens), MK_E_PIN (no PIN obtainable, or rejected:
 * "C_Login failed: CKR_PIN_INCORRECT"), MK_E_PKCS11.
 */
MK_RESULT p11_token_open(const char *uri, const p11_token_defaults *defaults, p11_token **out);
/* Same with an already parsed URI (borrowed; only token/slot/library/query attributes are used). */
MK_RESULT p11_token_open_uri(const p11_uri *uri, const p11_token_defaults *defaults,
                             p11_token **out);
p11_token *p11_token_ref(p11_token *t);
/* Drop one reference; the last closes sessions, logs out and unrefs the module. Accepts NULL. */
void p11_token_unref(p11_token *t);

/* Token info as seen at open (label, serial... do not change while open). */
const p11_token_info *p11_token_get_info(const p11_token *t);
/* The module (borrowed; valid while the token is referenced). */
p11_module *p11_token_module(const p11_token *t);
/* True when a user login is in effect (or was, before a loss not yet recovered). */
bool p11_token_logged_in(const p11_token *t);

/*
 * Fill out[0..len) from the token RNG (C_GenerateRandom). len may be 0.
 * Errors: MK_E_TOKEN_LOST, MK_E_PKCS11.
 */
MK_RESULT p11_token_random(p11_token *t, uint8_t *out, size_t len);

/*
 * Whether the token supports `mech` (C_GetMechanismInfo); flags (may be NULL)
 * receives CKF_SIGN, CKF_DECRYPT... Errors only for transport failures
 * (MK_E_TOKEN_LOST, MK_E_PKCS11); an unsupported mechanism is *supported=false.
 */
MK_RESULT p11_token_mechanism(p11_token *t, CK_MECHANISM_TYPE mech, bool *supported,
                              CK_FLAGS *flags);

/*
 * Health check: recover if the token was lost or the process forked, then
 * check a session with C_GetSessionInfo. Errors: MK_E_TOKEN_LOST, MK_E_PIN.
 */
MK_RESULT p11_token_ping(p11_token *t);

/*
 * Destroy every object (any class) whose CKA_ID is id[0..id_len): the private
 * key, public key and certificate of one identity. *destroyed (may be NULL)
 * gets the count. Errors: MK_E_INVALID (empty id), MK_E_TOKEN_LOST, MK_E_PKCS11.
 */
MK_RESULT p11_token_destroy_id(p11_token *t, const uint8_t *id, size_t id_len, size_t *destroyed);

/*
 * For tests: the number of C_Login calls this process has made (all tokens).
 * Lets a test prove that a rejected PIN is not retried.
 */
unsigned long p11_debug_login_calls(void);

#endif
