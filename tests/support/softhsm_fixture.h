/*
 * Test fixture: a fresh SoftHSM2 token store in a private temp directory.
 *
 * mk_softhsm_setup() creates the directory, a softhsm2.conf pointing at it
 * (file backend, errors only, reset_on_fork), exports SOFTHSM2_CONF, creates
 * one token with the given label, and writes the user PIN to a 0600 file.
 * `uri` then selects that token with module-path and pin-source set, ready
 * for the pkcs11 layer, the provider or `openssl`. Teardown removes it all.
 *
 * The fixture calls softhsm2-util, which only takes PINs on its command line:
 * that is the test tool's limitation, and the PINs are throwaway test values.
 */
#ifndef MK_SOFTHSM_FIXTURE_H
#define MK_SOFTHSM_FIXTURE_H

#include <stddef.h>

#define MK_TEST_USER_PIN "1234-user"
#define MK_TEST_SO_PIN "5678-so"

typedef struct mk_softhsm {
    char dir[512];
    char conf[600];
    char tokendir[600];
    char pin_file[600];
    char label[64];
    char module[512];
    char uri[2048];
} mk_softhsm;

/* 0 on success, -1 (with a message on stderr) on failure. */
int mk_softhsm_setup(mk_softhsm *h, const char *label);
/* Initialise one more token in the same store; writes its URI to uri_out. */
int mk_softhsm_add_token(mk_softhsm *h, const char *label, char *uri_out, size_t uri_len);
/* Remove the temp directory; safe to call twice. */
void mk_softhsm_teardown(mk_softhsm *h);
/* Run a command (argv, NULL-terminated) and wait; returns its exit status or -1. */
int mk_run(char *const argv[]);
/* Run a shell command line and return its exit status (for tests only). */
int mk_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
