/*
 * CREATE / DROP DATABASE and ALTER DATABASE ... SET PARTNER / WITNESS
 * through exec_batch over a real catalog, with a FAKE mirror hook that
 * records every request and answers from a script (the real endpoint side is
 * tested with real daemons in tests/integration/endpoint):
 *   - 1801, 3701 (class 11; IF EXISTS), 3708, 3743, 5011 (class 14), 226
 *     inside BEGIN TRANSACTION, 50114 for system databases, 40508 for names
 *     and options mirrorkey refuses, 15247 for non-admins;
 *   - SET PARTNER: 1449 (addresses), 1405, 1418 (undeliverable, no hook),
 *     1452, 1410, a peer's other number; the mirror-first rule (a 1416 answer
 *     makes this instance the MIRROR, waiting; 0 the PRINCIPAL with the
 *     partner's instance name); a JOIN the partner accepted is undone with
 *     LEAVE when the statement then fails;
 *   - SET PARTNER OFF sends LEAVE (best effort), SET WITNESS (1416, 50115,
 *     1449, 1429, 1418, 1447, the peer's number; PROBE_WITNESS then
 *     SET_WITNESS to the partner), SET WITNESS OFF;
 *   - every refusal leaves sys.databases and sys.database_mirroring as they
 *     were, and the change hook sees EXEC_CHANGE_DATABASE only on success.
 */
#include "catalog/databases.h"
#include "ddl_record.h"
#include "exec_fixture.h"

#define MAX_REQ 16
#define NAME_LEN 200

/* One scripted answer: fail (undeliverable), else number and the answering instance. */
typedef struct answer {
    bool fail;
    int number;
    const char *instance;
    int32_t cert; /* the certificate_id the answering instance presented */
    bool drop_db; /* sabotage: drop the database inside the statement (a later catalog failure) */
} answer;

typedef struct seen {
    exec_mirror_op op;
    char database[NAME_LEN];
    char address[NAME_LEN];
    char witness[NAME_LEN];
} seen;

typedef struct harness {
    fixture *f;
    answer script[MAX_REQ];
    int nscript;
    int next;
    seen req[MAX_REQ];
    int nreq;
    int nchanges;
    exec_change_kind kinds[MAX_REQ];
    char names[MAX_REQ][NAME_LEN];
} harness;

static mk_result fake_mirror(void *arg, const exec_mirror_request *req, exec_mirror_reply *reply)
{
    harness *h = arg;
    assert_true(h->nreq < MAX_REQ);
    seen *s = &h->req[h->nreq++];
    s->op = req->op;
    snprintf(s->database, sizeof(s->database), "%s", req->database);
    snprintf(s->address, sizeof(s->address), "%s", req->address);
    snprintf(s->witness, sizeof(s->witness), "%s", req->witness != NULL ? req->witness : "(null)");
    if (h->next >= h->nscript) {
        return MK_RAISE(MK_E_IO, "no scripted answer");
    }
    const answer *a = &h->script[h->next++];
    if (a->drop_db) {
        assert_true(mk_ok(cat_database_drop(h->f->db, req->database)));
    }
    if (a->fail) {
        return MK_RAISE(MK_E_IO, "connect to %s: connection refused", req->address);
    }
    reply->number = a->number;
    snprintf(reply->peer_instance, sizeof(reply->peer_instance), "%s",
             a->instance != NULL ? a->instance : "");
    reply->peer_certificate_id = a->cert;
    return MK_OK;
}

static void fake_change(void *arg, exec_change_kind kind, const char *name)
{
    harness *h = arg;
    assert_true(h->nchanges < MAX_REQ);
    h->kinds[h->nchanges] = kind;
    snprintf(h->names[h->nchanges], NAME_LEN, "%s", name);
    h->nchanges++;
}

static int setup_with(void **state, bool hook)
{
    harness *h = calloc(1, sizeof(*h));
    assert_non_null(h);
    exec_instance_config cfg = {.server_name = "HOST_B",
                                .on_change = fake_change,
                                .on_change_arg = h,
                                .mirror = hook ? fake_mirror : NULL,
                                .hook_arg = h};
    h->f = exec_fixture_new_cfg(&cfg);
    *state = h;
    return 0;
}

