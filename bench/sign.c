/*
 * bench/sign: signatures per second for RSA-2048, RSA-3072 and EC P-256
 * through raw Cryptoki, the mirrorkey provider, the libp11 engine and
 * software keys, at 1 and N threads, with the ratios provider/raw and
 * provider/engine. Not a test: nothing here passes or fails on a number.
 *
 *   bench/sign [--seconds S] [--repeat R] [--threads N] [--provider-dir DIR]
 *   bench/sign --uri 'pkcs11:token=T?module-path=M&pin-source=file:F' [--keygen]
 *   bench/sign --uri ... --count N --backend raw|provider|engine|software --key RSA-2048
 *
 * Without --uri a temporary SoftHSM2 token is made (softhsm2-util takes its
 * throwaway PINs on the command line; the user PIN is then read from a 0600
 * file like everywhere else) and the keys are generated with mirrorkey's own
 * token layer. With --uri the keys labelled bench-rsa2048, bench-rsa3072 and
 * bench-ec256 must exist (--keygen creates missing ones). --count signs
 * exactly N times on one thread, for bench/count-calls.sh.
 *
 * Each figure is the median of R runs (default 3) taken round-robin over
 * the backends, so that a burst of load elsewhere on the machine does not
 * land on one backend only.
 */
#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "p11/keygen.h"
#include "p11/token.h"
#include "p11/uri.h"

static const bench_key keys[] = {
    {"RSA-2048", "bench-rsa2048", P11_KEY_RSA, 2048},
    {"RSA-3072", "bench-rsa3072", P11_KEY_RSA, 3072},
    {"EC P-256", "bench-ec256", P11_KEY_EC, 256},
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static const bench_backend *const backends[] = {&bench_raw, &bench_provider, &bench_engine,
                                                &bench_software};
static const char *const backend_ids[] = {"raw", "provider", "engine", "software"};
#define NBACKENDS (sizeof(backends) / sizeof(backends[0]))

/* ---- URIs ---- */

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

/* Fill module, token label and PIN file from --uri. */
static int parse_token_uri(bench_opts *o)
{
    p11_uri *u = NULL;
    if (mk_failed(p11_uri_parse(o->token_uri, &u))) {
        fprintf(stderr, "sign: bad --uri: %s\n", mk_error_message());
        return -1;
    }
    const char *token = p11_uri_get(u, P11_URI_TOKEN);
    const char *module = p11_uri_get(u, P11_URI_MODULE_PATH);
    const char *pin = p11_uri_get(u, P11_URI_PIN_SOURCE);
    int rc = -1;
    if (token == NULL || module == NULL || pin == NULL || strncmp(pin, "file:", 5) != 0) {
        fprintf(stderr, "sign: --uri needs token=, module-path= and pin-source=file:\n");
    } else {
        snprintf(o->token_label, sizeof(o->token_label), "%s", token);
        snprintf(o->module, sizeof(o->module), "%s", module);
        snprintf(o->pin_file, sizeof(o->pin_file), "%s", pin + 5);
        rc = 0;
    }
    p11_uri_free(u);
    return rc;
}

/* ---- a temporary SoftHSM2 token ---- */

static int write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) {
        return -1;
    }
    ssize_t n = write(fd, text, strlen(text));
    close(fd);
    return n == (ssize_t)strlen(text) ? 0 : -1;
}

static void random_hex(char *out, size_t bytes)
{
    unsigned char r[32];
    RAND_bytes(r, (int)bytes);
    for (size_t i = 0; i < bytes; i++) {
        snprintf(out + 2 * i, 3, "%02x", r[i]);
    }
}

static int run_quiet(char *const argv[])
{
    pid_t pid = fork();
    if (pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);
        dup2(devnull, STDOUT_FILENO);
        execvp(argv[0], argv);
        _exit(127);
    }
    int status = 0;
    return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
                   WEXITSTATUS(status) == 0
               ? 0
               : -1;
}

