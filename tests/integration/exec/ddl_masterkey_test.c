/*
 * The master key statements against a real token: CREATE (protector created
 * on the token on first use, blobs in the catalog, sys.symmetric_keys row;
 * 15578, 15116/15118, 102), OPEN / CLOSE (15313 for a wrong or dropped
 * password; 15581 when closed), ALTER ... ADD / DROP ENCRYPTION BY PASSWORD
 * (50109, 15313), the refused SERVICE MASTER KEY forms (50104), REGENERATE
 * with and without FORCE (15329), and the daemon's start-up path
 * exec_instance_open_master_key (through the protector, no password; a
 * token without the protector opens nothing). Each refusal leaves the
 * catalog row, the token and the open key as they were.
 */
#include "catalog/masterkey.h"
#include "ddl_fixture.h"
#include "keys/pwblob.h"
#include "p11/protector.h"
#include "p11/seal_blob.h"

static const char CREATE_MK[] = "CREATE MASTER KEY ENCRYPTION BY PASSWORD = '<1_Strong_Password!>'";

/* A copy of the instance's open master key, or NULL. */
static mk_secret *open_key(exec_instance *inst)
{
    mk_secret *copy = NULL;
    pthread_mutex_lock(&inst->mk_lock);
    if (inst->master_key != NULL) {
        assert_true(mk_ok(mk_secret_from(mk_secret_cdata(inst->master_key),
                                         mk_secret_len(inst->master_key), &copy)));
    }
    pthread_mutex_unlock(&inst->mk_lock);
    return copy;
}

static bool has_protector(p11_token *t)
{
    p11_protector *p = NULL;
    if (mk_failed(p11_protector_find_label(t, KEYS_PROTECTOR_LABEL, &p))) {
        return false;
    }
    p11_protector_free(p);
    return true;
}

static void test_create(void **state)
{
    fx *f = *state;
    fx_inst *a = &f->a;
    assert_false(has_protector(a->tok));
    assert_false(exec_instance_master_key_is_open(a->inst));
    RUN_OK(a->admin, CREATE_MK);
    assert_true(exec_instance_master_key_is_open(a->inst));
    assert_true(has_protector(a->tok));

    record *r = rec_run(a->admin, "SELECT * FROM sys.symmetric_keys");
    assert_int_equal(r->nrows, 1);
    assert_string_equal(rec_cell(r, 0, "name"), "##MS_DatabaseMasterKey##");
    assert_string_equal(rec_cell(r, 0, "symmetric_key_id"), "101");
    assert_string_equal(rec_cell(r, 0, "key_length"), "256");
    assert_string_equal(rec_cell(r, 0, "key_algorithm"), "A3");
    assert_string_equal(rec_cell(r, 0, "algorithm_desc"), "AES_256");
    assert_int_equal(strlen(rec_cell(r, 0, "key_guid")), 36);
    free(r);

    /* The catalog holds a protector blob naming the token's protector and a password blob. */
    cat_masterkey row;
    FX_OK(cat_masterkey_get(a->db, &row));
    p11_seal_blob sb;
    FX_OK(p11_seal_blob_parse(row.protector_blob, row.protector_len, &sb));
    p11_protector *prot = NULL;
    FX_OK(p11_protector_find_label(a->tok, KEYS_PROTECTOR_LABEL, &prot));
    size_t id_len = 0;
    const uint8_t *id = p11_protector_id(prot, &id_len);
    assert_int_equal(sb.id_len, id_len);
    assert_memory_equal(sb.id, id, id_len);
    p11_policy_report report;
    FX_OK(p11_protector_policy_check(prot, &report));
    assert_true(report.pass);
    p11_protector_free(prot);
    keys_pwblob pb;
    assert_non_null(row.password_blob);
    FX_OK(keys_pwblob_parse(row.password_blob, row.password_len, &pb));
    assert_int_equal(pb.iterations, 1000); /* the tests' override; 600000 by default */
    /* The password and protector blobs open to the same key, the one that is open. */
    mk_secret *by_pw = NULL;
    mk_secret *by_prot = NULL;
    FX_OK(keys_masterkey_open_with_password(row.password_blob, row.password_len,
                                            (const uint8_t *)"<1_Strong_Password!>", 20, &by_pw));
    FX_OK(keys_masterkey_open_with_protector(a->tok, row.protector_blob, row.protector_len,
                                             &by_prot));
    mk_secret *now = open_key(a->inst);
    assert_true(mk_secret_equal(by_pw, by_prot));
    assert_true(mk_secret_equal(by_pw, now));
    mk_secret_free(by_pw);
    mk_secret_free(by_prot);
    mk_secret_free(now);
    cat_masterkey_cleanup(&row);
}

