/*
 * Fuzz the endpoint frame reader: read frames until the input ends or one
 * is refused; every accepted frame must re-encode to the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "endpoint/frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mk_cursor c;
    mk_cursor_init(&c, data, size);
    while (mk_cursor_remaining(&c) > 0) {
        const uint8_t *start = mk_cursor_ptr(&c);
        ep_frame f;
        if (mk_failed(ep_frame_parse(&c, &f))) {
            break;
        }
        if (f.h.length > ep_frame_max_payload(f.h.type)) {
            abort();
        }
        mk_buf out;
        mk_buf_init(&out, 0);
        if (mk_failed(ep_frame_encode(&out, f.h.type, f.h.stream_id, f.payload, f.h.length)) ||
            out.len != EP_FRAME_HEADER_LEN + f.h.length || memcmp(out.data, start, out.len) != 0) {
            abort();
        }
        mk_buf_cleanup(&out);
    }
    return 0;
}
