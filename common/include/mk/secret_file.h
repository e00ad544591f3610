/*
 * Secrets read from files (the first sysadmin's password for `mirrorkeyd
 * init`, the passwords `mirrorkey apply` uses), with the same rules as PIN files: the file must be
 * a regular file owned by the caller (or root) and neither group- nor world-accessible, so a
 * password never travels through argv or the environment.
 */
#ifndef MK_SECRET_FILE_H
#define MK_SECRET_FILE_H

#include <stddef.h>

#include "mk/result.h"
#include "mk/secret.h"

/*
 * Read the one-line secret in `path` into a new mk_secret (caller frees).
 * One trailing "\n" or "\r\n" is dropped. Errors (the text names the file,
 * never its contents): MK_E_NOT_FOUND missing; MK_E_PERM group/world
 * permission bits or a foreign owner; MK_E_INVALID not a regular file, empty,
 * more than one line or a NUL byte; MK_E_TOOBIG over max bytes; MK_E_IO.
 */
MK_RESULT mk_secret_file_read(const char *path, size_t max, mk_secret **out);

#endif
