/*
 * The seed documents' T-SQL, verbatim, through exec_batch on two instances
 * with real SoftHSM2 tokens and SQL Server's default RSA-3072 keys:
 * outbound on HOST_A and HOST_B (master key, certificate with the seeds'
 * EXPIRY_DATE = '11/30/2013' -> INFO 15214, endpoint, BACKUP CERTIFICATE),
 * the .cer files copied between the file roots, then inbound on both
 * (login, user, certificate FROM FILE with AUTHORIZATION, GRANT CONNECT).
 *
 * Then: the catalog views show SQL Server's values; the proofs that keys
 * never leave the token (policy report, one CKA_ID for private key, public
 * key and certificate object, the .cer is one X.509 and nothing else, with
 * the token's public key, BACKUP ... WITH PRIVATE KEY refused with no file);
 * and running the scripts a second time gives SQL Server's "already exists"
 * errors and changes nothing.
 */
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "catalog/endpoints.h"
#include "catalog/perms.h"
#include "ddl_fixture.h"
#include "keys/certgen.h"
#include "p11/cert.h"
#include "p11/keygen.h"
#include "seeds_sql.h"

/* What a whole script (several GO batches) produced. */
typedef struct script_result {
    int nmsg;
    int numbers[64];
    int classes[64];
    int nerrors;
    int first_error;
    char first_text[512];
} script_result;

static bool is_go(const char *line, size_t len)
{
    while (len > 0 && (line[0] == ' ' || line[0] == '\t')) {
        line++;
        len--;
    }
    while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t' || line[len - 1] == '\r')) {
        len--;
    }
    return len == 2 && (line[0] == 'G' || line[0] == 'g') && (line[1] == 'O' || line[1] == 'o');
}

static void add_batch(exec_session *s, const char *text, size_t len, script_result *out)
{
    char *batch = strndup(text, len);
    assert_non_null(batch);
    record *r = rec_run(s, batch);
    for (int i = 0; i < r->nmsg && i < REC_MAX_MSG && out->nmsg < 64; i++) {
        out->numbers[out->nmsg] = r->msg[i].number;
        out->classes[out->nmsg] = r->msg[i].cls;
        out->nmsg++;
        if (r->msg[i].cls > 10 && out->nerrors++ == 0) {
            out->first_error = r->msg[i].number;
            snprintf(out->first_text, sizeof(out->first_text), "%s", r->msg[i].text);
        }
    }
    free(r);
    free(batch);
}

/* Split at GO lines and run each batch, as tsql or sqlcmd do. */
static script_result run_script(exec_session *s, const char *script)
{
    script_result out;
    memset(&out, 0, sizeof(out));
    const char *start = script;
    const char *p = script;
    while (*p != '\0') {
        const char *eol = strchr(p, '\n');
        size_t len = eol != NULL ? (size_t)(eol - p) : strlen(p);
        if (is_go(p, len)) {
            add_batch(s, start, (size_t)(p - start), &out);
            start = eol != NULL ? eol + 1 : p + len;
        }
        p = eol != NULL ? eol + 1 : p + len;
    }
    if (p > start) {
        add_batch(s, start, (size_t)(p - start), &out);
    }
    return out;
}

static void script_ok(exec_session *s, const char *script)
{
    script_result r = run_script(s, script);
    if (r.nerrors != 0) {
        fail_msg("seed script failed: %d %s\n--- script:\n%s", r.first_error, r.first_text, script);
    }
}

static int count_number(const script_result *r, int number, int cls)
{
    int n = 0;
    for (int i = 0; i < r->nmsg && i < 64; i++) {
        n += r->numbers[i] == number && r->classes[i] == cls;
    }
    return n;
}

