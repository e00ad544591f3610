"""TDS logins across a token loss: the admin surface recovers on the first try.

The daemon's TLS key is on the token, so every TDS login makes one signature
there (ServerKeyExchange). SoftHSM2 forgets a token whose directory left its
store until the library is finalised and initialised again, which the token
layer does on the first call after the loss was noticed; SoftHSM2's
C_Initialize sets up its own OpenSSL state and leaves an error ("no such
engine") on the calling thread's OpenSSL error queue. That thread is the
connection thread in the middle of the TLS handshake, where one error left on
the queue makes OpenSSL fail the handshake (SSL_get_error reads the queue
first).

Proves, twice over (the re-initialised layer notices a second loss too): a
login while the token is away fails and the loss is logged; the FIRST login
after the token is back succeeds, the recovery is logged, and nothing about
an engine reaches the log; the daemon stays up. A control run shows that a
loss nobody noticed needs no recovery at all.
"""

import glob
import os
import re
import shutil

from mkserver import Instance, run_tests

inst = Instance("TOKLOSS")
inst.start()

QUERY = "SELECT @@SERVERNAME"


def token_dir():
    for path in glob.glob(os.path.join(inst.dir, "hsm", "tokens", "*", "token.object")):
        with open(path, "rb") as f:
            if b"tok" in f.read():
                return os.path.dirname(path)
    raise AssertionError("no token directory for 'tok' in the SoftHSM2 store")


def login_ok(what):
    rc, out = inst.tsql(QUERY)
    assert rc == 0 and "TOKLOSS" in out, "%s: tsql failed:\n%s\n%s" % (what, out, inst.log_text())


def login_fails(what):
    rc, out = inst.tsql(QUERY)
    assert "TOKLOSS" not in out, "%s: logged in without the token:\n%s" % (what, out)


def test_login_before_loss():
    login_ok("token present")


def test_first_login_after_return():
    away = os.path.join(inst.dir, "hsm", "tok.away")
    tokdir = token_dir()
    for cycle in (1, 2):
        start = len(inst.log_text())
        shutil.move(tokdir, away)
        try:
            login_fails("cycle %d, token away" % cycle)
            inst.wait_idle()
            during = inst.log_text()[start:]
            assert re.search(r"token 'tok' lost", during), during
        finally:
            shutil.move(away, tokdir)
        mark = len(inst.log_text())
        login_ok("cycle %d, first login after the token returned" % cycle)
        inst.wait_idle()
        after = inst.log_text()[mark:]
        assert "token 'tok' is available again" in after, after
        assert "engine" not in after, after
        assert re.search(r"closed: TLS handshake", after) is None, after
        login_ok("cycle %d, second login" % cycle)
    assert inst.alive(), inst.log_text()


def test_unnoticed_loss():
    """Control: a loss without any login during it leaves nothing to recover."""
    away = os.path.join(inst.dir, "hsm", "tok.away")
    tokdir = token_dir()
    mark = len(inst.log_text())
    shutil.move(tokdir, away)
    shutil.move(away, tokdir)
    login_ok("after an unnoticed loss")
    inst.wait_idle()
    assert "available again" not in inst.log_text()[mark:], inst.log_text()[mark:]


def test_no_secrets_logged():
    inst.assert_no_secrets_logged()
    assert inst.stop() == 0, inst.log_text()


run_tests([test_login_before_loss, test_first_login_after_return, test_unnoticed_loss,
           test_no_secrets_logged])
