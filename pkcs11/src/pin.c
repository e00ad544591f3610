/*
 * PIN sources (see p11/pin.h): a protected file, an inherited descriptor, a
 * no-echo prompt on the controlling terminal, or the token's pinpad.
 *
 * Every byte of a PIN is read straight into an mk_secret (wiped, kept out of
 * core dumps); the only other place a PIN byte touches is a one-byte stack
 * variable that is cleansed. Error messages name paths, descriptors and modes,
 * never the content that was read.
 */
#include "p11/pin.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

/* Room for the PIN, a trailing "\r\n", and one byte that proves "too long". */
#define PIN_READ_CAP (P11_PIN_MAX + 3)
#define PIN_PROMPT_MAX 160

/* ---- parsing the source ---- */

static bool has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* "scheme:" per RFC 3986 §3.1 (ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":"). */
static bool looks_like_scheme(const char *s)
{
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z'))) {
        return false;
    }
    for (s++; *s != '\0' && *s != ':'; s++) {
        bool ok = (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
                  (*s >= '0' && *s <= '9') || *s == '+' || *s == '-' || *s == '.';
        if (!ok) {
            return false;
        }
    }
    return *s == ':';
}

static MK_RESULT parse_fd(const char *digits, p11_pin_source *out)
{
    long v = 0;
    ENSURE_MSG(*digits != '\0', MK_E_INVALID, "PIN source: fd: needs a descriptor number");
    for (const char *s = digits; *s != '\0'; s++) {
        ENSURE_MSG(*s >= '0' && *s <= '9', MK_E_INVALID,
                   "PIN source: fd: needs a decimal descriptor number");
        v = v * 10 + (*s - '0');
        ENSURE_MSG(v <= 1024 * 1024, MK_E_INVALID, "PIN source: descriptor number out of range");
    }
    out->kind = P11_PIN_FD;
    out->fd = (int)v;
    return MK_OK;
}

static MK_RESULT parse_path(const char *path, p11_pin_source *out)
{
    /* file:///abs is the URL spelling of file:/abs; file://host/... is not supported. */
    if (has_prefix(path, "//")) {
        ENSURE_MSG(path[2] == '/', MK_E_INVALID,
                   "PIN source: file: URLs with a host name are not supported");
        path += 2;
    }
    ENSURE_MSG(*path != '\0', MK_E_INVALID, "PIN source: file: needs a path");
    size_t len = strnlen(path, sizeof(out->path));
    ENSURE_MSG(len < sizeof(out->path), MK_E_TOOBIG, "PIN source: path longer than %zu bytes",
               sizeof(out->path) - 1);
    out->kind = P11_PIN_FILE;
    memcpy(out->path, path, len + 1);
    return MK_OK;
}

/*
 * The source text is never quoted in errors: a user who confuses pin-source
 * with pin-value would otherwise see the PIN echoed in a log.
 */
MK_RESULT p11_pin_source_parse(const char *text, p11_pin_source *out)
{
    ENSURE_MSG(text != NULL && out != NULL, MK_E_INVALID, "PIN source: none given");
    memset(out, 0, sizeof(*out));
    out->fd = -1;
    if (strcmp(text, "prompt") == 0) {
        out->kind = P11_PIN_PROMPT;
        return MK_OK;
    }
    if (strcmp(text, "pinpad") == 0) {
        out->kind = P11_PIN_PINPAD;
        return MK_OK;
    }
    if (has_prefix(text, "file:")) {
        return parse_path(text + 5, out);
    }
    if (has_prefix(text, "fd:")) {
        return parse_fd(text + 3, out);
    }
    if (text[0] == '/') {
        return parse_path(text, out);
    }
    ENSURE_MSG(!looks_like_scheme(text), MK_E_INVALID,
               "PIN source: unknown scheme (expected file:PATH, fd:N, prompt or pinpad)");
    BAIL_MSG(MK_E_INVALID, "PIN source: expected file:PATH, fd:N, prompt, pinpad or an absolute "
                           "path");
}

/* ---- reading ---- */

/*
 * Read fd to EOF into a fresh secret. More than P11_PIN_MAX bytes (after the
 * newline is stripped) is an error; `what` names the source in messages.
 */
