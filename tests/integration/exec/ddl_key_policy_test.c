/*
 * sys.mirrorkey_certificate_keys through the executor with real SoftHSM2
 * tokens (docs/tsql.md "Key policy report"):
 *   - one row per certificate whose key is on the token ('HS'; imported
 *     certificates are not listed), read from the token at query time:
 *     the token's label, key_id equal to the catalog's CKA_ID, key type
 *     and size per ALGORITHM, every policy bit as generated (LOCAL,
 *     SENSITIVE, ALWAYS_SENSITIVE, !EXTRACTABLE, NEVER_EXTRACTABLE, the
 *     private value unreadable), meets_policy 1, checked_at now;
 *   - SELECT * and SELECT cols ... WHERE name = 'x' / key_type = 'RSA';
 *   - a certificate whose token objects were destroyed, a token that went
 *     away (and came back), and an instance without a token: the row stays,
 *     with NULL attributes and meets_policy 0;
 *   - a policy check failing now (p11_policy_debug_fail) turns
 *     meets_policy to 0 at the next query;
 *   - a plain login sees no rows.
 */
#include <time.h>

#include "ddl_fixture.h"
#include "p11/keygen.h"
#include "p11/policy.h"

static const char CREATE_MK[] = "CREATE MASTER KEY ENCRYPTION BY PASSWORD = '<1_Strong_Password!>'";

static const char *const ATTRIBUTES[] = {
    "key_type",
    "key_bits",
    "is_local",
    "is_sensitive",
    "is_always_sensitive",
    "is_extractable",
    "is_never_extractable",
    "is_private_value_readable",
};
#define NATTR (sizeof(ATTRIBUTES) / sizeof(ATTRIBUTES[0]))

/* The catalog's CKA_ID of certificate name as the view prints varbinary ("0x..."). */
static void catalog_key_id(fx_inst *i, const char *name, char *out, size_t n)
{
    cat_cert c;
    memset(&c, 0, sizeof(c));
    FX_OK(cat_cert_get_by_name(i->db, name, &c));
    assert_int_equal(c.token_id_len, P11_ID_LEN);
    size_t o = (size_t)snprintf(out, n, "0x");
    for (size_t k = 0; k < c.token_id_len && o + 3 < n; k++) {
        o += (size_t)snprintf(out + o, n - o, "%02X", c.token_id[k]);
    }
    cat_cert_cleanup(&c);
}

static void assert_checked_now(const record *r, size_t row)
{
    long long at = atoll(rec_cell(r, row, "checked_at"));
    long long now = (long long)time(NULL) * 1000;
    assert_true(at > now - 60000 && at <= now + 1000);
}

/* Row `row` of r is certificate name with a key on the token that meets policy. */
static void assert_good_row(fx_inst *i, const record *r, size_t row, const char *name,
                            const char *type, const char *bits)
{
    char v[REC_CELL];
    char want_id[80];
    assert_string_equal(rec_cell(r, row, "name"), name);
    char sql[300];
    snprintf(sql, sizeof(sql), "SELECT certificate_id FROM sys.certificates WHERE name = '%s'",
             name);
    assert_string_equal(rec_cell(r, row, "certificate_id"),
                        rec_value(i->admin, sql, "certificate_id", v, sizeof(v)));
    assert_string_equal(rec_cell(r, row, "token_label"), i->name);
    catalog_key_id(i, name, want_id, sizeof(want_id));
    assert_string_equal(rec_cell(r, row, "key_id"), want_id);
    assert_string_equal(rec_cell(r, row, "key_type"), type);
    assert_string_equal(rec_cell(r, row, "key_bits"), bits);
    assert_string_equal(rec_cell(r, row, "is_local"), "1");
    assert_string_equal(rec_cell(r, row, "is_sensitive"), "1");
    assert_string_equal(rec_cell(r, row, "is_always_sensitive"), "1");
    assert_string_equal(rec_cell(r, row, "is_extractable"), "0");
    assert_string_equal(rec_cell(r, row, "is_never_extractable"), "1");
    assert_string_equal(rec_cell(r, row, "is_private_value_readable"), "0");
    assert_string_equal(rec_cell(r, row, "meets_policy"), "1");
    assert_checked_now(r, row);
}

