/*
 * Catalog test fixture (see cat_fixture.h).
 */
#include "cat_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <sqlite3.h>

#include "catalog/verifier.h"
#include "catalog/views.h"
#include "mk/buf.h"
#include "mk/rowset.h"

/* Fast verifiers in unit tests; one test checks the production default. */
#define TEST_ITERATIONS 1000

int cat_fx_setup_dir(void **state)
{
    cat_fx *fx = calloc(1, sizeof(*fx));
    if (fx == NULL) {
        return -1;
    }
    const char *tmp = getenv("TMPDIR");
    snprintf(fx->dir, sizeof(fx->dir), "%s/mkcat-XXXXXX", tmp != NULL ? tmp : "/tmp");
    if (mkdtemp(fx->dir) == NULL) {
        free(fx);
        return -1;
    }
    snprintf(fx->path, sizeof(fx->path), "%s/catalog.db", fx->dir);
    cat_verifier_set_iterations_for_tests(TEST_ITERATIONS);
    *state = fx;
    return 0;
}

int cat_fx_setup(void **state)
{
    if (cat_fx_setup_dir(state) != 0) {
        return -1;
    }
    cat_fx *fx = *state;
    if (mk_failed(cat_open(fx->path, CAT_OPEN_NEW, &fx->db))) {
        fprintf(stderr, "cat_open: %s\n", mk_error_message());
        return -1;
    }
    return 0;
}

int cat_fx_teardown(void **state)
{
    cat_fx *fx = *state;
    if (fx == NULL) {
        return 0;
    }
    cat_close(fx->db);
    const char *suffixes[] = {"", "-wal", "-shm", "-journal"};
    for (size_t i = 0; i < 4; i++) {
        char p[400];
        snprintf(p, sizeof(p), "%s%s", fx->path, suffixes[i]);
        (void)unlink(p);
    }
    (void)rmdir(fx->dir);
    free(fx);
    return 0;
}

void cat_fx_make_cert(const char *cn, int64_t not_before_offset_s, int64_t not_after_offset_s,
                      int key, const uint8_t *serial, size_t serial_len, uint8_t **der, size_t *len)
{
    EVP_PKEY *pk = key == 0 ? EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")
                            : EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)key);
    assert_non_null(pk);
    X509 *x = X509_new();
    assert_non_null(x);
    assert_int_equal(X509_set_version(x, 2), 1);
    static const uint8_t default_serial[] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef};
    if (serial == NULL) {
        serial = default_serial;
        serial_len = sizeof(default_serial);
    }
    BIGNUM *bn = BN_bin2bn(serial, (int)serial_len, NULL);
    assert_non_null(BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)));
    BN_free(bn);
    assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), (long)not_before_offset_s));
    assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), (long)not_after_offset_s));
    X509_NAME *name = X509_get_subject_name(x);
    if (cn != NULL) {
        assert_int_equal(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                                    (const unsigned char *)cn, -1, -1, 0),
                         1);
    } else {
        assert_int_equal(X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                                                    (const unsigned char *)"NoCN Org", -1, -1, 0),
                         1);
    }
    assert_int_equal(X509_set_issuer_name(x, name), 1);
    assert_int_equal(X509_set_pubkey(x, pk), 1);
    assert_true(X509_sign(x, pk, EVP_sha256()) > 0);
    unsigned char *out = NULL;
    int n = i2d_X509(x, &out);
    assert_true(n > 0);
    *der = malloc((size_t)n);
    assert_non_null(*der);
    memcpy(*der, out, (size_t)n);
    *len = (size_t)n;
    OPENSSL_free(out);
    X509_free(x);
    EVP_PKEY_free(pk);
}

