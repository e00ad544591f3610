/*
 * "In use" refusals across objects, each changing nothing, and the seed
 * documents' inbound setup torn down in a valid order.
 */
#include "cat_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/certs.h"
#include "catalog/endpoints.h"
#include "catalog/perms.h"
#include "catalog/principals.h"

typedef struct use_fx {
    cat_fx base;
    int32_t own_cert, other_cert, peer_cert;
    int32_t admin, peer_login, peer_user;
    int32_t ep;
} use_fx;

static MK_RESULT add_cert(cat_db *db, const char *name, int32_t owner, int32_t *id)
{
    uint8_t *der = NULL;
    size_t len = 0;
    cat_fx_make_cert(name, -60, 3600, 0, NULL, 0, &der, &len);
    cat_cert_new c = {.name = name, .owner_id = owner, .der = der, .der_len = len};
    mk_result r = cat_cert_create(db, &c, id);
    free(der);
    return r;
}

/* HOST_A's outbound setup and HOST_B's inbound principals, as in the seeds. */
static int setup(void **state)
{
    if (cat_fx_setup(state) != 0) {
        return -1;
    }
    use_fx *fx = realloc(*state, sizeof(use_fx));
    if (fx == NULL) {
        return -1;
    }
    *state = fx;
    cat_db *db = fx->base.db;
    const uint8_t *pw = (const uint8_t *)"1Sample_Strong_Password!@#";
    bool ok = mk_ok(add_cert(db, "HOST_A_cert", CAT_DEFAULT_OWNER, &fx->own_cert)) &&
              mk_ok(add_cert(db, "HOST_A_cert2", CAT_DEFAULT_OWNER, &fx->other_cert)) &&
              mk_ok(cat_login_create(db, "admin", pw, 26, NULL, &fx->admin)) &&
              mk_ok(cat_login_create(db, "HOST_B_login", pw, 26, NULL, &fx->peer_login)) &&
              mk_ok(cat_user_create_for_login(db, "HOST_B_user", "HOST_B_login", &fx->peer_user)) &&
              mk_ok(add_cert(db, "HOST_B_cert", fx->peer_user, &fx->peer_cert));
    cat_endpoint e = {.owner_id = fx->admin,
                      .state = CAT_EP_STARTED,
                      .port = 7024,
                      .role = CAT_EP_ALL,
                      .encryption_enabled = true,
                      .encryption_algorithm = CAT_EP_ALG_AES,
                      .connection_auth = CAT_EP_AUTH_CERTIFICATE,
                      .certificate_id = fx->own_cert};
    snprintf(e.name, sizeof(e.name), "%s", "Endpoint_Mirroring");
    ok = ok && mk_ok(cat_endpoint_create(db, &e, &fx->ep));
    cat_perm p = {.type = CAT_PERM_CONNECT,
                  .major_id = fx->ep,
                  .grantee_id = fx->peer_login,
                  .grantor_id = fx->admin};
    ok = ok && mk_ok(cat_perm_set(db, &p, CAT_PERM_GRANT));
    return ok ? 0 : -1;
}

static void test_cert_used_by_endpoint(void **state)
{
    use_fx *fx = *state;
    assert_unchanged(&fx->base, cat_cert_drop(fx->base.db, "HOST_A_cert"), MK_E_STATE,
                     CAT_R_CERT_USED_BY_ENDPOINT);
    assert_string_equal(cat_error_object(), "Endpoint_Mirroring");
    assert_non_null(strstr(mk_error_message(), "Endpoint_Mirroring"));
    cat_endpoint v = {.connection_auth = CAT_EP_AUTH_CERTIFICATE, .certificate_id = fx->other_cert};
    assert_cat_ok(cat_endpoint_alter(fx->base.db, "Endpoint_Mirroring", &v, CAT_EPF_AUTH));
    assert_cat_ok(cat_cert_drop(fx->base.db, "HOST_A_cert"));
    assert_unchanged(&fx->base, cat_cert_drop(fx->base.db, "HOST_A_cert2"), MK_E_STATE,
                     CAT_R_CERT_USED_BY_ENDPOINT);
    assert_cat_ok(cat_endpoint_drop(fx->base.db, "Endpoint_Mirroring"));
    assert_cat_ok(cat_cert_drop(fx->base.db, "HOST_A_cert2"));
}

