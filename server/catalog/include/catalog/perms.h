/*
 * Server permissions (sys.server_permissions). One row per (class, major_id,
 * grantee, permission): GRANT and DENY overwrite each other's row for the
 * same grantee, REVOKE deletes it. Classes and permissions supported:
 * class 105 ENDPOINT with CONNECT ('CO'), class 100 SERVER with CONNECT SQL
 * ('COSQ', granted to each new login by sa, as SQL Server does).
 *
 * Effective CONNECT on an endpoint (cat_perm_can_connect): the login exists,
 * is enabled, and either is a member of sysadmin (SQL Server skips
 * permission checks for sysadmin) or holds a GRANT through itself, public
 * or a server role it belongs to, with no DENY through any of those: DENY
 * beats GRANT.
 */
#ifndef CAT_PERMS_H
#define CAT_PERMS_H

#include <stdbool.h>
#include <stdint.h>

#include "catalog/catalog.h"
#include "mk/result.h"

enum { CAT_CLASS_SERVER = 100, CAT_CLASS_ENDPOINT = 105 };

typedef enum cat_perm_type {
    CAT_PERM_CONNECT = 0, /* 'CO' on an ENDPOINT */
    CAT_PERM_CONNECT_SQL, /* 'COSQ' on the SERVER (major_id 0) */
} cat_perm_type;

typedef enum cat_perm_state {
    CAT_PERM_GRANT = 'G',
    CAT_PERM_DENY = 'D',
    CAT_PERM_GRANT_WITH_GRANT = 'W',
} cat_perm_state;

typedef struct cat_perm {
    cat_perm_type type;
    int32_t major_id; /* endpoint_id for CONNECT, 0 for CONNECT SQL */
    int32_t grantee_id;
    int32_t grantor_id;
} cat_perm;

/*
 * GRANT / DENY: set the grantee's row for (type, major_id) to state,
 * replacing an earlier GRANT or DENY. Errors (nothing changes):
 * MK_E_INVALID (bad type/state, major_id not 0 for CONNECT SQL),
 * MK_E_NOT_FOUND + CAT_R_ENDPOINT_MISSING, MK_E_NOT_FOUND +
 * CAT_R_PRINCIPAL_MISSING (grantee or grantor unknown).
 */
MK_RESULT cat_perm_set(cat_db *db, const cat_perm *p, cat_perm_state state);

/*
 * REVOKE: delete the grantee's row whatever its state. *removed tells whether
 * one existed (REVOKE of nothing is not an error in SQL Server). Errors as
 * for cat_perm_set (the endpoint and grantee must exist).
 */
MK_RESULT cat_perm_revoke(cat_db *db, const cat_perm *p, bool *removed);

/* The grantee's own row: *state 0 when there is none. */
MK_RESULT cat_perm_get(cat_db *db, cat_perm_type type, int32_t major_id, int32_t grantee_id,
                       char *state);

/*
 * Is login_id allowed CONNECT on endpoint_id (see the header comment)?
 * Unknown login or endpoint: *allowed = false, no error.
 */
MK_RESULT cat_perm_can_connect(cat_db *db, int32_t login_id, int32_t endpoint_id, bool *allowed);

#endif
