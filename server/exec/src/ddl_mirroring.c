/*
 * ALTER DATABASE ... SET PARTNER / WITNESS: database mirroring sessions
 * (docs/tsql.md "Databases and mirroring sessions"), for exec_alter_database
 * (ddl_database.c), which has already found the database.
 *
 * The other instance's word comes through the instance's mirror hook
 * (exec.h, exec_mirror_fn); the executor never speaks the endpoint
 * protocol. SQL Server's order applies: SET PARTNER runs on the mirror first
 * (the principal has no session yet and answers 1416: this instance becomes
 * the MIRROR, waiting with no partner instance), then on the principal (the
 * mirror answers 0: this instance becomes the PRINCIPAL and records the
 * mirror's instance name). SET WITNESS runs on the principal: the witness is
 * probed, then the partner is told.
 *
 * A failed statement changes nothing: the catalog rolls back, and what a
 * peer already accepted is undone after the rollback, best effort (a JOIN
 * with LEAVE, a new witness with the old one). Requests that end something
 * (LEAVE for PARTNER OFF, SET_WITNESS "" for WITNESS OFF) are sent only
 * once the change committed, best effort too: SQL Server lets them run
 * while the partner is down. The stored state columns stay neutral
 * (DISCONNECTED, UNKNOWN): the endpoint layer shows the live ones.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

#define ADDRESS_PREFIX "TCP://"

/*
 * 'TCP://host:port', checked lightly (the endpoint layer parses it for
 * real): the prefix in any case, a host of printable ASCII without '/',
 * '\\' or '@', and a decimal port 1..65535 after the last ':'.
 */
static bool address_ok(const char *a)
{
    size_t plen = strlen(ADDRESS_PREFIX);
    size_t len = strlen(a);
    if (len > CAT_ADDRESS_MAX || len <= plen || strncasecmp(a, ADDRESS_PREFIX, plen) != 0) {
        return false;
    }
    const char *host = a + plen;
    const char *colon = strrchr(host, ':');
    if (colon == NULL || colon == host) {
        return false;
    }
    for (const char *p = host; p < colon; p++) {
        unsigned char c = (unsigned char)*p;
        if (c <= 0x20 || c >= 0x7f || c == '/' || c == '\\' || c == '@') {
            return false;
        }
    }
    const char *digits = colon + 1;
    size_t n = strlen(digits);
    long port = 0;
    if (n == 0 || n > 5) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (digits[i] < '0' || digits[i] > '9') {
            return false;
        }
        port = port * 10 + (digits[i] - '0');
    }
    return port >= 1 && port <= 65535;
}

static mk_result check_address(const char *a, int line, sql_error *err)
{
    if (!address_ok(a)) {
        sql_error_set(err, 1449, 16, 1, line,
                      "ALTER DATABASE command failed due to an invalid server connection string.");
        return MK_ERR;
    }
    return MK_OK;
}

/* 1418 for an address that could not be asked (the endpoint layer logged why). */
static void err_unreachable(sql_error *err, int line, const char *address)
{
    sql_error_set(err, 1418, 16, 1, line,
                  "The server network address \"%s\" can not be reached or does not exist. Check "
                  "the network address name and that the ports for the local and remote "
                  "endpoints are operational.",
                  address);
}

static void err_not_mirrored(sql_error *err, int line, const char *name)
{
    sql_error_set(err, 1416, 16, 1, line,
                  "Database \"%s\" is not configured for database mirroring.", name);
}

/* A refusal the peer answered with a number that has no text here. */
static void err_peer_number(sql_error *err, int line, const char *name, int number)
{
    sql_error_set(err, number > 0 ? number : 50000, 16, 1, line,
                  "The remote server instance refused the ALTER DATABASE command for database "
                  "\"%s\" with error %d.",
                  name, number);
}

