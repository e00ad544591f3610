/*
 * sys.mirrorkey_certificate_keys over a fake key-info source: one row per
 * 'HS' certificate (imported 'NA' ones are not listed) with certificate_id,
 * name and key_id from the catalog and everything else from the source at
 * query time; NULLs and meets_policy 0 without a source or for a key the
 * source did not find; answers the catalog refuses to show (unknown key
 * types, bad labels, bits outside 0/1) become NULL; filters on stored
 * columns run before the source is asked, filters on live columns after;
 * a failing source fails the query; a non-sysadmin sees no rows and the
 * source is not asked.
 */
#include "cat_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "catalog/certs.h"
#include "catalog/keyinfo.h"
#include "catalog/views.h"

static const cat_session sysadmin = {.is_sysadmin = true, .login_id = 1, .user_id = 1};

static const uint8_t ID_A[16] = {0xa0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
static const uint8_t ID_B[16] = {0xb0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

/* What the fake token knows; ID_A is a good EC key, ID_B is not there. */
typedef struct fake {
    int calls;
    int defect; /* 0 none, 1 unknown key type, 2 bad label, 3 bits out of range, 4 fail */
} fake;

static mk_result fake_source(void *ctx, const uint8_t *id, size_t len, cat_key_info *out)
{
    fake *f = ctx;
    f->calls++;
    /* The catalog hands over a fresh record with every bit unknown. */
    assert_false(out->found);
    assert_int_equal(out->is_local, CAT_KEY_BIT_NULL);
    assert_int_equal(out->is_private_value_readable, CAT_KEY_BIT_NULL);
    if (f->defect == 4) {
        return MK_RAISE(MK_E_INTERNAL, "fake source broke");
    }
    snprintf(out->token_label, sizeof(out->token_label), "%s",
             f->defect == 2 ? "bad\xff" : "HOST_A");
    if (len != sizeof(ID_A) || memcmp(id, ID_A, len) != 0) {
        return MK_OK; /* not on the token */
    }
    out->found = true;
    snprintf(out->key_type, sizeof(out->key_type), "%s", f->defect == 1 ? "DSA" : "EC");
    out->key_bits = 384;
    out->is_local = 1;
    out->is_sensitive = 1;
    out->is_always_sensitive = f->defect == 3 ? 7 : 1;
    out->is_extractable = 0;
    out->is_never_extractable = 1;
    out->is_private_value_readable = 0;
    out->meets_policy = true;
    return MK_OK;
}

static void add_cert(cat_fx *fx, const char *name, const uint8_t *id, size_t id_len)
{
    uint8_t *der = NULL;
    size_t len = 0;
    uint8_t serial[1] = {(uint8_t)(name[0] + (id != NULL ? id[0] : 0))};
    cat_fx_make_cert(name, -60, 86400, 0, serial, sizeof(serial), &der, &len);
    cat_cert_new c = {.name = name,
                      .owner_id = CAT_DEFAULT_OWNER,
                      .der = der,
                      .der_len = len,
                      .token_id = id,
                      .token_id_len = id_len,
                      .token_label = id != NULL ? name : NULL,
                      .active_for_begin_dialog = true};
    int32_t cert_id = 0;
    assert_cat_ok(cat_cert_create(fx->db, &c, &cert_id));
    free(der);
}

/* Two HS certificates (a: key on the token, b: key gone) and an imported one. */
static void add_certs(cat_fx *fx)
{
    add_cert(fx, "a_cert", ID_A, sizeof(ID_A));
    add_cert(fx, "b_cert", ID_B, sizeof(ID_B));
    add_cert(fx, "peer_cert", NULL, 0);
}

static mk_rowset *query(cat_fx *fx, const cat_session *who, const cat_filter *f, size_t nf)
{
    const cat_view *v = cat_view_find_name("sys.mirrorkey_certificate_keys");
    assert_non_null(v);
    mk_rowset *rs = NULL;
    if (mk_failed(cat_query(fx->db, v, who, NULL, 0, f, nf, &rs))) {
        fail_msg("query: %s", mk_error_message());
    }
    return rs;
}

static const mk_value *val(const mk_rowset *rs, size_t row, const char *name)
{
    for (size_t c = 0; c < mk_rowset_ncols(rs); c++) {
        if (strcmp(mk_rowset_column(rs, c)->name, name) == 0) {
            return mk_rowset_value(rs, row, c);
        }
    }
    fail_msg("no column %s", name);
    return NULL;
}

static void assert_num(const mk_rowset *rs, size_t row, const char *name, int64_t want)
{
    const mk_value *v = val(rs, row, name);
    if (v->is_null) {
        fail_msg("%s is NULL, expected %lld", name, (long long)want);
    }
    assert_int_equal(v->i, want);
}

static void assert_text(const mk_rowset *rs, size_t row, const char *name, const char *want)
{
    const mk_value *v = val(rs, row, name);
    assert_false(v->is_null);
    assert_int_equal(v->len, strlen(want));
    assert_memory_equal(v->bytes, want, v->len);
}

static void assert_null_col(const mk_rowset *rs, size_t row, const char *name)
{
    if (!val(rs, row, name)->is_null) {
        fail_msg("%s is not NULL", name);
    }
}

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

/* A row the token knows nothing about: stored columns only, meets_policy 0, checked now. */
static void assert_unknown_row(const mk_rowset *rs, size_t row, const uint8_t *id)
{
    for (size_t i = 0; i < NATTR; i++) {
        assert_null_col(rs, row, ATTRIBUTES[i]);
    }
    assert_num(rs, row, "meets_policy", 0);
    const mk_value *kid = val(rs, row, "key_id");
    assert_int_equal(kid->len, 16);
    assert_memory_equal(kid->bytes, id, 16);
    int64_t now = (int64_t)time(NULL) * 1000;
    const mk_value *at = val(rs, row, "checked_at");
    assert_false(at->is_null);
    assert_true(at->i > now - 60000 && at->i < now + 60000);
}

static void test_no_source(void **state)
{
    cat_fx *fx = *state;
    add_certs(fx);
    mk_rowset *rs = query(fx, &sysadmin, NULL, 0);
    assert_int_equal(mk_rowset_nrows(rs), 2); /* the imported certificate is not listed */
    assert_int_equal(mk_rowset_ncols(rs), 14);
    assert_num(rs, 0, "certificate_id", 256);
    assert_text(rs, 0, "name", "a_cert");
    assert_null_col(rs, 0, "token_label");
    assert_unknown_row(rs, 0, ID_A);
    assert_num(rs, 1, "certificate_id", 257);
    assert_text(rs, 1, "name", "b_cert");
    assert_unknown_row(rs, 1, ID_B);
    mk_rowset_free(rs);
}

static void test_source_rows(void **state)
{
    cat_fx *fx = *state;
    fake f = {0};
    add_certs(fx);
    cat_set_keyinfo_source(fx->db, fake_source, &f);
    mk_rowset *rs = query(fx, &sysadmin, NULL, 0);
    assert_int_equal(f.calls, 2);
    assert_int_equal(mk_rowset_nrows(rs), 2);
    assert_text(rs, 0, "name", "a_cert");
    assert_text(rs, 0, "token_label", "HOST_A");
    assert_text(rs, 0, "key_type", "EC");
    assert_num(rs, 0, "key_bits", 384);
    assert_num(rs, 0, "is_local", 1);
    assert_num(rs, 0, "is_sensitive", 1);
    assert_num(rs, 0, "is_always_sensitive", 1);
    assert_num(rs, 0, "is_extractable", 0);
    assert_num(rs, 0, "is_never_extractable", 1);
    assert_num(rs, 0, "is_private_value_readable", 0);
    assert_num(rs, 0, "meets_policy", 1);
    /* b's key is not on the token: the token's label, nothing else. */
    assert_text(rs, 1, "token_label", "HOST_A");
    assert_unknown_row(rs, 1, ID_B);
    mk_rowset_free(rs);
}

static void test_defective_answers(void **state)
{
    cat_fx *fx = *state;
    fake f = {.defect = 1};
    add_certs(fx);
    cat_set_keyinfo_source(fx->db, fake_source, &f);
    mk_rowset *rs = query(fx, &sysadmin, NULL, 0);
    assert_null_col(rs, 0, "key_type");
    assert_num(rs, 0, "key_bits", 384);
    mk_rowset_free(rs);
    f.defect = 2;
    rs = query(fx, &sysadmin, NULL, 0);
    assert_null_col(rs, 0, "token_label");
    assert_text(rs, 0, "key_type", "EC");
    mk_rowset_free(rs);
    f.defect = 3;
    rs = query(fx, &sysadmin, NULL, 0);
    assert_null_col(rs, 0, "is_always_sensitive");
    assert_num(rs, 0, "is_sensitive", 1);
    mk_rowset_free(rs);
    f.defect = 4;
    const cat_view *v = cat_view_find_name("sys.mirrorkey_certificate_keys");
    rs = NULL;
    assert_cat_fail(cat_query(fx->db, v, &sysadmin, NULL, 0, NULL, 0, &rs), MK_E_INTERNAL,
                    CAT_R_NONE);
    assert_null(rs);
    assert_non_null(strstr(mk_error_message(), "fake source broke"));
}

#define STR(x)                                                                                     \
    {                                                                                              \
        .kind = CAT_LIT_STRING, .s = (x)                                                           \
    }

static void test_filters(void **state)
{
    cat_fx *fx = *state;
    fake f = {0};
    add_certs(fx);
    cat_set_keyinfo_source(fx->db, fake_source, &f);
    /* A stored column: only the matching row asks the token. */
    cat_filter by_name = {"name", CAT_OP_EQ, STR("B_CERT")};
    mk_rowset *rs = query(fx, &sysadmin, &by_name, 1);
    assert_int_equal(mk_rowset_nrows(rs), 1);
    assert_int_equal(f.calls, 1);
    assert_text(rs, 0, "name", "b_cert");
    mk_rowset_free(rs);
    /* Live columns filter after the fill. */
    f.calls = 0;
    cat_filter failing = {"meets_policy", CAT_OP_EQ, {.kind = CAT_LIT_INT, .i = 0}};
    rs = query(fx, &sysadmin, &failing, 1);
    assert_int_equal(f.calls, 2);
    assert_int_equal(mk_rowset_nrows(rs), 1);
    assert_text(rs, 0, "name", "b_cert");
    mk_rowset_free(rs);
    cat_filter typed[] = {{"key_type", CAT_OP_EQ, STR("ec")},
                          {"key_bits", CAT_OP_EQ, {.kind = CAT_LIT_INT, .i = 384}}};
    rs = query(fx, &sysadmin, typed, 2);
    assert_int_equal(mk_rowset_nrows(rs), 1);
    assert_text(rs, 0, "name", "a_cert");
    mk_rowset_free(rs);
    cat_filter missing = {"key_type", CAT_OP_IS_NULL, {.kind = CAT_LIT_NULL}};
    rs = query(fx, &sysadmin, &missing, 1);
    assert_int_equal(mk_rowset_nrows(rs), 1);
    assert_text(rs, 0, "name", "b_cert");
    mk_rowset_free(rs);
    uint8_t want_id[16];
    memcpy(want_id, ID_A, sizeof(want_id));
    cat_filter by_id = {
        "key_id", CAT_OP_EQ, {.kind = CAT_LIT_BINARY, .bytes = want_id, .len = sizeof(want_id)}};
    rs = query(fx, &sysadmin, &by_id, 1);
    assert_int_equal(mk_rowset_nrows(rs), 1);
    assert_text(rs, 0, "name", "a_cert");
    mk_rowset_free(rs);
}

static void test_visibility(void **state)
{
    cat_fx *fx = *state;
    fake f = {0};
    add_certs(fx);
    cat_set_keyinfo_source(fx->db, fake_source, &f);
    cat_session peer = {.login_id = 256, .user_id = 1}; /* even as dbo's user */
    mk_rowset *rs = query(fx, &peer, NULL, 0);
    assert_int_equal(mk_rowset_nrows(rs), 0);
    assert_int_equal(mk_rowset_ncols(rs), 14);
    mk_rowset_free(rs);
    assert_int_equal(f.calls, 0);
    /* Unregistered: back to NULLs. */
    cat_set_keyinfo_source(fx->db, NULL, &f);
    rs = query(fx, &sysadmin, NULL, 0);
    assert_null_col(rs, 0, "token_label");
    assert_unknown_row(rs, 0, ID_A);
    mk_rowset_free(rs);
    assert_int_equal(f.calls, 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, cat_fx_setup, cat_fx_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_no_source), T(test_source_rows), T(test_defective_answers),
        T(test_filters),   T(test_visibility),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
