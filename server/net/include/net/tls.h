/*
 * TLS for mirrorkeyd, in one place: every SSL_* call of the server lives in
 * net/src/tls.c (STYLE.md: transport behind a function table).
 *
 * Two profiles:
 *   NET_TLS_ADMIN     the TDS admin surface: server side, TLS 1.2 or 1.3
 *                     (1.2 only when framed in PRELOGIN, see below),
 *                     no client certificate (logins are SQL logins). The
 *                     handshake can be carried inside TDS PRELOGIN packets
 *                     (net_tls_accept_framed), as MS-TDS 2.2.6.5 requires.
 *   NET_TLS_ENDPOINT  the mirroring endpoint: TLS 1.3 only, AES-GCM suites
 *                     only, certificates on both sides. The peer certificate
 *                     is not chain-validated here: the caller compares its
 *                     DER with the catalog after the handshake (DESIGN.md
 *                     "Endpoint").
 * Our private key is never in memory: it is loaded by pkcs11: URI through
 * OSSL_STORE from the mirrorkey provider in the given library context, and
 * every signature happens on the token. Session tickets are off.
 */
#ifndef NET_TLS_H
#define NET_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/core.h>
#include <openssl/types.h>

#include "mk/buf.h"
#include "mk/result.h"
#include "net/conn.h"

typedef struct net_tls_ctx net_tls_ctx;

typedef enum net_tls_profile {
    NET_TLS_ADMIN = 1,
    NET_TLS_ENDPOINT = 2,
} net_tls_profile;

typedef struct net_tls_config {
    net_tls_profile profile;
    bool is_server;
    const uint8_t *cert_der; /* our certificate (public) */
    size_t cert_len;
    const char *key_uri; /* pkcs11: URI of our private key (may carry pin-source) */
} net_tls_config;

/*
 * A context for many connections. libctx must have the "mirrorkey" and
 * "default" providers loaded. The key is loaded once here and must match the
 * certificate (MK_E_INVALID otherwise). Errors carry OpenSSL's reason.
 */
MK_RESULT net_tls_ctx_new(OSSL_LIB_CTX *libctx, const net_tls_config *cfg, net_tls_ctx **out);
void net_tls_ctx_free(net_tls_ctx *t);

/* Plain TLS on a connected socket; *out owns fd on success (and on failure fd is closed). */
MK_RESULT net_tls_accept(net_tls_ctx *t, int fd, int timeout_ms, mk_conn **out);
MK_RESULT net_tls_connect(net_tls_ctx *t, int fd, int timeout_ms, mk_conn **out);

/*
 * Framing for a handshake carried inside another protocol's messages (TDS
 * PRELOGIN). recv returns the next message's payload (TLS records) into buf;
 * send wraps bytes into one or more messages and writes them.
 */
typedef struct net_tls_framing {
    mk_result (*recv)(void *arg, mk_buf *buf);
    mk_result (*send)(void *arg, const uint8_t *data, size_t len);
    void *arg;
} net_tls_framing;

/*
 * Server handshake through `framing`; afterwards records flow directly on fd.
 * Limited to TLS 1.2 (the profile's minimum still applies): a TDS 7.x client
 * flushes its wrapped handshake bytes only when it next reads, so its TLS 1.3
 * Finished would never be sent. *out owns fd on success; on failure the
 * caller still owns fd.
 */
MK_RESULT net_tls_accept_framed(net_tls_ctx *t, int fd, const net_tls_framing *framing,
                                mk_conn **out);

/* DER of the peer's certificate, appended to out. MK_E_NOT_FOUND if none. */
MK_RESULT net_tls_peer_cert(mk_conn *c, mk_buf *out);
/* Negotiated protocol and cipher suite names ("TLSv1.3", "TLS_AES_256_GCM_SHA384"). */
const char *net_tls_version(mk_conn *c);
const char *net_tls_cipher(mk_conn *c);

/*
 * A library context with the default provider and the mirrorkey provider
 * loaded from provider_dir (the directory holding mirrorkey.so; NULL uses
 * OpenSSL's default module directory). Caller frees with OSSL_LIB_CTX_free
 * through net_tls_libctx_free.
 */
MK_RESULT net_tls_libctx_new(const char *provider_dir, OSSL_LIB_CTX **out);

/*
 * Same, with a provider linked into the program instead of a module on disk:
 * `init` is registered under `name` (OSSL_PROVIDER_add_builtin) and loaded
 * with the default provider. mirrorkeyd uses this for the mirrorkey provider
 * so that the process holds one copy of the token layer (one C_Initialize,
 * one session pool, one login) shared by the daemon and the provider.
 */
MK_RESULT net_tls_libctx_new_builtin(const char *name, OSSL_provider_init_fn *init,
                                     OSSL_LIB_CTX **out);
void net_tls_libctx_free(OSSL_LIB_CTX *ctx);

#endif
