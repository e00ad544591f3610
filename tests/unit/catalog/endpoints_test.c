/*
 * The mirroring endpoint: create (one only), validation, ALTER of named
 * fields, drop, lookups.
 */
#include "cat_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/certs.h"
#include "catalog/endpoints.h"
#include "catalog/principals.h"

typedef struct ep_fx {
    cat_fx base;
    int32_t cert_a, cert_b;
    int32_t admin;
} ep_fx;

static int setup(void **state)
{
    if (cat_fx_setup(state) != 0) {
        return -1;
    }
    ep_fx *fx = realloc(*state, sizeof(ep_fx));
    if (fx == NULL) {
        return -1;
    }
    *state = fx;
    const char *names[] = {"HOST_A_cert", "HOST_A_cert2"};
    int32_t *ids[] = {&fx->cert_a, &fx->cert_b};
    for (size_t i = 0; i < 2; i++) {
        uint8_t *der = NULL;
        size_t len = 0;
        cat_fx_make_cert(names[i], -60, 3600, 0, NULL, 0, &der, &len);
        cat_cert_new c = {
            .name = names[i], .owner_id = CAT_DEFAULT_OWNER, .der = der, .der_len = len};
        if (mk_failed(cat_cert_create(fx->base.db, &c, ids[i]))) {
            return -1;
        }
        free(der);
    }
    if (mk_failed(
            cat_login_create(fx->base.db, "admin", (const uint8_t *)"x", 1, NULL, &fx->admin))) {
        return -1;
    }
    return 0;
}

/* The seed's endpoint: STARTED, port 7024, ALL, CERTIFICATE, REQUIRED AES, ROLE = ALL. */
static cat_endpoint seed_endpoint(const ep_fx *fx)
{
    cat_endpoint e = {
        .owner_id = fx->admin,
        .state = CAT_EP_STARTED,
        .port = 7024,
        .role = CAT_EP_ALL,
        .encryption_enabled = true,
        .encryption_algorithm = CAT_EP_ALG_AES,
        .connection_auth = CAT_EP_AUTH_CERTIFICATE,
        .certificate_id = fx->cert_a,
    };
    snprintf(e.name, sizeof(e.name), "%s", "Endpoint_Mirroring");
    return e;
}

static void test_create_and_get(void **state)
{
    ep_fx *fx = *state;
    cat_endpoint e = seed_endpoint(fx), got;
    bool found = true;
    assert_cat_ok(cat_endpoint_get_mirroring(fx->base.db, &got, &found));
    assert_false(found);
    int32_t id = 0;
    assert_cat_ok(cat_endpoint_create(fx->base.db, &e, &id));
    assert_int_equal(id, CAT_FIRST_ENDPOINT_ID);
    assert_cat_ok(cat_endpoint_get(fx->base.db, "endpoint_mirroring", &got));
    assert_int_equal(got.endpoint_id, id);
    assert_string_equal(got.name, "Endpoint_Mirroring");
    assert_int_equal(got.owner_id, fx->admin);
    assert_int_equal(got.state, CAT_EP_STARTED);
    assert_int_equal(got.port, 7024);
    assert_string_equal(got.ip_address, "");
    assert_int_equal(got.role, CAT_EP_ALL);
    assert_true(got.encryption_enabled);
    assert_int_equal(got.encryption_algorithm, CAT_EP_ALG_AES);
    assert_int_equal(got.connection_auth, CAT_EP_AUTH_CERTIFICATE);
    assert_int_equal(got.certificate_id, fx->cert_a);
    assert_cat_ok(cat_endpoint_get_by_id(fx->base.db, id, &got));
    assert_string_equal(got.name, "Endpoint_Mirroring");
    assert_cat_ok(cat_endpoint_get_mirroring(fx->base.db, &got, &found));
    assert_true(found);
    assert_int_equal(got.endpoint_id, id);
}

static void test_only_one_mirroring_endpoint(void **state)
{
    ep_fx *fx = *state;
    cat_endpoint e = seed_endpoint(fx);
    assert_cat_ok(cat_endpoint_create(fx->base.db, &e, NULL));
    cat_endpoint other = seed_endpoint(fx);
    snprintf(other.name, sizeof(other.name), "%s", "Second");
    other.port = 7025;
    assert_unchanged(&fx->base, cat_endpoint_create(fx->base.db, &other, NULL), MK_E_EXISTS,
                     CAT_R_ENDPOINT_TYPE_EXISTS);
    assert_string_equal(cat_error_object(), "Endpoint_Mirroring");
    assert_unchanged(&fx->base, cat_endpoint_create(fx->base.db, &e, NULL), MK_E_EXISTS,
                     CAT_R_ENDPOINT_TYPE_EXISTS);
}