static void outbound(fx *f)
{
    /* HOST_A: the procedure's steps, block by block. */
    script_ok(f->a.admin, SEED_OUT_A_MASTER_KEY);
    script_result r = run_script(f->a.admin, SEED_OUT_A_CERTIFICATE);
    assert_int_equal(r.nerrors, 0);
    assert_int_equal(count_number(&r, 15214, 10), 1); /* expired, sent as INFO */
    assert_int_equal(count_number(&r, 5701, 0), 1);   /* USE master */
    record *rr = rec_run(f->a.admin, SEED_OUT_A_SELECT_CERTIFICATES);
    assert_int_equal(rr->nrows, 1);
    assert_string_equal(rec_cell(rr, 0, "name"), "HOST_A_cert");
    free(rr);
    rr = rec_run(f->a.admin, SEED_OUT_A_SELECT_ENDPOINTS);
    assert_int_equal(rec_error(rr), 0);
    assert_int_equal(rr->nrows, 0);
    free(rr);
    script_ok(f->a.admin, SEED_OUT_A_ENDPOINT);
    script_ok(f->a.admin, SEED_OUT_A_BACKUP);
    assert_true(fx_file_exists(&f->a, "HOST_A_cert.cer"));

    /* HOST_B: the Example section in one go. */
    r = run_script(f->b.admin, SEED_OUT_B_EXAMPLE);
    if (r.nerrors != 0) {
        fail_msg("HOST_B outbound: %d %s", r.first_error, r.first_text);
    }
    assert_int_equal(count_number(&r, 15214, 10), 1);
    assert_true(fx_file_exists(&f->b, "HOST_B_cert.cer"));
}

static void inbound(fx *f)
{
    fx_copy(&f->b, &f->a, "HOST_B_cert.cer");
    fx_copy(&f->a, &f->b, "HOST_A_cert.cer");
    script_ok(f->a.admin, SEED_IN_A_LOGIN);
    record *r = rec_run(f->a.admin, SEED_IN_A_SELECT_PRINCIPALS);
    assert_int_equal(rec_error(r), 0);
    assert_true(r->nrows >= 4);
    free(r);
    script_ok(f->a.admin, SEED_IN_A_USER);
    r = rec_run(f->a.admin, SEED_IN_A_SELECT_SYSUSERS);
    assert_int_equal(rec_error(r), 0);
    free(r);
    script_ok(f->a.admin, SEED_IN_A_CERTIFICATE);
    r = rec_run(f->a.admin, SEED_IN_A_SELECT_CERTIFICATES);
    assert_int_equal(r->nrows, 2);
    free(r);
    script_ok(f->a.admin, SEED_IN_A_GRANT);
    script_ok(f->b.admin, SEED_IN_B_EXAMPLE);
}

