/*
 * RPC request (MS-TDS 2.2.6.6), recognised but not executed: mirrorkeyd's
 * admin surface is plain T-SQL batches. The parser reads ALL_HEADERS, the
 * procedure (by name or by well-known id) and the option flags, so the server
 * can answer a precise "not supported" error; parameters are not parsed.
 */
#ifndef TDS_RPC_H
#define TDS_RPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mk/buf.h"
#include "mk/result.h"
#include "tds/sqlbatch.h"

/* Well-known procedure ids (ProcID, 2.2.6.6). */
enum {
    TDS_SP_CURSOR = 1,
    TDS_SP_CURSOROPEN = 2,
    TDS_SP_CURSORPREPARE = 3,
    TDS_SP_CURSOREXECUTE = 4,
    TDS_SP_CURSORPREPEXEC = 5,
    TDS_SP_CURSORUNPREPARE = 6,
    TDS_SP_CURSORFETCH = 7,
    TDS_SP_CURSOROPTION = 8,
    TDS_SP_CURSORCLOSE = 9,
    TDS_SP_EXECUTESQL = 10,
    TDS_SP_PREPARE = 11,
    TDS_SP_EXECUTE = 12,
    TDS_SP_PREPEXEC = 13,
    TDS_SP_PREPEXECRPC = 14,
    TDS_SP_UNPREPARE = 15,
};

#define TDS_RPC_NAME_MAX_UNITS 128
#define TDS_RPC_NAME_BYTES (3 * TDS_RPC_NAME_MAX_UNITS + 1)

typedef struct tds_rpc {
    tds_all_headers headers;
    bool by_id;                         /* NameLenProcID was 0xFFFF */
    uint16_t proc_id;                   /* when by_id */
    char proc_name[TDS_RPC_NAME_BYTES]; /* UTF-8; for by_id the well-known name */
    uint16_t option_flags;
} tds_rpc;

/*
 * Parse the head of an RPC request (first request of the batch only).
 * MK_E_BOUNDS on truncation, MK_E_TOOBIG for a name over 128 characters,
 * MK_E_INVALID for malformed text or headers.
 */
MK_RESULT tds_rpc_parse(const uint8_t *msg, size_t len, tds_rpc *out);

/* Append an RPC head (ALL_HEADERS, name or id, flags; no parameters). Tests. */
MK_RESULT tds_rpc_encode(const tds_rpc *rpc, mk_buf *out);

/* "sp_executesql" etc. for ids 1..15, "" otherwise. */
const char *tds_rpc_proc_id_name(uint16_t id);

#endif
