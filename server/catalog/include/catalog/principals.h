/*
 * Server principals (logins and fixed server roles) and the database
 * principals of master (users), as SQL Server numbers them:
 *
 *   server:   sa = 1 (SQL login, sid 0x01), public = 2 (role), fixed server
 *             roles 3..10 (sysadmin = 3, securityadmin, serveradmin,
 *             setupadmin, processadmin, diskadmin, dbcreator, bulkadmin),
 *             logins created later from 256 up; sid = 16 random bytes.
 *   database: public = 0 (role), dbo = 1 (sid 0x01, maps sa), guest = 2,
 *             INFORMATION_SCHEMA = 3, sys = 4, users created later from 5 up.
 *
 * The fixed principals exist from catalog creation and cannot be dropped.
 * sa starts disabled and without a password; `mirrorkeyd init` gives it one
 * or creates another login and adds it to sysadmin. Names compare
 * case-insensitively (ASCII), like SQL Server's default collation.
 */
#ifndef CAT_PRINCIPALS_H
#define CAT_PRINCIPALS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "catalog/catalog.h"
#include "mk/result.h"

#define CAT_SA_ID 1
#define CAT_PUBLIC_SERVER_ROLE_ID 2
#define CAT_SYSADMIN_ID 3
#define CAT_FIRST_LOGIN_ID 256

#define CAT_DB_PUBLIC_ID 0
#define CAT_DBO_ID 1
#define CAT_GUEST_ID 2
#define CAT_FIRST_USER_ID 5

#define CAT_SID_MAX 85

typedef struct cat_login {
    int32_t principal_id;
    char name[CAT_NAME_MAX + 1];
    char type; /* 'S' SQL login, 'R' server role */
    uint8_t sid[CAT_SID_MAX];
    size_t sid_len;
    bool is_disabled;
    bool is_fixed_role;
    bool has_password;
    int64_t create_date; /* ms since epoch */
    int64_t modify_date;
    char default_database[CAT_NAME_MAX + 1]; /* "" for roles */
} cat_login;

/*
 * CREATE LOGIN name WITH PASSWORD: a SQL login with a fresh sid, the next id
 * from 256, default database master (default_db NULL) and language
 * us_english, enabled, with a verifier for pw[0..len) and CONNECT SQL granted
 * by sa (as SQL Server does). The policy check is the caller's
 * (cat_password_policy_check). Errors: MK_E_INVALID (empty or too long name),
 * MK_E_EXISTS + CAT_R_EXISTS (any server principal has the name),
 * MK_E_NOT_FOUND + CAT_R_NOT_FOUND (default database unknown), verifier errors.
 */
MK_RESULT cat_login_create(cat_db *db, const char *name, const uint8_t *pw, size_t len,
                           const char *default_db, int32_t *principal_id);

/* ALTER LOGIN name WITH PASSWORD: replace the verifier. MK_E_NOT_FOUND, MK_E_INVALID (a role). */
MK_RESULT cat_login_set_password(cat_db *db, const char *name, const uint8_t *pw, size_t len);

/* ALTER LOGIN name ENABLE | DISABLE. MK_E_NOT_FOUND; roles: MK_E_INVALID. */
MK_RESULT cat_login_set_disabled(cat_db *db, const char *name, bool disabled);

/*
 * DROP LOGIN. Refused (nothing changes) with:
 *   MK_E_NOT_FOUND + CAT_R_NOT_FOUND     no such login (roles are not logins)
 *   MK_E_PERM + CAT_R_FIXED_PRINCIPAL    sa
 *   MK_E_STATE + CAT_R_LOGIN_OWNS_ENDPOINT  it owns an endpoint (object = endpoint)
 *   MK_E_STATE + CAT_R_LOGIN_HAS_USER    a user in master maps to it (object = user)
 *   MK_E_STATE + CAT_R_LOGIN_HAS_GRANTED it is the grantor of a permission
 * On success its verifier, role memberships and the permissions granted or
 * denied to it go too.
 */
MK_RESULT cat_login_drop(cat_db *db, const char *name);

