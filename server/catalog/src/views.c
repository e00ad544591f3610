/*
 * The static table of catalog views: SQL Server's column names, order,
 * types and nullability, the SELECT that produces each view from the
 * catalog tables, and its metadata-visibility rule. Types follow the SQL
 * Server documentation; tinyint/smallint are widened to MK_T_INT and
 * uniqueidentifier is NVARCHAR(36) text because mk_type lacks them.
 */
#include "catalog/views.h"

#include <string.h>

#include "catalog/certs.h"
#include "internal.h"

#define SYSNAME(n, null)                                                                           \
    {                                                                                              \
        n, MK_T_NVARCHAR, 128, null                                                                \
    }
#define NVC(n, len, null)                                                                          \
    {                                                                                              \
        n, MK_T_NVARCHAR, len, null                                                                \
    }
#define INT(n, null)                                                                               \
    {                                                                                              \
        n, MK_T_INT, 0, null                                                                       \
    }
#define BIGINT(n)                                                                                  \
    {                                                                                              \
        n, MK_T_BIGINT, 0, true                                                                    \
    }
#define BIT(n, null)                                                                               \
    {                                                                                              \
        n, MK_T_BIT, 0, null                                                                       \
    }
#define DT(n, null)                                                                                \
    {                                                                                              \
        n, MK_T_DATETIME, 0, null                                                                  \
    }
#define VBIN(n, len, null)                                                                         \
    {                                                                                              \
        n, MK_T_VARBINARY, len, null                                                               \
    }
#define CHR(n, len)                                                                                \
    {                                                                                              \
        n, MK_T_CHAR, len, false                                                                   \
    }
#define GUID(n, null)                                                                              \
    {                                                                                              \
        n, MK_T_NVARCHAR, 36, null                                                                 \
    }
#define N(arr) (sizeof(arr) / sizeof(arr[0]))

static const mk_column certificates_cols[] = {
    SYSNAME("name", false),
    INT("certificate_id", false),
    INT("principal_id", true),
    CHR("pvt_key_encryption_type", 2),
    NVC("pvt_key_encryption_type_desc", 60, true),
    BIT("is_active_for_begin_dialog", true),
    NVC("issuer_name", 442, true),
    NVC("cert_serial_number", 64, true),
    VBIN("sid", 85, true),
    NVC("string_sid", 128, true),
    NVC("subject", 4000, true),
    DT("expiry_date", true),
    DT("start_date", true),
    VBIN("thumbprint", 32, false),
    NVC("attested_by", 260, true),
    DT("pvt_key_last_backup_date", true),
    INT("key_length", true),
};
static const char certificates_sql[] =
    "SELECT name, certificate_id, principal_id, pvt_key_encryption_type,"
    " CASE pvt_key_encryption_type WHEN 'NA' THEN 'NO_PRIVATE_KEY'"
    "  WHEN 'HS' THEN 'STORED_IN_HSM' END,"
    " is_active_for_begin_dialog, issuer_name, cert_serial_number, sid, string_sid, subject,"
    " expiry_date, start_date, thumbprint, NULL, pvt_key_last_backup_date, key_length"
    " FROM certificates ORDER BY certificate_id";

#define ENDPOINT_COLS                                                                              \
    SYSNAME("name", false), INT("endpoint_id", false), INT("principal_id", true),                  \
        INT("protocol", false), NVC("protocol_desc", 60, true), INT("type", false),                \
        NVC("type_desc", 60, true), INT("state", true), NVC("state_desc", 60, true),               \
        BIT("is_admin_endpoint", false)
#define ENDPOINT_SQL                                                                               \
    "SELECT name, endpoint_id, principal_id, protocol, mk_desc('protocol', protocol), type,"       \
    " mk_desc('ep_type', type), state, mk_desc('ep_state', state), 0"

static const mk_column endpoints_cols[] = {ENDPOINT_COLS};
static const char endpoints_sql[] = ENDPOINT_SQL " FROM endpoints ORDER BY endpoint_id";

