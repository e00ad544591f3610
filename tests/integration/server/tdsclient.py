"""A minimal TDS 7.4 client for crafting good and hostile traffic (stdlib only).

It speaks just enough: PRELOGIN, the TLS handshake carried in PRELOGIN
packets (ssl.MemoryBIO), LOGIN7 with every field under the caller's control,
SQL batches, RPC heads, attention, and raw bytes at any point. Reads are
bounded by the socket timeout; recv_* return None at EOF so tests can assert
that the server closed the connection.
"""

import socket
import ssl
import struct

PRELOGIN, LOGIN7, SQLBATCH, RPC, ATTENTION, REPLY = 0x12, 0x10, 0x01, 0x03, 0x06, 0x04


def header(ptype, status, length, spid=0, packet_id=1):
    return struct.pack(">BBHHBB", ptype, status, length, spid, packet_id, 0)


def packet(ptype, payload, status=1):
    return header(ptype, status, 8 + len(payload)) + payload


def prelogin_payload(encryption=0x00):
    opts = [(0x00, bytes([16, 0, 0, 0, 0, 0])), (0x01, bytes([encryption])),
            (0x02, b"MSSQLServer\x00"), (0x03, struct.pack(">I", 1234)), (0x04, b"\x00")]
    table_len = 5 * len(opts) + 1
    table, data = b"", b""
    for tok, val in opts:
        table += struct.pack(">BHH", tok, table_len + len(data), len(val))
        data += val
    return table + b"\xff" + data


def _ucs2(s):
    return s.encode("utf-16-le")


def obfuscate(password):
    return bytes((((b << 4) | (b >> 4)) & 0xFF) ^ 0xA5 for b in _ucs2(password))


def login7_payload(user, password, database="", flags2=0x03, sspi=b"", tds_version=0x74000004,
                   packet_size=4096, patch=None):
    """LOGIN7 (MS-TDS 2.2.6.4). patch: {field_offset: (offset, length)} overrides."""
    strings = [("host", _ucs2("testhost")), ("user", _ucs2(user)), ("pw", obfuscate(password)),
               ("app", _ucs2("hostile")), ("server", _ucs2("x")), ("ext", b""),
               ("lib", _ucs2("tdsclient")), ("lang", b""), ("db", _ucs2(database))]
    pos = 94
    pairs, data = b"", b""
    for name, val in strings:
        count = len(val) if name == "ext" else len(val) // 2
        pairs += struct.pack("<HH", pos, count)
        data += val
        pos += len(val)
    pairs += b"\x01\x02\x03\x04\x05\x06"                 # ClientID
    pairs += struct.pack("<HH", pos, len(sspi))          # SSPI
    data += sspi
    pos += len(sspi)
    pairs += struct.pack("<HH", pos, 0)                  # AtchDBFile
    pairs += struct.pack("<HH", pos, 0)                  # ChangePassword
    pairs += struct.pack("<I", 0)                        # cbSSPILong
    fixed = struct.pack("<IIIIIIBBBBiI", 0, tds_version, packet_size, 7, 4242, 0,
                        0xE0, flags2, 0, 0, 0, 0x409)
    msg = bytearray(fixed + pairs + data)
    assert len(fixed + pairs) == 94
    for off, (o, n) in (patch or {}).items():
        struct.pack_into("<HH", msg, off, o, n)
    struct.pack_into("<I", msg, 0, len(msg))
    return bytes(msg)


def sqlbatch_payload(sql):
    all_headers = struct.pack("<IIHQI", 22, 18, 2, 0, 1)
    return all_headers + _ucs2(sql)


def rpc_payload(name):
    all_headers = struct.pack("<IIHQI", 22, 18, 2, 0, 1)
    return all_headers + struct.pack("<H", len(name)) + _ucs2(name) + b"\x00\x00"


class TdsClient:
    def __init__(self, port, timeout=10.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.tls = None

    def close(self):
        self.sock.close()

    # ---- transport (plain, then TLS) ----

    def _send(self, data):
        if self.tls is None:
            self.sock.sendall(data)
            return
        self.tls.write(data)
        self._flush_tls()

    def _flush_tls(self):
        out = self.outgoing.read()
        if out:
            self.sock.sendall(out)

    def _recv_exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self._recv_some(n - len(buf))
            if not chunk:
                return None
            buf += chunk
        return buf

    def _recv_some(self, n):
        try:
            if self.tls is None:
                return self.sock.recv(n)
            while True:
                try:
                    return self.tls.read(n)
                except ssl.SSLWantReadError:
                    data = self.sock.recv(65536)
                    if not data:
                        return b""
                    self.incoming.write(data)
                except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
                    return b""
        except (ConnectionResetError, BrokenPipeError):
            return b""

    def send_raw(self, data):
        self._send(data)

    def send(self, ptype, payload, status=1):
        self._send(packet(ptype, payload, status))

    def recv_packet(self):
        h = self._recv_exact(8)
        if h is None:
            return None
        ptype, status, length = struct.unpack(">BBH", h[:4])
        body = self._recv_exact(length - 8) if length > 8 else b""
        if body is None:
            return None
        return ptype, status, body

    def recv_message(self):
        payload = b""
        while True:
            p = self.recv_packet()
            if p is None:
                return None
            ptype, status, body = p
            payload += body
            if status & 1:
                return ptype, payload

    def closed_by_server(self):
        """True when the server closes the connection within the timeout.

        Bytes it sends first (a TLS alert, an error reply) are read and dropped.
        """
        try:
            while True:
                chunk = self._recv_some(65536)
                if chunk == b"":
                    return True
        except (socket.timeout, ssl.SSLError):
            return False

    # ---- TDS steps ----

    def prelogin(self, encryption=0x00):
        self.send(PRELOGIN, prelogin_payload(encryption))
        return self.recv_message()

    def start_tls(self):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        self.incoming, self.outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        obj = ctx.wrap_bio(self.incoming, self.outgoing, server_side=False)
        while True:
            try:
                obj.do_handshake()
                break
            except ssl.SSLWantReadError:
                out = self.outgoing.read()
                if out:
                    self.send(PRELOGIN, out)
                p = self.recv_packet()
                if p is None:
                    raise ConnectionError("server closed during the TLS handshake")
                self.incoming.write(p[2])
        out = self.outgoing.read()
        if out:
            self.send(PRELOGIN, out)
        self.tls = obj
        return obj.version(), obj.cipher()

    def login(self, user, password, **kw):
        self.prelogin()
        self.start_tls()
        self.send(LOGIN7, login7_payload(user, password, **kw))
        return self.recv_message()


def tokens_have_error(payload, number):
    """Whether an ERROR token (0xAA) with this number is in a reply."""
    i = payload.find(b"\xaa")
    while i >= 0:
        if i + 7 <= len(payload) and struct.unpack("<i", payload[i + 3:i + 7])[0] == number:
            return True
        i = payload.find(b"\xaa", i + 1)
    return False


def last_done_status(payload):
    """Status of the final DONE token (0xFD, 13 bytes long at the end)."""
    assert len(payload) >= 13 and payload[-13] == 0xFD, payload[-16:].hex()
    return struct.unpack("<H", payload[-12:-10])[0]
