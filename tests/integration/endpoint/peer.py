#!/usr/bin/env python3
"""A scripted mirroring peer for daemon_test.sh (Python's ssl, software key).

usage: peer.py HOST PORT CERT KEY [tls12|once]
Connects with TLS (1.3 unless "tls12"), sends our HELLO (PARTNER, name PEER),
and prints one line per event, flushed: ACCEPT, REJECT <code>, TLS_REFUSED
<reason>, then (after ACCEPT) answers heartbeats until the endpoint closes
and prints CLOSED ("once": exits right after ACCEPT). Exits within 30 seconds.
"""
import socket
import ssl
import struct
import sys
import time


def say(*words):
    print(*words, flush=True)


def read_exact(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise EOFError("closed")
        data += chunk
    return data


def frame(ftype, body):
    return struct.pack(">BBII", ftype, 0, 0, len(body)) + body


def main():
    host, port, cert, key = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.load_cert_chain(cert, key)
    if len(sys.argv) > 5 and sys.argv[5] == "tls12":
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    raw = socket.create_connection((host, port), timeout=5)
    try:
        conn = ctx.wrap_socket(raw)
        name = b"PEER"
        hello = b"MKEP" + struct.pack(">HHBB", 1, 1, 1, len(name)) + name
        conn.sendall(frame(1, hello))
        ftype, _, _, length = struct.unpack(">BBII", read_exact(conn, 10))
        body = read_exact(conn, length)
    except (ssl.SSLError, OSError, EOFError) as e:
        say("TLS_REFUSED", type(e).__name__)
        return
    if ftype == 3:
        say("REJECT", struct.unpack(">H", body[:2])[0])
        return
    if ftype != 2:
        say("PROTOCOL", ftype)
        return
    say("ACCEPT")
    if len(sys.argv) > 5 and sys.argv[5] == "once":
        return
    deadline = time.time() + 30
    try:
        while time.time() < deadline:
            ftype, _, _, length = struct.unpack(">BBII", read_exact(conn, 10))
            body = read_exact(conn, length)
            if ftype == 4:
                conn.sendall(frame(4, body))
    except (ssl.SSLError, OSError, EOFError):
        pass
    say("CLOSED")


if __name__ == "__main__":
    main()
