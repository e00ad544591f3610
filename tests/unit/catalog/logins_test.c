/*
 * Server principals: logins, verifiers in the catalog, authentication,
 * enable/disable, drop, fixed server roles.
 */
#include "cat_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "catalog/perms.h"
#include "catalog/principals.h"
#include "catalog/verifier.h"

#define PW(s) (const uint8_t *)(s), strlen(s)
#define GOOD "1Sample_Strong_Password!@#"

static void test_create_assigns_ids_sids_defaults(void **state)
{
    cat_fx *fx = *state;
    int32_t a = 0, b = 0;
    int64_t before = ((int64_t)time(NULL) - 60) * 1000;
    assert_cat_ok(cat_login_create(fx->db, "HOST_B_login", PW(GOOD), NULL, &a));
    assert_cat_ok(cat_login_create(fx->db, "HOST_C_login", PW(GOOD), "master", &b));
    assert_int_equal(a, 256);
    assert_int_equal(b, 257);
    cat_login la, lb;
    assert_cat_ok(cat_login_get(fx->db, "host_b_LOGIN", &la));
    assert_cat_ok(cat_login_get_by_id(fx->db, b, &lb));
    assert_string_equal(la.name, "HOST_B_login");
    assert_int_equal(la.type, 'S');
    assert_int_equal(la.sid_len, 16);
    assert_int_equal(lb.sid_len, 16);
    assert_memory_not_equal(la.sid, lb.sid, 16);
    assert_false(la.is_disabled);
    assert_false(la.is_fixed_role);
    assert_true(la.has_password);
    assert_string_equal(la.default_database, "master");
    assert_true(la.create_date > before && la.create_date < before + 120000);
    assert_true(la.create_date == la.modify_date);
    /* New logins get CONNECT SQL from sa, as in SQL Server. */
    char st = 0;
    assert_cat_ok(cat_perm_get(fx->db, CAT_PERM_CONNECT_SQL, 0, a, &st));
    assert_int_equal(st, 'G');
    assert_int_equal(cat_fx_count(fx->db, "sys.server_principals"), 12);
}

static void test_fixed_server_principals(void **state)
{
    cat_fx *fx = *state;
    cat_login sa, sysadmin, pub;
    assert_cat_ok(cat_login_get(fx->db, "sa", &sa));
    assert_int_equal(sa.principal_id, CAT_SA_ID);
    assert_int_equal(sa.sid_len, 1);
    assert_int_equal(sa.sid[0], 1);
    assert_true(sa.is_disabled);
    assert_false(sa.has_password);
    assert_cat_ok(cat_login_get(fx->db, "sysadmin", &sysadmin));
    assert_int_equal(sysadmin.principal_id, CAT_SYSADMIN_ID);
    assert_int_equal(sysadmin.type, 'R');
    assert_true(sysadmin.is_fixed_role);
    assert_cat_ok(cat_login_get(fx->db, "public", &pub));
    assert_int_equal(pub.principal_id, 2);
    assert_false(pub.is_fixed_role);
    bool is = false;
    assert_cat_ok(cat_login_is_sysadmin(fx->db, CAT_SA_ID, &is));
    assert_true(is);
    cat_login bulk;
    assert_cat_ok(cat_login_get(fx->db, "bulkadmin", &bulk));
    assert_int_equal(bulk.principal_id, 10);
}

static void test_create_duplicate_refused(void **state)
{
    cat_fx *fx = *state;
    assert_cat_ok(cat_login_create(fx->db, "HOST_B_login", PW(GOOD), NULL, NULL));
    assert_unchanged(fx, cat_login_create(fx->db, "host_b_login", PW(GOOD), NULL, NULL),
                     MK_E_EXISTS, CAT_R_EXISTS);
    assert_string_equal(cat_error_object(), "host_b_login");
    assert_non_null(strstr(mk_error_message(), "already exists"));
    assert_unchanged(fx, cat_login_create(fx->db, "SYSADMIN", PW(GOOD), NULL, NULL), MK_E_EXISTS,
                     CAT_R_EXISTS);
    assert_unchanged(fx, cat_login_create(fx->db, "sa", PW(GOOD), NULL, NULL), MK_E_EXISTS,
                     CAT_R_EXISTS);
}

