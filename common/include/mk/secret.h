/*
 * Secret buffers for PINs, passwords and master-key bytes.
 *
 * The memory is its own mapping, locked when the system allows it and marked
 * MADV_DONTDUMP so it stays out of core dumps. It is wiped with
 * OPENSSL_cleanse before it is unmapped. A secret has a capacity fixed at
 * creation and a length <= capacity. Compare with mk_secret_equal (constant
 * time). There is deliberately no way to format a secret as text.
 */
#ifndef MK_SECRET_H
#define MK_SECRET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mk/result.h"

typedef struct mk_secret mk_secret;

/* A zeroed secret of `cap` bytes (length 0). cap must be 1..1 MiB. */
MK_RESULT mk_secret_new(size_t cap, mk_secret **out);
/* A secret holding a copy of data[0..len). */
MK_RESULT mk_secret_from(const void *data, size_t len, mk_secret **out);
/* Wipe and release. Accepts NULL. */
void mk_secret_free(mk_secret *s);

uint8_t *mk_secret_data(mk_secret *s);
const uint8_t *mk_secret_cdata(const mk_secret *s);
size_t mk_secret_len(const mk_secret *s);
size_t mk_secret_cap(const mk_secret *s);
/* Set the used length (<= cap); bytes past it are wiped. */
MK_RESULT mk_secret_set_len(mk_secret *s, size_t len);
/* Constant-time equality of contents (lengths are not secret). */
bool mk_secret_equal(const mk_secret *a, const mk_secret *b);

/*
 * Process hardening for programs that hold secrets: no core dumps, not
 * ptrace-attachable by the same user (PR_SET_DUMPABLE 0).
 */
void mk_harden_process(void);

#endif
