/*
 * Database principals of master: fixed rows, CREATE USER FOR LOGIN and its
 * three distinct errors, DROP USER, login <-> user mapping.
 */
#include "cat_fixture.h"

#include <stdlib.h>
#include <string.h>

#include "catalog/principals.h"

#define PW(s) (const uint8_t *)(s), strlen(s)

static int setup_with_logins(void **state)
{
    if (cat_fx_setup(state) != 0) {
        return -1;
    }
    cat_fx *fx = *state;
    if (mk_failed(cat_login_create(fx->db, "HOST_B_login", PW("x"), NULL, NULL)) ||
        mk_failed(cat_login_create(fx->db, "HOST_C_login", PW("x"), NULL, NULL))) {
        return -1;
    }
    return 0;
}

static void test_fixed_database_principals(void **state)
{
    cat_fx *fx = *state;
    static const struct {
        const char *name;
        int32_t id;
        char type;
    } fixed[] = {
        {"public", 0, 'R'}, {"dbo", 1, 'S'}, {"guest", 2, 'S'}, {"INFORMATION_SCHEMA", 3, 'S'},
        {"sys", 4, 'S'},
    };
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
        cat_user u;
        assert_cat_ok(cat_user_get(fx->db, fixed[i].name, &u));
        assert_int_equal(u.principal_id, fixed[i].id);
        assert_int_equal(u.type, fixed[i].type);
        assert_true(u.is_fixed);
    }
    int32_t user = -1, login = -1;
    assert_cat_ok(cat_user_for_login(fx->db, CAT_SA_ID, &user));
    assert_int_equal(user, CAT_DBO_ID);
    assert_cat_ok(cat_login_for_user(fx->db, CAT_DBO_ID, &login));
    assert_int_equal(login, CAT_SA_ID);
}

static void test_create_for_login(void **state)
{
    cat_fx *fx = *state;
    int32_t b = 0, c = 0;
    assert_cat_ok(cat_user_create_for_login(fx->db, "HOST_B_user", "host_b_login", &b));
    assert_cat_ok(cat_user_create_for_login(fx->db, "HOST_C_user", "HOST_C_login", &c));
    assert_int_equal(b, CAT_FIRST_USER_ID);
    assert_int_equal(c, CAT_FIRST_USER_ID + 1);
    cat_user u;
    cat_login l;
    assert_cat_ok(cat_user_get(fx->db, "host_b_user", &u));
    assert_cat_ok(cat_login_get(fx->db, "HOST_B_login", &l));
    assert_string_equal(u.name, "HOST_B_user");
    assert_int_equal(u.type, 'S');
    assert_false(u.is_fixed);
    assert_int_equal(u.sid_len, l.sid_len);
    assert_memory_equal(u.sid, l.sid, l.sid_len);
    int32_t got = 0;
    assert_cat_ok(cat_user_for_login(fx->db, l.principal_id, &got));
    assert_int_equal(got, b);
    assert_cat_ok(cat_login_for_user(fx->db, b, &got));
    assert_int_equal(got, l.principal_id);
    assert_cat_ok(cat_user_get_by_id(fx->db, c, &u));
    assert_string_equal(u.name, "HOST_C_user");
}

static void test_user_exists(void **state)
{
    cat_fx *fx = *state;
    assert_cat_ok(cat_user_create_for_login(fx->db, "HOST_B_user", "HOST_B_login", NULL));
    assert_unchanged(fx, cat_user_create_for_login(fx->db, "host_b_USER", "HOST_C_login", NULL),
                     MK_E_EXISTS, CAT_R_EXISTS);
    assert_unchanged(fx, cat_user_create_for_login(fx->db, "DBO", "HOST_C_login", NULL),
                     MK_E_EXISTS, CAT_R_EXISTS);
    assert_unchanged(fx, cat_user_create_for_login(fx->db, "public", "HOST_C_login", NULL),
                     MK_E_EXISTS, CAT_R_EXISTS);
    /* 15023 is checked before the login: an existing name wins over a missing login. */
    assert_unchanged(fx, cat_user_create_for_login(fx->db, "HOST_B_user", "nologin", NULL),
                     MK_E_EXISTS, CAT_R_EXISTS);
}

static void test_login_missing(void **state)
{
    cat_fx *fx = *state;
    assert_unchanged(fx, cat_user_create_for_login(fx->db, "u1", "nologin", NULL), MK_E_NOT_FOUND,
                     CAT_R_LOGIN_MISSING);
    assert_string_equal(cat_error_object(), "nologin");
    assert_non_null(strstr(mk_error_message(), "is not a valid login"));
    assert_unchanged(fx, cat_user_create_for_login(fx->db, "u1", "sysadmin", NULL), MK_E_NOT_FOUND,
                     CAT_R_LOGIN_MISSING);
    assert_unchanged(fx, cat_user_create_for_login(fx->db, "u1", NULL, NULL), MK_E_INVALID,
                     CAT_R_NONE);
}