static void test_create_refused(void **state)
{
    fx *f = *state;
    fx_inst *a = &f->a;
    RUN_ERR(a->admin, "CREATE MASTER KEY ENCRYPTION BY PASSWORD = 'short'", 15116);
    RUN_ERR(a->admin, "CREATE MASTER KEY ENCRYPTION BY PASSWORD = 'alllowercaseletters'", 15118);
    RUN_ERR(a->admin, "CREATE MASTER KEY", 102);
    /* None of that created a protector or a row. */
    assert_false(has_protector(a->tok));
    assert_int_equal(rec_count(a->admin, "SELECT * FROM sys.symmetric_keys"), 0);
    RUN_OK(a->admin, CREATE_MK);
    cat_masterkey before;
    FX_OK(cat_masterkey_get(a->db, &before));
    mk_secret *k0 = open_key(a->inst);
    RUN_ERR(a->admin, "CREATE MASTER KEY ENCRYPTION BY PASSWORD = 'An0ther!Passw0rd'", 15578);
    cat_masterkey after;
    FX_OK(cat_masterkey_get(a->db, &after));
    assert_string_equal(before.key_guid, after.key_guid);
    assert_int_equal(before.password_len, after.password_len);
    assert_memory_equal(before.password_blob, after.password_blob, before.password_len);
    mk_secret *k1 = open_key(a->inst);
    assert_true(mk_secret_equal(k0, k1));
    mk_secret_free(k0);
    mk_secret_free(k1);
    cat_masterkey_cleanup(&before);
    cat_masterkey_cleanup(&after);
}

static void test_open_close(void **state)
{
    fx *f = *state;
    fx_inst *a = &f->a;
    RUN_ERR(a->admin, "OPEN MASTER KEY DECRYPTION BY PASSWORD = '<1_Strong_Password!>'", 15581);
    RUN_OK(a->admin, CREATE_MK);
    mk_secret *k0 = open_key(a->inst);
    RUN_OK(a->admin, "CLOSE MASTER KEY");
    assert_false(exec_instance_master_key_is_open(a->inst));
    RUN_OK(a->admin, "CLOSE MASTER KEY"); /* closing twice is fine */
    /* Closed: certificates cannot be created. */
    RUN_ERR(a->admin, "CREATE CERTIFICATE c WITH SUBJECT = 'c'", 15581);
    record *r = rec_run(a->admin, "OPEN MASTER KEY DECRYPTION BY PASSWORD = 'Wr0ng!Password'");
    assert_int_equal(rec_error(r), 15313);
    assert_string_equal(r->msg[0].text, "The key is not encrypted using the specified decryptor.");
    free(r);
    assert_false(exec_instance_master_key_is_open(a->inst));
    RUN_OK(a->admin, "OPEN MASTER KEY DECRYPTION BY PASSWORD = '<1_Strong_Password!>'");
    mk_secret *k1 = open_key(a->inst);
    assert_non_null(k1);
    assert_true(mk_secret_equal(k0, k1));
    mk_secret_free(k0);
    mk_secret_free(k1);
    RUN_OK(a->admin, "CREATE CERTIFICATE c WITH SUBJECT = 'c'");
}

