/*
 * Every T-SQL block of the seed documents (shared/seeds/000 outbound and 003
 * inbound; 001 has no code) parsed verbatim: leading indentation, trailing
 * blanks, `--` comments, `USE master;` lines, commas at line starts, GO lines
 * and missing semicolons exactly as published. Each AST field the executor
 * needs is asserted, and so is every statement's line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "sql/parser.h"
#include "sql/render.h"
#include "sql_test_util.h"

/* 000_94cee4cf15587967.txt */
static const char outbound_master_key[] =
    "    CREATE MASTER KEY ENCRYPTION BY PASSWORD = '<1_Strong_Password!>';  \n"
    "    GO  \n";

/* 000_94cee4cf15587967.txt */
static const char outbound_create_cert[] =
    "    USE master;  \n"
    "    CREATE CERTIFICATE HOST_A_cert   \n"
    "       WITH SUBJECT = 'HOST_A certificate for database mirroring',   \n"
    "       EXPIRY_DATE = '11/30/2013';  \n"
    "    GO  \n";

/* 000_94cee4cf15587967.txt */
static const char outbound_view_certs[] = "    USE master;  \n"
                                          "    SELECT * FROM sys.certificates;  \n";

/* 000_94cee4cf15587967.txt */
static const char outbound_view_endpoint[] =
    "    SELECT name, role_desc, state_desc, connection_auth_desc, encryption_algorithm_desc   \n"
    "       FROM sys.database_mirroring_endpoints;  \n";

/* 000_94cee4cf15587967.txt */
static const char outbound_create_endpoint[] =
    "    CREATE ENDPOINT Endpoint_Mirroring  \n"
    "       STATE = STARTED  \n"
    "       AS TCP (  \n"
    "          LISTENER_PORT=7024  \n"
    "          , LISTENER_IP = ALL  \n"
    "       )   \n"
    "       FOR DATABASE_MIRRORING (   \n"
    "          AUTHENTICATION = CERTIFICATE HOST_A_cert  \n"
    "          , ENCRYPTION = REQUIRED ALGORITHM AES  \n"
    "          , ROLE = ALL  \n"
    "       );  \n"
    "    GO  \n";

/* 000_94cee4cf15587967.txt */
static const char outbound_backup_cert[] =
    "    BACKUP CERTIFICATE HOST_A_cert TO FILE = 'C:\\HOST_A_cert.cer';  \n"
    "    GO  \n";

/* 000_94cee4cf15587967.txt */
static const char outbound_example_host_b[] =
    "USE master;  \n"
    "--Create the database Master Key, if needed.  \n"
    "CREATE MASTER KEY ENCRYPTION BY PASSWORD = '<Strong_Password_#2>';  \n"
    "GO  \n"
    "-- Make a certifcate on HOST_B server instance.  \n"
    "CREATE CERTIFICATE HOST_B_cert   \n"
    "   WITH SUBJECT = 'HOST_B certificate for database mirroring',   \n"
    "   EXPIRY_DATE = '11/30/2013';  \n"
    "GO  \n"
    "--Create a mirroring endpoint for the server instance on HOST_B.  \n"
    "CREATE ENDPOINT Endpoint_Mirroring  \n"
    "   STATE = STARTED  \n"
    "   AS TCP (  \n"
    "      LISTENER_PORT=7024  \n"
    "      , LISTENER_IP = ALL  \n"
    "   )   \n"
    "   FOR DATABASE_MIRRORING (   \n"
    "      AUTHENTICATION = CERTIFICATE HOST_B_cert  \n"
    "      , ENCRYPTION = REQUIRED ALGORITHM AES  \n"
    "      , ROLE = ALL  \n"
    "   );  \n"
    "GO  \n"
    "--Backup HOST_B certificate.  \n"
    "BACKUP CERTIFICATE HOST_B_cert TO FILE = 'C:\\HOST_B_cert.cer';  \n"
    "GO   \n"
    "--Using any secure copy method, copy C:\\HOST_B_cert.cer to HOST_A.  \n";

/* 003_f8f9fe01de65faeb.txt */
static const char inbound_create_login[] =
    "    USE master;  \n"
    "    CREATE LOGIN HOST_B_login   \n"
    "       WITH PASSWORD = '1Sample_Strong_Password!@#';  \n"
    "    GO  \n";

/* 003_f8f9fe01de65faeb.txt */
static const char inbound_view_logins[] = "    SELECT * FROM sys.server_principals  \n";

/* 003_f8f9fe01de65faeb.txt */
static const char inbound_create_user[] = "    USE master;  \n"
                                          "    CREATE USER HOST_B_user FOR LOGIN HOST_B_login;  \n"
                                          "    GO  \n";