static int make_token(bench_opts *o, char *dir, size_t dir_len)
{
    char path[1200];
    char conf[1400];
    char user_pin[40];
    char so_pin[40];
    snprintf(dir, dir_len, "%s/mk-bench-XXXXXX",
             getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
    if (mkdtemp(dir) == NULL) {
        return -1;
    }
    snprintf(path, sizeof(path), "%s/tokens", dir);
    mkdir(path, 0700);
    snprintf(conf, sizeof(conf),
             "directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n"
             "slots.removable = false\nlibrary.reset_on_fork = true\n",
             path);
    snprintf(path, sizeof(path), "%s/softhsm2.conf", dir);
    if (write_file(path, conf) != 0) {
        return -1;
    }
    setenv("SOFTHSM2_CONF", path, 1);
    random_hex(user_pin, 12);
    random_hex(so_pin, 12);
    snprintf(o->pin_file, sizeof(o->pin_file), "%s/user.pin", dir);
    if (write_file(o->pin_file, user_pin) != 0) {
        return -1;
    }
    snprintf(o->token_label, sizeof(o->token_label), "mk-bench");
    snprintf(o->module, sizeof(o->module), "%s", MK_SOFTHSM2_MODULE);
    char *argv[] = {"softhsm2-util", "--init-token", "--free", "--label", o->token_label,
                    "--so-pin",      so_pin,         "--pin",  user_pin,  NULL};
    int rc = run_quiet(argv);
    OPENSSL_cleanse(user_pin, sizeof(user_pin));
    OPENSSL_cleanse(so_pin, sizeof(so_pin));
    snprintf(o->token_uri, sizeof(o->token_uri),
             "pkcs11:token=%s?module-path=%s&pin-source=file:%s", o->token_label, o->module,
             o->pin_file);
    return rc;
}

/* In a child process (so the parent never loads the module): create missing keys. */
static int keygen_child(const bench_opts *o)
{
    p11_token *t = NULL;
    if (mk_failed(p11_token_open(o->token_uri, NULL, &t))) {
        fprintf(stderr, "sign: cannot open the token: %s\n", mk_error_message());
        return 1;
    }
    int rc = 0;
    for (size_t i = 0; i < NKEYS && rc == 0; i++) {
        p11_uri *sel = NULL;
        p11_key *k = NULL;
        if (mk_ok(p11_uri_new(&sel)) && mk_ok(p11_uri_set(sel, P11_URI_OBJECT, keys[i].label)) &&
            mk_ok(p11_key_find(t, sel, &k))) {
            p11_key_unref(k);
        } else {
            p11_keygen_params kp = {keys[i].type, keys[i].bits, keys[i].label};
            if (mk_failed(p11_keygen(t, &kp, &k, NULL))) {
                fprintf(stderr, "sign: keygen %s: %s\n", keys[i].label, mk_error_message());
                rc = 1;
            }
            p11_key_unref(k);
        }
        p11_uri_free(sel);
    }
    p11_token_unref(t);
    return rc;
}

static int in_child(int (*fn)(const bench_opts *), const bench_opts *o)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        _exit(fn(o));
    }
    int status = 0;
    return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) ? WEXITSTATUS(status)
                                                                           : 1;
}

/* ---- timing ---- */

typedef struct worker {
    const bench_backend *b;
    void *state;
    pthread_barrier_t *start;
    atomic_bool *stop;
    long count;
    bool failed;
} worker;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *work(void *arg)
{
    worker *w = arg;
    void *ts = w->b->thread_open(w->state);
    /* One signature before the clock starts: first-use costs are not the steady state. */
    w->failed = ts == NULL || !w->b->sign(ts);
    pthread_barrier_wait(w->start);
    while (!w->failed && !atomic_load(w->stop)) {
        if (!w->b->sign(ts)) {
            w->failed = true;
            break;
        }
        w->count++;
    }
    if (ts != NULL) {
        w->b->thread_close(ts);
    }
    return NULL;
}