static void dump_value(mk_buf *b, const mk_column *c, const mk_value *v)
{
    if (v->is_null) {
        assert_true(mk_ok(mk_buf_append_str(b, "NULL|")));
        return;
    }
    if (c->type == MK_T_NVARCHAR || c->type == MK_T_CHAR) {
        assert_true(mk_ok(mk_buf_printf(b, "'%.*s'|", (int)v->len, (const char *)v->bytes)));
    } else if (c->type == MK_T_VARBINARY) {
        assert_true(mk_ok(mk_buf_append_str(b, "0x")));
        for (size_t i = 0; i < v->len; i++) {
            assert_true(mk_ok(mk_buf_printf(b, "%02x", v->bytes[i])));
        }
        assert_true(mk_ok(mk_buf_append_str(b, "|")));
    } else {
        assert_true(mk_ok(mk_buf_printf(b, "%lld|", (long long)v->i)));
    }
}

static void dump_views(cat_db *db, mk_buf *b)
{
    cat_session admin = {.is_sysadmin = true, .login_id = 1, .user_id = 1};
    for (size_t i = 0; i < cat_view_count(); i++) {
        mk_rowset *rs = NULL;
        assert_true(mk_ok(cat_query(db, cat_view_at(i), &admin, NULL, 0, NULL, 0, &rs)));
        assert_true(mk_ok(mk_buf_printf(b, "[%s]\n", cat_view_name(cat_view_at(i)))));
        for (size_t r = 0; r < mk_rowset_nrows(rs); r++) {
            for (size_t c = 0; c < mk_rowset_ncols(rs); c++) {
                const mk_column *col = mk_rowset_column(rs, c);
                if (strcmp(col->name, "checked_at") == 0) {
                    /* sys.mirrorkey_certificate_keys: the time of the query itself. */
                    assert_true(mk_ok(mk_buf_append_str(b, "now|")));
                    continue;
                }
                dump_value(b, col, mk_rowset_value(rs, r, c));
            }
            assert_true(mk_ok(mk_buf_append_str(b, "\n")));
        }
        mk_rowset_free(rs);
    }
}

/* Every committed row of every table, through a second, raw connection. */
static void dump_tables(const char *path, mk_buf *b)
{
    sqlite3 *raw = NULL;
    assert_int_equal(sqlite3_open_v2(path, &raw, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *tables = NULL;
    assert_int_equal(sqlite3_prepare_v2(raw,
                                        "SELECT name FROM sqlite_schema WHERE type = 'table'"
                                        " ORDER BY name",
                                        -1, &tables, NULL),
                     SQLITE_OK);
    while (sqlite3_step(tables) == SQLITE_ROW) {
        char sql[256];
        /* Table names come from the test's own schema listing, not from input. */
        snprintf(sql, sizeof(sql), "SELECT * FROM \"%s\" ORDER BY 1",
                 (const char *)sqlite3_column_text(tables, 0));
        sqlite3_stmt *st = NULL;
        assert_int_equal(sqlite3_prepare_v2(raw, sql, -1, &st, NULL), SQLITE_OK);
        assert_true(mk_ok(mk_buf_printf(b, "{%s}\n", sqlite3_column_text(tables, 0))));
        while (sqlite3_step(st) == SQLITE_ROW) {
            for (int c = 0; c < sqlite3_column_count(st); c++) {
                const unsigned char *t = sqlite3_column_text(st, c);
                assert_true(mk_ok(mk_buf_printf(b, "%s|", t != NULL ? (const char *)t : "~")));
            }
            assert_true(mk_ok(mk_buf_append_str(b, "\n")));
        }
        sqlite3_finalize(st);
    }
    sqlite3_finalize(tables);
    sqlite3_close(raw);
}

char *cat_fx_snapshot(const cat_fx *fx)
{
    mk_buf b;
    mk_buf_init(&b, 0);
    dump_views(fx->db, &b);
    dump_tables(fx->path, &b);
    assert_true(mk_ok(mk_buf_terminate(&b)));
    return (char *)b.data;
}

size_t cat_fx_count(cat_db *db, const char *view)
{
    cat_session admin = {.is_sysadmin = true, .login_id = 1, .user_id = 1};
    const cat_view *v = cat_view_find_name(view);
    assert_non_null(v);
    mk_rowset *rs = NULL;
    assert_true(mk_ok(cat_query(db, v, &admin, NULL, 0, NULL, 0, &rs)));
    size_t n = mk_rowset_nrows(rs);
    mk_rowset_free(rs);
    return n;
}
