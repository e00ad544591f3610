/*
 * SoftHSM2 token store per test (see softhsm_fixture.h).
 */
#include "softhsm_fixture.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

int mk_run(char *const argv[])
{
    pid_t pid = fork();
    if (pid < 0) {
        return -1;
    }
    if (pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);
        if (devnull >= 0) {
            dup2(devnull, STDOUT_FILENO);
            close(devnull);
        }
        execv(argv[0], argv);
        _exit(127);
    }
    int status = 0;
    if (waitpid(pid, &status, 0) < 0) {
        return -1;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int mk_sh(const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(cmd)) {
        return -1;
    }
    int status = system(cmd);
    return (status != -1 && WIFEXITED(status)) ? WEXITSTATUS(status) : -1;
}

static int write_file(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    if (fd < 0) {
        return -1;
    }
    size_t len = strlen(text);
    ssize_t w = write(fd, text, len);
    close(fd);
    return (w == (ssize_t)len) ? 0 : -1;
}

int mk_softhsm_add_token(mk_softhsm *h, const char *label, char *uri_out, size_t uri_len)
{
    char *argv[] = {(char *)MK_SOFTHSM2_UTIL,
                    "--init-token",
                    "--free",
                    "--label",
                    (char *)label,
                    "--so-pin",
                    MK_TEST_SO_PIN,
                    "--pin",
                    MK_TEST_USER_PIN,
                    NULL};
    if (mk_run(argv) != 0) {
        fprintf(stderr, "softhsm fixture: softhsm2-util --init-token %s failed\n", label);
        return -1;
    }
    int n = snprintf(uri_out, uri_len, "pkcs11:token=%s?module-path=%s&pin-source=file:%s", label,
                     h->module, h->pin_file);
    return (n > 0 && (size_t)n < uri_len) ? 0 : -1;
}

int mk_softhsm_setup(mk_softhsm *h, const char *label)
{
    memset(h, 0, sizeof(*h));
    const char *tmp = getenv("TMPDIR");
    snprintf(h->dir, sizeof(h->dir), "%s/mk-softhsm-XXXXXX", tmp != NULL ? tmp : "/tmp");
    if (mkdtemp(h->dir) == NULL) {
        perror("softhsm fixture: mkdtemp");
        return -1;
    }
    snprintf(h->conf, sizeof(h->conf), "%s/softhsm2.conf", h->dir);
    snprintf(h->tokendir, sizeof(h->tokendir), "%s/tokens", h->dir);
    snprintf(h->pin_file, sizeof(h->pin_file), "%s/user.pin", h->dir);
    snprintf(h->label, sizeof(h->label), "%s", label);
    snprintf(h->module, sizeof(h->module), "%s", MK_SOFTHSM2_MODULE);
    if (mkdir(h->tokendir, 0700) != 0) {
        perror("softhsm fixture: mkdir");
        return -1;
    }
    char conf[1024];
    snprintf(conf, sizeof(conf),
             "directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n"
             "slots.removable = false\nlibrary.reset_on_fork = true\n",
             h->tokendir);
    if (write_file(h->conf, conf, 0600) != 0 ||
        write_file(h->pin_file, MK_TEST_USER_PIN, 0600) != 0) {
        fprintf(stderr, "softhsm fixture: cannot write config\n");
        return -1;
    }
    setenv("SOFTHSM2_CONF", h->conf, 1);
    return mk_softhsm_add_token(h, label, h->uri, sizeof(h->uri));
}

void mk_softhsm_teardown(mk_softhsm *h)
{
    if (h->dir[0] == '\0' || getenv("MK_TEST_KEEP") != NULL) {
        return;
    }
    char *argv[] = {"/bin/rm", "-rf", h->dir, NULL};
    (void)mk_run(argv);
    h->dir[0] = '\0';
}