static void test_create_bad_input_refused(void **state)
{
    cat_fx *fx = *state;
    char long_name[CAT_NAME_MAX + 2];
    memset(long_name, 'n', sizeof(long_name) - 1);
    long_name[sizeof(long_name) - 1] = '\0';
    assert_unchanged(fx, cat_login_create(fx->db, NULL, PW(GOOD), NULL, NULL), MK_E_INVALID,
                     CAT_R_NONE);
    assert_unchanged(fx, cat_login_create(fx->db, "", PW(GOOD), NULL, NULL), MK_E_INVALID,
                     CAT_R_NONE);
    assert_unchanged(fx, cat_login_create(fx->db, long_name, PW(GOOD), NULL, NULL), MK_E_INVALID,
                     CAT_R_NONE);
    long_name[CAT_NAME_MAX] = '\0'; /* exactly the limit is fine */
    assert_cat_ok(cat_login_create(fx->db, long_name, PW(GOOD), NULL, NULL));
    assert_unchanged(fx, cat_login_create(fx->db, "bad\nname", PW(GOOD), NULL, NULL), MK_E_INVALID,
                     CAT_R_NONE);
    assert_unchanged(fx, cat_login_create(fx->db, "bad\xc3", PW(GOOD), NULL, NULL), MK_E_INVALID,
                     CAT_R_NONE);
    assert_unchanged(fx, cat_login_create(fx->db, "ok_name", NULL, 5, NULL, NULL), MK_E_INVALID,
                     CAT_R_NONE);
    assert_unchanged(fx, cat_login_create(fx->db, "ok_name", PW(GOOD), "nodb", NULL),
                     MK_E_NOT_FOUND, CAT_R_NOT_FOUND);
    assert_string_equal(cat_error_object(), "nodb");
}

static void test_authenticate(void **state)
{
    cat_fx *fx = *state;
    int32_t id = 0, got = 0;
    assert_cat_ok(cat_login_create(fx->db, "HOST_B_login", PW(GOOD), NULL, &id));
    assert_cat_ok(cat_login_authenticate(fx->db, "host_b_login", PW(GOOD), &got));
    assert_int_equal(got, id);
    got = 0;
    assert_cat_fail(
        cat_login_authenticate(fx->db, "HOST_B_login", PW("1sample_Strong_Password!@#"), &got),
        MK_E_PERM, CAT_R_BAD_PASSWORD);
    assert_int_equal(got, 0);
    assert_cat_fail(cat_login_authenticate(fx->db, "nobody", PW(GOOD), &got), MK_E_NOT_FOUND,
                    CAT_R_LOGIN_MISSING);
    assert_cat_fail(cat_login_authenticate(fx->db, "sysadmin", PW(GOOD), &got), MK_E_NOT_FOUND,
                    CAT_R_LOGIN_MISSING);
    assert_cat_fail(cat_login_authenticate(fx->db, "sa", PW(GOOD), &got), MK_E_STATE,
                    CAT_R_NO_PASSWORD);
    assert_cat_fail(cat_login_authenticate(fx->db, NULL, PW(GOOD), &got), MK_E_INVALID, CAT_R_NONE);
    /* The password is checked before the disabled flag is revealed. */
    assert_cat_ok(cat_login_set_disabled(fx->db, "HOST_B_login", true));
    assert_cat_fail(cat_login_authenticate(fx->db, "HOST_B_login", PW(GOOD), &got), MK_E_STATE,
                    CAT_R_LOGIN_DISABLED);
    assert_cat_fail(cat_login_authenticate(fx->db, "HOST_B_login", PW("wrong"), &got), MK_E_PERM,
                    CAT_R_BAD_PASSWORD);
    assert_cat_ok(cat_login_set_disabled(fx->db, "HOST_B_login", false));
    assert_cat_ok(cat_login_authenticate(fx->db, "HOST_B_login", PW(GOOD), &got));
}

static void test_sa_can_be_given_a_password(void **state)
{
    cat_fx *fx = *state;
    int32_t got = 0;
    assert_cat_ok(cat_login_set_password(fx->db, "sa", PW(GOOD)));
    assert_cat_fail(cat_login_authenticate(fx->db, "sa", PW(GOOD), &got), MK_E_STATE,
                    CAT_R_LOGIN_DISABLED);
    assert_cat_ok(cat_login_set_disabled(fx->db, "sa", false));
    assert_cat_ok(cat_login_authenticate(fx->db, "sa", PW(GOOD), &got));
    assert_int_equal(got, CAT_SA_ID);
}

