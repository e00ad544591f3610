/*
 * `mirrorkey apply`: a whole topology (plan.h). Outbound on every instance
 * at once (one thread each), the public certificates passed in memory,
 * inbound on every instance for every peer it shares a session with (again
 * one thread per instance), then the sessions one by one in SQL Server's
 * order, and a bounded wait until they are SYNCHRONIZED (a session still
 * not synchronized then makes the exit status 1). An instance that
 * fails stops alone; what it leaves undone is reported and a re-run
 * finishes it. A dry run is sequential so that its T-SQL reads in order.
 */
#include <stdio.h>

#include "apply.h"

typedef void (*inst_job)(inst_ctx *ic);

typedef struct job_arg {
    inst_ctx *ic;
    inst_job fn;
} job_arg;

static void *job_main(void *p)
{
    job_arg *a = p;
    a->fn(a->ic);
    return NULL;
}

/* Run fn on every instance: in parallel, or in order for a dry run. */
static void for_each_instance(setup_run *run, inst_ctx *insts, size_t n, inst_job fn)
{
    if (run->opts->dry_run || n == 1) {
        for (size_t i = 0; i < n; i++) {
            fn(&insts[i]);
        }
        return;
    }
    pthread_t th[TOPO_MAX_INSTANCES];
    job_arg args[TOPO_MAX_INSTANCES];
    bool started[TOPO_MAX_INSTANCES] = {false};
    for (size_t i = 0; i < n; i++) {
        args[i] = (job_arg){&insts[i], fn};
        started[i] = pthread_create(&th[i], NULL, job_main, &args[i]) == 0;
        if (!started[i]) {
            fn(&insts[i]);
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (started[i]) {
            pthread_join(th[i], NULL);
        }
    }
}

static void outbound_job(inst_ctx *ic) { proc_outbound(ic); }

/* Inbound on one instance for each of its peers, in topology order. */
static void inbound_job(inst_ctx *ic)
{
    const topology *t = ic->run->topo;
    inst_ctx *all = ic - ic->index;
    phase_begin(ic, "inbound");
    for (size_t j = 0; j < t->n_instances && !ic->failed; j++) {
        if (j == ic->index || !topo_are_peers(t, ic->index, j)) {
            continue;
        }
        if (!all[j].cert.known) {
            run_action(ic->run, ic->ti->name, "inbound", ACT_ERROR, NULL,
                       "left undone for %s: its certificate could not be read (see %s above)",
                       t->instances[j].name, t->instances[j].name);
            continue;
        }
        proc_inbound(ic, t->instances[j].name, &all[j].cert);
    }
}

int apply_run(setup_run *run, inst_ctx *insts)
{
    const topology *t = run->topo;
    size_t n = t->n_instances;
    if (run->opts->dry_run && !run->opts->json) {
        printf("-- mirrorkey %s --dry-run: the T-SQL each instance would receive, in order.\n"
               "-- Run each block on its instance; secrets are $(NAME) placeholders for you to "
               "fill.\n",
               run->opts->command);
    }
    for_each_instance(run, insts, n, outbound_job);
    for_each_instance(run, insts, n, inbound_job);
    for (size_t i = 0; i < t->n_sessions; i++) {
        proc_session(run, insts, &t->sessions[i]);
    }
    bool unsynced = false;
    if (!run->opts->dry_run && t->n_sessions > 0 && run->opts->wait_seconds > 0) {
        unsynced = mk_failed(proc_wait_synchronized(run, insts, run->opts->wait_seconds));
    }
    size_t failed = 0;
    for (size_t i = 0; i < n; i++) {
        failed += insts[i].failed;
    }
    if (failed > 0) {
        run_action(run, "apply", "summary", ACT_ERROR, NULL,
                   "%zu of %zu instances stopped; nothing else was changed on them; fix the "
                   "cause and re-run: done steps will be skipped",
                   failed, n);
    }
    return failed > 0 || unsynced ? 1 : 0;
}