/* 003_f8f9fe01de65faeb.txt */
static const char inbound_view_users[] = "    SELECT * FROM sys.sysusers;  \n";

/* 003_f8f9fe01de65faeb.txt */
static const char inbound_create_cert[] = "    USE master;  \n"
                                          "    CREATE CERTIFICATE HOST_B_cert  \n"
                                          "       AUTHORIZATION HOST_B_user  \n"
                                          "       FROM FILE = 'C:\\HOST_B_cert.cer'  \n"
                                          "    GO  \n";

/* 003_f8f9fe01de65faeb.txt */
static const char inbound_view_certs[] = "    SELECT * FROM sys.certificates  \n";

/* 003_f8f9fe01de65faeb.txt */
static const char inbound_grant[] =
    "    USE master;  \n"
    "    GRANT CONNECT ON ENDPOINT::Endpoint_Mirroring TO [HOST_B_login];  \n"
    "    GO  \n";

/* 003_f8f9fe01de65faeb.txt */
static const char inbound_example_host_b[] =
    "USE master;  \n"
    "--On HOST_B, create a login for HOST_A.  \n"
    "CREATE LOGIN HOST_A_login WITH PASSWORD = 'AStrongPassword!@#';  \n"
    "GO  \n"
    "--Create a user, HOST_A_user, for that login.  \n"
    "CREATE USER HOST_A_user FOR LOGIN HOST_A_login  \n"
    "GO  \n"
    "--Obtain HOST_A certificate. (See the note   \n"
    "--   preceding this example.)  \n"
    "--Asscociate this certificate with the user, HOST_A_user.  \n"
    "CREATE CERTIFICATE HOST_A_cert  \n"
    "   AUTHORIZATION HOST_A_user  \n"
    "   FROM FILE = 'C:\\HOST_A_cert.cer';  \n"
    "GO  \n"
    "--Grant CONNECT permission for the server instance on HOST_A.  \n"
    "GRANT CONNECT ON ENDPOINT::Endpoint_Mirroring TO HOST_A_login  \n"
    "GO  \n";
static void assert_use_master(const sql_stmt *s, int line)
{
    assert_int_equal(s->kind, SQL_STMT_USE);
    assert_int_equal(s->line, line);
    assert_string_equal(s->u.name.name, "master");
}

static void assert_select_star(const sql_stmt *s, const char *view, int line)
{
    assert_int_equal(s->kind, SQL_STMT_SELECT);
    assert_int_equal(s->line, line);
    const sql_select_stmt *sel = &s->u.select;
    assert_false(sel->has_top);
    assert_int_equal(sel->nitems, 1);
    assert_true(sel->items[0].star);
    assert_true(sel->has_from);
    assert_int_equal(sel->from.nparts, 2);
    assert_null(sel->from.db);
    assert_string_equal(sel->from.schema, "sys");
    assert_string_equal(sel->from.name, view);
    assert_int_equal(sel->nwhere, 0);
}

static void assert_master_key(const sql_stmt *s, const char *password, int line)
{
    assert_int_equal(s->kind, SQL_STMT_CREATE_MASTER_KEY);
    assert_int_equal(s->line, line);
    assert_true(s->u.masterkey.has_password);
    assert_string_equal(s->u.masterkey.password, password);
}

static void assert_generated_cert(const sql_stmt *s, const char *name, const char *subject,
                                  int line)
{
    assert_int_equal(s->kind, SQL_STMT_CREATE_CERTIFICATE);
    assert_int_equal(s->line, line);
    const sql_create_cert_stmt *c = &s->u.create_cert;
    assert_string_equal(c->name, name);
    assert_false(c->has_owner);
    assert_int_equal(c->source, SQL_CERT_GENERATE);
    assert_string_equal(c->subject, subject);
    assert_false(c->has_start_date);
    assert_true(c->has_expiry_date);
    assert_string_equal(c->expiry_date, "11/30/2013");
    assert_false(c->has_encryption_password);
    assert_false(c->has_private_key);
    assert_false(c->has_active_for_begin_dialog);
}

