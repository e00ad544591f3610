/*
 * Databases and their mirroring columns.
 */
#include "cat_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/databases.h"

static cat_mirroring principal(void)
{
    cat_mirroring m = {.state = CAT_MIR_SYNCHRONIZED,
                       .role = CAT_MIR_PRINCIPAL,
                       .witness_state = CAT_WIT_CONNECTED};
    snprintf(m.partner_name, sizeof(m.partner_name), "%s", "TCP://host_b.example:7024");
    snprintf(m.partner_instance, sizeof(m.partner_instance), "%s", "HOST_B");
    snprintf(m.witness_name, sizeof(m.witness_name), "%s", "TCP://witness.example:7024");
    return m;
}

static void test_system_databases(void **state)
{
    cat_fx *fx = *state;
    const char *names[] = {"master", "tempdb", "model", "msdb"};
    for (int i = 0; i < 4; i++) {
        cat_database d;
        assert_cat_ok(cat_database_get(fx->db, names[i], &d));
        assert_int_equal(d.database_id, i + 1);
        assert_int_equal(d.state, 0);
        assert_false(d.is_mirrored);
        assert_unchanged(fx, cat_database_drop(fx->db, names[i]), MK_E_PERM, CAT_R_NONE);
    }
}

static void test_create_get_drop(void **state)
{
    cat_fx *fx = *state;
    int32_t id = 0, id2 = 0;
    assert_cat_ok(cat_database_create(fx->db, "AdventureWorks", &id));
    assert_int_equal(id, CAT_FIRST_DATABASE_ID);
    assert_cat_ok(cat_database_create(fx->db, "Sales", &id2));
    assert_int_equal(id2, CAT_FIRST_DATABASE_ID + 1);
    cat_database d;
    assert_cat_ok(cat_database_get(fx->db, "adventureworks", &d));
    assert_string_equal(d.name, "AdventureWorks");
    assert_unchanged(fx, cat_database_create(fx->db, "ADVENTUREWORKS", NULL), MK_E_EXISTS,
                     CAT_R_EXISTS);
    assert_unchanged(fx, cat_database_create(fx->db, "", NULL), MK_E_INVALID, CAT_R_NONE);
    assert_cat_ok(cat_database_drop(fx->db, "AdventureWorks"));
    assert_cat_fail(cat_database_get(fx->db, "AdventureWorks", &d), MK_E_NOT_FOUND,
                    CAT_R_NOT_FOUND);
    assert_unchanged(fx, cat_database_drop(fx->db, "AdventureWorks"), MK_E_NOT_FOUND,
                     CAT_R_NOT_FOUND);
    assert_unchanged(fx, cat_database_drop(fx->db, NULL), MK_E_INVALID, CAT_R_NONE);
}

static void test_state(void **state)
{
    cat_fx *fx = *state;
    assert_cat_ok(cat_database_create(fx->db, "db1", NULL));
    assert_cat_ok(cat_database_set_state(fx->db, "db1", 1)); /* RESTORING, as a mirror is */
    cat_database d;
    assert_cat_ok(cat_database_get(fx->db, "db1", &d));
    assert_int_equal(d.state, 1);
    assert_unchanged(fx, cat_database_set_state(fx->db, "db1", 8), MK_E_INVALID, CAT_R_NONE);
    assert_unchanged(fx, cat_database_set_state(fx->db, "db1", -1), MK_E_INVALID, CAT_R_NONE);
    assert_unchanged(fx, cat_database_set_state(fx->db, "nodb", 0), MK_E_NOT_FOUND,
                     CAT_R_NOT_FOUND);
}

static void test_mirroring(void **state)
{
    cat_fx *fx = *state;
    assert_cat_ok(cat_database_create(fx->db, "db1", NULL));
    cat_mirroring m = principal();
    assert_cat_ok(cat_database_set_mirroring(fx->db, "db1", &m));
    cat_database d;
    assert_cat_ok(cat_database_get(fx->db, "db1", &d));
    assert_true(d.is_mirrored);
    assert_int_equal(strlen(d.mirroring_guid), 36);
    assert_int_equal(d.mirroring.role, CAT_MIR_PRINCIPAL);
    assert_int_equal(d.mirroring.state, CAT_MIR_SYNCHRONIZED);
    assert_string_equal(d.mirroring.partner_name, "TCP://host_b.example:7024");
    assert_string_equal(d.mirroring.partner_instance, "HOST_B");
    assert_string_equal(d.mirroring.witness_name, "TCP://witness.example:7024");
    assert_int_equal(d.mirroring.witness_state, CAT_WIT_CONNECTED);
    char guid[37];
    snprintf(guid, sizeof(guid), "%s", d.mirroring_guid);

    /* An update keeps the mirroring_guid; no witness means no witness state. */
    m.state = CAT_MIR_DISCONNECTED;
    m.witness_name[0] = '\0';
    assert_cat_ok(cat_database_set_mirroring(fx->db, "db1", &m));
    assert_cat_ok(cat_database_get(fx->db, "db1", &d));
    assert_string_equal(d.mirroring_guid, guid);
    assert_int_equal(d.mirroring.state, CAT_MIR_DISCONNECTED);
    assert_string_equal(d.mirroring.witness_name, "");
    assert_int_equal(d.mirroring.witness_state, CAT_WIT_UNKNOWN);

    assert_cat_ok(cat_database_clear_mirroring(fx->db, "db1"));
    assert_cat_ok(cat_database_get(fx->db, "db1", &d));
    assert_false(d.is_mirrored);
}

static void test_mirroring_errors(void **state)
{
    cat_fx *fx = *state;
    assert_cat_ok(cat_database_create(fx->db, "db1", NULL));
    cat_mirroring m = principal();
    assert_unchanged(fx, cat_database_set_mirroring(fx->db, "master", &m), MK_E_PERM, CAT_R_NONE);
    assert_unchanged(fx, cat_database_set_mirroring(fx->db, "nodb", &m), MK_E_NOT_FOUND,
                     CAT_R_NOT_FOUND);
    m.role = 3;
    assert_unchanged(fx, cat_database_set_mirroring(fx->db, "db1", &m), MK_E_INVALID, CAT_R_NONE);
    m = principal(), m.state = 7;
    assert_unchanged(fx, cat_database_set_mirroring(fx->db, "db1", &m), MK_E_INVALID, CAT_R_NONE);
    m = principal(), m.witness_state = 3;
    assert_unchanged(fx, cat_database_set_mirroring(fx->db, "db1", &m), MK_E_INVALID, CAT_R_NONE);
    m = principal(), m.partner_name[0] = '\0';
    assert_unchanged(fx, cat_database_set_mirroring(fx->db, "db1", &m), MK_E_INVALID, CAT_R_NONE);
    m = principal();
    memset(m.partner_instance, 'x', sizeof(m.partner_instance)); /* unterminated */
    assert_unchanged(fx, cat_database_set_mirroring(fx->db, "db1", &m), MK_E_INVALID, CAT_R_NONE);
    assert_unchanged(fx, cat_database_set_mirroring(fx->db, "db1", NULL), MK_E_INVALID, CAT_R_NONE);
    assert_unchanged(fx, cat_database_clear_mirroring(fx->db, "nodb"), MK_E_NOT_FOUND,
                     CAT_R_NOT_FOUND);
}

#define T(f) cmocka_unit_test_setup_teardown(f, cat_fx_setup, cat_fx_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_system_databases), T(test_create_get_drop),  T(test_state),
        T(test_mirroring),        T(test_mirroring_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
