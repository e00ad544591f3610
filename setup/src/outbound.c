/*
 * The seeds' outbound procedure on one instance (plan.h): a master key if
 * there is none, the instance certificate (key pair made on the instance's
 * token by CREATE CERTIFICATE), the DATABASE_MIRRORING endpoint, then the
 * public certificate fetched with CERTENCODED, fingerprinted, recorded with
 * the token's key-policy report and, with --cer-out, written as NAME_cert.cer.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "plan.h"

#define ENDPOINT_NAME "Endpoint_Mirroring"

/* "HOST-A.x" -> "HOST_A_X": the part of a $(NAME) placeholder. */
static void placeholder_name(const char *name, const char *suffix, char *out, size_t cap)
{
    size_t n = 0;
    for (; *name != '\0' && n + 1 < cap; name++) {
        char c = *name;
        out[n++] = (char)((c >= 'a' && c <= 'z') ? c - 32 : (c == '-' || c == '.') ? '_' : c);
    }
    snprintf(out + n, cap - n, "_%s", suffix);
}

static void master_key(inst_ctx *ic)
{
    mkc_rows r;
    if (mk_failed(step_query(ic, "master key",
                             "SELECT name FROM sys.symmetric_keys WHERE name = "
                             "'##MS_DatabaseMasterKey##'",
                             &r))) {
        return;
    }
    size_t have = r.nrows;
    mkc_rows_cleanup(&r);
    if (have > 0) {
        step_skip(ic, "master key", "##MS_DatabaseMasterKey## exists");
        return;
    }
    mk_secret *pw = NULL;
    if (mk_failed(step_read_secret(ic, "master key", ic->ti->master_key_password_file, &pw))) {
        return;
    }
    char ph[96], sql[256];
    placeholder_name(ic->ti->name, "MASTER_KEY_PASSWORD", ph, sizeof(ph));
    snprintf(sql, sizeof(sql), "CREATE MASTER KEY ENCRYPTION BY PASSWORD = '$(%s)'", ph);
    (void)mk_failed(step_change(ic, "master key", sql, ph, pw,
                                "created; sealed by the token's protector and the password"));
    mk_secret_free(pw);
}

/* The instance's own certificate as DER, through CERTENCODED. */
static MK_RESULT fetch_der(inst_ctx *ic, const char *cert, peer_cert *out)
{
    char sql[256];
    mkc_rows r;
    snprintf(sql, sizeof(sql), "SELECT CERTENCODED(CERT_ID('%s')) AS der", cert);
    GUARD(step_query(ic, "public certificate", sql, &r));
    size_t len = 0;
    uint8_t *der = mkc_rows_take(&r, 0, "der", &len);
    mkc_rows_cleanup(&r);
    if (der == NULL) {
        step_fail(ic, "public certificate", "CERTENCODED returned nothing for %s", cert);
        return MK_ERR;
    }
    free(out->der);
    *out = (peer_cert){.known = true, .der = der, .der_len = len};
    return MK_OK;
}

static void create_certificate(inst_ctx *ic, const char *cert)
{
    const topo_instance *ti = ic->ti;
    char sql[512];
    int n = snprintf(sql, sizeof(sql),
                     "CREATE CERTIFICATE [%s] WITH SUBJECT = '%s certificate for database "
                     "mirroring'",
                     cert, ti->name);
    if (ti->certificate_expiry != NULL) {
        n += snprintf(sql + n, sizeof(sql) - (size_t)n, ", EXPIRY_DATE = '%s'",
                      ti->certificate_expiry);
    }
    if (ti->key != TOPO_KEY_RSA3072) {
        /* mirrorkey's ALGORITHM option; RSA-3072 is SQL Server's own default. */
        snprintf(sql + n, sizeof(sql) - (size_t)n, ", ALGORITHM = %s", topo_key_tsql(ti->key));
    }
    char detail[160];
    snprintf(detail, sizeof(detail), "%s key pair generated on the token", topo_key_name(ti->key));
    if (mk_failed(step_change(ic, "certificate", sql, NULL, NULL, detail))) {
        return;
    }
    if (ic->run->opts->dry_run) {
        ic->cert.known = ic->cert.planned = true;
    }
}

