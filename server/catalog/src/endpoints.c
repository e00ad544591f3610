/*
 * The DATABASE_MIRRORING endpoint row: create (at most one), alter only the
 * named fields, drop (its permissions go with it through a trigger) and
 * look up. Values are validated as a whole after an ALTER merges them, so
 * a row never holds an inconsistent combination. See catalog/endpoints.h.
 */
#include "catalog/endpoints.h"

#include <arpa/inet.h>
#include <string.h>

#include "internal.h"

#define EP_COLS                                                                                    \
    "SELECT endpoint_id, name, principal_id, state, port, ip_address, role,"                       \
    " is_encryption_enabled, encryption_algorithm, connection_auth, certificate_id"                \
    " FROM endpoints"

static const char sql_ep_by_name[] = EP_COLS " WHERE name = ?1";
static const char sql_ep_by_id[] = EP_COLS " WHERE endpoint_id = ?1";
static const char sql_ep_mirroring[] = EP_COLS " WHERE type = 4";

static void read_ep(sqlite3_stmt *st, cat_endpoint *e)
{
    memset(e, 0, sizeof(*e));
    e->endpoint_id = (int32_t)sqlite3_column_int64(st, 0);
    cat_copy_text(e->name, sizeof(e->name), (const char *)sqlite3_column_text(st, 1));
    e->owner_id = (int32_t)sqlite3_column_int64(st, 2);
    e->state = sqlite3_column_int(st, 3);
    e->port = sqlite3_column_int(st, 4);
    const char *ip = (const char *)sqlite3_column_text(st, 5);
    cat_copy_text(e->ip_address, sizeof(e->ip_address), ip != NULL ? ip : "");
    e->role = sqlite3_column_int(st, 6);
    e->encryption_enabled = sqlite3_column_int(st, 7) != 0;
    e->encryption_algorithm = sqlite3_column_int(st, 8);
    e->connection_auth = sqlite3_column_int(st, 9);
    e->certificate_id = (int32_t)sqlite3_column_int64(st, 10);
}

static MK_RESULT find_ep(cat_db *db, const char *sql, const char *name, int64_t id, bool *found,
                         cat_endpoint *out)
{
    mk_result res = MK_ERR;
    sqlite3_stmt *st = NULL;
    GUARD_OUT(cat_prepare(db, sql, &st));
    if (name != NULL) {
        GUARD_OUT(cat_bind_text(db, st, 1, name));
    } else if (sqlite3_bind_parameter_count(st) > 0) {
        GUARD_OUT(cat_bind_int(db, st, 1, id));
    }
    GUARD_OUT(cat_step(db, st, found));
    if (*found) {
        read_ep(st, out);
    }
    res = MK_OK;
out:
    sqlite3_finalize(st);
    return res;
}

static MK_RESULT ep_missing(bool found, const char *name)
{
    if (!found) {
        CAT_BAIL(MK_E_NOT_FOUND, CAT_R_ENDPOINT_MISSING, name,
                 "Cannot find the endpoint '%s', because it does not exist or you do not have "
                 "permission.",
                 name);
    }
    return MK_OK;
}

MK_RESULT cat_endpoint_get(cat_db *db, const char *name, cat_endpoint *out)
{
    bool found = false;
    ENSURE_MSG(name != NULL, MK_E_INVALID, "endpoint name missing");
    GUARD(find_ep(db, sql_ep_by_name, name, 0, &found, out));
    return ep_missing(found, name);
}

MK_RESULT cat_endpoint_get_by_id(cat_db *db, int32_t endpoint_id, cat_endpoint *out)
{
    bool found = false;
    GUARD(find_ep(db, sql_ep_by_id, NULL, endpoint_id, &found, out));
    return ep_missing(found, "(by id)");
}

MK_RESULT cat_endpoint_get_mirroring(cat_db *db, cat_endpoint *out, bool *found)
{
    return find_ep(db, sql_ep_mirroring, NULL, 0, found, out);
}

static bool valid_ip(const char *ip)
{
    uint8_t addr[16];
    if (ip[0] == '\0') {
        return true;
    }
    return inet_pton(AF_INET, ip, addr) == 1 || inet_pton(AF_INET6, ip, addr) == 1;
}

