/*
 * CREATE CERTIFICATE ... WITH SUBJECT = 's', ALGORITHM = ... against real
 * tokens (mirrorkey's extension, docs/tsql.md "WITH SUBJECT"):
 *   - every value (RSA_2048, RSA_3072, RSA_4096, EC_P256, EC_P384, in any
 *     case) makes that key pair on the token: sys.certificates.key_length,
 *     the certificate's public key (type, size, curve), the token's private
 *     key (type, size, policy report) and the signature all agree;
 *   - without ALGORITHM the instance's default applies (EC P-256 on an
 *     EC instance, RSA-3072 on an RSA one), and ALGORITHM overrides it;
 *   - an unknown value or a repeated ALGORITHM is 102 and nothing is made.
 */
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "ddl_fixture.h"
#include "p11/keygen.h"

static const char CREATE_MK[] = "CREATE MASTER KEY ENCRYPTION BY PASSWORD = '<1_Strong_Password!>'";

typedef struct expect_key {
    p11_key_type type;
    unsigned bits;
    const char *curve; /* EC: the certificate's curve (OpenSSL group name) */
    int sig_nid;       /* the certificate's signature algorithm */
} expect_key;

/* The certificate `name`: catalog, certificate DER and token key all say `want`. */
static void check_cert_key(fx_inst *i, const char *name, const expect_key *want)
{
    char sql[300];
    char v[REC_CELL];
    char bits[16];
    snprintf(sql, sizeof(sql), "SELECT key_length FROM sys.certificates WHERE name = '%s'", name);
    snprintf(bits, sizeof(bits), "%u", want->bits);
    assert_string_equal(rec_value(i->admin, sql, "key_length", v, sizeof(v)), bits);

    cat_cert c;
    memset(&c, 0, sizeof(c));
    FX_OK(cat_cert_get_by_name(i->db, name, &c));
    const unsigned char *p = c.der;
    X509 *x = d2i_X509(NULL, &p, (long)c.der_len);
    assert_non_null(x);
    EVP_PKEY *pub = X509_get0_pubkey(x);
    assert_non_null(pub);
    assert_int_equal(EVP_PKEY_get_base_id(pub),
                     want->type == P11_KEY_RSA ? EVP_PKEY_RSA : EVP_PKEY_EC);
    assert_int_equal(EVP_PKEY_get_bits(pub), (int)want->bits);
    if (want->curve != NULL) {
        char group[64] = "";
        assert_int_equal(EVP_PKEY_get_group_name(pub, group, sizeof(group), NULL), 1);
        assert_string_equal(group, want->curve);
    }
    assert_int_equal(X509_get_signature_nid(x), want->sig_nid);
    assert_int_equal(X509_verify(x, pub), 1);
    X509_free(x);

    p11_key *key = NULL;
    FX_OK(p11_key_find_by_id(i->tok, c.token_id, c.token_id_len, &key));
    assert_int_equal(p11_key_get_type(key), want->type);
    assert_int_equal(p11_key_bits(key), want->bits);
    p11_policy_report report;
    FX_OK(p11_key_policy_check(key, &report));
    assert_true(report.pass);
    p11_key_unref(key);
    cat_cert_cleanup(&c);
}

static void test_every_algorithm(void **state)
{
    fx *f = *state;
    fx_inst *a = &f->a;
    static const struct {
        const char *value;
        expect_key want;
    } cases[] = {
        {"RSA_2048", {P11_KEY_RSA, 2048, NULL, NID_sha256WithRSAEncryption}},
        {"rsa_3072", {P11_KEY_RSA, 3072, NULL, NID_sha256WithRSAEncryption}},
        {"RSA_4096", {P11_KEY_RSA, 4096, NULL, NID_sha256WithRSAEncryption}},
        {"EC_P256", {P11_KEY_EC, 256, "prime256v1", NID_ecdsa_with_SHA256}},
        {"Ec_P384", {P11_KEY_EC, 384, "secp384r1", NID_ecdsa_with_SHA256}},
    };
    RUN_OK(a->admin, CREATE_MK);
    size_t objs = fx_token_objects(a->tok);
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        char name[32];
        char sql[300];
        snprintf(name, sizeof(name), "cert_%zu", k);
        snprintf(sql, sizeof(sql),
                 "CREATE CERTIFICATE %s WITH SUBJECT = '%s', ALGORITHM = %s, "
                 "EXPIRY_DATE = '2099-01-01'",
                 name, cases[k].value, cases[k].value);
        RUN_OK(a->admin, sql);
        check_cert_key(a, name, &cases[k].want);
    }
    assert_int_equal(fx_token_objects(a->tok), objs + 3 * 5);
}

