/*
 * FreeTDS db-lib behind the small interface of tdsclient.h: the private
 * freetds.conf, connections with per-connection message capture, batches,
 * and result sets copied into plain cells.
 *
 * db-lib's error and message handlers are process-wide; each connection
 * hangs its context on its DBPROCESS (dbsetuserdata), and a thread-local
 * pointer catches the messages of a connection still being opened.
 */
#include "tdsclient.h"

#include <errno.h>
#include <ini.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sybdb.h>
#include <sybfront.h>
#include <unistd.h>

#include "mk/buf.h"

#define MKC_MAX_TARGETS 64
#define MKC_MAX_INFOS 32
#define MKC_LOGIN_TIMEOUT_S 20
#define MKC_QUERY_TIMEOUT_S 300

struct mkc_conn {
    DBPROCESS *dbp;
    mkc_msg error;
    mkc_msg infos[MKC_MAX_INFOS];
    size_t n_infos;
    bool dead;
};

static char g_dir[256];
static char g_conf[300];
static char g_cert_sha[MKC_MAX_TARGETS][65];
static size_t g_n;
static bool g_dblib_up;
static _Thread_local mkc_conn *tl_opening;

static mkc_conn *conn_of(DBPROCESS *dbp)
{
    mkc_conn *c = dbp != NULL ? (mkc_conn *)dbgetuserdata(dbp) : NULL;
    return c != NULL ? c : tl_opening;
}

static void set_msg(mkc_msg *m, int number, int severity, const char *text)
{
    m->number = number;
    m->severity = severity;
    snprintf(m->text, sizeof(m->text), "%s", text != NULL ? text : "");
}

static int err_handler(DBPROCESS *dbp, int severity, int dberr, int oserr, char *dberrstr,
                       char *oserrstr)
{
    (void)oserr;
    mkc_conn *c = conn_of(dbp);
    if (c != NULL && c->error.number == 0) {
        char text[512];
        snprintf(text, sizeof(text), "%s%s%s", dberrstr != NULL ? dberrstr : "FreeTDS error",
                 oserrstr != NULL && oserrstr[0] != '\0' ? ": " : "",
                 oserrstr != NULL ? oserrstr : "");
        set_msg(&c->error, dberr, severity < 11 ? 11 : severity, text);
    }
    if (c != NULL && (dbp == NULL || DBDEAD(dbp))) {
        c->dead = true;
    }
    return INT_CANCEL;
}

static int msg_handler(DBPROCESS *dbp, DBINT msgno, int msgstate, int severity, char *msgtext,
                       char *srvname, char *procname, int line)
{
    (void)msgstate, (void)srvname, (void)procname, (void)line;
    mkc_conn *c = conn_of(dbp);
    if (c == NULL) {
        return 0;
    }
    if (severity > 10) {
        if (c->error.number == 0) {
            set_msg(&c->error, (int)msgno, severity, msgtext);
        }
    } else if (c->n_infos < MKC_MAX_INFOS && msgno != 5701 && msgno != 5703) {
        set_msg(&c->infos[c->n_infos++], (int)msgno, severity, msgtext);
    }
    return 0;
}

/* ---- freetds.conf ---- */

typedef struct conf_lookup {
    const char *section;
    char host[256];
    unsigned port;
    bool found;
} conf_lookup;

static int lookup_handler(void *user, const char *section, const char *name, const char *value)
{
    conf_lookup *l = user;
    if (strcasecmp(section, l->section) != 0) {
        return 1;
    }
    l->found = true;
    if (strcasecmp(name, "host") == 0) {
        snprintf(l->host, sizeof(l->host), "%s", value);
    } else if (strcasecmp(name, "port") == 0) {
        char *end = NULL;
        unsigned long p = strtoul(value, &end, 10);
        l->port = (end != value && *end == '\0' && p > 0 && p < 65536) ? (unsigned)p : 0;
    }
    return 1;
}