/* Ranges and combinations (see endpoints.h). */
static MK_RESULT validate(const cat_endpoint *e)
{
    GUARD(cat_check_name(e->name, "endpoint"));
    ENSURE_MSG(e->state >= CAT_EP_STARTED && e->state <= CAT_EP_DISABLED, MK_E_INVALID,
               "endpoint state %d out of range", e->state);
    ENSURE_MSG(e->port >= 1 && e->port <= 65535, MK_E_INVALID, "listener port %d out of range",
               e->port);
    ENSURE_MSG(memchr(e->ip_address, 0, sizeof(e->ip_address)) != NULL && valid_ip(e->ip_address),
               MK_E_INVALID, "listener IP is not an IPv4 or IPv6 address");
    ENSURE_MSG(e->role >= CAT_EP_ROLE_NONE && e->role <= CAT_EP_ALL, MK_E_INVALID,
               "endpoint role %d out of range", e->role);
    ENSURE_MSG(e->encryption_algorithm >= 0 && e->encryption_algorithm <= 8, MK_E_INVALID,
               "encryption algorithm %d out of range", e->encryption_algorithm);
    ENSURE_MSG(e->encryption_enabled == (e->encryption_algorithm != 0), MK_E_INVALID,
               "encryption is enabled exactly when an algorithm is set");
    ENSURE_MSG(e->connection_auth >= 1 && e->connection_auth <= 10, MK_E_INVALID,
               "connection_auth %d out of range", e->connection_auth);
    bool uses_cert = e->connection_auth >= CAT_EP_AUTH_CERTIFICATE;
    ENSURE_MSG(uses_cert == (e->certificate_id != 0), MK_E_INVALID,
               "a certificate is given exactly when authentication uses certificates");
    return MK_OK;
}

/* Owner must be a SQL login; certificate (if any) must exist. */
static MK_RESULT check_refs(cat_db *db, const cat_endpoint *e)
{
    bool found = false;
    int64_t ignored = 0;
    GUARD(cat_lookup_int_by_int(db,
                                "SELECT 1 FROM server_principals"
                                " WHERE principal_id = ?1 AND type = 'S'",
                                e->owner_id, &found, &ignored));
    if (!found) {
        CAT_BAIL(MK_E_NOT_FOUND, CAT_R_LOGIN_MISSING, NULL, "endpoint owner %d is not a login",
                 (int)e->owner_id);
    }
    if (e->certificate_id != 0) {
        GUARD(cat_lookup_int_by_int(db, "SELECT 1 FROM certificates WHERE certificate_id = ?1",
                                    e->certificate_id, &found, &ignored));
        if (!found) {
            CAT_BAIL(MK_E_NOT_FOUND, CAT_R_CERT_MISSING, NULL, "certificate %d not found",
                     (int)e->certificate_id);
        }
    }
    return MK_OK;
}

/* INSERT (insert true) or UPDATE of every column from *e. */
static MK_RESULT write_ep(cat_db *db, const cat_endpoint *e, int32_t id, bool insert)
{
    mk_result res = MK_ERR;
    sqlite3_stmt *st = NULL;
    GUARD_OUT(cat_prepare(db,
                          insert ? "INSERT INTO endpoints VALUES (?1, ?2, ?3, 2, 4, ?4, ?5, ?6,"
                                   " ?7, ?8, ?9, ?10, ?11)"
                                 : "UPDATE endpoints SET name = ?2, principal_id = ?3,"
                                   " state = ?4, port = ?5, ip_address = ?6, role = ?7,"
                                   " is_encryption_enabled = ?8, encryption_algorithm = ?9,"
                                   " connection_auth = ?10, certificate_id = ?11"
                                   " WHERE endpoint_id = ?1",
                          &st));
    GUARD_OUT(cat_bind_int(db, st, 1, id));
    GUARD_OUT(cat_bind_text(db, st, 2, e->name));
    GUARD_OUT(cat_bind_int(db, st, 3, e->owner_id));
    GUARD_OUT(cat_bind_int(db, st, 4, e->state));
    GUARD_OUT(cat_bind_int(db, st, 5, e->port));
    GUARD_OUT(cat_bind_text(db, st, 6, e->ip_address[0] != '\0' ? e->ip_address : NULL));
    GUARD_OUT(cat_bind_int(db, st, 7, e->role));
    GUARD_OUT(cat_bind_int(db, st, 8, e->encryption_enabled ? 1 : 0));
    GUARD_OUT(cat_bind_int(db, st, 9, e->encryption_algorithm));
    GUARD_OUT(cat_bind_int(db, st, 10, e->connection_auth));
    if (e->certificate_id != 0) {
        GUARD_OUT(cat_bind_int(db, st, 11, e->certificate_id));
    } else {
        GUARD_OUT(cat_bind_null(db, st, 11));
    }
    GUARD_OUT(cat_step_done(db, st));
    res = MK_OK;
out:
    sqlite3_finalize(st);
    return res;
}