static int setup(void **state) { return setup_with(state, true); }
static int setup_no_hook(void **state) { return setup_with(state, false); }

static int teardown(void **state)
{
    harness *h = *state;
    exec_fixture_free(h->f);
    free(h);
    return 0;
}

/* Script the next answers and forget what was seen. */
static void expect(harness *h, const answer *a, int n)
{
    memset(h->script, 0, sizeof(h->script));
    for (int i = 0; i < n; i++) {
        h->script[i] = a[i];
    }
    h->nscript = n;
    h->next = 0;
    h->nreq = 0;
    h->nchanges = 0;
}

/* Both views as one string, to show that a refused statement changed nothing. */
static void snapshot(harness *h, char *out, size_t n)
{
    static const char *const views[] = {"SELECT * FROM sys.databases",
                                        "SELECT * FROM sys.database_mirroring"};
    size_t o = 0;
    out[0] = '\0';
    for (size_t v = 0; v < 2; v++) {
        record *r = rec_run(h->f->admin, views[v]);
        assert_int_equal(rec_error(r), 0);
        for (size_t row = 0; row < r->nrows; row++) {
            for (size_t c = 0; c < r->ncols; c++) {
                o += (size_t)snprintf(out + o, n - o, "%s|", r->cells[row][c]);
                assert_true(o < n);
            }
            o += (size_t)snprintf(out + o, n - o, "\n");
        }
        free(r);
    }
}

/* Run sql, expect error num, and that neither view nor the change hook saw anything. */
static void refused(harness *h, const char *sql, int num)
{
    static char before[16384];
    static char after[16384];
    snapshot(h, before, sizeof(before));
    int changes = h->nchanges;
    RUN_ERR(h->f->admin, sql, num);
    snapshot(h, after, sizeof(after));
    assert_string_equal(before, after);
    assert_int_equal(h->nchanges, changes);
}

/* The message text of the error sql gives. */
static void error_text(harness *h, const char *sql, char *out, size_t n)
{
    record *r = rec_run(h->f->admin, sql);
    assert_true(r->nmsg > 0);
    snprintf(out, n, "%s", r->msg[0].text);
    free(r);
}

static const char *mirroring(harness *h, const char *col, char *out)
{
    return rec_value(h->f->admin, "SELECT * FROM sys.database_mirroring WHERE database_id = 5", col,
                     out, REC_CELL);
}

static void assert_request(const harness *h, int i, exec_mirror_op op, const char *address,
                           const char *witness)
{
    assert_true(i < h->nreq);
    assert_int_equal(h->req[i].op, op);
    assert_string_equal(h->req[i].database, "db");
    assert_string_equal(h->req[i].address, address);
    if (witness != NULL) {
        assert_string_equal(h->req[i].witness, witness);
    }
}

static void assert_changed(const harness *h, const char *name)
{
    assert_int_equal(h->nchanges, 1);
    assert_int_equal(h->kinds[0], EXEC_CHANGE_DATABASE);
    assert_string_equal(h->names[0], name);
}

