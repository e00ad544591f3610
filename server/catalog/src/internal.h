/*
 * Private to server/catalog: the cat_db structure and the helpers every
 * source file shares (error reasons, prepared statements, atomic sections,
 * ids, time, names). Nothing here is visible outside the library.
 */
#ifndef CAT_INTERNAL_H
#define CAT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "catalog/catalog.h"
#include "catalog/connections.h"
#include "catalog/keyinfo.h"
#include "mk/result.h"
#include "mk/rowset.h"

struct cat_db {
    sqlite3 *sql;
    bool in_txn; /* cat_begin opened a transaction */
    cat_conn_source_fn conn_fn;
    void *conn_ctx;
    cat_link_state_fn link_fn;
    void *link_ctx;
    cat_keyinfo_fn keyinfo_fn;
    void *keyinfo_ctx;
};

/* ---- errors.c ---- */

/* Record an mk error plus a catalog reason and object name; returns MK_ERR. */
mk_result cat_fail(mk_err code, cat_reason reason, const char *object, const char *file, int line,
                   const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* Record (code, reason, object, message) and return MK_ERR from the calling function. */
#define CAT_BAIL(code, reason, object, ...)                                                        \
    do {                                                                                           \
        (void)cat_fail((code), (reason), (object), __FILE__, __LINE__, __VA_ARGS__);               \
        return MK_ERR;                                                                             \
    } while (0)
#define CAT_BAIL_OUT(code, reason, object, ...)                                                    \
    do {                                                                                           \
        (void)cat_fail((code), (reason), (object), __FILE__, __LINE__, __VA_ARGS__);               \
        goto out;                                                                                  \
    } while (0)

/* Translate an SQLite result code (not OK/ROW/DONE) into a recorded error. */
mk_result cat_sqlerr(cat_db *db, int rc, const char *what, const char *file, int line);
#define CAT_SQLERR(db, rc, what) cat_sqlerr((db), (rc), (what), __FILE__, __LINE__)
/* Record the SQLite failure and return MK_ERR from the calling function. */
#define CAT_SQL_BAIL(db, rc, what)                                                                 \
    do {                                                                                           \
        (void)CAT_SQLERR((db), (rc), (what));                                                      \
        return MK_ERR;                                                                             \
    } while (0)

/* ---- sqlutil.c ---- */

/* Prepare one static statement. */
MK_RESULT cat_prepare(cat_db *db, const char *sql, sqlite3_stmt **st);
/* Run static SQL text without parameters (DDL, pragmas). */
MK_RESULT cat_exec(cat_db *db, const char *sql);
/* Step once: *row true on SQLITE_ROW, false on SQLITE_DONE. */
MK_RESULT cat_step(cat_db *db, sqlite3_stmt *st, bool *row);
/* Step expecting SQLITE_DONE (INSERT/UPDATE/DELETE). */
MK_RESULT cat_step_done(cat_db *db, sqlite3_stmt *st);

MK_RESULT cat_bind_text(cat_db *db, sqlite3_stmt *st, int idx, const char *s);
MK_RESULT cat_bind_blob(cat_db *db, sqlite3_stmt *st, int idx, const void *p, size_t len);
MK_RESULT cat_bind_int(cat_db *db, sqlite3_stmt *st, int idx, int64_t v);
MK_RESULT cat_bind_null(cat_db *db, sqlite3_stmt *st, int idx);

/* Run sql without parameters; *found and *value from the first column of the first row. */
MK_RESULT cat_lookup_int(cat_db *db, const char *sql, bool *found, int64_t *value);
/* Run sql with one text parameter; *found and *value from the first column of the first row. */
MK_RESULT cat_lookup_int_by_text(cat_db *db, const char *sql, const char *param, bool *found,
                                 int64_t *value);
/* Same with one integer parameter. */
MK_RESULT cat_lookup_int_by_int(cat_db *db, const char *sql, int64_t param, bool *found,
                                int64_t *value);
/* Same with one integer parameter, reading a text column into buf (truncating safely). */
MK_RESULT cat_lookup_text_by_int(cat_db *db, const char *sql, int64_t param, bool *found, char *buf,
                                 size_t buflen);

/* Run a statement with one integer parameter that returns no rows. */
MK_RESULT cat_run_int(cat_db *db, const char *sql, int64_t param);

/*
 * Next id: max(first column of sql + 1, floor); MK_E_TOOBIG past INT32_MAX.
 * sql is a static "SELECT max(id) FROM t" statement.
 */
MK_RESULT cat_next_id(cat_db *db, const char *sql, int64_t floor, int32_t *out);

/*
 * Atomic sections for mutating functions: cat_atomic_begin opens BEGIN
 * IMMEDIATE, or a SAVEPOINT inside a cat_begin transaction. cat_atomic_end
 * commits/releases when r succeeded, rolls back otherwise (keeping the
 * original error), and returns the final result.
 */
MK_RESULT cat_atomic_begin(cat_db *db);
MK_RESULT cat_atomic_end(cat_db *db, mk_result r);

/* Number of rows changed by the last statement. */
int64_t cat_changes(cat_db *db);

/* ---- util.c ---- */

/* Current UTC time in milliseconds since the epoch. */
int64_t cat_now_ms(void);
/* Random bytes from the OpenSSL DRBG; MK_E_CRYPTO on failure. */
MK_RESULT cat_random(uint8_t *buf, size_t len);
/* A random (version 4) GUID as 36 uppercase characters plus NUL. */
MK_RESULT cat_random_guid(char out[37]);
/* A sysname: 1..CAT_NAME_MAX bytes of valid UTF-8 without control characters. */
MK_RESULT cat_check_name(const char *name, const char *what);
/* Copy a C string into a fixed buffer, truncating at a character boundary. */
void cat_copy_text(char *dst, size_t dstlen, const char *src);
/* ASCII case-insensitive equality. */
bool cat_name_eq(const char *a, const char *b);
/*
 * The columns every principal query starts with: 0 principal_id, 1 name,
 * 2 type (first character; '?' when NULL), 3 sid (ignored when longer than
 * sid_cap). Shared by logins.c and users.c.
 */
void cat_read_principal_head(sqlite3_stmt *st, int32_t *id, char *name, size_t name_len, char *type,
                             uint8_t *sid, size_t sid_cap, size_t *sid_len);
/* Validate UTF-8; *chars receives the number of code points. */
bool cat_utf8_valid(const uint8_t *s, size_t len, size_t *chars);

/* ---- descs.c ---- */

/* The *_desc text for a code of a kind ("algorithm", "ep_state", ...), or NULL. */
const char *cat_desc(const char *kind, int64_t code);
/* Register mk_desc(kind, code) and mk_link_up(address) on the connection for the view queries. */
MK_RESULT cat_register_functions(cat_db *db);

/* ---- connections.c ---- */

/* Register mk_link_up(address): 1 when the link source says the link is logged in, else 0. */
MK_RESULT cat_register_link_function(cat_db *db);

/* ---- views.c / query.c ---- */

/*
 * Storage for the values a live fill adds to one row; they must stay valid
 * until the row is copied into the result.
 */
typedef union cat_live_scratch {
    cat_key_info key;
} cat_live_scratch;

/*
 * A live fill completes one row of a view's SQL with values computed at
 * query time (the columns in the view's live_cols); row values it sets may
 * point into scratch.
 */
typedef mk_result (*cat_live_fill_fn)(cat_db *db, mk_value *row, cat_live_scratch *scratch);

typedef enum cat_vis {
    CAT_VIS_NONE = 0, /* sysadmin only */
    CAT_VIS_LOGIN,    /* rows whose vis_col equals the session's login */
    CAT_VIS_USER,     /* rows whose vis_col equals the session's user */
} cat_vis;

struct cat_view {
    const char *name; /* "sys.certificates" */
    const mk_column *cols;
    size_t ncols;
    const char *sql; /* static SELECT of exactly cols, in order; NULL: live source */
    cat_vis vis;
    int vis_col;
    bool compat; /* also reachable as dbo.x / x (sysusers) */
    /*
     * Optional: completes each row of sql. Filters on the other columns run
     * first, so rows they reject cost no live work; filters on live_cols
     * (bit i = column i) run after the fill.
     */
    cat_live_fill_fn fill;
    uint32_t live_cols;
};

/* ---- connections.c ---- */

/* Fill rs (the dm view's full column set) from the registered source. */
MK_RESULT cat_conn_collect(cat_db *db, mk_rowset *rs);

/* ---- keyinfo.c: sys.mirrorkey_certificate_keys ---- */

/* Its columns, in order (views.c's table follows this). */
enum {
    CAT_KEYV_CERTIFICATE_ID = 0,
    CAT_KEYV_NAME,
    CAT_KEYV_TOKEN_LABEL,
    CAT_KEYV_KEY_ID,
    CAT_KEYV_KEY_TYPE,
    CAT_KEYV_KEY_BITS,
    CAT_KEYV_IS_LOCAL,
    CAT_KEYV_IS_SENSITIVE,
    CAT_KEYV_IS_ALWAYS_SENSITIVE,
    CAT_KEYV_IS_EXTRACTABLE,
    CAT_KEYV_IS_NEVER_EXTRACTABLE,
    CAT_KEYV_IS_PRIVATE_VALUE_READABLE,
    CAT_KEYV_MEETS_POLICY,
    CAT_KEYV_CHECKED_AT,
    CAT_KEYV_NCOLS
};

/* The view's live columns: every column but certificate_id, name and key_id. */
#define CAT_KEYV_LIVE_COLS                                                                         \
    (((UINT32_C(1) << CAT_KEYV_NCOLS) - 1) &                                                       \
     ~((UINT32_C(1) << CAT_KEYV_CERTIFICATE_ID) | (UINT32_C(1) << CAT_KEYV_NAME) |                 \
       (UINT32_C(1) << CAT_KEYV_KEY_ID)))

/* cat_live_fill_fn of the view: asks the registered source about row's key_id. */
mk_result cat_keyinfo_fill(cat_db *db, mk_value *row, cat_live_scratch *scratch);

#endif
