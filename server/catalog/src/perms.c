/*
 * Server permissions: GRANT / DENY / REVOKE rows and the effective CONNECT
 * check the mirroring endpoint runs for each peer. See catalog/perms.h for
 * the rules (DENY beats GRANT across the login, public and its roles;
 * sysadmin members are not checked).
 */
#include "catalog/perms.h"

#include "catalog/principals.h"
#include "internal.h"

typedef struct perm_kind {
    int class_id;
    const char *code;
} perm_kind;

static MK_RESULT perm_kind_of(const cat_perm *p, perm_kind *k)
{
    ENSURE_MSG(p != NULL, MK_E_INVALID, "permission missing");
    switch (p->type) {
    case CAT_PERM_CONNECT: *k = (perm_kind){CAT_CLASS_ENDPOINT, "CO"}; return MK_OK;
    case CAT_PERM_CONNECT_SQL:
        ENSURE_MSG(p->major_id == 0, MK_E_INVALID, "CONNECT SQL is on the server (major_id 0)");
        *k = (perm_kind){CAT_CLASS_SERVER, "COSQ"};
        return MK_OK;
    }
    BAIL_MSG(MK_E_INVALID, "unknown permission type %d", (int)p->type);
}

static MK_RESULT require_principal(cat_db *db, int32_t id, const char *what)
{
    bool found = false;
    int64_t ignored = 0;
    GUARD(cat_lookup_int_by_int(db, "SELECT 1 FROM server_principals WHERE principal_id = ?1", id,
                                &found, &ignored));
    if (!found) {
        CAT_BAIL(MK_E_NOT_FOUND, CAT_R_PRINCIPAL_MISSING, NULL, "%s %d is not a server principal",
                 what, (int)id);
    }
    return MK_OK;
}

/* The securable, grantee (and grantor when checking a GRANT/DENY) must exist. */
static MK_RESULT check_refs(cat_db *db, const cat_perm *p, const perm_kind *k, bool grantor)
{
    if (k->class_id == CAT_CLASS_ENDPOINT) {
        bool found = false;
        int64_t ignored = 0;
        GUARD(cat_lookup_int_by_int(db, "SELECT 1 FROM endpoints WHERE endpoint_id = ?1",
                                    p->major_id, &found, &ignored));
        if (!found) {
            CAT_BAIL(MK_E_NOT_FOUND, CAT_R_ENDPOINT_MISSING, NULL, "endpoint %d not found",
                     (int)p->major_id);
        }
    }
    GUARD(require_principal(db, p->grantee_id, "grantee"));
    if (grantor) {
        GUARD(require_principal(db, p->grantor_id, "grantor"));
    }
    return MK_OK;
}

static MK_RESULT perm_set_locked(cat_db *db, const cat_perm *p, const perm_kind *k, char state)
{
    GUARD(check_refs(db, p, k, true));
    mk_result res = MK_ERR;
    sqlite3_stmt *st = NULL;
    GUARD_OUT(cat_prepare(db,
                          "INSERT OR REPLACE INTO server_permissions VALUES"
                          " (?1, ?2, 0, ?3, ?4, ?5, ?6)",
                          &st));
    GUARD_OUT(cat_bind_int(db, st, 1, k->class_id));
    GUARD_OUT(cat_bind_int(db, st, 2, p->major_id));
    GUARD_OUT(cat_bind_int(db, st, 3, p->grantee_id));
    GUARD_OUT(cat_bind_int(db, st, 4, p->grantor_id));
    GUARD_OUT(cat_bind_text(db, st, 5, k->code));
    char s[2] = {state, '\0'};
    GUARD_OUT(cat_bind_text(db, st, 6, s));
    GUARD_OUT(cat_step_done(db, st));
    res = MK_OK;
out:
    sqlite3_finalize(st);
    return res;
}

MK_RESULT cat_perm_set(cat_db *db, const cat_perm *p, cat_perm_state state)
{
    perm_kind k;
    GUARD(perm_kind_of(p, &k));
    ENSURE_MSG(state == CAT_PERM_GRANT || state == CAT_PERM_DENY ||
                   state == CAT_PERM_GRANT_WITH_GRANT,
               MK_E_INVALID, "unknown permission state %d", (int)state);
    GUARD(cat_atomic_begin(db));
    return cat_atomic_end(db, perm_set_locked(db, p, &k, (char)state));
}

