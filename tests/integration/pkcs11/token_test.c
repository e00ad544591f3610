/*
 * Opening tokens: selection by URI (exactly one match, else an error listing
 * what is visible), module loading and sharing, library info, and PIN
 * handling (a rejected PIN is reported once and never retried, a PIN that
 * goes bad before a re-login latches, no PIN means public objects only).
 */
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "p11test.h"

#include "p11/keygen.h"
#include "p11/module.h"
#include "p11/uri.h"

static void write_pin(const char *path, const char *pin)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(pin, f);
    fclose(f);
    chmod(path, 0600);
}

static void test_no_match_lists_visible(void **state)
{
    p11t *t = *state;
    char uri[2200];
    snprintf(uri, sizeof(uri), "pkcs11:token=nosuch?module-path=%s", t->hsm.module);
    p11_token *tok = NULL;
    P11T_FAILS(p11_token_open(uri, NULL, &tok), MK_E_NOT_FOUND);
    const char *msg = mk_error_message();
    print_message("%s\n", msg);
    assert_non_null(strstr(msg, "no token matches token='nosuch'"));
    assert_non_null(strstr(msg, "visible tokens: 'mk' (serial "));
    assert_non_null(strstr(msg, "manufacturer SoftHSM project, model SoftHSM v2"));
    assert_null(tok);
}

static void test_ambiguous_lists_both(void **state)
{
    p11t *t = *state;
    char second[2048];
    assert_int_equal(mk_softhsm_add_token(&t->hsm, "mk-two", second, sizeof(second)), 0);
    char uri[2200];
    snprintf(uri, sizeof(uri), "pkcs11:manufacturer=SoftHSM%%20project?module-path=%s",
             t->hsm.module);
    p11_token *tok = NULL;
    P11T_FAILS(p11_token_open(uri, NULL, &tok), MK_E_AMBIGUOUS);
    const char *msg = mk_error_message();
    print_message("%s\n", msg);
    assert_non_null(strstr(msg, "2 tokens match manufacturer='SoftHSM project'"));
    assert_non_null(strstr(msg, "'mk' (serial "));
    assert_non_null(strstr(msg, "'mk-two' (serial "));
    /* A narrower selector picks one of them. */
    P11T_OK(p11_token_open(second, NULL, &tok));
    assert_string_equal(p11_token_get_info(tok)->label, "mk-two");
    p11_token_unref(tok);
}

static void test_select_by_serial_and_share(void **state)
{
    p11t *t = *state;
    p11_token *a = NULL, *b = NULL;
    P11T_OK(p11_token_open(t->hsm.uri, NULL, &a));
    const p11_token_info *info = p11_token_get_info(a);
    assert_string_equal(info->label, "mk");
    assert_string_equal(info->manufacturer, "SoftHSM project");
    assert_string_equal(info->model, "SoftHSM v2");
    assert_true(strlen(info->serial) > 0);
    assert_true(info->flags & CKF_TOKEN_INITIALIZED);
    char uri[2400];
    snprintf(uri, sizeof(uri), "pkcs11:serial=%s?module-path=%s&pin-source=file:%s", info->serial,
             t->hsm.module, t->hsm.pin_file);
    P11T_OK(p11_token_open(uri, NULL, &b));
    assert_ptr_equal(a, b); /* one object per token per process */
    p11_token_unref(b);

    p11_module_info mi;
    P11T_OK(p11_module_get_info(p11_token_module(a), &mi));
    assert_string_equal(mi.manufacturer, "SoftHSM");
    assert_int_equal(mi.cryptoki_major, 2);
    assert_int_equal(mi.library_major, 2);
    assert_non_null(strstr(p11_module_path(p11_token_module(a)), "libsofthsm2.so"));
    p11_token_unref(a);
}

static void test_module_errors(void **state)
{
    p11t *t = *state;
    p11_token *tok = NULL;
    P11T_FAILS(p11_token_open("pkcs11:token=mk?module-path=/nonexistent/module.so", NULL, &tok),
               MK_E_IO);
    assert_non_null(strstr(mk_error_message(), "/nonexistent/module.so"));
    /* A shared object that is not a PKCS#11 module. */
    P11T_FAILS(
        p11_token_open("pkcs11:token=mk?module-path=/lib/x86_64-linux-gnu/libc.so.6", NULL, &tok),
        MK_E_INVALID);
    assert_non_null(strstr(mk_error_message(), "C_GetFunctionList"));
    /* library attributes must match the module. */
    char uri[2200];
    snprintf(uri, sizeof(uri), "pkcs11:library-manufacturer=Acme;token=mk?module-path=%s",
             t->hsm.module);
    P11T_FAILS(p11_token_open(uri, NULL, &tok), MK_E_NOT_FOUND);
    assert_non_null(strstr(mk_error_message(), "library attributes"));
    P11T_FAILS(p11_token_open("not a uri", NULL, &tok), MK_E_INVALID);
    P11T_FAILS(p11_token_open(NULL, NULL, &tok), MK_E_INVALID);
    assert_null(tok);
    /* A module loaded twice is one module. */
    p11_module *m1 = NULL, *m2 = NULL;
    P11T_OK(p11_module_load(t->hsm.module, &m1));
    P11T_OK(p11_module_load(t->hsm.module, &m2));
    assert_ptr_equal(m1, m2);
    p11_module_unref(m1);
    p11_module_unref(m2);
}

