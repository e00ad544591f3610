/*
 * Server permissions: GRANT / DENY / REVOKE rows and effective CONNECT on
 * the endpoint (DENY beats GRANT, public and roles count, sysadmin bypass,
 * disabled logins refused), cleanup on drops.
 */
#include "cat_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/certs.h"
#include "catalog/endpoints.h"
#include "catalog/perms.h"
#include "catalog/principals.h"
#include "catalog/views.h"

typedef struct perm_fx {
    cat_fx base;
    int32_t ep;
    int32_t owner, peer, other;
} perm_fx;

static int setup(void **state)
{
    if (cat_fx_setup(state) != 0) {
        return -1;
    }
    perm_fx *fx = realloc(*state, sizeof(perm_fx));
    if (fx == NULL) {
        return -1;
    }
    *state = fx;
    cat_db *db = fx->base.db;
    uint8_t *der = NULL;
    size_t len = 0;
    int32_t cert = 0;
    cat_fx_make_cert("HOST_A", -60, 3600, 0, NULL, 0, &der, &len);
    cat_cert_new c = {
        .name = "HOST_A_cert", .owner_id = CAT_DEFAULT_OWNER, .der = der, .der_len = len};
    bool ok = mk_ok(cat_cert_create(db, &c, &cert));
    free(der);
    const uint8_t *pw = (const uint8_t *)"x";
    ok = ok && mk_ok(cat_login_create(db, "owner_login", pw, 1, NULL, &fx->owner)) &&
         mk_ok(cat_login_create(db, "HOST_B_login", pw, 1, NULL, &fx->peer)) &&
         mk_ok(cat_login_create(db, "HOST_C_login", pw, 1, NULL, &fx->other));
    cat_endpoint e = {.owner_id = fx->owner,
                      .state = CAT_EP_STARTED,
                      .port = 7024,
                      .role = CAT_EP_ALL,
                      .encryption_enabled = true,
                      .encryption_algorithm = CAT_EP_ALG_AES,
                      .connection_auth = CAT_EP_AUTH_CERTIFICATE,
                      .certificate_id = cert};
    snprintf(e.name, sizeof(e.name), "%s", "Endpoint_Mirroring");
    ok = ok && mk_ok(cat_endpoint_create(db, &e, &fx->ep));
    return ok ? 0 : -1;
}

static cat_perm connect_perm(const perm_fx *fx, int32_t grantee)
{
    return (cat_perm){.type = CAT_PERM_CONNECT,
                      .major_id = fx->ep,
                      .grantee_id = grantee,
                      .grantor_id = fx->owner};
}

static bool can(perm_fx *fx, int32_t login)
{
    bool allowed = true;
    assert_cat_ok(cat_perm_can_connect(fx->base.db, login, fx->ep, &allowed));
    return allowed;
}

static char state_of(perm_fx *fx, int32_t grantee)
{
    char s = '?';
    assert_cat_ok(cat_perm_get(fx->base.db, CAT_PERM_CONNECT, fx->ep, grantee, &s));
    return s;
}

static size_t endpoint_perm_rows(perm_fx *fx)
{
    const cat_view *v = cat_view_find_name("sys.server_permissions");
    cat_session admin = {.is_sysadmin = true};
    cat_filter f = {.column = "class", .op = CAT_OP_EQ, .value = {.kind = CAT_LIT_INT, .i = 105}};
    mk_rowset *rs = NULL;
    assert_cat_ok(cat_query(fx->base.db, v, &admin, NULL, 0, &f, 1, &rs));
    size_t n = mk_rowset_nrows(rs);
    mk_rowset_free(rs);
    return n;
}