static const mk_column tcp_endpoints_cols[] = {
    ENDPOINT_COLS,
    INT("port", false),
    BIT("is_dynamic_port", false),
    NVC("ip_address", 45, true),
};
static const char tcp_endpoints_sql[] =
    ENDPOINT_SQL ", port, 0, ip_address FROM endpoints WHERE protocol = 2 ORDER BY endpoint_id";

static const mk_column mirroring_endpoints_cols[] = {
    ENDPOINT_COLS,
    INT("role", true),
    NVC("role_desc", 60, true),
    BIT("is_encryption_enabled", false),
    INT("connection_auth", false),
    NVC("connection_auth_desc", 60, true),
    INT("certificate_id", false),
    INT("encryption_algorithm", false),
    NVC("encryption_algorithm_desc", 60, true),
};
static const char mirroring_endpoints_sql[] =
    ENDPOINT_SQL ", role, mk_desc('ep_role', role), is_encryption_enabled, connection_auth,"
                 " mk_desc('conn_auth', connection_auth), coalesce(certificate_id, 0),"
                 " encryption_algorithm, mk_desc('algorithm', encryption_algorithm)"
                 " FROM endpoints WHERE type = 4 ORDER BY endpoint_id";

static const mk_column server_principals_cols[] = {
    SYSNAME("name", false),
    INT("principal_id", false),
    VBIN("sid", 85, true),
    CHR("type", 1),
    NVC("type_desc", 60, true),
    INT("is_disabled", true),
    DT("create_date", false),
    DT("modify_date", false),
    SYSNAME("default_database_name", true),
    SYSNAME("default_language_name", true),
    INT("credential_id", true),
    INT("owning_principal_id", true),
    BIT("is_fixed_role", false),
};
static const char server_principals_sql[] =
    "SELECT name, principal_id, sid, type,"
    " CASE type WHEN 'S' THEN 'SQL_LOGIN' WHEN 'R' THEN 'SERVER_ROLE' END,"
    " is_disabled, create_date, modify_date, default_database_name, default_language_name,"
    " NULL, owning_principal_id, is_fixed_role FROM server_principals ORDER BY principal_id";

static const mk_column database_principals_cols[] = {
    SYSNAME("name", false),
    INT("principal_id", false),
    CHR("type", 1),
    NVC("type_desc", 60, true),
    SYSNAME("default_schema_name", true),
    DT("create_date", false),
    DT("modify_date", false),
    INT("owning_principal_id", true),
    VBIN("sid", 85, true),
    BIT("is_fixed_role", false),
    INT("authentication_type", false),
    NVC("authentication_type_desc", 60, true),
};
static const char database_principals_sql[] =
    "SELECT name, principal_id, type,"
    " CASE type WHEN 'S' THEN 'SQL_USER' WHEN 'R' THEN 'DATABASE_ROLE' END,"
    " default_schema_name, create_date, modify_date, owning_principal_id, sid, is_fixed_role,"
    " authentication_type, mk_desc('auth_type', authentication_type)"
    " FROM database_principals ORDER BY principal_id";

static const mk_column sysusers_cols[] = {
    INT("uid", true),         INT("status", true),     SYSNAME("name", false),
    VBIN("sid", 85, true),    DT("createdate", false), DT("updatedate", false),
    INT("islogin", true),     INT("issqluser", true),  INT("issqlrole", true),
    INT("hasdbaccess", true),
};
/* guest (2) has CONNECT in master, as SQL Server requires; mapped users and dbo too. */
static const char sysusers_sql[] =
    "SELECT principal_id, CASE WHEN type = 'S' AND authentication_type = 1 THEN 2 ELSE 0 END,"
    " name, sid, create_date, modify_date, type = 'S', type = 'S', type = 'R',"
    " authentication_type = 1 OR principal_id = 2"
    " FROM database_principals ORDER BY principal_id";

