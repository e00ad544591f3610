/*
 * Mirroring sessions of a topology (plan.h), in SQL Server's order: the
 * database on both partners, SET PARTNER on the mirror (it waits), then on
 * the principal, then SET WITNESS on the principal. Each step compares what
 * sys.database_mirroring says first; a partner or witness set to another
 * address is a conflict naming both. proc_wait_synchronized then polls until
 * every session is SYNCHRONIZED with its witness CONNECTED.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "plan.h"

typedef struct mirror_state {
    bool exists;
    char role[32];
    char state[32];
    char partner[160];
    char witness[160];
    char witness_state[32];
} mirror_state;

static MK_RESULT read_state(inst_ctx *ic, const char *step, const char *db, mirror_state *ms)
{
    char sql[400];
    mkc_rows r;
    memset(ms, 0, sizeof(*ms));
    snprintf(sql, sizeof(sql), "SELECT database_id FROM sys.databases WHERE name = '%s'", db);
    GUARD(step_query(ic, step, sql, &r));
    long long id = mkc_int(&r, 0, "database_id", 0);
    mkc_rows_cleanup(&r);
    if (id == 0) {
        return MK_OK;
    }
    ms->exists = true;
    snprintf(sql, sizeof(sql),
             "SELECT mirroring_role_desc, mirroring_state_desc, mirroring_partner_name, "
             "mirroring_witness_name, mirroring_witness_state_desc FROM sys.database_mirroring "
             "WHERE database_id = %lld",
             id);
    GUARD(step_query(ic, step, sql, &r));
    snprintf(ms->role, sizeof(ms->role), "%s", mkc_text(&r, 0, "mirroring_role_desc"));
    snprintf(ms->state, sizeof(ms->state), "%s", mkc_text(&r, 0, "mirroring_state_desc"));
    snprintf(ms->partner, sizeof(ms->partner), "%s", mkc_text(&r, 0, "mirroring_partner_name"));
    snprintf(ms->witness, sizeof(ms->witness), "%s", mkc_text(&r, 0, "mirroring_witness_name"));
    snprintf(ms->witness_state, sizeof(ms->witness_state), "%s",
             mkc_text(&r, 0, "mirroring_witness_state_desc"));
    mkc_rows_cleanup(&r);
    return MK_OK;
}

static void create_db(inst_ctx *ic, const char *db, const mirror_state *ms)
{
    char sql[200];
    if (ms->exists) {
        step_skip(ic, "database", "%s exists", db);
        return;
    }
    snprintf(sql, sizeof(sql), "CREATE DATABASE [%s]", db);
    (void)mk_failed(
        step_change(ic, "database", sql, NULL, NULL, "created (names the mirroring session)"));
}

/* SET PARTNER on ic towards `addr`, unless it is already so. */
static void set_partner(inst_ctx *ic, const char *db, const mirror_state *ms, const char *addr,
                        const char *role_after)
{
    char sql[400];
    if (strcasecmp(ms->partner, addr) == 0) {
        step_skip(ic, "partner", "%s: partner %s (%s)", db, addr, ms->role);
        return;
    }
    if (ms->partner[0] != '\0') {
        step_fail(ic, "partner",
                  "%s already has partner %s; the topology says %s (SET PARTNER OFF first)", db,
                  ms->partner, addr);
        return;
    }
    snprintf(sql, sizeof(sql), "ALTER DATABASE [%s] SET PARTNER = '%s'", db, addr);
    char detail[64];
    snprintf(detail, sizeof(detail), "now %s", role_after);
    (void)mk_failed(step_change(ic, "partner", sql, NULL, NULL, detail));
}

static void set_witness(inst_ctx *ic, const char *db, const mirror_state *ms, const char *addr)
{
    char sql[400];
    if (strcasecmp(ms->witness, addr) == 0) {
        step_skip(ic, "witness", "%s: witness %s", db, addr);
        return;
    }
    if (ms->witness[0] != '\0' && !ic->run->opts->allow_changes) {
        step_fail(ic, "witness",
                  "%s has witness %s; the topology says %s; re-run with --allow-changes to "
                  "move it",
                  db, ms->witness, addr);
        return;
    }
    snprintf(sql, sizeof(sql), "ALTER DATABASE [%s] SET WITNESS = '%s'", db, addr);
    (void)mk_failed(step_change(ic, "witness", sql, NULL, NULL, "set"));
}