/* Signatures per second, or -1. */
static double measure(const bench_backend *b, const bench_opts *o, const bench_key *k, int threads)
{
    void *st = b->open(o, k);
    if (st == NULL) {
        return -1;
    }
    pthread_t th[64];
    worker w[64];
    pthread_barrier_t start;
    atomic_bool stop = false;
    pthread_barrier_init(&start, NULL, (unsigned)threads + 1);
    for (int i = 0; i < threads; i++) {
        w[i] = (worker){b, st, &start, &stop, 0, false};
        pthread_create(&th[i], NULL, work, &w[i]);
    }
    pthread_barrier_wait(&start);
    double t0 = now();
    struct timespec d = {(time_t)o->seconds,
                         (long)((o->seconds - (double)(time_t)o->seconds) * 1e9)};
    nanosleep(&d, NULL);
    atomic_store(&stop, true);
    long total = 0;
    bool failed = false;
    for (int i = 0; i < threads; i++) {
        pthread_join(th[i], NULL);
        total += w[i].count;
        failed = failed || w[i].failed;
    }
    double elapsed = now() - t0;
    pthread_barrier_destroy(&start);
    b->close(st);
    return failed ? -1 : (double)total / elapsed;
}

/* Run one case in a child process; the rate comes back through a pipe. */
static double run_case(const bench_backend *b, const bench_opts *o, const bench_key *k, int threads)
{
    int fds[2];
    double rate = -1;
    if (pipe(fds) != 0) {
        return -1;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        double r = measure(b, o, k, threads);
        _exit(write(fds[1], &r, sizeof(r)) == (ssize_t)sizeof(r) ? 0 : 1);
    }
    close(fds[1]);
    if (pid < 0 || read(fds[0], &rate, sizeof(rate)) != (ssize_t)sizeof(rate)) {
        rate = -1;
    }
    close(fds[0]);
    if (pid > 0) {
        waitpid(pid, NULL, 0);
    }
    return rate;
}

/* ---- output ---- */

static void print_rate(double r)
{
    if (r < 0) {
        printf(" %10s", "failed");
    } else {
        printf(" %10.0f", r);
    }
}

