/*
 * TCP sockets for listeners and connectors, and the plain mk_conn.
 */
#define _GNU_SOURCE /* accept4 */
#include "net/socket.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

MK_RESULT net_parse_hostport(const char *text, char *host, size_t host_len, uint16_t *port)
{
    ENSURE_MSG(text != NULL, MK_E_INVALID, "empty address");
    const char *colon = strrchr(text, ':');
    ENSURE_MSG(colon != NULL, MK_E_INVALID, "address must be HOST:PORT");
    const char *h = text;
    size_t hlen = (size_t)(colon - text);
    if (hlen >= 2 && h[0] == '[' && h[hlen - 1] == ']') {
        h++;
        hlen -= 2;
    }
    if (hlen == 1 && h[0] == '*') {
        hlen = 0;
    }
    ENSURE_MSG(hlen < host_len, MK_E_INVALID, "host name too long");
    char *end = NULL;
    errno = 0;
    unsigned long p = strtoul(colon + 1, &end, 10);
    ENSURE_MSG(colon[1] != '\0' && *end == '\0' && errno == 0 && p <= 65535, MK_E_INVALID,
               "bad port in address");
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    *port = (uint16_t)p;
    return MK_OK;
}

/* Resolve host:port (numeric or name) for bind (passive) or connect. */
static MK_RESULT resolve(const char *host, uint16_t port, bool passive, struct addrinfo **out)
{
    struct addrinfo hints;
    char service[8];
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = passive ? AI_PASSIVE : 0;
    snprintf(service, sizeof(service), "%u", port);
    int rc = getaddrinfo(host != NULL && host[0] != '\0' ? host : NULL, service, &hints, out);
    ENSURE_MSG(rc == 0, MK_E_INVALID, "cannot resolve '%s': %s", host != NULL ? host : "*",
               gai_strerror(rc));
    return MK_OK;
}

MK_RESULT net_listen(const char *host, uint16_t port, int *fd_out, uint16_t *bound_port)
{
    struct addrinfo *ai = NULL;
    bool all = host == NULL || host[0] == '\0';
    GUARD(resolve(all ? "::" : host, port, true, &ai));
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        freeaddrinfo(ai);
        BAIL_MSG(MK_E_IO, "socket: %s", strerror(errno));
    }
    int one = 1;
    int zero = 0;
    (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (ai->ai_family == AF_INET6) {
        /* "All addresses" means IPv4 too. */
        (void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, all ? &zero : &one, sizeof(int));
    }
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 128) != 0) {
        int err = errno;
        freeaddrinfo(ai);
        close(fd);
        if (err == EADDRINUSE) {
            BAIL_MSG(MK_E_EXISTS, "port %u is already in use", port);
        }
        BAIL_MSG(MK_E_IO, "cannot listen on %s:%u: %s", all ? "*" : host, port, strerror(err));
    }
    freeaddrinfo(ai);
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0) {
        close(fd);
        BAIL_MSG(MK_E_IO, "getsockname: %s", strerror(errno));
    }
    *bound_port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                 : ((struct sockaddr_in *)&ss)->sin_port);
    *fd_out = fd;
    return MK_OK;
}

static void format_peer(const struct sockaddr_storage *ss, char *peer, size_t peer_len)
{
    char addr[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
        inet_ntop(AF_INET, &in->sin_addr, addr, sizeof(addr));
        port = ntohs(in->sin_port);
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
        inet_ntop(AF_INET6, &in6->sin6_addr, addr, sizeof(addr));
        port = ntohs(in6->sin6_port);
    }
    snprintf(peer, peer_len, "%s:%u", addr, port);
}

MK_RESULT net_accept(int lfd, int timeout_ms, int *fd_out, char *peer, size_t peer_len)
{
    struct pollfd pfd = {.fd = lfd, .events = POLLIN};
    *fd_out = -1;
    int rc = poll(&pfd, 1, timeout_ms);
    if (rc == 0 || (rc < 0 && errno == EINTR)) {
        return MK_OK;
    }
    ENSURE_MSG(rc > 0, MK_E_IO, "poll: %s", strerror(errno));
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    int fd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_CLOEXEC);
    if (fd < 0) {
        /* Transient: the client went away before we took it. */
        ENSURE_MSG(errno == ECONNABORTED || errno == EINTR || errno == EAGAIN, MK_E_IO,
                   "accept: %s", strerror(errno));
        return MK_OK;
    }
    int one = 1;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (peer != NULL) {
        format_peer(&ss, peer, peer_len);
    }
    *fd_out = fd;
    return MK_OK;
}

