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

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "p11/token.h"
#include "runner.h"
#include "token.h"

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

/* In a child process (so the parent never loads the module): create missing keys. */
static int keygen_child(const void *arg)
{
    const bench_opts *o = arg;
    p11_token *t = NULL;
    if (mk_failed(p11_token_open(o->token_uri, NULL, &t))) {
        fprintf(stderr, "sign: cannot open the token: %s\n", mk_error_message());
        return 1;
    }
    int rc = 0;
    for (size_t i = 0; i < NKEYS && rc == 0; i++) {
        p11_key *k = NULL;
        if (mk_failed(bench_token_ensure_key(t, &keys[i], &k))) {
            fprintf(stderr, "sign: keygen %s: %s\n", keys[i].label, mk_error_message());
            rc = 1;
        }
        p11_key_unref(k);
    }
    p11_token_unref(t);
    return rc;
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

static void run_row(const bench_opts *o, const bench_key *k, int threads)
{
    double runs[NBACKENDS][16];
    double r[NBACKENDS];
    for (int rep = 0; rep < o->repeat; rep++) {
        for (size_t b = 0; b < NBACKENDS; b++) {
            runs[b][rep] = bench_run_case(backends[b], o, k, threads);
        }
    }
    printf("%-9s %3d", k->name, threads);
    for (size_t b = 0; b < NBACKENDS; b++) {
        r[b] = bench_median(runs[b], o->repeat);
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
        if (mk_failed(bench_token_parse_uri(&o))) {
            fprintf(stderr, "sign: bad --uri: %s\n", mk_error_message());
            return 1;
        }
        if (a.keygen && bench_child_status(keygen_child, &o) != 0) {
            return 1;
        }
    } else if (mk_failed(bench_token_make(&o, "mk-bench", dir, sizeof(dir))) ||
               bench_child_status(keygen_child, &o) != 0) {
        fprintf(stderr, "sign: cannot set up a temporary SoftHSM2 token: %s\n", mk_error_message());
        bench_dir_remove(dir);
        return 1;
    }
    int rc = 0;
    if (o.count >= 0) {
        rc = a.backend != NULL ? count_mode(&o, a.backend, a.key) : 2;
    } else {
        run_all(&o);
    }
    bench_dir_remove(dir);
    return rc;
}
