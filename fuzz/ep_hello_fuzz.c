/*
 * Fuzz the HELLO, ACCEPT and REJECT readers (the first byte picks which).
 * Whatever parses must encode back to exactly the input bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "endpoint/hello.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same_bytes(const mk_buf *b, const uint8_t *data, size_t size)
{
    if (b->len != size || (size != 0 && memcmp(b->data, data, size) != 0)) {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) {
        return 0;
    }
    uint8_t which = data[0] % 3;
    data++;
    size--;
    mk_buf out;
    mk_buf_init(&out, 0);
    mk_result r = MK_OK;
    int parsed = 0;
    if (which == 0) {
        ep_hello h;
        if (mk_ok(ep_hello_parse(data, size, &h))) {
            parsed = 1;
            r = ep_hello_encode(&h, &out);
            uint16_t v = 0;
            if (mk_ok(ep_hello_pick_version(&h, &v)) && v != EP_PROTO_VERSION) {
                abort();
            }
        }
    } else if (which == 1) {
        ep_accept a;
        if (mk_ok(ep_accept_parse(data, size, &a))) {
            parsed = 1;
            r = ep_accept_encode(&a, &out);
        }
    } else {
        ep_reject j;
        if (mk_ok(ep_reject_parse(data, size, &j))) {
            parsed = 1;
            r = ep_reject_encode(&j, &out);
            (void)ep_reject_reason_name(j.reason);
        }
    }
    if (parsed) {
        /* A writer must accept what its reader accepted, and give the same bytes. */
        if (mk_failed(r)) {
            abort();
        }
        same_bytes(&out, data, size);
    }
    mk_buf_cleanup(&out);
    return 0;
}