static const mk_column symmetric_keys_cols[] = {
    SYSNAME("name", false),   INT("principal_id", true), INT("symmetric_key_id", false),
    INT("key_length", false), CHR("key_algorithm", 2),   NVC("algorithm_desc", 60, true),
    DT("create_date", false), DT("modify_date", false),  GUID("key_guid", true),
};
static const char symmetric_keys_sql[] =
    "SELECT '##MS_DatabaseMasterKey##', 1, 101, 256, 'A3', 'AES_256', create_date, modify_date,"
    " key_guid FROM master_key";

static const mk_column server_permissions_cols[] = {
    INT("class", false),
    NVC("class_desc", 60, true),
    INT("major_id", false),
    INT("minor_id", false),
    INT("grantee_principal_id", false),
    INT("grantor_principal_id", false),
    CHR("type", 4),
    NVC("permission_name", 128, true),
    CHR("state", 1),
    NVC("state_desc", 60, true),
};
static const char server_permissions_sql[] =
    "SELECT class, mk_desc('perm_class', class), major_id, minor_id, grantee_principal_id,"
    " grantor_principal_id, substr(type || '    ', 1, 4),"
    " CASE type WHEN 'CO' THEN 'CONNECT' WHEN 'COSQ' THEN 'CONNECT SQL' END, state,"
    " CASE state WHEN 'G' THEN 'GRANT' WHEN 'D' THEN 'DENY'"
    "  WHEN 'W' THEN 'GRANT_WITH_GRANT_OPTION' END"
    " FROM server_permissions ORDER BY class, major_id, grantee_principal_id, type";

static const mk_column mirroring_connections_cols[] = {
    GUID("connection_id", false),
    INT("state", true),
    NVC("state_desc", 60, true),
    DT("connect_time", true),
    DT("login_time", true),
    NVC("authentication_method", 128, true),
    NVC("principal_name", 128, true),
    NVC("remote_user_name", 128, true),
    DT("last_activity_time", true),
    BIT("is_accept", true),
    INT("login_state", true),
    NVC("login_state_desc", 60, true),
    INT("peer_certificate_id", true),
    INT("encryption_algorithm", true),
    NVC("encryption_algorithm_desc", 60, true),
    BIGINT("total_bytes_sent"),
    BIGINT("total_bytes_received"),
    BIGINT("total_sends"),
    BIGINT("total_receives"),
};

static const mk_column databases_cols[] = {
    SYSNAME("name", true),
    INT("database_id", false),
    INT("source_database_id", true),
    VBIN("owner_sid", 85, true),
    DT("create_date", false),
    INT("compatibility_level", false),
    SYSNAME("collation_name", true),
    INT("user_access", true),
    NVC("user_access_desc", 60, true),
    BIT("is_read_only", true),
    BIT("is_auto_close_on", false),
    BIT("is_auto_shrink_on", true),
    INT("state", true),
    NVC("state_desc", 60, true),
};
static const char databases_sql[] =
    "SELECT name, database_id, NULL, owner_sid, create_date, 160,"
    " 'SQL_Latin1_General_CP1_CI_AS', 0, 'MULTI_USER', 0, 0, 0, state,"
    " mk_desc('db_state', state) FROM databases ORDER BY database_id";

static const mk_column database_mirroring_cols[] = {
    INT("database_id", false),
    GUID("mirroring_guid", true),
    INT("mirroring_state", true),
    NVC("mirroring_state_desc", 60, true),
    INT("mirroring_role", true),
    NVC("mirroring_role_desc", 60, true),
    INT("mirroring_role_sequence", true),
    INT("mirroring_safety_level", true),
    NVC("mirroring_safety_level_desc", 60, true),
    INT("mirroring_safety_sequence", true),
    NVC("mirroring_partner_name", 128, true),
    NVC("mirroring_partner_instance", 128, true),
    NVC("mirroring_witness_name", 128, true),
    INT("mirroring_witness_state", true),
    NVC("mirroring_witness_state_desc", 60, true),
    INT("mirroring_connection_timeout", true),
    INT("mirroring_redo_queue", true),
    NVC("mirroring_redo_queue_type", 60, true),
};
/*
 * Unmirrored databases show NULLs (SQL Server lists every database). The
 * state columns are live (docs/endpoint.md "Sessions"): SYNCHRONIZED while
 * the session is joined and the kept link to the partner is logged in,
 * DISCONNECTED otherwise (also while a mirror waits for its principal);
 * the witness is CONNECTED while the link to it is logged in, DISCONNECTED
 * when it is not, UNKNOWN when the session has no witness.
 */
