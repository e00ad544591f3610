/*
 * Certificates against real tokens (EC P-256 instances, the instance
 * option; the seeds test covers the RSA-3072 default):
 *   - CREATE ... WITH SUBJECT: sys.certificates values, the key pair and
 *     certificate object on the token under one CKA_ID, dates (15215 INFO
 *     for a future start, 15213, 241), subject length (15468), name taken in
 *     the catalog or on the token (15232, the other object untouched), no
 *     open master key (15581), ENCRYPTION BY PASSWORD (50103), and a failure
 *     after key generation (no provider to sign with: 15468) that leaves no
 *     token object behind;
 *   - BACKUP: DER, public only, paths confined to the file root (15240),
 *     WITH PRIVATE KEY refused (50101) without writing anything;
 *   - CREATE ... FROM FILE / FROM BINARY (DER and PEM): 15208, 15297, 15232,
 *     15151, 50102, 40508;
 *   - DROP (token objects destroyed only when the drop commits; 15352 while
 *     the endpoint uses it; 15151) and ALTER AUTHORIZATION ON CERTIFICATE.
 */
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "ddl_fixture.h"
#include "p11/keygen.h"

static const char CREATE_MK[] = "CREATE MASTER KEY ENCRYPTION BY PASSWORD = '<1_Strong_Password!>'";

static void write_root_file(const fx_inst *i, const char *name, const void *data, size_t len)
{
    char path[2048];
    int n = snprintf(path, sizeof(path), "%s/%s", i->root, name);
    assert_true(n > 0 && (size_t)n < sizeof(path));
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(data, 1, len, fp), len);
    fclose(fp);
}

static uint8_t *read_root_file(const fx_inst *i, const char *name, size_t *len)
{
    char path[2048];
    int n = snprintf(path, sizeof(path), "%s/%s", i->root, name);
    assert_true(n > 0 && (size_t)n < sizeof(path));
    return fx_read_file(path, len);
}

static size_t cert_rows(fx_inst *i)
{
    return rec_count(i->admin, "SELECT * FROM sys.certificates");
}

