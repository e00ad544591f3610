/*
 * cat_query over a catalog set up as the seed documents do: view contents
 * and codes/descs, column lists, WHERE filters and their type rules,
 * unknown columns and metadata visibility.
 */
#include "cat_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/certs.h"
#include "catalog/connections.h"
#include "catalog/databases.h"
#include "catalog/endpoints.h"
#include "catalog/masterkey.h"
#include "catalog/perms.h"
#include "catalog/principals.h"
#include "catalog/views.h"

typedef struct q_fx {
    cat_fx base;
    int32_t admin, peer_login, peer_user, cert_a, cert_b, ep;
    uint8_t thumb_a[20];
    int64_t expiry_a;
} q_fx;

static const cat_session sysadmin = {.is_sysadmin = true, .login_id = 1, .user_id = 1};

static MK_RESULT add_cert(cat_db *db, const char *name, int32_t owner, bool on_token, int32_t *id)
{
    static const uint8_t ckaid[16] = {7};
    uint8_t *der = NULL;
    size_t len = 0;
    cat_fx_make_cert(name, -60, 3600, 0, NULL, 0, &der, &len);
    cat_cert_new c = {.name = name,
                      .owner_id = owner,
                      .der = der,
                      .der_len = len,
                      .token_id = on_token ? ckaid : NULL,
                      .token_id_len = 16,
                      .token_label = name};
    mk_result r = cat_cert_create(db, &c, id);
    free(der);
    return r;
}

static int setup(void **state)
{
    if (cat_fx_setup(state) != 0) {
        return -1;
    }
    q_fx *fx = realloc(*state, sizeof(q_fx));
    if (fx == NULL) {
        return -1;
    }
    *state = fx;
    cat_db *db = fx->base.db;
    const uint8_t *pw = (const uint8_t *)"1Sample_Strong_Password!@#";
    static const uint8_t blob[] = {1, 2, 3};
    bool ok = mk_ok(cat_masterkey_create(db, blob, 3, blob, 3)) &&
              mk_ok(add_cert(db, "HOST_A_cert", CAT_DEFAULT_OWNER, true, &fx->cert_a)) &&
              mk_ok(cat_login_create(db, "admin", pw, 26, NULL, &fx->admin)) &&
              mk_ok(cat_login_create(db, "HOST_B_login", pw, 26, NULL, &fx->peer_login)) &&
              mk_ok(cat_user_create_for_login(db, "HOST_B_user", "HOST_B_login", &fx->peer_user)) &&
              mk_ok(add_cert(db, "HOST_B_cert", fx->peer_user, false, &fx->cert_b));
    cat_endpoint e = {.owner_id = fx->admin,
                      .state = CAT_EP_STARTED,
                      .port = 7024,
                      .role = CAT_EP_ALL,
                      .encryption_enabled = true,
                      .encryption_algorithm = CAT_EP_ALG_AES,
                      .connection_auth = CAT_EP_AUTH_CERTIFICATE,
                      .certificate_id = fx->cert_a};
    snprintf(e.name, sizeof(e.name), "%s", "Endpoint_Mirroring");
    ok = ok && mk_ok(cat_endpoint_create(db, &e, &fx->ep));
    cat_perm p = {.type = CAT_PERM_CONNECT,
                  .major_id = fx->ep,
                  .grantee_id = fx->peer_login,
                  .grantor_id = fx->admin};
    ok = ok && mk_ok(cat_perm_set(db, &p, CAT_PERM_GRANT));
    cat_mirroring m = {.state = CAT_MIR_SYNCHRONIZED,
                       .role = CAT_MIR_PRINCIPAL,
                       .witness_state = CAT_WIT_CONNECTED};
    snprintf(m.partner_name, sizeof(m.partner_name), "%s", "TCP://host_b:7024");
    snprintf(m.partner_instance, sizeof(m.partner_instance), "%s", "HOST_B");
    snprintf(m.witness_name, sizeof(m.witness_name), "%s", "TCP://witness:7024");
    ok = ok && mk_ok(cat_database_create(db, "db1", NULL)) &&
         mk_ok(cat_database_set_mirroring(db, "db1", &m));
    cat_cert c;
    ok = ok && mk_ok(cat_cert_get_by_id(db, fx->cert_a, &c));
    if (ok) {
        memcpy(fx->thumb_a, c.meta.thumbprint, 20);
        fx->expiry_a = c.meta.expiry_date;
        cat_cert_cleanup(&c);
    }
    return ok ? 0 : -1;
}