static void test_create_drop(void **state)
{
    harness *h = *state;
    char v[REC_CELL];
    expect(h, NULL, 0);
    RUN_OK(h->f->admin, "CREATE DATABASE db");
    assert_changed(h, "db");
    assert_string_equal(rec_value(h->f->admin, "SELECT * FROM sys.databases WHERE name = 'db'",
                                  "database_id", v, sizeof(v)),
                        "5");
    assert_string_equal(mirroring(h, "mirroring_guid", v), "NULL");
    h->nchanges = 0;
    refused(h, "CREATE DATABASE DB", 1801);
    refused(h, "CREATE DATABASE master", 1801);
    error_text(h, "CREATE DATABASE db", v, sizeof(v));
    assert_string_equal(v, "Database 'db' already exists. Choose a different database name.");
    refused(h, "CREATE DATABASE [a\tb]", 40508);
    /* 65 characters, 130 bytes: the parser's limit is characters, the catalog's bytes. */
    char sql[400] = "CREATE DATABASE [";
    for (int i = 0; i < 65; i++) {
        strcat(sql, "\xc3\xa9");
    }
    strcat(sql, "]");
    refused(h, sql, 40508);
    refused(h, "DROP DATABASE master", 3708);
    refused(h, "DROP DATABASE IF EXISTS msdb", 3708);
    refused(h, "DROP DATABASE tempdb", 3708);
    refused(h, "DROP DATABASE model", 3708);
    refused(h, "DROP DATABASE nope", 3701);
    record *r = rec_run(h->f->admin, "DROP DATABASE nope");
    assert_int_equal(r->msg[0].cls, 11);
    assert_string_equal(r->msg[0].text, "Cannot drop the database 'nope', because it does not "
                                        "exist or you do not have permission.");
    free(r);
    RUN_OK(h->f->admin, "DROP DATABASE IF EXISTS nope");
    assert_int_equal(h->nchanges, 0);
    /* Not sysadmin: 15247, nothing changes. */
    RUN_ERR(h->f->peer, "CREATE DATABASE other", 15247);
    RUN_ERR(h->f->peer, "DROP DATABASE db", 15247);
    RUN_ERR(h->f->peer, "ALTER DATABASE db SET PARTNER OFF", 15247);
    assert_int_equal(rec_count(h->f->admin, "SELECT * FROM sys.databases"), 5);
    assert_int_equal(h->nchanges, 0);
    RUN_OK(h->f->admin, "DROP DATABASE DB");
    assert_changed(h, "db");
    assert_int_equal(rec_count(h->f->admin, "SELECT * FROM sys.databases"), 4);
    assert_int_equal(h->nreq, 0);
}

static void test_inside_transaction(void **state)
{
    harness *h = *state;
    char v[REC_CELL];
    RUN_OK(h->f->admin, "CREATE DATABASE db");
    expect(h, (answer[]){{.number = 0, .instance = "HOST_A"}}, 1);
    RUN_OK(h->f->admin, "BEGIN TRANSACTION");
    refused(h, "CREATE DATABASE other", 226);
    refused(h, "DROP DATABASE db", 226);
    refused(h, "ALTER DATABASE db SET PARTNER = 'TCP://a:5022'", 226);
    error_text(h, "ALTER DATABASE db SET PARTNER = 'TCP://a:5022'", v, sizeof(v));
    assert_string_equal(v, "ALTER DATABASE statement not allowed within multi-statement "
                           "transaction.");
    error_text(h, "DROP DATABASE db", v, sizeof(v));
    assert_string_equal(v, "DROP DATABASE statement not allowed within multi-statement "
                           "transaction.");
    RUN_OK(h->f->admin, "COMMIT");
    assert_int_equal(h->nreq, 0);
    RUN_OK(h->f->admin, "ALTER DATABASE db SET PARTNER = 'TCP://a:5022'");
    assert_int_equal(h->nreq, 1);
}

static void test_alter_which_database(void **state)
{
    harness *h = *state;
    char v[REC_CELL];
    expect(h, NULL, 0);
    refused(h, "ALTER DATABASE nope SET PARTNER = 'TCP://a:5022'", 5011);
    record *r = rec_run(h->f->admin, "ALTER DATABASE nope SET WITNESS OFF");
    assert_int_equal(r->msg[0].number, 5011);
    assert_int_equal(r->msg[0].cls, 14);
    free(r);
    refused(h, "ALTER DATABASE master SET PARTNER = 'TCP://a:5022'", 50114);
    refused(h, "ALTER DATABASE msdb SET WITNESS OFF", 50114);
    refused(h, "ALTER DATABASE tempdb SET PARTNER OFF", 50114);
    error_text(h, "ALTER DATABASE model SET PARTNER SAFETY FULL", v, sizeof(v));
    assert_string_equal(v, "Database mirroring is not available for the system database 'model'.");
    assert_int_equal(h->nreq, 0);
}

