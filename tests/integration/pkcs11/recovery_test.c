/*
 * Fork and token loss. A child process signs with keys its parent found
 * (module re-initialised, sessions reopened, login repeated, handles re-found
 * by CKA_ID) and the parent keeps signing. When SoftHSM2's token directory
 * disappears mid-run, calls fail closed with MK_E_TOKEN_LOST and a clear
 * message; when it comes back, the same p11_token and p11_key objects work
 * again without being reopened.
 */
#include <pthread.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "p11test.h"

#include "p11/keygen.h"

static p11_key *gen(p11t *t, p11_key_type type, unsigned bits, const char *label)
{
    p11_keygen_params p = {type, bits, label};
    p11_key *k = NULL;
    P11T_OK(p11_keygen(t->tok, &p, &k, NULL));
    return k;
}

/* 1 when k signs and the signature verifies. */
static int signs(p11_key *k)
{
    static const uint8_t msg[] = "still here";
    uint8_t sig[512];
    size_t sig_len = sizeof(sig);
    if (mk_failed(p11t_sign_sha256(k, msg, sizeof(msg), sig, &sig_len))) {
        return 0;
    }
    EVP_PKEY *pub = p11t_pubkey(k);
    int ok = pub != NULL && p11t_verify_sha256(pub, msg, sizeof(msg), sig, sig_len);
    EVP_PKEY_free(pub);
    return ok;
}

/* with_call: the message must name the failing C_ call (not when nothing was called). */
static void expect_sign_lost(p11_key *k, int with_call)
{
    uint8_t sig[512];
    size_t sig_len = sizeof(sig);
    P11T_FAILS(p11t_sign_sha256(k, (const uint8_t *)"x", 1, sig, &sig_len), MK_E_TOKEN_LOST);
    print_message("while gone: %s\n", mk_error_message());
    assert_non_null(strstr(mk_error_message(), "token 'mk' unavailable"));
    if (with_call) {
        assert_non_null(strstr(mk_error_message(), "failed: CKR_"));
    }
}

/* Fork; the child runs body and exits with its result; returns the child's status. */
static int in_child(int (*body)(void *), void *arg)
{
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        _exit(body(arg) ? 0 : 1);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 100;
}

static int child_signs(void *arg)
{
    p11_key *k = arg;
    if (!signs(k) || !signs(k)) {
        fprintf(stderr, "child: %s\n", mk_error_message());
        return 0;
    }
    uint8_t r[16];
    return mk_ok(p11_token_random(p11_key_token(k), r, sizeof(r)));
}

static void fork_round(p11t *t)
{
    p11_key *rsa = gen(t, P11_KEY_RSA, 2048, "fork-rsa");
    p11_key *ec = gen(t, P11_KEY_EC, 256, "fork-ec");
    assert_true(signs(rsa));
    assert_true(signs(ec));
    assert_int_equal(in_child(child_signs, rsa), 0);
    assert_int_equal(in_child(child_signs, ec), 0);
    /* The parent's sessions, login and handles are untouched. */
    assert_true(signs(rsa));
    assert_true(signs(ec));
    /* A grandchild path: fork again after the parent kept working. */
    assert_int_equal(in_child(child_signs, ec), 0);
    assert_true(signs(ec));
    p11_key_unref(rsa);
    p11_key_unref(ec);
}

static void test_fork_reset_on_fork(void **state) { fork_round(*state); }

/* Without library.reset_on_fork SoftHSM2 answers "already initialised" in the child. */
static int setup_no_reset(void **state)
{
    if (p11t_setup_closed(state) != 0) {
        return -1;
    }
    p11t *t = *state;
    if (mk_sh("sed -i '/reset_on_fork/d' '%s'", t->hsm.conf) != 0 ||
        mk_failed(p11_token_open(t->hsm.uri, NULL, &t->tok))) {
        return -1;
    }
    return 0;
}

static void test_fork_without_reset(void **state) { fork_round(*state); }

static int child_signs_twice_after_loss_check(void *arg)
{
    /* A child must not be handed the parent's broken state either. */
    return child_signs(arg);
}

static void test_token_dir_renamed(void **state)
{
    p11t *t = *state;
    p11_key *k = gen(t, P11_KEY_EC, 256, "survivor");
    p11_key *r = gen(t, P11_KEY_RSA, 2048, "survivor-rsa");
    assert_true(signs(k));
    assert_int_equal(mk_sh("mv '%s' '%s.away'", t->hsm.tokendir, t->hsm.tokendir), 0);

    /* First call after the loss: the cached handle is refused and the token is gone. */
    expect_sign_lost(k, 1);
    assert_non_null(strstr(mk_error_message(), "C_SignInit failed: CKR_OBJECT_HANDLE_INVALID"));
    /* Every further call fails closed while the directory is missing. */
    expect_sign_lost(k, 1);
    assert_non_null(strstr(mk_error_message(), "C_Initialize failed: CKR_GENERAL_ERROR"));
    expect_sign_lost(r, 1);
    uint8_t rnd[8];
    P11T_FAILS(p11_token_random(t->tok, rnd, sizeof(rnd)), MK_E_TOKEN_LOST);
    P11T_FAILS(p11_token_ping(t->tok), MK_E_TOKEN_LOST);
    p11_key *f = NULL;
    P11T_FAILS(p11_key_find_by_id(t->tok, (const uint8_t *)"\x01", 1, &f), MK_E_TOKEN_LOST);

    assert_int_equal(mk_sh("mv '%s.away' '%s'", t->hsm.tokendir, t->hsm.tokendir), 0);
    /* Same token object, same key objects: recovered on the next call. */
    assert_true(signs(k));
    assert_true(signs(r));
    P11T_OK(p11_token_ping(t->tok));
    assert_true(p11_token_logged_in(t->tok));
    /* And a child of the recovered parent is fine too. */
    assert_int_equal(in_child(child_signs_twice_after_loss_check, k), 0);
    assert_true(signs(k));
    p11_key_unref(k);
    p11_key_unref(r);
}