static void test_grant_deny_revoke(void **state)
{
    perm_fx *fx = *state;
    cat_perm p = connect_perm(fx, fx->peer);
    assert_false(can(fx, fx->peer));
    assert_int_equal(state_of(fx, fx->peer), '\0');

    assert_cat_ok(cat_perm_set(fx->base.db, &p, CAT_PERM_GRANT));
    assert_true(can(fx, fx->peer));
    assert_false(can(fx, fx->other));
    assert_int_equal(state_of(fx, fx->peer), 'G');

    /* DENY replaces the grantee's GRANT row (one row, now D). */
    assert_cat_ok(cat_perm_set(fx->base.db, &p, CAT_PERM_DENY));
    assert_int_equal(state_of(fx, fx->peer), 'D');
    assert_int_equal(endpoint_perm_rows(fx), 1);
    assert_false(can(fx, fx->peer));

    assert_cat_ok(cat_perm_set(fx->base.db, &p, CAT_PERM_GRANT));
    assert_true(can(fx, fx->peer));

    bool removed = false;
    assert_cat_ok(cat_perm_revoke(fx->base.db, &p, &removed));
    assert_true(removed);
    assert_false(can(fx, fx->peer));
    assert_int_equal(endpoint_perm_rows(fx), 0);
    assert_cat_ok(cat_perm_revoke(fx->base.db, &p, &removed)); /* REVOKE of nothing */
    assert_false(removed);

    assert_cat_ok(cat_perm_set(fx->base.db, &p, CAT_PERM_GRANT_WITH_GRANT));
    assert_int_equal(state_of(fx, fx->peer), 'W');
    assert_true(can(fx, fx->peer));
}

static void test_deny_through_public_or_role_beats_grant(void **state)
{
    perm_fx *fx = *state;
    cat_perm p = connect_perm(fx, fx->peer);
    cat_perm pub = connect_perm(fx, CAT_PUBLIC_SERVER_ROLE_ID);
    assert_cat_ok(cat_perm_set(fx->base.db, &p, CAT_PERM_GRANT));
    assert_cat_ok(cat_perm_set(fx->base.db, &pub, CAT_PERM_DENY));
    assert_false(can(fx, fx->peer));
    assert_cat_ok(cat_perm_revoke(fx->base.db, &pub, NULL));
    assert_true(can(fx, fx->peer));

    assert_cat_ok(cat_server_role_add_member(fx->base.db, "dbcreator", "HOST_B_login"));
    cat_perm role = connect_perm(fx, 9); /* dbcreator */
    assert_cat_ok(cat_perm_set(fx->base.db, &role, CAT_PERM_DENY));
    assert_false(can(fx, fx->peer));
    assert_cat_ok(cat_server_role_drop_member(fx->base.db, "dbcreator", "HOST_B_login"));
    assert_true(can(fx, fx->peer));
}

static void test_grant_to_public(void **state)
{
    perm_fx *fx = *state;
    cat_perm pub = connect_perm(fx, CAT_PUBLIC_SERVER_ROLE_ID);
    assert_cat_ok(cat_perm_set(fx->base.db, &pub, CAT_PERM_GRANT));
    assert_true(can(fx, fx->peer));
    assert_true(can(fx, fx->other));
    cat_perm p = connect_perm(fx, fx->other);
    assert_cat_ok(cat_perm_set(fx->base.db, &p, CAT_PERM_DENY));
    assert_false(can(fx, fx->other));
    assert_true(can(fx, fx->peer));
}

static void test_disabled_sysadmin_and_unknowns(void **state)
{
    perm_fx *fx = *state;
    cat_perm p = connect_perm(fx, fx->peer);
    assert_cat_ok(cat_perm_set(fx->base.db, &p, CAT_PERM_GRANT));
    assert_cat_ok(cat_login_set_disabled(fx->base.db, "HOST_B_login", true));
    assert_false(can(fx, fx->peer));
    assert_cat_ok(cat_login_set_disabled(fx->base.db, "HOST_B_login", false));
    assert_true(can(fx, fx->peer));

    /* sysadmin members are not checked, even against a DENY. */
    assert_cat_ok(cat_server_role_add_member(fx->base.db, "sysadmin", "HOST_C_login"));
    assert_true(can(fx, fx->other));
    cat_perm d = connect_perm(fx, fx->other);
    assert_cat_ok(cat_perm_set(fx->base.db, &d, CAT_PERM_DENY));
    assert_true(can(fx, fx->other));
    assert_cat_ok(cat_login_set_disabled(fx->base.db, "HOST_C_login", true));
    assert_false(can(fx, fx->other)); /* but a disabled login never connects */

    assert_false(can(fx, 4242));
    assert_false(can(fx, CAT_SYSADMIN_ID)); /* a role is not a login */
    bool allowed = true;
    assert_cat_ok(cat_perm_can_connect(fx->base.db, fx->peer, 1, &allowed));
    assert_false(allowed);
}