static void assert_seed_endpoint(const sql_stmt *s, const char *cert, int line)
{
    assert_int_equal(s->kind, SQL_STMT_CREATE_ENDPOINT);
    assert_int_equal(s->line, line);
    const sql_endpoint_stmt *e = &s->u.endpoint;
    assert_string_equal(e->name, "Endpoint_Mirroring");
    assert_false(e->has_owner);
    assert_true(e->has_state);
    assert_int_equal(e->state, SQL_EP_STARTED);
    assert_true(e->has_transport);
    assert_int_equal(e->transport, SQL_EP_TCP);
    assert_true(e->tcp.has_port);
    assert_int_equal(e->tcp.port, 7024);
    assert_true(e->tcp.has_ip);
    assert_true(e->tcp.ip_all);
    assert_null(e->tcp.ip);
    assert_true(e->has_payload);
    assert_int_equal(e->payload, SQL_EP_MIRRORING);
    const sql_ep_mirroring *m = &e->mirroring;
    assert_true(m->has_auth);
    assert_true(m->auth.certificate);
    assert_false(m->auth.windows);
    assert_string_equal(m->auth.certificate_name, cert);
    assert_true(m->has_encryption);
    assert_int_equal(m->encryption, SQL_EP_ENC_REQUIRED);
    assert_true(m->has_algorithm);
    assert_int_equal(m->algorithm, SQL_EP_ALG_AES);
    assert_true(m->has_role);
    assert_int_equal(m->role, SQL_EP_ROLE_ALL);
}

static void assert_backup(const sql_stmt *s, const char *name, const char *file, int line)
{
    assert_int_equal(s->kind, SQL_STMT_BACKUP_CERTIFICATE);
    assert_int_equal(s->line, line);
    assert_string_equal(s->u.backup_cert.name, name);
    assert_string_equal(s->u.backup_cert.file, file);
    assert_false(s->u.backup_cert.has_private_key);
}

static void assert_login(const sql_stmt *s, const char *name, const char *password, int line)
{
    assert_int_equal(s->kind, SQL_STMT_CREATE_LOGIN);
    assert_int_equal(s->line, line);
    const sql_login_stmt *l = &s->u.login;
    assert_string_equal(l->name, name);
    assert_int_equal(l->source, SQL_LOGIN_PASSWORD);
    assert_true(l->opts.has_password);
    assert_string_equal(l->opts.password, password);
    assert_false(l->opts.must_change);
    assert_false(l->opts.has_check_policy);
    assert_false(l->opts.has_check_expiration);
    assert_false(l->opts.has_default_database);
    assert_false(l->opts.has_default_language);
}

static void assert_user(const sql_stmt *s, const char *name, const char *login, int line)
{
    assert_int_equal(s->kind, SQL_STMT_CREATE_USER);
    assert_int_equal(s->line, line);
    assert_string_equal(s->u.create_user.name, name);
    assert_int_equal(s->u.create_user.source, SQL_USER_LOGIN);
    assert_string_equal(s->u.create_user.source_name, login);
    assert_false(s->u.create_user.has_default_schema);
}

static void assert_cert_from_file(const sql_stmt *s, const char *name, const char *owner,
                                  const char *file, int line)
{
    assert_int_equal(s->kind, SQL_STMT_CREATE_CERTIFICATE);
    assert_int_equal(s->line, line);
    const sql_create_cert_stmt *c = &s->u.create_cert;
    assert_string_equal(c->name, name);
    assert_true(c->has_owner);
    assert_string_equal(c->owner, owner);
    assert_int_equal(c->source, SQL_CERT_FROM_FILE);
    assert_string_equal(c->file, file);
    assert_false(c->has_private_key);
    assert_null(c->subject);
}

static void assert_grant_connect(const sql_stmt *s, const char *login, int line)
{
    assert_int_equal(s->kind, SQL_STMT_GRANT);
    assert_int_equal(s->line, line);
    const sql_perm_stmt *g = &s->u.perm;
    assert_int_equal(g->nperms, 1);
    assert_string_equal(g->perms[0], "CONNECT");
    assert_true(g->has_on);
    assert_int_equal(g->on.cls, SQL_CLASS_ENDPOINT);
    assert_string_equal(g->on.class_name, "ENDPOINT");
    assert_int_equal(g->on.name.nparts, 1);
    assert_string_equal(g->on.name.name, "Endpoint_Mirroring");
    assert_int_equal(g->nprincipals, 1);
    assert_string_equal(g->principals[0], login);
    assert_false(g->with_grant_option);
    assert_false(g->has_as);
}

static void test_outbound_master_key(void **state)
{
    (void)state;
    sql_batch *b = parse_ok(outbound_master_key);
    assert_int_equal(sql_batch_count(b), 1);
    assert_master_key(sql_batch_stmt(b, 0), "<1_Strong_Password!>", 1);
    sql_batch_free(b);
}