static mk_rowset *query(q_fx *fx, const char *view, const cat_session *who, const char *const *cols,
                        size_t ncols, const cat_filter *f, size_t nf)
{
    const cat_view *v = cat_view_find_name(view);
    assert_non_null(v);
    mk_rowset *rs = NULL;
    mk_result r = cat_query(fx->base.db, v, who, cols, ncols, f, nf, &rs);
    if (mk_failed(r)) {
        fail_msg("query %s: %s", view, mk_error_message());
    }
    return rs;
}

static int col(const mk_rowset *rs, const char *name)
{
    for (size_t c = 0; c < mk_rowset_ncols(rs); c++) {
        if (strcmp(mk_rowset_column(rs, c)->name, name) == 0) {
            return (int)c;
        }
    }
    fail_msg("no column %s", name);
    return -1;
}

/* The row whose column `key` has text `value`. */
static size_t row_where(const mk_rowset *rs, const char *key, const char *value)
{
    int c = col(rs, key);
    for (size_t r = 0; r < mk_rowset_nrows(rs); r++) {
        const mk_value *v = mk_rowset_value(rs, r, (size_t)c);
        if (!v->is_null && strcmp((const char *)v->bytes, value) == 0) {
            return r;
        }
    }
    fail_msg("no row with %s = %s", key, value);
    return 0;
}

static const mk_value *val(const mk_rowset *rs, size_t row, const char *name)
{
    return mk_rowset_value(rs, row, (size_t)col(rs, name));
}

static void assert_text(const mk_rowset *rs, size_t row, const char *name, const char *want)
{
    const mk_value *v = val(rs, row, name);
    if (want == NULL) {
        assert_true(v->is_null);
        return;
    }
    assert_false(v->is_null);
    assert_string_equal((const char *)v->bytes, want);
}

static void assert_num(const mk_rowset *rs, size_t row, const char *name, int64_t want)
{
    const mk_value *v = val(rs, row, name);
    assert_false(v->is_null);
    assert_int_equal(v->i, want);
}

/* A link source for the view: the links in the NULL-terminated list ctx are up. */
static bool links_up(void *ctx, const char *address)
{
    for (const char *const *a = ctx; *a != NULL; a++) {
        if (strcmp(*a, address) == 0) {
            return true;
        }
    }
    return false;
}

static void test_seed_endpoint_query(void **state)
{
    q_fx *fx = *state;
    const char *cols[] = {"name", "role_desc", "state_desc", "connection_auth_desc",
                          "encryption_algorithm_desc"};
    mk_rowset *rs = query(fx, "sys.database_mirroring_endpoints", &sysadmin, cols, 5, NULL, 0);
    assert_int_equal(mk_rowset_nrows(rs), 1);
    assert_int_equal(mk_rowset_ncols(rs), 5);
    assert_string_equal(mk_rowset_column(rs, 1)->name, "role_desc");
    assert_text(rs, 0, "name", "Endpoint_Mirroring");
    assert_text(rs, 0, "role_desc", "ALL");
    assert_text(rs, 0, "state_desc", "STARTED");
    assert_text(rs, 0, "connection_auth_desc", "CERTIFICATE");
    assert_text(rs, 0, "encryption_algorithm_desc", "AES");
    mk_rowset_free(rs);

    rs = query(fx, "sys.database_mirroring_endpoints", &sysadmin, NULL, 0, NULL, 0);
    assert_num(rs, 0, "endpoint_id", fx->ep);
    assert_num(rs, 0, "principal_id", fx->admin);
    assert_num(rs, 0, "protocol", 2);
    assert_text(rs, 0, "protocol_desc", "TCP");
    assert_num(rs, 0, "type", 4);
    assert_text(rs, 0, "type_desc", "DATABASE_MIRRORING");
    assert_num(rs, 0, "state", 0);
    assert_num(rs, 0, "is_admin_endpoint", 0);
    assert_num(rs, 0, "role", 3);
    assert_num(rs, 0, "is_encryption_enabled", 1);
    assert_num(rs, 0, "connection_auth", 4);
    assert_num(rs, 0, "certificate_id", fx->cert_a);
    assert_num(rs, 0, "encryption_algorithm", 2);
    mk_rowset_free(rs);

    rs = query(fx, "sys.tcp_endpoints", &sysadmin, NULL, 0, NULL, 0);
    assert_num(rs, 0, "port", 7024);
    assert_num(rs, 0, "is_dynamic_port", 0);
    assert_text(rs, 0, "ip_address", NULL);
    mk_rowset_free(rs);
    rs = query(fx, "sys.endpoints", &sysadmin, NULL, 0, NULL, 0);
    assert_int_equal(mk_rowset_nrows(rs), 1);
    assert_int_equal(mk_rowset_ncols(rs), 10);
    mk_rowset_free(rs);
}

