/*
 * Databases and their mirroring settings (sys.databases,
 * sys.database_mirroring). master = 1, tempdb = 2, model = 3, msdb = 4 exist
 * from creation and cannot be dropped; user databases (named mirroring
 * sessions: mirrorkey stores no data in them) get ids from 5 up. Mirroring
 * columns are NULL until cat_database_set_mirroring. The stored `state` and
 * `witness_state` are not what the view shows: sys.database_mirroring
 * computes both live from the kept links (catalog/connections.h,
 * cat_set_link_source).
 */
#ifndef CAT_DATABASES_H
#define CAT_DATABASES_H

#include <stdbool.h>
#include <stdint.h>

#include "catalog/catalog.h"
#include "mk/result.h"

#define CAT_MASTER_DB_ID 1
#define CAT_FIRST_DATABASE_ID 5

/* sys.database_mirroring codes. */
enum cat_mirroring_state {
    CAT_MIR_SUSPENDED = 0,
    CAT_MIR_DISCONNECTED = 1,
    CAT_MIR_SYNCHRONIZING = 2,
    CAT_MIR_PENDING_FAILOVER = 3,
    CAT_MIR_SYNCHRONIZED = 4,
    CAT_MIR_UNSYNCHRONIZED = 5,  /* not synchronized, failover not possible */
    CAT_MIR_SYNCHRONIZED_FO = 6, /* synchronized, failover possible */
};
enum cat_mirroring_role { CAT_MIR_PRINCIPAL = 1, CAT_MIR_MIRROR = 2 };
enum cat_witness_state {
    CAT_WIT_UNKNOWN = 0,
    CAT_WIT_CONNECTED = 1,
    CAT_WIT_DISCONNECTED = 2,
};

#define CAT_ADDRESS_MAX 128

typedef struct cat_mirroring {
    int state;                                  /* cat_mirroring_state */
    int role;                                   /* cat_mirroring_role */
    char partner_name[CAT_ADDRESS_MAX + 1];     /* 'TCP://host:port' */
    char partner_instance[CAT_ADDRESS_MAX + 1]; /* "" = NULL */
    char witness_name[CAT_ADDRESS_MAX + 1];     /* "" = no witness */
    /*
     * The certificate (certificate_id here) the instance at partner_name
     * presented when this session was set up; only it may join, leave or
     * change the session. 0 = none.
     */
    int32_t partner_cert_id;
    int witness_state; /* ignored without a witness */
} cat_mirroring;

typedef struct cat_database {
    int32_t database_id;
    char name[CAT_NAME_MAX + 1];
    int state; /* 0 ONLINE, 1 RESTORING, ..., 6 OFFLINE */
    int64_t create_date;
    bool is_mirrored;
    char mirroring_guid[37];
    cat_mirroring mirroring;
} cat_database;

/* Add a database (state ONLINE). MK_E_INVALID, MK_E_EXISTS + CAT_R_EXISTS. */
MK_RESULT cat_database_create(cat_db *db, const char *name, int32_t *database_id);

/* Drop. MK_E_NOT_FOUND + CAT_R_NOT_FOUND; system databases: MK_E_PERM. */
MK_RESULT cat_database_drop(cat_db *db, const char *name);

/* Look up. MK_E_NOT_FOUND + CAT_R_NOT_FOUND. */
MK_RESULT cat_database_get(cat_db *db, const char *name, cat_database *out);

/* Set the state code (0..10 as in sys.databases). MK_E_NOT_FOUND, MK_E_INVALID. */
MK_RESULT cat_database_set_state(cat_db *db, const char *name, int state);

/*
 * Start or update mirroring (a fresh mirroring_guid the first time).
 * Errors: MK_E_NOT_FOUND, MK_E_INVALID (codes out of range, empty partner),
 * MK_E_PERM for system databases (SQL Server refuses mirroring them).
 */
MK_RESULT cat_database_set_mirroring(cat_db *db, const char *name, const cat_mirroring *m);

/* Stop mirroring (SET PARTNER OFF): all mirroring columns back to NULL. */
MK_RESULT cat_database_clear_mirroring(cat_db *db, const char *name);

/* Called once per mirrored database, in database_id order; a failure stops the walk. */
typedef mk_result (*cat_database_fn)(void *arg, const cat_database *d);

/* Walk every database with mirroring set (outside or inside a transaction). */
MK_RESULT cat_database_foreach_mirrored(cat_db *db, cat_database_fn fn, void *arg);

#endif