static void test_token_subdir_renamed(void **state)
{
    p11t *t = *state;
    p11_key *k = gen(t, P11_KEY_EC, 256, "sub");
    assert_true(signs(k));
    /* Only the token's own directory goes: the library still initialises, without it. */
    assert_int_equal(
        mk_sh("cd '%s' && for d in */; do mv \"$d\" \"../${d%%/}.away\"; done", t->hsm.tokendir),
        0);
    expect_sign_lost(k, 1);
    expect_sign_lost(k, 0);
    assert_non_null(strstr(mk_error_message(), "no slot holds it"));
    expect_sign_lost(k, 0);
    assert_int_equal(mk_sh("cd '%s' && for d in ../*.away; do b=$(basename \"$d\" .away); mv "
                           "\"$d\" \"$b\"; done",
                           t->hsm.tokendir),
                     0);
    assert_true(signs(k));
    p11_key_unref(k);
}

/* Threads keep signing while the token goes away and comes back. */
typedef struct loader {
    p11_key *key;
    int stop; /* accessed with __atomic builtins */
    int ok_before, lost, other, ok_after;
    int phase; /* 0 before, 1 gone, 2 back */
    char other_msg[256];
} loader;

static void *load_loop(void *arg)
{
    loader *l = arg;
    while (!__atomic_load_n(&l->stop, __ATOMIC_SEQ_CST)) {
        uint8_t sig[512];
        size_t sig_len = sizeof(sig);
        int phase = __atomic_load_n(&l->phase, __ATOMIC_SEQ_CST);
        mk_error_clear();
        if (mk_ok(p11t_sign_sha256(l->key, (const uint8_t *)"load", 4, sig, &sig_len))) {
            if (phase == 0) {
                __atomic_add_fetch(&l->ok_before, 1, __ATOMIC_SEQ_CST);
            } else if (phase == 2) {
                __atomic_add_fetch(&l->ok_after, 1, __ATOMIC_SEQ_CST);
            }
        } else if (mk_error_code() == MK_E_TOKEN_LOST) {
            __atomic_add_fetch(&l->lost, 1, __ATOMIC_SEQ_CST);
        } else {
            if (__atomic_add_fetch(&l->other, 1, __ATOMIC_SEQ_CST) == 1) {
                snprintf(l->other_msg, sizeof(l->other_msg), "%s: %s", mk_err_name(mk_error_code()),
                         mk_error_message());
            }
        }
    }
    return NULL;
}

static void test_loss_under_load(void **state)
{
    p11t *t = *state;
    loader l = {.key = gen(t, P11_KEY_EC, 256, "load")};
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        assert_int_equal(pthread_create(&th[i], NULL, load_loop, &l), 0);
    }
    while (__atomic_load_n(&l.ok_before, __ATOMIC_SEQ_CST) < 50) {
        usleep(1000);
    }
    assert_int_equal(mk_sh("mv '%s' '%s.away'", t->hsm.tokendir, t->hsm.tokendir), 0);
    __atomic_store_n(&l.phase, 1, __ATOMIC_SEQ_CST);
    while (__atomic_load_n(&l.lost, __ATOMIC_SEQ_CST) < 20) {
        usleep(1000);
    }
    __atomic_store_n(&l.phase, 2, __ATOMIC_SEQ_CST);
    assert_int_equal(mk_sh("mv '%s.away' '%s'", t->hsm.tokendir, t->hsm.tokendir), 0);
    for (int i = 0; i < 5000 && __atomic_load_n(&l.ok_after, __ATOMIC_SEQ_CST) < 100; i++) {
        usleep(1000);
    }
    __atomic_store_n(&l.stop, 1, __ATOMIC_SEQ_CST);
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
    }
    print_message("before %d, lost %d, after %d, other %d\n", l.ok_before, l.lost, l.ok_after,
                  l.other);
    if (l.other != 0) {
        fail_msg("%d failures were not MK_E_TOKEN_LOST, e.g. %s", l.other, l.other_msg);
    }
    assert_true(l.ok_after >= 100);
    assert_true(signs(l.key));
    p11_key_unref(l.key);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_fork_reset_on_fork, p11t_setup, p11t_teardown),
        cmocka_unit_test_setup_teardown(test_fork_without_reset, setup_no_reset, p11t_teardown),
        cmocka_unit_test_setup_teardown(test_token_dir_renamed, p11t_setup, p11t_teardown),
        cmocka_unit_test_setup_teardown(test_token_subdir_renamed, p11t_setup, p11t_teardown),
        cmocka_unit_test_setup_teardown(test_loss_under_load, p11t_setup, p11t_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