static void test_certificates_view(void **state)
{
    q_fx *fx = *state;
    mk_rowset *rs = query(fx, "sys.certificates", &sysadmin, NULL, 0, NULL, 0);
    assert_int_equal(mk_rowset_nrows(rs), 2);
    size_t a = row_where(rs, "name", "HOST_A_cert"), b = row_where(rs, "name", "HOST_B_cert");
    assert_num(rs, a, "certificate_id", fx->cert_a);
    assert_num(rs, a, "principal_id", 1);
    assert_text(rs, a, "pvt_key_encryption_type", "HS");
    assert_text(rs, a, "pvt_key_encryption_type_desc", "STORED_IN_HSM");
    assert_text(rs, b, "pvt_key_encryption_type", "NA");
    assert_text(rs, b, "pvt_key_encryption_type_desc", "NO_PRIVATE_KEY");
    assert_num(rs, b, "principal_id", fx->peer_user);
    assert_text(rs, a, "subject", "HOST_A_cert");
    assert_text(rs, a, "issuer_name", "HOST_A_cert");
    assert_text(rs, a, "cert_serial_number", "01 23 45 67 89 ab cd ef");
    assert_text(rs, a, "attested_by", NULL);
    assert_num(rs, a, "key_length", 256);
    assert_num(rs, a, "expiry_date", fx->expiry_a);
    assert_true(val(rs, a, "pvt_key_last_backup_date")->is_null);
    const mk_value *tp = val(rs, a, "thumbprint");
    assert_int_equal(tp->len, 20);
    assert_memory_equal(tp->bytes, fx->thumb_a, 20);
    /* SID S-1-9-1-<thumbprint as five dwords>, as SQL Server derives certificate SIDs. */
    const mk_value *sid = val(rs, a, "sid");
    static const uint8_t head[12] = {1, 6, 0, 0, 0, 0, 0, 9, 1, 0, 0, 0};
    assert_int_equal(sid->len, 32);
    assert_memory_equal(sid->bytes, head, 12);
    assert_memory_equal(sid->bytes + 12, fx->thumb_a, 20);
    const char *ss = (const char *)val(rs, a, "string_sid")->bytes;
    assert_int_equal(strncmp(ss, "S-1-9-1-", 8), 0);
    unsigned long first = strtoul(ss + 8, NULL, 10);
    uint32_t d0 = (uint32_t)fx->thumb_a[0] | (uint32_t)fx->thumb_a[1] << 8 |
                  (uint32_t)fx->thumb_a[2] << 16 | (uint32_t)fx->thumb_a[3] << 24;
    assert_int_equal(first, d0);
    mk_rowset_free(rs);
}

static void test_principals_views(void **state)
{
    q_fx *fx = *state;
    mk_rowset *rs = query(fx, "sys.server_principals", &sysadmin, NULL, 0, NULL, 0);
    size_t sa = row_where(rs, "name", "sa"), sys = row_where(rs, "name", "sysadmin"),
           peer = row_where(rs, "name", "HOST_B_login");
    assert_text(rs, sa, "type", "S");
    assert_text(rs, sa, "type_desc", "SQL_LOGIN");
    assert_num(rs, sa, "is_disabled", 1);
    assert_num(rs, sys, "principal_id", 3);
    assert_text(rs, sys, "type_desc", "SERVER_ROLE");
    assert_num(rs, sys, "is_fixed_role", 1);
    assert_text(rs, sys, "default_database_name", NULL);
    assert_num(rs, peer, "principal_id", fx->peer_login);
    assert_text(rs, peer, "default_database_name", "master");
    assert_text(rs, peer, "default_language_name", "us_english");
    assert_true(val(rs, peer, "credential_id")->is_null);
    assert_int_equal(val(rs, peer, "sid")->len, 16);
    mk_rowset_free(rs);

    rs = query(fx, "sys.database_principals", &sysadmin, NULL, 0, NULL, 0);
    size_t u = row_where(rs, "name", "HOST_B_user"), g = row_where(rs, "name", "guest"),
           pub = row_where(rs, "name", "public");
    assert_text(rs, u, "type_desc", "SQL_USER");
    assert_text(rs, u, "default_schema_name", "dbo");
    assert_num(rs, u, "authentication_type", 1);
    assert_text(rs, u, "authentication_type_desc", "INSTANCE");
    assert_text(rs, g, "authentication_type_desc", "NONE");
    assert_text(rs, pub, "type_desc", "DATABASE_ROLE");
    mk_rowset_free(rs);

    rs = query(fx, "sys.sysusers", &sysadmin, NULL, 0, NULL, 0);
    u = row_where(rs, "name", "HOST_B_user");
    pub = row_where(rs, "name", "public");
    assert_num(rs, u, "uid", fx->peer_user);
    assert_num(rs, u, "issqluser", 1);
    assert_num(rs, u, "hasdbaccess", 1);
    assert_num(rs, u, "issqlrole", 0);
    assert_num(rs, pub, "issqlrole", 1);
    assert_num(rs, pub, "hasdbaccess", 0);
    assert_num(rs, row_where(rs, "name", "guest"), "hasdbaccess", 1);
    assert_num(rs, row_where(rs, "name", "sys"), "hasdbaccess", 0);
    mk_rowset_free(rs);
}

