/*
 * Payload throughput over one established endpoint connection: the
 * connector encodes PAYLOAD frames (ep_frame_encode, 10-byte header plus
 * payload) and writes them through the endpoint TLS profile for the given
 * time; the acceptor reads each header, checks it with the frame parser,
 * reads the payload and counts it. A CONTROL frame ends the stream and the
 * acceptor answers with a HEARTBEAT carrying the payload byte count it read,
 * so the clock stops only when the last byte has arrived and been decrypted,
 * and the count is checked against what was sent. The
 * suite must be TLS_AES_256_GCM_SHA384, so that the figure compares with
 * `openssl speed -evp aes-256-gcm`.
 */
#include "epb.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "endpoint/frame.h"
#include "net/socket.h"
#include "runner.h"

#define IO_TIMEOUT_MS 5000
#define SUITE "TLS_AES_256_GCM_SHA384"
#define STREAM_ID 1

typedef struct pl_run {
    net_tls_ctx *acc_ctx;
    net_tls_ctx *con_ctx;
    int lfd;
    uint64_t received; /* payload bytes the acceptor read */
    bool failed;
} pl_run;

static MK_RESULT send_frame(mk_conn *c, mk_buf *scratch, uint8_t type, const uint8_t *p, size_t n)
{
    mk_buf_reset(scratch);
    GUARD(ep_frame_encode(scratch, type, STREAM_ID, p, n));
    return net_write(c, scratch->data, scratch->len);
}

/* The acceptor's side: read frames until CONTROL, then answer HEARTBEAT. */
static MK_RESULT receive_all(pl_run *r, mk_conn *c)
{
    mk_result res = MK_ERR;
    uint8_t hdr[EP_FRAME_HEADER_LEN];
    uint8_t seq[EP_FRAME_HEARTBEAT_LEN] = {0};
    ep_frame_header h;
    mk_buf scratch;
    uint8_t *payload = malloc(EP_FRAME_PAYLOAD_MAX);
    mk_buf_init(&scratch, 1024);
    ENSURE_OUT(payload != NULL, MK_E_NOMEM, "payload buffer");
    for (;;) {
        GUARD_OUT(net_read_full(c, hdr, sizeof(hdr)));
        GUARD_OUT(ep_frame_header_parse(hdr, sizeof(hdr), &h));
        GUARD_OUT(net_read_full(c, payload, h.length));
        if (h.type != EP_FRAME_PAYLOAD) {
            break;
        }
        r->received += h.length;
    }
    ENSURE_OUT(h.type == EP_FRAME_CONTROL, MK_E_INVALID, "unexpected %s frame",
               ep_frame_type_name(h.type));
    for (size_t i = 0; i < sizeof(seq); i++) {
        seq[i] = (uint8_t)(r->received >> (8 * (sizeof(seq) - 1 - i)));
    }
    mk_buf_reset(&scratch);
    GUARD_OUT(ep_frame_encode(&scratch, EP_FRAME_HEARTBEAT, 0, seq, sizeof(seq)));
    GUARD_OUT(net_write(c, scratch.data, scratch.len));
    res = MK_OK;
out:
    free(payload);
    mk_buf_cleanup(&scratch);
    return res;
}

static void *acceptor(void *arg)
{
    pl_run *r = arg;
    int fd = -1;
    mk_conn *c = NULL;
    r->failed = mk_failed(net_accept(r->lfd, IO_TIMEOUT_MS, &fd, NULL, 0)) || fd < 0 ||
                mk_failed(net_tls_accept(r->acc_ctx, fd, IO_TIMEOUT_MS, &c)) ||
                mk_failed(receive_all(r, c));
    if (r->failed) {
        fprintf(stderr, "endpoint bench: payload acceptor: %s\n", mk_error_message());
    }
    net_conn_free(c);
    return NULL;
}

