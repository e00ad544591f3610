/*
 * Where each side's identity lives (a certificate in DER and PEM, the key
 * by pkcs11: URI or as a PEM file, all under the work directory) and how it
 * becomes a NET_TLS_ENDPOINT context: exactly as the endpoint does it, with
 * the mirrorkey provider built into the program like mirrorkeyd.
 */
#include "epb.h"

#include <stdio.h>
#include <stdlib.h>

#include <openssl/core.h>

#include "mk/buf.h"
#include "mk/log.h"
#include "token.h"

static const char *const kind_names[] = {"token", "soft"};
static const char *const role_names[] = {"acc", "con"};

void epb_identity_get(const epb_opts *o, const epb_keytype *kt, epb_kind kind, epb_role role,
                      epb_identity *out)
{
    const char *k = kind_names[kind];
    const char *r = role_names[role];
    snprintf(out->cert_der, sizeof(out->cert_der), "%s/%s-%s-%s.der", o->work_dir, k, r, kt->id);
    snprintf(out->cert_pem, sizeof(out->cert_pem), "%s/%s-%s-%s.pem", o->work_dir, k, r, kt->id);
    if (kind == EPB_SOFTWARE) {
        snprintf(out->key, sizeof(out->key), "%s/%s-%s-%s.key", o->work_dir, k, r, kt->id);
        out->engine_key[0] = '\0';
        return;
    }
    char bare[4096];
    bench_key_uri(&o->b, &kt->key[role], true, out->key, sizeof(out->key));
    bench_key_uri(&o->b, &kt->key[role], false, bare, sizeof(bare));
    /* libp11 reads the PIN file itself (pin-source); the module comes from MODULE_PATH. */
    snprintf(out->engine_key, sizeof(out->engine_key), "%s?pin-source=file:%s", bare,
             o->b.pin_file);
}

MK_RESULT epb_libctx_new(OSSL_LIB_CTX **out)
{
    /* The built-in provider sets the log level as it starts; keep the bench's. */
    mk_log_level level = mk_log_get_level();
    mk_result r = net_tls_libctx_new_builtin("mirrorkey", OSSL_provider_init, out);
    mk_log_set_level(level);
    return r;
}

static MK_RESULT read_file(const char *path, mk_buf *out)
{
    FILE *f = fopen(path, "rb");
    ENSURE_MSG(f != NULL, MK_E_IO, "cannot open %s", path);
    uint8_t chunk[4096];
    size_t n;
    mk_result res = MK_OK;
    while (mk_ok(res) && (n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        res = mk_buf_append(out, chunk, n);
    }
    fclose(f);
    return res;
}

MK_RESULT epb_tls_ctx_new(OSSL_LIB_CTX *libctx, const epb_identity *id, bool is_server,
                          net_tls_ctx **out)
{
    mk_result res = MK_ERR;
    mk_buf der;
    mk_buf_init(&der, (size_t)64 * 1024);
    GUARD_OUT(read_file(id->cert_der, &der));
    net_tls_config cfg = {NET_TLS_ENDPOINT, is_server, der.data, der.len, id->key};
    GUARD_OUT(net_tls_ctx_new(libctx, &cfg, out));
    res = MK_OK;
out:
    mk_buf_cleanup(&der);
    return res;
}
