/*
 * RPC request heads: pymssql's callproc (by name), sp_executesql by id, and
 * the error paths. Parameters are not parsed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tds/rpc.h"

/* pymssql 2.2.2 cursor.callproc('sp_who', (1,)): by name, one INTN parameter. */
static const uint8_t pymssql_rpc[] = {
    0x16, 0x00, 0x00, 0x00, 0x12, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x06, 0x00, 0x73, 0x00, 0x70, 0x00, 0x5f, 0x00, 0x77, 0x00,
    0x68, 0x00, 0x6f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x26, 0x04, 0x04, 0x01, 0x00, 0x00, 0x00};

static void test_parse_pymssql(void **state)
{
    (void)state;
    tds_rpc r;
    assert_true(mk_ok(tds_rpc_parse(pymssql_rpc, sizeof(pymssql_rpc), &r)));
    assert_false(r.by_id);
    assert_string_equal(r.proc_name, "sp_who");
    assert_int_equal(r.option_flags, 0);
    assert_true(r.headers.has_txn);
}

static void test_truncated_every_byte(void **state)
{
    (void)state;
    tds_rpc r;
    /* The head ends after OptionFlags at byte 38; every shorter prefix fails. */
    for (size_t n = 0; n < 38; n++) {
        assert_true(mk_failed(tds_rpc_parse(pymssql_rpc, n, &r)));
    }
    assert_true(mk_ok(tds_rpc_parse(pymssql_rpc, 38, &r)));
}

static void test_by_id_roundtrip_golden(void **state)
{
    (void)state;
    tds_rpc in;
    tds_rpc out;
    mk_buf b;
    memset(&in, 0, sizeof(in));
    in.by_id = true;
    in.proc_id = TDS_SP_EXECUTESQL;
    in.option_flags = 0x0001;
    mk_buf_init(&b, 0);
    assert_true(mk_ok(tds_rpc_encode(&in, &b)));
    const uint8_t tail[] = {0xFF, 0xFF, 0x0A, 0x00, 0x01, 0x00};
    assert_int_equal(b.len, 22 + sizeof(tail));
    assert_memory_equal(b.data + 22, tail, sizeof(tail));
    assert_true(mk_ok(tds_rpc_parse(b.data, b.len, &out)));
    assert_true(out.by_id);
    assert_int_equal(out.proc_id, TDS_SP_EXECUTESQL);
    assert_string_equal(out.proc_name, "sp_executesql");
    assert_int_equal(out.option_flags, 1);
    mk_buf_cleanup(&b);
    assert_string_equal(tds_rpc_proc_id_name(TDS_SP_PREPEXEC), "sp_prepexec");
    assert_string_equal(tds_rpc_proc_id_name(0), "");
    assert_string_equal(tds_rpc_proc_id_name(16), "");
    assert_string_equal(tds_rpc_proc_id_name(0xFFFF), "");
}

static void test_errors(void **state)
{
    (void)state;
    uint8_t m[sizeof(pymssql_rpc)];
    tds_rpc r;
    /* name of 129 characters: over the cap before reading */
    memcpy(m, pymssql_rpc, sizeof(m));
    m[22] = 129;
    assert_true(mk_failed(tds_rpc_parse(m, sizeof(m), &r)));
    assert_int_equal(mk_error_code(), MK_E_TOOBIG);
    /* name longer than the message */
    m[22] = 30;
    assert_true(mk_failed(tds_rpc_parse(m, sizeof(m), &r)));
    assert_int_equal(mk_error_code(), MK_E_BOUNDS);
    /* NUL inside the name */
    memcpy(m, pymssql_rpc, sizeof(m));
    m[26] = 0;
    assert_true(mk_failed(tds_rpc_parse(m, sizeof(m), &r)));
    assert_int_equal(mk_error_code(), MK_E_INVALID);
    /* unpaired surrogate inside the name */
    memcpy(m, pymssql_rpc, sizeof(m));
    m[25] = 0xDC;
    assert_true(mk_failed(tds_rpc_parse(m, sizeof(m), &r)));
    assert_int_equal(mk_error_code(), MK_E_INVALID);
    /* broken ALL_HEADERS */
    memcpy(m, pymssql_rpc, sizeof(m));
    m[0] = 2;
    assert_true(mk_failed(tds_rpc_parse(m, sizeof(m), &r)));
    /* encoder refuses a 129-character name and leaves the buffer alone */
    tds_rpc in;
    mk_buf b;
    memset(&in, 0, sizeof(in));
    memset(in.proc_name, 'p', 129);
    mk_buf_init(&b, 0);
    assert_true(mk_failed(tds_rpc_encode(&in, &b)));
    assert_int_equal(b.len, 0);
    mk_buf_cleanup(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_pymssql),
        cmocka_unit_test(test_truncated_every_byte),
        cmocka_unit_test(test_by_id_roundtrip_golden),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