/* The p11-kit proxy, when no module-path is given, finds SoftHSM2 through its registration. */
static void test_default_module_proxy(void **state)
{
    p11t *t = *state;
    assert_non_null(strstr(p11_module_default_path(), "p11-kit-proxy"));
    char uri[2200];
    snprintf(uri, sizeof(uri), "pkcs11:token=mk?pin-source=file:%s", t->hsm.pin_file);
    p11_token *tok = NULL;
    P11T_OK(p11_token_open(uri, NULL, &tok));
    char proxy[4096];
    assert_non_null(realpath(p11_module_default_path(), proxy));
    assert_string_equal(p11_module_path(p11_token_module(tok)), proxy); /* resolved path */
    p11_keygen_params p = {P11_KEY_EC, 256, "via-proxy"};
    p11_key *k = NULL;
    P11T_OK(p11_keygen(tok, &p, &k, NULL));
    p11_key_unref(k);
    p11_token_unref(tok);
}

static void test_defaults_used(void **state)
{
    p11t *t = *state;
    p11_token_defaults d = {t->hsm.module, NULL, false};
    char pin_source[700];
    snprintf(pin_source, sizeof(pin_source), "file:%s", t->hsm.pin_file);
    d.pin_source = pin_source;
    p11_token *tok = NULL;
    P11T_OK(p11_token_open("pkcs11:token=mk", &d, &tok));
    assert_true(p11_token_logged_in(tok));
    p11_keygen_params p = {P11_KEY_EC, 256, "with-defaults"};
    p11_key *k = NULL;
    P11T_OK(p11_keygen(tok, &p, &k, NULL));
    p11_key_unref(k);
    p11_token_unref(tok);
}

static void test_wrong_pin_not_retried(void **state)
{
    p11t *t = *state;
    write_pin(t->hsm.pin_file, "0000-wrong");
    unsigned long before = p11_debug_login_calls();
    p11_token *tok = NULL;
    P11T_FAILS(p11_token_open(t->hsm.uri, NULL, &tok), MK_E_PIN);
    print_message("%s\n", mk_error_message());
    assert_non_null(strstr(mk_error_message(), "C_Login failed: CKR_PIN_INCORRECT"));
    assert_null(strstr(mk_error_message(), "0000-wrong"));
    assert_int_equal(p11_debug_login_calls() - before, 1);
    assert_null(tok);
    /* The right PIN works afterwards (SoftHSM2 has no lockout; real tokens would count). */
    write_pin(t->hsm.pin_file, MK_TEST_USER_PIN);
    P11T_OK(p11_token_open(t->hsm.uri, NULL, &tok));
    assert_int_equal(p11_debug_login_calls() - before, 2);
    p11_token_unref(tok);
}

static void test_pin_file_mode_refused(void **state)
{
    p11t *t = *state;
    chmod(t->hsm.pin_file, 0644);
    unsigned long before = p11_debug_login_calls();
    p11_token *tok = NULL;
    P11T_FAILS(p11_token_open(t->hsm.uri, NULL, &tok), MK_E_PERM);
    assert_int_equal(p11_debug_login_calls(), before); /* never got as far as C_Login */
    chmod(t->hsm.pin_file, 0600);
}

