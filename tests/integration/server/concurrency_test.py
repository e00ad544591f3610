"""Many concurrent sessions against mirrorkeyd.

Proves: 50 pymssql connections open at the same time (each its own thread,
TLS handshake signed on the token, its own catalog handle and executor
session) each run 100 queries, and every result is right; the daemon then
stops cleanly with exit 0.
"""

import threading
import time

from mkserver import Instance, run_tests

SESSIONS = 50
QUERIES = 100

inst = Instance("CONCUR")
# 50 PBKDF2 password checks at once on 2 cores (under ASan in CI) can take
# longer than the daemon's default 30 s login timeout: give logins as long as
# the clients wait. The timeout itself is tested in hostile_test.py.
inst.start("--login-timeout", "200")


def test_fifty_sessions():
    errors = []
    ready = threading.Barrier(SESSIONS, timeout=240)

    def worker(n):
        try:
            # Generous: 50 slow password checks at once on 2 cores, maybe under ASan.
            conn = inst.pymssql(login_timeout=200)
            ready.wait()  # all sessions are open at once before querying
            cur = conn.cursor()
            for i in range(QUERIES):
                if i % 2 == 0:
                    cur.execute("SELECT name, principal_id FROM sys.server_principals "
                                "WHERE name = 'admin'")
                    rows = cur.fetchall()
                    if rows != [("admin", 256)]:
                        raise AssertionError("session %d query %d: %r" % (n, i, rows))
                else:
                    cur.execute("SELECT @@SERVERNAME")
                    if cur.fetchall() != [("CONCUR",)]:
                        raise AssertionError("session %d query %d: bad server name" % (n, i))
            conn.close()
        except Exception as e:  # noqa: BLE001
            errors.append("%d: %r" % (n, e))

    start = time.time()
    threads = [threading.Thread(target=worker, args=(n,)) for n in range(SESSIONS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=280)
    elapsed = time.time() - start
    assert not any(t.is_alive() for t in threads), "sessions hung"
    assert not errors, errors[:5]
    log = inst.log_text()
    assert log.count("login succeeded") == SESSIONS, log[-3000:]
    print("%d sessions x %d queries in %.1fs" % (SESSIONS, QUERIES, elapsed))


def test_stop():
    assert inst.stop() == 0, inst.log_text()[-3000:]


run_tests([test_fifty_sessions, test_stop])
