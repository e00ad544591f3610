/*
 * Unit tests for the ceremony transcript (setup/src/transcript.c): the line
 * format and chain, exclusive creation, every way the chain breaks (edited,
 * removed, reordered lines, no final newline, empty file, bad JSON),
 * concurrent appends, and the signature check against detached CMS made here
 * with a software key (signing through a token is the integration test
 * setup_transcript_sign_test). mkt_sign's refusals that come before the
 * token are tested here too.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "transcript.h"

typedef struct fx {
    char dir[256];
    char file[300];
    char sig[300];
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    const char *tmp = getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";
    snprintf(f->dir, sizeof(f->dir), "%s/mkt-test-XXXXXX", tmp);
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->file, sizeof(f->file), "%s/t.jsonl", f->dir);
    snprintf(f->sig, sizeof(f->sig), "%s/t.jsonl.p7s", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    DIR *d = opendir(f->dir);
    struct dirent *e;
    char p[600];
    while (d != NULL && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            snprintf(p, sizeof(p), "%s/%s", f->dir, e->d_name);
            unlink(p);
        }
    }
    if (d != NULL) {
        closedir(d);
    }
    rmdir(f->dir);
    free(f);
    return 0;
}

/* ---- helpers ---- */

static char *slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    char *buf = malloc((1 << 20) + 1);
    assert_non_null(buf);
    *len = fread(buf, 1, 1 << 20, fp);
    fclose(fp);
    buf[*len] = '\0';
    return buf;
}

static void spew(const char *path, const char *data, size_t len)
{
    unlink(path);
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(data, 1, len, fp), len);
    assert_int_equal(fclose(fp), 0);
}

static void append_step(mk_transcript *t, const char *type, int n)
{
    json_t *rec = json_pack("{s:s, s:i, s:s}", "type", type, "n", n, "note", "naïve \"x\"\nsecond");
    assert_non_null(rec);
    assert_true(mk_ok(mkt_append(t, rec)));
    json_decref(rec);
}

/* A transcript of n lines at f->file. */
static void write_transcript(const fx *f, int n)
{
    mk_transcript *t = NULL;
    assert_true(mk_ok(mkt_open(f->file, &t)));
    for (int i = 0; i < n; i++) {
        append_step(t, "step", i);
    }
    assert_true(mk_ok(mkt_close(t)));
}

/* Offset of the start of line k (1-based) in buf. */
static size_t line_start(const char *buf, int k)
{
    const char *p = buf;
    for (int i = 1; i < k; i++) {
        p = strchr(p, '\n');
        assert_non_null(p);
        p++;
    }
    return (size_t)(p - buf);
}

static void expect_fail(const fx *f, const char *sig, const char *cert, const char *needle)
{
    mkt_verify_report rep;
    assert_true(mk_failed(mkt_verify(f->file, sig, cert, &rep)));
    if (strstr(rep.first_error, needle) == NULL) {
        fail_msg("first_error '%s' lacks '%s'", rep.first_error, needle);
    }
}

/* ---- writer and chain ---- */

static void test_roundtrip(void **state)
{
    fx *f = *state;
    write_transcript(f, 3);
    struct stat st;
    assert_int_equal(stat(f->file, &st), 0);
    mode_t mask = umask(0);
    umask(mask);
    assert_int_equal(st.st_mode & 0777, 0644 & ~mask);
    size_t len = 0;
    char *buf = slurp(f->file, &len);
    assert_true(len > 0 && buf[len - 1] == '\n');
    /* Compact, keys sorted, the record's newline escaped: one line per record. */
    assert_memory_equal(buf,
                        "{\"n\":0,\"note\":\"naïve \\\"x\\\"\\nsecond\",\"prev\":\""
                        "0000000000000000000000000000000000000000000000000000000000000000\","
                        "\"seq\":1,\"type\":\"step\"}\n",
                        line_start(buf, 2));
    /* Line 2's prev is the SHA-256 of line 1 without its newline. */
    unsigned char md[32];
    char hex[65];
    assert_int_equal(EVP_Digest(buf, line_start(buf, 2) - 1, md, NULL, EVP_sha256(), NULL), 1);
    for (int i = 0; i < 32; i++) {
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    }
    assert_non_null(strstr(buf + line_start(buf, 2), hex));
    free(buf);

    mkt_verify_report rep;
    assert_true(mk_ok(mkt_verify(f->file, f->sig, NULL, &rep)));
    assert_int_equal(rep.lines, 3);
    assert_int_equal(rep.chain_ok, 1);
    assert_int_equal(rep.signature_state, 0);
    assert_string_equal(rep.first_error, "");
    assert_true(mk_ok(mkt_verify(f->file, NULL, NULL, &rep)));
}