/* sys.* on instance i (self = "HOST_A", peer = "HOST_B" or the reverse). */
static void check_views(fx_inst *i, const char *self, const char *peer)
{
    char sql[512];
    char v[REC_CELL];
    record *r = rec_run(i->admin, "SELECT * FROM sys.database_mirroring_endpoints");
    assert_int_equal(r->nrows, 1);
    assert_string_equal(rec_cell(r, 0, "name"), "Endpoint_Mirroring");
    assert_string_equal(rec_cell(r, 0, "role_desc"), "ALL");
    assert_string_equal(rec_cell(r, 0, "state_desc"), "STARTED");
    assert_string_equal(rec_cell(r, 0, "connection_auth_desc"), "CERTIFICATE");
    assert_string_equal(rec_cell(r, 0, "encryption_algorithm_desc"), "AES");
    assert_string_equal(rec_cell(r, 0, "is_encryption_enabled"), "1");
    assert_string_equal(rec_cell(r, 0, "type_desc"), "DATABASE_MIRRORING");
    assert_string_equal(rec_cell(r, 0, "protocol_desc"), "TCP");
    snprintf(sql, sizeof(sql), "SELECT CERT_ID('%s_cert') AS id", self);
    assert_string_equal(rec_cell(r, 0, "certificate_id"),
                        rec_value(i->admin, sql, "id", v, sizeof(v)));
    char endpoint_id[REC_CELL];
    snprintf(endpoint_id, sizeof(endpoint_id), "%s", rec_cell(r, 0, "endpoint_id"));
    free(r);

    r = rec_run(i->admin, "SELECT port, is_dynamic_port, ip_address FROM sys.tcp_endpoints");
    assert_int_equal(r->nrows, 1);
    assert_string_equal(rec_cell(r, 0, "port"), "7024");
    assert_string_equal(rec_cell(r, 0, "ip_address"), "NULL");
    free(r);

    snprintf(sql, sizeof(sql), "SELECT * FROM sys.certificates WHERE name = '%s_cert'", self);
    r = rec_run(i->admin, sql);
    assert_int_equal(r->nrows, 1);
    assert_string_equal(rec_cell(r, 0, "pvt_key_encryption_type"), "HS");
    assert_string_equal(rec_cell(r, 0, "pvt_key_encryption_type_desc"), "STORED_IN_HSM");
    assert_string_equal(rec_cell(r, 0, "key_length"), "3072");
    assert_string_equal(rec_cell(r, 0, "principal_id"), "1"); /* dbo */
    snprintf(v, sizeof(v), "%s certificate for database mirroring", self);
    assert_string_equal(rec_cell(r, 0, "subject"), v);
    assert_string_equal(rec_cell(r, 0, "issuer_name"), v);
    assert_string_equal(rec_cell(r, 0, "expiry_date"), "1385769600000"); /* 2013-11-30 UTC */
    assert_string_equal(rec_cell(r, 0, "start_date"), "1354233600000");  /* one year before */
    assert_string_equal(rec_cell(r, 0, "pvt_key_last_backup_date"), "NULL");
    free(r);

    snprintf(sql, sizeof(sql),
             "SELECT principal_id FROM sys.database_principals WHERE name = '%s_user'", peer);
    char peer_user[REC_CELL];
    rec_value(i->admin, sql, "principal_id", peer_user, sizeof(peer_user));
    snprintf(sql, sizeof(sql), "SELECT * FROM sys.certificates WHERE name = '%s_cert'", peer);
    r = rec_run(i->admin, sql);
    assert_int_equal(r->nrows, 1);
    assert_string_equal(rec_cell(r, 0, "pvt_key_encryption_type"), "NA");
    assert_string_equal(rec_cell(r, 0, "pvt_key_encryption_type_desc"), "NO_PRIVATE_KEY");
    assert_string_equal(rec_cell(r, 0, "principal_id"), peer_user);
    assert_string_equal(rec_cell(r, 0, "key_length"), "3072");
    free(r);

    snprintf(sql, sizeof(sql),
             "SELECT principal_id FROM sys.server_principals WHERE name = '%s_login'", peer);
    char peer_login[REC_CELL];
    rec_value(i->admin, sql, "principal_id", peer_login, sizeof(peer_login));
    r = rec_run(i->admin, "SELECT * FROM sys.server_permissions WHERE class = 105");
    assert_int_equal(r->nrows, 1);
    assert_string_equal(rec_cell(r, 0, "class_desc"), "ENDPOINT");
    assert_string_equal(rec_cell(r, 0, "major_id"), endpoint_id);
    assert_string_equal(rec_cell(r, 0, "grantee_principal_id"), peer_login);
    assert_string_equal(rec_cell(r, 0, "permission_name"), "CONNECT");
    assert_string_equal(rec_cell(r, 0, "type"), "CO  ");
    assert_string_equal(rec_cell(r, 0, "state_desc"), "GRANT");
    free(r);
    bool allowed = false;
    FX_OK(cat_perm_can_connect(i->db, atoi(peer_login), atoi(endpoint_id), &allowed));
    assert_true(allowed);

    r = rec_run(i->admin, "SELECT name, key_algorithm, algorithm_desc, key_length FROM "
                          "sys.symmetric_keys");
    assert_int_equal(r->nrows, 1);
    assert_string_equal(rec_cell(r, 0, "name"), "##MS_DatabaseMasterKey##");
    assert_string_equal(rec_cell(r, 0, "algorithm_desc"), "AES_256");
    free(r);
}