static void print_ratio(double a, double b)
{
    if (a < 0 || b <= 0) {
        printf(" %11s", "-");
    } else {
        printf(" %11.2f", a / b);
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median of r[0..n); -1 if any run failed. */
static double median(double *r, int n)
{
    for (int i = 0; i < n; i++) {
        if (r[i] < 0) {
            return -1;
        }
    }
    qsort(r, (size_t)n, sizeof(r[0]), cmp_double);
    return n % 2 == 1 ? r[n / 2] : (r[n / 2 - 1] + r[n / 2]) / 2;
}

static void run_row(const bench_opts *o, const bench_key *k, int threads)
{
    double runs[NBACKENDS][16];
    double r[NBACKENDS];
    for (int rep = 0; rep < o->repeat; rep++) {
        for (size_t b = 0; b < NBACKENDS; b++) {
            runs[b][rep] = run_case(backends[b], o, k, threads);
        }
    }
    printf("%-9s %3d", k->name, threads);
    for (size_t b = 0; b < NBACKENDS; b++) {
        r[b] = median(runs[b], o->repeat);
        print_rate(r[b]);
    }
    print_ratio(r[1], r[0]);
    print_ratio(r[1], r[2]);
    printf("\n");
    fflush(stdout);
}

static void run_all(const bench_opts *o)
{
    printf("mirrorkey bench/sign: signatures per second, median of %d runs of %.1f s per case\n",
           o->repeat, o->seconds);
    printf("token '%s', module %s\n", o->token_label, o->module);
    printf(
        "RSA: PKCS#1 v1.5 with SHA-256; EC: ECDSA with SHA-256; raw = C_SignInit+C_Sign only\n\n");
    printf("%-9s %3s %10s %10s %10s %10s %11s %11s\n", "key", "thr", "raw-p11", "provider",
           "engine", "software", "prov/raw", "prov/engine");
    for (size_t k = 0; k < NKEYS; k++) {
        run_row(o, &keys[k], 1);
        if (o->max_threads > 1) {
            run_row(o, &keys[k], o->max_threads);
        }
    }
}

/* --count: exactly n signatures on one thread (for bench/count-calls.sh). */
static int count_mode(const bench_opts *o, const char *backend, const char *key)
{
    const bench_backend *b = NULL;
    const bench_key *k = NULL;
    for (size_t i = 0; i < NBACKENDS; i++) {
        b = strcmp(backend_ids[i], backend) == 0 ? backends[i] : b;
    }
    for (size_t i = 0; i < NKEYS; i++) {
        k = strcmp(keys[i].name, key) == 0 ? &keys[i] : k;
    }
    if (b == NULL || k == NULL) {
        fprintf(stderr, "sign: unknown --backend or --key\n");
        return 2;
    }
    void *st = b->open(o, k);
    void *ts = st != NULL ? b->thread_open(st) : NULL;
    long done = 0;
    while (ts != NULL && done < o->count && b->sign(ts)) {
        done++;
    }
    if (ts != NULL) {
        b->thread_close(ts);
    }
    if (st != NULL) {
        b->close(st);
    }
    printf("signed %ld\n", done);
    return done == o->count ? 0 : 1;
}

static void usage(void)
{
    fprintf(stderr, "usage: sign [--seconds S] [--repeat R] [--threads N] [--provider-dir DIR]\n"
                    "            [--uri TOKEN-URI [--keygen]]\n"
                    "            [--count N --backend raw|provider|engine|software --key NAME]\n");
}

typedef struct bench_args {
    const char *backend;
    const char *key;
    bool keygen;
} bench_args;

static int parse_args(int argc, char **argv, bench_opts *o, bench_args *a)
{
    for (int i = 1; i < argc; i++) {
        const char *opt = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(opt, "--keygen") == 0) {
            a->keygen = true;
            continue;
        }
        if (v == NULL) {
            return -1;
        }
        i++;
        if (strcmp(opt, "--seconds") == 0) {
            o->seconds = atof(v);
        } else if (strcmp(opt, "--repeat") == 0) {
            o->repeat = atoi(v);
        } else if (strcmp(opt, "--threads") == 0) {
            o->max_threads = atoi(v);
        } else if (strcmp(opt, "--provider-dir") == 0) {
            snprintf(o->provider_dir, sizeof(o->provider_dir), "%s", v);
        } else if (strcmp(opt, "--uri") == 0) {
            snprintf(o->token_uri, sizeof(o->token_uri), "%s", v);
        } else if (strcmp(opt, "--count") == 0) {
            o->count = atol(v);
        } else if (strcmp(opt, "--backend") == 0) {
            a->backend = v;
        } else if (strcmp(opt, "--key") == 0) {
            a->key = v;
        } else {
            return -1;
        }
    }
    bool ok = o->seconds > 0 && o->max_threads >= 1 && o->max_threads <= 64 && o->repeat >= 1 &&
              o->repeat <= 16;
    return ok ? 0 : -1;
}

int main(int argc, char **argv)
{
    bench_opts o = {.seconds = 2.0, .repeat = 3, .max_threads = 2, .count = -1};
    bench_args a = {NULL, "RSA-2048", false};
    snprintf(o.provider_dir, sizeof(o.provider_dir), "%s", MK_PROVIDER_DIR);
    if (parse_args(argc, argv, &o, &a) != 0) {
        usage();
        return 2;
    }
    char dir[512] = "";
    if (o.token_uri[0] != '\0') {
        if (parse_token_uri(&o) != 0 || (a.keygen && in_child(keygen_child, &o) != 0)) {
            return 1;
        }
    } else if (make_token(&o, dir, sizeof(dir)) != 0 || in_child(keygen_child, &o) != 0) {
        fprintf(stderr, "sign: cannot set up a temporary SoftHSM2 token\n");
        return 1;
    }
    int rc = 0;
    if (o.count >= 0) {
        rc = a.backend != NULL ? count_mode(&o, a.backend, a.key) : 2;
    } else {
        run_all(&o);
    }
    if (dir[0] != '\0') {
        char *rm[] = {"rm", "-rf", dir, NULL};
        (void)run_quiet(rm);
    }
    return rc;
}