static void test_exists_untouched(void **state)
{
    fx *f = *state;
    spew(f->file, "keep me\n", 8);
    mk_transcript *t = NULL;
    assert_true(mk_failed(mkt_open(f->file, &t)));
    assert_int_equal(mk_error_code(), MK_E_EXISTS);
    assert_null(t);
    size_t len = 0;
    char *buf = slurp(f->file, &len);
    assert_int_equal(len, 8);
    assert_memory_equal(buf, "keep me\n", 8);
    free(buf);
    /* A dangling symlink is not followed either. */
    char link[400];
    snprintf(link, sizeof(link), "%s/link", f->dir);
    assert_int_equal(symlink("target-not-there", link), 0);
    assert_true(mk_failed(mkt_open(link, &t)));
    assert_int_equal(mk_error_code(), MK_E_EXISTS);
    char target[400];
    snprintf(target, sizeof(target), "%s/target-not-there", f->dir);
    assert_int_equal(access(target, F_OK), -1);
}

static void test_append_refusals(void **state)
{
    fx *f = *state;
    mk_transcript *t = NULL;
    assert_true(mk_ok(mkt_open(f->file, &t)));
    json_t *arr = json_array();
    assert_true(mk_failed(mkt_append(t, arr)));
    assert_int_equal(mk_error_code(), MK_E_INVALID);
    json_decref(arr);
    json_t *own = json_pack("{s:s, s:i}", "type", "x", "seq", 7);
    assert_true(mk_failed(mkt_append(t, own)));
    json_decref(own);
    own = json_pack("{s:s, s:s}", "type", "x", "prev", "00");
    assert_true(mk_failed(mkt_append(t, own)));
    json_decref(own);
    append_step(t, "only", 1);
    assert_true(mk_ok(mkt_close(t)));
    assert_true(mk_ok(mkt_close(NULL)));
    mkt_verify_report rep;
    assert_true(mk_ok(mkt_verify(f->file, NULL, NULL, &rep)));
    assert_int_equal(rep.lines, 1);
}

/* A changed byte in line k (not the last) breaks line k+1's prev; the message names both. */
static void test_flipped_byte(void **state)
{
    fx *f = *state;
    write_transcript(f, 5);
    size_t len = 0;
    char *orig = slurp(f->file, &len);
    char *buf = malloc(len + 1);
    assert_non_null(buf);
    char want[64];
    for (int k = 1; k <= 4; k++) {
        memcpy(buf, orig, len + 1); /* with the NUL */
        /* The 's' of "step": still valid JSON, same seq and prev. */
        char *p = strstr(buf + line_start(buf, k), "\"step\"");
        assert_non_null(p);
        p[1] ^= 0x01;
        spew(f->file, buf, len);
        snprintf(want, sizeof(want), "line %d: prev does not match line %d", k + 1, k);
        expect_fail(f, NULL, NULL, want);
    }
    /* A byte that breaks the JSON of the last line is seen too. */
    memcpy(buf, orig, len + 1); /* with the NUL */
    buf[len - 2] = 'X';
    spew(f->file, buf, len);
    expect_fail(f, NULL, NULL, "line 5: not JSON");
    /* So is an edited seq. */
    memcpy(buf, orig, len + 1); /* with the NUL */
    char *seq = strstr(buf + line_start(buf, 3), "\"seq\":3");
    assert_non_null(seq);
    seq[6] = '4';
    spew(f->file, buf, len);
    expect_fail(f, NULL, NULL, "line 3: seq is 4, expected 3");
    /* Line 1's prev must be zeros. */
    memcpy(buf, orig, len + 1); /* with the NUL */
    char *z = strstr(buf, "\"prev\":\"0");
    assert_non_null(z);
    z[8] = '1';
    spew(f->file, buf, len);
    expect_fail(f, NULL, NULL, "line 1: prev is not 64 zeros");
    free(buf);
    free(orig);
}