static void test_create_generated(void **state)
{
    fx *f = *state;
    fx_inst *a = &f->a;
    RUN_OK(a->admin, CREATE_MK);
    size_t objs = fx_token_objects(a->tok);
    record *r = rec_run(a->admin, "CREATE CERTIFICATE HOST_A_cert WITH SUBJECT = 'HOST_A "
                                  "certificate', START_DATE = '2020-01-01', EXPIRY_DATE = "
                                  "'2099-12-31 23:59:59'");
    assert_int_equal(rec_error(r), 0);
    assert_int_equal(r->nmsg, 0); /* valid now: no warning */
    free(r);
    assert_int_equal(fx_token_objects(a->tok), objs + 3);
    r = rec_run(a->admin, "SELECT * FROM sys.certificates");
    assert_int_equal(r->nrows, 1);
    assert_string_equal(rec_cell(r, 0, "name"), "HOST_A_cert");
    assert_string_equal(rec_cell(r, 0, "certificate_id"), "256");
    assert_string_equal(rec_cell(r, 0, "principal_id"), "1");
    assert_string_equal(rec_cell(r, 0, "pvt_key_encryption_type"), "HS");
    assert_string_equal(rec_cell(r, 0, "pvt_key_encryption_type_desc"), "STORED_IN_HSM");
    assert_string_equal(rec_cell(r, 0, "is_active_for_begin_dialog"), "1");
    assert_string_equal(rec_cell(r, 0, "subject"), "HOST_A certificate");
    assert_string_equal(rec_cell(r, 0, "issuer_name"), "HOST_A certificate");
    assert_string_equal(rec_cell(r, 0, "start_date"), "1577836800000");
    assert_string_equal(rec_cell(r, 0, "expiry_date"), "4102444799000");
    assert_string_equal(rec_cell(r, 0, "key_length"), "256");
    assert_int_equal(strlen(rec_cell(r, 0, "thumbprint")), 2 + 40);
    free(r);
    /* One CKA_ID for private key, public key and certificate; the label is the name. */
    cat_cert c;
    memset(&c, 0, sizeof(c));
    FX_OK(cat_cert_get_by_name(a->db, "HOST_A_cert", &c));
    size_t priv = 0, pub = 0, certs = 0;
    fx_objects_with_id(a->tok, c.token_id, c.token_id_len, &priv, &pub, &certs);
    assert_int_equal(priv + pub + certs, 3);
    assert_true(priv == 1 && pub == 1 && certs == 1);
    p11_key *key = NULL;
    FX_OK(p11_key_find_by_id(a->tok, c.token_id, c.token_id_len, &key));
    assert_int_equal(p11_key_get_type(key), P11_KEY_EC);
    p11_policy_report report;
    FX_OK(p11_key_policy_check(key, &report));
    assert_true(report.pass);
    p11_key_unref(key);
    /* The certificate is signed by that key (ECDSA with SHA-256). */
    const unsigned char *p = c.der;
    X509 *x = d2i_X509(NULL, &p, (long)c.der_len);
    assert_non_null(x);
    assert_int_equal(X509_get_signature_nid(x), NID_ecdsa_with_SHA256);
    assert_int_equal(X509_verify(x, X509_get0_pubkey(x)), 1);
    X509_free(x);
    cat_cert_cleanup(&c);
    assert_true(fx_changed(a, EXEC_CHANGE_CERTIFICATE, "HOST_A_cert"));

    /* Defaults: now .. now + 1 year; ACTIVE FOR BEGIN_DIALOG = OFF is recorded. */
    RUN_OK(a->admin, "CREATE CERTIFICATE d WITH SUBJECT = 'd' ACTIVE FOR BEGIN_DIALOG = OFF");
    r = rec_run(a->admin, "SELECT start_date, expiry_date, is_active_for_begin_dialog FROM "
                          "sys.certificates WHERE name = 'd'");
    long long start = atoll(rec_cell(r, 0, "start_date"));
    long long expiry = atoll(rec_cell(r, 0, "expiry_date"));
    long long now = (long long)time(NULL) * 1000;
    assert_true(start <= now && start > now - 120000);
    assert_true(expiry - start >= 365LL * 86400000 && expiry - start <= 366LL * 86400000);
    assert_string_equal(rec_cell(r, 0, "is_active_for_begin_dialog"), "0");
    free(r);
}

static void test_create_dates_and_warnings(void **state)
{
    fx *f = *state;
    fx_inst *a = &f->a;
    RUN_OK(a->admin, CREATE_MK);
    /* Not yet valid: INFO 15215 (class 10), still created. */
    record *r = rec_run(a->admin, "CREATE CERTIFICATE future WITH SUBJECT = 'f', START_DATE = "
                                  "'20900101', EXPIRY_DATE = '20910101'");
    assert_int_equal(rec_error(r), 0);
    const rec_msg *m = rec_find(r, 15215);
    assert_non_null(m);
    assert_int_equal(m->cls, 10);
    assert_int_equal(r->nerror_done, 0);
    free(r);
    /* Expired with both dates given: 15214. */
    r = rec_run(a->admin, "CREATE CERTIFICATE past WITH SUBJECT = 'p', START_DATE = "
                          "'01/01/2012', EXPIRY_DATE = '11/30/2013'");
    assert_int_equal(rec_error(r), 0);
    assert_non_null(rec_find(r, 15214));
    assert_int_equal(rec_find(r, 15214)->cls, 10);
    free(r);
    assert_int_equal(cert_rows(a), 2);
    size_t objs = fx_token_objects(a->tok);
    RUN_ERR(a->admin,
            "CREATE CERTIFICATE bad WITH SUBJECT = 's', START_DATE = '2014-01-01', "
            "EXPIRY_DATE = '2013-01-01'",
            15213);
    RUN_ERR(a->admin,
            "CREATE CERTIFICATE bad WITH SUBJECT = 's', START_DATE = '2014-01-01', "
            "EXPIRY_DATE = '2014-01-01'",
            15213);
    RUN_ERR(a->admin, "CREATE CERTIFICATE bad WITH SUBJECT = 's', EXPIRY_DATE = '13/45/2013'", 241);
    RUN_ERR(a->admin, "CREATE CERTIFICATE bad WITH SUBJECT = 's', START_DATE = 'tomorrow'", 241);
    char sql[300];
    snprintf(sql, sizeof(sql), "CREATE CERTIFICATE bad WITH SUBJECT = '%065d'", 7);
    RUN_ERR(a->admin, sql, 15468);
    snprintf(sql, sizeof(sql), "CREATE CERTIFICATE ok64 WITH SUBJECT = '%064d'", 7);
    RUN_OK(a->admin, sql);
    RUN_ERR(a->admin, "CREATE CERTIFICATE bad WITH SUBJECT = ''", 15468);
    RUN_ERR(a->admin,
            "CREATE CERTIFICATE bad ENCRYPTION BY PASSWORD = 'Str0ng!Passw0rd' WITH "
            "SUBJECT = 's'",
            50103);
    RUN_ERR(a->admin, "CREATE CERTIFICATE bad AUTHORIZATION nobody WITH SUBJECT = 's'", 15151);
    assert_int_equal(fx_token_objects(a->tok), objs + 3); /* only ok64 */
    assert_int_equal(cert_rows(a), 3);
}

