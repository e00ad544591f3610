/*
 * From catalog failures to SQL Server errors (number, class, text). The
 * numbers follow docs/catalog.md's table of cat_reason values.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

void exec_error_from_catalog(sql_error *err, int line, const char *what, const char *name)
{
    const char *obj = cat_error_object();
    const char *n = (obj != NULL && obj[0] != '\0') ? obj : (name != NULL ? name : "");
    switch (cat_error_reason()) {
    case CAT_R_EXISTS:
        if (strcmp(what, "login") == 0) {
            sql_error_set(err, 15025, 16, 1, line, "The server principal '%s' already exists.", n);
        } else if (strcmp(what, "user") == 0) {
            sql_error_set(err, 15023, 16, 1, line,
                          "User, group, or role '%s' already exists in the current database.", n);
        } else if (strcmp(what, "certificate") == 0) {
            sql_error_set(err, 15232, 16, 1, line,
                          "A certificate with name '%s' already exists or this certificate "
                          "already has been added to the database.",
                          n);
        } else {
            sql_error_set(err, 2714, 16, 6, line,
                          "There is already an object named '%s' in the database.", n);
        }
        return;
    case CAT_R_NOT_FOUND:
    case CAT_R_USER_MISSING:
    case CAT_R_CERT_MISSING:
    case CAT_R_ENDPOINT_MISSING:
    case CAT_R_PRINCIPAL_MISSING:
        sql_error_set(err, 15151, 16, 1, line,
                      "Cannot find the %s '%s', because it does not exist or you do not have "
                      "permission.",
                      what, n);
        return;
    case CAT_R_LOGIN_MISSING:
        sql_error_set(err, 15007, 16, 1, line,
                      "'%s' is not a valid login or you do not have permission.", n);
        return;
    case CAT_R_LOGIN_MAPPED:
        sql_error_set(err, 15063, 16, 1, line,
                      "The login already has an account under a different user name.");
        return;
    case CAT_R_ENDPOINT_TYPE_EXISTS:
        sql_error_set(err, 7862, 16, 1, line,
                      "An endpoint of the requested type already exists.  Only one endpoint of "
                      "this type is supported.  Use ALTER ENDPOINT or DROP the existing endpoint "
                      "and execute the CREATE ENDPOINT statement.");
        return;
    case CAT_R_CERT_USED_BY_ENDPOINT:
        sql_error_set(err, 15352, 16, 1, line,
                      "The certificate '%s' cannot be dropped because it is used by endpoint "
                      "'%s'.",
                      name != NULL ? name : "", obj != NULL ? obj : "");
        return;
    case CAT_R_LOGIN_OWNS_ENDPOINT:
        sql_error_set(err, 15141, 16, 1, line,
                      "The server principal owns one or more endpoint(s) and cannot be dropped.");
        return;
    case CAT_R_LOGIN_HAS_USER:
        /* SQL Server would orphan the user; mirrorkey refuses (docs/tsql.md). */
        sql_error_set(err, 50112, 16, 1, line,
                      "Cannot drop login '%s' because database user '%s' is mapped to it. Drop "
                      "the user first.",
                      name != NULL ? name : "", obj != NULL ? obj : "");
        return;
    case CAT_R_LOGIN_HAS_GRANTED:
        sql_error_set(err, 15173, 16, 1, line,
                      "Server principal '%s' has granted one or more permission(s). Revoke the "
                      "permission(s) before dropping the server principal.",
                      n);
        return;
    case CAT_R_USER_OWNS_CERT:
        sql_error_set(err, 15138, 16, 1, line,
                      "The database principal owns a certificate in the database, and cannot be "
                      "dropped.");
        return;
    case CAT_R_FIXED_PRINCIPAL:
        sql_error_set(err, 15405, 16, 1, line, "Cannot use the special principal '%s'.", n);
        return;
    case CAT_R_NOT_A_USER:
        sql_error_set(err, 15151, 16, 1, line,
                      "Cannot find the user '%s', because it does not exist or you do not have "
                      "permission.",
                      n);
        return;
    case CAT_R_CERT_INVALID:
        sql_error_set(err, 15297, 16, 1, line,
                      "The certificate, asymmetric key, or private key data is invalid.");
        return;
    case CAT_R_NOTHING_TO_CHANGE:
        sql_error_set(err, 7863, 16, 1, line,
                      "The endpoint was not changed. The ALTER ENDPOINT statement did not contain "
                      "any values to modify or add.");
        return;
    case CAT_R_MASTER_KEY_EXISTS:
        sql_error_set(err, 15578, 16, 1, line,
                      "There is already a master key in the database. "
                      "Please drop it before performing this statement.");
        return;
    case CAT_R_MASTER_KEY_MISSING:
        sql_error_set(err, 15581, 16, 3, line,
                      "Please create a master key in the database or open the master key in the "
                      "session before performing this operation.");
        return;
    case CAT_R_UNKNOWN_COLUMN:
        sql_error_set(err, 207, 16, 1, line, "Invalid column name '%s'.", n);
        return;
    case CAT_R_TYPE_CLASH:
        sql_error_set(err, 206, 16, 2, line,
                      "Operand type clash: the literal is incompatible "
                      "with the column's type.");
        return;
    case CAT_R_CONVERSION:
        sql_error_set(err, 245, 16, 1, line,
                      "Conversion failed when converting the value '%s' to the column's type.", n);
        return;
    default:
        sql_error_set(err, 50000, 16, 1, line, "mirrorkey catalog error: %s", mk_error_message());
        return;
    }
}
