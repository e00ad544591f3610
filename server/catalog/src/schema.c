/*
 * The catalog schema, its version and its migrations.
 *
 * meta(key, value) holds 'schema_version'; PRAGMA application_id marks the
 * file as ours. Migrations run in order, each step in the same transaction
 * as the version bump, from the file's version up to CAT_SCHEMA_VERSION;
 * step 1 creates everything (an empty file is version 0). A file from a
 * newer build is refused rather than half-understood.
 *
 * Dates are INTEGER milliseconds since the epoch (UTC). Names use COLLATE
 * NOCASE, SQL Server's default case-insensitivity (ASCII only here).
 */
#include "schema.h"

#include <stdio.h>

static const char *const schema_v1[] = {
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value ANY) STRICT",

    "CREATE TABLE server_principals("
    " principal_id INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL UNIQUE COLLATE NOCASE,"
    " sid BLOB UNIQUE,"
    " type TEXT NOT NULL CHECK (type IN ('S', 'R')),"
    " is_disabled INTEGER NOT NULL DEFAULT 0 CHECK (is_disabled IN (0, 1)),"
    " create_date INTEGER NOT NULL,"
    " modify_date INTEGER NOT NULL,"
    " default_database_name TEXT,"
    " default_language_name TEXT,"
    " owning_principal_id INTEGER,"
    " is_fixed_role INTEGER NOT NULL DEFAULT 0 CHECK (is_fixed_role IN (0, 1))) STRICT",

    "CREATE TABLE login_verifiers("
    " principal_id INTEGER PRIMARY KEY"
    "  REFERENCES server_principals(principal_id) ON DELETE CASCADE,"
    " iterations INTEGER NOT NULL CHECK (iterations > 0),"
    " salt BLOB NOT NULL,"
    " hash BLOB NOT NULL) STRICT",

    "CREATE TABLE server_role_members("
    " role_id INTEGER NOT NULL REFERENCES server_principals(principal_id) ON DELETE CASCADE,"
    " member_id INTEGER NOT NULL REFERENCES server_principals(principal_id) ON DELETE CASCADE,"
    " PRIMARY KEY (role_id, member_id)) STRICT, WITHOUT ROWID",

    "CREATE TABLE database_principals("
    " principal_id INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL UNIQUE COLLATE NOCASE,"
    " type TEXT NOT NULL CHECK (type IN ('S', 'R')),"
    " default_schema_name TEXT,"
    " create_date INTEGER NOT NULL,"
    " modify_date INTEGER NOT NULL,"
    " owning_principal_id INTEGER,"
    " sid BLOB,"
    " is_fixed_role INTEGER NOT NULL DEFAULT 0,"
    " authentication_type INTEGER NOT NULL) STRICT",
    /* One user per login: the sid maps a user to its login. */
    "CREATE UNIQUE INDEX database_principals_sid ON database_principals(sid)"
    " WHERE sid IS NOT NULL",

    "CREATE TABLE certificates("
    " certificate_id INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL UNIQUE COLLATE NOCASE,"
    " principal_id INTEGER NOT NULL REFERENCES database_principals(principal_id),"
    " pvt_key_encryption_type TEXT NOT NULL CHECK (pvt_key_encryption_type IN ('NA', 'HS')),"
    " is_active_for_begin_dialog INTEGER NOT NULL,"
    " issuer_name TEXT NOT NULL,"
    " cert_serial_number TEXT NOT NULL,"
    " sid BLOB NOT NULL,"
    " string_sid TEXT NOT NULL,"
    " subject TEXT NOT NULL,"
    " start_date INTEGER NOT NULL,"
    " expiry_date INTEGER NOT NULL,"
    " thumbprint BLOB NOT NULL UNIQUE,"
    " der BLOB NOT NULL,"
    " key_length INTEGER NOT NULL,"
    " token_id BLOB,"
    " token_label TEXT,"
    " pvt_key_last_backup_date INTEGER,"
    " CHECK ((pvt_key_encryption_type = 'HS') = (token_id IS NOT NULL))) STRICT",

    "CREATE TABLE endpoints("
    " endpoint_id INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL UNIQUE COLLATE NOCASE,"
    " principal_id INTEGER NOT NULL REFERENCES server_principals(principal_id),"
    " protocol INTEGER NOT NULL CHECK (protocol = 2),"
    " type INTEGER NOT NULL CHECK (type = 4),"
    " state INTEGER NOT NULL CHECK (state BETWEEN 0 AND 2),"
    " port INTEGER NOT NULL CHECK (port BETWEEN 1 AND 65535),"
    " ip_address TEXT,"
    " role INTEGER NOT NULL CHECK (role BETWEEN 0 AND 3),"
    " is_encryption_enabled INTEGER NOT NULL CHECK (is_encryption_enabled IN (0, 1)),"
    " encryption_algorithm INTEGER NOT NULL CHECK (encryption_algorithm BETWEEN 0 AND 8),"
    " connection_auth INTEGER NOT NULL CHECK (connection_auth BETWEEN 1 AND 10),"
    " certificate_id INTEGER REFERENCES certificates(certificate_id)) STRICT",
    /* One endpoint per payload type; DATABASE_MIRRORING is the only one. */
    "CREATE UNIQUE INDEX endpoints_one_per_type ON endpoints(type)",

    "CREATE TABLE server_permissions("
    " class INTEGER NOT NULL CHECK (class IN (100, 105)),"
    " major_id INTEGER NOT NULL,"
    " minor_id INTEGER NOT NULL DEFAULT 0,"
    " grantee_principal_id INTEGER NOT NULL"
    "  REFERENCES server_principals(principal_id) ON DELETE CASCADE,"
    " grantor_principal_id INTEGER NOT NULL REFERENCES server_principals(principal_id),"
    " type TEXT NOT NULL CHECK (type IN ('CO', 'COSQ')),"
    " state TEXT NOT NULL CHECK (state IN ('G', 'D', 'W')),"
    " PRIMARY KEY (class, major_id, minor_id, grantee_principal_id, type)) STRICT, WITHOUT ROWID",
    "CREATE TRIGGER endpoints_drop_permissions AFTER DELETE ON endpoints BEGIN"
    " DELETE FROM server_permissions WHERE class = 105 AND major_id = OLD.endpoint_id; END",

    "CREATE TABLE master_key("
    " id INTEGER PRIMARY KEY CHECK (id = 1),"
    " key_guid TEXT NOT NULL,"
    " create_date INTEGER NOT NULL,"
    " modify_date INTEGER NOT NULL,"
    " protector_blob BLOB NOT NULL,"
    " password_blob BLOB) STRICT",

    "CREATE TABLE databases("
    " database_id INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL UNIQUE COLLATE NOCASE,"
    " owner_sid BLOB,"
    " create_date INTEGER NOT NULL,"
    " state INTEGER NOT NULL DEFAULT 0,"
    " mirroring_guid TEXT,"
    " mirroring_state INTEGER,"
    " mirroring_role INTEGER,"
    " mirroring_partner_name TEXT,"
    " mirroring_partner_instance TEXT,"
    " mirroring_witness_name TEXT,"
    " mirroring_witness_state INTEGER) STRICT",
};

