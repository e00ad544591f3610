/*
 * RPC request head (MS-TDS 2.2.6.6): ALL_HEADERS, then NameLenProcID — a
 * US_VARCHAR procedure name, or 0xFFFF followed by a well-known ProcID —
 * then OptionFlags. Parameters follow but are not read: the server answers
 * RPC requests with an error.
 */
#include "tds/rpc.h"

#include <string.h>

#include "internal.h"
#include "tds/ucs2.h"

#define PROC_ID_MARK 0xFFFF

static const char *const proc_names[] = {
    "",
    "sp_cursor",
    "sp_cursoropen",
    "sp_cursorprepare",
    "sp_cursorexecute",
    "sp_cursorprepexec",
    "sp_cursorunprepare",
    "sp_cursorfetch",
    "sp_cursoroption",
    "sp_cursorclose",
    "sp_executesql",
    "sp_prepare",
    "sp_execute",
    "sp_prepexec",
    "sp_prepexecrpc",
    "sp_unprepare",
};

const char *tds_rpc_proc_id_name(uint16_t id)
{
    return id < sizeof(proc_names) / sizeof(proc_names[0]) ? proc_names[id] : "";
}

static MK_RESULT read_name(mk_cursor *c, uint16_t units, tds_rpc *r)
{
    ENSURE_MSG(units <= TDS_RPC_NAME_MAX_UNITS, MK_E_TOOBIG,
               "RPC procedure name of %u characters over %d", units, TDS_RPC_NAME_MAX_UNITS);
    mk_cursor name;
    size_t n;
    GUARD(mk_cursor_read_bytes(c, (size_t)units * 2, &name));
    GUARD(tds_utf16le_to_utf8_fixed(&name, (uint8_t *)r->proc_name, sizeof(r->proc_name) - 1, &n));
    r->proc_name[n] = '\0';
    return tds_check_no_nul(r->proc_name, n, "RPC procedure name");
}

MK_RESULT tds_rpc_parse(const uint8_t *msg, size_t len, tds_rpc *out)
{
    tds_rpc r;
    memset(&r, 0, sizeof(r));
    mk_cursor c;
    mk_cursor_init(&c, msg, len);
    uint16_t name_len;
    GUARD(tds_all_headers_parse(&c, &r.headers));
    GUARD(mk_cursor_read_u16le(&c, &name_len));
    if (name_len == PROC_ID_MARK) {
        r.by_id = true;
        GUARD(mk_cursor_read_u16le(&c, &r.proc_id));
        const char *known = tds_rpc_proc_id_name(r.proc_id);
        memcpy(r.proc_name, known, strlen(known) + 1);
    } else {
        GUARD(read_name(&c, name_len, &r));
    }
    GUARD(mk_cursor_read_u16le(&c, &r.option_flags));
    *out = r;
    return MK_OK;
}

MK_RESULT tds_rpc_encode(const tds_rpc *rpc, mk_buf *out)
{
    const size_t start = out->len;
    mk_result res = MK_ERR;
    GUARD_OUT(tds_all_headers_encode(rpc->headers.txn_descriptor, 1, out));
    if (rpc->by_id) {
        GUARD_OUT(mk_buf_put_u16le(out, PROC_ID_MARK));
        GUARD_OUT(mk_buf_put_u16le(out, rpc->proc_id));
    } else {
        GUARD_OUT(tds_put_usvarchar(out, rpc->proc_name, TDS_RPC_NAME_MAX_UNITS));
    }
    GUARD_OUT(mk_buf_put_u16le(out, rpc->option_flags));
    res = MK_OK;
out:
    if (mk_failed(res)) {
        out->len = start;
    }
    return res;
}