static void test_partner_address(void **state)
{
    harness *h = *state;
    static const char *const bad[] = {
        "a:5022",
        "TCP://:5022",
        "TCP://a",
        "TCP://a:",
        "TCP://a:0",
        "TCP://a:65536",
        "TCP://a:50x2",
        "UDP://a:5022",
        "TCP://a b:5022",
        "TCP://a:5022/",
        "TCP://a/b:5022",
        "TCP://u@a:5022",
        "TCP:/a:5022",
        "TCP://a:123456",
        "",
        "TCP://\xc3\xa9:5022",
    };
    char sql[600];
    RUN_OK(h->f->admin, "CREATE DATABASE db");
    expect(h, NULL, 0);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(sql, sizeof(sql), "ALTER DATABASE db SET PARTNER = '%s'", bad[i]);
        refused(h, sql, 1449);
    }
    /* Longer than a catalog address (128). */
    char host[200];
    memset(host, 'h', 130);
    host[130] = '\0';
    snprintf(sql, sizeof(sql), "ALTER DATABASE db SET PARTNER = 'TCP://%s:5022'", host);
    refused(h, sql, 1449);
    assert_int_equal(h->nreq, 0);
    /* Accepted: any case, names, IPv4 and bracketed IPv6 (the hook is asked). */
    expect(h, (answer[]){{.fail = true}, {.fail = true}, {.fail = true}}, 3);
    refused(h, "ALTER DATABASE db SET PARTNER = 'tcp://host-a.example.com:5022'", 1418);
    refused(h, "ALTER DATABASE db SET PARTNER = 'TCP://10.0.0.1:1'", 1418);
    refused(h, "ALTER DATABASE db SET PARTNER = 'Tcp://[::1]:65535'", 1418);
    assert_int_equal(h->nreq, 3);
    assert_request(h, 0, EXEC_MIRROR_JOIN, "tcp://host-a.example.com:5022", NULL);
}

/* SQL Server's order: SET PARTNER on the mirror first, then on the principal. */
static void test_mirror_first(void **state)
{
    harness *h = *state;
    char v[REC_CELL];
    RUN_OK(h->f->admin, "CREATE DATABASE db");
    /* The principal has no session yet: it answers 1416, and this instance waits as MIRROR. */
    expect(h, (answer[]){{.number = 1416, .instance = "HOST_A", .cert = 9}}, 1);
    RUN_OK(h->f->admin, "ALTER DATABASE db SET PARTNER = 'TCP://host_a.example:5022'");
    assert_int_equal(h->nreq, 1);
    cat_database d;
    assert_true(mk_ok(cat_database_get(h->f->db, "db", &d)));
    assert_int_equal(d.mirroring.partner_cert_id, 9); /* only that principal may join */
    assert_request(h, 0, EXEC_MIRROR_JOIN, "TCP://host_a.example:5022", NULL);
    assert_changed(h, "db");
    assert_string_equal(mirroring(h, "mirroring_role", v), "2");
    assert_string_equal(mirroring(h, "mirroring_role_desc", v), "MIRROR");
    assert_string_equal(mirroring(h, "mirroring_partner_name", v), "TCP://host_a.example:5022");
    assert_string_equal(mirroring(h, "mirroring_partner_instance", v), "NULL");
    assert_string_equal(mirroring(h, "mirroring_witness_name", v), "NULL");
    assert_string_equal(mirroring(h, "mirroring_safety_level_desc", v), "FULL");
    assert_true(strcmp(mirroring(h, "mirroring_guid", v), "NULL") != 0);
    /* Already in a session: 1405 before anyone is asked. */
    expect(h, NULL, 0);
    refused(h, "ALTER DATABASE db SET PARTNER = 'TCP://other:5022'", 1405);
    error_text(h, "ALTER DATABASE db SET PARTNER = 'TCP://other:5022'", v, sizeof(v));
    assert_string_equal(v, "The database \"db\" is already enabled for database mirroring.");
    assert_int_equal(h->nreq, 0);
    /* A waiting mirror cannot take a witness (50115); it can drop the session without LEAVE. */
    refused(h, "ALTER DATABASE db SET WITNESS = 'TCP://w:5022'", 50115);
    refused(h, "ALTER DATABASE db SET WITNESS OFF", 50115);
    RUN_OK(h->f->admin, "ALTER DATABASE db SET PARTNER OFF");
    assert_int_equal(h->nreq, 0);
    assert_changed(h, "db");
    assert_string_equal(mirroring(h, "mirroring_guid", v), "NULL");
}

