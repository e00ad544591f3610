/*
 * Fuzz the PRELOGIN parser (MS-TDS 2.2.6.5). Whatever parses must encode and
 * parse back to the same options, and the encryption decision must be total.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tds/prelogin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int same(const tds_prelogin *a, const tds_prelogin *b)
{
    return a->present == b->present && a->version == b->version && a->subbuild == b->subbuild &&
           a->encryption == b->encryption && strcmp(a->instance, b->instance) == 0 &&
           a->has_thread_id == b->has_thread_id && a->thread_id == b->thread_id &&
           a->mars == b->mars && memcmp(a->trace_id, b->trace_id, sizeof(a->trace_id)) == 0 &&
           a->fedauth_required == b->fedauth_required &&
           memcmp(a->nonce, b->nonce, sizeof(a->nonce)) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tds_prelogin p;
    if (mk_failed(tds_prelogin_parse(data, size, &p))) {
        return 0;
    }
    for (int policy = 0; policy < 3; policy++) {
        tds_encrypt_decision d = tds_prelogin_decide(p.encryption, (tds_encrypt_policy)policy);
        if (d.mode > TDS_ENC_FULL) {
            abort();
        }
    }
    /* Only the known options (0..7) are re-encoded; unknown ones were skipped. */
    p.present &= 0xFF;
    mk_buf out;
    tds_prelogin q;
    mk_buf_init(&out, 0);
    if (mk_failed(tds_prelogin_encode(&p, &out)) ||
        mk_failed(tds_prelogin_parse(out.data, out.len, &q)) || !same(&p, &q)) {
        abort();
    }
    mk_buf_cleanup(&out);
    return 0;
}
