/*
 * The machine's own AES-256-GCM speed, from OpenSSL's command line tool:
 * `openssl speed -evp aes-256-gcm -bytes B -seconds S -mr`, one thread.
 * The machine-readable output (-mr) is parsed instead of the table:
 *
 *   +H:16384                          block sizes, in order
 *   +F:25:AES-256-GCM:4135895040.00   bytes per second for each size
 *
 * (the number after +F is OpenSSL's internal algorithm index; the name is
 * compared case-insensitively). Anything else in the output is ignored.
 */
#include "epb.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#define OUTPUT_MAX ((size_t)64 * 1024)
#define FIELDS_MAX 16

/* Split line (modified in place) at ':' into at most FIELDS_MAX fields. */
static int split(char *line, char **f)
{
    int n = 0;
    char *save = NULL;
    for (char *t = strtok_r(line, ":\r", &save); t != NULL && n < FIELDS_MAX;
         t = strtok_r(NULL, ":\r", &save)) {
        f[n++] = t;
    }
    return n;
}

/* Bytes per second for `block` in the -mr output; MK_E_NOT_FOUND if absent. */
static MK_RESULT parse(char *out, size_t block, double *bytes_per_s)
{
    int column = -1; /* index of `block` among the +H sizes */
    char *save = NULL;
    for (char *line = strtok_r(out, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        char *f[FIELDS_MAX];
        int n = split(line, f);
        if (n >= 2 && strcmp(f[0], "+H") == 0) {
            for (int i = 1; i < n; i++) {
                column = strtoul(f[i], NULL, 10) == block ? i - 1 : column;
            }
        } else if (n >= 4 && strcmp(f[0], "+F") == 0 && strcasecmp(f[2], "aes-256-gcm") == 0 &&
                   column >= 0 && 3 + column < n) {
            char *end = NULL;
            double v = strtod(f[3 + column], &end);
            ENSURE_MSG(end != f[3 + column] && v > 0, MK_E_INVALID, "openssl speed: bad figure");
            *bytes_per_s = v;
            return MK_OK;
        }
    }
    BAIL_MSG(MK_E_NOT_FOUND, "openssl speed printed no aes-256-gcm figure for %zu bytes", block);
}

/* Run argv with stdout into out (NUL-terminated, at most OUTPUT_MAX - 1 bytes). */
static MK_RESULT capture(char *const argv[], char *out, size_t *len)
{
    int fds[2];
    ENSURE_MSG(pipe(fds) == 0, MK_E_IO, "pipe failed");
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        dup2(fds[1], STDOUT_FILENO);
        int devnull = open("/dev/null", O_WRONLY); /* "Doing aes-256-gcm for 3s..." */
        dup2(devnull, STDERR_FILENO);
        execvp(argv[0], argv);
        _exit(127);
    }
    close(fds[1]);
    *len = 0;
    ssize_t n;
    while (pid > 0 && (n = read(fds[0], out + *len, OUTPUT_MAX - 1 - *len)) > 0) {
        *len += (size_t)n;
    }
    close(fds[0]);
    out[*len] = '\0';
    int status = 0;
    ENSURE_MSG(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
                   WEXITSTATUS(status) == 0,
               MK_E_IO, "%s failed", argv[0]);
    return MK_OK;
}

MK_RESULT epb_openssl_speed(size_t block, int seconds, double *bytes_per_s)
{
    char bytes[32];
    char secs[32];
    size_t len = 0;
    snprintf(bytes, sizeof(bytes), "%zu", block);
    snprintf(secs, sizeof(secs), "%d", seconds);
    char *argv[] = {"openssl", "speed",    "-evp", "aes-256-gcm", "-bytes",
                    bytes,     "-seconds", secs,   "-mr",         NULL};
    char *out = malloc(OUTPUT_MAX);
    ENSURE(out != NULL, MK_E_NOMEM);
    mk_result res = capture(argv, out, &len);
    if (mk_ok(res)) {
        res = parse(out, block, bytes_per_s);
    }
    free(out);
    return res;
}