static void test_add_drop_password(void **state)
{
    fx *f = *state;
    fx_inst *a = &f->a;
    RUN_ERR(a->admin, "ALTER MASTER KEY ADD ENCRYPTION BY PASSWORD = 'An0ther!Passw0rd'", 15581);
    RUN_OK(a->admin, CREATE_MK);
    RUN_ERR(a->admin, "ALTER MASTER KEY ADD ENCRYPTION BY SERVICE MASTER KEY", 50104);
    RUN_ERR(a->admin, "ALTER MASTER KEY DROP ENCRYPTION BY SERVICE MASTER KEY", 50104);
    RUN_ERR(a->admin, "ALTER MASTER KEY ADD ENCRYPTION BY PASSWORD = 'An0ther!Passw0rd'", 50109);
    RUN_ERR(a->admin, "ALTER MASTER KEY DROP ENCRYPTION BY PASSWORD = 'Wr0ng!Password'", 15313);
    /* Dropping the last password is allowed: the protector still seals the key. */
    RUN_OK(a->admin, "ALTER MASTER KEY DROP ENCRYPTION BY PASSWORD = '<1_Strong_Password!>'");
    cat_masterkey row;
    FX_OK(cat_masterkey_get(a->db, &row));
    assert_null(row.password_blob);
    cat_masterkey_cleanup(&row);
    RUN_OK(a->admin, "CLOSE MASTER KEY");
    RUN_ERR(a->admin, "OPEN MASTER KEY DECRYPTION BY PASSWORD = '<1_Strong_Password!>'", 15313);
    RUN_ERR(a->admin, "ALTER MASTER KEY DROP ENCRYPTION BY PASSWORD = '<1_Strong_Password!>'",
            15313);
    /* ADD works while closed: the protector opens the key. */
    RUN_ERR(a->admin, "ALTER MASTER KEY ADD ENCRYPTION BY PASSWORD = 'weak'", 15116);
    RUN_OK(a->admin, "ALTER MASTER KEY ADD ENCRYPTION BY PASSWORD = 'An0ther!Passw0rd'");
    RUN_OK(a->admin, "OPEN MASTER KEY DECRYPTION BY PASSWORD = 'An0ther!Passw0rd'");
    assert_true(exec_instance_master_key_is_open(a->inst));
}

static void test_regenerate(void **state)
{
    fx *f = *state;
    fx_inst *a = &f->a;
    RUN_ERR(a->admin, "ALTER MASTER KEY REGENERATE WITH ENCRYPTION BY PASSWORD = 'N3w!Passw0rd'",
            15581);
    RUN_OK(a->admin, CREATE_MK);
    mk_secret *k0 = open_key(a->inst);
    RUN_ERR(a->admin, "ALTER MASTER KEY REGENERATE WITH ENCRYPTION BY PASSWORD = 'weak'", 15116);
    RUN_OK(a->admin, "ALTER MASTER KEY REGENERATE WITH ENCRYPTION BY PASSWORD = 'N3w!Passw0rd'");
    mk_secret *k1 = open_key(a->inst);
    assert_false(mk_secret_equal(k0, k1));
    RUN_OK(a->admin, "CLOSE MASTER KEY");
    RUN_ERR(a->admin, "OPEN MASTER KEY DECRYPTION BY PASSWORD = '<1_Strong_Password!>'", 15313);
    RUN_OK(a->admin, "OPEN MASTER KEY DECRYPTION BY PASSWORD = 'N3w!Passw0rd'");
    mk_secret *k2 = open_key(a->inst);
    assert_true(mk_secret_equal(k1, k2));
    /* Only one protector on the token: regeneration reuses it. */
    p11_protector *p = NULL;
    FX_OK(p11_protector_find_label(a->tok, KEYS_PROTECTOR_LABEL, &p));
    p11_protector_free(p);

    /* A protector blob that no longer opens, with the key closed: 15329 unless FORCE. */
    RUN_OK(a->admin, "CLOSE MASTER KEY");
    cat_masterkey row;
    FX_OK(cat_masterkey_get(a->db, &row));
    row.protector_blob[row.protector_len - 1] ^= 0x01;
    FX_OK(cat_masterkey_update(a->db, row.protector_blob, row.protector_len, false, NULL, 0));
    RUN_ERR(a->admin, "ALTER MASTER KEY REGENERATE WITH ENCRYPTION BY PASSWORD = 'Th1rd!Passw0rd'",
            15329);
    cat_masterkey same;
    FX_OK(cat_masterkey_get(a->db, &same));
    assert_memory_equal(same.protector_blob, row.protector_blob, row.protector_len);
    cat_masterkey_cleanup(&same);
    RUN_OK(a->admin,
           "ALTER MASTER KEY FORCE REGENERATE WITH ENCRYPTION BY PASSWORD = 'Th1rd!Passw0rd'");
    assert_true(exec_instance_master_key_is_open(a->inst));
    cat_masterkey_cleanup(&row);
    mk_secret_free(k0);
    mk_secret_free(k1);
    mk_secret_free(k2);
}