static MK_RESULT read_all(int fd, const char *what, mk_secret **out)
{
    mk_result res = MK_ERR;
    mk_secret *s = NULL;
    size_t n = 0;
    GUARD(mk_secret_new(PIN_READ_CAP, &s));
    uint8_t *p = mk_secret_data(s);
    while (n < PIN_READ_CAP) {
        ssize_t r = read(fd, p + n, PIN_READ_CAP - n);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        ENSURE_OUT(r >= 0, MK_E_IO, "cannot read PIN from %s: %s", what, strerror(errno));
        if (r == 0) {
            break;
        }
        n += (size_t)r;
    }
    ENSURE_OUT(n < PIN_READ_CAP, MK_E_TOOBIG, "PIN from %s is longer than %d bytes", what,
               P11_PIN_MAX);
    if (n >= 2 && p[n - 2] == '\r' && p[n - 1] == '\n') {
        n -= 2;
    } else if (n >= 1 && p[n - 1] == '\n') {
        n -= 1;
    }
    ENSURE_OUT(n <= P11_PIN_MAX, MK_E_TOOBIG, "PIN from %s is longer than %d bytes", what,
               P11_PIN_MAX);
    ENSURE_OUT(n > 0, MK_E_PIN, "PIN from %s is empty", what);
    GUARD_OUT(mk_secret_set_len(s, n));
    *out = s;
    s = NULL;
    res = MK_OK;
out:
    mk_secret_free(s);
    return res;
}

/* Regular file, owned by us or root, no group/other read or write bits. */
static MK_RESULT check_pin_file(int fd, const char *path)
{
    struct stat st;
    ENSURE_MSG(fstat(fd, &st) == 0, MK_E_IO, "cannot stat PIN file '%s': %s", path,
               strerror(errno));
    ENSURE_MSG(S_ISREG(st.st_mode), MK_E_PERM, "PIN file '%s' is not a regular file", path);
    uid_t me = geteuid();
    ENSURE_MSG(st.st_uid == me || st.st_uid == 0, MK_E_PERM,
               "PIN file '%s' is owned by uid %lu; it must belong to uid %lu or root", path,
               (unsigned long)st.st_uid, (unsigned long)me);
    unsigned mode = (unsigned)(st.st_mode & 07777);
    ENSURE_MSG((mode & 066) == 0, MK_E_PERM,
               "PIN file '%s' has mode %04o: group or others may read or write it; "
               "run chmod 600 on it",
               path, mode);
    return MK_OK;
}

