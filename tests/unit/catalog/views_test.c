/*
 * The catalog view table: every view's column names in SQL Server's order
 * (as listed in the team's notes/tsql.md), key column types, and name
 * resolution (sys.x, master.sys.x, compatibility sysusers).
 */
#include "cat_fixture.h"

#include <stdlib.h>
#include <string.h>

#include "catalog/views.h"

#define ENDPOINT_COLUMNS                                                                           \
    "name", "endpoint_id", "principal_id", "protocol", "protocol_desc", "type", "type_desc",       \
        "state", "state_desc", "is_admin_endpoint"

static const char *const certificates[] = {"name",
                                           "certificate_id",
                                           "principal_id",
                                           "pvt_key_encryption_type",
                                           "pvt_key_encryption_type_desc",
                                           "is_active_for_begin_dialog",
                                           "issuer_name",
                                           "cert_serial_number",
                                           "sid",
                                           "string_sid",
                                           "subject",
                                           "expiry_date",
                                           "start_date",
                                           "thumbprint",
                                           "attested_by",
                                           "pvt_key_last_backup_date",
                                           "key_length",
                                           NULL};
static const char *const endpoints[] = {ENDPOINT_COLUMNS, NULL};
static const char *const tcp_endpoints[] = {ENDPOINT_COLUMNS, "port", "is_dynamic_port",
                                            "ip_address", NULL};
static const char *const mirroring_endpoints[] = {ENDPOINT_COLUMNS,
                                                  "role",
                                                  "role_desc",
                                                  "is_encryption_enabled",
                                                  "connection_auth",
                                                  "connection_auth_desc",
                                                  "certificate_id",
                                                  "encryption_algorithm",
                                                  "encryption_algorithm_desc",
                                                  NULL};
static const char *const server_principals[] = {"name",
                                                "principal_id",
                                                "sid",
                                                "type",
                                                "type_desc",
                                                "is_disabled",
                                                "create_date",
                                                "modify_date",
                                                "default_database_name",
                                                "default_language_name",
                                                "credential_id",
                                                "owning_principal_id",
                                                "is_fixed_role",
                                                NULL};
static const char *const database_principals[] = {"name",
                                                  "principal_id",
                                                  "type",
                                                  "type_desc",
                                                  "default_schema_name",
                                                  "create_date",
                                                  "modify_date",
                                                  "owning_principal_id",
                                                  "sid",
                                                  "is_fixed_role",
                                                  "authentication_type",
                                                  "authentication_type_desc",
                                                  NULL};
static const char *const sysusers[] = {"uid",        "status",      "name",    "sid",
                                       "createdate", "updatedate",  "islogin", "issqluser",
                                       "issqlrole",  "hasdbaccess", NULL};
static const char *const symmetric_keys[] = {
    "name",           "principal_id", "symmetric_key_id", "key_length", "key_algorithm",
    "algorithm_desc", "create_date",  "modify_date",      "key_guid",   NULL};
static const char *const server_permissions[] = {"class",
                                                 "class_desc",
                                                 "major_id",
                                                 "minor_id",
                                                 "grantee_principal_id",
                                                 "grantor_principal_id",
                                                 "type",
                                                 "permission_name",
                                                 "state",
                                                 "state_desc",
                                                 NULL};
static const char *const mirroring_connections[] = {"connection_id",
                                                    "state",
                                                    "state_desc",
                                                    "connect_time",
                                                    "login_time",
                                                    "authentication_method",
                                                    "principal_name",
                                                    "remote_user_name",
                                                    "last_activity_time",
                                                    "is_accept",
                                                    "login_state",
                                                    "login_state_desc",
                                                    "peer_certificate_id",
                                                    "encryption_algorithm",
                                                    "encryption_algorithm_desc",
                                                    "total_bytes_sent",
                                                    "total_bytes_received",
                                                    "total_sends",
                                                    "total_receives",
                                                    NULL};

/* mirrorkey's own view (docs/catalog.md "Certificate keys"). */
static const char *const certificate_keys[] = {"certificate_id",
                                               "name",
                                               "token_label",
                                               "key_id",
                                               "key_type",
                                               "key_bits",
                                               "is_local",
                                               "is_sensitive",
                                               "is_always_sensitive",
                                               "is_extractable",
                                               "is_never_extractable",
                                               "is_private_value_readable",
                                               "meets_policy",
                                               "checked_at",
                                               NULL};

static void expect_exact(const char *view, const char *const *names)
{
    const cat_view *v = cat_view_find_name(view);
    assert_non_null(v);
    size_t n = 0;
    const mk_column *cols = cat_view_columns(v, &n);
    size_t i = 0;
    for (; names[i] != NULL; i++) {
        assert_true(i < n);
        if (strcmp(cols[i].name, names[i]) != 0) {
            fail_msg("%s column %zu: %s, expected %s", view, i, cols[i].name, names[i]);
        }
    }
    assert_int_equal(i, n);
}