/* One request through the mirror hook; MK_ERR when there is no hook or it was not delivered. */
static mk_result ask(exec_session *s, const exec_mirror_request *req, exec_mirror_reply *reply)
{
    memset(reply, 0, sizeof(*reply));
    ENSURE_MSG(s->inst->mirror != NULL, MK_E_STATE, "no mirroring endpoint is wired");
    GUARD(s->inst->mirror(s->inst->hook_arg, req, reply));
    reply->peer_instance[EXEC_INSTANCE_NAME_MAX] = '\0';
    return MK_OK;
}

static void fresh_mirroring(cat_mirroring *m, const cat_mirroring *from)
{
    if (from != NULL) {
        *m = *from;
    } else {
        memset(m, 0, sizeof(*m));
    }
    /* The endpoint layer shows the live state; the stored one stays neutral. */
    m->state = CAT_MIR_DISCONNECTED;
    m->witness_state = CAT_WIT_UNKNOWN;
}

static mk_result store(exec_session *s, const char *name, const cat_mirroring *m, int line,
                       sql_error *err)
{
    if (mk_failed(cat_database_set_mirroring(s->db, name, m))) {
        exec_error_from_catalog(err, line, "database", name);
        return MK_ERR;
    }
    return exec_database_changed(s, name, line, err);
}

/* The partner's answer to JOIN: 0 and 1416 go on, anything else is the statement's error. */
static mk_result check_join_reply(exec_session *s, const char *name, const exec_mirror_reply *r,
                                  int line, sql_error *err)
{
    if (r->peer_instance[0] != '\0' && strcasecmp(r->peer_instance, s->inst->server_name) == 0) {
        sql_error_set(err, 1452, 16, 1, line,
                      "The partner server instance name must be distinct from the server "
                      "instance that manages the database. The ALTER DATABASE SET PARTNER "
                      "command failed.");
        return MK_ERR;
    }
    switch (r->number) {
    case 0:
        if (r->peer_instance[0] == '\0') {
            sql_error_set(err, 50000, 16, 1, line,
                          "mirrorkey internal error: the partner accepted database \"%s\" "
                          "without naming its instance.",
                          name);
            return MK_ERR;
        }
        return MK_OK;
    case 1416: return MK_OK;
    case 1410:
        sql_error_set(err, 1410, 16, 1, line,
                      "The remote copy of database \"%s\" is already enabled for database "
                      "mirroring.",
                      name);
        return MK_ERR;
    default: err_peer_number(err, line, name, r->number); return MK_ERR;
    }
}

/* SET PARTNER = 'TCP://host:port'. */
static mk_result set_partner(exec_session *s, const cat_database *d, const char *address, int line,
                             sql_error *err)
{
    GUARD(check_address(address, line, err));
    if (d->is_mirrored) {
        sql_error_set(err, 1405, 16, 1, line,
                      "The database \"%s\" is already enabled for database mirroring.", d->name);
        return MK_ERR;
    }
    exec_mirror_request join = {.op = EXEC_MIRROR_JOIN, .database = d->name, .address = address};
    exec_mirror_reply reply;
    if (mk_failed(ask(s, &join, &reply))) {
        err_unreachable(err, line, address);
        return MK_ERR;
    }
    if (reply.number == 0) {
        /* The partner joined: if this statement fails from here on, it must leave again. */
        exec_mirror_request leave = {
            .op = EXEC_MIRROR_LEAVE, .database = d->name, .address = address};
        if (mk_failed(exec_defer_mirror(s, EXEC_ON_ROLLBACK, &leave))) {
            exec_mirror_best_effort(s, &leave);
            exec_error_internal(err, line, "recording the mirroring session");
            return MK_ERR;
        }
    }
    GUARD(check_join_reply(s, d->name, &reply, line, err));
    cat_mirroring m;
    fresh_mirroring(&m, NULL);
    snprintf(m.partner_name, sizeof(m.partner_name), "%s", address);
    /* Pinned: only the instance that answered here may join, leave or change the session. */
    m.partner_cert_id = reply.peer_certificate_id > 0 ? reply.peer_certificate_id : 0;
    if (reply.number == 0) {
        m.role = CAT_MIR_PRINCIPAL;
        snprintf(m.partner_instance, sizeof(m.partner_instance), "%s", reply.peer_instance);
    } else {
        m.role = CAT_MIR_MIRROR; /* partner_instance "": waiting for the principal */
    }
    return store(s, d->name, &m, line, err);
}