static void test_create_name_taken(void **state)
{
    fx *f = *state;
    fx_inst *a = &f->a;
    RUN_OK(a->admin, CREATE_MK);
    RUN_OK(a->admin, "CREATE CERTIFICATE c1 WITH SUBJECT = 'c1'");
    size_t objs = fx_token_objects(a->tok);
    RUN_ERR(a->admin, "CREATE CERTIFICATE c1 WITH SUBJECT = 'again'", 15232);
    RUN_ERR(a->admin, "CREATE CERTIFICATE C1 WITH SUBJECT = 'again'", 15232);
    /* A token object already labelled like the new certificate: 15232, and it survives. */
    p11_keygen_params kp = {.type = P11_KEY_EC, .label = "taken"};
    p11_key *other = NULL;
    FX_OK(p11_keygen(a->tok, &kp, &other, NULL));
    objs = fx_token_objects(a->tok);
    RUN_ERR(a->admin, "CREATE CERTIFICATE taken WITH SUBJECT = 'taken'", 15232);
    assert_int_equal(fx_token_objects(a->tok), objs);
    size_t len = 0;
    const uint8_t *id = p11_key_id(other, &len);
    size_t priv = 0, pub = 0, certs = 0;
    fx_objects_with_id(a->tok, id, len, &priv, &pub, &certs);
    assert_true(priv == 1 && pub == 1 && certs == 0);
    p11_key_unref(other);
    assert_int_equal(cert_rows(a), 1);
}

/* A failure after key generation destroys the new key pair (the deferred rollback). */
static void test_failure_after_keygen(void **state)
{
    fx *f = *state;
    fx_inst *a = &f->a;
    RUN_OK(a->admin, CREATE_MK);
    /* An instance whose library context lacks the mirrorkey provider cannot sign. */
    OSSL_LIB_CTX *bare = OSSL_LIB_CTX_new();
    OSSL_PROVIDER *def = OSSL_PROVIDER_load(bare, "default");
    assert_non_null(def);
    fx_inst_stop(a);
    fx_inst_start(a, bare, P11_KEY_EC);
    FX_OK(exec_instance_open_master_key(a->inst, a->db, NULL));
    size_t objs = fx_token_objects(a->tok);
    record *r = rec_run(a->admin, "CREATE CERTIFICATE nosign WITH SUBJECT = 'no signer'");
    assert_int_equal(rec_error(r), 15468);
    assert_non_null(strstr(r->msg[0].text, "HSM"));
    free(r);
    assert_int_equal(fx_token_objects(a->tok), objs);
    assert_int_equal(cert_rows(a), 0);
    /* The label is free again: with a signer the same statement works. */
    fx_inst_stop(a);
    OSSL_PROVIDER_unload(def);
    OSSL_LIB_CTX_free(bare);
    fx_inst_start(a, f->libctx, P11_KEY_EC);
    FX_OK(exec_instance_open_master_key(a->inst, a->db, NULL));
    RUN_OK(a->admin, "CREATE CERTIFICATE nosign WITH SUBJECT = 'no signer'");
    assert_int_equal(fx_token_objects(a->tok), objs + 3);
}

