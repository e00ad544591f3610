/*
 * One-line secrets from owner-only files (see mk/secret_file.h). The bytes
 * go straight from read(2) into a locked, wiped mk_secret.
 */
#include "mk/secret_file.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* File type, owner and permission checks on the open descriptor. */
static MK_RESULT check_file(int fd, const char *path)
{
    struct stat st;
    ENSURE_MSG(fstat(fd, &st) == 0, MK_E_IO, "cannot stat %s: %s", path, strerror(errno));
    ENSURE_MSG(S_ISREG(st.st_mode), MK_E_INVALID, "%s is not a regular file", path);
    ENSURE_MSG(st.st_uid == geteuid() || st.st_uid == 0, MK_E_PERM,
               "%s must be owned by the user running this program", path);
    ENSURE_MSG((st.st_mode & 077) == 0, MK_E_PERM,
               "%s is accessible by group or others; run: chmod 600 %s", path, path);
    return MK_OK;
}

/* Read the whole file into s (capacity max + 2 so that "too big" is seen). */
static MK_RESULT read_all(int fd, const char *path, mk_secret *s, size_t max)
{
    size_t len = 0;
    uint8_t *p = mk_secret_data(s);
    size_t cap = mk_secret_cap(s);
    for (;;) {
        ssize_t n = read(fd, p + len, cap - len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        ENSURE_MSG(n >= 0, MK_E_IO, "cannot read %s: %s", path, strerror(errno));
        if (n == 0) {
            break;
        }
        len += (size_t)n;
        ENSURE_MSG(len < cap, MK_E_TOOBIG, "%s is longer than %zu bytes", path, max);
    }
    if (len >= 2 && p[len - 2] == '\r' && p[len - 1] == '\n') {
        len -= 2;
    } else if (len >= 1 && p[len - 1] == '\n') {
        len -= 1;
    }
    ENSURE_MSG(len <= max, MK_E_TOOBIG, "%s is longer than %zu bytes", path, max);
    ENSURE_MSG(len > 0, MK_E_INVALID, "%s is empty", path);
    ENSURE_MSG(memchr(p, '\n', len) == NULL && memchr(p, '\r', len) == NULL, MK_E_INVALID,
               "%s must hold exactly one line", path);
    ENSURE_MSG(memchr(p, '\0', len) == NULL, MK_E_INVALID, "%s holds a NUL byte", path);
    return mk_secret_set_len(s, len);
}

MK_RESULT mk_secret_file_read(const char *path, size_t max, mk_secret **out)
{
    mk_result res = MK_ERR;
    mk_secret *s = NULL;
    ENSURE_MSG(max >= 1 && max <= 64 * 1024, MK_E_INVALID, "secret size limit out of range");
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
    if (fd < 0) {
        ENSURE_MSG(errno != ENOENT, MK_E_NOT_FOUND, "%s does not exist", path);
        BAIL_MSG(MK_E_IO, "cannot open %s: %s", path, strerror(errno));
    }
    GUARD_OUT(check_file(fd, path));
    GUARD_OUT(mk_secret_new(max + 2, &s));
    GUARD_OUT(read_all(fd, path, s, max));
    *out = s;
    s = NULL;
    res = MK_OK;
out:
    close(fd);
    mk_secret_free(s);
    return res;
}
