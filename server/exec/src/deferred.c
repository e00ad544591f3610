/*
 * Deferred work at the end of a statement (see internal.h): what the catalog
 * transaction cannot roll back or must not see happen before it commits.
 *
 * A CREATE CERTIFICATE records "destroy these token objects on rollback"
 * right after the key pair exists, so that any later failure, including the
 * catalog commit itself, leaves nothing on the token. DROP CERTIFICATE
 * records "destroy on commit", so a refused or failed drop never loses a
 * key. The open master key is swapped only after the statement that opened,
 * created, regenerated or closed it committed. Requests to a mirroring
 * partner that must follow the statement's outcome (LEAVE after a committed
 * SET PARTNER OFF, or after a SET PARTNER whose JOIN the partner accepted
 * but which then failed here) are sent the same way, best effort.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "mk/log.h"
#include "p11/token.h"

static mk_result defer_slot(exec_session *s, exec_defer_kind kind, exec_defer_when when,
                            exec_deferred **out)
{
    ENSURE_MSG(s->ndeferred < EXEC_DEFER_MAX, MK_E_TOOBIG, "too many deferred actions");
    exec_deferred *d = &s->deferred[s->ndeferred];
    memset(d, 0, sizeof(*d));
    d->kind = kind;
    d->when = when;
    *out = d;
    return MK_OK;
}

mk_result exec_defer_destroy_id(exec_session *s, exec_defer_when when, const uint8_t *id,
                                size_t id_len)
{
    exec_deferred *d = NULL;
    ENSURE_MSG(id_len >= 1 && id_len <= EXEC_DEFER_ID_MAX, MK_E_INVALID, "token id length %zu",
               id_len);
    GUARD(defer_slot(s, EXEC_DEFER_DESTROY_ID, when, &d));
    memcpy(d->id, id, id_len);
    d->id_len = id_len;
    s->ndeferred++;
    return MK_OK;
}

mk_result exec_defer_unlink(exec_session *s, const char *relpath)
{
    exec_deferred *d = NULL;
    GUARD(defer_slot(s, EXEC_DEFER_UNLINK, EXEC_ON_ROLLBACK, &d));
    d->text = strdup(relpath);
    ENSURE(d->text != NULL, MK_E_NOMEM);
    s->ndeferred++;
    return MK_OK;
}

mk_result exec_defer_master_key(exec_session *s, mk_secret *mk)
{
    exec_deferred *d = NULL;
    if (mk_failed(defer_slot(s, EXEC_DEFER_MASTER_KEY, EXEC_ON_COMMIT, &d))) {
        mk_secret_free(mk);
        return MK_ERR;
    }
    d->secret = mk;
    s->ndeferred++;
    return MK_OK;
}

mk_result exec_defer_notify(exec_session *s, exec_change_kind kind, const char *name)
{
    exec_deferred *d = NULL;
    if (s->inst->on_change == NULL) {
        return MK_OK;
    }
    GUARD(defer_slot(s, EXEC_DEFER_NOTIFY, EXEC_ON_COMMIT, &d));
    d->change = kind;
    d->text = strdup(name != NULL ? name : "");
    ENSURE(d->text != NULL, MK_E_NOMEM);
    s->ndeferred++;
    return MK_OK;
}

mk_result exec_defer_mirror(exec_session *s, exec_defer_when when, const exec_mirror_request *req)
{
    exec_deferred *d = NULL;
    if (s->inst->mirror == NULL) {
        return MK_OK;
    }
    GUARD(defer_slot(s, EXEC_DEFER_MIRROR, when, &d));
    d->op = req->op;
    d->text = strdup(req->database);
    d->address = strdup(req->address);
    d->witness = strdup(req->witness != NULL ? req->witness : "");
    if (d->text == NULL || d->address == NULL || d->witness == NULL) {
        free(d->text);
        free(d->address);
        free(d->witness);
        memset(d, 0, sizeof(*d));
        BAIL(MK_E_NOMEM);
    }
    s->ndeferred++;
    return MK_OK;
}

static const char *mirror_op_name(exec_mirror_op op)
{
    switch (op) {
    case EXEC_MIRROR_JOIN: return "JOIN";
    case EXEC_MIRROR_LEAVE: return "LEAVE";
    case EXEC_MIRROR_SET_WITNESS: return "SET_WITNESS";
    case EXEC_MIRROR_PROBE_WITNESS: return "PROBE_WITNESS";
    }
    return "?";
}

void exec_mirror_best_effort(exec_session *s, const exec_mirror_request *req)
{
    exec_mirror_reply reply;
    memset(&reply, 0, sizeof(reply));
    if (s->inst->mirror == NULL) {
        return;
    }
    if (mk_failed(s->inst->mirror(s->inst->hook_arg, req, &reply))) {
        MK_LOG_WARN("database '%s': %s to %s was not delivered: %s", req->database,
                    mirror_op_name(req->op), req->address, mk_error_message());
    } else if (reply.number != 0) {
        MK_LOG_WARN("database '%s': %s to %s was answered with error %d", req->database,
                    mirror_op_name(req->op), req->address, reply.number);
    }
}

static void run_mirror(exec_session *s, const exec_deferred *d)
{
    exec_mirror_request req = {
        .op = d->op, .database = d->text, .address = d->address, .witness = d->witness};
    exec_mirror_best_effort(s, &req);
}

static void run_destroy(exec_session *s, const exec_deferred *d)
{
    size_t n = 0;
    if (s->inst->token == NULL ||
        mk_failed(p11_token_destroy_id(s->inst->token, d->id, d->id_len, &n))) {
        mk_log_error_result(MK_LOG_ERROR, "destroying token objects of a certificate");
        return;
    }
    MK_LOG_DEBUG("destroyed %zu token object(s)", n);
}

static void run_action(exec_session *s, exec_deferred *d)
{
    switch (d->kind) {
    case EXEC_DEFER_DESTROY_ID: run_destroy(s, d); break;
    case EXEC_DEFER_UNLINK:
        if (s->inst->file_root == NULL ||
            mk_failed(exec_file_unlink(s->inst->file_root, d->text))) {
            mk_log_error_result(MK_LOG_ERROR, "removing a file written by a failed statement");
        }
        break;
    case EXEC_DEFER_MASTER_KEY: {
        pthread_mutex_lock(&s->inst->mk_lock);
        mk_secret *old = s->inst->master_key;
        s->inst->master_key = d->secret;
        pthread_mutex_unlock(&s->inst->mk_lock);
        d->secret = NULL;
        mk_secret_free(old);
        break;
    }
    case EXEC_DEFER_NOTIFY:
        if (s->inst->on_change != NULL) {
            s->inst->on_change(s->inst->on_change_arg, d->change, d->text);
        }
        break;
    case EXEC_DEFER_MIRROR: run_mirror(s, d); break;
    }
}

void exec_deferred_finish(exec_session *s, bool committed)
{
    exec_defer_when now = committed ? EXEC_ON_COMMIT : EXEC_ON_ROLLBACK;
    for (size_t i = s->ndeferred; i > 0; i--) {
        exec_deferred *d = &s->deferred[i - 1];
        if (d->when == now) {
            run_action(s, d);
        }
        mk_secret_free(d->secret);
        free(d->text);
        free(d->address);
        free(d->witness);
        memset(d, 0, sizeof(*d));
    }
    s->ndeferred = 0;
}

mk_result exec_send_info(const exec_sink *sink, int number, int line, sql_error *err,
                         const char *fmt, ...)
{
    sql_error info;
    char text[sizeof(info.message)];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    sql_error_set(&info, number, 10, 1, line, "%s", text);
    if (mk_failed(sink->message(sink->arg, &info))) {
        sql_error_clear(err);
        return MK_ERR;
    }
    return MK_OK;
}

void exec_error_hsm(sql_error *err, int line, const char *what)
{
    sql_error_set(err, EXEC_ERR_HSM, 16, 1, line, "%s: the HSM operation failed: %s", what,
                  mk_error_message());
}

void exec_error_internal(sql_error *err, int line, const char *what)
{
    sql_error_set(err, 50000, 16, 1, line, "mirrorkey internal error while %s: %s", what,
                  mk_error_message());
}
