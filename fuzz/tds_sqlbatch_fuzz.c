/*
 * Fuzz the request parsers: SQL batch with ALL_HEADERS (MS-TDS 2.2.6.7,
 * 2.2.5.3) and the RPC request head (2.2.6.6) on the same input. A batch
 * that parses must encode and parse back to the same text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tds/rpc.h"
#include "tds/sqlbatch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tds_sqlbatch b;
    tds_rpc r;
    if (mk_ok(tds_rpc_parse(data, size, &r)) &&
        strnlen(r.proc_name, sizeof(r.proc_name)) == sizeof(r.proc_name)) {
        abort();
    }
    if (mk_failed(tds_sqlbatch_parse(data, size, 65536, &b))) {
        return 0;
    }
    if (b.text == NULL || strlen(b.text) != b.text_len) {
        abort();
    }
    mk_buf out;
    tds_sqlbatch c;
    mk_buf_init(&out, 0);
    if (mk_failed(tds_sqlbatch_encode(b.text, &out)) ||
        mk_failed(tds_sqlbatch_parse(out.data, out.len, 65536, &c)) ||
        strcmp(b.text, c.text) != 0) {
        abort();
    }
    tds_sqlbatch_cleanup(&c);
    tds_sqlbatch_cleanup(&b);
    mk_buf_cleanup(&out);
    return 0;
}