static void test_login_owns_endpoint(void **state)
{
    use_fx *fx = *state;
    /* admin is also the grantor of HOST_B's CONNECT: revoke it so only ownership remains. */
    cat_perm p = {.type = CAT_PERM_CONNECT, .major_id = fx->ep, .grantee_id = fx->peer_login};
    assert_cat_ok(cat_perm_revoke(fx->base.db, &p, NULL));
    assert_unchanged(&fx->base, cat_login_drop(fx->base.db, "admin"), MK_E_STATE,
                     CAT_R_LOGIN_OWNS_ENDPOINT);
    assert_string_equal(cat_error_object(), "Endpoint_Mirroring");
    cat_endpoint v = {.owner_id = CAT_SA_ID};
    assert_cat_ok(cat_endpoint_alter(fx->base.db, "Endpoint_Mirroring", &v, CAT_EPF_OWNER));
    assert_cat_ok(cat_login_drop(fx->base.db, "admin"));
}

static void test_login_has_granted(void **state)
{
    use_fx *fx = *state;
    cat_endpoint v = {.owner_id = CAT_SA_ID};
    assert_cat_ok(cat_endpoint_alter(fx->base.db, "Endpoint_Mirroring", &v, CAT_EPF_OWNER));
    assert_unchanged(&fx->base, cat_login_drop(fx->base.db, "admin"), MK_E_STATE,
                     CAT_R_LOGIN_HAS_GRANTED);
    cat_perm p = {.type = CAT_PERM_CONNECT, .major_id = fx->ep, .grantee_id = fx->peer_login};
    assert_cat_ok(cat_perm_revoke(fx->base.db, &p, NULL));
    assert_cat_ok(cat_login_drop(fx->base.db, "admin"));
}

static void test_login_mapped_by_user(void **state)
{
    use_fx *fx = *state;
    assert_unchanged(&fx->base, cat_login_drop(fx->base.db, "HOST_B_login"), MK_E_STATE,
                     CAT_R_LOGIN_HAS_USER);
    assert_string_equal(cat_error_object(), "HOST_B_user");
}

static void test_user_owns_certificate(void **state)
{
    use_fx *fx = *state;
    assert_unchanged(&fx->base, cat_user_drop(fx->base.db, "HOST_B_user"), MK_E_STATE,
                     CAT_R_USER_OWNS_CERT);
    assert_string_equal(cat_error_object(), "HOST_B_cert");
}

static void test_inbound_teardown_in_order(void **state)
{
    use_fx *fx = *state;
    cat_db *db = fx->base.db;
    bool allowed = false;
    assert_cat_ok(cat_perm_can_connect(db, fx->peer_login, fx->ep, &allowed));
    assert_true(allowed);
    /* Peer authentication path: DER -> certificate -> owner user -> login. */
    cat_cert c;
    int32_t login = 0;
    assert_cat_ok(cat_cert_get_by_id(db, fx->peer_cert, &c));
    assert_cat_ok(cat_login_for_user(db, c.principal_id, &login));
    assert_int_equal(login, fx->peer_login);
    cat_cert_cleanup(&c);

    assert_cat_ok(cat_cert_drop(db, "HOST_B_cert"));
    assert_cat_ok(cat_user_drop(db, "HOST_B_user"));
    assert_cat_ok(cat_login_drop(db, "HOST_B_login"));
    assert_cat_ok(cat_perm_can_connect(db, fx->peer_login, fx->ep, &allowed));
    assert_false(allowed);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, cat_fx_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_cert_used_by_endpoint), T(test_login_owns_endpoint),
        T(test_login_has_granted),     T(test_login_mapped_by_user),
        T(test_user_owns_certificate), T(test_inbound_teardown_in_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
