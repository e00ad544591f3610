/*
 * BEGIN / COMMIT / ROLLBACK TRANSACTION.
 *
 * mirrorkey runs every statement in its own catalog transaction (DESIGN.md
 * "Process model"), and DDL also changes the token, which has no rollback.
 * So these statements keep SQL Server's bookkeeping (@@TRANCOUNT, errors
 * 3902/3903 for an unmatched COMMIT/ROLLBACK) without spanning statements:
 * drivers such as pymssql wrap every batch in BEGIN TRAN … COMMIT and must
 * work, and a ROLLBACK that follows changes says plainly that it undid
 * nothing instead of pretending.
 */
#include <stdio.h>

#include "internal.h"

#define EXEC_TRANCOUNT_MAX 32 /* SQL Server's nesting limit */

/* INFO: the statements since BEGIN TRANSACTION were committed one by one. */
static mk_result warn_not_undone(exec_session *s, int line, const exec_sink *sink, sql_error *err)
{
    sql_error info;
    sql_error_set(&info, 50113, 10, 1, line,
                  "mirrorkey commits each statement on its own: ROLLBACK TRANSACTION did not "
                  "undo the %u statement(s) that changed the catalog or the token since BEGIN "
                  "TRANSACTION.",
                  s->tran_changes);
    if (mk_failed(sink->message(sink->arg, &info))) {
        sql_error_clear(err);
        return MK_ERR;
    }
    return MK_OK;
}

mk_result exec_tran(exec_session *s, sql_stmt *stmt, const exec_sink *sink, exec_outcome *outcome,
                    sql_error *err)
{
    (void)outcome;
    const sql_tran_stmt *t = &stmt->u.tran;
    switch (stmt->kind) {
    case SQL_STMT_BEGIN_TRAN:
        if (s->trancount >= EXEC_TRANCOUNT_MAX) {
            sql_error_set(err, 217, 16, 1, stmt->line,
                          "Maximum transaction nesting level exceeded (limit %d).",
                          EXEC_TRANCOUNT_MAX);
            return MK_ERR;
        }
        if (s->trancount == 0) {
            s->tran_changes = 0;
        }
        s->trancount++;
        return MK_OK;
    case SQL_STMT_COMMIT_TRAN:
        if (s->trancount == 0) {
            if (t->if_trancount) {
                return MK_OK;
            }
            sql_error_set(err, 3902, 16, 1, stmt->line,
                          "The COMMIT TRANSACTION request has no corresponding BEGIN "
                          "TRANSACTION.");
            return MK_ERR;
        }
        s->trancount--;
        return MK_OK;
    default:
        if (s->trancount == 0) {
            if (t->if_trancount) {
                return MK_OK;
            }
            sql_error_set(err, 3903, 16, 1, stmt->line,
                          "The ROLLBACK TRANSACTION request has no corresponding BEGIN "
                          "TRANSACTION.");
            return MK_ERR;
        }
        s->trancount = 0;
        if (s->tran_changes > 0) {
            GUARD(warn_not_undone(s, stmt->line, sink, err));
        }
        s->tran_changes = 0;
        return MK_OK;
    }
}
