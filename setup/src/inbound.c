/*
 * The seeds' inbound procedure on one instance for one peer (plan.h): the
 * peer's login (a random password that nobody ever learns: the peer
 * authenticates with its certificate), its user, the peer's public
 * certificate owned by that user (FROM BINARY, so no file is copied), and
 * CONNECT on the endpoint. Names follow the seeds: PEER_login, PEER_user,
 * PEER_cert.
 */
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "plan.h"

/* 32 characters: a fixed prefix of the four classes the password policy wants, then 168 random
 * bits. */
static MK_RESULT random_password(mk_secret **out)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    uint8_t rnd[28];
    GUARD(mk_secret_new(33, out));
    uint8_t *d = mk_secret_data(*out);
    memcpy(d, "Mk1!", 4);
    if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
        mk_secret_free(*out);
        *out = NULL;
        BAIL_MSG(MK_E_CRYPTO, "no random bytes for a peer login password");
    }
    for (size_t i = 0; i < sizeof(rnd); i++) {
        d[4 + i] = (uint8_t)alphabet[rnd[i] & 63];
    }
    OPENSSL_cleanse(rnd, sizeof(rnd));
    return mk_secret_set_len(*out, 32);
}

typedef struct peer_names {
    char login[TOPO_NAME_MAX + 8];
    char user[TOPO_NAME_MAX + 8];
    char cert[TOPO_NAME_MAX + 8];
} peer_names;

/* Login: skip when present; made with a random password otherwise. Returns its principal_id (0
 * planned). */
static long login(inst_ctx *ic, const peer_names *n, const char *peer)
{
    char sql[256];
    mkc_rows r;
    snprintf(sql, sizeof(sql),
             "SELECT principal_id, type, is_disabled FROM sys.server_principals WHERE name = '%s'",
             n->login);
    if (mk_failed(step_query(ic, "login", sql, &r))) {
        return -1;
    }
    long id = r.nrows > 0 ? (long)mkc_int(&r, 0, "principal_id", 0) : 0;
    bool disabled = r.nrows > 0 && strcmp(mkc_text(&r, 0, "is_disabled"), "1") == 0;
    mkc_rows_cleanup(&r);
    if (id > 0) {
        if (disabled) {
            step_warn(ic, "login",
                      "%s exists but is disabled: %s cannot connect until "
                      "ALTER LOGIN [%s] ENABLE (left as is)",
                      n->login, peer, n->login);
        } else {
            step_skip(ic, "login", "%s exists", n->login);
        }
        return id;
    }
    mk_secret *pw = NULL;
    if (mk_failed(random_password(&pw))) {
        step_fail(ic, "login", "%s", mk_error_message());
        return -1;
    }
    char ph[TOPO_NAME_MAX + 32];
    snprintf(ph, sizeof(ph), "%s_PASSWORD", n->login);
    snprintf(sql, sizeof(sql), "CREATE LOGIN [%s] WITH PASSWORD = '$(%s)'", n->login, ph);
    mk_result res = step_change(ic, "login", sql, ph, pw,
                                "created with a random password that is never shown or kept");
    mk_secret_free(pw);
    if (mk_failed(res) || ic->run->opts->dry_run) {
        return mk_failed(res) ? -1 : 0;
    }
    return login(ic, n, peer);
}

static void user(inst_ctx *ic, const peer_names *n, long login_id)
{
    char sql[320];
    mkc_rows r;
    snprintf(sql, sizeof(sql),
             "SELECT principal_id, sid FROM sys.database_principals WHERE name = '%s'", n->user);
    if (mk_failed(step_query(ic, "user", sql, &r))) {
        return;
    }
    bool exists = r.nrows > 0;
    const mkc_cell *usid = mkc_rows_get(&r, 0, "sid");
    if (exists && login_id > 0) {
        mkc_rows l;
        snprintf(sql, sizeof(sql), "SELECT sid FROM sys.server_principals WHERE principal_id = %ld",
                 login_id);
        if (mk_ok(step_query(ic, "user", sql, &l))) {
            const mkc_cell *lsid = mkc_rows_get(&l, 0, "sid");
            bool same = usid != NULL && lsid != NULL && usid->len == lsid->len && usid->len > 0 &&
                        memcmp(usid->data, lsid->data, usid->len) == 0;
            if (!same) {
                step_fail(ic, "user", "%s exists but is not mapped to login %s", n->user, n->login);
            }
            mkc_rows_cleanup(&l);
        }
    }
    mkc_rows_cleanup(&r);
    if (ic->failed) {
        return;
    }
    if (exists) {
        step_skip(ic, "user", "%s exists for login %s", n->user, n->login);
        return;
    }
    snprintf(sql, sizeof(sql), "CREATE USER [%s] FOR LOGIN [%s]", n->user, n->login);
    (void)mk_failed(step_change(ic, "user", sql, NULL, NULL, "created"));
}

