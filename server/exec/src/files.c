/*
 * FROM FILE / TO FILE paths, confined to the instance's file root
 * (DESIGN.md "Admin surface"): the seed scripts name 'C:\HOST_A_cert.cer',
 * which must land in <file-root>/HOST_A_cert.cer and nowhere else.
 *
 * Two steps. exec_path_resolve turns the T-SQL text into a root-relative
 * path and refuses anything that could leave the root by its spelling
 * (other drives, UNC, '..', NUL...). The file functions then open that path
 * component by component from a descriptor of the root with O_NOFOLLOW, so
 * that a symlink planted inside the root (or swapped in during the walk)
 * cannot lead outside it either: symlinks are refused outright.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

/* Length of root without trailing slashes (but "/" stays "/"). */
static size_t root_len(const char *root)
{
    size_t n = strlen(root);
    while (n > 1 && root[n - 1] == '/') {
        n--;
    }
    return n;
}

/* Strip the prefix that anchors the path at the root; *rest is what is left. */
static mk_result strip_anchor(const char *root, const char *p, size_t len, size_t *skip)
{
    *skip = 0;
    if (len >= 2 && (p[0] == '\\' || p[0] == '/') && (p[1] == '\\' || p[1] == '/')) {
        BAIL_MSG(MK_E_PERM, "network (UNC) paths are refused");
    }
    if (len >= 2 && isalpha((unsigned char)p[0]) && p[1] == ':') {
        ENSURE_MSG(toupper((unsigned char)p[0]) == 'C', MK_E_PERM,
                   "only drive C: maps to the file root");
        ENSURE_MSG(len >= 3 && (p[2] == '\\' || p[2] == '/'), MK_E_INVALID,
                   "drive-relative paths (C:name) are refused");
        *skip = 3;
        return MK_OK;
    }
    if (p[0] == '\\') {
        *skip = 1; /* rooted on the current drive: the file root */
        return MK_OK;
    }
    if (p[0] == '/') {
        size_t rl = root_len(root);
        bool under = rl == 1 ? true : (len > rl && strncmp(p, root, rl) == 0 && p[rl] == '/');
        ENSURE_MSG(under, MK_E_PERM, "absolute paths must lie under the file root");
        *skip = rl == 1 ? 1 : rl + 1;
    }
    return MK_OK;
}

/* Check one component and append it (with a separator) to rel. */
static mk_result add_component(const char *c, size_t n, char *rel, size_t rel_size, size_t *used)
{
    if (n == 0 || (n == 1 && c[0] == '.')) {
        return MK_OK;
    }
    ENSURE_MSG(!(n == 2 && c[0] == '.' && c[1] == '.'), MK_E_PERM, "'..' is refused in paths");
    ENSURE_MSG(n <= NAME_MAX, MK_E_TOOBIG, "a path component is too long");
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)c[i];
        ENSURE_MSG(ch >= 0x20 && ch != 0x7f, MK_E_INVALID, "control characters in the path");
        ENSURE_MSG(ch != ':', MK_E_INVALID, "':' inside a path component is refused");
    }
    size_t need = *used + (*used > 0 ? 1 : 0) + n + 1;
    ENSURE_MSG(need <= rel_size, MK_E_TOOBIG, "the path is too long");
    if (*used > 0) {
        rel[(*used)++] = '/';
    }
    memcpy(rel + *used, c, n);
    *used += n;
    rel[*used] = '\0';
    return MK_OK;
}

mk_result exec_path_resolve(const char *root, const char *path, size_t path_len, char *rel,
                            size_t rel_size)
{
    ENSURE_MSG(rel_size > 0, MK_E_INVALID, "no room for the path");
    rel[0] = '\0';
    ENSURE_MSG(path_len > 0, MK_E_INVALID, "empty path");
    ENSURE_MSG(path_len < PATH_MAX, MK_E_TOOBIG, "the path is too long");
    ENSURE_MSG(memchr(path, '\0', path_len) == NULL, MK_E_INVALID, "NUL byte in the path");
    size_t pos = 0;
    size_t used = 0;
    GUARD(strip_anchor(root, path, path_len, &pos));
    /* The last component must name a file: not empty ("sub/") and not ".". */
    size_t last = path_len;
    while (last > pos && path[last - 1] != '/' && path[last - 1] != '\\') {
        last--;
    }
    ENSURE_MSG(last < path_len && !(path_len - last == 1 && path[last] == '.'), MK_E_INVALID,
               "the path names a directory, not a file");
    while (pos < path_len) {
        size_t start = pos;
        while (pos < path_len && path[pos] != '/' && path[pos] != '\\') {
            pos++;
        }
        GUARD(add_component(path + start, pos - start, rel, rel_size, &used));
        pos++; /* the separator */
    }
    ENSURE_MSG(used > 0, MK_E_INVALID, "the path names no file");
    return MK_OK;
}