static void test_columns_match_notes(void **state)
{
    (void)state;
    expect_exact("sys.certificates", certificates);
    expect_exact("sys.endpoints", endpoints);
    expect_exact("sys.tcp_endpoints", tcp_endpoints);
    expect_exact("sys.database_mirroring_endpoints", mirroring_endpoints);
    expect_exact("sys.server_principals", server_principals);
    expect_exact("sys.database_principals", database_principals);
    expect_exact("sys.sysusers", sysusers);
    expect_exact("sys.symmetric_keys", symmetric_keys);
    expect_exact("sys.server_permissions", server_permissions);
    expect_exact("sys.dm_db_mirroring_connections", mirroring_connections);
    expect_exact("sys.mirrorkey_certificate_keys", certificate_keys);
}

/* Columns the brief asks for must appear, in this relative order. */
static void expect_in_order(const char *view, const char *const *names)
{
    const cat_view *v = cat_view_find_name(view);
    assert_non_null(v);
    int last = -1;
    for (size_t i = 0; names[i] != NULL; i++) {
        int idx = cat_view_column_index(v, names[i]);
        if (idx <= last) {
            fail_msg("%s: %s missing or out of order", view, names[i]);
        }
        last = idx;
    }
}

static void test_databases_views(void **state)
{
    (void)state;
    static const char *const databases[] = {"name",  "database_id", "create_date",
                                            "state", "state_desc",  NULL};
    static const char *const mirroring[] = {"database_id",
                                            "mirroring_state_desc",
                                            "mirroring_role_desc",
                                            "mirroring_partner_name",
                                            "mirroring_witness_name",
                                            "mirroring_witness_state_desc",
                                            NULL};
    expect_in_order("sys.databases", databases);
    expect_in_order("sys.database_mirroring", mirroring);
    const cat_view *v = cat_view_find_name("sys.databases");
    assert_int_equal(cat_view_column_index(v, "name"), 0);
    assert_int_equal(cat_view_column_index(v, "database_id"), 1);
    v = cat_view_find_name("sys.database_mirroring");
    assert_int_equal(cat_view_column_index(v, "database_id"), 0);
}

static void expect_type(const char *view, const char *col, mk_type t, uint16_t max_len)
{
    const cat_view *v = cat_view_find_name(view);
    int i = cat_view_column_index(v, col);
    assert_true(i >= 0);
    size_t n = 0;
    const mk_column *c = &cat_view_columns(v, &n)[i];
    if (c->type != t || c->max_len != max_len) {
        fail_msg("%s.%s: type %d(%u), expected %d(%u)", view, col, c->type, c->max_len, t, max_len);
    }
}

static void test_sql_server_types(void **state)
{
    (void)state;
    expect_type("sys.certificates", "name", MK_T_NVARCHAR, 128);
    expect_type("sys.certificates", "thumbprint", MK_T_VARBINARY, 32);
    expect_type("sys.certificates", "sid", MK_T_VARBINARY, 85);
    expect_type("sys.certificates", "pvt_key_encryption_type", MK_T_CHAR, 2);
    expect_type("sys.certificates", "pvt_key_encryption_type_desc", MK_T_NVARCHAR, 60);
    expect_type("sys.certificates", "is_active_for_begin_dialog", MK_T_BIT, 0);
    expect_type("sys.certificates", "expiry_date", MK_T_DATETIME, 0);
    expect_type("sys.certificates", "subject", MK_T_NVARCHAR, 4000);
    expect_type("sys.certificates", "issuer_name", MK_T_NVARCHAR, 442);
    expect_type("sys.server_principals", "type", MK_T_CHAR, 1);
    expect_type("sys.server_principals", "is_disabled", MK_T_INT, 0);
    expect_type("sys.server_principals", "is_fixed_role", MK_T_BIT, 0);
    expect_type("sys.server_permissions", "type", MK_T_CHAR, 4);
    expect_type("sys.server_permissions", "permission_name", MK_T_NVARCHAR, 128);
    expect_type("sys.tcp_endpoints", "ip_address", MK_T_NVARCHAR, 45);
    expect_type("sys.endpoints", "is_admin_endpoint", MK_T_BIT, 0);
    expect_type("sys.symmetric_keys", "key_guid", MK_T_NVARCHAR, 36);
    expect_type("sys.dm_db_mirroring_connections", "total_bytes_sent", MK_T_BIGINT, 0);
    expect_type("sys.mirrorkey_certificate_keys", "certificate_id", MK_T_INT, 0);
    expect_type("sys.mirrorkey_certificate_keys", "name", MK_T_NVARCHAR, 128);
    expect_type("sys.mirrorkey_certificate_keys", "token_label", MK_T_NVARCHAR, 32);
    expect_type("sys.mirrorkey_certificate_keys", "key_id", MK_T_VARBINARY, 256);
    expect_type("sys.mirrorkey_certificate_keys", "key_type", MK_T_NVARCHAR, 3);
    expect_type("sys.mirrorkey_certificate_keys", "key_bits", MK_T_INT, 0);
    expect_type("sys.mirrorkey_certificate_keys", "is_private_value_readable", MK_T_BIT, 0);
    expect_type("sys.mirrorkey_certificate_keys", "meets_policy", MK_T_BIT, 0);
    expect_type("sys.mirrorkey_certificate_keys", "checked_at", MK_T_DATETIME, 0);
    /* Nullability where SQL Server documents NOT NULL. */
    const cat_view *v = cat_view_find_name("sys.certificates");
    size_t n = 0;
    const mk_column *c = cat_view_columns(v, &n);
    assert_false(c[0].nullable);  /* name */
    assert_false(c[13].nullable); /* thumbprint */
    assert_true(c[2].nullable);   /* principal_id */
}