static MK_RESULT ep_create_locked(cat_db *db, const cat_endpoint *e, int32_t *endpoint_id)
{
    cat_endpoint existing;
    bool found = false;
    GUARD(cat_endpoint_get_mirroring(db, &existing, &found));
    if (found) {
        CAT_BAIL(MK_E_EXISTS, CAT_R_ENDPOINT_TYPE_EXISTS, existing.name,
                 "An endpoint of the requested type already exists ('%s'). Only one endpoint of "
                 "this type is supported.",
                 existing.name);
    }
    /*
     * DATABASE_MIRRORING is the only endpoint type, so a second endpoint of any
     * name is refused above; the UNIQUE name constraint stays as a backstop.
     */
    GUARD(check_refs(db, e));
    int32_t id = 0;
    GUARD(cat_next_id(db, "SELECT max(endpoint_id) FROM endpoints", CAT_FIRST_ENDPOINT_ID, &id));
    GUARD(write_ep(db, e, id, true));
    if (endpoint_id != NULL) {
        *endpoint_id = id;
    }
    return MK_OK;
}

MK_RESULT cat_endpoint_create(cat_db *db, const cat_endpoint *ep, int32_t *endpoint_id)
{
    ENSURE_MSG(ep != NULL, MK_E_INVALID, "endpoint missing");
    GUARD(validate(ep));
    GUARD(cat_atomic_begin(db));
    return cat_atomic_end(db, ep_create_locked(db, ep, endpoint_id));
}

/* Copy the named fields of v into e. */
static void merge(cat_endpoint *e, const cat_endpoint *v, unsigned fields)
{
    if (fields & CAT_EPF_STATE) {
        e->state = v->state;
    }
    if (fields & CAT_EPF_PORT) {
        e->port = v->port;
    }
    if (fields & CAT_EPF_IP) {
        memcpy(e->ip_address, v->ip_address, sizeof(e->ip_address));
    }
    if (fields & CAT_EPF_ROLE) {
        e->role = v->role;
    }
    if (fields & CAT_EPF_ENCRYPTION) {
        e->encryption_enabled = v->encryption_enabled;
        e->encryption_algorithm = v->encryption_algorithm;
    }
    if (fields & CAT_EPF_AUTH) {
        e->connection_auth = v->connection_auth;
        e->certificate_id = v->certificate_id;
    }
    if (fields & CAT_EPF_OWNER) {
        e->owner_id = v->owner_id;
    }
}

static MK_RESULT ep_alter_locked(cat_db *db, const char *name, const cat_endpoint *v,
                                 unsigned fields)
{
    cat_endpoint e;
    bool found = false;
    GUARD(find_ep(db, sql_ep_by_name, name, 0, &found, &e));
    GUARD(ep_missing(found, name));
    merge(&e, v, fields);
    GUARD(validate(&e));
    GUARD(check_refs(db, &e));
    return write_ep(db, &e, e.endpoint_id, false);
}

MK_RESULT cat_endpoint_alter(cat_db *db, const char *name, const cat_endpoint *values,
                             unsigned fields)
{
    ENSURE_MSG(name != NULL && values != NULL, MK_E_INVALID, "endpoint arguments");
    if (fields == 0) {
        CAT_BAIL(MK_E_INVALID, CAT_R_NOTHING_TO_CHANGE, name,
                 "The endpoint was not changed. The ALTER ENDPOINT statement did not contain any "
                 "values to modify or update.");
    }
    ENSURE_MSG((fields & ~(unsigned)0x7f) == 0, MK_E_INVALID, "unknown endpoint fields 0x%x",
               fields);
    GUARD(cat_atomic_begin(db));
    return cat_atomic_end(db, ep_alter_locked(db, name, values, fields));
}

static MK_RESULT ep_drop_locked(cat_db *db, const char *name)
{
    cat_endpoint e;
    bool found = false;
    GUARD(find_ep(db, sql_ep_by_name, name, 0, &found, &e));
    GUARD(ep_missing(found, name));
    /* The endpoints_drop_permissions trigger removes class 105 rows. */
    return cat_run_int(db, "DELETE FROM endpoints WHERE endpoint_id = ?1", e.endpoint_id);
}

MK_RESULT cat_endpoint_drop(cat_db *db, const char *name)
{
    ENSURE_MSG(name != NULL, MK_E_INVALID, "endpoint name missing");
    GUARD(cat_atomic_begin(db));
    return cat_atomic_end(db, ep_drop_locked(db, name));
}
