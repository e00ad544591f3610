/*
 * The benches' clock and process runner: signatures per second for one
 * backend (bench.h) over a fixed time on N threads, each case in its own
 * child process (so that module initialisation and finalisation of one path
 * never touch another), and the median of repeated runs.
 */
#ifndef MK_BENCH_RUNNER_H
#define MK_BENCH_RUNNER_H

#include "bench.h"

/* CLOCK_MONOTONIC in seconds. */
double bench_now(void);

/* Sleep for `seconds` (fractions allowed). */
void bench_sleep(double seconds);

/*
 * Run fn(arg) in a child process and return the rate it computes, or -1
 * when fn fails (returns < 0) or the child dies. The parent's stdio is
 * flushed first.
 */
double bench_child_rate(double (*fn)(const void *arg), const void *arg);

/* Run fn(arg) in a child process and return its exit status (1 if it dies). */
int bench_child_status(int (*fn)(const void *arg), const void *arg);

/*
 * Signatures per second of backend b with key k on `threads` threads for
 * o->seconds, in a child process; -1 on failure (message on stderr).
 */
double bench_run_case(const bench_backend *b, const bench_opts *o, const bench_key *k, int threads);

/* Median of r[0..n) (sorts r); -1 if any run failed. */
double bench_median(double *r, int n);

#endif
