/*
 * `mirrorkey status`: per instance, its certificates with days to expiry,
 * its endpoint, its live endpoint connections and each mirroring session's
 * role, state and witness state. Exit status as monitoring checks expect:
 * 0 all well, 1 warnings (a certificate expiring within --warn-days, a
 * witness not connected), 2 something broken (unreachable, expired,
 * endpoint missing or not STARTED, a session not SYNCHRONIZED).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "apply.h"

/* "YYYY-MM-DD hh:mm:ss" (tdsclient's datetime text) -> Unix seconds, or -1. */
static long long parse_when(const char *s)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    if (sscanf(s, "%4d-%2d-%2d %2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
               &tm.tm_min, &tm.tm_sec) != 6) {
        return -1;
    }
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (long long)timegm(&tm);
}

static void certificates(inst_ctx *ic)
{
    mkc_rows r;
    if (mk_failed(step_query(ic, "certificates",
                             "SELECT name, expiry_date, pvt_key_encryption_type FROM "
                             "sys.certificates",
                             &r))) {
        return;
    }
    long long now = (long long)time(NULL);
    for (size_t i = 0; i < r.nrows; i++) {
        const char *name = mkc_text(&r, i, "name");
        const char *own = strcmp(mkc_text(&r, i, "pvt_key_encryption_type"), "HS") == 0
                              ? "own, key on the token"
                              : "peer";
        long long exp = parse_when(mkc_text(&r, i, "expiry_date"));
        long long days = exp < 0 ? 0 : (exp - now) / 86400;
        if (exp < 0) {
            run_action(ic->run, ic->ti->name, "certificate", ACT_WARNING, NULL,
                       "%s (%s): expiry unknown", name, own);
        } else if (exp <= now) {
            run_action(ic->run, ic->ti->name, "certificate", ACT_ERROR, NULL, "%s (%s): EXPIRED %s",
                       name, own, mkc_text(&r, i, "expiry_date"));
        } else if (days < ic->run->opts->warn_days) {
            run_action(ic->run, ic->ti->name, "certificate", ACT_WARNING, NULL,
                       "%s (%s): expires in %lld days (%s)", name, own, days,
                       mkc_text(&r, i, "expiry_date"));
        } else {
            run_action(ic->run, ic->ti->name, "certificate", ACT_DONE, NULL,
                       "%s (%s): %lld days to expiry", name, own, days);
        }
    }
    mkc_rows_cleanup(&r);
}

static void endpoint(inst_ctx *ic)
{
    mkc_rows r;
    if (mk_failed(find_endpoint(ic, &r))) {
        return;
    }
    if (r.nrows == 0) {
        run_action(ic->run, ic->ti->name, "endpoint", ACT_ERROR, NULL,
                   "no DATABASE_MIRRORING endpoint");
    } else if (strcasecmp(mkc_text(&r, 0, "state_desc"), "STARTED") != 0) {
        run_action(ic->run, ic->ti->name, "endpoint", ACT_ERROR, NULL, "%s is %s",
                   ic->endpoint_name, mkc_text(&r, 0, "state_desc"));
    } else {
        run_action(ic->run, ic->ti->name, "endpoint", ACT_DONE, NULL, "%s STARTED, role %s",
                   ic->endpoint_name, mkc_text(&r, 0, "role_desc"));
    }
    mkc_rows_cleanup(&r);
}

static void connections(inst_ctx *ic)
{
    mkc_rows r;
    if (mk_failed(step_query(ic, "connections",
                             "SELECT principal_name, is_accept, login_state_desc, "
                             "encryption_algorithm_desc FROM sys.dm_db_mirroring_connections",
                             &r))) {
        return;
    }
    char list[1024] = "";
    size_t n = 0;
    for (size_t i = 0; i < r.nrows && n + 80 < sizeof(list); i++) {
        n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s %s %s", i ? ", " : ": ",
                              strcmp(mkc_text(&r, i, "is_accept"), "1") == 0 ? "from" : "to",
                              mkc_text(&r, i, "principal_name"),
                              mkc_text(&r, i, "encryption_algorithm_desc"));
    }
    run_action(ic->run, ic->ti->name, "connections", ACT_DONE, NULL, "%zu live%s", r.nrows, list);
    mkc_rows_cleanup(&r);
}

static void sessions(inst_ctx *ic)
{
    mkc_rows d, m;
    if (mk_failed(step_query(ic, "sessions", "SELECT database_id, name FROM sys.databases", &d))) {
        return;
    }
    if (mk_failed(step_query(ic, "sessions",
                             "SELECT database_id, mirroring_role_desc, mirroring_state_desc, "
                             "mirroring_partner_name, mirroring_witness_name, "
                             "mirroring_witness_state_desc FROM sys.database_mirroring WHERE "
                             "mirroring_guid IS NOT NULL",
                             &m))) {
        mkc_rows_cleanup(&d);
        return;
    }
    for (size_t i = 0; i < m.nrows; i++) {
        const char *name = "?";
        for (size_t j = 0; j < d.nrows; j++) {
            if (strcmp(mkc_text(&d, j, "database_id"), mkc_text(&m, i, "database_id")) == 0) {
                name = mkc_text(&d, j, "name");
            }
        }
        const char *state = mkc_text(&m, i, "mirroring_state_desc");
        const char *wname = mkc_text(&m, i, "mirroring_witness_name");
        const char *wstate = mkc_text(&m, i, "mirroring_witness_state_desc");
        act_status st = strcmp(state, "SYNCHRONIZED") != 0                     ? ACT_ERROR
                        : wname[0] != '\0' && strcmp(wstate, "CONNECTED") != 0 ? ACT_WARNING
                                                                               : ACT_DONE;
        run_action(ic->run, ic->ti->name, "session", st, NULL,
                   "%s: %s %s, partner %s, witness %s %s", name,
                   mkc_text(&m, i, "mirroring_role_desc"), state,
                   mkc_text(&m, i, "mirroring_partner_name"), wname[0] ? wname : "none",
                   wname[0] ? wstate : "");
    }
    mkc_rows_cleanup(&d);
    mkc_rows_cleanup(&m);
}

static void status_job(inst_ctx *ic)
{
    if (mk_failed(step_connect(ic))) {
        return;
    }
    certificates(ic);
    if (!ic->failed) {
        endpoint(ic);
    }
    if (!ic->failed) {
        connections(ic);
    }
    if (!ic->failed) {
        sessions(ic);
    }
}

void status_run(setup_run *run, inst_ctx *insts)
{
    for (size_t i = 0; i < run->topo->n_instances; i++) {
        status_job(&insts[i]);
    }
}