static void test_errors_change_nothing(void **state)
{
    perm_fx *fx = *state;
    cat_db *db = fx->base.db;
    cat_perm p = connect_perm(fx, fx->peer);
    p.major_id = 1;
    assert_unchanged(&fx->base, cat_perm_set(db, &p, CAT_PERM_GRANT), MK_E_NOT_FOUND,
                     CAT_R_ENDPOINT_MISSING);
    assert_unchanged(&fx->base, cat_perm_revoke(db, &p, NULL), MK_E_NOT_FOUND,
                     CAT_R_ENDPOINT_MISSING);
    p = connect_perm(fx, 4242);
    assert_unchanged(&fx->base, cat_perm_set(db, &p, CAT_PERM_GRANT), MK_E_NOT_FOUND,
                     CAT_R_PRINCIPAL_MISSING);
    assert_unchanged(&fx->base, cat_perm_revoke(db, &p, NULL), MK_E_NOT_FOUND,
                     CAT_R_PRINCIPAL_MISSING);
    p = connect_perm(fx, fx->peer);
    p.grantor_id = 4242;
    assert_unchanged(&fx->base, cat_perm_set(db, &p, CAT_PERM_GRANT), MK_E_NOT_FOUND,
                     CAT_R_PRINCIPAL_MISSING);
    p = connect_perm(fx, fx->peer);
    assert_unchanged(&fx->base, cat_perm_set(db, &p, (cat_perm_state)'X'), MK_E_INVALID,
                     CAT_R_NONE);
    p.type = (cat_perm_type)7;
    assert_unchanged(&fx->base, cat_perm_set(db, &p, CAT_PERM_GRANT), MK_E_INVALID, CAT_R_NONE);
    p = connect_perm(fx, fx->peer);
    p.type = CAT_PERM_CONNECT_SQL; /* major_id must be 0 for the server */
    assert_unchanged(&fx->base, cat_perm_set(db, &p, CAT_PERM_GRANT), MK_E_INVALID, CAT_R_NONE);
    assert_unchanged(&fx->base, cat_perm_set(db, NULL, CAT_PERM_GRANT), MK_E_INVALID, CAT_R_NONE);
    char s = 0;
    assert_cat_fail(cat_perm_get(db, (cat_perm_type)7, 0, fx->peer, &s), MK_E_INVALID, CAT_R_NONE);
}

static void test_connect_sql(void **state)
{
    perm_fx *fx = *state;
    char s = 0;
    assert_cat_ok(cat_perm_get(fx->base.db, CAT_PERM_CONNECT_SQL, 0, fx->peer, &s));
    assert_int_equal(s, 'G');
    cat_perm p = {.type = CAT_PERM_CONNECT_SQL, .grantee_id = fx->peer, .grantor_id = 1};
    assert_cat_ok(cat_perm_set(fx->base.db, &p, CAT_PERM_DENY));
    assert_cat_ok(cat_perm_get(fx->base.db, CAT_PERM_CONNECT_SQL, 0, fx->peer, &s));
    assert_int_equal(s, 'D');
    /* CONNECT SQL is not CONNECT on the endpoint. */
    assert_false(can(fx, fx->peer));
}

static void test_rows_go_with_endpoint_and_login(void **state)
{
    perm_fx *fx = *state;
    cat_perm a = connect_perm(fx, fx->peer), b = connect_perm(fx, fx->other);
    assert_cat_ok(cat_perm_set(fx->base.db, &a, CAT_PERM_GRANT));
    assert_cat_ok(cat_perm_set(fx->base.db, &b, CAT_PERM_DENY));
    assert_int_equal(endpoint_perm_rows(fx), 2);
    size_t all = cat_fx_count(fx->base.db, "sys.server_permissions");
    assert_cat_ok(cat_login_drop(fx->base.db, "HOST_B_login"));
    assert_int_equal(endpoint_perm_rows(fx), 1);
    /* Its CONNECT on the endpoint and its CONNECT SQL both went. */
    assert_int_equal(cat_fx_count(fx->base.db, "sys.server_permissions"), all - 2);
    assert_cat_ok(cat_endpoint_drop(fx->base.db, "Endpoint_Mirroring"));
    assert_int_equal(endpoint_perm_rows(fx), 0);
    assert_int_equal(cat_fx_count(fx->base.db, "sys.server_permissions"), all - 3);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, cat_fx_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_grant_deny_revoke),
        T(test_deny_through_public_or_role_beats_grant),
        T(test_grant_to_public),
        T(test_disabled_sysadmin_and_unknowns),
        T(test_errors_change_nothing),
        T(test_connect_sql),
        T(test_rows_go_with_endpoint_and_login),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