/* A server name without a port: its host and port from the user's freetds.conf, else host:1433. */
static MK_RESULT resolve_name(const mkc_target *t, char *host, size_t hostlen, unsigned *port)
{
    const char *files[3] = {getenv("FREETDSCONF"), NULL, "/etc/freetds/freetds.conf"};
    char home_conf[512] = "";
    const char *home = getenv("HOME");
    if (home != NULL) {
        snprintf(home_conf, sizeof(home_conf), "%s/.freetds.conf", home);
        files[1] = home_conf;
    }
    for (size_t i = 0; i < 3; i++) {
        conf_lookup l = {.section = t->host};
        if (files[i] == NULL || access(files[i], R_OK) != 0 ||
            ini_parse(files[i], lookup_handler, &l) < 0 || !l.found) {
            continue;
        }
        ENSURE_MSG(l.host[0] != '\0', MK_E_INVALID, "%s: server '%s' in %s has no host", t->name,
                   t->host, files[i]);
        snprintf(host, hostlen, "%s", l.host);
        *port = l.port != 0 ? l.port : 1433;
        return MK_OK;
    }
    snprintf(host, hostlen, "%s", t->host);
    *port = 1433;
    return MK_OK;
}

/* Read the ca-file's first certificate: its SHA-256 and whether it is a lone self-signed one. */
static MK_RESULT inspect_ca(const mkc_target *t, char sha_hex[65], bool *pinned)
{
    FILE *f = fopen(t->ca_file, "r");
    ENSURE_MSG(f != NULL, MK_E_IO, "%s: cannot read ca-file %s: %s", t->name, t->ca_file,
               strerror(errno));
    X509 *first = PEM_read_X509(f, NULL, NULL, NULL);
    X509 *second = first != NULL ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
    fclose(f);
    mk_result res = MK_ERR;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    if (first == NULL) {
        (void)MK_RAISE(MK_E_INVALID, "%s: ca-file %s holds no PEM certificate", t->name,
                       t->ca_file);
        goto out;
    }
    if (X509_digest(first, EVP_sha256(), md, &mdlen) != 1) {
        (void)MK_RAISE(MK_E_CRYPTO, "%s: cannot hash the ca-file certificate", t->name);
        goto out;
    }
    for (unsigned i = 0; i < mdlen; i++) {
        snprintf(sha_hex + 2 * i, 3, "%02x", md[i]);
    }
    /* Self-signed: issuer = subject and its own key verifies it (CA:FALSE is normal here). */
    *pinned = second == NULL &&
              X509_NAME_cmp(X509_get_subject_name(first), X509_get_issuer_name(first)) == 0 &&
              X509_verify(first, X509_get0_pubkey(first)) == 1;
    res = MK_OK;
out:
    X509_free(first);
    X509_free(second);
    return res;
}

static MK_RESULT write_section(FILE *f, size_t i, const mkc_target *t)
{
    char host[256];
    unsigned port = t->port;
    bool pinned = false;
    if (port == 0) {
        GUARD(resolve_name(t, host, sizeof(host), &port));
    } else {
        snprintf(host, sizeof(host), "%s", t->host);
    }
    g_cert_sha[i][0] = '\0';
    if (!t->trust) {
        ENSURE_MSG(t->ca_file != NULL, MK_E_INVALID, "%s: no ca-file", t->name);
        GUARD(inspect_ca(t, g_cert_sha[i], &pinned));
    }
    fprintf(f, "[mk%zu]\n\thost = %s\n\tport = %u\n\ttds version = 7.4\n\tencryption = require\n",
            i, host, port);
    if (!t->trust) {
        fprintf(f, "\tca file = %s\n\tcheck certificate hostname = %s\n", t->ca_file,
                pinned ? "no" : "yes");
    }
    return MK_OK;
}