static void test_permissions_keys_databases_views(void **state)
{
    q_fx *fx = *state;
    cat_filter f = {.column = "class", .op = CAT_OP_EQ, .value = {.kind = CAT_LIT_INT, .i = 105}};
    mk_rowset *rs = query(fx, "sys.server_permissions", &sysadmin, NULL, 0, &f, 1);
    assert_int_equal(mk_rowset_nrows(rs), 1);
    assert_text(rs, 0, "class_desc", "ENDPOINT");
    assert_num(rs, 0, "major_id", fx->ep);
    assert_num(rs, 0, "minor_id", 0);
    assert_num(rs, 0, "grantee_principal_id", fx->peer_login);
    assert_num(rs, 0, "grantor_principal_id", fx->admin);
    assert_text(rs, 0, "type", "CO  ");
    assert_text(rs, 0, "permission_name", "CONNECT");
    assert_text(rs, 0, "state", "G");
    assert_text(rs, 0, "state_desc", "GRANT");
    mk_rowset_free(rs);
    f.value.i = 100;
    rs = query(fx, "sys.server_permissions", &sysadmin, NULL, 0, &f, 1);
    assert_int_equal(mk_rowset_nrows(rs), 3); /* CONNECT SQL for sa, admin, HOST_B_login */
    assert_text(rs, 0, "permission_name", "CONNECT SQL");
    assert_text(rs, 0, "class_desc", "SERVER");
    mk_rowset_free(rs);

    rs = query(fx, "sys.symmetric_keys", &sysadmin, NULL, 0, NULL, 0);
    assert_int_equal(mk_rowset_nrows(rs), 1);
    assert_text(rs, 0, "name", "##MS_DatabaseMasterKey##");
    assert_num(rs, 0, "principal_id", 1);
    assert_num(rs, 0, "symmetric_key_id", 101);
    assert_num(rs, 0, "key_length", 256);
    assert_text(rs, 0, "key_algorithm", "A3");
    assert_text(rs, 0, "algorithm_desc", "AES_256");
    assert_int_equal(val(rs, 0, "key_guid")->len, 36);
    mk_rowset_free(rs);

    rs = query(fx, "sys.databases", &sysadmin, NULL, 0, NULL, 0);
    assert_int_equal(mk_rowset_nrows(rs), 5);
    size_t m = row_where(rs, "name", "master");
    assert_num(rs, m, "database_id", 1);
    assert_text(rs, m, "state_desc", "ONLINE");
    mk_rowset_free(rs);

    /* The live states follow the link source (no source: every link down). */
    rs = query(fx, "sys.database_mirroring", &sysadmin, NULL, 0, NULL, 0);
    assert_int_equal(mk_rowset_nrows(rs), 5);
    assert_true(val(rs, 0, "mirroring_guid")->is_null); /* master is not mirrored */
    assert_true(val(rs, 0, "mirroring_state_desc")->is_null);
    assert_true(val(rs, 0, "mirroring_witness_state_desc")->is_null);
    assert_num(rs, 4, "database_id", 5);
    assert_text(rs, 4, "mirroring_state_desc", "DISCONNECTED");
    assert_text(rs, 4, "mirroring_role_desc", "PRINCIPAL");
    assert_text(rs, 4, "mirroring_partner_name", "TCP://host_b:7024");
    assert_text(rs, 4, "mirroring_partner_instance", "HOST_B");
    assert_text(rs, 4, "mirroring_witness_name", "TCP://witness:7024");
    assert_text(rs, 4, "mirroring_witness_state_desc", "DISCONNECTED");
    assert_text(rs, 4, "mirroring_safety_level_desc", "FULL");
    mk_rowset_free(rs);

    const char *up[] = {"TCP://host_b:7024", "TCP://witness:7024", NULL};
    cat_set_link_source(fx->base.db, links_up, up);
    rs = query(fx, "sys.database_mirroring", &sysadmin, NULL, 0, NULL, 0);
    assert_text(rs, 4, "mirroring_state_desc", "SYNCHRONIZED");
    assert_num(rs, 4, "mirroring_state", 4);
    assert_text(rs, 4, "mirroring_witness_state_desc", "CONNECTED");
    mk_rowset_free(rs);

    up[0] = "TCP://witness:7024";
    up[1] = NULL;
    rs = query(fx, "sys.database_mirroring", &sysadmin, NULL, 0, NULL, 0);
    assert_text(rs, 4, "mirroring_state_desc", "DISCONNECTED");
    assert_text(rs, 4, "mirroring_witness_state_desc", "CONNECTED");
    mk_rowset_free(rs);

    /* A mirror still waiting for its principal is DISCONNECTED even with the link up. */
    cat_database d;
    assert_true(mk_ok(cat_database_get(fx->base.db, "db1", &d)));
    cat_mirroring waiting = d.mirroring;
    waiting.role = CAT_MIR_MIRROR;
    waiting.partner_instance[0] = '\0';
    waiting.witness_name[0] = '\0';
    assert_true(mk_ok(cat_database_set_mirroring(fx->base.db, "db1", &waiting)));
    up[0] = "TCP://host_b:7024";
    rs = query(fx, "sys.database_mirroring", &sysadmin, NULL, 0, NULL, 0);
    assert_text(rs, 4, "mirroring_state_desc", "DISCONNECTED");
    assert_text(rs, 4, "mirroring_role_desc", "MIRROR");
    assert_true(val(rs, 4, "mirroring_partner_instance")->is_null);
    assert_true(val(rs, 4, "mirroring_witness_name")->is_null);
    assert_text(rs, 4, "mirroring_witness_state_desc", "UNKNOWN");
    mk_rowset_free(rs);
    cat_set_link_source(fx->base.db, NULL, NULL);
}