/* Non-blocking connect with a deadline, then back to blocking mode. */
static MK_RESULT connect_one(const struct addrinfo *ai, int timeout_ms, int *fd_out)
{
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    ENSURE_MSG(fd >= 0, MK_E_IO, "socket: %s", strerror(errno));
    int rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
        struct pollfd pfd = {.fd = fd, .events = POLLOUT};
        int err = 0;
        socklen_t el = sizeof(err);
        rc = poll(&pfd, 1, timeout_ms) == 1 &&
                     getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) == 0 && err == 0
                 ? 0
                 : -1;
        errno = err != 0 ? err : ETIMEDOUT;
    }
    if (rc != 0) {
        int err = errno;
        close(fd);
        BAIL_MSG(MK_E_IO, "connect: %s", strerror(err));
    }
    (void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    int one = 1;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    *fd_out = fd;
    return MK_OK;
}

MK_RESULT net_connect(const char *host, uint16_t port, int timeout_ms, int *fd_out)
{
    struct addrinfo *ai = NULL;
    GUARD(resolve(host, port, false, &ai));
    mk_result r = MK_ERR;
    for (struct addrinfo *p = ai; p != NULL; p = p->ai_next) {
        r = connect_one(p, timeout_ms, fd_out);
        if (mk_ok(r)) {
            break;
        }
    }
    freeaddrinfo(ai);
    if (mk_failed(r)) {
        mk_error_context("connecting to %s:%u", host, port);
    }
    return r;
}

static struct timeval ms_to_timeval(int ms)
{
    struct timeval tv = {.tv_sec = 0, .tv_usec = 0};
    if (ms > 0) {
        tv.tv_sec = ms / 1000;
        tv.tv_usec = (ms % 1000) * 1000;
    }
    return tv;
}

MK_RESULT net_set_timeouts(int fd, int recv_ms, int send_ms)
{
    struct timeval rtv = ms_to_timeval(recv_ms);
    struct timeval stv = ms_to_timeval(send_ms);
    ENSURE_MSG(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &rtv, sizeof(rtv)) == 0 &&
                   setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &stv, sizeof(stv)) == 0,
               MK_E_IO, "setsockopt: %s", strerror(errno));
    return MK_OK;
}

MK_RESULT net_set_timeout(int fd, int timeout_ms)
{
    return net_set_timeouts(fd, timeout_ms, timeout_ms);
}

static mk_result plain_read(mk_conn *c, uint8_t *buf, size_t len, size_t *got)
{
    for (;;) {
        ssize_t n = recv(c->fd, buf, len, 0);
        if (n >= 0) {
            *got = (size_t)n;
            return MK_OK;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            BAIL_MSG(MK_E_IO, "timed out waiting for the peer"); /* SO_RCVTIMEO */
        }
        if (errno != EINTR) {
            BAIL_MSG(MK_E_IO, "recv: %s", strerror(errno));
        }
    }
}

static mk_result plain_write(mk_conn *c, const uint8_t *buf, size_t len)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = send(c->fd, buf + done, len - done, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        ENSURE_MSG(n >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK), MK_E_IO,
                   "timed out sending to the peer"); /* SO_SNDTIMEO */
        ENSURE_MSG(n > 0, MK_E_IO, "send: %s", strerror(errno));
        done += (size_t)n;
    }
    return MK_OK;
}

static void plain_free(mk_conn *c)
{
    if (c->fd >= 0) {
        close(c->fd);
    }
    free(c);
}

static const mk_conn_ops plain_ops = {"plain", plain_read, plain_write, plain_free};

MK_RESULT net_plain_new(int fd, mk_conn **out)
{
    mk_conn *c = calloc(1, sizeof(*c));
    ENSURE(c != NULL, MK_E_NOMEM);
    c->ops = &plain_ops;
    c->fd = fd;
    *out = c;
    return MK_OK;
}
