/*
 * CREATE / ALTER ENDPOINT and the port hook (exec_port_check_fn), against a
 * real token (an endpoint needs a certificate with its key on the token),
 * with a FAKE port hook that records its calls and calls one port busy:
 *   - 7890 when the statement would make the endpoint listen on a port
 *     another process holds, and then nothing changes (views, change hook);
 *   - the hook is asked only when the endpoint is to listen somewhere new:
 *     created STARTED or STOPPED, a new port or address, out of DISABLED;
 *     never for DISABLED, nor for an ALTER that leaves the listener alone;
 *   - other hook failures do not refuse the statement.
 */
#include "catalog/endpoints.h"
#include "ddl_fixture.h"

#define BUSY_PORT 7024
#define MAX_CALLS 16

typedef struct ports {
    int ncalls;
    char ip[MAX_CALLS][64];
    int port[MAX_CALLS];
    bool fail_other; /* answer MK_E_IO for every port */
} ports;

static ports g_ports;

static mk_result fake_port_check(void *arg, const char *ip, int port)
{
    ports *p = arg;
    assert_true(p->ncalls < MAX_CALLS);
    snprintf(p->ip[p->ncalls], sizeof(p->ip[0]), "%s", ip);
    p->port[p->ncalls++] = port;
    if (p->fail_other) {
        return MK_RAISE(MK_E_IO, "cannot create a socket");
    }
    if (port == BUSY_PORT) {
        return MK_RAISE(MK_E_EXISTS, "port %d is held by another process", port);
    }
    return MK_OK;
}

static int setup(void **state)
{
    if (fx_setup_ec(state) != 0) {
        return -1;
    }
    fx *f = *state;
    memset(&g_ports, 0, sizeof(g_ports));
    fx_inst_stop(&f->a);
    f->a.port_check = fake_port_check;
    f->a.hook_arg = &g_ports;
    fx_inst_start(&f->a, f->libctx, P11_KEY_EC);
    return 0;
}

/* A master key and an HS certificate for the endpoint. */
static void prepare(fx_inst *a)
{
    RUN_OK(a->admin, "CREATE MASTER KEY ENCRYPTION BY PASSWORD = '<1_Strong_Password!>'");
    RUN_OK(a->admin, "CREATE CERTIFICATE HOST_A_cert WITH SUBJECT = 'HOST_A'");
    a->nchanges = 0;
    g_ports.ncalls = 0;
}

#define EP_TAIL " FOR DATABASE_MIRRORING (AUTHENTICATION = CERTIFICATE HOST_A_cert, ROLE = PARTNER)"

static void test_create(void **state)
{
    fx *f = *state;
    fx_inst *a = &f->a;
    prepare(a);
    /* Default STOPPED listens: the busy port refuses the statement, nothing is created. */
    RUN_ERR(a->admin, "CREATE ENDPOINT e AS TCP (LISTENER_PORT = 7024)" EP_TAIL, 7890);
    assert_int_equal(g_ports.ncalls, 1);
    assert_string_equal(g_ports.ip[0], "");
    assert_int_equal(g_ports.port[0], BUSY_PORT);
    assert_int_equal(rec_count(a->admin, "SELECT * FROM sys.endpoints"), 0);
    assert_int_equal(a->nchanges, 0);
    record *r = rec_run(a->admin, "CREATE ENDPOINT e STATE = STARTED AS TCP (LISTENER_PORT = "
                                  "7024)" EP_TAIL);
    assert_int_equal(r->msg[0].number, 7890);
    assert_int_equal(r->msg[0].cls, 16);
    assert_string_equal(r->msg[0].text,
                        "An error occurred while attempting to register the endpoint 'e'. One or "
                        "more of the ports specified in the CREATE ENDPOINT statement may be bound "
                        "to another process. Attempt the statement again with a different port or "
                        "use netstat to find the application currently using the port and resolve "
                        "the conflict.");
    free(r);
    assert_int_equal(rec_count(a->admin, "SELECT * FROM sys.endpoints"), 0);
    /* DISABLED does not listen: not asked. */
    g_ports.ncalls = 0;
    RUN_OK(a->admin, "CREATE ENDPOINT e STATE = DISABLED AS TCP (LISTENER_PORT = 7024)" EP_TAIL);
    assert_int_equal(g_ports.ncalls, 0);
    RUN_OK(a->admin, "DROP ENDPOINT e");
    /* A free port, with an address: asked with that address. */
    RUN_OK(a->admin, "CREATE ENDPOINT e STATE = STARTED AS TCP (LISTENER_PORT = 7025, "
                     "LISTENER_IP = (127.0.0.1))" EP_TAIL);
    assert_int_equal(g_ports.ncalls, 1);
    assert_string_equal(g_ports.ip[0], "127.0.0.1");
    assert_int_equal(g_ports.port[0], 7025);
    assert_true(fx_changed(a, EXEC_CHANGE_ENDPOINT, "e"));
}