/* Fixed rows; ?1 is the creation time. Ids and sids as SQL Server has them. */
static const char *const fixed_rows_v1[] = {
    "INSERT INTO server_principals VALUES"
    " (1, 'sa', x'01', 'S', 1, ?1, ?1, 'master', 'us_english', NULL, 0),"
    " (2, 'public', x'02', 'R', 0, ?1, ?1, NULL, NULL, NULL, 0),"
    " (3, 'sysadmin', x'03', 'R', 0, ?1, ?1, NULL, NULL, NULL, 1),"
    " (4, 'securityadmin', x'04', 'R', 0, ?1, ?1, NULL, NULL, NULL, 1),"
    " (5, 'serveradmin', x'05', 'R', 0, ?1, ?1, NULL, NULL, NULL, 1),"
    " (6, 'setupadmin', x'06', 'R', 0, ?1, ?1, NULL, NULL, NULL, 1),"
    " (7, 'processadmin', x'07', 'R', 0, ?1, ?1, NULL, NULL, NULL, 1),"
    " (8, 'diskadmin', x'08', 'R', 0, ?1, ?1, NULL, NULL, NULL, 1),"
    " (9, 'dbcreator', x'09', 'R', 0, ?1, ?1, NULL, NULL, NULL, 1),"
    " (10, 'bulkadmin', x'0a', 'R', 0, ?1, ?1, NULL, NULL, NULL, 1)",
    "INSERT INTO server_role_members VALUES (3, 1)",
    "INSERT INTO server_permissions VALUES (100, 0, 0, 1, 1, 'COSQ', 'G')",
    "INSERT INTO database_principals VALUES"
    " (0, 'public', 'R', NULL, ?1, ?1, 1, NULL, 0, 0),"
    " (1, 'dbo', 'S', 'dbo', ?1, ?1, NULL, x'01', 0, 1),"
    " (2, 'guest', 'S', 'guest', ?1, ?1, NULL, x'00', 0, 0),"
    " (3, 'INFORMATION_SCHEMA', 'S', NULL, ?1, ?1, NULL, NULL, 0, 0),"
    " (4, 'sys', 'S', NULL, ?1, ?1, NULL, NULL, 0, 0)",
    "INSERT INTO databases (database_id, name, owner_sid, create_date, state) VALUES"
    " (1, 'master', x'01', ?1, 0), (2, 'tempdb', x'01', ?1, 0),"
    " (3, 'model', x'01', ?1, 0), (4, 'msdb', x'01', ?1, 0)",
};