/* The certificate exists: it must be on the token with the topology's key. */
static void check_certificate(inst_ctx *ic, const char *cert, const mkc_rows *r)
{
    const char *enc = mkc_text(r, 0, "pvt_key_encryption_type");
    if (strcmp(enc, "HS") != 0) {
        step_fail(ic, "certificate",
                  "%s exists but its private key is not on the token "
                  "(pvt_key_encryption_type %s, wanted HS); drop or rename it first",
                  cert, enc[0] ? enc : "NULL");
        return;
    }
    if (mk_failed(fetch_der(ic, cert, &ic->cert))) {
        return;
    }
    cert_facts f;
    if (mk_failed(cert_facts_get(ic->cert.der, ic->cert.der_len, &f))) {
        step_fail(ic, "certificate", "%s: %s", cert, mk_error_message());
        return;
    }
    if (strcmp(f.key, topo_key_name(ic->ti->key)) != 0) {
        step_fail(ic, "certificate", "%s has a %s key; the topology says key = %s", cert, f.key,
                  topo_key_name(ic->ti->key));
        return;
    }
    char expiry[16];
    time_t na = (time_t)f.not_after;
    struct tm tm;
    strftime(expiry, sizeof(expiry), "%Y-%m-%d", gmtime_r(&na, &tm));
    if (ic->ti->certificate_expiry != NULL && strcmp(expiry, ic->ti->certificate_expiry) != 0) {
        step_warn(ic, "certificate",
                  "%s expires %s; the topology says %s (left as is: rotation replaces "
                  "certificates)",
                  cert, expiry, ic->ti->certificate_expiry);
        return;
    }
    step_skip(ic, "certificate", "%s exists on the token (%s, expires %s)", cert, f.key, expiry);
}

static void certificate(inst_ctx *ic, const char *cert)
{
    char sql[256];
    mkc_rows r;
    snprintf(sql, sizeof(sql),
             "SELECT name, certificate_id, pvt_key_encryption_type FROM sys.certificates "
             "WHERE name = '%s'",
             cert);
    if (mk_failed(step_query(ic, "certificate", sql, &r))) {
        return;
    }
    if (r.nrows == 0) {
        create_certificate(ic, cert);
    } else {
        check_certificate(ic, cert, &r);
    }
    mkc_rows_cleanup(&r);
}

MK_RESULT find_endpoint(inst_ctx *ic, mkc_rows *r)
{
    GUARD(step_query(ic, "endpoint",
                     "SELECT name, endpoint_id, state_desc, role_desc, certificate_id "
                     "FROM sys.database_mirroring_endpoints",
                     r));
    ic->endpoint_name[0] = '\0';
    ic->endpoint_id = 0;
    if (r->nrows > 0) {
        snprintf(ic->endpoint_name, sizeof(ic->endpoint_name), "%s", mkc_text(r, 0, "name"));
        ic->endpoint_id = (long)mkc_int(r, 0, "endpoint_id", 0);
    }
    return MK_OK;
}

static void create_endpoint(inst_ctx *ic, const char *cert)
{
    char sql[512];
    snprintf(sql, sizeof(sql),
             "CREATE ENDPOINT [%s] STATE = STARTED AS TCP (LISTENER_PORT = %u, LISTENER_IP = ALL) "
             "FOR DATABASE_MIRRORING (AUTHENTICATION = CERTIFICATE [%s], ENCRYPTION = REQUIRED "
             "ALGORITHM AES, ROLE = %s)",
             ENDPOINT_NAME, ic->ti->endpoint_port, cert, topo_role_name(ic->ti->role));
    char detail[128];
    snprintf(detail, sizeof(detail), "port %u, role %s, certificate %s, AES required",
             ic->ti->endpoint_port, topo_role_name(ic->ti->role), cert);
    if (mk_ok(step_change(ic, "endpoint", sql, NULL, NULL, detail))) {
        snprintf(ic->endpoint_name, sizeof(ic->endpoint_name), "%s", ENDPOINT_NAME);
    }
}

/* The certificate id of `cert`, or 0 (none yet, or a dry run). */
static long cert_id(inst_ctx *ic, const char *cert)
{
    char sql[160];
    mkc_rows r;
    snprintf(sql, sizeof(sql), "SELECT CERT_ID('%s') AS id", cert);
    if (mk_failed(step_query(ic, "endpoint", sql, &r))) {
        return -1;
    }
    long id = (long)mkc_int(&r, 0, "id", 0);
    mkc_rows_cleanup(&r);
    return id;
}