static MK_RESULT read_file(const char *path, mk_secret **out)
{
    mk_result res = MK_ERR;
    char what[64 + sizeof(((p11_pin_source *)0)->path)];
    /* O_NONBLOCK: opening a FIFO must not hang; fstat then refuses it. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    ENSURE_MSG(fd >= 0, MK_E_IO, "cannot open PIN file '%s': %s", path, strerror(errno));
    GUARD_OUT(check_pin_file(fd, path));
    snprintf(what, sizeof(what), "file '%s'", path);
    GUARD_OUT(read_all(fd, what, out));
    res = MK_OK;
out:
    close(fd);
    return res;
}

static MK_RESULT read_fd(int fd, mk_secret **out)
{
    char what[32];
    snprintf(what, sizeof(what), "fd %d", fd);
    mk_result r = read_all(fd, what, out);
    (void)close(fd);
    return r;
}

/* ---- prompt ---- */

/*
 * The prompt. The label comes from the token: control characters are replaced
 * (a hostile label must not drive the terminal) and Cryptoki's blank padding
 * is dropped.
 */
static void build_prompt(const char *label, char *buf, size_t size)
{
    size_t n = 0;
    const char *head = label != NULL ? "Enter PIN for '" : "Enter PIN: ";
    snprintf(buf, size, "%s", head);
    n = strlen(buf);
    if (label == NULL) {
        return;
    }
    size_t len = strlen(label);
    while (len > 0 && label[len - 1] == ' ') {
        len--;
    }
    for (size_t i = 0; i < len && n + 4 < size; i++) {
        unsigned char c = (unsigned char)label[i];
        buf[n++] = (c >= 0x20 && c != 0x7f) ? (char)c : '?';
    }
    snprintf(buf + n, size - n, "': ");
}

/* One line from the terminal into a fresh secret, without the newline. */
static MK_RESULT read_tty_line(int tty, mk_secret **out)
{
    mk_result res = MK_ERR;
    mk_secret *s = NULL;
    size_t n = 0;
    bool too_long = false;
    unsigned char c = 0;
    GUARD(mk_secret_new(P11_PIN_MAX + 1, &s));
    for (;;) {
        ssize_t r = read(tty, &c, 1);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        ENSURE_OUT(r >= 0, MK_E_IO, "cannot read PIN from the terminal: %s", strerror(errno));
        if (r == 0 || c == '\n') {
            break;
        }
        if (n < P11_PIN_MAX + 1) {
            mk_secret_data(s)[n++] = c;
        } else {
            too_long = true;
        }
    }
    if (n > 0 && mk_secret_data(s)[n - 1] == '\r') {
        n--;
    }
    ENSURE_OUT(!too_long && n <= P11_PIN_MAX, MK_E_TOOBIG,
               "PIN typed at the terminal is longer than %d bytes", P11_PIN_MAX);
    ENSURE_OUT(n > 0, MK_E_PIN, "no PIN was entered at the terminal");
    GUARD_OUT(mk_secret_set_len(s, n));
    *out = s;
    s = NULL;
    res = MK_OK;
out:
    OPENSSL_cleanse(&c, sizeof(c));
    mk_secret_free(s);
    return res;
}

static void write_all(int fd, const char *s)
{
    size_t len = strlen(s);
    while (len > 0) {
        ssize_t w = write(fd, s, len);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            return;
        }
        s += w;
        len -= (size_t)w;
    }
}

/*
 * No-echo prompt on the controlling terminal (never stdin, which may be a
 * pipe). The terminal settings are restored on every return path.
 */
static MK_RESULT read_prompt(const char *what, mk_secret **out)
{
    mk_result res = MK_ERR;
    struct termios saved, quiet;
    bool restore = false;
    char prompt[PIN_PROMPT_MAX];
    int tty = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
    ENSURE_MSG(tty >= 0, MK_E_PIN,
               "PIN source 'prompt' needs a terminal, but /dev/tty cannot be opened (%s); "
               "use pin-source=file:PATH or fd:N",
               strerror(errno));
    ENSURE_OUT(isatty(tty) && tcgetattr(tty, &saved) == 0, MK_E_PIN,
               "PIN source 'prompt': /dev/tty is not a usable terminal");
    quiet = saved;
    quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL);
    quiet.c_lflag |= ICANON;
    ENSURE_OUT(tcsetattr(tty, TCSAFLUSH, &quiet) == 0, MK_E_PIN,
               "PIN source 'prompt': cannot turn off terminal echo: %s", strerror(errno));
    restore = true;
    build_prompt(what, prompt, sizeof(prompt));
    write_all(tty, prompt);
    GUARD_OUT(read_tty_line(tty, out));
    res = MK_OK;
out:
    if (restore) {
        write_all(tty, "\n");
        (void)tcsetattr(tty, TCSAFLUSH, &saved);
    }
    close(tty);
    return res;
}

MK_RESULT p11_pin_read(const p11_pin_source *src, const char *what, mk_secret **out)
{
    ENSURE_MSG(src != NULL && out != NULL, MK_E_INVALID, "PIN source: none given");
    *out = NULL;
    switch (src->kind) {
    case P11_PIN_FILE:
        /* A hand-built source may lack the terminator; never read past the array. */
        ENSURE_MSG(memchr(src->path, '\0', sizeof(src->path)) != NULL && src->path[0] != '\0',
                   MK_E_INVALID, "PIN source: file: path is empty or unterminated");
        return read_file(src->path, out);
    case P11_PIN_FD: return read_fd(src->fd, out);
    case P11_PIN_PROMPT: return read_prompt(what, out);
    case P11_PIN_PINPAD: return MK_OK;
    }
    BAIL_MSG(MK_E_INVALID, "PIN source: unknown kind %d", (int)src->kind);
}
