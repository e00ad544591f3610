/*
 * Where PINs come from. Never argv, never environment variables.
 *
 *   file:PATH   the file's content (one trailing "\n" or "\r\n" stripped); the
 *               file must be a regular file, owned by the caller or root, and
 *               not readable or writable by group or others (mode 0400/0600),
 *               else MK_E_PERM with a message naming the path and its mode.
 *   fd:N        read to EOF (max P11_PIN_MAX bytes) from inherited fd N, which
 *               is closed afterwards; trailing newline stripped.
 *   prompt      a no-echo prompt on /dev/tty ("Enter PIN for 'label': ").
 *   pinpad      the protected authentication path: no PIN is read; C_Login
 *               gets NULL_PTR. Only valid when the token has
 *               CKF_PROTECTED_AUTHENTICATION_PATH.
 *
 * The `pin-source` URI attribute takes these forms; a bare path (no scheme)
 * means file:. The PIN is returned in an mk_secret that the caller frees
 * right after C_Login. An empty PIN is an error.
 */
#ifndef P11_PIN_H
#define P11_PIN_H

#include <stdbool.h>

#include "mk/result.h"
#include "mk/secret.h"

#define P11_PIN_MAX 256

typedef enum p11_pin_kind {
    P11_PIN_FILE,
    P11_PIN_FD,
    P11_PIN_PROMPT,
    P11_PIN_PINPAD,
} p11_pin_kind;

typedef struct p11_pin_source {
    p11_pin_kind kind;
    char path[4096]; /* P11_PIN_FILE */
    int fd;          /* P11_PIN_FD */
} p11_pin_source;

/* Parse "file:/p", "/p", "fd:3", "prompt", "pinpad". MK_E_INVALID otherwise. */
MK_RESULT p11_pin_source_parse(const char *text, p11_pin_source *out);

/*
 * Obtain the PIN. For P11_PIN_PINPAD *out is set to NULL and the call
 * succeeds. `what` names the token in the prompt. Never logs the PIN.
 */
MK_RESULT p11_pin_read(const p11_pin_source *src, const char *what, mk_secret **out);

#endif
