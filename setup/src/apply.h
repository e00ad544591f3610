/*
 * The procedures over a whole topology: `apply` (apply.c) and `status`
 * (status.c). Both take the run and one inst_ctx per topology instance,
 * already initialised.
 */
#ifndef MK_SETUP_APPLY_H
#define MK_SETUP_APPLY_H

#include "plan.h"

#define TOPO_MAX_INSTANCES 64

/* 0 every instance done, 1 one or more stopped (the rest is done) or a session not synchronized. */
int apply_run(setup_run *run, inst_ctx *insts);

/* Each instance's state as actions; run_finish then gives the exit code (0 / 1 / 2). */
void status_run(setup_run *run, inst_ctx *insts);

#endif