static void test_deleted_and_swapped(void **state)
{
    fx *f = *state;
    write_transcript(f, 4);
    size_t len = 0;
    char *orig = slurp(f->file, &len);
    size_t s2 = line_start(orig, 2);
    size_t s3 = line_start(orig, 3);
    size_t s4 = line_start(orig, 4);
    char *buf = malloc(len + 1);
    assert_non_null(buf);

    /* Line 2 removed. */
    memcpy(buf, orig, s2);
    memcpy(buf + s2, orig + s3, len - s3);
    spew(f->file, buf, len - (s3 - s2));
    expect_fail(f, NULL, NULL, "line 2: seq is 3, expected 2");

    /* Last line removed: the chain still holds (only a signature covers the end). */
    spew(f->file, orig, s4);
    mkt_verify_report rep;
    assert_true(mk_ok(mkt_verify(f->file, NULL, NULL, &rep)));
    assert_int_equal(rep.lines, 3);

    /* Lines 2 and 3 swapped. */
    memcpy(buf, orig, s2);
    memcpy(buf + s2, orig + s3, s4 - s3);
    memcpy(buf + s2 + (s4 - s3), orig + s2, s3 - s2);
    memcpy(buf + s4, orig + s4, len - s4);
    spew(f->file, buf, len);
    expect_fail(f, NULL, NULL, "line 2: seq is 3, expected 2");
    free(buf);
    free(orig);
}

static void test_framing(void **state)
{
    fx *f = *state;
    write_transcript(f, 2);
    size_t len = 0;
    char *orig = slurp(f->file, &len);
    spew(f->file, orig, len - 1);
    expect_fail(f, NULL, NULL, "line 2: no final newline");
    spew(f->file, "", 0);
    expect_fail(f, NULL, NULL, "empty");
    char *buf = malloc(len + 2);
    assert_non_null(buf);
    memcpy(buf, orig, len);
    buf[len] = '\n';
    spew(f->file, buf, len + 1);
    expect_fail(f, NULL, NULL, "line 3: empty");
    spew(f->file, "[1]\n", 4);
    expect_fail(f, NULL, NULL, "line 1: not a JSON object");
    spew(f->file, "{\"seq\":1,\"seq\":1}\n", 18);
    expect_fail(f, NULL, NULL, "line 1: not JSON");
    spew(f->file, "{\"seq\":\"1\"}\n", 12);
    expect_fail(f, NULL, NULL, "line 1: no integer seq");
    spew(f->file, "{\"seq\":1}\n", 10);
    expect_fail(f, NULL, NULL, "line 1: no prev");
    free(buf);
    free(orig);
    mkt_verify_report rep;
    unlink(f->file);
    assert_true(mk_failed(mkt_verify(f->file, NULL, NULL, &rep)));
    assert_int_equal(rep.lines, 0);
    assert_non_null(strstr(rep.first_error, "No such file"));
}

#define THREADS 8
#define PER_THREAD 50

static void *appender(void *arg)
{
    mk_transcript *t = arg;
    for (int i = 0; i < PER_THREAD; i++) {
        json_t *rec = json_pack("{s:s, s:i}", "type", "thread", "i", i);
        if (rec == NULL || mk_failed(mkt_append(t, rec))) {
            json_decref(rec);
            return (void *)1;
        }
        json_decref(rec);
    }
    return NULL;
}

