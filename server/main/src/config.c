/*
 * mirrorkeyd.conf: parser, formatter, and the file I/O around them (see
 * srv/config.h). The parser is a pure function of the text.
 */
#include "srv/config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { K_VERSION, K_NAME, K_URI, K_KEY_ID, K_LABEL, K_KEY_TYPE, K_FILE_ROOT, K_COUNT };
static const char *const key_names[K_COUNT] = {
    "version",       "instance_name", "pkcs11_uri", "tls_key_id",
    "tls_key_label", "tls_key_type",  "file_root",
};
/* Keys that must appear (tls_key_type is informational). */
static const bool key_required[K_COUNT] = {true, true, true, true, true, false, true};

MK_RESULT srv_instance_name_check(const char *name)
{
    size_t n = strlen(name);
    ENSURE_MSG(n >= 1 && n <= SRV_INSTANCE_NAME_MAX, MK_E_INVALID,
               "instance name must be 1 to %d characters", SRV_INSTANCE_NAME_MAX);
    ENSURE_MSG(isalnum((unsigned char)name[0]), MK_E_INVALID,
               "instance name must start with a letter or digit");
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)name[i];
        ENSURE_MSG(isalnum(ch) || ch == '-' || ch == '_' || ch == '.', MK_E_INVALID,
                   "instance name may hold only letters, digits, '-', '_' and '.'");
    }
    return MK_OK;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    c = (char)tolower((unsigned char)c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static MK_RESULT parse_hex(const char *v, uint8_t *out, size_t cap, size_t *len)
{
    size_t n = strlen(v);
    ENSURE_MSG(n >= 2 && n % 2 == 0 && n / 2 <= cap, MK_E_INVALID,
               "tls_key_id must be 1 to %zu bytes of hex", cap);
    for (size_t i = 0; i < n / 2; i++) {
        int hi = hexval(v[2 * i]);
        int lo = hexval(v[2 * i + 1]);
        ENSURE_MSG(hi >= 0 && lo >= 0, MK_E_INVALID, "tls_key_id is not hex");
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    *len = n / 2;
    return MK_OK;
}

static MK_RESULT copy_value(char *dst, size_t cap, const char *v, const char *what)
{
    size_t n = strlen(v);
    ENSURE_MSG(n >= 1 && n < cap, MK_E_INVALID, "%s must be 1 to %zu bytes", what, cap - 1);
    memcpy(dst, v, n + 1);
    return MK_OK;
}

/* Store one value; the line number is added by the caller. */
static MK_RESULT set_value(srv_config *c, int key, const char *v)
{
    switch (key) {
    case K_VERSION:
        ENSURE_MSG(strcmp(v, "1") == 0, MK_E_INVALID, "unsupported version (this build reads 1)");
        return MK_OK;
    case K_NAME:
        GUARD(copy_value(c->instance_name, sizeof(c->instance_name), v, "instance_name"));
        return srv_instance_name_check(v);
    case K_URI:
        ENSURE_MSG(strncmp(v, "pkcs11:", 7) == 0, MK_E_INVALID, "pkcs11_uri must be a pkcs11: URI");
        ENSURE_MSG(strstr(v, "pin-value=") == NULL, MK_E_INVALID,
                   "pkcs11_uri must not carry pin-value (use pin-source)");
        return copy_value(c->pkcs11_uri, sizeof(c->pkcs11_uri), v, "pkcs11_uri");
    case K_KEY_ID: return parse_hex(v, c->tls_key_id, sizeof(c->tls_key_id), &c->tls_key_id_len);
    case K_LABEL: return copy_value(c->tls_key_label, sizeof(c->tls_key_label), v, "tls_key_label");
    case K_KEY_TYPE:
        ENSURE_MSG(strcmp(v, "ec") == 0 || strcmp(v, "rsa") == 0, MK_E_INVALID,
                   "tls_key_type must be ec or rsa");
        return copy_value(c->tls_key_type, sizeof(c->tls_key_type), v, "tls_key_type");
    case K_FILE_ROOT:
        ENSURE_MSG(v[0] == '/', MK_E_INVALID, "file_root must be an absolute path");
        return copy_value(c->file_root, sizeof(c->file_root), v, "file_root");
    default: BAIL(MK_E_INTERNAL);
    }
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t') {
        s++;
    }
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r')) {
        s[--n] = '\0';
    }
    return s;
}

/* One non-blank, non-comment line "key = value" (modified in place). */
static MK_RESULT parse_line(srv_config *c, char *line, bool seen[K_COUNT])
{
    char *eq = strchr(line, '=');
    ENSURE_MSG(eq != NULL, MK_E_INVALID, "expected 'key = value'");
    *eq = '\0';
    const char *key = trim(line);
    const char *value = trim(eq + 1);
    for (int k = 0; k < K_COUNT; k++) {
        if (strcmp(key, key_names[k]) == 0) {
            ENSURE_MSG(!seen[k], MK_E_INVALID, "duplicate key '%s'", key_names[k]);
            seen[k] = true;
            return set_value(c, k, value);
        }
    }
    /* Never echo the key: a mangled file could hold anything. */
    BAIL_MSG(MK_E_INVALID, "unknown key");
}

