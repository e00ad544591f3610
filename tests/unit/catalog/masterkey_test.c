/*
 * The database master key row: opaque sealed blobs, one key per catalog.
 */
#include "cat_fixture.h"

#include <stdlib.h>
#include <string.h>

#include "catalog/masterkey.h"

static const uint8_t prot1[] = {0xa1, 0xa2, 0xa3, 0xa4};
static const uint8_t prot2[] = {0xb1, 0xb2};
static const uint8_t pw1[] = {0xc1, 0xc2, 0xc3};
static const uint8_t pw2[] = {0xd1};

static void test_create_and_get(void **state)
{
    cat_fx *fx = *state;
    bool exists = true;
    assert_cat_ok(cat_masterkey_exists(fx->db, &exists));
    assert_false(exists);
    assert_int_equal(cat_fx_count(fx->db, "sys.symmetric_keys"), 0);
    assert_cat_ok(cat_masterkey_create(fx->db, prot1, sizeof(prot1), pw1, sizeof(pw1)));
    assert_cat_ok(cat_masterkey_exists(fx->db, &exists));
    assert_true(exists);
    cat_masterkey mk;
    assert_cat_ok(cat_masterkey_get(fx->db, &mk));
    assert_int_equal(strlen(mk.key_guid), 36);
    assert_int_equal(mk.key_guid[8], '-');
    assert_int_equal(mk.key_guid[14], '4'); /* version 4 GUID */
    assert_true(mk.create_date > 0 && mk.create_date == mk.modify_date);
    assert_int_equal(mk.protector_len, sizeof(prot1));
    assert_memory_equal(mk.protector_blob, prot1, sizeof(prot1));
    assert_int_equal(mk.password_len, sizeof(pw1));
    assert_memory_equal(mk.password_blob, pw1, sizeof(pw1));
    cat_masterkey_cleanup(&mk);
    assert_null(mk.protector_blob);
    cat_masterkey_cleanup(&mk);
    assert_int_equal(cat_fx_count(fx->db, "sys.symmetric_keys"), 1);
}

static void test_create_without_password(void **state)
{
    cat_fx *fx = *state;
    assert_cat_ok(cat_masterkey_create(fx->db, prot1, sizeof(prot1), NULL, 0));
    cat_masterkey mk;
    assert_cat_ok(cat_masterkey_get(fx->db, &mk));
    assert_null(mk.password_blob);
    assert_int_equal(mk.password_len, 0);
    cat_masterkey_cleanup(&mk);
}

static void test_one_key_only(void **state)
{
    cat_fx *fx = *state;
    assert_cat_ok(cat_masterkey_create(fx->db, prot1, sizeof(prot1), pw1, sizeof(pw1)));
    assert_unchanged(fx, cat_masterkey_create(fx->db, prot2, sizeof(prot2), NULL, 0), MK_E_EXISTS,
                     CAT_R_MASTER_KEY_EXISTS);
}

static void test_create_bad_blobs(void **state)
{
    cat_fx *fx = *state;
    assert_unchanged(fx, cat_masterkey_create(fx->db, NULL, 0, pw1, sizeof(pw1)), MK_E_INVALID,
                     CAT_R_NONE);
    assert_unchanged(fx, cat_masterkey_create(fx->db, prot1, 0, NULL, 0), MK_E_INVALID, CAT_R_NONE);
    assert_unchanged(fx, cat_masterkey_create(fx->db, prot1, sizeof(prot1), pw1, 0), MK_E_INVALID,
                     CAT_R_NONE);
    uint8_t *big = calloc(1, CAT_MK_BLOB_MAX + 1);
    assert_non_null(big);
    assert_unchanged(fx, cat_masterkey_create(fx->db, big, CAT_MK_BLOB_MAX + 1, NULL, 0),
                     MK_E_TOOBIG, CAT_R_NONE);
    assert_unchanged(fx, cat_masterkey_create(fx->db, prot1, 4, big, CAT_MK_BLOB_MAX + 1),
                     MK_E_TOOBIG, CAT_R_NONE);
    free(big);
}

