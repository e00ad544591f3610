"""FreeTDS tsql against mirrorkeyd.

Proves: tsql logs in with `encryption = require`, with FreeTDS's default
(`request`, PRELOGIN ENCRYPTION=OFF, answered REQ) and with `encryption = off`
(NOT_SUP, which FreeTDS 1.3 follows into TLS), and every one runs queries over
the catalog views; the whole connection is encrypted (the log names the TLS
version only after a handshake); a wrong password, an unknown login and a
disabled login get 18456 and the connection is closed; repeated failures are
answered later and later (throttle); neither the password nor the PIN reach the
log.
"""

import re
import time

from mkserver import ADMIN_PASSWORD, Instance, run_tests

inst = Instance("TSQLTEST")
inst.start("--log-level", "debug")

QUERY = "SELECT name, type_desc FROM sys.server_principals"


def test_require():
    rc, out = inst.tsql(QUERY, server="req")
    assert rc == 0, out
    assert re.search(r"^admin\tSQL_LOGIN$", out, re.M), out
    assert re.search(r"^sysadmin\tSERVER_ROLE$", out, re.M), out
    inst.wait_log(r"TLSv1\.2, ECDHE-ECDSA-AES\d+-GCM")


def test_default_request():
    rc, out = inst.tsql(QUERY, server="def")
    assert rc == 0, out
    assert re.search(r"^admin\tSQL_LOGIN$", out, re.M), out


def test_encryption_off_still_encrypted():
    before = inst.log_text().count("client offered no encryption but starts TLS")
    rc, out = inst.tsql("SELECT @@SERVERNAME", server="off")
    assert rc == 0, out
    assert "TSQLTEST" in out, out
    after = inst.log_text().count("client offered no encryption but starts TLS")
    assert after == before + 1, inst.log_text()


def test_batch_of_statements():
    rc, out = inst.tsql("SELECT @@SERVERNAME\nSELECT name FROM sys.server_principals "
                        "WHERE name = 'sa'")
    assert rc == 0, out
    assert "TSQLTEST" in out and re.search(r"^sa$", out, re.M), out


def test_syntax_error_keeps_session():
    rc, out = inst.tsql("SELEC nothing")
    assert "Msg 102" in out, out


def test_wrong_password():
    rc, out = inst.tsql("SELECT 1", password="Wrong-Passw0rd!")
    assert rc != 0
    assert "Msg 18456" in out and "Login failed for user 'admin'." in out, out
    inst.wait_log(r"login failed for user 'admin' from 127\.0\.0\.1: password did not match")
    # The server closed the connection after the failure.
    inst.wait_log(r"closed: login failed for user 'admin'")


def test_unknown_login():
    rc, out = inst.tsql("SELECT 1", user="nobody")
    assert rc != 0 and "Msg 18456" in out, out
    inst.wait_log(r"login failed for user 'nobody' from 127\.0\.0\.1: no such login")


def test_throttle_grows_and_resets():
    # Start from a success (forgets earlier failures from 127.0.0.1).
    inst.assert_serving()
    times = []
    for _ in range(3):
        start = time.time()
        rc, out = inst.tsql("SELECT 1", password="Wrong-Passw0rd!")
        times.append(time.time() - start)
        assert "Msg 18456" in out, out
    # Failures 1, 2, 3 are answered after 0, 1 and 2 seconds (plus the work):
    # lower bounds hold however loaded the machine is.
    assert times[1] >= 1.0 and times[2] >= 2.0, times
    failures = re.findall(r"login failed for user 'admin' .*", inst.log_text())[-3:]
    assert ["(answer delayed)" in f for f in failures] == [False, True, True], failures
    # A success forgets the failures: the next failure is answered at once.
    inst.assert_serving()
    inst.tsql("SELECT 1", password="Wrong-Passw0rd!")
    last = re.findall(r"login failed for user 'admin' .*", inst.log_text())[-1]
    assert "(answer delayed)" not in last, last
    inst.assert_serving()


def test_disabled_login():
    rc, out = inst.tsql("CREATE LOGIN bob WITH PASSWORD = 'B0b-Passw0rd!'")
    assert rc == 0 and "Msg" not in out, out
    rc, out = inst.tsql("SELECT @@SERVERNAME", user="bob", password="B0b-Passw0rd!")
    assert rc == 0 and "TSQLTEST" in out, out
    rc, out = inst.tsql("ALTER LOGIN bob DISABLE")
    assert rc == 0 and "Msg" not in out, out
    rc, out = inst.tsql("SELECT 1", user="bob", password="B0b-Passw0rd!")
    assert rc != 0 and "Msg 18456" in out and "Login failed for user 'bob'." in out, out
    inst.wait_log(r"login failed for user 'bob' from 127\.0\.0\.1: login is disabled")
    inst.assert_serving()


def test_no_secrets_in_log():
    inst.assert_no_secrets_logged()
    assert "B0b-Passw0rd!" not in inst.log_text()
    assert "Wrong-Passw0rd!" not in inst.log_text()


def test_sigterm():
    assert inst.stop() == 0, inst.log_text()
    assert "stopped" in inst.log_text()


run_tests([test_require, test_default_request, test_encryption_off_still_encrypted,
           test_batch_of_statements, test_syntax_error_keeps_session, test_wrong_password,
           test_unknown_login, test_throttle_grows_and_resets, test_disabled_login,
           test_no_secrets_in_log, test_sigterm])
