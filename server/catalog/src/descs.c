/*
 * The *_desc texts of SQL Server's catalog views, in one table, exposed to
 * the view queries as the SQL function mk_desc(kind, code) and to C code
 * (the live connections view) as cat_desc(). Unknown codes give NULL, as a
 * CASE without ELSE would.
 */
#include "internal.h"

#include <string.h>

typedef struct desc_entry {
    int code;
    const char *text;
} desc_entry;

typedef struct desc_kind {
    const char *kind;
    const desc_entry *entries;
    size_t n;
} desc_kind;

#define KIND(name, arr)                                                                            \
    {                                                                                              \
        name, arr, sizeof(arr) / sizeof(arr[0])                                                    \
    }

static const desc_entry protocol[] = {
    {1, "HTTP"}, {2, "TCP"}, {3, "NAME_PIPE"}, {4, "SHARED_MEMORY"}, {5, "VIA"},
};
static const desc_entry ep_type[] = {
    {1, "SOAP"},
    {2, "TSQL"},
    {3, "SERVICE_BROKER"},
    {4, "DATABASE_MIRRORING"},
};
static const desc_entry ep_state[] = {{0, "STARTED"}, {1, "STOPPED"}, {2, "DISABLED"}};
static const desc_entry ep_role[] = {{0, "NONE"}, {1, "PARTNER"}, {2, "WITNESS"}, {3, "ALL"}};
static const desc_entry conn_auth[] = {
    {1, "NTLM"},
    {2, "KERBEROS"},
    {3, "NEGOTIATE"},
    {4, "CERTIFICATE"},
    {5, "NTLM, CERTIFICATE"},
    {6, "KERBEROS, CERTIFICATE"},
    {7, "NEGOTIATE, CERTIFICATE"},
    {8, "CERTIFICATE, NTLM"},
    {9, "CERTIFICATE, KERBEROS"},
    {10, "CERTIFICATE, NEGOTIATE"},
};
static const desc_entry algorithm[] = {
    {0, "NONE"},           {1, "RC4"},      {2, "AES"},      {3, "NONE, RC4"},
    {4, "NONE, AES"},      {5, "RC4, AES"}, {6, "AES, RC4"}, {7, "NONE, RC4, AES"},
    {8, "NONE, AES, RC4"},
};
static const desc_entry db_state[] = {
    {0, "ONLINE"},           {1, "RESTORING"}, {2, "RECOVERING"},
    {3, "RECOVERY_PENDING"}, {4, "SUSPECT"},   {5, "EMERGENCY"},
    {6, "OFFLINE"},          {7, "COPYING"},   {10, "OFFLINE_SECONDARY"},
};
static const desc_entry mir_state[] = {
    {0, "SUSPENDED"},    {1, "DISCONNECTED"},   {2, "SYNCHRONIZING"}, {3, "PENDING_FAILOVER"},
    {4, "SYNCHRONIZED"}, {5, "UNSYNCHRONIZED"}, {6, "SYNCHRONIZED"},
};
static const desc_entry mir_role[] = {{1, "PRINCIPAL"}, {2, "MIRROR"}};
static const desc_entry wit_state[] = {{0, "UNKNOWN"}, {1, "CONNECTED"}, {2, "DISCONNECTED"}};
static const desc_entry safety[] = {{0, "UNKNOWN"}, {1, "OFF"}, {2, "FULL"}};
static const desc_entry auth_type[] = {
    {0, "NONE"},
    {1, "INSTANCE"},
    {2, "DATABASE"},
    {3, "WINDOWS"},
};
static const desc_entry perm_class[] = {{100, "SERVER"}, {105, "ENDPOINT"}};
static const desc_entry conn_state[] = {
    {1, "NEW"}, {2, "CONNECTING"}, {3, "CONNECTED"}, {4, "LOGGED_IN"}, {5, "CLOSED"},
};
static const desc_entry login_state[] = {
    {0, "INITIAL"},          {1, "WAIT LOGIN NEGOTIATE"},
    {2, "ONE ISC"},          {3, "ONE ASC"},
    {4, "TWO ISC"},          {5, "TWO ASC"},
    {6, "WAIT ISC Confirm"}, {7, "WAIT ASC Confirm"},
    {8, "WAIT REJECT"},      {9, "WAIT PRE-MASTER SECRET"},
    {10, "WAIT VALIDATION"}, {11, "WAIT ARBITRATION"},
    {12, "ONLINE"},          {13, "ERROR"},
};

static const desc_kind kinds[] = {
    KIND("protocol", protocol),       KIND("ep_type", ep_type),
    KIND("ep_state", ep_state),       KIND("ep_role", ep_role),
    KIND("conn_auth", conn_auth),     KIND("algorithm", algorithm),
    KIND("db_state", db_state),       KIND("mir_state", mir_state),
    KIND("mir_role", mir_role),       KIND("wit_state", wit_state),
    KIND("safety", safety),           KIND("auth_type", auth_type),
    KIND("perm_class", perm_class),   KIND("conn_state", conn_state),
    KIND("login_state", login_state),
};

const char *cat_desc(const char *kind, int64_t code)
{
    for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
        if (strcmp(kinds[k].kind, kind) != 0) {
            continue;
        }
        for (size_t i = 0; i < kinds[k].n; i++) {
            if (kinds[k].entries[i].code == code) {
                return kinds[k].entries[i].text;
            }
        }
        return NULL;
    }
    return NULL;
}

static void sql_desc(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const char *kind = (const char *)sqlite3_value_text(argv[0]);
    if (kind == NULL || sqlite3_value_type(argv[1]) == SQLITE_NULL) {
        sqlite3_result_null(ctx);
        return;
    }
    const char *text = cat_desc(kind, sqlite3_value_int64(argv[1]));
    if (text == NULL) {
        sqlite3_result_null(ctx);
        return;
    }
    sqlite3_result_text(ctx, text, -1, SQLITE_STATIC);
}

MK_RESULT cat_register_functions(cat_db *db)
{
    int rc = sqlite3_create_function_v2(db->sql, "mk_desc", 2,
                                        SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL,
                                        sql_desc, NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        CAT_SQL_BAIL(db, rc, "registering mk_desc");
    }
    return cat_register_link_function(db);
}
