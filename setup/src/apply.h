/*
 * The procedures over a whole topology: `apply` (apply.c) and `status`
 * (status.c). Both take the run and one inst_ctx per topology instance,
 * already initialised, and return the command's exit code.
 */
#ifndef MK_SETUP_APPLY_H
#define MK_SETUP_APPLY_H

#include "plan.h"

#define TOPO_MAX_INSTANCES 64

/* 0 every instance done, 1 one or more stopped (the rest is done) or a session not synchronized. */
int apply_run(setup_run *run, inst_ctx *insts, const char *topology_path);

/* 0 all well, 1 warnings (expiry within warn_days, witness down), 2 something broken. */
int status_run(setup_run *run, inst_ctx *insts);

#endif