static void test_backup(void **state)
{
    fx *f = *state;
    fx_inst *a = &f->a;
    RUN_OK(a->admin, CREATE_MK);
    RUN_OK(a->admin, "CREATE CERTIFICATE c1 WITH SUBJECT = 'c1'");
    char sub[1000];
    snprintf(sub, sizeof(sub), "%s/sub", a->root);
    assert_int_equal(mkdir(sub, 0700), 0);
    RUN_OK(a->admin, "BACKUP CERTIFICATE c1 TO FILE = 'C:\\c1.cer'");
    RUN_OK(a->admin, "BACKUP CERTIFICATE c1 TO FILE = 'sub/c1.cer'");
    size_t len = 0;
    uint8_t *der = read_root_file(a, "c1.cer", &len);
    assert_non_null(der);
    cat_cert c;
    memset(&c, 0, sizeof(c));
    FX_OK(cat_cert_get_by_name(a->db, "c1", &c));
    assert_int_equal(len, c.der_len);
    assert_memory_equal(der, c.der, len);
    assert_null(c.has_backup_date ? "set" : NULL); /* no private key was backed up */
    cat_cert_cleanup(&c);
    free(der);

    RUN_ERR(a->admin, "BACKUP CERTIFICATE c1 TO FILE = 'C:\\c1.cer'", 15240); /* exists */
    RUN_ERR(a->admin, "BACKUP CERTIFICATE c1 TO FILE = 'D:\\c1.cer'", 15240);
    RUN_ERR(a->admin, "BACKUP CERTIFICATE c1 TO FILE = '..\\c1.cer'", 15240);
    RUN_ERR(a->admin, "BACKUP CERTIFICATE c1 TO FILE = '/tmp/c1.cer'", 15240);
    RUN_ERR(a->admin, "BACKUP CERTIFICATE c1 TO FILE = 'nodir\\c1.cer'", 15240);
    RUN_ERR(a->admin, "BACKUP CERTIFICATE nope TO FILE = 'nope.cer'", 15151);
    record *r = rec_run(a->admin, "BACKUP CERTIFICATE c1 TO FILE = 'C:\\k.cer' WITH PRIVATE KEY "
                                  "(FILE = 'C:\\k.pvk', ENCRYPTION BY PASSWORD = "
                                  "'Str0ng!Passw0rd')");
    assert_int_equal(rec_error(r), 50101);
    assert_non_null(strstr(r->msg[0].text, "HSM"));
    assert_null(strstr(r->msg[0].text, "Str0ng!Passw0rd"));
    free(r);
    assert_false(fx_file_exists(a, "k.cer"));
    assert_false(fx_file_exists(a, "k.pvk"));
    assert_false(fx_file_exists(a, "../c1.cer"));

    /* No file root configured: 15240, nothing anywhere. */
    exec_instance_config cfg = {.server_name = "noroot", .token = a->tok};
    exec_instance *inst = NULL;
    exec_session *s = NULL;
    cat_login l;
    FX_OK(exec_instance_new(&cfg, &inst));
    FX_OK(cat_login_get(a->db, "admin", &l));
    exec_principal who = {.login_id = l.principal_id, .login_name = "admin"};
    FX_OK(exec_session_new(inst, a->db, &who, &s));
    RUN_ERR(s, "BACKUP CERTIFICATE c1 TO FILE = 'C:\\other.cer'", 15240);
    RUN_ERR(s, "CREATE CERTIFICATE x FROM FILE = 'C:\\c1.cer'", 15208);
    exec_session_free(s);
    exec_instance_free(inst);
}