static MK_RESULT perm_revoke_locked(cat_db *db, const cat_perm *p, const perm_kind *k,
                                    bool *removed)
{
    GUARD(check_refs(db, p, k, false));
    mk_result res = MK_ERR;
    sqlite3_stmt *st = NULL;
    GUARD_OUT(cat_prepare(db,
                          "DELETE FROM server_permissions WHERE class = ?1 AND major_id = ?2"
                          " AND minor_id = 0 AND grantee_principal_id = ?3 AND type = ?4",
                          &st));
    GUARD_OUT(cat_bind_int(db, st, 1, k->class_id));
    GUARD_OUT(cat_bind_int(db, st, 2, p->major_id));
    GUARD_OUT(cat_bind_int(db, st, 3, p->grantee_id));
    GUARD_OUT(cat_bind_text(db, st, 4, k->code));
    GUARD_OUT(cat_step_done(db, st));
    if (removed != NULL) {
        *removed = cat_changes(db) > 0;
    }
    res = MK_OK;
out:
    sqlite3_finalize(st);
    return res;
}

MK_RESULT cat_perm_revoke(cat_db *db, const cat_perm *p, bool *removed)
{
    perm_kind k;
    GUARD(perm_kind_of(p, &k));
    GUARD(cat_atomic_begin(db));
    return cat_atomic_end(db, perm_revoke_locked(db, p, &k, removed));
}

MK_RESULT cat_perm_get(cat_db *db, cat_perm_type type, int32_t major_id, int32_t grantee_id,
                       char *state)
{
    cat_perm p = {.type = type, .major_id = major_id, .grantee_id = grantee_id};
    perm_kind k;
    GUARD(perm_kind_of(&p, &k));
    mk_result res = MK_ERR;
    sqlite3_stmt *st = NULL;
    bool row = false;
    GUARD_OUT(cat_prepare(db,
                          "SELECT state FROM server_permissions WHERE class = ?1 AND major_id = ?2"
                          " AND minor_id = 0 AND grantee_principal_id = ?3 AND type = ?4",
                          &st));
    GUARD_OUT(cat_bind_int(db, st, 1, k.class_id));
    GUARD_OUT(cat_bind_int(db, st, 2, major_id));
    GUARD_OUT(cat_bind_int(db, st, 3, grantee_id));
    GUARD_OUT(cat_bind_text(db, st, 4, k.code));
    GUARD_OUT(cat_step(db, st, &row));
    const unsigned char *s = row ? sqlite3_column_text(st, 0) : NULL;
    *state = '\0';
    if (s != NULL) {
        *state = (char)s[0];
    }
    res = MK_OK;
out:
    sqlite3_finalize(st);
    return res;
}

/*
 * One query: over the login itself, public and every role it belongs to,
 * count GRANT-ish and DENY rows for CONNECT on the endpoint. Only an enabled
 * SQL login qualifies.
 */
static const char sql_can_connect[] =
    "WITH who(id) AS (SELECT ?1 UNION SELECT 2"
    "  UNION SELECT role_id FROM server_role_members WHERE member_id = ?1)"
    " SELECT"
    "  (SELECT count(*) FROM server_principals"
    "   WHERE principal_id = ?1 AND type = 'S' AND is_disabled = 0),"
    "  (SELECT count(*) FROM server_role_members WHERE role_id = 3 AND member_id = ?1),"
    "  (SELECT count(*) FROM endpoints WHERE endpoint_id = ?2),"
    "  (SELECT count(*) FROM server_permissions WHERE class = 105 AND major_id = ?2"
    "   AND type = 'CO' AND state IN ('G', 'W') AND grantee_principal_id IN (SELECT id FROM who)),"
    "  (SELECT count(*) FROM server_permissions WHERE class = 105 AND major_id = ?2"
    "   AND type = 'CO' AND state = 'D' AND grantee_principal_id IN (SELECT id FROM who))";

MK_RESULT cat_perm_can_connect(cat_db *db, int32_t login_id, int32_t endpoint_id, bool *allowed)
{
    mk_result res = MK_ERR;
    sqlite3_stmt *st = NULL;
    bool row = false;
    *allowed = false;
    GUARD_OUT(cat_prepare(db, sql_can_connect, &st));
    GUARD_OUT(cat_bind_int(db, st, 1, login_id));
    GUARD_OUT(cat_bind_int(db, st, 2, endpoint_id));
    GUARD_OUT(cat_step(db, st, &row));
    ENSURE_OUT(row, MK_E_INTERNAL, "permission query returned no row");
    bool enabled = sqlite3_column_int64(st, 0) > 0;
    bool sysadmin = sqlite3_column_int64(st, 1) > 0;
    bool endpoint = sqlite3_column_int64(st, 2) > 0;
    bool granted = sqlite3_column_int64(st, 3) > 0;
    bool denied = sqlite3_column_int64(st, 4) > 0;
    *allowed = enabled && endpoint && (sysadmin || (granted && !denied));
    res = MK_OK;
out:
    sqlite3_finalize(st);
    return res;
}