/* The proofs that i's certificate key never left its token. */
static void check_key_on_token(fx *f, fx_inst *i, const char *cert_name)
{
    cat_cert cert;
    memset(&cert, 0, sizeof(cert));
    FX_OK(cat_cert_get_by_name(i->db, cert_name, &cert));
    assert_non_null(cert.token_id);
    assert_string_equal(cert.token_label, cert_name);
    size_t priv = 0, pub = 0, certs = 0;
    fx_objects_with_id(i->tok, cert.token_id, cert.token_id_len, &priv, &pub, &certs);
    assert_int_equal(priv, 1);
    assert_int_equal(pub, 1);
    assert_int_equal(certs, 1);

    p11_key *key = NULL;
    p11_policy_report report;
    FX_OK(p11_key_find_by_id(i->tok, cert.token_id, cert.token_id_len, &key));
    assert_string_equal(p11_key_label(key), cert_name);
    assert_int_equal(p11_key_bits(key), 3072);
    FX_OK(p11_key_policy_check(key, &report));
    assert_true(report.pass);
    const p11_policy_check *c = p11_policy_report_find(&report, CKA_EXTRACTABLE);
    assert_non_null(c);
    assert_true(c->ok && !c->value);
    c = p11_policy_report_find(&report, CKA_PRIVATE_EXPONENT);
    assert_non_null(c);
    assert_int_equal(c->rv, CKR_ATTRIBUTE_SENSITIVE);

    /* The .cer BACKUP wrote: exactly one DER X.509, the catalog's and the token's. */
    char path[2048];
    size_t len = 0;
    snprintf(path, sizeof(path), "%s/%s.cer", i->root, cert_name);
    uint8_t *file = fx_read_file(path, &len);
    assert_non_null(file);
    const unsigned char *p = file;
    X509 *x = d2i_X509(NULL, &p, (long)len);
    assert_non_null(x);
    assert_ptr_equal(p, file + len); /* nothing follows the certificate */
    assert_int_equal(len, cert.der_len);
    assert_memory_equal(file, cert.der, len);
    p11_cert *tc = NULL;
    FX_OK(p11_cert_find_by_id(i->tok, cert.token_id, cert.token_id_len, &tc));
    size_t tlen = 0;
    const uint8_t *tder = p11_cert_der(tc, &tlen);
    assert_int_equal(tlen, len);
    assert_memory_equal(tder, file, len);
    p11_cert_free(tc);
    /* Its public key is the token's, and no private key hides in the file. */
    EVP_PKEY *token_pub = NULL;
    FX_OK(keys_public_pkey(f->libctx, key, &token_pub));
    assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(x), token_pub), 1);
    assert_int_equal(X509_verify(x, token_pub), 1);
    assert_int_equal(X509_get_signature_nid(x), NID_sha256WithRSAEncryption);
    p = file;
    EVP_PKEY *priv_in_file = d2i_AutoPrivateKey(NULL, &p, (long)len);
    assert_null(priv_in_file);
    EVP_PKEY_free(token_pub);
    X509_free(x);
    free(file);

    /* CERTENCODED gives the same bytes. */
    char sql[256];
    snprintf(sql, sizeof(sql), "SELECT CERTENCODED(CERT_ID('%s')) AS der", cert_name);
    record *r = rec_run(i->admin, sql);
    assert_int_equal(r->first_len, cert.der_len);
    assert_memory_equal(r->first_bytes, cert.der, cert.der_len);
    free(r);

    /* WITH PRIVATE KEY is refused and writes nothing. */
    snprintf(sql, sizeof(sql),
             "BACKUP CERTIFICATE %s TO FILE = 'C:\\%s_again.cer' WITH PRIVATE KEY "
             "(FILE = 'C:\\%s.pvk', ENCRYPTION BY PASSWORD = 'Str0ng!Passw0rd')",
             cert_name, cert_name, cert_name);
    RUN_ERR(i->admin, sql, 50101);
    snprintf(path, sizeof(path), "%s_again.cer", cert_name);
    assert_false(fx_file_exists(i, path));
    snprintf(path, sizeof(path), "%s.pvk", cert_name);
    assert_false(fx_file_exists(i, path));
    p11_key_unref(key);
    cat_cert_cleanup(&cert);
}

