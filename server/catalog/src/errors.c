/*
 * Catalog failure reasons. The mk_result slot says what kind of failure
 * happened; the executor also needs to know which SQL Server error that is
 * (15023 versus 15063 are both "exists"). The reason and the object name are
 * kept in a thread-local slot stamped with the file:line of the mk error they
 * belong to, so a later unrelated failure never inherits a stale reason.
 */
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define CAT_ERR_MSG_MAX 512

static _Thread_local struct {
    cat_reason reason;
    mk_err code;
    const char *file;
    int line;
    char object[CAT_NAME_MAX * 2 + 1];
} tls_reason;

mk_result cat_fail(mk_err code, cat_reason reason, const char *object, const char *file, int line,
                   const char *fmt, ...)
{
    char msg[CAT_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    /* The analyzer's va_list model misfires when it inlines this function. */
    vsnprintf(msg, sizeof(msg), fmt, ap); // NOLINT(clang-analyzer-valist.Uninitialized)
    va_end(ap);
    (void)mk_error_set(code, file, line, "%s", msg);
    tls_reason.reason = reason;
    tls_reason.code = code;
    tls_reason.file = file;
    tls_reason.line = line;
    cat_copy_text(tls_reason.object, sizeof(tls_reason.object), object != NULL ? object : "");
    return MK_ERR;
}

static bool reason_is_current(void)
{
    if (tls_reason.reason == CAT_R_NONE || tls_reason.file == NULL) {
        return false;
    }
    return mk_error_code() == tls_reason.code && mk_error_line() == tls_reason.line &&
           strcmp(mk_error_file(), tls_reason.file) == 0;
}

cat_reason cat_error_reason(void) { return reason_is_current() ? tls_reason.reason : CAT_R_NONE; }

const char *cat_error_object(void) { return reason_is_current() ? tls_reason.object : ""; }

mk_result cat_sqlerr(cat_db *db, int rc, const char *what, const char *file, int line)
{
    const char *detail = db != NULL && db->sql != NULL ? sqlite3_errmsg(db->sql) : "";
    switch (rc & 0xff) {
    case SQLITE_NOMEM:
        return cat_fail(MK_E_NOMEM, CAT_R_NONE, NULL, file, line, "catalog: %s: out of memory",
                        what);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return cat_fail(MK_E_STATE, CAT_R_BUSY, NULL, file, line, "catalog: %s: database is busy",
                        what);
    case SQLITE_NOTADB:
        return cat_fail(MK_E_INVALID, CAT_R_NOT_A_CATALOG, NULL, file, line,
                        "catalog: %s: file is not a database", what);
    case SQLITE_CONSTRAINT:
        if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
            return cat_fail(MK_E_EXISTS, CAT_R_EXISTS, NULL, file, line, "catalog: %s: %s", what,
                            detail);
        }
        return cat_fail(MK_E_STATE, CAT_R_CONSTRAINT, NULL, file, line, "catalog: %s: %s", what,
                        detail);
    case SQLITE_CANTOPEN:
        return cat_fail(MK_E_IO, CAT_R_NONE, NULL, file, line, "catalog: %s: cannot open: %s", what,
                        detail);
    default:
        return cat_fail(MK_E_IO, CAT_R_NONE, NULL, file, line, "catalog: %s: %s (%d)", what, detail,
                        rc);
    }
}

const char *cat_reason_name(cat_reason r)
{
    switch (r) {
    case CAT_R_NONE: return "none";
    case CAT_R_SCHEMA_NEWER: return "schema newer than this build";
    case CAT_R_NOT_A_CATALOG: return "not a mirrorkey catalog";
    case CAT_R_BUSY: return "catalog busy";
    case CAT_R_CONSTRAINT: return "constraint violated";
    case CAT_R_EXISTS: return "already exists";
    case CAT_R_NOT_FOUND: return "not found";
    case CAT_R_LOGIN_MISSING: return "login not found";
    case CAT_R_USER_MISSING: return "user not found";
    case CAT_R_CERT_MISSING: return "certificate not found";
    case CAT_R_ENDPOINT_MISSING: return "endpoint not found";
    case CAT_R_PRINCIPAL_MISSING: return "principal not found";
    case CAT_R_LOGIN_MAPPED: return "login already mapped to a user";
    case CAT_R_ENDPOINT_TYPE_EXISTS: return "a mirroring endpoint already exists";
    case CAT_R_CERT_USED_BY_ENDPOINT: return "certificate used by an endpoint";
    case CAT_R_LOGIN_OWNS_ENDPOINT: return "login owns an endpoint";
    case CAT_R_LOGIN_HAS_USER: return "login is mapped by a user";
    case CAT_R_LOGIN_HAS_GRANTED: return "login has granted permissions";
    case CAT_R_USER_OWNS_CERT: return "user owns a certificate";
    case CAT_R_FIXED_PRINCIPAL: return "fixed principal";
    case CAT_R_NOT_A_USER: return "principal is not a user";
    case CAT_R_CERT_INVALID: return "invalid certificate";
    case CAT_R_BAD_PASSWORD: return "wrong password";
    case CAT_R_LOGIN_DISABLED: return "login disabled";
    case CAT_R_NO_PASSWORD: return "login has no password";
    case CAT_R_NOTHING_TO_CHANGE: return "nothing to change";
    case CAT_R_MASTER_KEY_EXISTS: return "master key exists";
    case CAT_R_MASTER_KEY_MISSING: return "master key missing";
    case CAT_R_UNKNOWN_COLUMN: return "unknown column";
    case CAT_R_TYPE_CLASH: return "operand type clash";
    case CAT_R_CONVERSION: return "conversion failed";
    }
    return "unknown reason";
}