MK_RESULT mkc_global_init(const mkc_target *targets, size_t n)
{
    ENSURE_MSG(n <= MKC_MAX_TARGETS, MK_E_TOOBIG, "more than %d instances", MKC_MAX_TARGETS);
    const char *tmp = getenv("TMPDIR");
    snprintf(g_dir, sizeof(g_dir), "%s/mirrorkey-XXXXXX", tmp != NULL && tmp[0] ? tmp : "/tmp");
    ENSURE_MSG(mkdtemp(g_dir) != NULL, MK_E_IO, "cannot make a temporary directory: %s",
               strerror(errno));
    snprintf(g_conf, sizeof(g_conf), "%s/freetds.conf", g_dir);
    FILE *f = fopen(g_conf, "w");
    ENSURE_MSG(f != NULL, MK_E_IO, "cannot write %s: %s", g_conf, strerror(errno));
    fputs("[global]\n\ttds version = 7.4\n\tclient charset = UTF-8\n", f);
    for (size_t i = 0; i < n; i++) {
        if (mk_failed(write_section(f, i, &targets[i]))) {
            fclose(f);
            return MK_ERR;
        }
    }
    ENSURE_MSG(fclose(f) == 0, MK_E_IO, "cannot write %s", g_conf);
    g_n = n;
    ENSURE_MSG(setenv("FREETDSCONF", g_conf, 1) == 0, MK_E_IO, "setenv failed");
    ENSURE_MSG(dbinit() == SUCCEED, MK_E_INTERNAL, "db-lib initialisation failed");
    g_dblib_up = true;
    dberrhandle(err_handler);
    dbmsghandle(msg_handler);
    dbsetlogintime(MKC_LOGIN_TIMEOUT_S);
    dbsettime(MKC_QUERY_TIMEOUT_S);
    return MK_OK;
}

void mkc_global_cleanup(void)
{
    if (g_conf[0] != '\0') {
        unlink(g_conf);
        rmdir(g_dir);
        g_conf[0] = '\0';
    }
    if (g_dblib_up) {
        dbexit();
        g_dblib_up = false;
    }
}

const char *mkc_target_cert_sha256(size_t index) { return index < g_n ? g_cert_sha[index] : ""; }

/* ---- connections ---- */

MK_RESULT mkc_connect(size_t index, const char *login, const mk_secret *password, mkc_conn **out)
{
    mk_result res = MK_ERR;
    char section[32];
    char *pw = NULL;
    LOGINREC *lr = NULL;
    mkc_conn *c = calloc(1, sizeof(*c));
    ENSURE(c != NULL, MK_E_NOMEM);
    *out = NULL;
    snprintf(section, sizeof(section), "mk%zu", index);
    size_t pwlen = mk_secret_len(password);
    pw = OPENSSL_malloc(pwlen + 1);
    lr = dblogin();
    if (pw == NULL || lr == NULL) {
        (void)MK_RAISE(MK_E_NOMEM, NULL);
        goto out;
    }
    memcpy(pw, mk_secret_cdata(password), pwlen);
    pw[pwlen] = '\0';
    DBSETLUSER(lr, login);
    DBSETLPWD(lr, pw);
    DBSETLAPP(lr, "mirrorkey");
    DBSETLCHARSET(lr, "UTF-8");
    dbsetlversion(lr, DBVERSION_74);
    tl_opening = c;
    c->dbp = dbopen(lr, section);
    tl_opening = NULL;
    if (c->dbp == NULL) {
        (void)MK_RAISE(MK_E_IO, "cannot connect as %s: %s", login,
                       c->error.number != 0 ? c->error.text : "unknown reason");
        goto out;
    }
    dbsetuserdata(c->dbp, (BYTE *)c);
    *out = c;
    c = NULL;
    res = MK_OK;
out:
    OPENSSL_clear_free(pw, pwlen + 1);
    if (lr != NULL) {
        dbloginfree(lr);
    }
    free(c);
    return res;
}

void mkc_close(mkc_conn *c)
{
    if (c == NULL) {
        return;
    }
    if (c->dbp != NULL) {
        dbclose(c->dbp);
    }
    free(c);
}

const mkc_msg *mkc_last_error(const mkc_conn *c) { return &c->error; }
size_t mkc_info_count(const mkc_conn *c) { return c->n_infos; }
const mkc_msg *mkc_info(const mkc_conn *c, size_t i) { return &c->infos[i]; }

/* ---- results ---- */