/* Row `row` of r is certificate name whose key the token could not show. */
static void assert_unknown_row(fx_inst *i, const record *r, size_t row, const char *name,
                               const char *token_label)
{
    char want_id[80];
    assert_string_equal(rec_cell(r, row, "name"), name);
    catalog_key_id(i, name, want_id, sizeof(want_id));
    assert_string_equal(rec_cell(r, row, "key_id"), want_id);
    assert_string_equal(rec_cell(r, row, "token_label"), token_label);
    for (size_t k = 0; k < NATTR; k++) {
        if (strcmp(rec_cell(r, row, ATTRIBUTES[k]), "NULL") != 0) {
            fail_msg("%s of %s is %s, expected NULL", ATTRIBUTES[k], name,
                     rec_cell(r, row, ATTRIBUTES[k]));
        }
    }
    assert_string_equal(rec_cell(r, row, "meets_policy"), "0");
    assert_checked_now(r, row);
}

static record *select_all(fx_inst *i)
{
    record *r = rec_run(i->admin, "SELECT * FROM sys.mirrorkey_certificate_keys");
    if (rec_error(r) != 0) {
        fail_msg("SELECT failed: %d %s", rec_error(r), r->msg[0].text);
    }
    assert_int_equal(r->ncols, 14);
    return r;
}

static void test_rows_from_the_token(void **state)
{
    fx *f = *state;
    fx_inst *a = &f->a;
    RUN_OK(a->admin, CREATE_MK);
    RUN_OK(a->admin, "CREATE CERTIFICATE ec_cert WITH SUBJECT = 'ec'");
    RUN_OK(a->admin, "CREATE CERTIFICATE rsa_cert WITH SUBJECT = 'rsa', ALGORITHM = RSA_2048");
    RUN_OK(a->admin, "CREATE CERTIFICATE p384_cert WITH SUBJECT = 'p384', ALGORITHM = EC_P384");
    /* A peer's public certificate has no key here: not listed. */
    RUN_OK(f->b.admin, CREATE_MK);
    RUN_OK(f->b.admin, "CREATE CERTIFICATE peer WITH SUBJECT = 'peer'");
    RUN_OK(f->b.admin, "BACKUP CERTIFICATE peer TO FILE = 'peer.cer'");
    fx_copy(&f->b, a, "peer.cer");
    RUN_OK(a->admin, "CREATE CERTIFICATE peer FROM FILE = 'peer.cer'");

    record *r = select_all(a);
    assert_int_equal(r->nrows, 3);
    assert_good_row(a, r, 0, "ec_cert", "EC", "256");
    assert_good_row(a, r, 1, "rsa_cert", "RSA", "2048");
    assert_good_row(a, r, 2, "p384_cert", "EC", "384");
    free(r);

    /* A column list with WHERE on a stored and on a live column. */
    r = rec_run(a->admin, "SELECT name, key_bits, meets_policy FROM "
                          "master.sys.mirrorkey_certificate_keys WHERE name = 'RSA_CERT'");
    assert_int_equal(rec_error(r), 0);
    assert_int_equal(r->nrows, 1);
    assert_int_equal(r->ncols, 3);
    assert_string_equal(rec_cell(r, 0, "name"), "rsa_cert");
    assert_string_equal(rec_cell(r, 0, "key_bits"), "2048");
    assert_string_equal(rec_cell(r, 0, "meets_policy"), "1");
    free(r);
    assert_int_equal(rec_count(a->admin, "SELECT name FROM sys.mirrorkey_certificate_keys WHERE "
                                         "key_type = 'EC' AND meets_policy = 1"),
                     2);
    assert_int_equal(rec_count(a->admin, "SELECT name FROM sys.mirrorkey_certificate_keys WHERE "
                                         "is_private_value_readable = 1"),
                     0);
    assert_int_equal(
        rec_count(a->admin, "SELECT name FROM sys.mirrorkey_certificate_keys WHERE name = 'peer'"),
        0);
    RUN_ERR(a->admin, "SELECT nope FROM sys.mirrorkey_certificate_keys", 207);

    /* Read at query time: a check the token fails now shows at once. */
    p11_policy_debug_fail(CKA_NEVER_EXTRACTABLE);
    r = rec_run(a->admin, "SELECT * FROM sys.mirrorkey_certificate_keys WHERE name = 'ec_cert'");
    p11_policy_debug_fail((CK_ATTRIBUTE_TYPE)-1);
    assert_int_equal(r->nrows, 1);
    assert_string_equal(rec_cell(r, 0, "meets_policy"), "0");
    assert_string_equal(rec_cell(r, 0, "is_never_extractable"), "1"); /* what the token said */
    free(r);
    r = select_all(a);
    assert_good_row(a, r, 0, "ec_cert", "EC", "256");
    free(r);
}

