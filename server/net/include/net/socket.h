/*
 * TCP sockets: listeners on "ADDR:PORT" (port 0 picks a free port), accept
 * with a timeout, and plain mk_conn connections over a socket.
 */
#ifndef NET_SOCKET_H
#define NET_SOCKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mk/result.h"
#include "net/conn.h"

/*
 * Parse "127.0.0.1:1433", "[::1]:1433", "*:1433" or ":1433" (all addresses).
 * host gets the address text ("" for all), *port the port. MK_E_INVALID
 * otherwise.
 */
MK_RESULT net_parse_hostport(const char *text, char *host, size_t host_len, uint16_t *port);

/*
 * Listen on host:port (host "" or NULL = all IPv4 and IPv6 addresses).
 * SO_REUSEADDR, close-on-exec. *bound_port gets the actual port. Errors:
 * MK_E_IO with the system's reason; MK_E_EXISTS when the port is in use
 * (EADDRINUSE) so callers can map it to SQL Server's 7890.
 */
MK_RESULT net_listen(const char *host, uint16_t port, int *fd_out, uint16_t *bound_port);

/*
 * Accept one connection, waiting at most timeout_ms (-1 = forever).
 * *fd_out = -1 on timeout or when the client vanished before accept(2).
 * peer (may be NULL) gets "addr:port". Errors: MK_E_IO, including running
 * out of descriptors (EMFILE/ENFILE): the listener stays readable then, so
 * the caller should back off before trying again rather than spin.
 */
MK_RESULT net_accept(int lfd, int timeout_ms, int *fd_out, char *peer, size_t peer_len);

/* Connect to host:port with a timeout; TCP_NODELAY set. */
MK_RESULT net_connect(const char *host, uint16_t port, int timeout_ms, int *fd_out);

/* Receive and send timeout for blocking I/O on fd (0 = none). */
MK_RESULT net_set_timeout(int fd, int timeout_ms);
/* Separate receive and send timeouts (0 = none for either). */
MK_RESULT net_set_timeouts(int fd, int recv_ms, int send_ms);

/* A plain connection that owns fd. */
MK_RESULT net_plain_new(int fd, mk_conn **out);

#endif