/* Without ALGORITHM: the instance's default; with it: what it says. */
static void test_default_and_override_ec(void **state)
{
    fx *f = *state;
    fx_inst *a = &f->a;
    RUN_OK(a->admin, CREATE_MK);
    RUN_OK(a->admin, "CREATE CERTIFICATE dflt WITH SUBJECT = 'd'");
    expect_key ec = {P11_KEY_EC, 256, "prime256v1", NID_ecdsa_with_SHA256};
    check_cert_key(a, "dflt", &ec);
    RUN_OK(a->admin, "CREATE CERTIFICATE chosen WITH SUBJECT = 'o', ALGORITHM = RSA_2048");
    expect_key rsa = {P11_KEY_RSA, 2048, NULL, NID_sha256WithRSAEncryption};
    check_cert_key(a, "chosen", &rsa);
}

static void test_default_and_override_rsa(void **state)
{
    fx *f = *state;
    fx_inst *a = &f->a;
    RUN_OK(a->admin, CREATE_MK);
    RUN_OK(a->admin, "CREATE CERTIFICATE dflt WITH SUBJECT = 'd'");
    expect_key rsa = {P11_KEY_RSA, 3072, NULL, NID_sha256WithRSAEncryption};
    check_cert_key(a, "dflt", &rsa);
    RUN_OK(a->admin, "CREATE CERTIFICATE chosen WITH SUBJECT = 'o', ALGORITHM = EC_P384");
    expect_key ec = {P11_KEY_EC, 384, "secp384r1", NID_ecdsa_with_SHA256};
    check_cert_key(a, "chosen", &ec);
}

static void test_bad_algorithm(void **state)
{
    fx *f = *state;
    fx_inst *a = &f->a;
    RUN_OK(a->admin, CREATE_MK);
    size_t objs = fx_token_objects(a->tok);
    record *r =
        rec_run(a->admin, "CREATE CERTIFICATE bad WITH SUBJECT = 's', ALGORITHM = RSA_1024");
    assert_int_equal(rec_error(r), 102);
    assert_int_equal(r->msg[0].cls, 15);
    assert_string_equal(r->msg[0].text, "Incorrect syntax near 'RSA_1024'.");
    free(r);
    r = rec_run(
        a->admin,
        "CREATE CERTIFICATE bad WITH SUBJECT = 's', ALGORITHM = EC_P256, ALGORITHM = EC_P256");
    assert_int_equal(rec_error(r), 102);
    assert_string_equal(r->msg[0].text, "Incorrect syntax near 'ALGORITHM'.");
    free(r);
    RUN_ERR(a->admin, "CREATE CERTIFICATE bad WITH SUBJECT = 's', ALGORITHM = 'EC_P256'", 102);
    assert_int_equal(fx_token_objects(a->tok), objs);
    assert_int_equal(rec_count(a->admin, "SELECT * FROM sys.certificates"), 0);
    /* Still 15581 first when the master key is closed: ALGORITHM changes no check. */
    RUN_OK(a->admin, "CLOSE MASTER KEY");
    RUN_ERR(a->admin, "CREATE CERTIFICATE c WITH SUBJECT = 's', ALGORITHM = EC_P384", 15581);
    assert_int_equal(fx_token_objects(a->tok), objs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_every_algorithm, fx_setup_ec, fx_teardown),
        cmocka_unit_test_setup_teardown(test_default_and_override_ec, fx_setup_ec, fx_teardown),
        cmocka_unit_test_setup_teardown(test_default_and_override_rsa, fx_setup_rsa, fx_teardown),
        cmocka_unit_test_setup_teardown(test_bad_algorithm, fx_setup_ec, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