/* The daemon's start-up path: open through the protector, no password. */
static void test_open_at_start(void **state)
{
    fx *f = *state;
    fx_inst *a = &f->a;
    bool opened = true;
    FX_OK(exec_instance_open_master_key(a->inst, a->db, &opened));
    assert_false(opened); /* no master key yet: nothing to open, no error */
    RUN_OK(a->admin, CREATE_MK);
    mk_secret *k0 = open_key(a->inst);
    /* A restart: a new instance over the same catalog and token. */
    fx_inst_stop(a);
    fx_inst_start(a, f->libctx, P11_KEY_EC);
    assert_false(exec_instance_master_key_is_open(a->inst));
    FX_OK(exec_instance_open_master_key(a->inst, a->db, &opened));
    assert_true(opened);
    mk_secret *k1 = open_key(a->inst);
    assert_true(mk_secret_equal(k0, k1));
    RUN_OK(a->admin, "CREATE CERTIFICATE after_restart WITH SUBJECT = 'after restart'");

    /* HOST_A's catalog on HOST_B's token: the protector is not there. */
    exec_instance_config cfg = {.server_name = "wrong", .token = f->b.tok};
    exec_instance *wrong = NULL;
    FX_OK(exec_instance_new(&cfg, &wrong));
    mk_error_clear();
    assert_true(mk_failed(exec_instance_open_master_key(wrong, a->db, &opened)));
    assert_int_equal(mk_error_code(), MK_E_NOT_FOUND);
    assert_false(opened);
    assert_false(exec_instance_master_key_is_open(wrong));
    exec_instance_free(wrong);
    /* Without a token at all. */
    exec_instance_config none = {.server_name = "none"};
    FX_OK(exec_instance_new(&none, &wrong));
    assert_true(mk_failed(exec_instance_open_master_key(wrong, a->db, &opened)));
    assert_int_equal(mk_error_code(), MK_E_STATE);
    exec_instance_free(wrong);
    mk_secret_free(k0);
    mk_secret_free(k1);
}

/*
 * With no token: CREATE MASTER KEY fails cleanly (50110) and stores nothing;
 * an HSM certificate cannot be dropped (50110) since its key could not be
 * destroyed, and stays listed.
 */
static void test_no_token(void **state)
{
    fx *f = *state;
    RUN_OK(f->b.admin, CREATE_MK);
    RUN_OK(f->b.admin, "CREATE CERTIFICATE hs WITH SUBJECT = 'hs'");
    exec_instance_config cfg = {.server_name = "notoken"};
    exec_instance *inst = NULL;
    exec_session *s = NULL;
    cat_login l;
    FX_OK(exec_instance_new(&cfg, &inst));
    FX_OK(cat_login_get(f->a.db, "admin", &l));
    exec_principal who = {.login_id = l.principal_id, .login_name = "admin"};
    FX_OK(exec_session_new(inst, f->a.db, &who, &s));
    RUN_ERR(s, CREATE_MK, 50110);
    assert_int_equal(rec_count(s, "SELECT * FROM sys.symmetric_keys"), 0);
    exec_session_free(s);
    s = NULL;
    /* HOST_B's catalog without its token. */
    FX_OK(cat_login_get(f->b.db, "admin", &l));
    who.login_id = l.principal_id;
    FX_OK(exec_session_new(inst, f->b.db, &who, &s));
    size_t objs = fx_token_objects(f->b.tok);
    RUN_ERR(s, "DROP CERTIFICATE hs", 50110);
    assert_int_equal(rec_count(s, "SELECT * FROM sys.certificates WHERE name = 'hs'"), 1);
    assert_int_equal(fx_token_objects(f->b.tok), objs);
    exec_session_free(s);
    exec_instance_free(inst);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create, fx_setup_ec, fx_teardown),
        cmocka_unit_test_setup_teardown(test_create_refused, fx_setup_ec, fx_teardown),
        cmocka_unit_test_setup_teardown(test_open_close, fx_setup_ec, fx_teardown),
        cmocka_unit_test_setup_teardown(test_add_drop_password, fx_setup_ec, fx_teardown),
        cmocka_unit_test_setup_teardown(test_regenerate, fx_setup_ec, fx_teardown),
        cmocka_unit_test_setup_teardown(test_open_at_start, fx_setup_ec, fx_teardown),
        cmocka_unit_test_setup_teardown(test_no_token, fx_setup_ec, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
