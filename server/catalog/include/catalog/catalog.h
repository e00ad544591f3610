/*
 * The security catalog of one mirrorkeyd instance: an SQLite file holding
 * server principals, database principals of master, certificates, the
 * mirroring endpoint, server permissions, the database master key's sealed
 * blobs and the mirrored databases. The catalog stores data and enforces its
 * invariants (unique names, one mirroring endpoint, nothing dropped while in
 * use); it knows nothing of the token, TDS or T-SQL. The executor decides who
 * may do what and maps the errors below to SQL Server numbers.
 *
 * Errors use the mk_result idiom. Where the mk_err code alone does not tell
 * the executor which SQL Server error to raise, the catalog also records a
 * cat_reason (and, where useful, the name of the object involved), readable
 * with cat_error_reason() / cat_error_object() right after the failure.
 *
 * Threads: one cat_db per connection (thread). The SQLite handle is opened in
 * serialized (FULLMUTEX) mode, but transactions and the thread-local error
 * slot are per caller, so a cat_db must not be shared by threads that run
 * statements concurrently. Several cat_db on one file are fine (WAL mode,
 * busy timeout).
 */
#ifndef CAT_CATALOG_H
#define CAT_CATALOG_H

#include <stdbool.h>
#include <stdint.h>

#include "mk/result.h"

typedef struct cat_db cat_db;

/* The schema version this build writes. Older files are migrated on open. */
#define CAT_SCHEMA_VERSION 2

/* Longest name (sysname) in bytes of UTF-8, without the NUL. */
#define CAT_NAME_MAX 128

enum cat_open_flags {
    CAT_OPEN_CREATE = 1u << 0, /* create the file (mode 0600) and schema if missing */
    CAT_OPEN_NEW = 1u << 1,    /* the file must not exist yet (implies CREATE) */
};

/*
 * Why a catalog call failed, beyond the mk_err class. Each value lists the
 * mk_err it comes with and the SQL Server error the executor is expected to
 * raise (see docs/catalog.md).
 */
typedef enum cat_reason {
    CAT_R_NONE = 0,
    CAT_R_SCHEMA_NEWER,          /* MK_E_STATE: file written by a newer mirrorkey */
    CAT_R_NOT_A_CATALOG,         /* MK_E_INVALID: file is not a mirrorkey catalog */
    CAT_R_BUSY,                  /* MK_E_STATE: database locked by another writer */
    CAT_R_CONSTRAINT,            /* MK_E_STATE: an SQLite constraint refused the change */
    CAT_R_EXISTS,                /* MK_E_EXISTS: name (or thumbprint) taken: 15025/15023/15232 */
    CAT_R_NOT_FOUND,             /* MK_E_NOT_FOUND: the named object does not exist: 15151 */
    CAT_R_LOGIN_MISSING,         /* MK_E_NOT_FOUND: no such login (or not a login): 15007 */
    CAT_R_USER_MISSING,          /* MK_E_NOT_FOUND: no such database user */
    CAT_R_CERT_MISSING,          /* MK_E_NOT_FOUND: no such certificate */
    CAT_R_ENDPOINT_MISSING,      /* MK_E_NOT_FOUND: no such endpoint */
    CAT_R_PRINCIPAL_MISSING,     /* MK_E_NOT_FOUND: no such server principal */
    CAT_R_LOGIN_MAPPED,          /* MK_E_EXISTS: login already has a user (object): 15063 */
    CAT_R_ENDPOINT_TYPE_EXISTS,  /* MK_E_EXISTS: a mirroring endpoint exists (object): 7862 */
    CAT_R_CERT_USED_BY_ENDPOINT, /* MK_E_STATE: DROP CERTIFICATE, endpoint (object) uses it */
    CAT_R_LOGIN_OWNS_ENDPOINT,   /* MK_E_STATE: DROP LOGIN, login owns endpoint (object): 15141 */
    CAT_R_LOGIN_HAS_USER,        /* MK_E_STATE: DROP LOGIN, user (object) is mapped to it */
    CAT_R_LOGIN_HAS_GRANTED,     /* MK_E_STATE: DROP LOGIN, it granted permissions: 15173 */
    CAT_R_USER_OWNS_CERT,        /* MK_E_STATE: DROP USER, user owns certificate (object): 15138 */
    CAT_R_FIXED_PRINCIPAL,       /* MK_E_PERM: sa, roles, dbo, guest, sys...: 15405 / 15150 */
    CAT_R_NOT_A_USER,            /* MK_E_INVALID: certificate owner is a role, not a user */
    CAT_R_CERT_INVALID,          /* MK_E_INVALID: DER is not a usable X.509 cert: 15297/15208 */
    CAT_R_BAD_PASSWORD,          /* MK_E_PERM: password does not match: 18456 */
    CAT_R_LOGIN_DISABLED,        /* MK_E_STATE: login disabled: 18470 (18456 to the client) */
    CAT_R_NO_PASSWORD,           /* MK_E_STATE: login has no password verifier: 18456 */
    CAT_R_NOTHING_TO_CHANGE,     /* MK_E_INVALID: ALTER with no fields: 7863 */
    CAT_R_MASTER_KEY_EXISTS,     /* MK_E_EXISTS: 15578 */
    CAT_R_MASTER_KEY_MISSING,    /* MK_E_NOT_FOUND: 15581 */
    CAT_R_UNKNOWN_COLUMN,        /* MK_E_NOT_FOUND: column (object) not in the view: 207 */
    CAT_R_TYPE_CLASH,            /* MK_E_INVALID: literal type cannot compare: 206 */
    CAT_R_CONVERSION,            /* MK_E_INVALID: value (object) does not convert: 245 */
} cat_reason;

/*
 * Open the catalog at path. flags: CAT_OPEN_CREATE creates the file (0600)
 * and schema when the file is missing; CAT_OPEN_NEW additionally requires
 * that it is missing (MK_E_EXISTS otherwise). The connection uses WAL mode,
 * foreign keys and a 5 s busy timeout. An older schema is migrated in one
 * transaction; a newer one is refused (MK_E_STATE, CAT_R_SCHEMA_NEWER).
 * Errors: MK_E_NOT_FOUND (missing, no CREATE), MK_E_INVALID (not a catalog),
 * MK_E_IO (SQLite could not open/read it), MK_E_NOMEM.
 * On success *out is owned by the caller (cat_close).
 */
MK_RESULT cat_open(const char *path, unsigned flags, cat_db **out);

/* Close; rolls back an open transaction. Accepts NULL. */
void cat_close(cat_db *db);

/* The schema version recorded in the open file. */
MK_RESULT cat_schema_version(cat_db *db, int *version);

/*
 * Per-statement transactions. cat_begin takes the write lock at once
 * (BEGIN IMMEDIATE) so a statement never fails half-way on lock upgrade.
 * Nested cat_begin is MK_E_STATE. cat_commit / cat_rollback without an open
 * transaction are MK_E_STATE. Every mutating catalog function is atomic on
 * its own (a savepoint), inside or outside such a transaction.
 */
MK_RESULT cat_begin(cat_db *db);
MK_RESULT cat_commit(cat_db *db);
MK_RESULT cat_rollback(cat_db *db);
bool cat_in_transaction(const cat_db *db);

/*
 * The reason and object name of the last catalog failure on this thread.
 * Valid only while the current mk_result error is the one the catalog
 * raised; otherwise CAT_R_NONE and "". The object is the name of the other
 * thing involved (the endpoint using a certificate, the unknown column...).
 */
cat_reason cat_error_reason(void);
const char *cat_error_object(void);
const char *cat_reason_name(cat_reason r);

#endif