/* HOST_A's certificate imported on HOST_B by file (DER, PEM) and by binary. */
static void test_import(void **state)
{
    fx *f = *state;
    fx_inst *a = &f->a;
    fx_inst *b = &f->b;
    RUN_OK(a->admin, CREATE_MK);
    RUN_OK(a->admin, "CREATE CERTIFICATE HOST_A_cert WITH SUBJECT = 'HOST_A'");
    RUN_OK(a->admin, "BACKUP CERTIFICATE HOST_A_cert TO FILE = 'C:\\HOST_A_cert.cer'");
    fx_copy(a, b, "HOST_A_cert.cer");
    RUN_OK(b->admin, "CREATE LOGIN HOST_A_login WITH PASSWORD = 'AStrongPassword!@#'");
    RUN_OK(b->admin, "CREATE USER HOST_A_user FOR LOGIN HOST_A_login");
    size_t objs_b = fx_token_objects(b->tok);

    RUN_ERR(b->admin, "CREATE CERTIFICATE x FROM FILE = 'C:\\missing.cer'", 15208);
    RUN_ERR(b->admin, "CREATE CERTIFICATE x FROM FILE = 'C:\\..\\HOST_A\\files\\HOST_A_cert.cer'",
            15208);
    write_root_file(b, "garbage.cer", "not a certificate", 17);
    RUN_ERR(b->admin, "CREATE CERTIFICATE x FROM FILE = 'garbage.cer'", 15208);
    RUN_ERR(b->admin, "CREATE CERTIFICATE x FROM BINARY = 0x308201", 15297);
    RUN_ERR(b->admin, "CREATE CERTIFICATE x AUTHORIZATION nobody FROM FILE = 'HOST_A_cert.cer'",
            15151);
    RUN_ERR(b->admin, "CREATE CERTIFICATE x AUTHORIZATION [public] FROM FILE = 'HOST_A_cert.cer'",
            15151);
    RUN_ERR(b->admin,
            "CREATE CERTIFICATE x FROM FILE = 'HOST_A_cert.cer' WITH PRIVATE KEY "
            "(FILE = 'HOST_A_cert.pvk', DECRYPTION BY PASSWORD = 'Str0ng!Passw0rd')",
            50102);
    RUN_ERR(b->admin, "CREATE CERTIFICATE x FROM EXECUTABLE FILE = 'HOST_A_cert.cer'", 40508);
    RUN_ERR(b->admin, "CREATE CERTIFICATE x FROM ASSEMBLY a", 40508);
    assert_int_equal(cert_rows(b), 0);

    RUN_OK(b->admin, "CREATE CERTIFICATE HOST_A_cert AUTHORIZATION HOST_A_user FROM FILE = "
                     "'C:\\HOST_A_cert.cer'");
    assert_int_equal(fx_token_objects(b->tok), objs_b); /* nothing on B's token */
    char uid[REC_CELL];
    rec_value(b->admin,
              "SELECT principal_id FROM sys.database_principals WHERE name = "
              "'HOST_A_user'",
              "principal_id", uid, sizeof(uid));
    record *r = rec_run(b->admin, "SELECT * FROM sys.certificates");
    assert_int_equal(r->nrows, 1);
    assert_string_equal(rec_cell(r, 0, "pvt_key_encryption_type"), "NA");
    assert_string_equal(rec_cell(r, 0, "pvt_key_encryption_type_desc"), "NO_PRIVATE_KEY");
    assert_string_equal(rec_cell(r, 0, "principal_id"), uid);
    free(r);
    /* The same certificate again (other name, same thumbprint): 15232. */
    RUN_ERR(b->admin, "CREATE CERTIFICATE again FROM FILE = 'HOST_A_cert.cer'", 15232);

    /* PEM and binary forms of another certificate. */
    RUN_OK(a->admin, "CREATE CERTIFICATE second WITH SUBJECT = 'second'");
    cat_cert c;
    memset(&c, 0, sizeof(c));
    FX_OK(cat_cert_get_by_name(a->db, "second", &c));
    const unsigned char *p = c.der;
    X509 *x = d2i_X509(NULL, &p, (long)c.der_len);
    BIO *bio = BIO_new(BIO_s_mem());
    assert_int_equal(PEM_write_bio_X509(bio, x), 1);
    char *pem = NULL;
    long pem_len = BIO_get_mem_data(bio, &pem);
    write_root_file(b, "second.pem", pem, (size_t)pem_len);
    RUN_OK(b->admin, "CREATE CERTIFICATE second_pem FROM FILE = 'second.pem'");
    char *sql = malloc(2 * c.der_len + 100);
    size_t o = (size_t)sprintf(sql, "CREATE CERTIFICATE second_bin FROM BINARY = 0x");
    for (size_t i = 0; i < c.der_len; i++) {
        o += (size_t)sprintf(sql + o, "%02X", c.der[i]);
    }
    RUN_ERR(b->admin, sql, 15232); /* same thumbprint as second_pem */
    RUN_OK(b->admin, "DROP CERTIFICATE second_pem");
    RUN_OK(b->admin, sql);
    free(sql);
    /* A PEM file that also carries a private key block is refused whole. */
    EVP_PKEY *k = EVP_EC_gen("P-256");
    assert_non_null(k);
    assert_int_equal(PEM_write_bio_PrivateKey(bio, k, NULL, NULL, 0, NULL, NULL), 1);
    pem_len = BIO_get_mem_data(bio, &pem);
    write_root_file(b, "with_key.pem", pem, (size_t)pem_len);
    RUN_ERR(b->admin, "CREATE CERTIFICATE with_key FROM FILE = 'with_key.pem'", 50102);
    EVP_PKEY_free(k);
    BIO_free(bio);
    X509_free(x);
    cat_cert_cleanup(&c);
    assert_int_equal(cert_rows(b), 2);
}

