/*
 * Unit tests for pkcs11/src/pin.c: parsing PIN source strings, the file
 * source's ownership/mode/type checks, newline stripping and size limits, the
 * fd source (read to EOF, then closed), the prompt (refused cleanly without a
 * controlling terminal; on a pseudo-terminal it reads without echo and
 * restores the terminal), and pinpad. Every failure path also checks that the
 * PIN text never shows up in the error message.
 */
#define _XOPEN_SOURCE 700

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "mk/result.h"
#include "mk/secret.h"
#include "p11/pin.h"

#define TEST_PIN "S3cret-PIN-0042"

typedef struct fixture {
    char dir[64];
    char path[128];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    if (f == NULL) {
        return -1;
    }
    snprintf(f->dir, sizeof(f->dir), "/tmp/mk-pin-test-XXXXXX");
    if (mkdtemp(f->dir) == NULL) {
        free(f);
        return -1;
    }
    snprintf(f->path, sizeof(f->path), "%s/pin", f->dir);
    *state = f;
    return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int teardown(void **state)
{
    fixture *f = *state;
    (void)nftw(f->dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

/* Write exactly len bytes to path with the given mode (set after writing). */
static void write_file(const char *path, const void *data, size_t len, mode_t mode)
{
    (void)unlink(path);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    assert_int_equal(fchmod(fd, mode), 0);
    assert_int_equal(close(fd), 0);
}

static void assert_no_pin(const char *pin)
{
    const char *msg = mk_error_message();
    if (pin != NULL && pin[0] != '\0' && strstr(msg, pin) != NULL) {
        fail_msg("PIN text leaked into the error message: %s", msg);
    }
}

/* Read from a file source; on success compare with want (may hold NULs). */
static mk_result read_path(const char *path, mk_secret **out)
{
    p11_pin_source src;
    char text[200];
    snprintf(text, sizeof(text), "file:%s", path);
    if (mk_failed(p11_pin_source_parse(text, &src))) {
        fail_msg("cannot parse %s: %s", text, mk_error_message());
    }
    mk_error_clear();
    return p11_pin_read(&src, "test token", out);
}

static void assert_secret(mk_secret *s, const void *want, size_t len)
{
    assert_non_null(s);
    assert_int_equal(mk_secret_len(s), len);
    assert_memory_equal(mk_secret_cdata(s), want, len);
}

static void assert_msg_has(const char *frag)
{
    if (strstr(mk_error_message(), frag) == NULL) {
        fail_msg("message '%s' lacks '%s'", mk_error_message(), frag);
    }
}

/* ---- source strings ---- */

static void test_source_parse_ok(void **state)
{
    (void)state;
    p11_pin_source s;
    assert_true(mk_ok(p11_pin_source_parse("file:/etc/pin", &s)));
    assert_int_equal(s.kind, P11_PIN_FILE);
    assert_string_equal(s.path, "/etc/pin");
    assert_true(mk_ok(p11_pin_source_parse("/run/secrets/pin", &s)));
    assert_int_equal(s.kind, P11_PIN_FILE);
    assert_string_equal(s.path, "/run/secrets/pin");
    assert_true(mk_ok(p11_pin_source_parse("file:relative/pin", &s)));
    assert_string_equal(s.path, "relative/pin");
    assert_true(mk_ok(p11_pin_source_parse("file:///abs/pin", &s)));
    assert_string_equal(s.path, "/abs/pin");
    assert_true(mk_ok(p11_pin_source_parse("fd:3", &s)));
    assert_int_equal(s.kind, P11_PIN_FD);
    assert_int_equal(s.fd, 3);
    assert_true(mk_ok(p11_pin_source_parse("fd:0", &s)));
    assert_int_equal(s.fd, 0);
    assert_true(mk_ok(p11_pin_source_parse("prompt", &s)));
    assert_int_equal(s.kind, P11_PIN_PROMPT);
    assert_true(mk_ok(p11_pin_source_parse("pinpad", &s)));
    assert_int_equal(s.kind, P11_PIN_PINPAD);
}

static void test_source_parse_bad(void **state)
{
    (void)state;
    const struct {
        const char *text;
        const char *frag;
    } bad[] = {
        {"", "expected"},
        {"fd:", "descriptor"},
        {"fd:x", "decimal"},
        {"fd:-1", "decimal"},
        {"fd:3x", "decimal"},
        {"fd: 3", "decimal"},
        {"fd:99999999999999999999", "out of range"},
        {"file:", "needs a path"},
        {"file://", "host"},
        {"file://host/pin", "host"},
        {"bogus:x", "unknown scheme"},
        {"Prompt", "expected"},
        {"pinpad2", "expected"},
        {"relative.txt", "expected"},
        {TEST_PIN, "expected"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        p11_pin_source s;
        mk_error_clear();
        assert_true(mk_failed(p11_pin_source_parse(bad[i].text, &s)));
        assert_int_equal(mk_error_code(), MK_E_INVALID);
        assert_msg_has("PIN source: ");
        assert_msg_has(bad[i].frag);
        /*
         * The source text itself is never echoed (it might be a PIN typed in the
         * wrong place). Short texts like "fd:" are part of the fixed wording.
         */
        if (strlen(bad[i].text) > 7) {
            assert_no_pin(bad[i].text);
        }
    }
    p11_pin_source s;
    assert_true(mk_failed(p11_pin_source_parse(NULL, &s)));
    assert_int_equal(mk_error_code(), MK_E_INVALID);
    char longpath[5000];
    memset(longpath, 'a', sizeof(longpath));
    memcpy(longpath, "file:/", 6);
    longpath[sizeof(longpath) - 1] = '\0';
    assert_true(mk_failed(p11_pin_source_parse(longpath, &s)));
    assert_int_equal(mk_error_code(), MK_E_TOOBIG);
}

/* ---- file source ---- */

static void test_file_ok_modes(void **state)
{
    fixture *f = *state;
    const mode_t modes[] = {0600, 0400, 0700, 0500};
    for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
        write_file(f->path, TEST_PIN "\n", strlen(TEST_PIN) + 1, modes[i]);
        mk_secret *s = NULL;
        assert_true(mk_ok(read_path(f->path, &s)));
        assert_secret(s, TEST_PIN, strlen(TEST_PIN));
        mk_secret_free(s);
    }
}

static void test_file_refused_modes(void **state)
{
    fixture *f = *state;
    const struct {
        mode_t mode;
        const char *text;
    } modes[] = {{0640, "0640"}, {0644, "0644"}, {0604, "0604"}, {0620, "0620"},
                 {0602, "0602"}, {0660, "0660"}, {0666, "0666"}, {0440, "0440"}};
    for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
        write_file(f->path, TEST_PIN, strlen(TEST_PIN), modes[i].mode);
        mk_secret *s = (mk_secret *)0x1;
        assert_true(mk_failed(read_path(f->path, &s)));
        assert_null(s);
        assert_int_equal(mk_error_code(), MK_E_PERM);
        assert_msg_has(f->path);
        assert_msg_has(modes[i].text);
        assert_msg_has("chmod 600");
        assert_no_pin(TEST_PIN);
    }
}

static void test_file_other_owner(void **state)
{
    fixture *f = *state;
    if (geteuid() != 0) {
        skip(); /* only root can give a file away */
    }
    write_file(f->path, TEST_PIN, strlen(TEST_PIN), 0600);
    assert_int_equal(chown(f->path, 12345, 12345), 0);
    mk_secret *s = NULL;
    assert_true(mk_failed(read_path(f->path, &s)));
    assert_null(s);
    assert_int_equal(mk_error_code(), MK_E_PERM);
    assert_msg_has(f->path);
    assert_msg_has("uid 12345");
    assert_no_pin(TEST_PIN);
}

static void test_file_missing(void **state)
{
    fixture *f = *state;
    char missing[200];
    snprintf(missing, sizeof(missing), "%s/nope", f->dir);
    mk_secret *s = NULL;
    assert_true(mk_failed(read_path(missing, &s)));
    assert_null(s);
    assert_int_equal(mk_error_code(), MK_E_IO);
    assert_msg_has(missing);
    assert_msg_has(strerror(ENOENT));
}

static void test_file_not_regular(void **state)
{
    fixture *f = *state;
    mk_secret *s = NULL;
    /* A directory. */
    assert_true(mk_failed(read_path(f->dir, &s)));
    assert_null(s);
    assert_int_equal(mk_error_code(), MK_E_PERM);
    assert_msg_has("not a regular file");
    assert_msg_has(f->dir);
    /* A FIFO with no writer: refused at once, not waited on. */
    char fifo[200];
    snprintf(fifo, sizeof(fifo), "%s/fifo", f->dir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    assert_true(mk_failed(read_path(fifo, &s)));
    assert_int_equal(mk_error_code(), MK_E_PERM);
    assert_msg_has("not a regular file");
    /* A device. */
    assert_true(mk_failed(read_path("/dev/null", &s)));
    assert_int_equal(mk_error_code(), MK_E_PERM);
}

static void test_file_symlink_checks_target(void **state)
{
    fixture *f = *state;
    char link[200];
    snprintf(link, sizeof(link), "%s/link", f->dir);
    write_file(f->path, TEST_PIN, strlen(TEST_PIN), 0600);
    assert_int_equal(symlink(f->path, link), 0);
    mk_secret *s = NULL;
    assert_true(mk_ok(read_path(link, &s)));
    assert_secret(s, TEST_PIN, strlen(TEST_PIN));
    mk_secret_free(s);
    s = NULL;
    assert_int_equal(chmod(f->path, 0644), 0);
    assert_true(mk_failed(read_path(link, &s)));
    assert_int_equal(mk_error_code(), MK_E_PERM);
    assert_msg_has("0644");
}

static void test_file_newline_stripping(void **state)
{
    fixture *f = *state;
    const struct {
        const char *content;
        size_t clen;
        const char *want;
        size_t wlen;
    } cases[] = {
        {"pin", 3, "pin", 3},       {"pin\n", 4, "pin", 3},           {"pin\r\n", 5, "pin", 3},
        {"pin\n\n", 5, "pin\n", 4}, {"pin\r\n\r\n", 7, "pin\r\n", 5}, {"pin\r", 4, "pin\r", 4},
        {"pi\nn", 4, "pi\nn", 4},   {"p\0n\n", 4, "p\0n", 3},         {" pin \n", 6, " pin ", 5},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        write_file(f->path, cases[i].content, cases[i].clen, 0600);
        mk_secret *s = NULL;
        assert_true(mk_ok(read_path(f->path, &s)));
        assert_secret(s, cases[i].want, cases[i].wlen);
        mk_secret_free(s);
    }
}

static void test_file_empty(void **state)
{
    fixture *f = *state;
    const char *contents[] = {"", "\n", "\r\n"};
    for (size_t i = 0; i < sizeof(contents) / sizeof(contents[0]); i++) {
        write_file(f->path, contents[i], strlen(contents[i]), 0600);
        mk_secret *s = NULL;
        assert_true(mk_failed(read_path(f->path, &s)));
        assert_null(s);
        assert_int_equal(mk_error_code(), MK_E_PIN);
        assert_msg_has("empty");
        assert_msg_has(f->path);
    }
}

/* Write `body` Q-padded to body_len bytes followed by `tail`; read it back. */
static mk_result read_sized(const fixture *f, size_t body_len, const char *tail, mk_secret **out)
{
    static char buf[10000 + 2];
    assert_true(body_len + strlen(tail) <= sizeof(buf));
    memset(buf, 'Q', body_len);
    memcpy(buf, TEST_PIN, strlen(TEST_PIN));
    memcpy(buf + body_len, tail, strlen(tail));
    write_file(f->path, buf, body_len + strlen(tail), 0600);
    *out = NULL;
    return read_path(f->path, out);
}

static void test_file_sizes(void **state)
{
    fixture *f = *state;
    /* Exactly P11_PIN_MAX bytes, bare or with a stripped newline. */
    const char *ok_tails[] = {"", "\n", "\r\n"};
    for (size_t i = 0; i < sizeof(ok_tails) / sizeof(ok_tails[0]); i++) {
        mk_secret *s = NULL;
        assert_true(mk_ok(read_sized(f, P11_PIN_MAX, ok_tails[i], &s)));
        assert_int_equal(mk_secret_len(s), P11_PIN_MAX);
        assert_memory_equal(mk_secret_cdata(s), TEST_PIN, strlen(TEST_PIN));
        mk_secret_free(s);
    }
    /* One byte over, with any tail, and far over. */
    const struct {
        size_t len;
        const char *tail;
    } bad[] = {{P11_PIN_MAX + 1, ""}, {P11_PIN_MAX + 1, "\n"}, {P11_PIN_MAX + 1, "\r\n"},
               {P11_PIN_MAX, "\r"},   {P11_PIN_MAX, "\n\n"},   {10000, "\n"}};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        mk_secret *s = NULL;
        assert_true(mk_failed(read_sized(f, bad[i].len, bad[i].tail, &s)));
        assert_null(s);
        assert_int_equal(mk_error_code(), MK_E_TOOBIG);
        assert_msg_has("longer than 256 bytes");
        assert_msg_has(f->path);
        assert_no_pin(TEST_PIN);
        assert_no_pin("QQQQ");
    }
}

/* ---- fd source ---- */

static bool fd_is_open(int fd) { return fcntl(fd, F_GETFD) != -1 || errno != EBADF; }

static mk_result read_fd_text(int fd, mk_secret **out)
{
    char text[32];
    p11_pin_source src;
    snprintf(text, sizeof(text), "fd:%d", fd);
    assert_true(mk_ok(p11_pin_source_parse(text, &src)));
    mk_error_clear();
    return p11_pin_read(&src, NULL, out);
}

static void test_fd_pipe(void **state)
{
    (void)state;
    int p[2];
    assert_int_equal(pipe(p), 0);
    assert_int_equal(write(p[1], TEST_PIN "\r\n", strlen(TEST_PIN) + 2),
                     (ssize_t)strlen(TEST_PIN) + 2);
    assert_int_equal(close(p[1]), 0);
    mk_secret *s = NULL;
    assert_true(fd_is_open(p[0]));
    assert_true(mk_ok(read_fd_text(p[0], &s)));
    assert_secret(s, TEST_PIN, strlen(TEST_PIN));
    mk_secret_free(s);
    assert_false(fd_is_open(p[0]));
}

static void test_fd_errors_close(void **state)
{
    (void)state;
    int p[2];
    mk_secret *s = NULL;
    /* Empty: refused, and the descriptor is still closed. */
    assert_int_equal(pipe(p), 0);
    assert_int_equal(close(p[1]), 0);
    assert_true(mk_failed(read_fd_text(p[0], &s)));
    assert_null(s);
    assert_int_equal(mk_error_code(), MK_E_PIN);
    assert_msg_has("empty");
    assert_false(fd_is_open(p[0]));
    /* Oversized: refused without reading to the end, descriptor closed. */
    char big[4096];
    memset(big, 'Z', sizeof(big));
    memcpy(big, TEST_PIN, strlen(TEST_PIN));
    assert_int_equal(pipe(p), 0);
    assert_int_equal(write(p[1], big, sizeof(big)), (ssize_t)sizeof(big));
    assert_true(mk_failed(read_fd_text(p[0], &s)));
    assert_null(s);
    assert_int_equal(mk_error_code(), MK_E_TOOBIG);
    assert_msg_has("fd ");
    assert_no_pin(TEST_PIN);
    assert_false(fd_is_open(p[0]));
    assert_int_equal(close(p[1]), 0);
    /* A descriptor that is not open. */
    int fd = open("/dev/null", O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(close(fd), 0);
    assert_true(mk_failed(read_fd_text(fd, &s)));
    assert_int_equal(mk_error_code(), MK_E_IO);
    assert_msg_has(strerror(EBADF));
}

/* ---- prompt ---- */

/* Wait for pid up to `seconds`; kill it if it hangs. Returns its wait status. */
static int wait_child(pid_t pid, int seconds)
{
    int status = 0;
    for (int i = 0; i < seconds * 100; i++) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid) {
            return status;
        }
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    kill(pid, SIGKILL);
    (void)waitpid(pid, &status, 0);
    fail_msg("child %d hung", (int)pid);
    return -1;
}

/* In a child: a new session has no controlling terminal, so /dev/tty cannot open. */
static void test_prompt_without_tty(void **state)
{
    (void)state;
    for (int variant = 0; variant < 2; variant++) {
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            int in = variant == 0 ? open("/dev/null", O_RDONLY) : -1;
            int p[2];
            if (variant == 1 && pipe(p) == 0) {
                in = p[0];
                if (write(p[1], TEST_PIN "\n", strlen(TEST_PIN) + 1) < 0) {
                    _exit(15);
                }
            }
            if (setsid() < 0 || in < 0 || dup2(in, 0) < 0 || isatty(0)) {
                _exit(10);
            }
            p11_pin_source src;
            mk_secret *s = (mk_secret *)0x1;
            if (mk_failed(p11_pin_source_parse("prompt", &src))) {
                _exit(11);
            }
            if (mk_ok(p11_pin_read(&src, "tok", &s))) {
                _exit(12); /* must not fall back to stdin */
            }
            const char *msg = mk_error_message();
            if (s != NULL || mk_error_code() != MK_E_PIN) {
                _exit(13);
            }
            if (strstr(msg, "/dev/tty") == NULL || strstr(msg, "terminal") == NULL ||
                strstr(msg, "file:") == NULL || strstr(msg, TEST_PIN) != NULL) {
                _exit(14);
            }
            _exit(0);
        }
        int status = wait_child(pid, 10);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
}

/* Child side of the pty tests: become the session's terminal and prompt. */
static void pty_child(const char *slave, const char *expect_pin, mk_err expect_err)
{
    if (setsid() < 0) {
        _exit(20);
    }
    int s = open(slave, O_RDWR);
    if (s < 0 || ioctl(s, TIOCSCTTY, 0) != 0) {
        _exit(21);
    }
    p11_pin_source src;
    mk_secret *pin = NULL;
    if (mk_failed(p11_pin_source_parse("prompt", &src))) {
        _exit(22);
    }
    mk_result r = p11_pin_read(&src, "Tok\x1b[2J      ", &pin);
    struct termios t;
    if (tcgetattr(s, &t) != 0 || (t.c_lflag & ECHO) == 0 || (t.c_lflag & ICANON) == 0) {
        _exit(23); /* terminal not restored */
    }
    if (expect_pin != NULL) {
        if (mk_failed(r) || pin == NULL || mk_secret_len(pin) != strlen(expect_pin) ||
            memcmp(mk_secret_cdata(pin), expect_pin, strlen(expect_pin)) != 0) {
            _exit(24);
        }
        mk_secret_free(pin);
        _exit(0);
    }
    if (mk_ok(r) || pin != NULL || mk_error_code() != expect_err) {
        _exit(25);
    }
    _exit(0);
}

/*
 * Run a prompt on a fresh pseudo-terminal, type `input` once the prompt shows,
 * and return everything the terminal displayed. Skips when no pty is available.
 */
static void run_pty(const char *input, const char *expect_pin, mk_err expect_err, char *shown,
                    size_t shown_size)
{
    int m = posix_openpt(O_RDWR | O_NOCTTY);
    if (m < 0 || grantpt(m) != 0 || unlockpt(m) != 0 || ptsname(m) == NULL) {
        if (m >= 0) {
            close(m);
        }
        skip();
    }
    char slave[128];
    snprintf(slave, sizeof(slave), "%s", ptsname(m));
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(m);
        pty_child(slave, expect_pin, expect_err);
    }
    size_t n = 0;
    bool typed = false;
    /* Read until the child's exit closes the terminal (EIO) or 10 s pass. */
    for (int rounds = 0; rounds < 500 && n + 1 < shown_size; rounds++) {
        struct pollfd pfd = {m, POLLIN, 0};
        if (poll(&pfd, 1, 20) > 0) {
            ssize_t r = read(m, shown + n, shown_size - 1 - n);
            if (r <= 0) {
                break;
            }
            n += (size_t)r;
            shown[n] = '\0';
        }
        if (!typed && strstr(shown, "': ") != NULL) {
            assert_int_equal(write(m, input, strlen(input)), (ssize_t)strlen(input));
            typed = true;
        }
    }
    shown[n] = '\0';
    int status = wait_child(pid, 10);
    close(m);
    assert_true(typed);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_prompt_on_pty(void **state)
{
    (void)state;
    char shown[1024] = "";
    run_pty("pty-PIN-7731\n", "pty-PIN-7731", MK_E_NONE, shown, sizeof(shown));
    /* The label's escape sequence is neutralised, its padding dropped, the PIN not echoed. */
    assert_non_null(strstr(shown, "Enter PIN for 'Tok?[2J': "));
    assert_null(strstr(shown, "pty-PIN-7731"));
}

static void test_prompt_on_pty_errors(void **state)
{
    (void)state;
    char shown[1024] = "";
    /* Empty line, end of input (^D), over-long line: refused, terminal restored. */
    run_pty("\n", NULL, MK_E_PIN, shown, sizeof(shown));
    shown[0] = '\0';
    run_pty("\x04", NULL, MK_E_PIN, shown, sizeof(shown));
    char longline[P11_PIN_MAX + 40];
    memset(longline, 'L', sizeof(longline));
    longline[sizeof(longline) - 2] = '\n';
    longline[sizeof(longline) - 1] = '\0';
    shown[0] = '\0';
    run_pty(longline, NULL, MK_E_TOOBIG, shown, sizeof(shown));
    assert_null(strstr(shown, "LLLL"));
}

/* ---- pinpad and bad arguments ---- */

static void test_pinpad(void **state)
{
    (void)state;
    p11_pin_source src;
    assert_true(mk_ok(p11_pin_source_parse("pinpad", &src)));
    mk_secret *s = (mk_secret *)0x1;
    assert_true(mk_ok(p11_pin_read(&src, "tok", &s)));
    assert_null(s);
}

static void test_read_bad_arguments(void **state)
{
    (void)state;
    mk_secret *s = NULL;
    mk_error_clear();
    assert_true(mk_failed(p11_pin_read(NULL, "x", &s)));
    assert_int_equal(mk_error_code(), MK_E_INVALID);
    p11_pin_source src;
    memset(&src, 0, sizeof(src));
    src.kind = P11_PIN_FILE;
    assert_true(mk_failed(p11_pin_read(&src, "x", &s)));
    assert_int_equal(mk_error_code(), MK_E_INVALID);
    memset(src.path, 'a', sizeof(src.path));
    assert_true(mk_failed(p11_pin_read(&src, "x", &s)));
    assert_int_equal(mk_error_code(), MK_E_INVALID);
    assert_msg_has("unterminated");
    src.kind = (p11_pin_kind)42;
    assert_true(mk_failed(p11_pin_read(&src, "x", &s)));
    assert_int_equal(mk_error_code(), MK_E_INVALID);
    assert_null(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_source_parse_ok),
        cmocka_unit_test(test_source_parse_bad),
        cmocka_unit_test_setup_teardown(test_file_ok_modes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_refused_modes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_other_owner, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_missing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_not_regular, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_symlink_checks_target, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_newline_stripping, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_empty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_sizes, setup, teardown),
        cmocka_unit_test(test_fd_pipe),
        cmocka_unit_test(test_fd_errors_close),
        cmocka_unit_test(test_prompt_without_tty),
        cmocka_unit_test(test_prompt_on_pty),
        cmocka_unit_test(test_prompt_on_pty_errors),
        cmocka_unit_test(test_pinpad),
        cmocka_unit_test(test_read_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
