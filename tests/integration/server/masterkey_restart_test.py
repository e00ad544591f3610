"""The master key survives a restart through the token protector.

Proves: after CREATE MASTER KEY and a daemon restart, `mirrorkeyd run` opens
the master key through the protector on the token with no password
(DESIGN.md "auto-unseal"), so CREATE CERTIFICATE works without OPEN MASTER
KEY; after CLOSE MASTER KEY in a session it answers 15581 until OPEN MASTER
KEY DECRYPTION BY PASSWORD; and the master key password never reaches the log.
"""

from mkserver import Instance, run_tests

MK_PASSWORD = "Restart-Master-Key-1!"

inst = Instance("MKRESTART")
inst.start()


def test_auto_unseal_after_restart():
    rc, out = inst.tsql(f"CREATE MASTER KEY ENCRYPTION BY PASSWORD = '{MK_PASSWORD}'")
    assert rc == 0 and "Msg" not in out, out
    inst.stop()
    inst.start()
    inst.wait_log(r"master key opened through the token protector")
    rc, out = inst.tsql("CREATE CERTIFICATE after_restart WITH SUBJECT = 'after restart'")
    assert rc == 0 and "Msg" not in out, out
    rc, out = inst.tsql(
        "SELECT pvt_key_encryption_type_desc FROM sys.certificates WHERE name = 'after_restart'")
    assert "STORED_IN_HSM" in out, out


def test_closed_key_needs_password():
    rc, out = inst.tsql("CLOSE MASTER KEY")
    assert "Msg" not in out, out
    rc, out = inst.tsql("CREATE CERTIFICATE while_closed WITH SUBJECT = 'closed'")
    assert "Msg 15581" in out, out
    rc, out = inst.tsql(
        f"OPEN MASTER KEY DECRYPTION BY PASSWORD = '{MK_PASSWORD}'; "
        "CREATE CERTIFICATE reopened WITH SUBJECT = 'reopened'")
    assert "Msg" not in out, out


def test_password_not_logged():
    assert MK_PASSWORD not in inst.log_text()
    inst.assert_no_secrets_logged()


run_tests([test_auto_unseal_after_restart, test_closed_key_needs_password, test_password_not_logged])