/* SET PARTNER OFF: the partner is told after the commit, best effort. */
static mk_result partner_off(exec_session *s, const cat_database *d, int line, sql_error *err)
{
    if (!d->is_mirrored) {
        err_not_mirrored(err, line, d->name);
        return MK_ERR;
    }
    if (mk_failed(cat_database_clear_mirroring(s->db, d->name))) {
        exec_error_from_catalog(err, line, "database", d->name);
        return MK_ERR;
    }
    GUARD(exec_database_changed(s, d->name, line, err));
    if (d->mirroring.partner_instance[0] == '\0') {
        return MK_OK; /* a mirror still waiting: nobody to tell */
    }
    exec_mirror_request leave = {
        .op = EXEC_MIRROR_LEAVE, .database = d->name, .address = d->mirroring.partner_name};
    if (mk_failed(exec_defer_mirror(s, EXEC_ON_COMMIT, &leave))) {
        exec_error_internal(err, line, "ending the mirroring session");
        return MK_ERR;
    }
    return MK_OK;
}

/* SET WITNESS needs a session, and runs on its principal. */
static mk_result witness_allowed(const cat_database *d, int line, sql_error *err)
{
    if (!d->is_mirrored) {
        err_not_mirrored(err, line, d->name);
        return MK_ERR;
    }
    if (d->mirroring.role != CAT_MIR_PRINCIPAL) {
        sql_error_set(err, EXEC_ERR_WITNESS_ON_MIRROR, 16, 1, line,
                      "ALTER DATABASE SET WITNESS must be run on the principal server instance of "
                      "database '%s'.",
                      d->name);
        return MK_ERR;
    }
    return MK_OK;
}

static void err_witness_distinct(sql_error *err, int line)
{
    sql_error_set(err, 1429, 16, 1, line,
                  "The witness server instance name must be distinct from both of the server "
                  "instances that manage the database. The ALTER DATABASE SET WITNESS command "
                  "failed.");
}

/* Log in to the witness: it must answer, and be neither partner. */
static mk_result probe_witness(exec_session *s, const cat_database *d, const char *address,
                               int line, sql_error *err)
{
    exec_mirror_request probe = {
        .op = EXEC_MIRROR_PROBE_WITNESS, .database = d->name, .address = address};
    exec_mirror_reply reply;
    if (mk_failed(ask(s, &probe, &reply))) {
        err_unreachable(err, line, address);
        return MK_ERR;
    }
    const char *who = reply.peer_instance;
    if (who[0] != '\0' && (strcasecmp(who, s->inst->server_name) == 0 ||
                           strcasecmp(who, d->mirroring.partner_instance) == 0)) {
        err_witness_distinct(err, line);
        return MK_ERR;
    }
    if (reply.number != 0) {
        err_peer_number(err, line, d->name, reply.number);
        return MK_ERR;
    }
    return MK_OK;
}