static void expect_invalid(ep_fx *fx, cat_endpoint e)
{
    assert_unchanged(&fx->base, cat_endpoint_create(fx->base.db, &e, NULL), MK_E_INVALID,
                     CAT_R_NONE);
}

static void test_create_validation(void **state)
{
    ep_fx *fx = *state;
    cat_endpoint e = seed_endpoint(fx);
    e.name[0] = '\0';
    expect_invalid(fx, e);
    e = seed_endpoint(fx), e.state = 3;
    expect_invalid(fx, e);
    e = seed_endpoint(fx), e.port = 0;
    expect_invalid(fx, e);
    e = seed_endpoint(fx), e.port = 65536;
    expect_invalid(fx, e);
    e = seed_endpoint(fx), snprintf(e.ip_address, sizeof(e.ip_address), "%s", "999.1.1.1");
    expect_invalid(fx, e);
    e = seed_endpoint(fx), e.role = 4;
    expect_invalid(fx, e);
    e = seed_endpoint(fx), e.encryption_algorithm = 9;
    expect_invalid(fx, e);
    e = seed_endpoint(fx), e.encryption_enabled = false; /* algorithm still AES */
    expect_invalid(fx, e);
    e = seed_endpoint(fx), e.encryption_algorithm = 0; /* enabled without algorithm */
    expect_invalid(fx, e);
    e = seed_endpoint(fx), e.connection_auth = 0;
    expect_invalid(fx, e);
    e = seed_endpoint(fx), e.connection_auth = 11;
    expect_invalid(fx, e);
    e = seed_endpoint(fx), e.certificate_id = 0; /* CERTIFICATE without a certificate */
    expect_invalid(fx, e);
    e = seed_endpoint(fx), e.connection_auth = 3; /* NEGOTIATE with a certificate */
    expect_invalid(fx, e);
    assert_unchanged(&fx->base, cat_endpoint_create(fx->base.db, NULL, NULL), MK_E_INVALID,
                     CAT_R_NONE);

    e = seed_endpoint(fx);
    snprintf(e.ip_address, sizeof(e.ip_address), "%s", "::1");
    e.encryption_algorithm = CAT_EP_ALG_NONE_AES; /* ENCRYPTION = SUPPORTED */
    assert_cat_ok(cat_endpoint_create(fx->base.db, &e, NULL));
}

static void test_create_references(void **state)
{
    ep_fx *fx = *state;
    cat_endpoint e = seed_endpoint(fx);
    e.owner_id = 4242;
    assert_unchanged(&fx->base, cat_endpoint_create(fx->base.db, &e, NULL), MK_E_NOT_FOUND,
                     CAT_R_LOGIN_MISSING);
    e.owner_id = CAT_SYSADMIN_ID; /* a role is not a login */
    assert_unchanged(&fx->base, cat_endpoint_create(fx->base.db, &e, NULL), MK_E_NOT_FOUND,
                     CAT_R_LOGIN_MISSING);
    e = seed_endpoint(fx);
    e.certificate_id = 4242;
    assert_unchanged(&fx->base, cat_endpoint_create(fx->base.db, &e, NULL), MK_E_NOT_FOUND,
                     CAT_R_CERT_MISSING);
}

static void test_alter_named_fields_only(void **state)
{
    ep_fx *fx = *state;
    cat_endpoint e = seed_endpoint(fx), v, got;
    assert_cat_ok(cat_endpoint_create(fx->base.db, &e, NULL));
    memset(&v, 0, sizeof(v)); /* unnamed fields hold junk that must not be applied */
    v.port = 1;
    v.state = CAT_EP_STOPPED;
    assert_cat_ok(cat_endpoint_alter(fx->base.db, "ENDPOINT_MIRRORING", &v, CAT_EPF_STATE));
    assert_cat_ok(cat_endpoint_get(fx->base.db, "Endpoint_Mirroring", &got));
    assert_int_equal(got.state, CAT_EP_STOPPED);
    assert_int_equal(got.port, 7024);
    assert_int_equal(got.certificate_id, fx->cert_a);

    v.port = 5022;
    snprintf(v.ip_address, sizeof(v.ip_address), "%s", "10.0.0.7");
    v.role = CAT_EP_WITNESS;
    v.encryption_enabled = true;
    v.encryption_algorithm = CAT_EP_ALG_NONE_AES;
    v.connection_auth = CAT_EP_AUTH_CERTIFICATE;
    v.certificate_id = fx->cert_b;
    v.owner_id = CAT_SA_ID;
    assert_cat_ok(cat_endpoint_alter(fx->base.db, "Endpoint_Mirroring", &v,
                                     CAT_EPF_PORT | CAT_EPF_IP | CAT_EPF_ROLE | CAT_EPF_ENCRYPTION |
                                         CAT_EPF_AUTH | CAT_EPF_OWNER));
    assert_cat_ok(cat_endpoint_get(fx->base.db, "Endpoint_Mirroring", &got));
    assert_int_equal(got.state, CAT_EP_STOPPED);
    assert_int_equal(got.port, 5022);
    assert_string_equal(got.ip_address, "10.0.0.7");
    assert_int_equal(got.role, CAT_EP_WITNESS);
    assert_int_equal(got.encryption_algorithm, CAT_EP_ALG_NONE_AES);
    assert_int_equal(got.certificate_id, fx->cert_b);
    assert_int_equal(got.owner_id, CAT_SA_ID);

    v.ip_address[0] = '\0'; /* back to LISTENER_IP = ALL */
    assert_cat_ok(cat_endpoint_alter(fx->base.db, "Endpoint_Mirroring", &v, CAT_EPF_IP));
    assert_cat_ok(cat_endpoint_get(fx->base.db, "Endpoint_Mirroring", &got));
    assert_string_equal(got.ip_address, "");
}