/* An endpoint exists: compare it, ALTER what differs (conflicts only with --allow-changes). */
static void check_endpoint(inst_ctx *ic, const char *cert, const mkc_rows *r)
{
    char sql[160], diff[512] = "", alter[512], tcp[96] = "", dbm[256] = "", state[32] = "";
    mkc_rows p;
    snprintf(sql, sizeof(sql), "SELECT port FROM sys.tcp_endpoints WHERE endpoint_id = %ld",
             ic->endpoint_id);
    if (mk_failed(step_query(ic, "endpoint", sql, &p))) {
        return;
    }
    long long port = mkc_int(&p, 0, "port", 0);
    mkc_rows_cleanup(&p);
    long want_cert = cert_id(ic, cert);
    if (want_cert < 0) {
        return;
    }
    size_t d = 0;
    if (port != (long long)ic->ti->endpoint_port) {
        d += (size_t)snprintf(diff + d, sizeof(diff) - d, "port %lld (topology: %u); ", port,
                              ic->ti->endpoint_port);
        snprintf(tcp, sizeof(tcp), " AS TCP (LISTENER_PORT = %u)", ic->ti->endpoint_port);
    }
    const char *role = mkc_text(r, 0, "role_desc");
    bool role_differs = strcasecmp(role, topo_role_name(ic->ti->role)) != 0;
    bool cert_differs = mkc_int(r, 0, "certificate_id", 0) != want_cert;
    if (role_differs) {
        d += (size_t)snprintf(diff + d, sizeof(diff) - d, "role %s (topology: %s); ", role,
                              topo_role_name(ic->ti->role));
    }
    if (cert_differs) {
        d += (size_t)snprintf(diff + d, sizeof(diff) - d,
                              "certificate_id %lld (topology: %s, id %ld); ",
                              mkc_int(r, 0, "certificate_id", 0), cert, want_cert);
    }
    if (role_differs || cert_differs) {
        snprintf(dbm, sizeof(dbm),
                 " FOR DATABASE_MIRRORING (AUTHENTICATION = CERTIFICATE [%s], ENCRYPTION = "
                 "REQUIRED ALGORITHM AES, ROLE = %s)",
                 cert, topo_role_name(ic->ti->role));
    }
    if (d > 0 && !ic->run->opts->allow_changes) {
        step_fail(ic, "endpoint", "%s differs: %sre-run with --allow-changes to ALTER it",
                  ic->endpoint_name, diff);
        return;
    }
    const char *st = mkc_text(r, 0, "state_desc");
    if (strcasecmp(st, "STARTED") != 0) {
        snprintf(state, sizeof(state), " STATE = STARTED");
        snprintf(diff + d, sizeof(diff) - d, "state %s (wanted STARTED); ", st);
    }
    if (diff[0] == '\0') {
        step_skip(ic, "endpoint", "%s: port %u, role %s, certificate %s, STARTED",
                  ic->endpoint_name, ic->ti->endpoint_port, role, cert);
        return;
    }
    snprintf(alter, sizeof(alter), "ALTER ENDPOINT [%s]%s%s%s", ic->endpoint_name, state, tcp, dbm);
    char detail[600];
    snprintf(detail, sizeof(detail), "altered: %s", diff);
    (void)mk_failed(step_change(ic, "endpoint", alter, NULL, NULL, detail));
}

static void endpoint(inst_ctx *ic, const char *cert)
{
    mkc_rows r;
    if (mk_failed(find_endpoint(ic, &r))) {
        return;
    }
    if (r.nrows == 0) {
        create_endpoint(ic, cert);
    } else {
        check_endpoint(ic, cert, &r);
    }
    mkc_rows_cleanup(&r);
}

/* The token's key-policy report for the certificate, as the instance reads it now. */
static json_t *policy_report(inst_ctx *ic, const char *cert)
{
    char sql[200];
    mkc_rows r;
    snprintf(sql, sizeof(sql), "SELECT * FROM sys.mirrorkey_certificate_keys WHERE name = '%s'",
             cert);
    if (mk_failed(step_query(ic, "key policy", sql, &r))) {
        return NULL;
    }
    json_t *o = json_object();
    for (size_t i = 0; r.nrows > 0 && i < r.ncols; i++) {
        const mkc_cell *c = &r.cells[i];
        char hex[129];
        if (c->is_null) {
            json_object_set_new(o, r.names[i], json_null());
        } else if (c->is_binary) {
            hex_encode(c->data, c->len < 64 ? c->len : 64, hex);
            json_object_set_new(o, r.names[i], json_string(hex));
        } else {
            json_object_set_new(o, r.names[i], json_string((const char *)c->data));
        }
    }
    bool ok = r.nrows > 0 && strcmp(mkc_text(&r, 0, "meets_policy"), "1") == 0;
    mkc_rows_cleanup(&r);
    if (!ok) {
        step_fail(ic, "key policy", "the token's report for %s does not meet the key policy", cert);
    } else {
        step_skip(ic, "key policy",
                  "%s: LOCAL, SENSITIVE, ALWAYS_SENSITIVE, NEVER_EXTRACTABLE, not EXTRACTABLE "
                  "(read from the token now)",
                  cert);
    }
    return o;
}

