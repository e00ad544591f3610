/*
 * SQL Server's catalog views over the catalog, with SQL Server's column
 * names, order and types (tinyint and smallint columns are MK_T_INT, and
 * uniqueidentifier columns are NVARCHAR(36) text, since mk_type has neither;
 * see docs/catalog.md for the full mapping). Views:
 *
 *   sys.certificates, sys.endpoints, sys.tcp_endpoints,
 *   sys.database_mirroring_endpoints, sys.server_principals,
 *   sys.database_principals, sys.sysusers, sys.symmetric_keys,
 *   sys.server_permissions, sys.dm_db_mirroring_connections,
 *   sys.databases, sys.database_mirroring, and mirrorkey's
 *   sys.mirrorkey_certificate_keys
 *
 * cat_query runs a SELECT with an optional column list and a conjunction
 * of simple predicates and returns an mk_rowset. Column names never reach
 * SQL text: they are resolved against the view's static column table.
 * sys.dm_db_mirroring_connections is filled by a provider (connections.h),
 * the live columns of sys.mirrorkey_certificate_keys by a key-info source
 * (keyinfo.h).
 */
#ifndef CAT_VIEWS_H
#define CAT_VIEWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "catalog/catalog.h"
#include "mk/result.h"
#include "mk/rowset.h"

typedef struct cat_view cat_view; /* static descriptors; never freed */

/*
 * Resolve an object name given as its unquoted parts (the executor strips
 * [brackets] and "quotes"), compared case-insensitively:
 *   sys.x, master.sys.x           any view
 *   x, dbo.x, master.dbo.x        only the compatibility view sysusers
 * Returns NULL when nothing matches (the executor raises 208).
 */
const cat_view *cat_view_find(const char *const *parts, size_t nparts);
/* Convenience: a dotted name without quoting, e.g. "master.sys.endpoints". */
const cat_view *cat_view_find_name(const char *dotted);

/* "sys.certificates" etc. */
const char *cat_view_name(const cat_view *v);
/* The view's columns in SQL Server's order; *ncols receives the count. */
const mk_column *cat_view_columns(const cat_view *v, size_t *ncols);
/* Index of a column (case-insensitive), or -1. */
int cat_view_column_index(const cat_view *v, const char *column);

/* Enumerate all views (for tests and tooling). */
size_t cat_view_count(void);
const cat_view *cat_view_at(size_t i);

typedef enum cat_lit_kind {
    CAT_LIT_NULL = 0,
    CAT_LIT_INT,      /* i */
    CAT_LIT_STRING,   /* s: UTF-8, NUL-terminated */
    CAT_LIT_BINARY,   /* bytes, len (0x... literal) */
    CAT_LIT_DATETIME, /* i: ms since epoch; the executor converts date strings */
} cat_lit_kind;

typedef struct cat_literal {
    cat_lit_kind kind;
    int64_t i;
    const char *s;
    const uint8_t *bytes;
    size_t len;
} cat_literal;

typedef enum cat_op {
    CAT_OP_EQ = 0,  /* column = literal (never true for NULL: ANSI_NULLS ON) */
    CAT_OP_NE,      /* column <> literal (likewise) */
    CAT_OP_IS_NULL, /* column IS NULL (literal ignored) */
    CAT_OP_IS_NOT_NULL,
} cat_op;

typedef struct cat_filter {
    const char *column;
    cat_op op;
    cat_literal value;
} cat_filter;

/*
 * Who is asking (SQL Server metadata visibility). A sysadmin sees every
 * row. Anyone else sees only rows about their own principal: their login in
 * sys.server_principals, permissions granted to it, endpoints it owns; their
 * user in sys.database_principals / sys.sysusers and certificates and keys
 * it owns; nothing in the other views. user_id < 0: no user in master.
 */
typedef struct cat_session {
    bool is_sysadmin;
    int32_t login_id;
    int32_t user_id;
} cat_session;

#define CAT_QUERY_MAX_FILTERS 64
#define CAT_QUERY_MAX_COLUMNS 1024

/*
 * SELECT cols FROM view WHERE f1 AND f2 ... into a new rowset (*out, owned by
 * the caller). select_cols NULL (ncols 0) means *; names may repeat.
 * Comparison rules: text compares case-insensitively (ASCII) ignoring
 * trailing spaces; a string literal against an int/bit column converts to
 * int ('TRUE'/'FALSE' for bit); an int literal against a text column
 * converts each value to int; binary compares bytes exactly with binary
 * literals only; datetime compares with CAT_LIT_DATETIME only.
 * Errors (no rowset): MK_E_INVALID (NULL view, too many columns/filters),
 * MK_E_NOT_FOUND + CAT_R_UNKNOWN_COLUMN (object = the name as given; select
 * list first, then filters), MK_E_INVALID + CAT_R_TYPE_CLASH,
 * MK_E_INVALID + CAT_R_CONVERSION (object = the value), SQLite errors.
 */
MK_RESULT cat_query(cat_db *db, const cat_view *view, const cat_session *who,
                    const char *const *select_cols, size_t ncols, const cat_filter *filters,
                    size_t nfilters, mk_rowset **out);

#endif
