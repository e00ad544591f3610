/*
 * Mirroring session requests between in-process instances
 * (server/endpoint/src/session.c): a session is pinned to the certificate
 * that answered at its partner address. A is a mirror waiting for B; C is
 * another peer A's catalog admits (as a witness would be). C cannot join
 * A's session, end it or move its witness; B can, and A's kept links follow
 * each change. Requests for a database A does not mirror get 1416.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "catalog/databases.h"
#include "ep_fixture.h"

#define A(f) (&(f)->inst[0])
#define B(f) (&(f)->inst[1])
#define C(f) (&(f)->inst[2])

static void address_of(const fx_inst *i, char *out, size_t cap)
{
    snprintf(out, cap, "TCP://127.0.0.1:%u", (unsigned)i->port);
}

/* One request from `from` to `to`; returns the RESULT number. */
static uint32_t ask(fx_inst *from, fx_inst *to, uint8_t op, const char *db, const char *witness)
{
    char addr[64];
    address_of(to, addr, sizeof(addr));
    ep_control req = {.op = op};
    snprintf(req.database, sizeof(req.database), "%s", db);
    snprintf(req.witness, sizeof(req.witness), "%s", witness != NULL ? witness : "");
    ep_control ans;
    char peer[EP_NAME_MAX + 1];
    int32_t cert = -1;
    FX_OK(ep_session_request(from->m, addr, EP_HELLO_PARTNER, &req, &ans, peer, &cert));
    assert_string_equal(peer, to->name);
    assert_true(cert > 0); /* the certificate `to` presented, in from's catalog */
    assert_int_equal(ans.op, EP_CTL_RESULT);
    return ans.number;
}

static void mirroring_of(fx_inst *i, cat_database *d)
{
    FX_OK(cat_database_get(i->db, "mk_db", d));
}

static void test_session_pinned_to_partner_certificate(void **state)
{
    fx *f = *state;
    int32_t b_at_a = fx_trust(B(f), A(f), true);
    fx_trust(C(f), A(f), true);
    fx_trust(A(f), B(f), true);
    fx_trust(A(f), C(f), true);
    char addr_b[64], addr_c[64];
    address_of(B(f), addr_b, sizeof(addr_b));
    address_of(C(f), addr_c, sizeof(addr_c));

    /* A ran SET PARTNER = B first: a mirror waiting for B, pinned to B's certificate. */
    FX_OK(cat_database_create(A(f)->db, "mk_db", NULL));
    cat_mirroring w = {.role = CAT_MIR_MIRROR, .partner_cert_id = b_at_a};
    snprintf(w.partner_name, sizeof(w.partner_name), "%s", addr_b);
    FX_OK(cat_database_set_mirroring(A(f)->db, "mk_db", &w));

    cat_database d;
    /* C, admitted by A's catalog, can neither take the session over nor end it. */
    assert_int_equal(ask(C(f), A(f), EP_CTL_JOIN, "mk_db", NULL), 1410);
    assert_int_equal(ask(C(f), A(f), EP_CTL_LEAVE, "mk_db", NULL), 1416);
    mirroring_of(A(f), &d);
    assert_true(d.is_mirrored);
    assert_string_equal(d.mirroring.partner_instance, "");
    assert_false(ep_link_up(A(f)->m, addr_b));

    /* B joins: A records it and keeps a PARTNER link to B's address. */
    assert_int_equal(ask(B(f), A(f), EP_CTL_JOIN, "mk_db", NULL), 0);
    mirroring_of(A(f), &d);
    assert_string_equal(d.mirroring.partner_instance, "HOST_B");
    assert_int_equal(d.mirroring.partner_cert_id, b_at_a);
    assert_true(fx_wait_link(A(f), addr_b, true, 5000));
    assert_int_equal(ask(B(f), A(f), EP_CTL_JOIN, "mk_db", NULL), 0); /* again: no change */

    /* Only B moves the witness. */
    assert_int_equal(ask(C(f), A(f), EP_CTL_SET_WITNESS, "mk_db", addr_c), 1416);
    mirroring_of(A(f), &d);
    assert_string_equal(d.mirroring.witness_name, "");
    assert_int_equal(ask(B(f), A(f), EP_CTL_SET_WITNESS, "mk_db", addr_c), 0);
    mirroring_of(A(f), &d);
    assert_string_equal(d.mirroring.witness_name, addr_c);

    /* Only B ends it; then A keeps no link. */
    assert_int_equal(ask(C(f), A(f), EP_CTL_LEAVE, "mk_db", NULL), 1416);
    mirroring_of(A(f), &d);
    assert_true(d.is_mirrored);
    assert_int_equal(ask(B(f), A(f), EP_CTL_LEAVE, "mk_db", NULL), 0);
    mirroring_of(A(f), &d);
    assert_false(d.is_mirrored);
    assert_true(fx_wait_link(A(f), addr_b, false, 5000));

    /* Nothing mirrored here: 1416 for every request. */
    assert_int_equal(ask(B(f), A(f), EP_CTL_JOIN, "mk_db", NULL), 1416);
    assert_int_equal(ask(B(f), A(f), EP_CTL_LEAVE, "no_such_db", NULL), 1416);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_session_pinned_to_partner_certificate, fx_setup,
                                        fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