static MK_RESULT write_cer(inst_ctx *ic, const char *cert, const cert_facts *f)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s.cer", ic->run->opts->cer_out, cert);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0 && errno == EEXIST) {
        FILE *in = fopen(path, "rb");
        uint8_t buf[16384];
        size_t n = in != NULL ? fread(buf, 1, sizeof(buf), in) : 0;
        if (in != NULL) {
            fclose(in);
        }
        if (n == ic->cert.der_len && memcmp(buf, ic->cert.der, n) == 0) {
            step_skip(ic, "cer file", "%s already holds this certificate", path);
            return MK_OK;
        }
        step_fail(ic, "cer file", "%s exists with other contents; not overwritten", path);
        return MK_ERR;
    }
    bool ok = fd >= 0 && write(fd, ic->cert.der, ic->cert.der_len) == (ssize_t)ic->cert.der_len;
    ok = fd >= 0 && close(fd) == 0 && ok;
    if (!ok) {
        step_fail(ic, "cer file", "cannot write %s: %s", path, strerror(errno));
        return MK_ERR;
    }
    run_action(ic->run, ic->ti->name, "cer file", ACT_DONE, NULL, "%s (public only) sha256 %s",
               path, f->sha256);
    json_t *rec = json_pack("{s:s, s:s, s:s, s:s}", "type", "cer", "instance", ic->ti->name, "path",
                            path, "sha256", f->sha256);
    run_record(ic->run, rec);
    json_decref(rec);
    return MK_OK;
}

static void public_certificate(inst_ctx *ic, const char *cert)
{
    if (ic->cert.planned) {
        char sql[256];
        snprintf(sql, sizeof(sql), "BACKUP CERTIFICATE [%s] TO FILE = '%s.cer'", cert, cert);
        (void)mk_failed(
            step_change(ic, "public certificate", sql, NULL, NULL,
                        "dry run only: apply reads CERTENCODED instead; copy the file into "
                        "each peer's file root before its inbound block"));
        return;
    }
    if (ic->cert.der == NULL && mk_failed(fetch_der(ic, cert, &ic->cert))) {
        return;
    }
    cert_facts f;
    if (mk_failed(cert_facts_get(ic->cert.der, ic->cert.der_len, &f))) {
        step_fail(ic, "public certificate", "%s: %s", cert, mk_error_message());
        return;
    }
    /* Reading the certificate changes nothing: reported as skipped, with its fingerprints. */
    step_skip(ic, "public certificate", "%s: %s, sha256 %s, spki-sha256 %s", cert, f.key, f.sha256,
              f.spki_sha256);
    json_t *policy = policy_report(ic, cert);
    json_t *rec =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I}", "type", "certificate", "instance",
                  ic->ti->name, "name", cert, "sha256", f.sha256, "spki_sha256", f.spki_sha256,
                  "key", f.key, "subject", f.subject, "not_after", (json_int_t)f.not_after);
    json_object_set_new(rec, "key_policy", policy != NULL ? policy : json_null());
    run_record(ic->run, rec);
    json_decref(rec);
    if (!ic->failed && ic->run->opts->cer_out != NULL) {
        (void)mk_failed(write_cer(ic, cert, &f));
    }
}

void proc_outbound(inst_ctx *ic)
{
    char cert[TOPO_NAME_MAX + 8];
    snprintf(cert, sizeof(cert), "%s_cert", ic->ti->name);
    phase_begin(ic, "outbound");
    if (mk_failed(step_connect(ic))) {
        return;
    }
    master_key(ic);
    if (!ic->failed) {
        certificate(ic, cert);
    }
    if (!ic->failed) {
        endpoint(ic, cert);
    }
    if (!ic->failed) {
        public_certificate(ic, cert);
    }
}