/* Look up a server principal (login or role). MK_E_NOT_FOUND + CAT_R_NOT_FOUND. */
MK_RESULT cat_login_get(cat_db *db, const char *name, cat_login *out);
MK_RESULT cat_login_get_by_id(cat_db *db, int32_t principal_id, cat_login *out);

/*
 * Authenticate a TDS login. On success *principal_id is the login. Failures
 * (all 18456 to the client, distinct in the server log):
 *   MK_E_NOT_FOUND + CAT_R_LOGIN_MISSING, MK_E_PERM + CAT_R_BAD_PASSWORD,
 *   MK_E_STATE + CAT_R_NO_PASSWORD, MK_E_STATE + CAT_R_LOGIN_DISABLED.
 * The password is checked before the disabled flag is revealed, and an
 * unknown name still costs one key derivation (no timing oracle for names).
 */
MK_RESULT cat_login_authenticate(cat_db *db, const char *name, const uint8_t *pw, size_t len,
                                 int32_t *principal_id);

/*
 * ALTER SERVER ROLE role ADD | DROP MEMBER login. The role must be a fixed
 * server role (not public), the member a SQL login. Adding twice or dropping
 * a non-member is a no-op. Errors: MK_E_NOT_FOUND + CAT_R_NOT_FOUND (role),
 * MK_E_NOT_FOUND + CAT_R_LOGIN_MISSING (member), MK_E_PERM +
 * CAT_R_FIXED_PRINCIPAL (removing sa from sysadmin).
 */
MK_RESULT cat_server_role_add_member(cat_db *db, const char *role, const char *login);
MK_RESULT cat_server_role_drop_member(cat_db *db, const char *role, const char *login);

/* Whether the principal is a member of sysadmin (false for unknown ids). */
MK_RESULT cat_login_is_sysadmin(cat_db *db, int32_t principal_id, bool *is_sysadmin);

typedef struct cat_user {
    int32_t principal_id;
    char name[CAT_NAME_MAX + 1];
    char type; /* 'S' SQL user, 'R' database role */
    uint8_t sid[CAT_SID_MAX];
    size_t sid_len;
    bool is_fixed; /* created with the catalog */
    int64_t create_date;
    int64_t modify_date;
} cat_user;

/*
 * CREATE USER name FOR LOGIN login in master, with the login's sid, the next
 * id from 5, default schema dbo. Errors, checked in this order:
 *   MK_E_INVALID                           bad name
 *   MK_E_EXISTS + CAT_R_EXISTS             a database principal has the name: 15023
 *   MK_E_NOT_FOUND + CAT_R_LOGIN_MISSING   no such SQL login (roles do not count): 15007
 *   MK_E_EXISTS + CAT_R_LOGIN_MAPPED       the login already has a user (object): 15063
 */
MK_RESULT cat_user_create_for_login(cat_db *db, const char *name, const char *login,
                                    int32_t *principal_id);

/*
 * DROP USER. MK_E_NOT_FOUND + CAT_R_NOT_FOUND; MK_E_PERM + CAT_R_FIXED_PRINCIPAL
 * (dbo, guest, sys, INFORMATION_SCHEMA, public); MK_E_STATE +
 * CAT_R_USER_OWNS_CERT (object = a certificate it owns).
 */
MK_RESULT cat_user_drop(cat_db *db, const char *name);

/* Look up a database principal. MK_E_NOT_FOUND + CAT_R_NOT_FOUND. */
MK_RESULT cat_user_get(cat_db *db, const char *name, cat_user *out);
MK_RESULT cat_user_get_by_id(cat_db *db, int32_t principal_id, cat_user *out);

/*
 * The user in master mapped to a login (same sid): sa maps to dbo.
 * MK_E_NOT_FOUND + CAT_R_USER_MISSING when the login has no user,
 * MK_E_NOT_FOUND + CAT_R_LOGIN_MISSING for an unknown login id.
 */
MK_RESULT cat_user_for_login(cat_db *db, int32_t login_id, int32_t *user_id);

/* The login a user maps to. MK_E_NOT_FOUND + CAT_R_LOGIN_MISSING when none. */
MK_RESULT cat_login_for_user(cat_db *db, int32_t user_id, int32_t *login_id);

#endif
