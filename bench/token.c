/*
 * The benches' token (see token.h): a temporary SoftHSM2 token, keys by
 * label, their URIs, and the few file and process helpers around them.
 */
#include "token.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "p11/keygen.h"
#include "p11/uri.h"

static void pct_encode(const char *in, char *out, size_t out_len)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (; *in != '\0' && o + 4 < out_len; in++) {
        unsigned char c = (unsigned char)*in;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            strchr("-._~", c) != NULL) {
            out[o++] = (char)c;
        } else {
            out[o++] = '%';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    out[o] = '\0';
}

void bench_key_uri(const bench_opts *o, const bench_key *k, bool with_query, char *out,
                   size_t out_len)
{
    char token[200];
    pct_encode(o->token_label, token, sizeof(token));
    if (with_query) {
        snprintf(out, out_len,
                 "pkcs11:token=%s;object=%s;type=private?module-path=%s&pin-source=file:%s", token,
                 k->label, o->module, o->pin_file);
    } else {
        snprintf(out, out_len, "pkcs11:token=%s;object=%s;type=private", token, k->label);
    }
}

MK_RESULT bench_token_parse_uri(bench_opts *o)
{
    mk_result res = MK_ERR;
    p11_uri *u = NULL;
    GUARD_OUT(p11_uri_parse(o->token_uri, &u));
    const char *token = p11_uri_get(u, P11_URI_TOKEN);
    const char *module = p11_uri_get(u, P11_URI_MODULE_PATH);
    const char *pin = p11_uri_get(u, P11_URI_PIN_SOURCE);
    ENSURE_OUT(token != NULL && module != NULL && pin != NULL && strncmp(pin, "file:", 5) == 0,
               MK_E_INVALID, "--uri needs token=, module-path= and pin-source=file:");
    snprintf(o->token_label, sizeof(o->token_label), "%s", token);
    snprintf(o->module, sizeof(o->module), "%s", module);
    snprintf(o->pin_file, sizeof(o->pin_file), "%s", pin + 5);
    res = MK_OK;
out:
    p11_uri_free(u);
    return res;
}

MK_RESULT bench_write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ENSURE_MSG(fd >= 0, MK_E_IO, "cannot create %s", path);
    ssize_t n = write(fd, text, strlen(text));
    close(fd);
    ENSURE_MSG(n == (ssize_t)strlen(text), MK_E_IO, "cannot write %s", path);
    return MK_OK;
}

static void random_hex(char *out, size_t bytes)
{
    unsigned char r[32];
    RAND_bytes(r, (int)bytes);
    for (size_t i = 0; i < bytes; i++) {
        snprintf(out + 2 * i, 3, "%02x", r[i]);
    }
}

MK_RESULT bench_run_quiet(char *const argv[])
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);
        dup2(devnull, STDOUT_FILENO);
        execvp(argv[0], argv);
        _exit(127);
    }
    int status = 0;
    ENSURE_MSG(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
                   WEXITSTATUS(status) == 0,
               MK_E_IO, "%s failed", argv[0]);
    return MK_OK;
}

void bench_dir_remove(const char *dir)
{
    if (dir[0] != '\0') {
        char *rm[] = {"rm", "-rf", (char *)dir, NULL};
        mk_result r = bench_run_quiet(rm);
        (void)r; /* best effort: a leftover temporary directory is harmless */
    }
}

/* dir/softhsm2.conf with its own token directory; SOFTHSM2_CONF points at it. */
static MK_RESULT write_softhsm_conf(const char *dir)
{
    char path[1200];
    char conf[1400];
    snprintf(path, sizeof(path), "%s/tokens", dir);
    ENSURE_MSG(mkdir(path, 0700) == 0, MK_E_IO, "cannot create %s", path);
    snprintf(conf, sizeof(conf),
             "directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n"
             "slots.removable = false\nlibrary.reset_on_fork = true\n",
             path);
    snprintf(path, sizeof(path), "%s/softhsm2.conf", dir);
    GUARD(bench_write_file(path, conf));
    setenv("SOFTHSM2_CONF", path, 1);
    return MK_OK;
}

MK_RESULT bench_token_make(bench_opts *o, const char *label, char *dir, size_t dir_len)
{
    mk_result res = MK_ERR;
    char user_pin[40];
    char so_pin[40];
    snprintf(dir, dir_len, "%s/mk-bench-XXXXXX",
             getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
    ENSURE(mkdtemp(dir) != NULL, MK_E_IO);
    GUARD(write_softhsm_conf(dir));
    random_hex(user_pin, 12);
    random_hex(so_pin, 12);
    snprintf(o->pin_file, sizeof(o->pin_file), "%s/user.pin", dir);
    GUARD_OUT(bench_write_file(o->pin_file, user_pin));
    snprintf(o->token_label, sizeof(o->token_label), "%s", label);
    snprintf(o->module, sizeof(o->module), "%s", MK_SOFTHSM2_MODULE);
    char *argv[] = {"softhsm2-util", "--init-token", "--free", "--label", o->token_label,
                    "--so-pin",      so_pin,         "--pin",  user_pin,  NULL};
    GUARD_OUT(bench_run_quiet(argv));
    snprintf(o->token_uri, sizeof(o->token_uri),
             "pkcs11:token=%s?module-path=%s&pin-source=file:%s", o->token_label, o->module,
             o->pin_file);
    res = MK_OK;
out:
    OPENSSL_cleanse(user_pin, sizeof(user_pin));
    OPENSSL_cleanse(so_pin, sizeof(so_pin));
    return res;
}

MK_RESULT bench_token_find_key(p11_token *t, const bench_key *k, p11_key **out)
{
    mk_result res = MK_ERR;
    p11_uri *sel = NULL;
    GUARD_OUT(p11_uri_new(&sel));
    GUARD_OUT(p11_uri_set(sel, P11_URI_OBJECT, k->label));
    GUARD_OUT(p11_key_find(t, sel, out));
    res = MK_OK;
out:
    p11_uri_free(sel);
    return res;
}

MK_RESULT bench_token_ensure_key(p11_token *t, const bench_key *k, p11_key **out)
{
    if (mk_ok(bench_token_find_key(t, k, out))) {
        return MK_OK;
    }
    p11_keygen_params kp = {k->type, k->bits, k->label};
    return p11_keygen(t, &kp, out, NULL);
}