static void test_outbound_create_cert(void **state)
{
    (void)state;
    sql_batch *b = parse_ok(outbound_create_cert);
    assert_int_equal(sql_batch_count(b), 2);
    assert_use_master(sql_batch_stmt(b, 0), 1);
    assert_generated_cert(sql_batch_stmt(b, 1), "HOST_A_cert",
                          "HOST_A certificate for database mirroring", 2);
    sql_batch_free(b);
}

static void test_outbound_view_certs(void **state)
{
    (void)state;
    sql_batch *b = parse_ok(outbound_view_certs);
    assert_int_equal(sql_batch_count(b), 2);
    assert_use_master(sql_batch_stmt(b, 0), 1);
    assert_select_star(sql_batch_stmt(b, 1), "certificates", 2);
    sql_batch_free(b);
}

static void test_outbound_view_endpoint(void **state)
{
    (void)state;
    static const char *const cols[] = {"name", "role_desc", "state_desc", "connection_auth_desc",
                                       "encryption_algorithm_desc"};
    sql_batch *b = NULL;
    const sql_stmt *s = parse_one(outbound_view_endpoint, SQL_STMT_SELECT, &b);
    const sql_select_stmt *sel = &s->u.select;
    assert_int_equal(sel->nitems, 5);
    for (size_t i = 0; i < 5; i++) {
        assert_false(sel->items[i].star);
        assert_int_equal(sel->items[i].expr.kind, SQL_EXPR_COLUMN);
        assert_string_equal(sel->items[i].expr.name, cols[i]);
        assert_null(sel->items[i].alias);
    }
    assert_true(sel->has_from);
    assert_string_equal(sel->from.schema, "sys");
    assert_string_equal(sel->from.name, "database_mirroring_endpoints");
    assert_int_equal(sel->nwhere, 0);
    sql_batch_free(b);
}

static void test_outbound_create_endpoint(void **state)
{
    (void)state;
    sql_batch *b = NULL;
    const sql_stmt *s = parse_one(outbound_create_endpoint, SQL_STMT_CREATE_ENDPOINT, &b);
    assert_seed_endpoint(s, "HOST_A_cert", 1);
    sql_batch_free(b);
}

static void test_outbound_backup_cert(void **state)
{
    (void)state;
    sql_batch *b = NULL;
    const sql_stmt *s = parse_one(outbound_backup_cert, SQL_STMT_BACKUP_CERTIFICATE, &b);
    assert_backup(s, "HOST_A_cert", "C:\\HOST_A_cert.cer", 1);
    sql_batch_free(b);
}

static void test_outbound_example_host_b(void **state)
{
    (void)state;
    sql_batch *b = parse_ok(outbound_example_host_b);
    assert_int_equal(sql_batch_count(b), 5);
    assert_use_master(sql_batch_stmt(b, 0), 1);
    assert_master_key(sql_batch_stmt(b, 1), "<Strong_Password_#2>", 3);
    assert_generated_cert(sql_batch_stmt(b, 2), "HOST_B_cert",
                          "HOST_B certificate for database mirroring", 6);
    assert_seed_endpoint(sql_batch_stmt(b, 3), "HOST_B_cert", 11);
    assert_backup(sql_batch_stmt(b, 4), "HOST_B_cert", "C:\\HOST_B_cert.cer", 24);
    sql_batch_free(b);
}

static void test_inbound_create_login(void **state)
{
    (void)state;
    sql_batch *b = parse_ok(inbound_create_login);
    assert_int_equal(sql_batch_count(b), 2);
    assert_use_master(sql_batch_stmt(b, 0), 1);
    assert_login(sql_batch_stmt(b, 1), "HOST_B_login", "1Sample_Strong_Password!@#", 2);
    sql_batch_free(b);
}

static void test_inbound_views(void **state)
{
    (void)state;
    sql_batch *b = NULL;
    assert_select_star(parse_one(inbound_view_logins, SQL_STMT_SELECT, &b), "server_principals", 1);
    sql_batch_free(b);
    assert_select_star(parse_one(inbound_view_users, SQL_STMT_SELECT, &b), "sysusers", 1);
    sql_batch_free(b);
    assert_select_star(parse_one(inbound_view_certs, SQL_STMT_SELECT, &b), "certificates", 1);
    sql_batch_free(b);
}

static void test_inbound_create_user(void **state)
{
    (void)state;
    sql_batch *b = parse_ok(inbound_create_user);
    assert_int_equal(sql_batch_count(b), 2);
    assert_use_master(sql_batch_stmt(b, 0), 1);
    assert_user(sql_batch_stmt(b, 1), "HOST_B_user", "HOST_B_login", 2);
    sql_batch_free(b);
}