static void test_concurrent_appends(void **state)
{
    fx *f = *state;
    mk_transcript *t = NULL;
    pthread_t th[THREADS];
    assert_true(mk_ok(mkt_open(f->file, &t)));
    for (int i = 0; i < THREADS; i++) {
        assert_int_equal(pthread_create(&th[i], NULL, appender, t), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        void *ret = NULL;
        assert_int_equal(pthread_join(th[i], &ret), 0);
        assert_null(ret);
    }
    assert_true(mk_ok(mkt_close(t)));
    mkt_verify_report rep;
    assert_true(mk_ok(mkt_verify(f->file, NULL, NULL, &rep)));
    assert_int_equal(rep.lines, THREADS * PER_THREAD);
}

/* ---- signature (software key, CMS made here) ---- */

static void make_identity(const char *cn, EVP_PKEY **key, X509 **cert)
{
    *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    assert_non_null(*key);
    X509 *c = X509_new();
    assert_non_null(c);
    X509_NAME *name = X509_get_subject_name(c);
    assert_int_equal(X509_set_version(c, 2), 1);
    assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(c), 1), 1);
    assert_int_equal(
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0),
        1);
    assert_int_equal(X509_set_issuer_name(c, name), 1);
    assert_non_null(X509_gmtime_adj(X509_getm_notBefore(c), 0));
    assert_non_null(X509_gmtime_adj(X509_getm_notAfter(c), 86400));
    assert_int_equal(X509_set_pubkey(c, *key), 1);
    assert_true(X509_sign(c, *key, EVP_sha256()) > 0);
    *cert = c;
}

static void write_pem(const char *path, X509 *cert)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    assert_int_equal(PEM_write_X509(fp, cert), 1);
    fclose(fp);
}

/* Sign the current f->file (detached unless `attached`) into f->sig. */
static void software_sign(const fx *f, EVP_PKEY *key, X509 *cert, int attached)
{
    size_t len = 0;
    char *data = slurp(f->file, &len);
    BIO *in = BIO_new_mem_buf(data, (int)len);
    unsigned flags = CMS_BINARY | (attached ? 0 : CMS_DETACHED);
    CMS_ContentInfo *cms = CMS_sign(cert, key, NULL, in, flags);
    assert_non_null(cms);
    unsigned char *der = NULL;
    int n = i2d_CMS_ContentInfo(cms, &der);
    assert_true(n > 0);
    spew(f->sig, (const char *)der, (size_t)n);
    OPENSSL_free(der);
    CMS_ContentInfo_free(cms);
    BIO_free(in);
    free(data);
}

