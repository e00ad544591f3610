/*
 * Helpers shared by every mk_conn implementation.
 */
#include "net/conn.h"

MK_RESULT net_read_full(mk_conn *c, uint8_t *buf, size_t len)
{
    size_t done = 0;
    while (done < len) {
        size_t got = 0;
        GUARD(c->ops->read(c, buf + done, len - done, &got));
        ENSURE_MSG(got > 0, MK_E_IO, "connection closed");
        done += got;
    }
    return MK_OK;
}

void net_conn_free(mk_conn *c)
{
    if (c != NULL) {
        c->ops->free(c);
    }
}