static void test_inbound_create_cert(void **state)
{
    (void)state;
    sql_batch *b = parse_ok(inbound_create_cert);
    assert_int_equal(sql_batch_count(b), 2);
    assert_use_master(sql_batch_stmt(b, 0), 1);
    assert_cert_from_file(sql_batch_stmt(b, 1), "HOST_B_cert", "HOST_B_user", "C:\\HOST_B_cert.cer",
                          2);
    sql_batch_free(b);
}

static void test_inbound_grant(void **state)
{
    (void)state;
    sql_batch *b = parse_ok(inbound_grant);
    assert_int_equal(sql_batch_count(b), 2);
    assert_use_master(sql_batch_stmt(b, 0), 1);
    assert_grant_connect(sql_batch_stmt(b, 1), "HOST_B_login", 2);
    sql_batch_free(b);
}

static void test_inbound_example_host_b(void **state)
{
    (void)state;
    sql_batch *b = parse_ok(inbound_example_host_b);
    assert_int_equal(sql_batch_count(b), 5);
    assert_use_master(sql_batch_stmt(b, 0), 1);
    assert_login(sql_batch_stmt(b, 1), "HOST_A_login", "AStrongPassword!@#", 3);
    assert_user(sql_batch_stmt(b, 2), "HOST_A_user", "HOST_A_login", 6);
    assert_cert_from_file(sql_batch_stmt(b, 3), "HOST_A_cert", "HOST_A_user", "C:\\HOST_A_cert.cer",
                          11);
    assert_grant_connect(sql_batch_stmt(b, 4), "HOST_A_login", 16);
    sql_batch_free(b);
}

/*
 * The redacted rendering of every seed statement hides the passwords and
 * parses again to a statement of the same kind and the same rendering.
 */
static void test_seed_renderings_reparse(void **state)
{
    (void)state;
    static const char *const blocks[] = {
        outbound_master_key,      outbound_create_cert,
        outbound_view_certs,      outbound_view_endpoint,
        outbound_create_endpoint, outbound_backup_cert,
        outbound_example_host_b,  inbound_create_login,
        inbound_view_logins,      inbound_create_user,
        inbound_view_users,       inbound_create_cert,
        inbound_view_certs,       inbound_grant,
        inbound_example_host_b,
    };
    static const char *const passwords[] = {"<1_Strong_Password!>", "<Strong_Password_#2>",
                                            "1Sample_Strong_Password!@#", "AStrongPassword!@#"};
    for (size_t i = 0; i < sizeof(blocks) / sizeof(blocks[0]); i++) {
        sql_batch *b = parse_ok(blocks[i]);
        for (size_t j = 0; j < sql_batch_count(b); j++) {
            const sql_stmt *s = sql_batch_stmt(b, j);
            mk_buf out;
            mk_buf_init(&out, 0);
            assert_true(mk_ok(sql_stmt_redacted(s, &out)));
            assert_true(mk_ok(mk_buf_terminate(&out)));
            const char *text = (const char *)out.data;
            for (size_t k = 0; k < sizeof(passwords) / sizeof(passwords[0]); k++) {
                assert_null(strstr(text, passwords[k]));
            }
            sql_batch *again = parse_ok(text);
            assert_int_equal(sql_batch_count(again), 1);
            const sql_stmt *s2 = sql_batch_stmt(again, 0);
            assert_int_equal(s2->kind, s->kind);
            mk_buf out2;
            mk_buf_init(&out2, 0);
            assert_true(mk_ok(sql_stmt_redacted(s2, &out2)));
            assert_true(mk_ok(mk_buf_terminate(&out2)));
            assert_string_equal((const char *)out2.data, text);
            mk_buf_cleanup(&out2);
            mk_buf_cleanup(&out);
            sql_batch_free(again);
        }
        sql_batch_free(b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_outbound_master_key),
        cmocka_unit_test(test_outbound_create_cert),
        cmocka_unit_test(test_outbound_view_certs),
        cmocka_unit_test(test_outbound_view_endpoint),
        cmocka_unit_test(test_outbound_create_endpoint),
        cmocka_unit_test(test_outbound_backup_cert),
        cmocka_unit_test(test_outbound_example_host_b),
        cmocka_unit_test(test_inbound_create_login),
        cmocka_unit_test(test_inbound_views),
        cmocka_unit_test(test_inbound_create_user),
        cmocka_unit_test(test_inbound_create_cert),
        cmocka_unit_test(test_inbound_grant),
        cmocka_unit_test(test_inbound_example_host_b),
        cmocka_unit_test(test_seed_renderings_reparse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