/* The certificate stays in the catalog after its token objects were destroyed. */
static void test_destroyed_key(void **state)
{
    fx *f = *state;
    fx_inst *a = &f->a;
    RUN_OK(a->admin, CREATE_MK);
    RUN_OK(a->admin, "CREATE CERTIFICATE kept WITH SUBJECT = 'kept'");
    RUN_OK(a->admin, "CREATE CERTIFICATE gone WITH SUBJECT = 'gone', ALGORITHM = RSA_2048");
    cat_cert c;
    memset(&c, 0, sizeof(c));
    FX_OK(cat_cert_get_by_name(a->db, "gone", &c));
    size_t destroyed = 0;
    FX_OK(p11_token_destroy_id(a->tok, c.token_id, c.token_id_len, &destroyed));
    assert_int_equal(destroyed, 3);
    cat_cert_cleanup(&c);

    record *r = select_all(a);
    assert_int_equal(r->nrows, 2);
    assert_good_row(a, r, 0, "kept", "EC", "256");
    assert_unknown_row(a, r, 1, "gone", "HOST_A");
    free(r);
    assert_int_equal(rec_count(a->admin, "SELECT * FROM sys.mirrorkey_certificate_keys WHERE "
                                         "meets_policy = 0 AND key_type IS NULL"),
                     1);
}

/* A token that is away: rows with NULLs (not an error), and live again once it is back. */
static void test_token_away(void **state)
{
    fx *f = *state;
    fx_inst *a = &f->a;
    RUN_OK(a->admin, CREATE_MK);
    RUN_OK(a->admin, "CREATE CERTIFICATE c1 WITH SUBJECT = 'c1'");
    assert_int_equal(mk_sh("mv '%s' '%s.away'", f->hsm.tokendir, f->hsm.tokendir), 0);
    record *r = select_all(a);
    assert_int_equal(rec_error(r), 0);
    assert_int_equal(r->nrows, 1);
    assert_unknown_row(a, r, 0, "c1", "HOST_A");
    free(r);
    assert_int_equal(mk_sh("mv '%s.away' '%s'", f->hsm.tokendir, f->hsm.tokendir), 0);
    r = select_all(a);
    assert_good_row(a, r, 0, "c1", "EC", "256");
    free(r);
}

/* An instance with no token configured knows nothing about the keys, not even the label. */
static void test_no_token(void **state)
{
    fx *f = *state;
    fx_inst *a = &f->a;
    RUN_OK(a->admin, CREATE_MK);
    RUN_OK(a->admin, "CREATE CERTIFICATE c1 WITH SUBJECT = 'c1'");
    p11_token *tok = a->tok;
    fx_inst_stop(a);
    a->tok = NULL;
    fx_inst_start(a, f->libctx, P11_KEY_EC);
    record *r = select_all(a);
    assert_int_equal(r->nrows, 1);
    assert_unknown_row(a, r, 0, "c1", "NULL");
    free(r);
    fx_inst_stop(a);
    a->tok = tok;
    fx_inst_start(a, f->libctx, P11_KEY_EC);
}

static void test_plain_login_sees_nothing(void **state)
{
    fx *f = *state;
    fx_inst *a = &f->a;
    RUN_OK(a->admin, CREATE_MK);
    RUN_OK(a->admin, "CREATE CERTIFICATE c1 WITH SUBJECT = 'c1'");
    assert_int_equal(rec_count(a->admin, "SELECT * FROM sys.mirrorkey_certificate_keys"), 1);
    record *r = rec_run(a->plain, "SELECT * FROM sys.mirrorkey_certificate_keys");
    assert_int_equal(rec_error(r), 0);
    assert_int_equal(r->nrows, 0);
    assert_int_equal(r->ncols, 14);
    free(r);
    assert_int_equal(
        rec_count(a->plain, "SELECT name FROM sys.mirrorkey_certificate_keys WHERE name = 'c1'"),
        0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_rows_from_the_token, fx_setup_ec, fx_teardown),
        cmocka_unit_test_setup_teardown(test_destroyed_key, fx_setup_ec, fx_teardown),
        cmocka_unit_test_setup_teardown(test_token_away, fx_setup_ec, fx_teardown),
        cmocka_unit_test_setup_teardown(test_no_token, fx_setup_ec, fx_teardown),
        cmocka_unit_test_setup_teardown(test_plain_login_sees_nothing, fx_setup_ec, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