static MK_RESULT run_with_time(cat_db *db, const char *sql, int64_t now)
{
    mk_result res = MK_ERR;
    sqlite3_stmt *st = NULL;
    GUARD_OUT(cat_prepare(db, sql, &st));
    if (sqlite3_bind_parameter_count(st) > 0) {
        GUARD_OUT(cat_bind_int(db, st, 1, now));
    }
    GUARD_OUT(cat_step_done(db, st));
    res = MK_OK;
out:
    sqlite3_finalize(st);
    return res;
}

static MK_RESULT migrate_to_v1(cat_db *db)
{
    int64_t now = cat_now_ms();
    for (size_t i = 0; i < sizeof(schema_v1) / sizeof(schema_v1[0]); i++) {
        GUARD(cat_exec(db, schema_v1[i]));
    }
    for (size_t i = 0; i < sizeof(fixed_rows_v1) / sizeof(fixed_rows_v1[0]); i++) {
        GUARD(run_with_time(db, fixed_rows_v1[i], now));
    }
    char pragma[64];
    snprintf(pragma, sizeof(pragma), "PRAGMA application_id = %d", CAT_APPLICATION_ID);
    return cat_exec(db, pragma);
}

/*
 * v2: the partner's endpoint certificate (its certificate_id in this
 * catalog) pins a mirroring session to the instance that answered at the
 * partner address (docs/endpoint.md "Sessions").
 */
static MK_RESULT migrate_to_v2(cat_db *db)
{
    return cat_exec(db, "ALTER TABLE databases ADD COLUMN mirroring_partner_cert INTEGER");
}

typedef struct migration {
    int to_version;
    MK_RESULT (*run)(cat_db *db);
} migration;

/* Append a step here (and bump CAT_SCHEMA_VERSION) for every schema change. */
static const migration migrations[] = {
    {1, migrate_to_v1},
    {2, migrate_to_v2},
};

static MK_RESULT set_version(cat_db *db, int version)
{
    return run_with_time(db, "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?1)", version);
}

/* Run every step above from; all or nothing. */
static MK_RESULT migrate(cat_db *db, int from)
{
    mk_result r = MK_OK;
    GUARD(cat_exec(db, "BEGIN IMMEDIATE"));
    for (size_t i = 0; i < sizeof(migrations) / sizeof(migrations[0]) && mk_ok(r); i++) {
        if (migrations[i].to_version <= from) {
            continue;
        }
        r = migrations[i].run(db);
        if (mk_ok(r)) {
            r = set_version(db, migrations[i].to_version);
        }
    }
    if (mk_failed(r)) {
        mk_error_context("migrating the catalog from version %d", from);
        (void)sqlite3_exec(db->sql, "ROLLBACK", NULL, NULL, NULL);
        return MK_ERR;
    }
    return cat_exec(db, "COMMIT");
}

/* Read the recorded version; *version -1 when there is no meta row at all. */
static MK_RESULT read_version(cat_db *db, int *version)
{
    bool found = false;
    int64_t v = 0;
    GUARD(cat_lookup_int_by_text(db, "SELECT value FROM meta WHERE key = ?1", "schema_version",
                                 &found, &v));
    *version = found && v >= 0 && v <= INT32_MAX ? (int)v : -1;
    return MK_OK;
}

MK_RESULT cat_schema_prepare(cat_db *db, bool allow_create)
{
    bool found = false;
    int64_t nobjects = 0;
    int64_t app_id = 0;
    GUARD(cat_lookup_int(db, "SELECT count(*) FROM sqlite_schema", &found, &nobjects));
    if (nobjects == 0) {
        if (!allow_create) {
            CAT_BAIL(MK_E_INVALID, CAT_R_NOT_A_CATALOG, NULL,
                     "catalog file is empty (open with create to initialise it)");
        }
        return migrate(db, 0);
    }
    GUARD(cat_lookup_int(db, "SELECT application_id FROM pragma_application_id", &found, &app_id));
    if (!found || app_id != CAT_APPLICATION_ID) {
        CAT_BAIL(MK_E_INVALID, CAT_R_NOT_A_CATALOG, NULL, "file is not a mirrorkey catalog");
    }
    int version = 0;
    GUARD(read_version(db, &version));
    if (version < 1) {
        CAT_BAIL(MK_E_INVALID, CAT_R_NOT_A_CATALOG, NULL, "catalog has no schema version");
    }
    if (version > CAT_SCHEMA_VERSION) {
        CAT_BAIL(MK_E_STATE, CAT_R_SCHEMA_NEWER, NULL,
                 "catalog schema version %d is newer than this build's %d; upgrade mirrorkey",
                 version, CAT_SCHEMA_VERSION);
    }
    if (version < CAT_SCHEMA_VERSION) {
        return migrate(db, version);
    }
    return MK_OK;
}

MK_RESULT cat_schema_version(cat_db *db, int *version) { return read_version(db, version); }
