/*
 * The step helpers of plan.h: connecting, read-only queries, changes (run or,
 * in a dry run, printed), and the outcomes skip / warn / fail. A statement
 * that carries a secret is written with a $(NAME) placeholder; only the copy
 * sent to the server has the value, in a wiped buffer.
 */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mk/secret_file.h"
#include "plan.h"

#define PASSWORD_MAX 128

__attribute__((format(printf, 4, 0))) static void
vaction(inst_ctx *ic, const char *step, act_status st, const char *fmt, va_list ap)
{
    char detail[1536];
    vsnprintf(detail, sizeof(detail), fmt, ap);
    run_action(ic->run, ic->ti->name, step, st, NULL, "%s", detail);
}

void step_fail(inst_ctx *ic, const char *step, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vaction(ic, step, ACT_ERROR, fmt, ap);
    va_end(ap);
    ic->failed = true;
}

void step_skip(inst_ctx *ic, const char *step, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vaction(ic, step, ACT_SKIPPED, fmt, ap);
    va_end(ap);
}

void step_warn(inst_ctx *ic, const char *step, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vaction(ic, step, ACT_WARNING, fmt, ap);
    va_end(ap);
}

MK_RESULT step_read_secret(inst_ctx *ic, const char *what, const char *path, mk_secret **out)
{
    if (mk_failed(mk_secret_file_read(path, PASSWORD_MAX, out))) {
        step_fail(ic, what, "%s", mk_error_message());
        return MK_ERR;
    }
    return MK_OK;
}

void phase_begin(inst_ctx *ic, const char *phase)
{
    if (!ic->run->opts->dry_run || ic->run->opts->json) {
        return;
    }
    pthread_mutex_lock(&ic->run->lock);
    printf("\n-- ==== %s: %s (server %s)\n", ic->ti->name, phase, ic->ti->server);
    pthread_mutex_unlock(&ic->run->lock);
}

MK_RESULT step_connect(inst_ctx *ic)
{
    if (ic->conn != NULL) {
        return MK_OK;
    }
    ENSURE(!ic->failed, MK_E_STATE);
    mk_secret *pw = NULL;
    GUARD(step_read_secret(ic, "connect", ic->ti->password_file, &pw));
    mk_result r = mkc_connect(ic->index, ic->ti->login, pw, &ic->conn);
    mk_secret_free(pw);
    if (mk_failed(r)) {
        step_fail(ic, "connect", "%s: %s", ic->ti->server, mk_error_message());
        return MK_ERR;
    }
    const char *sha = mkc_target_cert_sha256(ic->index);
    json_t *rec = json_pack("{s:s, s:s, s:s, s:s, s:s}", "type", "connect", "instance",
                            ic->ti->name, "server", ic->ti->server, "login", ic->ti->login,
                            "tds_certificate_sha256", sha[0] ? sha : "not checked");
    run_record(ic->run, rec);
    json_decref(rec);
    return MK_OK;
}

MK_RESULT step_query(inst_ctx *ic, const char *step, const char *sql, mkc_rows *rows)
{
    ENSURE(!ic->failed, MK_E_STATE);
    GUARD(step_connect(ic));
    if (mk_failed(mkc_exec(ic->conn, sql, rows))) {
        step_fail(ic, step, "query failed: %s", mk_error_message());
        mkc_rows_cleanup(rows);
        return MK_ERR;
    }
    return MK_OK;
}

/* sql with $(placeholder) replaced by the secret, quotes doubled, in a secret buffer. */
static MK_RESULT with_secret(const char *sql, const char *placeholder, const mk_secret *secret,
                             mk_secret **out)
{
    char mark[96];
    snprintf(mark, sizeof(mark), "$(%s)", placeholder);
    const char *at = strstr(sql, mark);
    ENSURE_MSG(at != NULL, MK_E_INTERNAL, "placeholder missing");
    size_t head = (size_t)(at - sql), tail = strlen(at + strlen(mark));
    const uint8_t *v = mk_secret_cdata(secret);
    size_t vlen = mk_secret_len(secret);
    GUARD(mk_secret_new(head + 2 * vlen + tail + 1, out));
    uint8_t *d = mk_secret_data(*out);
    size_t n = 0;
    memcpy(d, sql, head);
    n = head;
    for (size_t i = 0; i < vlen; i++) {
        d[n++] = v[i];
        if (v[i] == '\'') {
            d[n++] = '\'';
        }
    }
    memcpy(d + n, at + strlen(mark), tail);
    return mk_secret_set_len(*out, n + tail);
}

static void report_infos(inst_ctx *ic, const char *step)
{
    for (size_t i = 0; i < mkc_info_count(ic->conn); i++) {
        const mkc_msg *m = mkc_info(ic->conn, i);
        step_warn(ic, step, "server says (Msg %d): %s", m->number, m->text);
    }
}

MK_RESULT step_change(inst_ctx *ic, const char *step, const char *sql, const char *placeholder,
                      const mk_secret *secret, const char *detail)
{
    ENSURE(!ic->failed, MK_E_STATE);
    if (ic->run->opts->dry_run) {
        run_action(ic->run, ic->ti->name, step, ACT_PLANNED, sql, "%s", detail);
        return MK_OK;
    }
    GUARD(step_connect(ic));
    mk_result r;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (placeholder != NULL) {
        mk_secret *full = NULL;
        r = with_secret(sql, placeholder, secret, &full);
        if (mk_ok(r)) {
            r = mkc_exec_secret(ic->conn, full);
        }
        mk_secret_free(full);
    } else {
        r = mkc_exec(ic->conn, sql, NULL);
    }
    if (mk_failed(r)) {
        run_action(ic->run, ic->ti->name, step, ACT_ERROR, sql, "%s", mk_error_message());
        ic->failed = true;
        return MK_ERR;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long ms = (long)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000);
    run_action(ic->run, ic->ti->name, step, ACT_DONE, sql, "%s (%ld ms)", detail, ms);
    report_infos(ic, step);
    return MK_OK;
}

void inst_cleanup(inst_ctx *ic)
{
    mkc_close(ic->conn);
    ic->conn = NULL;
    free(ic->cert.der);
    ic->cert.der = NULL;
}