static void test_relogin_with_bad_pin_latches(void **state)
{
    p11t *t = *state;
    p11_token *tok = NULL;
    P11T_OK(p11_token_open(t->hsm.uri, NULL, &tok));
    p11_keygen_params p = {P11_KEY_EC, 256, "latch"};
    p11_key *k = NULL;
    P11T_OK(p11_keygen(tok, &p, &k, NULL));
    /* Lose the token, change the PIN file behind our back, bring the token back. */
    assert_int_equal(mk_sh("mv '%s' '%s.away'", t->hsm.tokendir, t->hsm.tokendir), 0);
    uint8_t sig[64];
    size_t sig_len = sizeof(sig);
    uint8_t digest[32] = {1};
    P11T_FAILS(p11_key_sign(k, CKM_ECDSA, NULL, 0, digest, 32, sig, &sig_len), MK_E_TOKEN_LOST);
    write_pin(t->hsm.pin_file, "9999-wrong");
    assert_int_equal(mk_sh("mv '%s.away' '%s'", t->hsm.tokendir, t->hsm.tokendir), 0);
    unsigned long before = p11_debug_login_calls();
    P11T_FAILS(p11_key_sign(k, CKM_ECDSA, NULL, 0, digest, 32, sig, &sig_len), MK_E_PIN);
    assert_non_null(strstr(mk_error_message(), "CKR_PIN_INCORRECT"));
    assert_int_equal(p11_debug_login_calls() - before, 1);
    /* Even with the right PIN back in place, nothing tries again on its own. */
    write_pin(t->hsm.pin_file, MK_TEST_USER_PIN);
    for (int i = 0; i < 3; i++) {
        P11T_FAILS(p11_key_sign(k, CKM_ECDSA, NULL, 0, digest, 32, sig, &sig_len), MK_E_PIN);
        assert_non_null(strstr(mk_error_message(), "not retrying"));
    }
    assert_int_equal(p11_debug_login_calls() - before, 1);
    assert_false(p11_token_logged_in(tok));
    p11_key_unref(k);
    p11_token_unref(tok);
}

static void test_no_pin_public_only(void **state)
{
    p11t *t = *state;
    /* Make a key pair with a logged-in token first. */
    p11_token *tok = NULL;
    P11T_OK(p11_token_open(t->hsm.uri, NULL, &tok));
    p11_keygen_params p = {P11_KEY_EC, 256, "pubonly"};
    p11_key *k = NULL;
    P11T_OK(p11_keygen(tok, &p, &k, NULL));
    p11_key_unref(k);
    p11_token_unref(tok);

    char uri[2200];
    snprintf(uri, sizeof(uri), "pkcs11:token=mk?module-path=%s", t->hsm.module);
    unsigned long before = p11_debug_login_calls();
    P11T_OK(p11_token_open(uri, NULL, &tok));
    assert_int_equal(p11_debug_login_calls(), before);
    assert_false(p11_token_logged_in(tok));
    p11_uri *sel = NULL;
    P11T_OK(p11_uri_parse("pkcs11:object=pubonly;type=private", &sel));
    P11T_FAILS(p11_key_find(tok, sel, &k), MK_E_NOT_FOUND);
    assert_non_null(strstr(mk_error_message(), "not logged in"));
    p11_uri_set_type(sel, P11_URI_TYPE_PUBLIC);
    P11T_OK(p11_key_find(tok, sel, &k));
    assert_false(p11_key_has_private(k));
    p11_key_unref(k);
    p11_uri_free(sel);
    p11_token_unref(tok);
}

static void test_pinpad_without_path_refused(void **state)
{
    p11t *t = *state;
    char uri[2200];
    snprintf(uri, sizeof(uri), "pkcs11:token=mk?module-path=%s&pin-source=pinpad", t->hsm.module);
    p11_token *tok = NULL;
    P11T_FAILS(p11_token_open(uri, NULL, &tok), MK_E_PIN);
    assert_non_null(strstr(mk_error_message(), "no protected authentication path"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_no_match_lists_visible, p11t_setup_closed,
                                        p11t_teardown),
        cmocka_unit_test_setup_teardown(test_ambiguous_lists_both, p11t_setup_closed,
                                        p11t_teardown),
        cmocka_unit_test_setup_teardown(test_select_by_serial_and_share, p11t_setup_closed,
                                        p11t_teardown),
        cmocka_unit_test_setup_teardown(test_module_errors, p11t_setup_closed, p11t_teardown),
        cmocka_unit_test_setup_teardown(test_default_module_proxy, p11t_setup_closed,
                                        p11t_teardown),
        cmocka_unit_test_setup_teardown(test_defaults_used, p11t_setup_closed, p11t_teardown),
        cmocka_unit_test_setup_teardown(test_wrong_pin_not_retried, p11t_setup_closed,
                                        p11t_teardown),
        cmocka_unit_test_setup_teardown(test_pin_file_mode_refused, p11t_setup_closed,
                                        p11t_teardown),
        cmocka_unit_test_setup_teardown(test_relogin_with_bad_pin_latches, p11t_setup_closed,
                                        p11t_teardown),
        cmocka_unit_test_setup_teardown(test_no_pin_public_only, p11t_setup_closed, p11t_teardown),
        cmocka_unit_test_setup_teardown(test_pinpad_without_path_refused, p11t_setup_closed,
                                        p11t_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
