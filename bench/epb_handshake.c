/*
 * The handshake loop of bench/endpoint: acceptor threads on one loopback
 * listener, connector threads that each open a new TCP connection, run a
 * full mutual TLS 1.3 handshake through server/net's endpoint profile and
 * wait for the acceptor's one HEARTBEAT frame before closing. The frame
 * proves the acceptor finished its side (it has verified the connector's
 * certificate and CertificateVerify), so a handshake is counted only when
 * both signatures were made and checked.
 *
 * With acceptor == NULL the acceptor threads are plain-TCP backends that
 * send the same frame in clear, and a TLS acceptor started by front()
 * (stunnel4) sits in between.
 */
#include "epb.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "endpoint/frame.h"
#include "net/socket.h"
#include "runner.h"

#define IO_TIMEOUT_MS 5000
#define ACCEPT_POLL_MS 100
#define ACK_LEN (EP_FRAME_HEADER_LEN + EP_FRAME_HEARTBEAT_LEN)

typedef struct hs_run {
    const epb_hs_case *c;
    OSSL_LIB_CTX *libctx;
    net_tls_ctx *acc_ctx; /* NULL: plain backends */
    net_tls_ctx *con_ctx;
    int lfd;
    uint16_t connect_port;
    pthread_barrier_t start; /* connectors and the timer */
    atomic_bool stop;        /* connectors */
    atomic_bool acc_stop;    /* acceptors, after the connectors have finished */
    atomic_long count;
    atomic_bool failed;
    uint8_t ack[ACK_LEN]; /* the acceptor's HEARTBEAT frame */
} hs_run;

static void report(hs_run *r, const char *who)
{
    fprintf(stderr, "endpoint bench: %s: %s\n", who, mk_error_message());
    atomic_store(&r->failed, true);
}

/* One accepted connection: (TLS) handshake, the ACK frame, close. */
static MK_RESULT serve_one(hs_run *r, int fd)
{
    mk_conn *conn = NULL;
    if (r->acc_ctx != NULL) {
        GUARD(net_tls_accept(r->acc_ctx, fd, IO_TIMEOUT_MS, &conn));
    } else if (mk_failed(net_set_timeout(fd, IO_TIMEOUT_MS)) ||
               mk_failed(net_plain_new(fd, &conn))) {
        close(fd);
        return MK_ERR;
    }
    mk_result res = net_write(conn, r->ack, sizeof(r->ack));
    net_conn_free(conn);
    return res;
}

static void *acceptor(void *arg)
{
    hs_run *r = arg;
    while (!atomic_load(&r->acc_stop)) {
        int fd = -1;
        if (mk_failed(net_accept(r->lfd, ACCEPT_POLL_MS, &fd, NULL, 0))) {
            report(r, "accept");
            break;
        }
        if (fd >= 0 && mk_failed(serve_one(r, fd))) {
            report(r, r->acc_ctx != NULL ? "acceptor" : "backend");
        }
    }
    return NULL;
}

/* One handshake from the connector's side: connect, handshake, read the ACK, close. */
static MK_RESULT connect_one(hs_run *r)
{
    int fd = -1;
    mk_conn *conn = NULL;
    uint8_t got[ACK_LEN];
    ep_frame_header h;
    GUARD(net_connect("127.0.0.1", r->connect_port, IO_TIMEOUT_MS, &fd));
    GUARD(net_tls_connect(r->con_ctx, fd, IO_TIMEOUT_MS, &conn));
    mk_result res = net_read_full(conn, got, sizeof(got));
    net_conn_free(conn);
    GUARD(res);
    GUARD(ep_frame_header_parse(got, EP_FRAME_HEADER_LEN, &h));
    ENSURE_MSG(h.type == EP_FRAME_HEARTBEAT, MK_E_INVALID, "expected a HEARTBEAT frame");
    return MK_OK;
}

