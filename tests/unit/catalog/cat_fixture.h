/*
 * Test fixture for the catalog: a fresh catalog file in a private temp
 * directory per test, a fast verifier iteration count, test certificates
 * made with OpenSSL (software keys: the catalog stores only public
 * certificates), error assertions and a whole-catalog snapshot used to
 * prove that a failed call changed nothing.
 */
#ifndef CAT_FIXTURE_H
#define CAT_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <cmocka.h>

#include "catalog/catalog.h"
#include "mk/result.h"

typedef struct cat_fx {
    char dir[256];
    char path[320];
    cat_db *db;
} cat_fx;

/* cmocka setup/teardown: *state becomes a cat_fx with an open, new catalog. */
int cat_fx_setup(void **state);
int cat_fx_teardown(void **state);
/* Only the temp dir (no catalog opened): for tests of cat_open itself. */
int cat_fx_setup_dir(void **state);

/* A self-signed certificate (DER, malloc'd). key: 0 = EC P-256, else RSA bits. */
void cat_fx_make_cert(const char *cn, int64_t not_before_offset_s, int64_t not_after_offset_s,
                      int key, const uint8_t *serial, size_t serial_len, uint8_t **der,
                      size_t *len);

/* Snapshot of every row of every view (text, malloc'd), for no-change checks. */
char *cat_fx_snapshot(const cat_fx *fx);
/* Rows of a view for a sysadmin session. */
size_t cat_fx_count(cat_db *db, const char *view);

/* Assert a call failed with code and reason (reason CAT_R_NONE: not checked). */
#define assert_cat_fail(expr, code, reason)                                                        \
    do {                                                                                           \
        mk_result r_ = (expr);                                                                     \
        assert_true(mk_failed(r_));                                                                \
        assert_int_equal(mk_error_code(), (code));                                                 \
        if ((reason) != CAT_R_NONE) {                                                              \
            assert_int_equal(cat_error_reason(), (reason));                                        \
        }                                                                                          \
    } while (0)

#define assert_cat_ok(expr)                                                                        \
    do {                                                                                           \
        mk_result r_ = (expr);                                                                     \
        if (mk_failed(r_)) {                                                                       \
            fail_msg("%s failed: %s", #expr, mk_error_message());                                  \
        }                                                                                          \
    } while (0)

/* A failing call must leave every table and view of the catalog as it was. */
#define assert_unchanged(fx, expr, code, reason)                                                   \
    do {                                                                                           \
        char *before_ = cat_fx_snapshot(fx);                                                       \
        assert_cat_fail(expr, code, reason);                                                       \
        char *after_ = cat_fx_snapshot(fx);                                                        \
        assert_string_equal(before_, after_);                                                      \
        free(before_);                                                                             \
        free(after_);                                                                              \
    } while (0)

#endif