static void test_alter_errors(void **state)
{
    ep_fx *fx = *state;
    cat_endpoint e = seed_endpoint(fx), v = seed_endpoint(fx);
    assert_cat_ok(cat_endpoint_create(fx->base.db, &e, NULL));
    assert_unchanged(&fx->base, cat_endpoint_alter(fx->base.db, "Endpoint_Mirroring", &v, 0),
                     MK_E_INVALID, CAT_R_NOTHING_TO_CHANGE);
    assert_unchanged(&fx->base, cat_endpoint_alter(fx->base.db, "Endpoint_Mirroring", &v, 0x100),
                     MK_E_INVALID, CAT_R_NONE);
    assert_unchanged(&fx->base, cat_endpoint_alter(fx->base.db, "noep", &v, CAT_EPF_STATE),
                     MK_E_NOT_FOUND, CAT_R_ENDPOINT_MISSING);
    v.state = 7;
    assert_unchanged(&fx->base,
                     cat_endpoint_alter(fx->base.db, "Endpoint_Mirroring", &v, CAT_EPF_STATE),
                     MK_E_INVALID, CAT_R_NONE);
    v = seed_endpoint(fx);
    v.certificate_id = 4242;
    assert_unchanged(&fx->base,
                     cat_endpoint_alter(fx->base.db, "Endpoint_Mirroring", &v, CAT_EPF_AUTH),
                     MK_E_NOT_FOUND, CAT_R_CERT_MISSING);
    v.owner_id = CAT_SYSADMIN_ID;
    assert_unchanged(&fx->base,
                     cat_endpoint_alter(fx->base.db, "Endpoint_Mirroring", &v, CAT_EPF_OWNER),
                     MK_E_NOT_FOUND, CAT_R_LOGIN_MISSING);
    v.encryption_enabled = false; /* ENCRYPTION = DISABLED needs algorithm NONE (0) too */
    assert_unchanged(&fx->base,
                     cat_endpoint_alter(fx->base.db, "Endpoint_Mirroring", &v, CAT_EPF_ENCRYPTION),
                     MK_E_INVALID, CAT_R_NONE);
    assert_unchanged(&fx->base, cat_endpoint_alter(fx->base.db, NULL, &v, CAT_EPF_STATE),
                     MK_E_INVALID, CAT_R_NONE);
}

static void test_drop(void **state)
{
    ep_fx *fx = *state;
    cat_endpoint e = seed_endpoint(fx), got;
    assert_cat_ok(cat_endpoint_create(fx->base.db, &e, NULL));
    assert_cat_ok(cat_endpoint_drop(fx->base.db, "endpoint_mirroring"));
    assert_cat_fail(cat_endpoint_get(fx->base.db, "Endpoint_Mirroring", &got), MK_E_NOT_FOUND,
                    CAT_R_ENDPOINT_MISSING);
    assert_unchanged(&fx->base, cat_endpoint_drop(fx->base.db, "Endpoint_Mirroring"),
                     MK_E_NOT_FOUND, CAT_R_ENDPOINT_MISSING);
    assert_unchanged(&fx->base, cat_endpoint_drop(fx->base.db, NULL), MK_E_INVALID, CAT_R_NONE);
    /* After the drop a new mirroring endpoint may be created. */
    snprintf(e.name, sizeof(e.name), "%s", "Mirroring2");
    assert_cat_ok(cat_endpoint_create(fx->base.db, &e, NULL));
    assert_cat_fail(cat_endpoint_get_by_id(fx->base.db, 1, &got), MK_E_NOT_FOUND,
                    CAT_R_ENDPOINT_MISSING);
    assert_cat_fail(cat_endpoint_get(fx->base.db, NULL, &got), MK_E_INVALID, CAT_R_NONE);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, cat_fx_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_create_and_get),
        T(test_only_one_mirroring_endpoint),
        T(test_create_validation),
        T(test_create_references),
        T(test_alter_named_fields_only),
        T(test_alter_errors),
        T(test_drop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