/* What a login that is not sysadmin sees and may do. */
static void check_peer_session(fx_inst *i, const char *peer_login)
{
    cat_login l;
    exec_session *s = NULL;
    FX_OK(cat_login_get(i->db, peer_login, &l));
    exec_principal who = {.login_id = l.principal_id};
    snprintf(who.login_name, sizeof(who.login_name), "%s", peer_login);
    FX_OK(exec_session_new(i->inst, i->db, &who, &s));
    assert_int_equal(rec_count(s, "SELECT * FROM sys.database_mirroring_endpoints"), 0);
    assert_int_equal(rec_count(s, "SELECT * FROM sys.symmetric_keys"), 0);
    assert_int_equal(rec_count(s, "SELECT * FROM sys.server_principals"), 1);
    RUN_ERR(s, "BACKUP CERTIFICATE HOST_A_cert TO FILE = 'C:\\stolen.cer'", 15247);
    RUN_ERR(s, "GRANT CONNECT ON ENDPOINT::Endpoint_Mirroring TO [plain]", 15247);
    exec_session_free(s);
}

static void test_seeds(void **state)
{
    fx *f = *state;
    outbound(f);
    inbound(f);
    check_views(&f->a, "HOST_A", "HOST_B");
    check_views(&f->b, "HOST_B", "HOST_A");
    check_key_on_token(f, &f->a, "HOST_A_cert");
    check_key_on_token(f, &f->b, "HOST_B_cert");
    check_peer_session(&f->a, "HOST_B_login");
    /* The endpoint layer heard of every change that it must act on. */
    assert_true(fx_changed(&f->a, EXEC_CHANGE_ENDPOINT, "Endpoint_Mirroring"));
    assert_true(fx_changed(&f->a, EXEC_CHANGE_PERMISSION, "HOST_B_login"));
    assert_true(fx_changed(&f->b, EXEC_CHANGE_CERTIFICATE, "HOST_A_cert"));
}

/* Everything a view shows, as a count per view. */
static size_t view_rows(fx_inst *i)
{
    static const char *const views[] = {
        "sys.certificates",
        "sys.endpoints",
        "sys.database_mirroring_endpoints",
        "sys.server_principals",
        "sys.sysusers",
        "sys.symmetric_keys",
        "sys.server_permissions",
        "sys.database_principals",
    };
    size_t n = 0;
    char sql[128];
    for (size_t k = 0; k < sizeof(views) / sizeof(views[0]); k++) {
        snprintf(sql, sizeof(sql), "SELECT * FROM %s", views[k]);
        n = n * 31 + rec_count(i->admin, sql);
    }
    return n;
}

/* A second run: SQL Server's "already exists" numbers, and nothing changes. */
static void test_seeds_twice(void **state)
{
    fx *f = *state;
    outbound(f);
    inbound(f);
    size_t rows_a = view_rows(&f->a);
    size_t objs_a = fx_token_objects(f->a.tok);
    f->a.nchanges = 0;
    script_result r = run_script(f->a.admin, SEED_OUT_A_MASTER_KEY);
    assert_int_equal(r.first_error, 15578);
    r = run_script(f->a.admin, SEED_OUT_A_CERTIFICATE);
    assert_int_equal(r.first_error, 15232);
    r = run_script(f->a.admin, SEED_OUT_A_ENDPOINT);
    assert_int_equal(r.first_error, 7862);
    r = run_script(f->a.admin, SEED_OUT_A_BACKUP);
    assert_int_equal(r.first_error, 15240);
    r = run_script(f->a.admin, SEED_IN_A_LOGIN);
    assert_int_equal(r.first_error, 15025);
    r = run_script(f->a.admin, SEED_IN_A_USER);
    assert_int_equal(r.first_error, 15023);
    r = run_script(f->a.admin, SEED_IN_A_CERTIFICATE);
    assert_int_equal(r.first_error, 15232);
    script_ok(f->a.admin, SEED_IN_A_GRANT); /* GRANT again is not an error */
    assert_int_equal(view_rows(&f->a), rows_a);
    assert_int_equal(fx_token_objects(f->a.tok), objs_a);
    /* Only the repeated GRANT committed anything. */
    assert_int_equal(f->a.nchanges, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_seeds, fx_setup_rsa, fx_teardown),
        cmocka_unit_test_setup_teardown(test_seeds_twice, fx_setup_rsa, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
