/*
 * Fuzz the session control reader (endpoint/control.h). Whatever parses
 * must encode back to exactly the input bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "endpoint/control.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ep_control m;
    if (mk_failed(ep_control_parse(data, size, &m))) {
        return 0;
    }
    (void)ep_control_op_name(m.op);
    mk_buf out;
    mk_buf_init(&out, 0);
    /* A writer must accept what its reader accepted, and give the same bytes. */
    if (mk_failed(ep_control_encode(&m, &out)) || out.len != size ||
        (size != 0 && memcmp(out.data, data, size) != 0)) {
        abort();
    }
    mk_buf_cleanup(&out);
    return 0;
}
