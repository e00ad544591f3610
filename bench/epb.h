/*
 * bench/endpoint ("epb"): what a mirroring endpoint login and its data
 * stream cost. Mutual TLS 1.3 handshakes per second over loopback through
 * server/net's NET_TLS_ENDPOINT profile (token keys on both sides, software
 * keys on both sides, stunnel4 with the libp11 engine as the acceptor), the
 * token's raw signing rate for the same key (bench/backend_raw.c), and
 * payload throughput in endpoint frames over one connection next to
 * `openssl speed -evp aes-256-gcm`.
 *
 * Files: endpoint.c (options, cases), epb_table.c (the printed tables),
 * epb_identity.c (where each
 * side's certificate and key live, loading them into a TLS context),
 * epb_setup.c (making them), epb_handshake.c (the handshake loop),
 * epb_stunnel.c (stunnel4 as the acceptor), epb_payload.c (throughput),
 * epb_speed.c (openssl speed). Nothing here is a test: no figure passes or
 * fails.
 */
#ifndef MK_BENCH_EPB_H
#define MK_BENCH_EPB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/types.h>

#include "bench.h"
#include "mk/result.h"
#include "net/tls.h"

/* Whose key: the token (by pkcs11: URI through the provider) or a PEM file. */
typedef enum epb_kind { EPB_TOKEN = 0, EPB_SOFTWARE = 1 } epb_kind;
/* Which side of the handshake. */
typedef enum epb_role { EPB_ACCEPTOR = 0, EPB_CONNECTOR = 1 } epb_role;

/* One key type under test; key[role] names the token key pair (CKA_LABEL). */
typedef struct epb_keytype {
    const char *name; /* "RSA-2048" */
    const char *id;   /* "rsa2048": file names and --keys */
    bench_key key[2];
} epb_keytype;

typedef struct epb_opts {
    bench_opts b;       /* token, module, PIN file, seconds, repeat (shared with bench/sign) */
    char work_dir[512]; /* certificates, software keys, stunnel files */
    int max_pairs;      /* rows at 1 and max_pairs acceptor/connector pairs */
    size_t frame_len;   /* payload bytes per PAYLOAD frame */
    int speed_seconds;  /* openssl speed -seconds */
    bool stunnel;       /* run the stunnel4 column */
    bool keygen;        /* create missing token key pairs (always, on a token we made) */
} epb_opts;

/* One side's identity: certificate files and how its private key is named. */
typedef struct epb_identity {
    char cert_der[1100];
    char cert_pem[1100];
    char key[8192];        /* pkcs11: URI with module-path and pin-source, or a PEM path */
    char engine_key[8192]; /* token only: the URI for the libp11 engine (pin-source only) */
} epb_identity;

/* The figures of one table row (per second), medians of the runs. */
enum {
    EPB_COL_TOKEN,    /* handshakes, both keys on the token */
    EPB_COL_SOFTWARE, /* handshakes, both keys in PEM files */
    EPB_COL_STUNNEL,  /* handshakes, stunnel4 acceptor (token key), our connector (token key) */
    EPB_COL_RAW,      /* token signatures, raw C_SignInit+C_Sign, `pairs` threads */
    EPB_COL_SWSIG,    /* software signatures (EVP_DigestSign, default provider), `pairs` threads */
    EPB_NCOLS
};
#define EPB_NOT_RUN (-2.0) /* a figure not measured (stunnel absent or --no-stunnel) */

typedef struct epb_row {
    const epb_keytype *kt;
    int pairs;
    double m[EPB_NCOLS]; /* < 0: failed, or EPB_NOT_RUN */
} epb_row;

/* The payload section: medians in bytes per second (< 0: failed). */
typedef struct epb_payload_result {
    const epb_keytype *kt;
    double frames;
    double speed;
} epb_payload_result;

/* ---- epb_table.c ---- */

void epb_print_handshakes(const epb_opts *o, const epb_row *rows, size_t n);
void epb_print_payload(const epb_opts *o, const epb_payload_result *p);

/* ---- epb_identity.c ---- */

/* Where the identity of (kt, kind, role) lives in o->work_dir. */
void epb_identity_get(const epb_opts *o, const epb_keytype *kt, epb_kind kind, epb_role role,
                      epb_identity *out);

/* A library context with the default provider and the mirrorkey provider built in (as mirrorkeyd).
 */
MK_RESULT epb_libctx_new(OSSL_LIB_CTX **out);

/* A NET_TLS_ENDPOINT context for id (key on the token or in a PEM file). */
MK_RESULT epb_tls_ctx_new(OSSL_LIB_CTX *libctx, const epb_identity *id, bool is_server,
                          net_tls_ctx **out);

/* ---- epb_setup.c ---- */

/*
 * Both token identities of kt: key pairs generated on the token when
 * missing, self-signed certificates signed on the token. Run it in a child
 * process (it loads the PKCS#11 module).
 */
MK_RESULT epb_setup_token(const epb_opts *o, const epb_keytype *kt);

/* Both software identities of kt: keys in PEM files (0600) and self-signed certificates. */
MK_RESULT epb_setup_software(const epb_opts *o, const epb_keytype *kt);

/* ---- epb_handshake.c ---- */

typedef struct epb_hs_case {
    const epb_identity *acceptor; /* NULL: the acceptors are plain-TCP backends behind front() */
    const epb_identity *connector;
    int pairs; /* acceptor threads and connector threads, 1..EPB_MAX_PAIRS */
    double seconds;
    /*
     * With acceptor == NULL: start the TLS acceptor in front of the backends
     * listening on backend_port and say where the connectors go.
     */
    mk_result (*front)(void *arg, uint16_t backend_port, uint16_t *tls_port);
    void *front_arg;
} epb_hs_case;

#define EPB_MAX_PAIRS 8

/*
 * Complete mutual handshakes per second: each connector thread connects
 * (a new TCP connection), runs a full TLS 1.3 handshake (no tickets, no
 * resumption), reads the acceptor's one HEARTBEAT frame (so the acceptor has
 * verified the connector's CertificateVerify) and closes.
 */
MK_RESULT epb_handshakes(const epb_hs_case *c, double *rate);

/* ---- epb_stunnel.c ---- */

/* The stunnel4 binary in PATH ("stunnel4" or "stunnel"), or NULL. */
const char *epb_stunnel_path(void);

/*
 * Handshakes per second against stunnel4 as the acceptor (acc's key on the
 * token through the libp11 engine, TLS 1.3 only, AES-GCM suites, peer
 * verified against con's certificate), our connector with con's key.
 */
MK_RESULT epb_stunnel_handshakes(const epb_opts *o, const epb_identity *acc,
                                 const epb_identity *con, int pairs, double *rate);

/* ---- epb_payload.c ---- */

/*
 * Payload bytes per second over one established endpoint connection (acc
 * and con identities), in PAYLOAD frames of frame_len bytes, for `seconds`.
 */
MK_RESULT epb_payload(const epb_identity *acc, const epb_identity *con, size_t frame_len,
                      double seconds, double *bytes_per_s);

/* ---- epb_speed.c ---- */

/*
 * `openssl speed -evp aes-256-gcm -bytes <block> -seconds <seconds> -mr`
 * on this machine: bytes per second for that block size, one thread.
 */
MK_RESULT epb_openssl_speed(size_t block, int seconds, double *bytes_per_s);

#endif
