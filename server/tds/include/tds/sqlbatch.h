/*
 * Request messages: SQL batch (MS-TDS 2.2.6.7) and the ALL_HEADERS block
 * (2.2.5.3) that starts SQL batches and RPC requests from TDS 7.2 on.
 *
 * A SQL batch is ALL_HEADERS followed by the statement text in UTF-16LE up
 * to the end of the message; the parser returns it as NUL-terminated UTF-8.
 * mirrorkeyd negotiates TDS 7.4 only, so ALL_HEADERS is always expected.
 */
#ifndef TDS_SQLBATCH_H
#define TDS_SQLBATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mk/buf.h"
#include "mk/cursor.h"
#include "mk/result.h"

/* ALL_HEADERS header types (2.2.5.3). */
enum {
    TDS_HDR_QUERY_NOTIFICATIONS = 0x0001,
    TDS_HDR_TRANSACTION_DESCRIPTOR = 0x0002,
    TDS_HDR_TRACE_ACTIVITY = 0x0003,
};

typedef struct tds_all_headers {
    bool has_txn;            /* transaction descriptor header seen */
    uint64_t txn_descriptor; /* 0 outside a transaction */
    uint32_t outstanding;    /* outstanding request count (1 for plain clients) */
    bool has_notifications;
    bool has_trace;
} tds_all_headers;

/*
 * Read ALL_HEADERS at c's position and advance past it. TotalLength must be
 * >= 4 and inside c; each header's length >= 6 and inside TotalLength, the
 * headers must fill TotalLength exactly; transaction descriptor and trace
 * activity headers must have their fixed sizes (18, 26). Unknown header
 * types are skipped. MK_E_INVALID / MK_E_BOUNDS otherwise.
 */
MK_RESULT tds_all_headers_parse(mk_cursor *c, tds_all_headers *out);

/* Append ALL_HEADERS holding one transaction descriptor header (22 bytes). */
MK_RESULT tds_all_headers_encode(uint64_t txn_descriptor, uint32_t outstanding, mk_buf *out);

#define TDS_SQLBATCH_TEXT_MAX_DEFAULT ((size_t)1024 * 1024)

typedef struct tds_sqlbatch {
    tds_all_headers headers;
    char *text;      /* UTF-8, NUL-terminated, owned; never NULL after parse */
    size_t text_len; /* bytes, without the NUL */
} tds_sqlbatch;

/*
 * Parse a SQL batch message. The text must be valid UTF-16LE (even length,
 * no unpaired surrogate, no U+0000) and convert to at most max_text UTF-8
 * bytes (MK_E_TOOBIG). On success *out owns text: tds_sqlbatch_cleanup.
 * On failure *out is zeroed.
 */
MK_RESULT tds_sqlbatch_parse(const uint8_t *msg, size_t len, size_t max_text, tds_sqlbatch *out);
void tds_sqlbatch_cleanup(tds_sqlbatch *b);

/* Append a SQL batch (ALL_HEADERS with descriptor 0, count 1, then sql). */
MK_RESULT tds_sqlbatch_encode(const char *sql, mk_buf *out);

#endif
