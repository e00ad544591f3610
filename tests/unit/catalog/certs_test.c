/*
 * Certificates: metadata from DER, add, lookups (name, id, thumbprint,
 * exact DER), duplicates, owners, token key references, drop.
 */
#include "cat_fixture.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <sqlite3.h>

#include "catalog/certs.h"
#include "catalog/principals.h"

#define CN_A "HOST_A certificate for database mirroring"
#define YEAR (365LL * 24 * 3600)

static void sha1(const uint8_t *p, size_t n, uint8_t out[20])
{
    unsigned int len = 0;
    assert_int_equal(EVP_Digest(p, n, out, &len, EVP_sha1(), NULL), 1);
    assert_int_equal(len, 20);
}

static void test_meta_from_der(void **state)
{
    (void)state;
    uint8_t *der = NULL;
    size_t len = 0;
    int64_t now = (int64_t)time(NULL);
    cat_fx_make_cert(CN_A, -3600, YEAR, 0, NULL, 0, &der, &len);
    cat_cert_meta m;
    assert_cat_ok(cat_cert_meta_from_der(der, len, &m));
    assert_string_equal(m.subject, CN_A);
    assert_string_equal(m.issuer_name, CN_A);
    assert_string_equal(m.serial, "01 23 45 67 89 ab cd ef");
    assert_true(llabs(m.start_date - (now - 3600) * 1000) <= 5000);
    assert_true(llabs(m.expiry_date - (now + YEAR) * 1000) <= 5000);
    assert_int_equal(m.start_date % 1000, 0);
    assert_int_equal(m.key_length, 256);
    uint8_t tp[20];
    sha1(der, len, tp);
    assert_memory_equal(m.thumbprint, tp, 20);
    cat_cert_meta_cleanup(&m);
    assert_null(m.subject);
    cat_cert_meta_cleanup(&m); /* twice is fine */
    free(der);
}

static void test_meta_rsa_no_cn_and_serials(void **state)
{
    (void)state;
    uint8_t *der = NULL;
    size_t len = 0;
    static const uint8_t serial[] = {0x00, 0x00, 0x0a};
    cat_fx_make_cert(NULL, 0, 3600, 2048, serial, sizeof(serial), &der, &len);
    cat_cert_meta m;
    assert_cat_ok(cat_cert_meta_from_der(der, len, &m));
    assert_int_equal(m.key_length, 2048);
    assert_string_equal(m.subject, "O=NoCN Org"); /* no CN: the one-line DN */
    assert_string_equal(m.serial, "0a");
    cat_cert_meta_cleanup(&m);
    free(der);

    static const uint8_t zero[] = {0x00};
    cat_fx_make_cert("z", 0, 3600, 0, zero, sizeof(zero), &der, &len);
    assert_cat_ok(cat_cert_meta_from_der(der, len, &m));
    assert_string_equal(m.serial, "00");
    cat_cert_meta_cleanup(&m);
    free(der);
}

static void test_meta_invalid(void **state)
{
    (void)state;
    uint8_t *der = NULL;
    size_t len = 0;
    cat_cert_meta m;
    cat_fx_make_cert("x", 0, 3600, 0, NULL, 0, &der, &len);
    assert_cat_fail(cat_cert_meta_from_der(der, len - 1, &m), MK_E_INVALID, CAT_R_CERT_INVALID);
    assert_null(m.subject);
    uint8_t *longer = malloc(len + 1);
    assert_non_null(longer);
    memcpy(longer, der, len);
    longer[len] = 0;
    assert_cat_fail(cat_cert_meta_from_der(longer, len + 1, &m), MK_E_INVALID, CAT_R_CERT_INVALID);
    free(longer);
    static const uint8_t garbage[] = "-----BEGIN CERTIFICATE-----";
    assert_cat_fail(cat_cert_meta_from_der(garbage, sizeof(garbage), &m), MK_E_INVALID,
                    CAT_R_CERT_INVALID);
    assert_cat_fail(cat_cert_meta_from_der(der, 0, &m), MK_E_INVALID, CAT_R_CERT_INVALID);
    assert_cat_fail(cat_cert_meta_from_der(NULL, 10, &m), MK_E_INVALID, CAT_R_CERT_INVALID);
    assert_cat_fail(cat_cert_meta_from_der(der, len, NULL), MK_E_INVALID, CAT_R_NONE);
    uint8_t *huge = calloc(1, CAT_CERT_DER_MAX + 1);
    assert_non_null(huge);
    assert_cat_fail(cat_cert_meta_from_der(huge, CAT_CERT_DER_MAX + 1, &m), MK_E_TOOBIG,
                    CAT_R_NONE);
    free(huge);
    free(der);
}

