/*
 * Loading an instance for `mirrorkeyd run`: configuration, token, provider
 * library context, TLS context with the token key (and DIR/tds-cert.pem
 * brought in line with its certificate), catalog check, executor instance
 * and the login throttle. Everything here is shared read-only by the
 * connection threads (the token, TLS context and executor are thread-safe).
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "mk/log.h"
#include "p11/cert.h"

static MK_RESULT join_path(char *out, size_t cap, const char *dir, const char *name)
{
    int n = snprintf(out, cap, "%s/%s", dir, name);
    ENSURE_MSG(n > 0 && (size_t)n < cap, MK_E_INVALID, "path too long");
    return MK_OK;
}

/* The data directory holds the catalog: it must not be open to others. */
static void check_data_dir(const char *dir)
{
    struct stat st;
    if (stat(dir, &st) == 0 && (st.st_mode & 077) != 0) {
        MK_LOG_WARN("data directory %s is accessible by group or others (chmod 700 it)", dir);
    }
}

/*
 * DIR/tds-cert.pem from the certificate just loaded: written when missing
 * (instances made before the file existed), replaced when it says something
 * else. A failure only costs clients that pin the file, so it is logged and
 * the daemon serves.
 */
static void sync_cert_file(const srv_instance *inst, const uint8_t *der, size_t der_len)
{
    srv_cert_file_state state = SRV_CERT_FILE_CURRENT;
    if (mk_failed(srv_tds_cert_sync(inst->data_dir, der, der_len, &state))) {
        mk_log_error_result(MK_LOG_WARN, "writing " SRV_TDS_CERT_FILE);
        return;
    }
    if (state == SRV_CERT_FILE_CREATED) {
        MK_LOG_INFO("wrote %s/%s (the TDS certificate, for clients that pin it)", inst->data_dir,
                    SRV_TDS_CERT_FILE);
    } else if (state == SRV_CERT_FILE_REPLACED) {
        MK_LOG_WARN("replaced %s/%s: it did not hold the TDS certificate on the token",
                    inst->data_dir, SRV_TDS_CERT_FILE);
    }
}

/* TLS context from the certificate and key with the configured CKA_ID. */
static MK_RESULT open_tls(srv_instance *inst)
{
    mk_result res = MK_ERR;
    p11_cert *cert = NULL;
    mk_buf uri;
    mk_buf_init(&uri, 16 * 1024);
    const srv_config *c = &inst->config;
    if (mk_failed(p11_cert_find_by_id(inst->token, c->tls_key_id, c->tls_key_id_len, &cert))) {
        mk_error_context("TLS certificate '%s'", c->tls_key_label);
        goto out;
    }
    GUARD_OUT(srv_object_uri(c->pkcs11_uri, c->tls_key_id, c->tls_key_id_len, c->tls_key_label,
                             P11_URI_TYPE_PRIVATE, &uri));
    size_t der_len = 0;
    const uint8_t *der = p11_cert_der(cert, &der_len);
    sync_cert_file(inst, der, der_len);
    net_tls_config tc = {
        .profile = NET_TLS_ADMIN,
        .is_server = true,
        .cert_der = der,
        .cert_len = der_len,
        .key_uri = (const char *)uri.data,
    };
    if (mk_failed(net_tls_ctx_new(inst->libctx, &tc, &inst->tls))) {
        mk_error_context("TLS key '%s'", c->tls_key_label);
        goto out;
    }
    res = MK_OK;
out:
    p11_cert_free(cert);
    mk_buf_cleanup(&uri);
    return res;
}

/*
 * The executor's change hook: DDL committed, apply it to the endpoint at
 * once (listener, live connections) and to the sessions' kept links.
 */
static void on_catalog_change(void *arg, exec_change_kind kind, const char *name)
{
    srv_instance *inst = arg;
    (void)name;
    if (inst->endpoint == NULL) {
        return;
    }
    if (kind != EXEC_CHANGE_DATABASE) {
        ep_manager_changed(inst->endpoint);
    }
    if (mk_failed(ep_sessions_sync(inst->endpoint))) {
        mk_log_error_result(MK_LOG_ERROR, "mirroring sessions: keeping links");
    }
}