/* The acceptor's answer: a HEARTBEAT whose u64be is the payload byte count it read. */
static MK_RESULT check_ack(const uint8_t *ack, size_t len, uint64_t sent)
{
    ep_frame_header h;
    mk_cursor cur;
    uint64_t received = 0;
    GUARD(ep_frame_header_parse(ack, EP_FRAME_HEADER_LEN, &h));
    ENSURE_MSG(h.type == EP_FRAME_HEARTBEAT, MK_E_INVALID, "expected a HEARTBEAT frame");
    mk_cursor_init(&cur, ack + EP_FRAME_HEADER_LEN, len - EP_FRAME_HEADER_LEN);
    GUARD(mk_cursor_read_u64be(&cur, &received));
    ENSURE_MSG(received == sent, MK_E_INVALID, "the acceptor read %llu payload bytes of %llu",
               (unsigned long long)received, (unsigned long long)sent);
    return MK_OK;
}

/* The connector's side: frames for `seconds`, the end marker, the answer. */
static MK_RESULT send_all(mk_conn *c, size_t frame_len, double seconds, uint64_t *sent,
                          double *elapsed)
{
    mk_result res = MK_ERR;
    uint8_t ack[EP_FRAME_HEADER_LEN + EP_FRAME_HEARTBEAT_LEN];
    uint8_t *payload = malloc(frame_len);
    mk_buf scratch;
    mk_buf_init(&scratch, EP_FRAME_HEADER_LEN + EP_FRAME_PAYLOAD_MAX);
    ENSURE_OUT(payload != NULL, MK_E_NOMEM, "payload buffer");
    memset(payload, 0x5a, frame_len);
    double t0 = bench_now();
    while (bench_now() - t0 < seconds) {
        GUARD_OUT(send_frame(c, &scratch, EP_FRAME_PAYLOAD, payload, frame_len));
        *sent += frame_len;
    }
    GUARD_OUT(send_frame(c, &scratch, EP_FRAME_CONTROL, NULL, 0));
    GUARD_OUT(net_read_full(c, ack, sizeof(ack)));
    *elapsed = bench_now() - t0;
    GUARD_OUT(check_ack(ack, sizeof(ack), *sent));
    res = MK_OK;
out:
    free(payload);
    mk_buf_cleanup(&scratch);
    return res;
}

static MK_RESULT connect_and_send(pl_run *r, uint16_t port, size_t frame_len, double seconds,
                                  double *bytes_per_s)
{
    mk_result res = MK_ERR;
    int fd = -1;
    mk_conn *c = NULL;
    uint64_t sent = 0;
    double elapsed = 0;
    GUARD(net_connect("127.0.0.1", port, IO_TIMEOUT_MS, &fd));
    GUARD(net_tls_connect(r->con_ctx, fd, IO_TIMEOUT_MS, &c));
    ENSURE_OUT(strcmp(net_tls_cipher(c), SUITE) == 0, MK_E_INVALID, "negotiated %s, not " SUITE,
               net_tls_cipher(c));
    GUARD_OUT(send_all(c, frame_len, seconds, &sent, &elapsed));
    *bytes_per_s = (double)sent / elapsed;
    res = MK_OK;
out:
    net_conn_free(c);
    return res;
}

MK_RESULT epb_payload(const epb_identity *acc, const epb_identity *con, size_t frame_len,
                      double seconds, double *bytes_per_s)
{
    mk_result res = MK_ERR;
    OSSL_LIB_CTX *libctx = NULL;
    pl_run r = {.lfd = -1};
    pthread_t th;
    bool started = false;
    uint16_t port = 0;
    ENSURE(frame_len >= 1 && frame_len <= EP_FRAME_PAYLOAD_MAX, MK_E_INVALID);
    GUARD_OUT(epb_libctx_new(&libctx));
    GUARD_OUT(epb_tls_ctx_new(libctx, acc, true, &r.acc_ctx));
    GUARD_OUT(epb_tls_ctx_new(libctx, con, false, &r.con_ctx));
    GUARD_OUT(net_listen("127.0.0.1", 0, &r.lfd, &port));
    started = pthread_create(&th, NULL, acceptor, &r) == 0;
    ENSURE_OUT(started, MK_E_INTERNAL, "pthread_create");
    res = connect_and_send(&r, port, frame_len, seconds, bytes_per_s);
out:
    if (started) {
        pthread_join(th, NULL);
        res = r.failed ? MK_ERR : res;
    }
    if (r.lfd >= 0) {
        close(r.lfd);
    }
    net_tls_ctx_free(r.acc_ctx);
    net_tls_ctx_free(r.con_ctx);
    net_tls_libctx_free(libctx);
    return res;
}