static void test_set_password(void **state)
{
    cat_fx *fx = *state;
    assert_cat_ok(cat_login_create(fx->db, "l1", PW("old"), NULL, NULL));
    assert_cat_ok(cat_login_set_password(fx->db, "L1", PW("new")));
    assert_cat_ok(cat_login_authenticate(fx->db, "l1", PW("new"), NULL));
    assert_cat_fail(cat_login_authenticate(fx->db, "l1", PW("old"), NULL), MK_E_PERM,
                    CAT_R_BAD_PASSWORD);
    assert_unchanged(fx, cat_login_set_password(fx->db, "nobody", PW("x")), MK_E_NOT_FOUND,
                     CAT_R_LOGIN_MISSING);
    assert_unchanged(fx, cat_login_set_password(fx->db, "sysadmin", PW("x")), MK_E_NOT_FOUND,
                     CAT_R_LOGIN_MISSING);
    assert_unchanged(fx, cat_login_set_password(fx->db, NULL, PW("x")), MK_E_INVALID, CAT_R_NONE);
}

static bool contains(const char *hay, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= n; i++) {
        if (memcmp(hay + i, needle, k) == 0) {
            return true;
        }
    }
    return false;
}

static void test_verifier_stored_with_iterations_not_password(void **state)
{
    cat_fx *fx = *state;
    static const char secret[] = "Unique-Secret-Pw-4711";
    assert_cat_ok(cat_login_create(fx->db, "verifier_login_one", PW(secret), NULL, NULL));
    cat_verifier_set_iterations_for_tests(1500);
    assert_cat_ok(cat_login_create(fx->db, "verifier_login_two", PW(secret), NULL, NULL));
    cat_verifier_set_iterations_for_tests(1000);
    char *snap = cat_fx_snapshot(fx);
    /* login_verifiers rows: id|iterations|salt|hash| */
    assert_non_null(strstr(snap, "\n256|1000|"));
    assert_non_null(strstr(snap, "\n257|1500|"));
    free(snap);
    /* The second login still verifies with its own count. */
    assert_cat_ok(cat_login_authenticate(fx->db, "verifier_login_two", PW(secret), NULL));
    /* The password appears nowhere in the catalog files (the login name does). */
    const char *suffix[] = {"", "-wal"};
    bool name_seen = false;
    for (size_t i = 0; i < 2; i++) {
        char p[400];
        snprintf(p, sizeof(p), "%s%s", fx->path, suffix[i]);
        FILE *f = fopen(p, "rb");
        assert_non_null(f);
        size_t cap = (size_t)8 << 20;
        char *buf = malloc(cap);
        assert_non_null(buf);
        size_t n = fread(buf, 1, cap, f);
        fclose(f);
        assert_false(contains(buf, n, secret));
        name_seen = name_seen || contains(buf, n, "verifier_login_two");
        free(buf);
    }
    assert_true(name_seen); /* the search itself works */
}

static void test_disable_enable(void **state)
{
    cat_fx *fx = *state;
    cat_login l;
    assert_cat_ok(cat_login_create(fx->db, "l1", PW(GOOD), NULL, NULL));
    assert_cat_ok(cat_login_set_disabled(fx->db, "l1", true));
    assert_cat_ok(cat_login_get(fx->db, "l1", &l));
    assert_true(l.is_disabled);
    assert_cat_ok(cat_login_set_disabled(fx->db, "l1", false));
    assert_cat_ok(cat_login_get(fx->db, "l1", &l));
    assert_false(l.is_disabled);
    assert_unchanged(fx, cat_login_set_disabled(fx->db, "nobody", true), MK_E_NOT_FOUND,
                     CAT_R_LOGIN_MISSING);
    assert_unchanged(fx, cat_login_set_disabled(fx->db, "sysadmin", true), MK_E_NOT_FOUND,
                     CAT_R_LOGIN_MISSING);
    assert_unchanged(fx, cat_login_set_disabled(fx->db, NULL, true), MK_E_INVALID, CAT_R_NONE);
}

static void test_drop(void **state)
{
    cat_fx *fx = *state;
    int32_t id = 0;
    assert_cat_ok(cat_login_create(fx->db, "l1", PW(GOOD), NULL, &id));
    assert_cat_ok(cat_server_role_add_member(fx->db, "sysadmin", "l1"));
    size_t perms = cat_fx_count(fx->db, "sys.server_permissions");
    assert_cat_ok(cat_login_drop(fx->db, "L1"));
    cat_login l;
    assert_cat_fail(cat_login_get(fx->db, "l1", &l), MK_E_NOT_FOUND, CAT_R_NOT_FOUND);
    assert_int_equal(cat_fx_count(fx->db, "sys.server_permissions"), perms - 1);
    bool is = true;
    assert_cat_ok(cat_login_is_sysadmin(fx->db, id, &is));
    assert_false(is);
    char *snap = cat_fx_snapshot(fx);
    assert_null(strstr(snap, "\n256|"));   /* no verifier rows left */
    assert_null(strstr(snap, "\n3|256|")); /* no membership rows left */
    free(snap);
    /* With no higher id in use, the id is allocated again. */
    assert_cat_ok(cat_login_create(fx->db, "l1", PW(GOOD), NULL, &id));
    assert_int_equal(id, 256);
}

