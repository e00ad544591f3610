"""Malformed and hostile clients against mirrorkeyd.

Proves: garbage before login, bad packet types, oversized packets and
messages, malformed PRELOGIN, LOGIN7 with offsets out of range or a wrong
length, SSPI logins, protocol violations after login, over-long batches and
abrupt disconnects each cost only their own connection: the server closes it
(LOGIN7 failures of the authentication kind get 18456 first) and keeps serving
others — after every case a normal tsql query still works. Also: attention is
acknowledged with DONE+ATTN, RPC gets error 2812, the connection cap refuses
extra clients at once, and clients stuck (or trickling bytes, which a per-read
timeout alone would not catch) before login are dropped after --login-timeout.
"""

import socket
import struct
import time

import tdsclient as tc
from mkserver import ADMIN, ADMIN_PASSWORD, Instance, run_tests

inst = Instance("HOSTILE")
inst.start()
# A second instance with a small cap and a short login deadline for the
# stalled-client cases (a short deadline on the first one would make ordinary
# logins flaky when ctest runs other heavy tests alongside).
STALL_TIMEOUT = 6
stall = Instance("STALL", label="tok2")
stall.start("--max-connections", "8", "--login-timeout", str(STALL_TIMEOUT))


def client(timeout=10.0):
    return tc.TdsClient(inst.port, timeout)


def expect_closed(c, what):
    assert c.closed_by_server(), what + ": connection still open"
    c.close()
    inst.assert_serving()


def logged_in():
    c = client()
    reply = c.login(ADMIN, ADMIN_PASSWORD)
    assert reply is not None and reply[0] == tc.REPLY, reply
    assert b"\xad" in reply[1], "no LOGINACK"
    return c


def test_garbage_before_login():
    for junk in (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", b"\x00" * 64, b"\xff" * 9,
                 b"\x16\x03\x01\x00\x05hello"):
        c = client()
        c.send_raw(junk)
        expect_closed(c, repr(junk))


def test_wrong_packet_types_before_login():
    for ptype in (tc.SQLBATCH, tc.LOGIN7, tc.RPC, tc.ATTENTION, 0x42):
        c = client()
        c.send(ptype, b"" if ptype == tc.ATTENTION else b"abcd")
        expect_closed(c, "type 0x%02x" % ptype)


def test_oversized_packet():
    c = client()
    c.send_raw(tc.header(tc.PRELOGIN, 1, 0xFFFF))  # body never sent: must not be awaited
    start = time.time()
    expect_closed(c, "oversized header")
    assert time.time() - start < 2.5


def test_oversized_message():
    c = client()
    try:
        for _ in range(8):  # 8 x 32 KiB > the 64 KiB PRELOGIN cap
            c.send(tc.PRELOGIN, b"\x00" * (32767 - 8), status=0)
    except (BrokenPipeError, ConnectionResetError):
        pass
    expect_closed(c, "PRELOGIN over its cap")


def test_malformed_prelogin():
    bad = [
        b"",                                        # empty
        b"\x00\x00\x10\x00\x06",                    # no terminator
        b"\x00\x7f\xf0\x00\x06\xff",                # offset out of range
        b"\x01\x00\x06\x00\x01\xff\x00",            # VERSION missing
        b"\x00\x00\x0b\x00\x06\x00\x00\x0b\x00\x06\xff" + b"\x00" * 6,  # duplicate option
    ]
    for payload in bad:
        c = client()
        c.send(tc.PRELOGIN, payload)
        expect_closed(c, "PRELOGIN %s" % payload.hex())


def test_abrupt_disconnects():
    for step in range(4):
        c = client()
        if step == 1:
            c.send_raw(tc.header(tc.PRELOGIN, 1, 60)[:5])
        if step >= 2:
            c.prelogin()
        if step == 3:
            c.start_tls()
            c.send_raw(tc.header(tc.LOGIN7, 1, 300) + b"\x01\x02")
        c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        c.close()  # RST
    inst.assert_serving()


def test_handshake_garbage():
    c = client()
    c.prelogin()
    c.send(tc.PRELOGIN, b"\x16\x03\x01\x00\x04\x01\x00\x00\x00")  # empty ClientHello
    expect_closed(c, "bad ClientHello")


def test_login7_offsets_out_of_range():
    cases = [
        {40: (0xFFF0, 4)},      # UserName beyond the message
        {44: (90, 200)},        # Password running past the end
        {36: (10, 2)},          # HostName inside the fixed part
    ]
    for patch in cases:
        c = client()
        c.prelogin()
        c.start_tls()
        c.send(tc.LOGIN7, tc.login7_payload(ADMIN, ADMIN_PASSWORD, patch=patch))
        # Malformed LOGIN7: closed without any reply.
        assert c.recv_packet() is None, patch
        c.close()
        inst.assert_serving()


def test_login7_bad_length_field():
    c = client()
    c.prelogin()
    c.start_tls()
    msg = bytearray(tc.login7_payload(ADMIN, ADMIN_PASSWORD))
    struct.pack_into("<I", msg, 0, len(msg) + 100)
    c.send(tc.LOGIN7, bytes(msg))
    assert c.recv_packet() is None
    c.close()
    inst.assert_serving()


