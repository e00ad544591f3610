/*
 * AST helpers: statement kind and certificate algorithm names for logs and
 * rendering, and the wipe of the password fields a statement carries (see
 * sql/ast.h).
 */
#include "sql/ast.h"

#include <string.h>

#include <openssl/crypto.h>

const char *sql_stmt_kind_name(sql_stmt_kind kind)
{
    static const char *const names[SQL_STMT_KIND_COUNT] = {
        [SQL_STMT_USE] = "USE",
        [SQL_STMT_SELECT] = "SELECT",
        [SQL_STMT_SET] = "SET",
        [SQL_STMT_CREATE_MASTER_KEY] = "CREATE MASTER KEY",
        [SQL_STMT_OPEN_MASTER_KEY] = "OPEN MASTER KEY",
        [SQL_STMT_CLOSE_MASTER_KEY] = "CLOSE MASTER KEY",
        [SQL_STMT_ALTER_MASTER_KEY] = "ALTER MASTER KEY",
        [SQL_STMT_CREATE_CERTIFICATE] = "CREATE CERTIFICATE",
        [SQL_STMT_BACKUP_CERTIFICATE] = "BACKUP CERTIFICATE",
        [SQL_STMT_DROP_CERTIFICATE] = "DROP CERTIFICATE",
        [SQL_STMT_CREATE_ENDPOINT] = "CREATE ENDPOINT",
        [SQL_STMT_ALTER_ENDPOINT] = "ALTER ENDPOINT",
        [SQL_STMT_DROP_ENDPOINT] = "DROP ENDPOINT",
        [SQL_STMT_ALTER_AUTHORIZATION] = "ALTER AUTHORIZATION",
        [SQL_STMT_CREATE_LOGIN] = "CREATE LOGIN",
        [SQL_STMT_ALTER_LOGIN] = "ALTER LOGIN",
        [SQL_STMT_DROP_LOGIN] = "DROP LOGIN",
        [SQL_STMT_CREATE_USER] = "CREATE USER",
        [SQL_STMT_DROP_USER] = "DROP USER",
        [SQL_STMT_GRANT] = "GRANT",
        [SQL_STMT_REVOKE] = "REVOKE",
        [SQL_STMT_DENY] = "DENY",
        [SQL_STMT_CREATE_DATABASE] = "CREATE DATABASE",
        [SQL_STMT_DROP_DATABASE] = "DROP DATABASE",
        [SQL_STMT_ALTER_DATABASE] = "ALTER DATABASE",
        [SQL_STMT_BEGIN_TRAN] = "BEGIN TRANSACTION",
        [SQL_STMT_COMMIT_TRAN] = "COMMIT TRANSACTION",
        [SQL_STMT_ROLLBACK_TRAN] = "ROLLBACK TRANSACTION",
    };
    if ((unsigned)kind >= SQL_STMT_KIND_COUNT || names[kind] == NULL) {
        return "?";
    }
    return names[kind];
}

const char *sql_cert_algorithm_name(sql_cert_algorithm alg)
{
    static const char *const names[] = {
        [SQL_CERT_ALG_RSA_2048] = "RSA_2048", [SQL_CERT_ALG_RSA_3072] = "RSA_3072",
        [SQL_CERT_ALG_RSA_4096] = "RSA_4096", [SQL_CERT_ALG_EC_P256] = "EC_P256",
        [SQL_CERT_ALG_EC_P384] = "EC_P384",
    };
    if ((unsigned)alg >= sizeof(names) / sizeof(names[0]) || names[alg] == NULL) {
        return "";
    }
    return names[alg];
}

#define MAX_SECRET_FIELDS 3

/* Pointers to the statement's password fields; returns how many. */
static size_t secret_fields(sql_stmt *s, char **fields[MAX_SECRET_FIELDS])
{
    size_t n = 0;
    switch (s->kind) {
    case SQL_STMT_CREATE_MASTER_KEY:
    case SQL_STMT_OPEN_MASTER_KEY:
    case SQL_STMT_ALTER_MASTER_KEY: fields[n++] = &s->u.masterkey.password; break;
    case SQL_STMT_CREATE_CERTIFICATE:
        fields[n++] = &s->u.create_cert.encryption_password;
        fields[n++] = &s->u.create_cert.private_key.encryption_password;
        fields[n++] = &s->u.create_cert.private_key.decryption_password;
        break;
    case SQL_STMT_BACKUP_CERTIFICATE:
        fields[n++] = &s->u.backup_cert.private_key.encryption_password;
        fields[n++] = &s->u.backup_cert.private_key.decryption_password;
        break;
    case SQL_STMT_CREATE_LOGIN:
    case SQL_STMT_ALTER_LOGIN:
        fields[n++] = &s->u.login.opts.password;
        fields[n++] = &s->u.login.opts.old_password;
        break;
    default: break;
    }
    return n;
}

void sql_stmt_wipe_secrets(sql_stmt *stmt)
{
    char **fields[MAX_SECRET_FIELDS];
    if (stmt == NULL) {
        return;
    }
    size_t n = secret_fields(stmt, fields);
    for (size_t i = 0; i < n; i++) {
        char *pw = *fields[i];
        if (pw != NULL) {
            OPENSSL_cleanse(pw, strlen(pw));
        }
    }
}

bool sql_stmt_has_secrets(const sql_stmt *stmt)
{
    char **fields[MAX_SECRET_FIELDS];
    /* secret_fields only takes addresses; nothing is written through them here. */
    size_t n = secret_fields((sql_stmt *)stmt, fields);
    for (size_t i = 0; i < n; i++) {
        if (*fields[i] != NULL) {
            return true;
        }
    }
    return false;
}
