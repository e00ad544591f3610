"""A FreeTDS db-lib C program (dblib_client.c) against mirrorkeyd.

Proves: db-lib logs in over TDS 7.4 with TLS (require and FreeTDS's default),
gets the catalog view columns with the types the wire mapping promises
(NVARCHAR → char, INT → int, VARBINARY → binary, DATETIME → datetime),
several result sets from one batch each with its row count, an empty result,
error messages with SQL Server numbers, 18456 on a wrong password, and many
queries on one connection.
"""

import re

from mkserver import Instance, run_tests

inst = Instance("DBLIBTEST")
inst.start()


def test_types_and_values():
    rc, out = inst.dblib("SELECT name, principal_id, sid, type, type_desc, is_disabled, "
                         "create_date FROM sys.server_principals WHERE principal_id = 256")
    assert rc == 0, out
    assert ("columns: name:char principal_id:int sid:binary type:char type_desc:char "
            "is_disabled:int create_date:datetime") in out, out
    assert re.search(r"^row: admin\t256\t0x[0-9A-F]{32}\tS\tSQL_LOGIN\t0\t\w{3} +\d+ \d{4} ",
                     out, re.M), out
    assert "count: 1" in out, out


def test_default_encryption_setting():
    rc, out = inst.dblib("SELECT @@SERVERNAME AS s", server="def")
    assert rc == 0 and "row: DBLIBTEST" in out, out


def test_several_result_sets():
    rc, out = inst.dblib("SELECT @@SERVERNAME AS s "
                         "SELECT name FROM sys.server_principals WHERE name = 'nobody' "
                         "SELECT name FROM sys.server_principals WHERE type = 'R'")
    assert rc == 0, out
    assert out.count("columns:") == 3, out
    assert "count: 0" in out and "count: 9" in out, out


def test_error_message():
    rc, out = inst.dblib("SELECT name FROM sys.no_such_view")
    assert "msg 208 class 16: Invalid object name 'sys.no_such_view'." in out, out


def test_wrong_password():
    rc, out = inst.dblib("SELECT 1", password="Wrong-Passw0rd!")
    assert rc == 3, out
    assert "msg 18456 class 14: Login failed for user 'admin'." in out, out


def test_many_queries_one_connection():
    rc, out = inst.dblib("SELECT name FROM sys.server_principals WHERE name = 'admin'",
                         repeat=500)
    assert rc == 0 and "row: admin" in out, out
    assert inst.log_text().count("login succeeded") == 5, inst.log_text()


def test_stop():
    inst.assert_no_secrets_logged()
    assert inst.stop() == 0, inst.log_text()


run_tests([test_types_and_values, test_default_encryption_setting, test_several_result_sets,
           test_error_message, test_wrong_password, test_many_queries_one_connection, test_stop])