MK_RESULT srv_config_parse(const char *text, size_t len, srv_config *out)
{
    memset(out, 0, sizeof(*out));
    ENSURE_MSG(len <= SRV_CONFIG_MAX_BYTES, MK_E_TOOBIG, "configuration file too large");
    ENSURE_MSG(memchr(text, '\0', len) == NULL, MK_E_INVALID, "configuration holds a NUL byte");
    bool seen[K_COUNT] = {false};
    char line[SRV_URI_MAX + 64];
    size_t pos = 0;
    for (int lineno = 1; pos < len; lineno++) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t n = nl != NULL ? (size_t)(nl - (text + pos)) : len - pos;
        ENSURE_MSG(n < sizeof(line), MK_E_INVALID, "line %d: line too long", lineno);
        memcpy(line, text + pos, n);
        line[n] = '\0';
        pos += n + (nl != NULL ? 1 : 0);
        char *t = trim(line);
        if (t[0] == '\0' || t[0] == '#') {
            continue;
        }
        if (mk_failed(parse_line(out, t, seen))) {
            mk_error_context("line %d", lineno);
            return MK_ERR;
        }
    }
    for (int k = 0; k < K_COUNT; k++) {
        ENSURE_MSG(seen[k] || !key_required[k], MK_E_INVALID, "missing key '%s'", key_names[k]);
    }
    return MK_OK;
}

MK_RESULT srv_config_format(const srv_config *c, mk_buf *out)
{
    GUARD(mk_buf_append_str(out, "# mirrorkeyd instance configuration, written by "
                                 "`mirrorkeyd init`.\n# It holds no secrets: the PIN "
                                 "comes from the pin-source of pkcs11_uri.\n"));
    GUARD(mk_buf_printf(out, "version = %d\n", SRV_CONFIG_VERSION));
    GUARD(mk_buf_printf(out, "instance_name = %s\n", c->instance_name));
    GUARD(mk_buf_printf(out, "pkcs11_uri = %s\n", c->pkcs11_uri));
    GUARD(mk_buf_append_str(out, "tls_key_id = "));
    for (size_t i = 0; i < c->tls_key_id_len; i++) {
        GUARD(mk_buf_printf(out, "%02x", c->tls_key_id[i]));
    }
    GUARD(mk_buf_printf(out, "\ntls_key_label = %s\n", c->tls_key_label));
    if (c->tls_key_type[0] != '\0') {
        GUARD(mk_buf_printf(out, "tls_key_type = %s\n", c->tls_key_type));
    }
    GUARD(mk_buf_printf(out, "file_root = %s\n", c->file_root));
    return MK_OK;
}

MK_RESULT srv_config_load(const char *path, srv_config *out)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        ENSURE_MSG(errno != ENOENT, MK_E_NOT_FOUND, "%s does not exist", path);
        BAIL_MSG(MK_E_IO, "cannot open %s: %s", path, strerror(errno));
    }
    char *text = malloc(SRV_CONFIG_MAX_BYTES + 1);
    if (text == NULL) {
        close(fd);
        BAIL(MK_E_NOMEM);
    }
    size_t len = 0;
    ssize_t n = 0;
    while (len <= SRV_CONFIG_MAX_BYTES &&
           (n = read(fd, text + len, SRV_CONFIG_MAX_BYTES + 1 - len)) > 0) {
        len += (size_t)n;
    }
    int err = errno;
    close(fd);
    mk_result r = MK_OK;
    if (n < 0) {
        r = MK_RAISE(MK_E_IO, "cannot read %s: %s", path, strerror(err));
    } else if (mk_failed(srv_config_parse(text, len, out))) {
        mk_error_context("%s", path);
        r = MK_ERR;
    }
    free(text);
    return r;
}

MK_RESULT srv_config_save(const char *path, const srv_config *c)
{
    mk_result res = MK_ERR;
    char tmp[SRV_PATH_MAX + 16];
    int fd = -1;
    mk_buf text;
    mk_buf_init(&text, SRV_CONFIG_MAX_BYTES);
    ENSURE_OUT(snprintf(tmp, sizeof(tmp), "%s.tmp", path) < (int)sizeof(tmp), MK_E_INVALID,
               "path too long");
    GUARD_OUT(srv_config_format(c, &text));
    (void)unlink(tmp);
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    ENSURE_OUT(fd >= 0, MK_E_IO, "cannot create %s: %s", tmp, strerror(errno));
    ENSURE_OUT(write(fd, text.data, text.len) == (ssize_t)text.len && fsync(fd) == 0, MK_E_IO,
               "cannot write %s: %s", tmp, strerror(errno));
    ENSURE_OUT(close(fd) == 0, MK_E_IO, "cannot write %s: %s", tmp, strerror(errno));
    fd = -1;
    /* link() refuses an existing target, unlike rename(). */
    if (link(tmp, path) != 0) {
        ENSURE_OUT(errno != EEXIST, MK_E_EXISTS, "%s already exists", path);
        BAIL_OUT(MK_E_IO, "cannot create %s: %s", path, strerror(errno));
    }
    res = MK_OK;
out:
    if (fd >= 0) {
        close(fd);
    }
    (void)unlink(tmp);
    mk_buf_cleanup(&text);
    return res;
}