static void join_as_principal(harness *h)
{
    RUN_OK(h->f->admin, "CREATE DATABASE db");
    expect(h, (answer[]){{.number = 0, .instance = "HOST_A"}}, 1);
    RUN_OK(h->f->admin, "ALTER DATABASE db SET PARTNER = 'TCP://host_a:5022'");
    expect(h, NULL, 0);
}

static void test_principal(void **state)
{
    harness *h = *state;
    char v[REC_CELL];
    RUN_OK(h->f->admin, "CREATE DATABASE db");
    expect(h, (answer[]){{.number = 0, .instance = "HOST_A", .cert = 7}}, 1);
    RUN_OK(h->f->admin, "ALTER DATABASE db SET PARTNER = 'TCP://host_a:5022'");
    assert_int_equal(h->nreq, 1); /* no LEAVE: the statement committed */
    cat_database d;
    assert_true(mk_ok(cat_database_get(h->f->db, "db", &d)));
    assert_int_equal(d.mirroring.partner_cert_id, 7); /* pinned to the certificate that answered */
    assert_request(h, 0, EXEC_MIRROR_JOIN, "TCP://host_a:5022", NULL);
    assert_changed(h, "db");
    assert_string_equal(mirroring(h, "mirroring_role", v), "1");
    assert_string_equal(mirroring(h, "mirroring_role_desc", v), "PRINCIPAL");
    assert_string_equal(mirroring(h, "mirroring_partner_name", v), "TCP://host_a:5022");
    assert_string_equal(mirroring(h, "mirroring_partner_instance", v), "HOST_A");
    /* Mirrored: DROP DATABASE refused until PARTNER OFF. */
    expect(h, NULL, 0);
    refused(h, "DROP DATABASE db", 3743);
    error_text(h, "DROP DATABASE db", v, sizeof(v));
    assert_string_equal(v, "The database 'db' is enabled for database mirroring. Database "
                           "mirroring must be removed before you drop the database.");
    /* SAFETY FULL is what every session runs with: accepted, nothing changes. */
    RUN_OK(h->f->admin, "ALTER DATABASE db SET PARTNER SAFETY FULL");
    assert_int_equal(h->nchanges, 0);
    assert_int_equal(h->nreq, 0);
}