/* The mirroring endpoint manager; its first apply only logs failures (28036, 28055, 7890). */
static MK_RESULT open_endpoint(srv_instance *inst, const char *query)
{
    ep_config cfg = {
        .instance_name = inst->config.instance_name,
        .catalog_path = inst->catalog_path,
        .token = inst->token,
        .libctx = inst->libctx,
        .key_uri_query = query,
    };
    GUARD(ep_manager_new(&cfg, &inst->endpoint));
    ep_apply_error why = EP_APPLY_OK;
    if (mk_failed(ep_manager_apply(inst->endpoint, &why)) && why == EP_APPLY_OTHER) {
        mk_log_error_result(MK_LOG_ERROR, "mirroring endpoint not started");
    }
    /* Sessions from before a restart resume: their links are kept again. */
    if (mk_failed(ep_sessions_sync(inst->endpoint))) {
        mk_log_error_result(MK_LOG_ERROR, "mirroring sessions not resumed");
    }
    return MK_OK;
}

static MK_RESULT open_exec(srv_instance *inst)
{
    mk_result res = MK_ERR;
    mk_buf query;
    mk_buf_init(&query, 16 * 1024);
    GUARD_OUT(srv_uri_query(inst->config.pkcs11_uri, &query));
    exec_instance_config ec = {
        .server_name = inst->config.instance_name,
        .file_root = inst->config.file_root,
        .token = inst->token,
        .libctx = inst->libctx,
        .key_uri_query = (const char *)query.data,
        .on_change = on_catalog_change,
        .on_change_arg = inst,
        .mirror = srv_mirror_request,
        .port_check = srv_port_check,
        .hook_arg = inst,
    };
    GUARD_OUT(exec_instance_new(&ec, &inst->exec));
    GUARD_OUT(open_endpoint(inst, (const char *)query.data));
    res = MK_OK;
out:
    mk_buf_cleanup(&query);
    return res;
}

/*
 * Auto-unseal (DESIGN.md "Key hierarchy"): open the database master key
 * through the protector on the token, with no password. A failure is not
 * fatal: the instance serves, statements that need the key answer 15581, and
 * OPEN MASTER KEY DECRYPTION BY PASSWORD remains the break-glass path.
 */
static void open_master_key(srv_instance *inst, cat_db *db)
{
    bool opened = false;
    if (mk_failed(exec_instance_open_master_key(inst->exec, db, &opened))) {
        mk_log_error_result(MK_LOG_WARN, "master key not opened through the token protector "
                                         "(OPEN MASTER KEY DECRYPTION BY PASSWORD opens it)");
        return;
    }
    if (opened) {
        MK_LOG_INFO("master key opened through the token protector");
    }
}

MK_RESULT srv_instance_open(const char *data_dir, srv_instance **out)
{
    mk_result res = MK_ERR;
    char conf_path[SRV_PATH_MAX];
    cat_db *db = NULL;
    srv_instance *inst = calloc(1, sizeof(*inst));
    ENSURE(inst != NULL, MK_E_NOMEM);
    ENSURE_OUT(strlen(data_dir) < sizeof(inst->data_dir), MK_E_INVALID, "--data-dir too long");
    strcpy(inst->data_dir, data_dir);
    check_data_dir(data_dir);
    GUARD_OUT(join_path(conf_path, sizeof(conf_path), data_dir, SRV_CONFIG_FILE));
    GUARD_OUT(
        join_path(inst->catalog_path, sizeof(inst->catalog_path), data_dir, SRV_CATALOG_FILE));
    if (mk_failed(srv_config_load(conf_path, &inst->config))) {
        if (mk_error_code() == MK_E_NOT_FOUND) {
            mk_error_context("no instance in %s (run `mirrorkeyd init` first)", data_dir);
        }
        goto out;
    }
    GUARD_OUT(cat_open(inst->catalog_path, 0, &db));
    if (mk_failed(p11_token_open(inst->config.pkcs11_uri, NULL, &inst->token))) {
        mk_error_context("opening the token");
        goto out;
    }
    GUARD_OUT(srv_libctx_new(&inst->libctx));
    GUARD_OUT(open_tls(inst));
    GUARD_OUT(open_exec(inst));
    open_master_key(inst, db);
    srv_throttle_policy tp = srv_throttle_policy_default();
    GUARD_OUT(srv_throttle_new(&tp, &inst->throttle));
    tds_collation_default(inst->collation);
    *out = inst;
    inst = NULL;
    res = MK_OK;
out:
    cat_close(db);
    srv_instance_free(inst);
    return res;
}

void srv_instance_free(srv_instance *inst)
{
    if (inst == NULL) {
        return;
    }
    srv_throttle_free(inst->throttle);
    exec_instance_free(inst->exec);
    /* Before the library context and the token, which its connections use. */
    ep_manager_free(inst->endpoint);
    net_tls_ctx_free(inst->tls);
    /* The provider may hold token references: unload it before the token goes. */
    net_tls_libctx_free(inst->libctx);
    p11_token_unref(inst->token);
    free(inst);
}
