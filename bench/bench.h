/*
 * bench/sign: signatures per second through four paths to the same token
 * keys (raw Cryptoki, the mirrorkey provider, the libp11 engine) and through
 * software keys, so the provider's overhead is a ratio, not a guess.
 *
 * A backend prepares one key, then hands out per-thread state; the runner
 * calls sign() on every thread until the time is up. Every backend runs in
 * its own child process so that module initialisation and finalisation of
 * one path never touch another.
 */
#ifndef MK_BENCH_H
#define MK_BENCH_H

#include <stdbool.h>
#include <stddef.h>

#include "p11/key.h"

/* One key under test: also the CKA_LABEL the token keys carry. */
typedef struct bench_key {
    const char *name;  /* "RSA-2048" */
    const char *label; /* "bench-rsa2048" */
    p11_key_type type;
    unsigned bits;
} bench_key;

typedef struct bench_opts {
    char token_uri[4096]; /* pkcs11:token=...?module-path=...&pin-source=file:... */
    char token_label[64];
    char module[1024];
    char pin_file[1024];
    char provider_dir[1024];
    double seconds;  /* per run */
    int repeat;      /* runs per case (the median is reported), 1..16 */
    int max_threads; /* 1..N, runs 1 and max_threads */
    long count;      /* >0: exactly this many signatures, one thread (count-calls.sh) */
} bench_opts;

typedef struct bench_backend {
    const char *name;
    /* Prepare for key k; NULL (with a message on stderr) when not possible. */
    void *(*open)(const bench_opts *o, const bench_key *k);
    /* Per-thread state (a session, a digest context...); NULL on failure. */
    void *(*thread_open)(void *state);
    /* One signature; false on failure (message on stderr). */
    bool (*sign)(void *thread_state);
    void (*thread_close)(void *thread_state);
    void (*close)(void *state);
} bench_backend;

extern const bench_backend bench_raw;      /* backend_raw.c */
extern const bench_backend bench_provider; /* backend_ossl.c */
extern const bench_backend bench_software; /* backend_ossl.c */
extern const bench_backend bench_engine;   /* backend_engine.c */

/* The message every backend signs (a TLS 1.3 CertificateVerify is about this size). */
#define BENCH_MESSAGE "mirrorkey bench: a message of roughly the size TLS signs, 64 bytes"

#endif