static void test_join_refusals(void **state)
{
    harness *h = *state;
    char v[REC_CELL];
    RUN_OK(h->f->admin, "CREATE DATABASE db");
    expect(h, (answer[]){{.fail = true}}, 1);
    refused(h, "ALTER DATABASE db SET PARTNER = 'TCP://host_a:5022'", 1418);
    expect(h, (answer[]){{.fail = true}}, 1);
    error_text(h, "ALTER DATABASE db SET PARTNER = 'TCP://host_a:5022'", v, sizeof(v));
    assert_string_equal(v, "The server network address \"TCP://host_a:5022\" can not be reached "
                           "or does not exist. Check the network address name and that the ports "
                           "for the local and remote endpoints are operational.");
    assert_null(
        strstr(v, "refused")); /* the hook's reason is the endpoint log's, not the client's */
    /* The partner is this instance (any case): 1452; a JOIN it accepted is undone. */
    expect(h, (answer[]){{.number = 0, .instance = "host_b"}, {.number = 0}}, 2);
    refused(h, "ALTER DATABASE db SET PARTNER = 'TCP://me:5022'", 1452);
    assert_int_equal(h->nreq, 2);
    assert_request(h, 0, EXEC_MIRROR_JOIN, "TCP://me:5022", NULL);
    assert_request(h, 1, EXEC_MIRROR_LEAVE, "TCP://me:5022", NULL);
    expect(h, (answer[]){{.number = 1416, .instance = "HOST_B"}}, 1);
    refused(h, "ALTER DATABASE db SET PARTNER = 'TCP://me:5022'", 1452);
    assert_int_equal(h->nreq, 1); /* not joined: nothing to undo */
    expect(h, (answer[]){{.number = 1410, .instance = "HOST_A"}}, 1);
    refused(h, "ALTER DATABASE db SET PARTNER = 'TCP://host_a:5022'", 1410);
    expect(h, (answer[]){{.number = 1410, .instance = "HOST_A"}}, 1);
    error_text(h, "ALTER DATABASE db SET PARTNER = 'TCP://host_a:5022'", v, sizeof(v));
    assert_string_equal(v, "The remote copy of database \"db\" is already enabled for database "
                           "mirroring.");
    expect(h, (answer[]){{.number = 1478, .instance = "HOST_A"}}, 1);
    refused(h, "ALTER DATABASE db SET PARTNER = 'TCP://host_a:5022'", 1478);
    assert_int_equal(h->nreq, 1);
    /* Joined, then the catalog write fails (the database vanished): LEAVE undoes the JOIN. */
    expect(h, (answer[]){{.number = 0, .instance = "HOST_A", .drop_db = true}, {.number = 0}}, 2);
    refused(h, "ALTER DATABASE db SET PARTNER = 'TCP://host_a:5022'", 15151);
    assert_int_equal(h->nreq, 2);
    assert_request(h, 1, EXEC_MIRROR_LEAVE, "TCP://host_a:5022", NULL);
    assert_int_equal(rec_count(h->f->admin, "SELECT * FROM sys.databases WHERE name = 'db'"), 1);
}

static void test_no_hook(void **state)
{
    harness *h = *state;
    RUN_OK(h->f->admin, "CREATE DATABASE db");
    expect(h, NULL, 0);
    refused(h, "ALTER DATABASE db SET PARTNER = 'TCP://host_a:5022'", 1418);
    /* A session stored by hand (as if the hook had been there) can still be ended. */
    cat_mirroring m = {.role = CAT_MIR_PRINCIPAL, .state = CAT_MIR_DISCONNECTED};
    snprintf(m.partner_name, sizeof(m.partner_name), "TCP://host_a:5022");
    snprintf(m.partner_instance, sizeof(m.partner_instance), "HOST_A");
    assert_true(mk_ok(cat_database_set_mirroring(h->f->db, "db", &m)));
    refused(h, "ALTER DATABASE db SET WITNESS = 'TCP://w:5022'", 1418);
    RUN_OK(h->f->admin, "ALTER DATABASE db SET PARTNER OFF");
    assert_changed(h, "db");
    assert_int_equal(h->nreq, 0);
}

static void test_partner_off(void **state)
{
    harness *h = *state;
    char v[REC_CELL];
    join_as_principal(h);
    expect(h, (answer[]){{.number = 0}}, 1);
    RUN_OK(h->f->admin, "ALTER DATABASE db SET PARTNER OFF");
    assert_int_equal(h->nreq, 1);
    assert_request(h, 0, EXEC_MIRROR_LEAVE, "TCP://host_a:5022", NULL);
    assert_changed(h, "db");
    assert_string_equal(mirroring(h, "mirroring_guid", v), "NULL");
    assert_string_equal(mirroring(h, "mirroring_partner_name", v), "NULL");
    /* Not mirrored any more: 1416, nobody asked. */
    expect(h, NULL, 0);
    refused(h, "ALTER DATABASE db SET PARTNER OFF", 1416);
    error_text(h, "ALTER DATABASE db SET PARTNER OFF", v, sizeof(v));
    assert_string_equal(v, "Database \"db\" is not configured for database mirroring.");
    refused(h, "ALTER DATABASE db SET PARTNER SAFETY FULL", 1416);
    assert_int_equal(h->nreq, 0);
    /* An undeliverable LEAVE does not fail PARTNER OFF (the partner may be down). */
    RUN_OK(h->f->admin, "DROP DATABASE db");
    join_as_principal(h);
    expect(h, (answer[]){{.fail = true}}, 1);
    RUN_OK(h->f->admin, "ALTER DATABASE db SET PARTNER OFF");
    assert_int_equal(h->nreq, 1);
    assert_changed(h, "db");
    RUN_OK(h->f->admin, "DROP DATABASE db");
}