static void *connector(void *arg)
{
    hs_run *r = arg;
    /* One handshake before the clock starts: first-use costs are not the steady state. */
    if (mk_failed(connect_one(r))) {
        report(r, "connector (first handshake)");
    }
    pthread_barrier_wait(&r->start);
    while (!atomic_load(&r->failed) && !atomic_load(&r->stop)) {
        if (mk_failed(connect_one(r))) {
            report(r, "connector");
            break;
        }
        atomic_fetch_add(&r->count, 1);
    }
    return NULL;
}

/* Contexts, listener, ACK frame and (if any) the front acceptor. */
static MK_RESULT prepare(hs_run *r)
{
    const epb_hs_case *c = r->c;
    uint16_t port = 0;
    mk_buf ack;
    mk_buf_init(&ack, ACK_LEN);
    uint8_t seq[EP_FRAME_HEARTBEAT_LEN] = {0, 0, 0, 0, 0, 0, 0, 1};
    mk_result res = ep_frame_encode(&ack, EP_FRAME_HEARTBEAT, 0, seq, sizeof(seq));
    if (mk_ok(res) && ack.len == ACK_LEN) {
        memcpy(r->ack, ack.data, ACK_LEN);
    }
    mk_buf_cleanup(&ack);
    GUARD(res);
    GUARD(epb_libctx_new(&r->libctx));
    GUARD(epb_tls_ctx_new(r->libctx, c->connector, false, &r->con_ctx));
    if (c->acceptor != NULL) {
        GUARD(epb_tls_ctx_new(r->libctx, c->acceptor, true, &r->acc_ctx));
    }
    GUARD(net_listen("127.0.0.1", 0, &r->lfd, &port));
    /*
     * Several acceptor threads poll one listener; the one that loses the
     * race for a connection must get EAGAIN (net_accept: no connection),
     * not block in accept(2) past the end of the run.
     */
    ENSURE_MSG(fcntl(r->lfd, F_SETFL, fcntl(r->lfd, F_GETFL) | O_NONBLOCK) == 0, MK_E_IO,
               "cannot make the listener non-blocking");
    r->connect_port = port;
    if (c->acceptor == NULL) {
        GUARD(c->front(c->front_arg, port, &r->connect_port));
    }
    return MK_OK;
}

/* Start the threads, time the connectors, stop everything. */
static void run_threads(hs_run *r, double *rate)
{
    int n = r->c->pairs;
    pthread_t acc[EPB_MAX_PAIRS];
    pthread_t con[EPB_MAX_PAIRS];
    pthread_barrier_init(&r->start, NULL, (unsigned)n + 1);
    for (int i = 0; i < n; i++) {
        pthread_create(&acc[i], NULL, acceptor, r);
        pthread_create(&con[i], NULL, connector, r);
    }
    pthread_barrier_wait(&r->start);
    long before = atomic_load(&r->count);
    double t0 = bench_now();
    bench_sleep(r->c->seconds);
    atomic_store(&r->stop, true);
    for (int i = 0; i < n; i++) {
        pthread_join(con[i], NULL);
    }
    double elapsed = bench_now() - t0;
    atomic_store(&r->acc_stop, true);
    for (int i = 0; i < n; i++) {
        pthread_join(acc[i], NULL);
    }
    pthread_barrier_destroy(&r->start);
    *rate = (double)(atomic_load(&r->count) - before) / elapsed;
}

MK_RESULT epb_handshakes(const epb_hs_case *c, double *rate)
{
    mk_result res = MK_ERR;
    ENSURE(c->pairs >= 1 && c->pairs <= EPB_MAX_PAIRS, MK_E_INVALID);
    ENSURE(c->acceptor != NULL || c->front != NULL, MK_E_INVALID);
    hs_run r = {.c = c, .lfd = -1};
    GUARD_OUT(prepare(&r));
    run_threads(&r, rate);
    ENSURE_OUT(!atomic_load(&r.failed), MK_E_IO, "a handshake failed (see above)");
    res = MK_OK;
out:
    if (r.lfd >= 0) {
        close(r.lfd);
    }
    net_tls_ctx_free(r.acc_ctx);
    net_tls_ctx_free(r.con_ctx);
    net_tls_libctx_free(r.libctx);
    return res;
}