static size_t count_where(q_fx *fx, const char *view, const cat_filter *f, size_t nf)
{
    mk_rowset *rs = query(fx, view, &sysadmin, NULL, 0, f, nf);
    size_t n = mk_rowset_nrows(rs);
    mk_rowset_free(rs);
    return n;
}

#define STR(x)                                                                                     \
    {                                                                                              \
        .kind = CAT_LIT_STRING, .s = (x)                                                           \
    }
#define NUM(x)                                                                                     \
    {                                                                                              \
        .kind = CAT_LIT_INT, .i = (x)                                                              \
    }

static void test_text_filters(void **state)
{
    q_fx *fx = *state;
    cat_filter f = {"name", CAT_OP_EQ, STR("host_a_CERT")};
    assert_int_equal(count_where(fx, "sys.certificates", &f, 1), 1);
    f.value.s = "HOST_A_cert   "; /* trailing spaces do not matter */
    assert_int_equal(count_where(fx, "sys.certificates", &f, 1), 1);
    f.value.s = "HOST_A_cer";
    assert_int_equal(count_where(fx, "sys.certificates", &f, 1), 0);
    f.op = CAT_OP_NE;
    f.value.s = "HOST_A_cert";
    mk_rowset *rs = query(fx, "sys.certificates", &sysadmin, NULL, 0, &f, 1);
    assert_int_equal(mk_rowset_nrows(rs), 1);
    assert_text(rs, 0, "name", "HOST_B_cert");
    mk_rowset_free(rs);
    /* char(4) 'CO  ' matches 'CO'. */
    cat_filter t = {"type", CAT_OP_EQ, STR("co")};
    assert_int_equal(count_where(fx, "sys.server_permissions", &t, 1), 1);
}