static void test_partner_options(void **state)
{
    harness *h = *state;
    static const char *const opts[] = {"FAILOVER",   "FORCE_SERVICE_ALLOW_DATA_LOSS",
                                       "RESUME",     "SUSPEND",
                                       "SAFETY OFF", "TIMEOUT 10"};
    char sql[200];
    join_as_principal(h);
    for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
        snprintf(sql, sizeof(sql), "ALTER DATABASE db SET PARTNER %s", opts[i]);
        refused(h, sql, 40508);
    }
    char v[REC_CELL];
    error_text(h, "ALTER DATABASE db SET PARTNER FAILOVER", v, sizeof(v));
    assert_non_null(strstr(v, "FAILOVER is not supported by mirrorkey"));
    assert_int_equal(h->nreq, 0);
}

static void test_witness(void **state)
{
    harness *h = *state;
    char v[REC_CELL];
    RUN_OK(h->f->admin, "CREATE DATABASE db");
    expect(h, NULL, 0);
    refused(h, "ALTER DATABASE db SET WITNESS = 'TCP://w:5022'", 1416);
    RUN_OK(h->f->admin, "DROP DATABASE db");
    join_as_principal(h);
    refused(h, "ALTER DATABASE db SET WITNESS = 'w:5022'", 1449);
    refused(h, "ALTER DATABASE db SET WITNESS = 'tcp://HOST_A:5022'", 1429);
    assert_int_equal(h->nreq, 0);
    /* The witness cannot be reached: 1418 naming the witness's address. */
    expect(h, (answer[]){{.fail = true}}, 1);
    refused(h, "ALTER DATABASE db SET WITNESS = 'TCP://w:5022'", 1418);
    expect(h, (answer[]){{.fail = true}}, 1);
    error_text(h, "ALTER DATABASE db SET WITNESS = 'TCP://w:5022'", v, sizeof(v));
    assert_non_null(strstr(v, "\"TCP://w:5022\" can not be reached"));
    /* The witness is this instance or the partner under another address: 1429. */
    expect(h, (answer[]){{.number = 0, .instance = "Host_B"}}, 1);
    refused(h, "ALTER DATABASE db SET WITNESS = 'TCP://w:5022'", 1429);
    expect(h, (answer[]){{.number = 0, .instance = "host_a"}}, 1);
    refused(h, "ALTER DATABASE db SET WITNESS = 'TCP://w:5022'", 1429);
    assert_int_equal(h->nreq, 1);
    /* The partner cannot be told: 1447; it refuses: its number. */
    expect(h, (answer[]){{.number = 0, .instance = "WIT"}, {.fail = true}}, 2);
    refused(h, "ALTER DATABASE db SET WITNESS = 'TCP://w:5022'", 1447);
    assert_int_equal(h->nreq, 2);
    expect(h, (answer[]){{.number = 0, .instance = "WIT"}, {.number = 1416, .instance = "HOST_A"}},
           2);
    refused(h, "ALTER DATABASE db SET WITNESS = 'TCP://w:5022'", 1416);
    /* The partner took it, then the catalog write failed: the partner gets the old witness back. */
    expect(h,
           (answer[]){{.number = 0, .instance = "WIT"},
                      {.number = 0, .instance = "HOST_A", .drop_db = true},
                      {.number = 0}},
           3);
    refused(h, "ALTER DATABASE db SET WITNESS = 'TCP://w:5022'", 15151);
    assert_int_equal(h->nreq, 3);
    assert_request(h, 2, EXEC_MIRROR_SET_WITNESS, "TCP://host_a:5022", "");
    /* Success: probe the witness, tell the partner, store. */
    expect(h, (answer[]){{.number = 0, .instance = "WIT"}, {.number = 0, .instance = "HOST_A"}}, 2);
    RUN_OK(h->f->admin, "ALTER DATABASE db SET WITNESS = 'TCP://w:5022'");
    assert_int_equal(h->nreq, 2);
    assert_request(h, 0, EXEC_MIRROR_PROBE_WITNESS, "TCP://w:5022", NULL);
    assert_request(h, 1, EXEC_MIRROR_SET_WITNESS, "TCP://host_a:5022", "TCP://w:5022");
    assert_changed(h, "db");
    assert_string_equal(mirroring(h, "mirroring_witness_name", v), "TCP://w:5022");
    assert_string_equal(mirroring(h, "mirroring_role_desc", v), "PRINCIPAL");
    assert_string_equal(mirroring(h, "mirroring_partner_instance", v), "HOST_A");
}

