/*
 * The benches' clock and process runner (see runner.h): timed signing
 * loops on worker threads, cases in child processes, medians.
 */
#include "runner.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void bench_sleep(double seconds)
{
    struct timespec d = {(time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9)};
    while (nanosleep(&d, &d) != 0) {
    }
}

typedef struct worker {
    const bench_backend *b;
    void *state;
    pthread_barrier_t *start;
    atomic_bool *stop;
    long count;
    bool failed;
} worker;

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
    double t0 = bench_now();
    bench_sleep(o->seconds);
    atomic_store(&stop, true);
    long total = 0;
    bool failed = false;
    for (int i = 0; i < threads; i++) {
        pthread_join(th[i], NULL);
        total += w[i].count;
        failed = failed || w[i].failed;
    }
    double elapsed = bench_now() - t0;
    pthread_barrier_destroy(&start);
    b->close(st);
    return failed ? -1 : (double)total / elapsed;
}

double bench_child_rate(double (*fn)(const void *arg), const void *arg)
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
        double r = fn(arg);
        fflush(NULL);
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

int bench_child_status(int (*fn)(const void *arg), const void *arg)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        int rc = fn(arg);
        fflush(NULL);
        _exit(rc);
    }
    int status = 0;
    return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) ? WEXITSTATUS(status)
                                                                           : 1;
}

typedef struct case_args {
    const bench_backend *b;
    const bench_opts *o;
    const bench_key *k;
    int threads;
} case_args;

static double case_in_child(const void *arg)
{
    const case_args *a = arg;
    return measure(a->b, a->o, a->k, a->threads);
}

double bench_run_case(const bench_backend *b, const bench_opts *o, const bench_key *k, int threads)
{
    case_args a = {b, o, k, threads};
    return bench_child_rate(case_in_child, &a);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;
    return (x > y) - (x < y);
}

double bench_median(double *r, int n)
{
    for (int i = 0; i < n; i++) {
        if (r[i] < 0) {
            return -1;
        }
    }
    qsort(r, (size_t)n, sizeof(r[0]), cmp_double);
    return n % 2 == 1 ? r[n / 2] : (r[n / 2 - 1] + r[n / 2]) / 2;
}