def test_sspi_and_old_versions_get_18456():
    for kw in ({"flags2": 0x83, "sspi": b"NTLMSSP\x00\x01"}, {"tds_version": 0x71000001},
               {"database": "tempdb"}):
        c = client()
        reply = c.login(ADMIN, ADMIN_PASSWORD, **kw)
        assert reply is not None and tc.tokens_have_error(reply[1], 18456), kw
        assert tc.last_done_status(reply[1]) & 0x2, "DONE lacks the error bit"
        assert c.closed_by_server(), kw
        c.close()
    inst.assert_serving()


def test_raw_login_and_batch():
    c = logged_in()
    c.send(tc.SQLBATCH, tc.sqlbatch_payload("SELECT @@SERVERNAME"))
    ptype, payload = c.recv_message()
    assert ptype == tc.REPLY and "HOSTILE".encode("utf-16-le") in payload
    assert tc.last_done_status(payload) & 0x10, "DONE lacks COUNT"
    c.close()


def test_attention_and_rpc():
    c = logged_in()
    c.send(tc.ATTENTION, b"")
    ptype, payload = c.recv_message()
    assert payload[0] == 0xFD and tc.last_done_status(payload) & 0x20, payload.hex()
    c.send(tc.RPC, tc.rpc_payload("sp_who"))
    ptype, payload = c.recv_message()
    assert tc.tokens_have_error(payload, 2812), payload.hex()
    # Still usable afterwards.
    c.send(tc.SQLBATCH, tc.sqlbatch_payload("SELECT 1"))
    assert c.recv_message() is not None
    c.close()


def test_protocol_violations_after_login():
    for ptype, payload in ((tc.PRELOGIN, tc.prelogin_payload()), (tc.LOGIN7, b"\x00" * 94),
                           (0x42, b"x"), (tc.SQLBATCH, b"\x16\x00\x00\x00" + b"\x00" * 3)):
        c = logged_in()
        c.send(ptype, payload)
        expect_closed(c, "after login: type 0x%02x" % ptype)


def test_odd_utf16_batch():
    c = logged_in()
    c.send(tc.SQLBATCH, tc.sqlbatch_payload("SELECT 1") + b"\x41")
    expect_closed(c, "odd-length batch text")


def test_batch_over_cap():
    c = logged_in()
    chunk = b"\x20\x00" * ((4096 - 8) // 2)
    try:
        c.send(tc.SQLBATCH, tc.sqlbatch_payload("SELECT 1")[:22] + chunk[:4000], status=0)
        for _ in range(300):  # > 1 MiB in total
            c.send(tc.SQLBATCH, chunk, status=0)
    except (BrokenPipeError, ConnectionResetError, OSError):
        pass
    expect_closed(c, "batch over 1 MiB")


def test_connection_cap():
    idle = [tc.TdsClient(stall.port) for _ in range(8)]
    time.sleep(0.5)
    extra = tc.TdsClient(stall.port)
    start = time.time()
    assert extra.closed_by_server(), "9th connection not refused"
    assert time.time() - start < 2.0
    extra.close()
    stall.wait_log(r"refused: 8 connections already open")
    # The idle ones are dropped at the login deadline, then service resumes.
    for c in idle:
        assert c.closed_by_server(), "idle client kept its slot"
        c.close()
    # Whichever fires first: the per-read timeout or the login deadline.
    stall.wait_log(r"not logged in within %d s|timed out" % STALL_TIMEOUT)
    stall.wait_idle()
    stall.assert_serving()


def test_trickling_client_is_dropped():
    deadline_hits = stall.log_text().count("not logged in within")
    c = tc.TdsClient(stall.port, timeout=1.0)
    start = time.time()
    data = tc.packet(tc.PRELOGIN, tc.prelogin_payload())
    closed = False
    for b in data:
        try:
            c.sock.sendall(bytes([b]))
        except (BrokenPipeError, ConnectionResetError):
            closed = True
            break
        if c.closed_by_server():  # waits up to 1 s per byte
            closed = True
            break
        if time.time() - start > 4 * STALL_TIMEOUT:
            break
    assert closed, "a trickling client kept its connection"
    assert time.time() - start < 2 * STALL_TIMEOUT, time.time() - start
    c.close()
    stall.wait_idle()
    # The login deadline did it: no single read waited long enough to time out.
    assert stall.log_text().count("not logged in within") == deadline_hits + 1, stall.log_text()
    stall.assert_serving()


def test_still_healthy():
    for i in (inst, stall):
        i.assert_no_secrets_logged()
        assert i.stop() == 0, i.log_text()


run_tests([test_garbage_before_login, test_wrong_packet_types_before_login,
           test_oversized_packet, test_oversized_message, test_malformed_prelogin,
           test_abrupt_disconnects, test_handshake_garbage, test_login7_offsets_out_of_range,
           test_login7_bad_length_field, test_sspi_and_old_versions_get_18456,
           test_raw_login_and_batch, test_attention_and_rpc,
           test_protocol_violations_after_login, test_odd_utf16_batch, test_batch_over_cap,
           test_connection_cap, test_trickling_client_is_dropped, test_still_healthy])