static bool is_binary_type(int t) { return t == SYBBINARY || t == SYBVARBINARY || t == SYBIMAGE; }

static bool is_date_type(int t)
{
    return t == SYBDATETIME || t == SYBDATETIME4 || t == SYBDATETIMN;
}

/* One cell's value, copied: binary raw, datetime as "YYYY-MM-DD hh:mm:ss", the rest as text. */
static MK_RESULT read_cell(DBPROCESS *dbp, int col, mkc_cell *cell)
{
    BYTE *src = dbdata(dbp, col);
    DBINT len = dbdatlen(dbp, col);
    int type = dbcoltype(dbp, col);
    if (src == NULL || len < 0) {
        cell->is_null = true; /* db-lib's NULL: no data pointer */
        return MK_OK;
    }
    size_t cap = is_binary_type(type) ? (size_t)len + 1 : (size_t)len * 4 + 64;
    cell->data = calloc(1, cap);
    ENSURE(cell->data != NULL, MK_E_NOMEM);
    if (is_binary_type(type)) {
        cell->is_binary = true;
        memcpy(cell->data, src, (size_t)len);
        cell->len = (size_t)len;
        return MK_OK;
    }
    if (is_date_type(type)) {
        DBDATETIME dt;
        DBDATEREC rec;
        ENSURE(dbconvert(dbp, type, src, len, SYBDATETIME, (BYTE *)&dt, -1) > 0 &&
                   dbdatecrack(dbp, &rec, &dt) == SUCCEED,
               MK_E_INVALID);
        /* Sybase-compatible FreeTDS: months count from 0. */
        cell->len = (size_t)snprintf((char *)cell->data, cap, "%04d-%02d-%02d %02d:%02d:%02d",
                                     rec.dateyear, rec.datemonth + 1, rec.datedmonth, rec.datehour,
                                     rec.dateminute, rec.datesecond);
        return MK_OK;
    }
    DBINT n = dbconvert(dbp, type, src, len, SYBCHAR, cell->data, (DBINT)(cap - 1));
    ENSURE_MSG(n >= 0, MK_E_INVALID, "cannot convert a column of type %d", type);
    cell->data[n] = '\0';
    cell->len = strlen((char *)cell->data);
    return MK_OK;
}

static MK_RESULT read_rows(DBPROCESS *dbp, mkc_rows *r)
{
    int ncols = dbnumcols(dbp);
    ENSURE(ncols > 0, MK_E_INVALID);
    r->ncols = (size_t)ncols;
    r->names = calloc(r->ncols, sizeof(char *));
    ENSURE(r->names != NULL, MK_E_NOMEM);
    for (int i = 0; i < ncols; i++) {
        const char *name = dbcolname(dbp, i + 1);
        r->names[i] = strdup(name != NULL ? name : "");
        ENSURE(r->names[i] != NULL, MK_E_NOMEM);
    }
    size_t cap = 0;
    RETCODE rc;
    while ((rc = dbnextrow(dbp)) != NO_MORE_ROWS) {
        ENSURE(rc != FAIL, MK_E_IO);
        if (r->nrows == cap) {
            cap = cap == 0 ? 8 : cap * 2;
            mkc_cell *cells = realloc(r->cells, cap * r->ncols * sizeof(mkc_cell));
            ENSURE(cells != NULL, MK_E_NOMEM);
            r->cells = cells;
        }
        mkc_cell *row = &r->cells[r->nrows * r->ncols];
        memset(row, 0, r->ncols * sizeof(mkc_cell));
        r->nrows++;
        for (int i = 0; i < ncols; i++) {
            GUARD(read_cell(dbp, i + 1, &row[i]));
        }
    }
    return MK_OK;
}