static void test_numeric_and_null_filters(void **state)
{
    q_fx *fx = *state;
    cat_filter f = {"certificate_id", CAT_OP_EQ, NUM(fx->cert_b)};
    assert_int_equal(count_where(fx, "sys.certificates", &f, 1), 1);
    cat_filter s = {"certificate_id", CAT_OP_EQ, STR(" 256 ")}; /* converts like SQL Server */
    assert_int_equal(count_where(fx, "sys.certificates", &s, 1), 1);
    cat_filter two[2] = {{"type", CAT_OP_EQ, STR("R")}, {"is_fixed_role", CAT_OP_EQ, NUM(5)}};
    assert_int_equal(count_where(fx, "sys.server_principals", two, 2), 8); /* bit: 5 -> 1 */
    two[1].value = (cat_literal)STR("TRUE");
    assert_int_equal(count_where(fx, "sys.server_principals", two, 2), 8);
    two[1].value = (cat_literal)STR("false");
    assert_int_equal(count_where(fx, "sys.server_principals", two, 2), 1); /* public */

    cat_filter n = {"default_database_name", CAT_OP_IS_NULL, {0}};
    assert_int_equal(count_where(fx, "sys.server_principals", &n, 1), 9);
    n.op = CAT_OP_IS_NOT_NULL;
    assert_int_equal(count_where(fx, "sys.server_principals", &n, 1), 3);
    /* ANSI_NULLS: = NULL and <> NULL are never true. */
    n.op = CAT_OP_EQ;
    n.value.kind = CAT_LIT_NULL;
    assert_int_equal(count_where(fx, "sys.server_principals", &n, 1), 0);
    n.op = CAT_OP_NE;
    assert_int_equal(count_where(fx, "sys.server_principals", &n, 1), 0);
    /* A NULL column value never equals nor differs from a literal. */
    cat_filter ne = {"default_database_name", CAT_OP_NE, STR("x")};
    assert_int_equal(count_where(fx, "sys.server_principals", &ne, 1), 3);
}

static void test_binary_and_datetime_filters(void **state)
{
    q_fx *fx = *state;
    cat_filter f = {
        "thumbprint", CAT_OP_EQ, {.kind = CAT_LIT_BINARY, .bytes = fx->thumb_a, .len = 20}};
    mk_rowset *rs = query(fx, "sys.certificates", &sysadmin, NULL, 0, &f, 1);
    assert_int_equal(mk_rowset_nrows(rs), 1);
    assert_text(rs, 0, "name", "HOST_A_cert");
    mk_rowset_free(rs);
    f.value.len = 19;
    assert_int_equal(count_where(fx, "sys.certificates", &f, 1), 0);
    cat_filter d = {"expiry_date", CAT_OP_EQ, {.kind = CAT_LIT_DATETIME, .i = fx->expiry_a}};
    assert_true(count_where(fx, "sys.certificates", &d, 1) >= 1);
    /* One second earlier: no certificate expires then (HOST_B_cert, made after HOST_A_cert,
     * may expire exactly one second later when the logins between them are slow). */
    d.value.i -= 1000;
    assert_int_equal(count_where(fx, "sys.certificates", &d, 1), 0);
}

static void expect_query_error(q_fx *fx, const char *view, const char *const *cols, size_t ncols,
                               const cat_filter *f, size_t nf, mk_err code, cat_reason reason)
{
    mk_rowset *rs = (mk_rowset *)1;
    assert_cat_fail(
        cat_query(fx->base.db, cat_view_find_name(view), &sysadmin, cols, ncols, f, nf, &rs), code,
        reason);
    assert_null(rs);
}