static void test_alter(void **state)
{
    fx *f = *state;
    fx_inst *a = &f->a;
    char v[REC_CELL];
    prepare(a);
    RUN_OK(a->admin, "CREATE ENDPOINT e AS TCP (LISTENER_PORT = 7025)" EP_TAIL);
    g_ports.ncalls = 0;
    a->nchanges = 0;
    /* The listener stays where it is: not asked. */
    RUN_OK(a->admin, "ALTER ENDPOINT e STATE = STARTED");
    RUN_OK(a->admin, "ALTER ENDPOINT e FOR DATABASE_MIRRORING (ROLE = ALL)");
    RUN_OK(a->admin, "ALTER ENDPOINT e AS TCP (LISTENER_PORT = 7025)");
    RUN_OK(a->admin, "ALTER ENDPOINT e AS TCP (LISTENER_IP = ALL)");
    assert_int_equal(g_ports.ncalls, 0);
    assert_int_equal(a->nchanges, 4);
    /* A busy port: 7890, the endpoint keeps its port, no change reported. */
    RUN_ERR(a->admin, "ALTER ENDPOINT e AS TCP (LISTENER_PORT = 7024)", 7890);
    assert_int_equal(g_ports.ncalls, 1);
    assert_int_equal(g_ports.port[0], BUSY_PORT);
    assert_string_equal(
        rec_value(a->admin, "SELECT port FROM sys.tcp_endpoints", "port", v, sizeof(v)), "7025");
    assert_int_equal(a->nchanges, 4);
    /* A new address on the same port is asked about, with the address. */
    RUN_OK(a->admin, "ALTER ENDPOINT e AS TCP (LISTENER_IP = ('::1'))");
    assert_int_equal(g_ports.ncalls, 2);
    assert_string_equal(g_ports.ip[1], "::1");
    assert_int_equal(g_ports.port[1], 7025);
    /* DISABLED: moving the port is not asked about; listening again is. */
    RUN_OK(a->admin, "ALTER ENDPOINT e STATE = DISABLED");
    RUN_OK(a->admin, "ALTER ENDPOINT e AS TCP (LISTENER_PORT = 7024)");
    assert_int_equal(g_ports.ncalls, 2);
    RUN_ERR(a->admin, "ALTER ENDPOINT e STATE = STOPPED", 7890);
    assert_int_equal(g_ports.ncalls, 3);
    assert_string_equal(
        rec_value(a->admin, "SELECT state_desc FROM sys.endpoints", "state_desc", v, sizeof(v)),
        "DISABLED");
    /* Other failures of the hook are the endpoint layer's to log: the statement goes on. */
    g_ports.fail_other = true;
    RUN_OK(a->admin, "ALTER ENDPOINT e STATE = STARTED AS TCP (LISTENER_PORT = 7026)");
    assert_int_equal(g_ports.ncalls, 4);
    assert_string_equal(
        rec_value(a->admin, "SELECT state_desc FROM sys.endpoints", "state_desc", v, sizeof(v)),
        "STARTED");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create, setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_alter, setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
