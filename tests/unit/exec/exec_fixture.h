/*
 * Shared fixture for executor unit tests: a fresh catalog in a temp dir with
 * a sysadmin login "admin" and a plain login "peer", an exec instance named
 * by the test (or configured by it: exec_fixture_new_cfg, for the hooks),
 * and one session for each login.
 */
#ifndef EXEC_FIXTURE_H
#define EXEC_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "catalog/principals.h"
#include "catalog/verifier.h"
#include "exec/exec.h"
#include "softhsm_fixture.h"

typedef struct fixture {
    char dir[256];
    cat_db *db;
    exec_instance *inst;
    exec_session *admin;
    exec_session *peer;
} fixture;

static inline fixture *exec_fixture_new_cfg(const exec_instance_config *cfg)
{
    fixture *f = calloc(1, sizeof(*f));
    char path[300];
    int32_t admin_id = 0;
    int32_t peer_id = 0;
    assert_non_null(f);
    snprintf(f->dir, sizeof(f->dir), "/tmp/mk-exec-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(path, sizeof(path), "%s/catalog.db", f->dir);
    cat_verifier_set_iterations_for_tests(1000);
    assert_true(mk_ok(cat_open(path, CAT_OPEN_NEW, &f->db)));
    assert_true(mk_ok(
        cat_login_create(f->db, "admin", (const uint8_t *)"Adm1n!pass", 10, NULL, &admin_id)));
    assert_true(mk_ok(cat_server_role_add_member(f->db, "sysadmin", "admin")));
    assert_true(
        mk_ok(cat_login_create(f->db, "peer", (const uint8_t *)"Peer!pass1", 10, NULL, &peer_id)));
    assert_true(mk_ok(exec_instance_new(cfg, &f->inst)));
    exec_principal a = {.login_id = admin_id, .login_name = "admin"};
    exec_principal p = {.login_id = peer_id, .login_name = "peer"};
    assert_true(mk_ok(exec_session_new(f->inst, f->db, &a, &f->admin)));
    assert_true(mk_ok(exec_session_new(f->inst, f->db, &p, &f->peer)));
    return f;
}

static inline fixture *exec_fixture_new(const char *server_name)
{
    exec_instance_config cfg = {.server_name = server_name};
    return exec_fixture_new_cfg(&cfg);
}

static inline void exec_fixture_free(fixture *f)
{
    exec_session_free(f->admin);
    exec_session_free(f->peer);
    exec_instance_free(f->inst);
    cat_close(f->db);
    mk_sh("rm -rf '%s'", f->dir);
    free(f);
}

#endif