static MK_RESULT create_cert(inst_ctx *ic, const peer_names *n, const peer_cert *pc,
                             const cert_facts *f)
{
    if (pc->planned) {
        char sql[400];
        snprintf(sql, sizeof(sql),
                 "CREATE CERTIFICATE [%s] AUTHORIZATION [%s] FROM FILE = '%s.cer'", n->cert,
                 n->user, n->cert);
        return step_change(ic, "peer certificate", sql, NULL, NULL,
                           "dry run: the peer's certificate does not exist yet; apply passes it "
                           "as FROM BINARY");
    }
    size_t cap = 128 + 2 * sizeof(n->cert) + 2 * pc->der_len;
    char *sql = malloc(cap);
    ENSURE(sql != NULL, MK_E_NOMEM);
    int k = snprintf(sql, cap, "CREATE CERTIFICATE [%s] AUTHORIZATION [%s] FROM BINARY = 0x",
                     n->cert, n->user);
    hex_encode(pc->der, pc->der_len, sql + k);
    char detail[200];
    snprintf(detail, sizeof(detail), "imported, owned by %s, thumbprint %s", n->user,
             f->thumbprint);
    mk_result res = step_change(ic, "peer certificate", sql, NULL, NULL, detail);
    free(sql);
    return res;
}

static void peer_certificate(inst_ctx *ic, const peer_names *n, const peer_cert *pc)
{
    cert_facts f;
    memset(&f, 0, sizeof(f));
    if (!pc->planned && mk_failed(cert_facts_get(pc->der, pc->der_len, &f))) {
        step_fail(ic, "peer certificate", "%s: %s", n->cert, mk_error_message());
        return;
    }
    char sql[400];
    mkc_rows r;
    snprintf(sql, sizeof(sql), "SELECT name, thumbprint FROM sys.certificates WHERE name = '%s'",
             n->cert);
    if (mk_failed(step_query(ic, "peer certificate", sql, &r))) {
        return;
    }
    char have[41] = "";
    const mkc_cell *tp = mkc_rows_get(&r, 0, "thumbprint");
    if (tp != NULL && tp->is_binary && tp->len == 20) {
        hex_encode(tp->data, tp->len, have);
    }
    bool exists = r.nrows > 0;
    mkc_rows_cleanup(&r);
    if (exists && !pc->planned && strcmp(have, f.thumbprint) == 0) {
        step_skip(ic, "peer certificate", "%s present (thumbprint %s)", n->cert, have);
        return;
    }
    if (exists) {
        if (!ic->run->opts->allow_changes) {
            step_fail(ic, "peer certificate",
                      "%s has thumbprint %s; the peer's certificate has %s; re-run with "
                      "--allow-changes to replace it",
                      n->cert, have, pc->planned ? "(not made yet)" : f.thumbprint);
            return;
        }
        snprintf(sql, sizeof(sql), "DROP CERTIFICATE [%s]", n->cert);
        if (mk_failed(step_change(ic, "peer certificate", sql, NULL, NULL,
                                  "dropped: its thumbprint differs from the peer's"))) {
            return;
        }
    }
    (void)mk_failed(create_cert(ic, n, pc, &f));
}

static void grant(inst_ctx *ic, const peer_names *n, long login_id)
{
    char sql[400];
    const char *ep = ic->endpoint_name;
    if (login_id > 0 && ic->endpoint_id > 0) {
        mkc_rows r;
        snprintf(sql, sizeof(sql),
                 "SELECT state_desc FROM sys.server_permissions WHERE class = 105 AND major_id = "
                 "%ld AND grantee_principal_id = %ld AND permission_name = 'CONNECT'",
                 ic->endpoint_id, login_id);
        if (mk_failed(step_query(ic, "grant connect", sql, &r))) {
            return;
        }
        char state[32];
        snprintf(state, sizeof(state), "%s", mkc_text(&r, 0, "state_desc"));
        mkc_rows_cleanup(&r);
        if (strncasecmp(state, "GRANT", 5) == 0) {
            step_skip(ic, "grant connect", "%s holds CONNECT on %s", n->login, ep);
            return;
        }
        if (strcasecmp(state, "DENY") == 0 && !ic->run->opts->allow_changes) {
            step_fail(ic, "grant connect",
                      "%s is DENIED CONNECT on %s; re-run with --allow-changes to grant it",
                      n->login, ep);
            return;
        }
    }
    snprintf(sql, sizeof(sql), "GRANT CONNECT ON ENDPOINT::[%s] TO [%s]", ep, n->login);
    (void)mk_failed(step_change(ic, "grant connect", sql, NULL, NULL, "granted"));
}

void proc_inbound(inst_ctx *ic, const char *peer, const peer_cert *pc)
{
    peer_names n;
    snprintf(n.login, sizeof(n.login), "%s_login", peer);
    snprintf(n.user, sizeof(n.user), "%s_user", peer);
    snprintf(n.cert, sizeof(n.cert), "%s_cert", peer);
    if (ic->failed) {
        return;
    }
    if (ic->endpoint_name[0] == '\0') {
        /* CONNECT needs the endpoint: check before the first change, not at the last. */
        mkc_rows r;
        if (mk_failed(find_endpoint(ic, &r))) {
            return;
        }
        mkc_rows_cleanup(&r);
        if (ic->endpoint_name[0] == '\0') {
            step_fail(ic, "inbound",
                      "this instance has no DATABASE_MIRRORING endpoint to grant "
                      "CONNECT on: run outbound here first");
            return;
        }
    }
    long id = login(ic, &n, peer);
    if (!ic->failed && id >= 0) {
        user(ic, &n, id);
    }
    if (!ic->failed) {
        peer_certificate(ic, &n, pc);
    }
    if (!ic->failed) {
        grant(ic, &n, id);
    }
}