static void test_drop_and_owner(void **state)
{
    fx *f = *state;
    fx_inst *a = &f->a;
    RUN_OK(a->admin, CREATE_MK);
    size_t objs = fx_token_objects(a->tok);
    RUN_OK(a->admin, "CREATE CERTIFICATE c1 WITH SUBJECT = 'c1'");
    RUN_OK(a->admin, "CREATE ENDPOINT e AS TCP (LISTENER_PORT = 7024) FOR DATABASE_MIRRORING "
                     "(AUTHENTICATION = CERTIFICATE c1, ROLE = ALL)");
    assert_int_equal(fx_token_objects(a->tok), objs + 3);
    record *r = rec_run(a->admin, "DROP CERTIFICATE c1");
    assert_int_equal(rec_error(r), 15352);
    assert_non_null(strstr(r->msg[0].text, "'c1'"));
    assert_non_null(strstr(r->msg[0].text, "'e'"));
    free(r);
    /* Refused: the key is still on the token. */
    assert_int_equal(fx_token_objects(a->tok), objs + 3);
    RUN_ERR(a->admin, "DROP CERTIFICATE nope", 15151);

    /* ALTER AUTHORIZATION ON CERTIFICATE. */
    RUN_OK(a->admin, "CREATE LOGIN l1 WITH PASSWORD = 'Str0ng!Passw0rd'");
    RUN_OK(a->admin, "CREATE USER u1 FOR LOGIN l1");
    RUN_OK(a->admin, "ALTER AUTHORIZATION ON CERTIFICATE::c1 TO u1");
    char v[REC_CELL];
    char uid[REC_CELL];
    rec_value(a->admin, "SELECT principal_id FROM sys.database_principals WHERE name = 'u1'",
              "principal_id", uid, sizeof(uid));
    assert_string_equal(rec_value(a->admin,
                                  "SELECT principal_id FROM sys.certificates WHERE name = 'c1'",
                                  "principal_id", v, sizeof(v)),
                        uid);
    RUN_ERR(a->admin, "ALTER AUTHORIZATION ON CERTIFICATE::c1 TO nobody", 15151);
    RUN_ERR(a->admin, "ALTER AUTHORIZATION ON CERTIFICATE::c1 TO [public]", 15151);
    assert_string_equal(rec_value(a->admin,
                                  "SELECT principal_id FROM sys.certificates WHERE name = 'c1'",
                                  "principal_id", v, sizeof(v)),
                        uid);
    /* u1 owns c1: it cannot be dropped (SQL Server 15138). */
    RUN_ERR(a->admin, "DROP USER u1", 15138);
    RUN_OK(a->admin, "ALTER AUTHORIZATION ON CERTIFICATE::c1 TO dbo");

    /* Once the endpoint is gone the drop works and takes the token objects with it. */
    RUN_OK(a->admin, "DROP ENDPOINT e");
    f->a.nchanges = 0;
    RUN_OK(a->admin, "DROP CERTIFICATE c1");
    assert_int_equal(fx_token_objects(a->tok), objs);
    assert_int_equal(cert_rows(a), 0);
    assert_true(fx_changed(a, EXEC_CHANGE_CERTIFICATE, "c1"));
    /* An imported (NA) certificate drops without touching the token. */
    RUN_OK(a->admin, "CREATE CERTIFICATE c2 WITH SUBJECT = 'c2'");
    RUN_OK(a->admin, "BACKUP CERTIFICATE c2 TO FILE = 'c2.cer'");
    fx_copy(a, &f->b, "c2.cer");
    size_t objs_b = fx_token_objects(f->b.tok);
    RUN_OK(f->b.admin, "CREATE CERTIFICATE c2 FROM FILE = 'c2.cer'");
    RUN_OK(f->b.admin, "DROP CERTIFICATE c2");
    assert_int_equal(fx_token_objects(f->b.tok), objs_b);
    assert_int_equal(fx_token_objects(a->tok), objs + 3);
}