static void test_signature(void **state)
{
    fx *f = *state;
    EVP_PKEY *key = NULL, *other_key = NULL;
    X509 *cert = NULL, *other = NULL;
    char cert_path[400], other_path[400];
    make_identity("operator", &key, &cert);
    make_identity("someone-else", &other_key, &other);
    snprintf(cert_path, sizeof(cert_path), "%s/op.pem", f->dir);
    snprintf(other_path, sizeof(other_path), "%s/other.pem", f->dir);
    write_pem(cert_path, cert);
    write_pem(other_path, other);
    write_transcript(f, 3);
    software_sign(f, key, cert, 0);

    mkt_verify_report rep;
    assert_true(mk_ok(mkt_verify(f->file, f->sig, NULL, &rep)));
    assert_int_equal(rep.signature_state, 1);
    assert_string_equal(rep.signer, "CN=operator");
    if (mk_failed(mkt_verify(f->file, f->sig, cert_path, &rep))) {
        fail_msg("%s", rep.first_error);
    }
    assert_int_equal(rep.signature_state, 1);
    /* Another certificate: refused. */
    expect_fail(f, f->sig, other_path, "signature");
    assert_int_equal(rep.signature_state, 1);
    /* --cert without a signature: refused. */
    char missing[400];
    snprintf(missing, sizeof(missing), "%s/none.p7s", f->dir);
    expect_fail(f, missing, cert_path, "no signature");

    /* The last line edited: the chain cannot see it, the signature does. */
    size_t len = 0;
    char *buf = slurp(f->file, &len);
    char *p = strstr(buf + line_start(buf, 3), "\"step\"");
    assert_non_null(p);
    p[1] = 'S';
    spew(f->file, buf, len);
    assert_true(mk_failed(mkt_verify(f->file, f->sig, NULL, &rep)));
    assert_int_equal(rep.chain_ok, 1);
    assert_int_equal(rep.signature_state, -1);
    assert_non_null(strstr(rep.first_error, "signature: does not verify"));
    free(buf);

    /* Attached content, garbage, trailing bytes: refused. */
    software_sign(f, key, cert, 1);
    expect_fail(f, f->sig, NULL, "not detached");
    spew(f->sig, "\x30\x03\x02\x01\x01", 5);
    expect_fail(f, f->sig, NULL, "not a DER CMS");
    software_sign(f, key, cert, 0);
    {
        size_t slen = 0;
        char *sig = slurp(f->sig, &slen);
        sig[slen] = 0;
        spew(f->sig, sig, slen + 1);
        free(sig);
    }
    expect_fail(f, f->sig, NULL, "not a DER CMS");
    /* A certificate file that is not one. */
    software_sign(f, key, cert, 0);
    expect_fail(f, f->sig, f->file, "not a PEM or DER certificate");

    X509_free(cert);
    X509_free(other);
    EVP_PKEY_free(key);
    EVP_PKEY_free(other_key);
}

/* ---- mkt_sign refusals before the token ---- */

static void test_sign_refusals(void **state)
{
    fx *f = *state;
    write_transcript(f, 2);
    const char *ok_uri = "pkcs11:token=none;object=k?module-path=/nonexistent/module.so";
    assert_true(
        mk_failed(mkt_sign(f->file, "pkcs11:token=x;object=k?pin-value=1234", NULL, f->sig)));
    assert_int_equal(mk_error_code(), MK_E_POLICY);
    assert_null(strstr(mk_error_message(), "1234"));
    assert_true(mk_failed(mkt_sign(f->file, "file:/etc/key.pem", NULL, f->sig)));
    assert_int_equal(mk_error_code(), MK_E_INVALID);
    assert_true(mk_failed(mkt_sign(f->file, "pkcs11:token=x;object=k;type=cert", NULL, f->sig)));
    assert_int_equal(mk_error_code(), MK_E_INVALID);
    /* The signature file is never overwritten. */
    spew(f->sig, "old", 3);
    assert_true(mk_failed(mkt_sign(f->file, ok_uri, NULL, f->sig)));
    assert_int_equal(mk_error_code(), MK_E_EXISTS);
    size_t len = 0;
    char *buf = slurp(f->sig, &len);
    assert_int_equal(len, 3);
    free(buf);
    unlink(f->sig);
    /* A module that is not there: the claimed signature file is removed again. */
    assert_true(mk_failed(mkt_sign(f->file, ok_uri, NULL, f->sig)));
    assert_int_equal(access(f->sig, F_OK), -1);
    /* A broken chain is not signed. */
    spew(f->file, "{}\n", 3);
    assert_true(mk_failed(mkt_sign(f->file, ok_uri, NULL, f->sig)));
    assert_non_null(strstr(mk_error_message(), "not signing a broken transcript"));
    assert_int_equal(access(f->sig, F_OK), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_roundtrip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exists_untouched, setup, teardown),
        cmocka_unit_test_setup_teardown(test_append_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flipped_byte, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deleted_and_swapped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_framing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_appends, setup, teardown),
        cmocka_unit_test_setup_teardown(test_signature, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sign_refusals, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