static void test_type_errors(void **state)
{
    q_fx *fx = *state;
    cat_filter f = {"certificate_id", CAT_OP_EQ, STR("abc")};
    expect_query_error(fx, "sys.certificates", NULL, 0, &f, 1, MK_E_INVALID, CAT_R_CONVERSION);
    assert_string_equal(cat_error_object(), "abc");
    f.value.s = "99999999999"; /* over int */
    expect_query_error(fx, "sys.certificates", NULL, 0, &f, 1, MK_E_INVALID, CAT_R_CONVERSION);
    cat_filter bit = {"is_fixed_role", CAT_OP_EQ, STR("maybe")};
    expect_query_error(fx, "sys.server_principals", NULL, 0, &bit, 1, MK_E_INVALID,
                       CAT_R_CONVERSION);
    /* An int literal against a text column converts each value: 'sa' does not. */
    cat_filter t = {"name", CAT_OP_EQ, NUM(5)};
    expect_query_error(fx, "sys.server_principals", NULL, 0, &t, 1, MK_E_INVALID, CAT_R_CONVERSION);
    assert_string_equal(cat_error_object(), "sa");
    assert_non_null(strstr(mk_error_message(), "Conversion failed"));

    static const uint8_t bytes[] = {1};
    cat_filter clash[] = {
        {"thumbprint", CAT_OP_EQ, STR("x")},
        {"certificate_id", CAT_OP_EQ, {.kind = CAT_LIT_BINARY, .bytes = bytes, .len = 1}},
        {"name", CAT_OP_EQ, {.kind = CAT_LIT_BINARY, .bytes = bytes, .len = 1}},
        {"expiry_date", CAT_OP_EQ, STR("2030-01-01")},
        {"expiry_date", CAT_OP_EQ, NUM(5)},
        {"certificate_id", CAT_OP_EQ, {.kind = CAT_LIT_DATETIME, .i = 5}},
    };
    for (size_t i = 0; i < sizeof(clash) / sizeof(clash[0]); i++) {
        expect_query_error(fx, "sys.certificates", NULL, 0, &clash[i], 1, MK_E_INVALID,
                           CAT_R_TYPE_CLASH);
    }
    cat_filter op = {"name", (cat_op)9, STR("x")};
    expect_query_error(fx, "sys.certificates", NULL, 0, &op, 1, MK_E_INVALID, CAT_R_NONE);
    cat_filter nulls = {"name", CAT_OP_EQ, {.kind = CAT_LIT_STRING, .s = NULL}};
    expect_query_error(fx, "sys.certificates", NULL, 0, &nulls, 1, MK_E_INVALID, CAT_R_NONE);
}

static void test_column_lists_and_unknown_columns(void **state)
{
    q_fx *fx = *state;
    const char *cols[] = {"NAME", "name", "certificate_id"};
    mk_rowset *rs = query(fx, "sys.certificates", &sysadmin, cols, 3, NULL, 0);
    assert_int_equal(mk_rowset_ncols(rs), 3);
    assert_string_equal(mk_rowset_column(rs, 0)->name, "name"); /* the view's spelling */
    assert_int_equal(mk_rowset_column(rs, 2)->type, MK_T_INT);
    assert_string_equal((const char *)mk_rowset_value(rs, 0, 1)->bytes, "HOST_A_cert");
    mk_rowset_free(rs);

    const char *bad[] = {"name", "nocol"};
    expect_query_error(fx, "sys.certificates", bad, 2, NULL, 0, MK_E_NOT_FOUND,
                       CAT_R_UNKNOWN_COLUMN);
    assert_string_equal(cat_error_object(), "nocol");
    assert_string_equal(mk_error_message(), "Invalid column name 'nocol'.");
    cat_filter f = {"other", CAT_OP_EQ, STR("x")};
    expect_query_error(fx, "sys.certificates", NULL, 0, &f, 1, MK_E_NOT_FOUND,
                       CAT_R_UNKNOWN_COLUMN);
    assert_string_equal(cat_error_object(), "other");
    /* The select list is checked before the WHERE clause. */
    expect_query_error(fx, "sys.certificates", bad, 2, &f, 1, MK_E_NOT_FOUND, CAT_R_UNKNOWN_COLUMN);
    assert_string_equal(cat_error_object(), "nocol");
    const char *nullcol[] = {NULL};
    expect_query_error(fx, "sys.certificates", nullcol, 1, NULL, 0, MK_E_NOT_FOUND,
                       CAT_R_UNKNOWN_COLUMN);

    /* No match: an empty rowset that still describes its columns. */
    cat_filter none = {"name", CAT_OP_EQ, STR("nothing")};
    rs = query(fx, "sys.certificates", &sysadmin, cols, 3, &none, 1);
    assert_int_equal(mk_rowset_nrows(rs), 0);
    assert_int_equal(mk_rowset_ncols(rs), 3);
    mk_rowset_free(rs);
}