typedef struct cert_fx {
    cat_fx base;
    uint8_t *der_a, *der_b;
    size_t len_a, len_b;
} cert_fx;

static int setup(void **state)
{
    if (cat_fx_setup(state) != 0) {
        return -1;
    }
    cert_fx *fx = realloc(*state, sizeof(cert_fx));
    if (fx == NULL) {
        return -1;
    }
    cat_fx_make_cert(CN_A, -60, YEAR, 0, NULL, 0, &fx->der_a, &fx->len_a);
    cat_fx_make_cert("HOST_B certificate", -60, YEAR, 0, NULL, 0, &fx->der_b, &fx->len_b);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    cert_fx *fx = *state;
    free(fx->der_a);
    free(fx->der_b);
    return cat_fx_teardown(state);
}

static cat_cert_new cert_a(cert_fx *fx)
{
    static const uint8_t ckaid[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    return (cat_cert_new){
        .name = "HOST_A_cert",
        .owner_id = CAT_DEFAULT_OWNER,
        .der = fx->der_a,
        .der_len = fx->len_a,
        .token_id = ckaid,
        .token_id_len = sizeof(ckaid),
        .token_label = "HOST_A_cert",
        .active_for_begin_dialog = true,
    };
}

static cat_cert_new cert_b(cert_fx *fx)
{
    return (cat_cert_new){.name = "HOST_B_cert",
                          .owner_id = CAT_DEFAULT_OWNER,
                          .der = fx->der_b,
                          .der_len = fx->len_b};
}

static void test_create_and_lookups(void **state)
{
    cert_fx *fx = *state;
    cat_cert_new a = cert_a(fx), b = cert_b(fx);
    int32_t ida = 0, idb = 0;
    assert_cat_ok(cat_cert_create(fx->base.db, &a, &ida));
    assert_cat_ok(cat_cert_create(fx->base.db, &b, &idb));
    assert_int_equal(ida, CAT_FIRST_CERT_ID);
    assert_int_equal(idb, CAT_FIRST_CERT_ID + 1);

    cat_cert c;
    assert_cat_ok(cat_cert_get_by_name(fx->base.db, "host_a_CERT", &c));
    assert_int_equal(c.certificate_id, ida);
    assert_int_equal(c.principal_id, CAT_DBO_ID);
    assert_string_equal(c.name, "HOST_A_cert");
    assert_string_equal(c.pvt_key_encryption_type, "HS");
    assert_true(c.active_for_begin_dialog);
    assert_string_equal(c.meta.subject, CN_A);
    assert_int_equal(c.der_len, fx->len_a);
    assert_memory_equal(c.der, fx->der_a, fx->len_a);
    assert_int_equal(c.token_id_len, 16);
    assert_memory_equal(c.token_id, a.token_id, 16);
    assert_string_equal(c.token_label, "HOST_A_cert");
    assert_false(c.has_backup_date);
    uint8_t tp[20];
    memcpy(tp, c.meta.thumbprint, 20);
    cat_cert_cleanup(&c);

    assert_cat_ok(cat_cert_get_by_id(fx->base.db, idb, &c));
    assert_string_equal(c.name, "HOST_B_cert");
    assert_string_equal(c.pvt_key_encryption_type, "NA");
    assert_null(c.token_id);
    assert_null(c.token_label);
    cat_cert_cleanup(&c);

    assert_cat_ok(cat_cert_get_by_thumbprint(fx->base.db, tp, &c));
    assert_int_equal(c.certificate_id, ida);
    cat_cert_cleanup(&c);
    assert_cat_ok(cat_cert_get_by_der(fx->base.db, fx->der_b, fx->len_b, &c));
    assert_int_equal(c.certificate_id, idb);
    cat_cert_cleanup(&c);
    cat_cert_cleanup(&c); /* cleanup of a cleaned struct is fine */
}

static void test_lookup_misses(void **state)
{
    cert_fx *fx = *state;
    cat_cert_new a = cert_a(fx);
    assert_cat_ok(cat_cert_create(fx->base.db, &a, NULL));
    cat_cert c;
    assert_cat_fail(cat_cert_get_by_name(fx->base.db, "nocert", &c), MK_E_NOT_FOUND,
                    CAT_R_CERT_MISSING);
    assert_cat_fail(cat_cert_get_by_id(fx->base.db, 999, &c), MK_E_NOT_FOUND, CAT_R_CERT_MISSING);
    uint8_t tp[20] = {0};
    assert_cat_fail(cat_cert_get_by_thumbprint(fx->base.db, tp, &c), MK_E_NOT_FOUND,
                    CAT_R_CERT_MISSING);
    /* The peer's DER must match exactly: one flipped bit is another certificate. */
    uint8_t *copy = malloc(fx->len_a);
    assert_non_null(copy);
    memcpy(copy, fx->der_a, fx->len_a);
    copy[fx->len_a - 1] ^= 1;
    assert_cat_fail(cat_cert_get_by_der(fx->base.db, copy, fx->len_a, &c), MK_E_NOT_FOUND,
                    CAT_R_CERT_MISSING);
    free(copy);
    assert_cat_fail(cat_cert_get_by_der(fx->base.db, fx->der_b, fx->len_b, &c), MK_E_NOT_FOUND,
                    CAT_R_CERT_MISSING);
    assert_cat_fail(cat_cert_get_by_der(fx->base.db, NULL, 0, &c), MK_E_INVALID, CAT_R_NONE);
    assert_cat_fail(cat_cert_get_by_der(fx->base.db, fx->der_a, CAT_CERT_DER_MAX + 1, &c),
                    MK_E_TOOBIG, CAT_R_NONE);
    assert_cat_fail(cat_cert_get_by_name(fx->base.db, NULL, &c), MK_E_INVALID, CAT_R_NONE);
    assert_cat_fail(cat_cert_get_by_thumbprint(fx->base.db, NULL, &c), MK_E_INVALID, CAT_R_NONE);
}

static void test_duplicates_refused(void **state)
{
    cert_fx *fx = *state;
    cat_cert_new a = cert_a(fx);
    assert_cat_ok(cat_cert_create(fx->base.db, &a, NULL));
    cat_cert_new same_name = cert_b(fx);
    same_name.name = "HOST_a_CERT";
    assert_unchanged(&fx->base, cat_cert_create(fx->base.db, &same_name, NULL), MK_E_EXISTS,
                     CAT_R_EXISTS);
    cat_cert_new same_der = cert_a(fx);
    same_der.name = "another_name";
    same_der.token_id = NULL;
    assert_unchanged(&fx->base, cat_cert_create(fx->base.db, &same_der, NULL), MK_E_EXISTS,
                     CAT_R_EXISTS);
    assert_string_equal(cat_error_object(), "HOST_A_cert");
}

static void test_create_bad_input(void **state)
{
    cert_fx *fx = *state;
    cat_cert_new c = cert_b(fx);
    c.der_len = fx->len_b - 3;
    assert_unchanged(&fx->base, cat_cert_create(fx->base.db, &c, NULL), MK_E_INVALID,
                     CAT_R_CERT_INVALID);
    c = cert_b(fx);
    c.name = "";
    assert_unchanged(&fx->base, cat_cert_create(fx->base.db, &c, NULL), MK_E_INVALID, CAT_R_NONE);
    c = cert_a(fx);
    c.token_id_len = 0;
    assert_unchanged(&fx->base, cat_cert_create(fx->base.db, &c, NULL), MK_E_INVALID, CAT_R_NONE);
    c.token_id_len = CAT_TOKEN_ID_MAX + 1;
    assert_unchanged(&fx->base, cat_cert_create(fx->base.db, &c, NULL), MK_E_INVALID, CAT_R_NONE);
    c = cert_a(fx);
    char label[CAT_NAME_MAX + 2];
    memset(label, 'l', sizeof(label) - 1);
    label[sizeof(label) - 1] = '\0';
    c.token_label = label;
    assert_unchanged(&fx->base, cat_cert_create(fx->base.db, &c, NULL), MK_E_INVALID, CAT_R_NONE);
    assert_unchanged(&fx->base, cat_cert_create(fx->base.db, NULL, NULL), MK_E_INVALID, CAT_R_NONE);
}

/*
 * The catalog creates no database role besides public (id 0, which means
 * "default owner"), so the test adds one the way a later schema would.
 */
static int32_t add_db_role(cert_fx *fx)
{
    sqlite3 *raw = NULL;
    assert_int_equal(sqlite3_open(fx->base.path, &raw), SQLITE_OK);
    assert_int_equal(sqlite3_exec(raw,
                                  "INSERT INTO database_principals VALUES (16384, 'db_owner', 'R',"
                                  " NULL, 0, 0, 1, NULL, 1, 0)",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(raw);
    return 16384;
}

static void test_owner(void **state)
{
    cert_fx *fx = *state;
    int32_t user = 0;
    assert_cat_ok(
        cat_login_create(fx->base.db, "HOST_B_login", (const uint8_t *)"x", 1, NULL, NULL));
    assert_cat_ok(cat_user_create_for_login(fx->base.db, "HOST_B_user", "HOST_B_login", &user));
    cat_cert_new b = cert_b(fx);
    b.owner_id = 4242;
    assert_unchanged(&fx->base, cat_cert_create(fx->base.db, &b, NULL), MK_E_NOT_FOUND,
                     CAT_R_USER_MISSING);
    b.owner_id = add_db_role(fx);
    assert_unchanged(&fx->base, cat_cert_create(fx->base.db, &b, NULL), MK_E_INVALID,
                     CAT_R_NOT_A_USER);
    assert_string_equal(cat_error_object(), "db_owner");
    b.owner_id = user; /* AUTHORIZATION HOST_B_user, as the inbound seed does */
    assert_cat_ok(cat_cert_create(fx->base.db, &b, NULL));
    cat_cert c;
    assert_cat_ok(cat_cert_get_by_name(fx->base.db, "HOST_B_cert", &c));
    assert_int_equal(c.principal_id, user);
    cat_cert_cleanup(&c);

    assert_cat_ok(cat_cert_set_owner(fx->base.db, "HOST_B_cert", CAT_DEFAULT_OWNER));
    assert_cat_ok(cat_cert_get_by_name(fx->base.db, "HOST_B_cert", &c));
    assert_int_equal(c.principal_id, CAT_DBO_ID);
    cat_cert_cleanup(&c);
    assert_unchanged(&fx->base, cat_cert_set_owner(fx->base.db, "HOST_B_cert", 4242),
                     MK_E_NOT_FOUND, CAT_R_USER_MISSING);
    assert_unchanged(&fx->base, cat_cert_set_owner(fx->base.db, "HOST_B_cert", 16384), MK_E_INVALID,
                     CAT_R_NOT_A_USER);
    assert_unchanged(&fx->base, cat_cert_set_owner(fx->base.db, "nocert", user), MK_E_NOT_FOUND,
                     CAT_R_CERT_MISSING);
}

static void test_backup_date(void **state)
{
    cert_fx *fx = *state;
    cat_cert_new a = cert_a(fx);
    assert_cat_ok(cat_cert_create(fx->base.db, &a, NULL));
    assert_cat_ok(cat_cert_set_backup_date(fx->base.db, "HOST_A_cert", 1700000000000));
    cat_cert c;
    assert_cat_ok(cat_cert_get_by_name(fx->base.db, "HOST_A_cert", &c));
    assert_true(c.has_backup_date);
    assert_int_equal(c.last_backup_date, 1700000000000);
    cat_cert_cleanup(&c);
    assert_unchanged(&fx->base, cat_cert_set_backup_date(fx->base.db, "nocert", 1), MK_E_NOT_FOUND,
                     CAT_R_CERT_MISSING);
    assert_unchanged(&fx->base, cat_cert_set_backup_date(fx->base.db, NULL, 1), MK_E_INVALID,
                     CAT_R_NONE);
}

static void test_drop(void **state)
{
    cert_fx *fx = *state;
    cat_cert_new a = cert_a(fx);
    assert_cat_ok(cat_cert_create(fx->base.db, &a, NULL));
    assert_int_equal(cat_fx_count(fx->base.db, "sys.certificates"), 1);
    assert_cat_ok(cat_cert_drop(fx->base.db, "host_a_cert"));
    assert_int_equal(cat_fx_count(fx->base.db, "sys.certificates"), 0);
    assert_unchanged(&fx->base, cat_cert_drop(fx->base.db, "HOST_A_cert"), MK_E_NOT_FOUND,
                     CAT_R_CERT_MISSING);
    assert_unchanged(&fx->base, cat_cert_drop(fx->base.db, NULL), MK_E_INVALID, CAT_R_NONE);
    /* The same certificate can be added again after the drop. */
    assert_cat_ok(cat_cert_create(fx->base.db, &a, NULL));
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_meta_from_der),
        cmocka_unit_test(test_meta_rsa_no_cn_and_serials),
        cmocka_unit_test(test_meta_invalid),
        T(test_create_and_lookups),
        T(test_lookup_misses),
        T(test_duplicates_refused),
        T(test_create_bad_input),
        T(test_owner),
        T(test_backup_date),
        T(test_drop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