static void test_drop_refusals(void **state)
{
    cat_fx *fx = *state;
    assert_unchanged(fx, cat_login_drop(fx->db, "sa"), MK_E_PERM, CAT_R_FIXED_PRINCIPAL);
    assert_unchanged(fx, cat_login_drop(fx->db, "sysadmin"), MK_E_NOT_FOUND, CAT_R_NOT_FOUND);
    assert_unchanged(fx, cat_login_drop(fx->db, "nobody"), MK_E_NOT_FOUND, CAT_R_NOT_FOUND);
    assert_unchanged(fx, cat_login_drop(fx->db, NULL), MK_E_INVALID, CAT_R_NONE);
}

static void test_server_roles(void **state)
{
    cat_fx *fx = *state;
    int32_t id = 0;
    bool is = true;
    assert_cat_ok(cat_login_create(fx->db, "admin", PW(GOOD), NULL, &id));
    assert_cat_ok(cat_login_is_sysadmin(fx->db, id, &is));
    assert_false(is);
    assert_cat_ok(cat_server_role_add_member(fx->db, "SysAdmin", "admin"));
    assert_cat_ok(cat_server_role_add_member(fx->db, "sysadmin", "admin")); /* no-op */
    assert_cat_ok(cat_login_is_sysadmin(fx->db, id, &is));
    assert_true(is);
    assert_cat_ok(cat_server_role_drop_member(fx->db, "sysadmin", "admin"));
    assert_cat_ok(cat_server_role_drop_member(fx->db, "sysadmin", "admin")); /* no-op */
    assert_cat_ok(cat_login_is_sysadmin(fx->db, id, &is));
    assert_false(is);
    assert_cat_ok(cat_login_is_sysadmin(fx->db, 9999, &is));
    assert_false(is);

    assert_unchanged(fx, cat_server_role_add_member(fx->db, "norole", "admin"), MK_E_NOT_FOUND,
                     CAT_R_NOT_FOUND);
    assert_unchanged(fx, cat_server_role_add_member(fx->db, "public", "admin"), MK_E_NOT_FOUND,
                     CAT_R_NOT_FOUND);
    assert_unchanged(fx, cat_server_role_add_member(fx->db, "admin", "admin"), MK_E_NOT_FOUND,
                     CAT_R_NOT_FOUND);
    assert_unchanged(fx, cat_server_role_add_member(fx->db, "sysadmin", "nobody"), MK_E_NOT_FOUND,
                     CAT_R_LOGIN_MISSING);
    assert_unchanged(fx, cat_server_role_add_member(fx->db, "sysadmin", "dbcreator"),
                     MK_E_NOT_FOUND, CAT_R_LOGIN_MISSING);
    assert_unchanged(fx, cat_server_role_drop_member(fx->db, "sysadmin", "sa"), MK_E_PERM,
                     CAT_R_FIXED_PRINCIPAL);
    assert_unchanged(fx, cat_server_role_add_member(fx->db, NULL, "sa"), MK_E_INVALID, CAT_R_NONE);
    assert_cat_ok(cat_server_role_add_member(fx->db, "dbcreator", "admin"));
}

static void test_get_errors(void **state)
{
    cat_fx *fx = *state;
    cat_login l;
    assert_cat_fail(cat_login_get_by_id(fx->db, 4242, &l), MK_E_NOT_FOUND, CAT_R_NOT_FOUND);
    assert_cat_fail(cat_login_get(fx->db, NULL, &l), MK_E_INVALID, CAT_R_NONE);
}

#define T(f) cmocka_unit_test_setup_teardown(f, cat_fx_setup, cat_fx_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_create_assigns_ids_sids_defaults),
        T(test_fixed_server_principals),
        T(test_create_duplicate_refused),
        T(test_create_bad_input_refused),
        T(test_authenticate),
        T(test_sa_can_be_given_a_password),
        T(test_set_password),
        T(test_verifier_stored_with_iterations_not_password),
        T(test_disable_enable),
        T(test_drop),
        T(test_drop_refusals),
        T(test_server_roles),
        T(test_get_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
