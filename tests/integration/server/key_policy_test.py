"""sys.mirrorkey_certificate_keys and CREATE CERTIFICATE ... ALGORITHM through tsql.

Proves: mirrorkeyd wires the executor's key-info source to every
connection's catalog handle, so the view reads the token over TDS: after
CREATE CERTIFICATE ... ALGORITHM = RSA_2048 / EC_P384 the sysadmin sees one
row per certificate with the token's label, the key type and size, every
policy bit and meets_policy 1, also with WHERE name = '...'; a login that
is not sysadmin sees no rows; an unknown ALGORITHM is Msg 102.
"""

import re

from mkserver import Instance, run_tests

inst = Instance("KEYPOLICY", label="keytok")
inst.start()

COLUMNS = ("name, token_label, key_type, key_bits, is_local, is_sensitive, is_always_sensitive, "
           "is_extractable, is_never_extractable, is_private_value_readable, meets_policy")


def ok(sql, **kw):
    rc, out = inst.tsql(sql, **kw)
    assert rc == 0 and "Msg" not in out, out
    return out


def test_rows_through_tds():
    ok("CREATE MASTER KEY ENCRYPTION BY PASSWORD = 'Key-Policy-Master-1!'")
    ok("CREATE CERTIFICATE rsa_cert WITH SUBJECT = 'rsa', ALGORITHM = RSA_2048")
    ok("CREATE CERTIFICATE ec_cert WITH SUBJECT = 'ec', ALGORITHM = ec_p384")
    out = ok("SELECT %s FROM sys.mirrorkey_certificate_keys" % COLUMNS)
    assert re.search(r"^rsa_cert\tkeytok\tRSA\t2048\t1\t1\t1\t0\t1\t0\t1$", out, re.M), out
    assert re.search(r"^ec_cert\tkeytok\tEC\t384\t1\t1\t1\t0\t1\t0\t1$", out, re.M), out
    assert "(2 rows affected)" in out, out
    out = ok("SELECT name, key_bits, meets_policy FROM sys.mirrorkey_certificate_keys "
             "WHERE name = 'EC_CERT'")
    assert re.search(r"^ec_cert\t384\t1$", out, re.M) and "(1 row affected)" in out, out
    out = ok("SELECT key_length FROM sys.certificates WHERE name = 'ec_cert'")
    assert re.search(r"^384$", out, re.M), out


def test_unknown_algorithm():
    rc, out = inst.tsql("CREATE CERTIFICATE bad WITH SUBJECT = 'b', ALGORITHM = RSA_1024")
    assert "Msg 102" in out and "Incorrect syntax near 'RSA_1024'." in out, out


def test_plain_login_sees_no_rows():
    ok("CREATE LOGIN plain WITH PASSWORD = 'Pla1n-Passw0rd!'")
    out = ok("SELECT name FROM sys.mirrorkey_certificate_keys", user="plain",
             password="Pla1n-Passw0rd!")
    # The result set is there (its header), without rows.
    assert re.search(r"^1> 2> name$", out, re.M), out
    assert "_cert" not in out and "row" not in out, out


run_tests([test_rows_through_tds, test_unknown_algorithm, test_plain_login_sees_no_rows])