static void test_update(void **state)
{
    cat_fx *fx = *state;
    cat_masterkey before, mk;
    assert_cat_ok(cat_masterkey_create(fx->db, prot1, sizeof(prot1), pw1, sizeof(pw1)));
    assert_cat_ok(cat_masterkey_get(fx->db, &before));

    /* New protector, password kept. */
    assert_cat_ok(cat_masterkey_update(fx->db, prot2, sizeof(prot2), false, NULL, 0));
    assert_cat_ok(cat_masterkey_get(fx->db, &mk));
    assert_memory_equal(mk.protector_blob, prot2, sizeof(prot2));
    assert_memory_equal(mk.password_blob, pw1, sizeof(pw1));
    assert_string_equal(mk.key_guid, before.key_guid);
    assert_true(mk.modify_date >= before.modify_date);
    cat_masterkey_cleanup(&mk);

    /* ADD ENCRYPTION BY PASSWORD (replace) then DROP it. */
    assert_cat_ok(cat_masterkey_update(fx->db, NULL, 0, true, pw2, sizeof(pw2)));
    assert_cat_ok(cat_masterkey_get(fx->db, &mk));
    assert_memory_equal(mk.protector_blob, prot2, sizeof(prot2));
    assert_int_equal(mk.password_len, 1);
    assert_memory_equal(mk.password_blob, pw2, sizeof(pw2));
    cat_masterkey_cleanup(&mk);
    assert_cat_ok(cat_masterkey_update(fx->db, NULL, 0, true, NULL, 0));
    assert_cat_ok(cat_masterkey_get(fx->db, &mk));
    assert_null(mk.password_blob);
    assert_memory_equal(mk.protector_blob, prot2, sizeof(prot2));
    cat_masterkey_cleanup(&mk);

    /* REGENERATE: both at once. */
    assert_cat_ok(cat_masterkey_update(fx->db, prot1, sizeof(prot1), true, pw1, sizeof(pw1)));
    assert_cat_ok(cat_masterkey_get(fx->db, &mk));
    assert_memory_equal(mk.protector_blob, prot1, sizeof(prot1));
    assert_memory_equal(mk.password_blob, pw1, sizeof(pw1));
    cat_masterkey_cleanup(&mk);
    cat_masterkey_cleanup(&before);

    uint8_t *big = calloc(1, CAT_MK_BLOB_MAX + 1);
    assert_non_null(big);
    assert_unchanged(fx, cat_masterkey_update(fx->db, big, CAT_MK_BLOB_MAX + 1, false, NULL, 0),
                     MK_E_TOOBIG, CAT_R_NONE);
    assert_unchanged(fx, cat_masterkey_update(fx->db, prot1, 0, false, NULL, 0), MK_E_INVALID,
                     CAT_R_NONE);
    free(big);
}

static void test_missing_key(void **state)
{
    cat_fx *fx = *state;
    cat_masterkey mk;
    assert_cat_fail(cat_masterkey_get(fx->db, &mk), MK_E_NOT_FOUND, CAT_R_MASTER_KEY_MISSING);
    assert_null(mk.protector_blob);
    assert_unchanged(fx, cat_masterkey_update(fx->db, prot1, sizeof(prot1), false, NULL, 0),
                     MK_E_NOT_FOUND, CAT_R_MASTER_KEY_MISSING);
    assert_unchanged(fx, cat_masterkey_drop(fx->db), MK_E_NOT_FOUND, CAT_R_MASTER_KEY_MISSING);
    assert_cat_fail(cat_masterkey_get(fx->db, NULL), MK_E_INVALID, CAT_R_NONE);
}

static void test_drop(void **state)
{
    cat_fx *fx = *state;
    assert_cat_ok(cat_masterkey_create(fx->db, prot1, sizeof(prot1), pw1, sizeof(pw1)));
    assert_cat_ok(cat_masterkey_drop(fx->db));
    bool exists = true;
    assert_cat_ok(cat_masterkey_exists(fx->db, &exists));
    assert_false(exists);
    assert_cat_ok(cat_masterkey_create(fx->db, prot2, sizeof(prot2), NULL, 0));
}

#define T(f) cmocka_unit_test_setup_teardown(f, cat_fx_setup, cat_fx_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_create_and_get), T(test_create_without_password),
        T(test_one_key_only),   T(test_create_bad_blobs),
        T(test_update),         T(test_missing_key),
        T(test_drop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