static void test_witness_off(void **state)
{
    harness *h = *state;
    char v[REC_CELL];
    RUN_OK(h->f->admin, "CREATE DATABASE db");
    expect(h, NULL, 0);
    refused(h, "ALTER DATABASE db SET WITNESS OFF", 1416);
    RUN_OK(h->f->admin, "DROP DATABASE db");
    join_as_principal(h);
    /* No witness: nothing to do, nobody told, no change. */
    RUN_OK(h->f->admin, "ALTER DATABASE db SET WITNESS OFF");
    assert_int_equal(h->nreq, 0);
    assert_int_equal(h->nchanges, 0);
    expect(h, (answer[]){{.number = 0, .instance = "WIT"}, {.number = 0, .instance = "HOST_A"}}, 2);
    RUN_OK(h->f->admin, "ALTER DATABASE db SET WITNESS = 'TCP://w:5022'");
    expect(h, (answer[]){{.number = 0}}, 1);
    RUN_OK(h->f->admin, "ALTER DATABASE db SET WITNESS OFF");
    assert_int_equal(h->nreq, 1);
    assert_request(h, 0, EXEC_MIRROR_SET_WITNESS, "TCP://host_a:5022", "");
    assert_changed(h, "db");
    assert_string_equal(mirroring(h, "mirroring_witness_name", v), "NULL");
    assert_string_equal(mirroring(h, "mirroring_partner_instance", v), "HOST_A");
    /* Best effort: a partner that cannot be told does not fail WITNESS OFF. */
    expect(h, (answer[]){{.number = 0, .instance = "WIT"}, {.number = 0, .instance = "HOST_A"}}, 2);
    RUN_OK(h->f->admin, "ALTER DATABASE db SET WITNESS = 'TCP://w2:5022'");
    expect(h, (answer[]){{.fail = true}}, 1);
    RUN_OK(h->f->admin, "ALTER DATABASE db SET WITNESS OFF");
    assert_int_equal(h->nreq, 1);
    assert_changed(h, "db");
    assert_string_equal(mirroring(h, "mirroring_witness_name", v), "NULL");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create_drop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_inside_transaction, setup, teardown),
        cmocka_unit_test_setup_teardown(test_alter_which_database, setup, teardown),
        cmocka_unit_test_setup_teardown(test_partner_address, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mirror_first, setup, teardown),
        cmocka_unit_test_setup_teardown(test_principal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_join_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_hook, setup_no_hook, teardown),
        cmocka_unit_test_setup_teardown(test_partner_off, setup, teardown),
        cmocka_unit_test_setup_teardown(test_partner_options, setup, teardown),
        cmocka_unit_test_setup_teardown(test_witness, setup, teardown),
        cmocka_unit_test_setup_teardown(test_witness_off, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
