#!/usr/bin/env python3
"""A scripted mirroring peer for the daemon tests (Python's ssl, software key).

usage: peer.py [--cert PEM --key PEM] [--tls12] [--once] [--pin DER] HOST PORT
       peer.py --hello NAME
       peer.py --read FILE

Connect mode: TLS 1.3 (1.2 only with --tls12) with our certificate (none
without --cert: the endpoint must refuse), sends our HELLO (PARTNER, name
PEER), and prints one line per event, flushed: ACCEPT, REJECT <code>,
TLS_REFUSED <reason>, then (after ACCEPT) answers heartbeats until the
endpoint closes and prints CLOSED (--once: exits right after ACCEPT). With
--pin, the endpoint's certificate must be exactly that DER file (mutual
authentication: the handshake proved the endpoint holds its key), else
SERVER_CERT_MISMATCH and no HELLO is sent. Exits within 30 seconds.

--hello writes a HELLO frame to stdout (to pipe into openssl s_client);
--read prints ACCEPT, REJECT <code> or NOTHING for the frames an endpoint
sent, as captured from `openssl s_client -quiet`. Frames: docs/endpoint.md.
"""
import argparse
import socket
import ssl
import struct
import sys
import time

FRAME_HELLO, FRAME_ACCEPT, FRAME_REJECT, FRAME_HEARTBEAT = 1, 2, 3, 4


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


def hello(name):
    raw = name.encode()
    return frame(FRAME_HELLO, b"MKEP" + struct.pack(">HHBB", 1, 1, 1, len(raw)) + raw)


def answer(ftype, body):
    """The line for the endpoint's answer to our HELLO."""
    if ftype == FRAME_REJECT and len(body) >= 2:
        return "REJECT %d" % struct.unpack(">H", body[:2])[0]
    if ftype == FRAME_ACCEPT:
        return "ACCEPT"
    return "PROTOCOL %d" % ftype


def read_file(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 10:
        say("NOTHING")
        return
    ftype, _, _, length = struct.unpack(">BBII", data[:10])
    say(answer(ftype, data[10:10 + length]))


def context(args):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    # The endpoint's certificate is self-signed and names no host: --pin
    # checks it exactly instead.
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if args.cert:
        ctx.load_cert_chain(args.cert, args.key)
    if args.tls12:
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    else:
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    return ctx


def heartbeats(conn):
    deadline = time.time() + 30
    try:
        while time.time() < deadline:
            ftype, _, _, length = struct.unpack(">BBII", read_exact(conn, 10))
            body = read_exact(conn, length)
            if ftype == FRAME_HEARTBEAT:
                conn.sendall(frame(FRAME_HEARTBEAT, body))
    except (ssl.SSLError, OSError, EOFError):
        pass
    say("CLOSED")


def connect(args):
    raw = socket.create_connection((args.host, args.port), timeout=5)
    try:
        conn = context(args).wrap_socket(raw)
        if args.pin:
            with open(args.pin, "rb") as f:
                if conn.getpeercert(binary_form=True) != f.read():
                    say("SERVER_CERT_MISMATCH")
                    return
        conn.sendall(hello("PEER"))
        ftype, _, _, length = struct.unpack(">BBII", read_exact(conn, 10))
        body = read_exact(conn, length)
    except (ssl.SSLError, OSError, EOFError) as e:
        say("TLS_REFUSED", type(e).__name__, getattr(e, "reason", "") or "")
        return
    line = answer(ftype, body)
    say(line)
    if line == "ACCEPT" and not args.once:
        heartbeats(conn)


def main():
    p = argparse.ArgumentParser(description="scripted mirroring endpoint peer")
    p.add_argument("--hello", metavar="NAME")
    p.add_argument("--read", metavar="FILE")
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--tls12", action="store_true")
    p.add_argument("--once", action="store_true")
    p.add_argument("--pin", metavar="DER")
    p.add_argument("host", nargs="?")
    p.add_argument("port", nargs="?", type=int)
    args = p.parse_args()
    if args.hello:
        sys.stdout.buffer.write(hello(args.hello))
    elif args.read:
        read_file(args.read)
    elif args.host and args.port and bool(args.cert) == bool(args.key):
        connect(args)
    else:
        p.error("HOST PORT, --hello or --read; --cert and --key go together")


if __name__ == "__main__":
    main()
