/*
 * Connections behind a small function table (after redis's ConnectionType):
 * the TDS server and the mirroring endpoint read and write through mk_conn
 * and never call OpenSSL themselves. Implementations: a plain socket
 * (net/socket.h) and TLS over a socket (net/tls.h).
 */
#ifndef NET_CONN_H
#define NET_CONN_H

#include <stddef.h>
#include <stdint.h>

#include "mk/result.h"

typedef struct mk_conn mk_conn;

typedef struct mk_conn_ops {
    const char *name;
    /* Read 1..len bytes; *got = 0 means orderly EOF. */
    mk_result (*read)(mk_conn *c, uint8_t *buf, size_t len, size_t *got);
    /* Write all len bytes. */
    mk_result (*write)(mk_conn *c, const uint8_t *buf, size_t len);
    /* Release the connection (closes the socket). */
    void (*free)(mk_conn *c);
} mk_conn_ops;

struct mk_conn {
    const mk_conn_ops *ops;
    int fd;
};

/* Read exactly len bytes; EOF before that is MK_E_IO "connection closed". */
MK_RESULT net_read_full(mk_conn *c, uint8_t *buf, size_t len);
static inline MK_RESULT net_write(mk_conn *c, const uint8_t *buf, size_t len)
{
    return c->ops->write(c, buf, len);
}
/* Accepts NULL. */
void net_conn_free(mk_conn *c);

#endif