static void test_argument_errors(void **state)
{
    q_fx *fx = *state;
    mk_rowset *rs = NULL;
    const cat_view *v = cat_view_find_name("sys.certificates");
    const char *cols[] = {"name"};
    assert_cat_fail(cat_query(fx->base.db, NULL, &sysadmin, NULL, 0, NULL, 0, &rs), MK_E_INVALID,
                    CAT_R_NONE);
    assert_cat_fail(cat_query(fx->base.db, v, NULL, NULL, 0, NULL, 0, &rs), MK_E_INVALID,
                    CAT_R_NONE);
    assert_cat_fail(cat_query(fx->base.db, v, &sysadmin, cols, 0, NULL, 0, &rs), MK_E_INVALID,
                    CAT_R_NONE);
    assert_cat_fail(cat_query(fx->base.db, v, &sysadmin, NULL, 0, NULL, 1, &rs), MK_E_INVALID,
                    CAT_R_NONE);
    cat_filter many[CAT_QUERY_MAX_FILTERS + 1];
    for (size_t i = 0; i <= CAT_QUERY_MAX_FILTERS; i++) {
        many[i] = (cat_filter){"name", CAT_OP_IS_NOT_NULL, {0}};
    }
    assert_cat_fail(
        cat_query(fx->base.db, v, &sysadmin, NULL, 0, many, CAT_QUERY_MAX_FILTERS + 1, &rs),
        MK_E_INVALID, CAT_R_NONE);
    assert_cat_ok(cat_query(fx->base.db, v, &sysadmin, NULL, 0, many, CAT_QUERY_MAX_FILTERS, &rs));
    assert_int_equal(mk_rowset_nrows(rs), 2);
    mk_rowset_free(rs);
}

static size_t visible_rows(q_fx *fx, const char *view, const cat_session *who)
{
    mk_rowset *rs = query(fx, view, who, NULL, 0, NULL, 0);
    size_t n = mk_rowset_nrows(rs);
    mk_rowset_free(rs);
    return n;
}

static void test_visibility(void **state)
{
    q_fx *fx = *state;
    cat_session peer = {.is_sysadmin = false, .login_id = fx->peer_login, .user_id = fx->peer_user};
    mk_rowset *rs = query(fx, "sys.server_principals", &peer, NULL, 0, NULL, 0);
    assert_int_equal(mk_rowset_nrows(rs), 1);
    assert_text(rs, 0, "name", "HOST_B_login");
    mk_rowset_free(rs);
    rs = query(fx, "sys.database_principals", &peer, NULL, 0, NULL, 0);
    assert_int_equal(mk_rowset_nrows(rs), 1);
    assert_text(rs, 0, "name", "HOST_B_user");
    mk_rowset_free(rs);
    rs = query(fx, "sys.certificates", &peer, NULL, 0, NULL, 0);
    assert_int_equal(mk_rowset_nrows(rs), 1);
    assert_text(rs, 0, "name", "HOST_B_cert");
    mk_rowset_free(rs);
    assert_int_equal(visible_rows(fx, "sys.sysusers", &peer), 1);
    assert_int_equal(visible_rows(fx, "sys.server_permissions", &peer), 2); /* CO + COSQ */
    assert_int_equal(visible_rows(fx, "sys.endpoints", &peer), 0);
    assert_int_equal(visible_rows(fx, "sys.symmetric_keys", &peer), 0);
    assert_int_equal(visible_rows(fx, "sys.databases", &peer), 0);
    assert_int_equal(visible_rows(fx, "sys.database_mirroring", &peer), 0);

    /* The endpoint's owner sees it without being sysadmin. */
    cat_session owner = {.is_sysadmin = false, .login_id = fx->admin, .user_id = -1};
    assert_int_equal(visible_rows(fx, "sys.endpoints", &owner), 1);
    assert_int_equal(visible_rows(fx, "sys.tcp_endpoints", &owner), 1);
    assert_int_equal(visible_rows(fx, "sys.database_mirroring_endpoints", &owner), 1);
    /* No user in master: nothing at database level. */
    assert_int_equal(visible_rows(fx, "sys.database_principals", &owner), 0);
    assert_int_equal(visible_rows(fx, "sys.certificates", &owner), 0);

    /* dbo (sa's user) sees the master key; sysadmin sees everything. */
    cat_session dbo = {.is_sysadmin = false, .login_id = 1, .user_id = 1};
    assert_int_equal(visible_rows(fx, "sys.symmetric_keys", &dbo), 1);
    assert_int_equal(visible_rows(fx, "sys.server_principals", &sysadmin), 12);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, cat_fx_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_seed_endpoint_query),
        T(test_certificates_view),
        T(test_principals_views),
        T(test_permissions_keys_databases_views),
        T(test_text_filters),
        T(test_numeric_and_null_filters),
        T(test_binary_and_datetime_filters),
        T(test_type_errors),
        T(test_column_lists_and_unknown_columns),
        T(test_argument_errors),
        T(test_visibility),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