static void test_login_already_mapped(void **state)
{
    cat_fx *fx = *state;
    assert_cat_ok(cat_user_create_for_login(fx->db, "HOST_B_user", "HOST_B_login", NULL));
    assert_unchanged(fx, cat_user_create_for_login(fx->db, "other", "HOST_B_login", NULL),
                     MK_E_EXISTS, CAT_R_LOGIN_MAPPED);
    assert_string_equal(cat_error_object(), "HOST_B_user");
    assert_unchanged(fx, cat_user_create_for_login(fx->db, "other", "sa", NULL), MK_E_EXISTS,
                     CAT_R_LOGIN_MAPPED);
    assert_string_equal(cat_error_object(), "dbo");
}

static void test_bad_user_name(void **state)
{
    cat_fx *fx = *state;
    assert_unchanged(fx, cat_user_create_for_login(fx->db, "", "HOST_B_login", NULL), MK_E_INVALID,
                     CAT_R_NONE);
    assert_unchanged(fx, cat_user_create_for_login(fx->db, NULL, "HOST_B_login", NULL),
                     MK_E_INVALID, CAT_R_NONE);
    assert_unchanged(fx, cat_user_create_for_login(fx->db, "a\x01", "HOST_B_login", NULL),
                     MK_E_INVALID, CAT_R_NONE);
}

static void test_drop_user(void **state)
{
    cat_fx *fx = *state;
    int32_t id = 0;
    assert_cat_ok(cat_user_create_for_login(fx->db, "HOST_B_user", "HOST_B_login", &id));
    assert_cat_ok(cat_user_drop(fx->db, "HOST_B_USER"));
    cat_user u;
    assert_cat_fail(cat_user_get(fx->db, "HOST_B_user", &u), MK_E_NOT_FOUND, CAT_R_NOT_FOUND);
    cat_login l;
    assert_cat_ok(cat_login_get(fx->db, "HOST_B_login", &l));
    int32_t got = 0;
    assert_cat_fail(cat_user_for_login(fx->db, l.principal_id, &got), MK_E_NOT_FOUND,
                    CAT_R_USER_MISSING);
    /* The login can be mapped again once its user is gone. */
    assert_cat_ok(cat_user_create_for_login(fx->db, "again", "HOST_B_login", NULL));
}

static void test_drop_user_refusals(void **state)
{
    cat_fx *fx = *state;
    const char *fixed[] = {"dbo", "guest", "sys", "INFORMATION_SCHEMA", "public"};
    for (size_t i = 0; i < 5; i++) {
        assert_unchanged(fx, cat_user_drop(fx->db, fixed[i]), MK_E_PERM, CAT_R_FIXED_PRINCIPAL);
    }
    assert_unchanged(fx, cat_user_drop(fx->db, "nouser"), MK_E_NOT_FOUND, CAT_R_NOT_FOUND);
    assert_unchanged(fx, cat_user_drop(fx->db, NULL), MK_E_INVALID, CAT_R_NONE);
}

static void test_mapping_errors(void **state)
{
    cat_fx *fx = *state;
    int32_t got = 0;
    cat_login l;
    assert_cat_ok(cat_login_get(fx->db, "HOST_C_login", &l));
    assert_cat_fail(cat_user_for_login(fx->db, l.principal_id, &got), MK_E_NOT_FOUND,
                    CAT_R_USER_MISSING);
    assert_cat_fail(cat_user_for_login(fx->db, 999, &got), MK_E_NOT_FOUND, CAT_R_LOGIN_MISSING);
    assert_cat_fail(cat_user_for_login(fx->db, CAT_SYSADMIN_ID, &got), MK_E_NOT_FOUND,
                    CAT_R_LOGIN_MISSING);
    assert_cat_fail(cat_login_for_user(fx->db, CAT_GUEST_ID, &got), MK_E_NOT_FOUND,
                    CAT_R_LOGIN_MISSING);
    assert_cat_fail(cat_login_for_user(fx->db, 777, &got), MK_E_NOT_FOUND, CAT_R_LOGIN_MISSING);
    cat_user u;
    assert_cat_fail(cat_user_get_by_id(fx->db, 777, &u), MK_E_NOT_FOUND, CAT_R_NOT_FOUND);
    assert_cat_fail(cat_user_get(fx->db, NULL, &u), MK_E_INVALID, CAT_R_NONE);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup_with_logins, cat_fx_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_fixed_database_principals),
        T(test_create_for_login),
        T(test_user_exists),
        T(test_login_missing),
        T(test_login_already_mapped),
        T(test_bad_user_name),
        T(test_drop_user),
        T(test_drop_user_refusals),
        T(test_mapping_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