/* errno of a failed open as an mk_result. */
static mk_result open_error(int e, const char *what)
{
    switch (e) {
    case ENOENT: BAIL_MSG(MK_E_NOT_FOUND, "%s does not exist", what);
    case EEXIST: BAIL_MSG(MK_E_EXISTS, "%s already exists", what);
    case ELOOP:
    case EMLINK: BAIL_MSG(MK_E_PERM, "%s is a symbolic link (refused)", what);
    case ENOTDIR: BAIL_MSG(MK_E_PERM, "a directory in the path is not a directory");
    case EACCES:
    case EPERM: BAIL_MSG(MK_E_PERM, "permission denied on %s", what);
    case EISDIR: BAIL_MSG(MK_E_INVALID, "%s is a directory", what);
    default: BAIL_MSG(MK_E_IO, "cannot open %s: %s", what, strerror(e));
    }
}

/*
 * Open the directory that holds the last component of rel, walking from the
 * root without following symlinks. *dirfd is owned by the caller; *leaf
 * points into rel.
 */
static mk_result open_parent(const char *root, const char *rel, int *dirfd, const char **leaf)
{
    int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        return open_error(errno, "the file root");
    }
    const char *p = rel;
    const char *slash = NULL;
    while ((slash = strchr(p, '/')) != NULL) {
        char comp[NAME_MAX + 1];
        size_t n = (size_t)(slash - p);
        if (n == 0 || n > NAME_MAX) {
            close(fd);
            BAIL_MSG(MK_E_INVALID, "bad path component");
        }
        memcpy(comp, p, n);
        comp[n] = '\0';
        int next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        int e = errno;
        close(fd);
        if (next < 0) {
            return open_error(e, "a directory in the path");
        }
        fd = next;
        p = slash + 1;
    }
    *dirfd = fd;
    *leaf = p;
    return MK_OK;
}

mk_result exec_file_read(const char *root, const char *path, size_t max, mk_buf *out)
{
    char rel[PATH_MAX];
    const char *leaf = NULL;
    int dir = -1;
    GUARD(exec_path_resolve(root, path, strlen(path), rel, sizeof(rel)));
    GUARD(open_parent(root, rel, &dir, &leaf));
    mk_result res = MK_ERR;
    int fd = openat(dir, leaf, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        (void)open_error(errno, "the file");
        goto out;
    }
    struct stat st;
    ENSURE_OUT(fstat(fd, &st) == 0, MK_E_IO, "cannot stat the file");
    ENSURE_OUT(S_ISREG(st.st_mode), MK_E_INVALID, "not a regular file");
    ENSURE_OUT((uint64_t)st.st_size <= max, MK_E_TOOBIG, "the file is larger than %zu bytes", max);
    for (;;) {
        uint8_t chunk[4096];
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        ENSURE_OUT(n >= 0, MK_E_IO, "reading the file: %s", strerror(errno));
        if (n == 0) {
            break;
        }
        ENSURE_OUT(out->len + (size_t)n <= max, MK_E_TOOBIG, "the file grew past %zu bytes", max);
        GUARD_OUT(mk_buf_append(out, chunk, (size_t)n));
    }
    res = MK_OK;
out:
    if (fd >= 0) {
        close(fd);
    }
    close(dir);
    return res;
}

static mk_result write_all(int fd, const uint8_t *data, size_t len)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = write(fd, data + done, len - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        ENSURE_MSG(n > 0, MK_E_IO, "writing the file: %s", strerror(errno));
        done += (size_t)n;
    }
    ENSURE_MSG(fsync(fd) == 0, MK_E_IO, "syncing the file: %s", strerror(errno));
    return MK_OK;
}

mk_result exec_file_create(const char *root, const char *path, const uint8_t *data, size_t len,
                           char *rel_out, size_t rel_size)
{
    char rel[PATH_MAX];
    const char *leaf = NULL;
    int dir = -1;
    GUARD(exec_path_resolve(root, path, strlen(path), rel, sizeof(rel)));
    GUARD(open_parent(root, rel, &dir, &leaf));
    /* O_EXCL also refuses a symlink in the last place (it is never followed). */
    int fd = openat(dir, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) {
        int e = errno;
        close(dir);
        return open_error(e, "the file");
    }
    mk_result r = write_all(fd, data, len);
    if (close(fd) != 0 && mk_ok(r)) {
        r = MK_RAISE(MK_E_IO, "closing the file: %s", strerror(errno));
    }
    if (mk_failed(r)) {
        (void)unlinkat(dir, leaf, 0);
    }
    close(dir);
    GUARD(r);
    if (rel_out != NULL) {
        size_t n = strlen(rel);
        ENSURE_MSG(n < rel_size, MK_E_TOOBIG, "no room for the path");
        memcpy(rel_out, rel, n + 1);
    }
    return MK_OK;
}

mk_result exec_file_unlink(const char *root, const char *rel)
{
    const char *leaf = NULL;
    int dir = -1;
    GUARD(open_parent(root, rel, &dir, &leaf));
    int rc = unlinkat(dir, leaf, 0);
    int e = errno;
    close(dir);
    if (rc != 0) {
        return open_error(e, "the file");
    }
    return MK_OK;
}