#define LIVE_MIRRORING                                                                             \
    "(SELECT *, CASE WHEN mirroring_guid IS NULL THEN NULL"                                        \
    " WHEN mirroring_partner_instance IS NOT NULL AND mk_link_up(mirroring_partner_name) THEN 4"   \
    " ELSE 1 END AS live_state,"                                                                   \
    " CASE WHEN mirroring_guid IS NULL THEN NULL WHEN mirroring_witness_name IS NULL THEN 0"       \
    " WHEN mk_link_up(mirroring_witness_name) THEN 1 ELSE 2 END AS live_witness FROM databases)"
static const char database_mirroring_sql[] =
    "SELECT database_id, mirroring_guid, live_state, mk_desc('mir_state', live_state),"
    " mirroring_role, mk_desc('mir_role', mirroring_role),"
    " CASE WHEN mirroring_guid IS NULL THEN NULL ELSE 1 END,"
    " CASE WHEN mirroring_guid IS NULL THEN NULL ELSE 2 END,"
    " CASE WHEN mirroring_guid IS NULL THEN NULL ELSE 'FULL' END,"
    " CASE WHEN mirroring_guid IS NULL THEN NULL ELSE 1 END,"
    " mirroring_partner_name, mirroring_partner_instance, mirroring_witness_name,"
    " live_witness, mk_desc('wit_state', live_witness),"
    " CASE WHEN mirroring_guid IS NULL THEN NULL ELSE 10 END, NULL,"
    " CASE WHEN mirroring_guid IS NULL THEN NULL ELSE 'UNLIMITED' END"
    " FROM " LIVE_MIRRORING " ORDER BY database_id";

/*
 * mirrorkey's own view: the key policy of each certificate whose private key
 * is on the token, read from the token when queried (keyinfo.c fills every
 * column the SELECT leaves NULL; catalog/keyinfo.h). Order: CAT_KEYV_*.
 */
static const mk_column certificate_keys_cols[] = {
    INT("certificate_id", false),
    SYSNAME("name", false),
    NVC("token_label", 32, true),
    VBIN("key_id", CAT_TOKEN_ID_MAX, false),
    NVC("key_type", 3, true),
    INT("key_bits", true),
    BIT("is_local", true),
    BIT("is_sensitive", true),
    BIT("is_always_sensitive", true),
    BIT("is_extractable", true),
    BIT("is_never_extractable", true),
    BIT("is_private_value_readable", true),
    BIT("meets_policy", false),
    DT("checked_at", false),
};
static const char certificate_keys_sql[] =
    "SELECT certificate_id, name, NULL, token_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,"
    " 0, 0 FROM certificates WHERE pvt_key_encryption_type = 'HS' ORDER BY certificate_id";

#define SYS_PREFIX_LEN 4 /* "sys." */
#define VIEW(nm, cols, sql, vis, col, compat)                                                      \
    {                                                                                              \
        "sys." nm, cols, N(cols), sql, vis, col, compat, NULL, 0                                   \
    }
/* A view whose SQL rows are completed by a live fill (internal.h cat_live_fill_fn). */
#define LIVE_VIEW(nm, cols, sql, fill, live_cols)                                                  \
    {                                                                                              \
        "sys." nm, cols, N(cols), sql, CAT_VIS_NONE, -1, false, fill, live_cols                    \
    }