void proc_session(setup_run *run, inst_ctx *insts, const topo_session *s)
{
    inst_ctx *p = &insts[s->principal], *m = &insts[s->mirror];
    inst_ctx *w = s->has_witness ? &insts[s->witness] : NULL;
    if (p->failed || m->failed || (w != NULL && w->failed)) {
        run_action(run, s->database, "session", ACT_ERROR, NULL,
                   "left undone: %s failed earlier; re-run apply once it is fixed",
                   p->failed   ? p->ti->name
                   : m->failed ? m->ti->name
                               : w->ti->name);
        return;
    }
    mirror_state ps, ms;
    phase_begin(m, s->database);
    if (mk_failed(read_state(m, "database", s->database, &ms))) {
        return;
    }
    create_db(m, s->database, &ms);
    phase_begin(p, s->database);
    if (m->failed || mk_failed(read_state(p, "database", s->database, &ps))) {
        return;
    }
    create_db(p, s->database, &ps);
    if (p->failed) {
        return;
    }
    phase_begin(m, s->database);
    set_partner(m, s->database, &ms, p->ti->endpoint_address, "MIRROR, waiting for its principal");
    if (m->failed) {
        return;
    }
    phase_begin(p, s->database);
    set_partner(p, s->database, &ps, m->ti->endpoint_address, "PRINCIPAL");
    if (p->failed) {
        return;
    }
    if (w != NULL) {
        if (!run->opts->dry_run && mk_failed(read_state(p, "witness", s->database, &ps))) {
            return;
        }
        set_witness(p, s->database, &ps, w->ti->endpoint_address);
    } else if (ps.witness[0] != '\0') {
        step_warn(p, "witness", "%s has witness %s; the topology names none (left as is)",
                  s->database, ps.witness);
    }
}

/* Whether session s is SYNCHRONIZED on both partners with its witness CONNECTED. */
static bool synchronized(inst_ctx *insts, const topo_session *s, char *why, size_t cap)
{
    mirror_state ps, ms;
    inst_ctx *p = &insts[s->principal], *m = &insts[s->mirror];
    if (p->failed || m->failed || mk_failed(read_state(p, "synchronized", s->database, &ps)) ||
        mk_failed(read_state(m, "synchronized", s->database, &ms))) {
        snprintf(why, cap, "cannot read the state");
        return false;
    }
    snprintf(why, cap, "%s %s %s (witness %s) / %s %s %s", p->ti->name, ps.role, ps.state,
             ps.witness_state[0] ? ps.witness_state : "none", m->ti->name, ms.role, ms.state);
    bool ok = strcmp(ps.state, "SYNCHRONIZED") == 0 && strcmp(ms.state, "SYNCHRONIZED") == 0;
    if (s->has_witness) {
        ok = ok && strcmp(ps.witness_state, "CONNECTED") == 0;
    }
    return ok;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

MK_RESULT proc_wait_synchronized(setup_run *run, inst_ctx *insts, int seconds)
{
    const topology *t = run->topo;
    mk_result res = MK_OK;
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (size_t i = 0; i < t->n_sessions; i++) {
        const topo_session *s = &t->sessions[i];
        if (insts[s->principal].failed || insts[s->mirror].failed ||
            (s->has_witness && insts[s->witness].failed)) {
            continue; /* already reported as left undone */
        }
        char why[400] = "";
        bool first = true, ok = false;
        struct timespec now;
        for (;;) {
            ok = synchronized(insts, s, why, sizeof(why));
            clock_gettime(CLOCK_MONOTONIC, &now);
            if (ok || insts[s->principal].failed || insts[s->mirror].failed ||
                now.tv_sec - start.tv_sec >= seconds) { /* one deadline for all sessions */
                break;
            }
            first = false;
            sleep_ms(200);
        }
        if (ok) {
            run_action(run, s->database, "synchronized", first ? ACT_SKIPPED : ACT_DONE, NULL, "%s",
                       why);
        } else {
            run_action(run, s->database, "synchronized", ACT_WARNING, NULL,
                       "not synchronized after %d s: %s", seconds, why);
            res = MK_ERR;
        }
    }
    return res;
}