/* SET WITNESS = 'TCP://host:port'. */
static mk_result set_witness(exec_session *s, const cat_database *d, const char *address, int line,
                             sql_error *err)
{
    GUARD(witness_allowed(d, line, err));
    GUARD(check_address(address, line, err));
    if (strcasecmp(address, d->mirroring.partner_name) == 0) {
        err_witness_distinct(err, line);
        return MK_ERR;
    }
    GUARD(probe_witness(s, d, address, line, err));
    const char *partner = d->mirroring.partner_name;
    exec_mirror_request tell = {
        .op = EXEC_MIRROR_SET_WITNESS, .database = d->name, .address = partner, .witness = address};
    exec_mirror_reply reply;
    if (mk_failed(ask(s, &tell, &reply))) {
        sql_error_set(err, 1447, 16, 1, line,
                      "ALTER DATABASE \"%s\" command cannot be executed until both partner server "
                      "instances are up, running, and connected. Start the partner and reissue "
                      "the command.",
                      d->name);
        return MK_ERR;
    }
    if (reply.number != 0) {
        err_peer_number(err, line, d->name, reply.number);
        return MK_ERR;
    }
    /* The partner took the new witness: put the old one back if this statement fails. */
    exec_mirror_request undo = tell;
    undo.witness = d->mirroring.witness_name;
    if (mk_failed(exec_defer_mirror(s, EXEC_ON_ROLLBACK, &undo))) {
        exec_mirror_best_effort(s, &undo);
        exec_error_internal(err, line, "recording the witness");
        return MK_ERR;
    }
    cat_mirroring m;
    fresh_mirroring(&m, &d->mirroring);
    snprintf(m.witness_name, sizeof(m.witness_name), "%s", address);
    return store(s, d->name, &m, line, err);
}

/* SET WITNESS OFF: the partner is told after the commit, best effort. */
static mk_result witness_off(exec_session *s, const cat_database *d, int line, sql_error *err)
{
    GUARD(witness_allowed(d, line, err));
    if (d->mirroring.witness_name[0] == '\0') {
        return MK_OK;
    }
    cat_mirroring m;
    fresh_mirroring(&m, &d->mirroring);
    m.witness_name[0] = '\0';
    GUARD(store(s, d->name, &m, line, err));
    exec_mirror_request tell = {.op = EXEC_MIRROR_SET_WITNESS,
                                .database = d->name,
                                .address = d->mirroring.partner_name,
                                .witness = ""};
    if (mk_failed(exec_defer_mirror(s, EXEC_ON_COMMIT, &tell))) {
        exec_error_internal(err, line, "removing the witness");
        return MK_ERR;
    }
    return MK_OK;
}

/* FAILOVER, FORCE_SERVICE_ALLOW_DATA_LOSS, RESUME, SUSPEND, SAFETY OFF, TIMEOUT. */
static void err_partner_option(sql_error *err, int line, sql_dbm_action action)
{
    static const char *const words[] = {
        [SQL_DBM_FAILOVER] = "FAILOVER", [SQL_DBM_FORCE_SERVICE] = "FORCE_SERVICE_ALLOW_DATA_LOSS",
        [SQL_DBM_RESUME] = "RESUME",     [SQL_DBM_SUSPEND] = "SUSPEND",
        [SQL_DBM_SAFETY] = "SAFETY OFF", [SQL_DBM_TIMEOUT] = "TIMEOUT",
    };
    const char *w = (size_t)action < sizeof(words) / sizeof(words[0]) && words[action] != NULL
                        ? words[action]
                        : "this option";
    sql_error_set(err, EXEC_ERR_NOT_SUPPORTED, 16, 1, line,
                  "ALTER DATABASE SET PARTNER %s is not supported by mirrorkey: its mirroring "
                  "sessions carry no data and always run with SAFETY FULL.",
                  w);
}

mk_result exec_alter_mirroring(exec_session *s, const cat_database *d, const sql_alter_db_stmt *a,
                               int line, sql_error *err)
{
    if (a->target == SQL_DBM_WITNESS) {
        return a->action == SQL_DBM_ADDRESS ? set_witness(s, d, a->address, line, err)
                                            : witness_off(s, d, line, err);
    }
    switch (a->action) {
    case SQL_DBM_ADDRESS: return set_partner(s, d, a->address, line, err);
    case SQL_DBM_OFF: return partner_off(s, d, line, err);
    case SQL_DBM_SAFETY:
        if (!a->safety_full) {
            break;
        }
        /* mirrorkey sessions always run with SAFETY FULL: nothing to change. */
        if (!d->is_mirrored) {
            err_not_mirrored(err, line, d->name);
            return MK_ERR;
        }
        return MK_OK;
    default: break;
    }
    err_partner_option(err, line, a->action);
    return MK_ERR;
}