static const struct cat_view views[] = {
    VIEW("certificates", certificates_cols, certificates_sql, CAT_VIS_USER, 2, false),
    VIEW("endpoints", endpoints_cols, endpoints_sql, CAT_VIS_LOGIN, 2, false),
    VIEW("tcp_endpoints", tcp_endpoints_cols, tcp_endpoints_sql, CAT_VIS_LOGIN, 2, false),
    VIEW("database_mirroring_endpoints", mirroring_endpoints_cols, mirroring_endpoints_sql,
         CAT_VIS_LOGIN, 2, false),
    VIEW("server_principals", server_principals_cols, server_principals_sql, CAT_VIS_LOGIN, 1,
         false),
    VIEW("database_principals", database_principals_cols, database_principals_sql, CAT_VIS_USER, 1,
         false),
    VIEW("sysusers", sysusers_cols, sysusers_sql, CAT_VIS_USER, 0, true),
    VIEW("symmetric_keys", symmetric_keys_cols, symmetric_keys_sql, CAT_VIS_USER, 1, false),
    VIEW("server_permissions", server_permissions_cols, server_permissions_sql, CAT_VIS_LOGIN, 4,
         false),
    VIEW("dm_db_mirroring_connections", mirroring_connections_cols, NULL, CAT_VIS_NONE, -1, false),
    VIEW("databases", databases_cols, databases_sql, CAT_VIS_NONE, -1, false),
    VIEW("database_mirroring", database_mirroring_cols, database_mirroring_sql, CAT_VIS_NONE, -1,
         false),
    LIVE_VIEW("mirrorkey_certificate_keys", certificate_keys_cols, certificate_keys_sql,
              cat_keyinfo_fill, CAT_KEYV_LIVE_COLS),
};
_Static_assert(N(certificate_keys_cols) == CAT_KEYV_NCOLS, "certificate keys view columns");

size_t cat_view_count(void) { return N(views); }

const cat_view *cat_view_at(size_t i) { return i < N(views) ? &views[i] : NULL; }

static const cat_view *lookup(const char *name, bool compat_only)
{
    for (size_t i = 0; i < N(views); i++) {
        if (cat_name_eq(views[i].name + SYS_PREFIX_LEN, name) &&
            (views[i].compat || !compat_only)) {
            return &views[i];
        }
    }
    return NULL;
}

const cat_view *cat_view_find(const char *const *parts, size_t nparts)
{
    if (parts == NULL || nparts == 0 || nparts > 3) {
        return NULL;
    }
    for (size_t i = 0; i < nparts; i++) {
        if (parts[i] == NULL) {
            return NULL;
        }
    }
    const char *object = parts[nparts - 1];
    if (nparts == 3 && !cat_name_eq(parts[0], "master")) {
        return NULL; /* master is the only database with these views */
    }
    if (nparts == 1) {
        return lookup(object, true); /* default schema dbo */
    }
    const char *schema = parts[nparts - 2];
    if (cat_name_eq(schema, "sys")) {
        return lookup(object, false);
    }
    if (schema[0] == '\0' || cat_name_eq(schema, "dbo")) {
        return lookup(object, true);
    }
    return NULL;
}

const cat_view *cat_view_find_name(const char *dotted)
{
    char buf[4 * (CAT_NAME_MAX + 1)];
    const char *parts[3];
    size_t n = 0;
    if (dotted == NULL || strlen(dotted) >= sizeof(buf)) {
        return NULL;
    }
    memcpy(buf, dotted, strlen(dotted) + 1);
    char *p = buf;
    for (;;) {
        if (n == 3) {
            return NULL;
        }
        parts[n++] = p;
        char *dot = strchr(p, '.');
        if (dot == NULL) {
            break;
        }
        *dot = '\0';
        p = dot + 1;
    }
    return cat_view_find(parts, n);
}

const char *cat_view_name(const cat_view *v) { return v != NULL ? v->name : ""; }

const mk_column *cat_view_columns(const cat_view *v, size_t *ncols)
{
    if (v == NULL) {
        if (ncols != NULL) {
            *ncols = 0;
        }
        return NULL;
    }
    if (ncols != NULL) {
        *ncols = v->ncols;
    }
    return v->cols;
}

int cat_view_column_index(const cat_view *v, const char *column)
{
    if (v == NULL || column == NULL) {
        return -1;
    }
    for (size_t i = 0; i < v->ncols; i++) {
        if (cat_name_eq(v->cols[i].name, column)) {
            return (int)i;
        }
    }
    return -1;
}