/* CERT_ID / CERTENCODED see what CREATE made; a plain login sees none of it. */
static void test_visibility(void **state)
{
    fx *f = *state;
    fx_inst *a = &f->a;
    RUN_OK(a->admin, CREATE_MK);
    RUN_OK(a->admin, "CREATE CERTIFICATE c1 WITH SUBJECT = 'c1'");
    char v[REC_CELL];
    assert_string_equal(rec_value(a->admin, "SELECT CERT_ID('c1') AS id", "id", v, sizeof(v)),
                        "256");
    assert_string_equal(rec_value(a->plain, "SELECT CERT_ID('c1') AS id", "id", v, sizeof(v)),
                        "NULL");
    assert_int_equal(rec_count(a->plain, "SELECT * FROM sys.certificates"), 0);
    assert_int_equal(rec_count(a->plain, "SELECT * FROM sys.symmetric_keys"), 0);
    RUN_ERR(a->plain, "BACKUP CERTIFICATE c1 TO FILE = 'c1.cer'", 15247);
    RUN_ERR(a->plain, "DROP CERTIFICATE c1", 15247);
    assert_false(fx_file_exists(a, "c1.cer"));
    assert_int_equal(cert_rows(a), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create_generated, fx_setup_ec, fx_teardown),
        cmocka_unit_test_setup_teardown(test_create_dates_and_warnings, fx_setup_ec, fx_teardown),
        cmocka_unit_test_setup_teardown(test_create_name_taken, fx_setup_ec, fx_teardown),
        cmocka_unit_test_setup_teardown(test_failure_after_keygen, fx_setup_ec, fx_teardown),
        cmocka_unit_test_setup_teardown(test_backup, fx_setup_ec, fx_teardown),
        cmocka_unit_test_setup_teardown(test_import, fx_setup_ec, fx_teardown),
        cmocka_unit_test_setup_teardown(test_drop_and_owner, fx_setup_ec, fx_teardown),
        cmocka_unit_test_setup_teardown(test_visibility, fx_setup_ec, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