static void test_find(void **state)
{
    (void)state;
    const cat_view *certs = cat_view_find_name("sys.certificates");
    assert_non_null(certs);
    assert_string_equal(cat_view_name(certs), "sys.certificates");
    assert_ptr_equal(cat_view_find_name("SYS.Certificates"), certs);
    assert_ptr_equal(cat_view_find_name("master.sys.certificates"), certs);
    assert_ptr_equal(cat_view_find_name("MASTER.SYS.CERTIFICATES"), certs);
    const char *p2[] = {"sys", "certificates"};
    assert_ptr_equal(cat_view_find(p2, 2), certs);
    const char *p3[] = {"Master", "sys", "Certificates"};
    assert_ptr_equal(cat_view_find(p3, 3), certs);

    assert_null(cat_view_find_name("certificates")); /* default schema is dbo */
    assert_null(cat_view_find_name("dbo.certificates"));
    assert_null(cat_view_find_name("tempdb.sys.certificates"));
    assert_null(cat_view_find_name("srv.master.sys.certificates"));
    assert_null(cat_view_find_name("sys.nope"));
    assert_null(cat_view_find_name("sys."));
    assert_null(cat_view_find_name(""));
    assert_null(cat_view_find_name(NULL));
    assert_null(cat_view_find(NULL, 1));
    assert_null(cat_view_find(p2, 0));
    const char *pnull[] = {"sys", NULL};
    assert_null(cat_view_find(pnull, 2));
    char longname[2048];
    memset(longname, 'a', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    assert_null(cat_view_find_name(longname));

    /* The compatibility view is reachable without the sys schema. */
    const cat_view *su = cat_view_find_name("sys.sysusers");
    assert_non_null(su);
    assert_ptr_equal(cat_view_find_name("sysusers"), su);
    assert_ptr_equal(cat_view_find_name("dbo.sysusers"), su);
    assert_ptr_equal(cat_view_find_name("master..sysusers"), su);
    assert_ptr_equal(cat_view_find_name("master.dbo.SYSUSERS"), su);
    assert_null(cat_view_find_name("other.dbo.sysusers"));
}

static void test_enumeration_and_columns_api(void **state)
{
    (void)state;
    assert_int_equal(cat_view_count(), 13);
    for (size_t i = 0; i < cat_view_count(); i++) {
        const cat_view *v = cat_view_at(i);
        assert_non_null(v);
        assert_ptr_equal(cat_view_find_name(cat_view_name(v)), v);
        size_t n = 0;
        const mk_column *cols = cat_view_columns(v, &n);
        assert_true(n > 0 && cols != NULL);
        for (size_t c = 0; c < n; c++) {
            assert_int_equal(cat_view_column_index(v, cols[c].name), (int)c);
        }
    }
    assert_null(cat_view_at(13));
    size_t n = 7;
    assert_null(cat_view_columns(NULL, &n));
    assert_int_equal(n, 0);
    assert_string_equal(cat_view_name(NULL), "");
    const cat_view *v = cat_view_find_name("sys.endpoints");
    assert_int_equal(cat_view_column_index(v, "STATE_DESC"), 8);
    assert_int_equal(cat_view_column_index(v, "nope"), -1);
    assert_int_equal(cat_view_column_index(v, NULL), -1);
    assert_int_equal(cat_view_column_index(NULL, "name"), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_columns_match_notes),
        cmocka_unit_test(test_databases_views),
        cmocka_unit_test(test_sql_server_types),
        cmocka_unit_test(test_find),
        cmocka_unit_test(test_enumeration_and_columns_api),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