/* Send the batch in the command buffer and drain every result; the first set goes to rows. */
static MK_RESULT run_batch(mkc_conn *c, mkc_rows *rows)
{
    bool have_rows = false;
    mk_result res = MK_OK;
    RETCODE rc = dbsqlexec(c->dbp);
    dbfreebuf(c->dbp);
    if (rc == FAIL && c->error.number == 0) {
        set_msg(&c->error, -1, 16, "the batch failed");
    }
    while (rc != FAIL && (rc = dbresults(c->dbp)) != NO_MORE_RESULTS && rc != FAIL) {
        if (dbnumcols(c->dbp) == 0) {
            continue;
        }
        if (rows != NULL && !have_rows) {
            have_rows = true;
            if (mk_failed(read_rows(c->dbp, rows))) {
                res = MK_ERR;
            }
        } else {
            while (dbnextrow(c->dbp) != NO_MORE_ROWS) {
            }
        }
    }
    if (DBDEAD(c->dbp)) {
        c->dead = true;
        if (c->error.number == 0) {
            set_msg(&c->error, -1, 20, "the connection was closed");
        }
    }
    ENSURE_MSG(c->error.number == 0, MK_E_STATE, "Msg %d: %s", c->error.number, c->error.text);
    return res;
}

static void reset_messages(mkc_conn *c)
{
    memset(&c->error, 0, sizeof(c->error));
    c->n_infos = 0;
}

MK_RESULT mkc_exec(mkc_conn *c, const char *sql, mkc_rows *rows)
{
    if (rows != NULL) {
        memset(rows, 0, sizeof(*rows));
    }
    ENSURE_MSG(!c->dead, MK_E_IO, "the connection is closed");
    reset_messages(c);
    ENSURE_MSG(dbcmd(c->dbp, sql) == SUCCEED, MK_E_NOMEM, "cannot queue the batch");
    return run_batch(c, rows);
}

MK_RESULT mkc_exec_secret(mkc_conn *c, const mk_secret *sql)
{
    ENSURE_MSG(!c->dead, MK_E_IO, "the connection is closed");
    reset_messages(c);
    size_t len = mk_secret_len(sql);
    char *text = OPENSSL_malloc(len + 1);
    ENSURE(text != NULL, MK_E_NOMEM);
    memcpy(text, mk_secret_cdata(sql), len);
    text[len] = '\0';
    RETCODE rc = dbcmd(c->dbp, text);
    OPENSSL_clear_free(text, len + 1);
    ENSURE_MSG(rc == SUCCEED, MK_E_NOMEM, "cannot queue the batch");
    return run_batch(c, NULL);
}

void mkc_rows_cleanup(mkc_rows *r)
{
    if (r == NULL) {
        return;
    }
    for (size_t i = 0; i < r->nrows * r->ncols; i++) {
        free(r->cells[i].data);
    }
    for (size_t i = 0; r->names != NULL && i < r->ncols; i++) {
        free(r->names[i]);
    }
    free(r->cells);
    free(r->names);
    memset(r, 0, sizeof(*r));
}

const mkc_cell *mkc_rows_get(const mkc_rows *r, size_t row, const char *col)
{
    if (r == NULL || row >= r->nrows) {
        return NULL;
    }
    for (size_t i = 0; i < r->ncols; i++) {
        if (strcasecmp(r->names[i], col) == 0) {
            return &r->cells[row * r->ncols + i];
        }
    }
    return NULL;
}

uint8_t *mkc_rows_take(mkc_rows *r, size_t row, const char *col, size_t *len)
{
    mkc_cell *c = (mkc_cell *)mkc_rows_get(r, row, col);
    if (c == NULL || c->is_null || !c->is_binary || c->len == 0) {
        return NULL;
    }
    uint8_t *data = c->data;
    *len = c->len;
    c->data = NULL;
    c->is_null = true;
    return data;
}

const char *mkc_text(const mkc_rows *r, size_t row, const char *col)
{
    const mkc_cell *c = mkc_rows_get(r, row, col);
    return c != NULL && !c->is_null && !c->is_binary ? (const char *)c->data : "";
}

long long mkc_int(const mkc_rows *r, size_t row, const char *col, long long dflt)
{
    const char *t = mkc_text(r, row, col);
    char *end = NULL;
    if (t[0] == '\0') {
        return dflt;
    }
    long long v = strtoll(t, &end, 10);
    return end != t && *end == '\0' ? v : dflt;
}
