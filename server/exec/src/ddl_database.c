/*
 * Databases: CREATE / DROP DATABASE, and the checks every ALTER DATABASE ...
 * SET PARTNER / WITNESS makes before ddl_mirroring.c runs it (docs/tsql.md
 * "Databases and mirroring sessions").
 *
 * A mirrorkey database is a named mirroring session and holds no data; the
 * catalog stores its name and mirroring columns (catalog/databases.h). As in
 * SQL Server, none of these statements runs inside BEGIN TRANSACTION (226),
 * the system databases (master, tempdb, model, msdb) cannot be dropped
 * (3708) or mirrored (50114), and a mirrored database cannot be dropped
 * before SET PARTNER OFF (3743).
 */
#include "internal.h"

/* 226: SQL Server runs none of these inside BEGIN TRANSACTION. */
static mk_result outside_transaction(const exec_session *s, int line, const char *what,
                                     sql_error *err)
{
    if (s->trancount > 0) {
        sql_error_set(err, 226, 16, 1, line,
                      "%s statement not allowed within multi-statement transaction.", what);
        return MK_ERR;
    }
    return MK_OK;
}

mk_result exec_database_changed(exec_session *s, const char *name, int line, sql_error *err)
{
    if (mk_failed(exec_defer_notify(s, EXEC_CHANGE_DATABASE, name))) {
        exec_error_internal(err, line, "recording the database change");
        return MK_ERR;
    }
    return MK_OK;
}

mk_result exec_create_database(exec_session *s, sql_stmt *stmt, const exec_sink *sink,
                               exec_outcome *outcome, sql_error *err)
{
    (void)sink;
    (void)outcome;
    const char *name = stmt->u.name.name;
    GUARD(outside_transaction(s, stmt->line, "CREATE DATABASE", err));
    if (mk_ok(cat_database_create(s->db, name, NULL))) {
        return exec_database_changed(s, name, stmt->line, err);
    }
    if (cat_error_reason() == CAT_R_EXISTS) {
        sql_error_set(err, 1801, 16, 1, stmt->line,
                      "Database '%s' already exists. Choose a different database name.", name);
    } else if (mk_error_code() == MK_E_INVALID) {
        /* The parser refuses empty names (1038) and over 128 characters (103). */
        sql_error_set(err, EXEC_ERR_NOT_SUPPORTED, 16, 1, stmt->line,
                      "mirrorkey database names are 1 to 128 bytes of UTF-8 without control "
                      "characters.");
    } else {
        exec_error_from_catalog(err, stmt->line, "database", name);
    }
    return MK_ERR;
}

mk_result exec_drop_database(exec_session *s, sql_stmt *stmt, const exec_sink *sink,
                             exec_outcome *outcome, sql_error *err)
{
    (void)sink;
    (void)outcome;
    const sql_name_stmt *n = &stmt->u.name;
    cat_database d;
    GUARD(outside_transaction(s, stmt->line, "DROP DATABASE", err));
    if (mk_failed(cat_database_get(s->db, n->name, &d))) {
        if (cat_error_reason() != CAT_R_NOT_FOUND) {
            exec_error_from_catalog(err, stmt->line, "database", n->name);
            return MK_ERR;
        }
        if (n->if_exists) {
            return MK_OK;
        }
        sql_error_set(err, 3701, 11, 1, stmt->line,
                      "Cannot drop the database '%s', because it does not exist or you do not "
                      "have permission.",
                      n->name);
        return MK_ERR;
    }
    /* USE accepts master only, so the session's database is a system one and never dropped. */
    if (d.database_id < CAT_FIRST_DATABASE_ID) {
        sql_error_set(err, 3708, 16, 1, stmt->line,
                      "Cannot drop the database '%s' because it is a system database.", d.name);
        return MK_ERR;
    }
    if (d.is_mirrored) {
        sql_error_set(err, 3743, 16, 1, stmt->line,
                      "The database '%s' is enabled for database mirroring. Database mirroring "
                      "must be removed before you drop the database.",
                      d.name);
        return MK_ERR;
    }
    if (mk_failed(cat_database_drop(s->db, d.name))) {
        exec_error_from_catalog(err, stmt->line, "database", d.name);
        return MK_ERR;
    }
    return exec_database_changed(s, d.name, stmt->line, err);
}

/* The database ALTER DATABASE names: 5011 when missing, 50114 for a system database. */
static mk_result user_database(exec_session *s, const char *name, int line, cat_database *d,
                               sql_error *err)
{
    if (mk_failed(cat_database_get(s->db, name, d))) {
        if (cat_error_reason() != CAT_R_NOT_FOUND) {
            exec_error_from_catalog(err, line, "database", name);
            return MK_ERR;
        }
        sql_error_set(err, 5011, 14, 1, line,
                      "User does not have permission to alter database '%s', the database does "
                      "not exist, or the database is not in a state that allows access checks.",
                      name);
        return MK_ERR;
    }
    if (d->database_id < CAT_FIRST_DATABASE_ID) {
        sql_error_set(err, EXEC_ERR_SYSTEM_DB_MIRRORING, 16, 1, line,
                      "Database mirroring is not available for the system database '%s'.", d->name);
        return MK_ERR;
    }
    return MK_OK;
}

mk_result exec_alter_database(exec_session *s, sql_stmt *stmt, const exec_sink *sink,
                              exec_outcome *outcome, sql_error *err)
{
    (void)sink;
    (void)outcome;
    const sql_alter_db_stmt *a = &stmt->u.alter_db;
    cat_database d;
    GUARD(outside_transaction(s, stmt->line, "ALTER DATABASE", err));
    GUARD(user_database(s, a->name, stmt->line, &d, err));
    return exec_alter_mirroring(s, &d, a, stmt->line, err);
}
