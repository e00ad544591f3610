"""pymssql (python3-pymssql, built on FreeTDS) against mirrorkeyd.

Proves: pymssql connects (TLS, TDS 7.4) and column values arrive as the wire
mapping promises — principal_id int, name str, sid bytes, create_date
datetime, NULL as None; cursor.description names the columns; several result
sets via nextset(); pymssql's default transaction mode (BEGIN TRAN ... COMMIT)
and autocommit both work; a T-SQL error raises with SQL Server's number and
the connection stays usable; a wrong password raises 18456.
"""

import datetime

import pymssql

from mkserver import Instance, run_tests

inst = Instance("PYTEST")
inst.start()


def test_types():
    conn = inst.pymssql()
    cur = conn.cursor()
    cur.execute("SELECT name, principal_id, sid, type_desc, create_date, default_database_name "
                "FROM sys.server_principals")
    rows = cur.fetchall()
    names = [d[0] for d in cur.description]
    assert names == ["name", "principal_id", "sid", "type_desc", "create_date",
                     "default_database_name"], names
    byname = {r[0]: r for r in rows}
    admin = byname["admin"]
    assert isinstance(admin[0], str)
    assert isinstance(admin[1], int) and admin[1] == 256, admin
    assert isinstance(admin[2], bytes) and len(admin[2]) == 16, admin
    assert admin[3] == "SQL_LOGIN"
    assert isinstance(admin[4], datetime.datetime), admin
    assert abs((datetime.datetime.utcnow() - admin[4]).total_seconds()) < 3600, admin
    assert admin[5] == "master"
    assert byname["sysadmin"][5] is None, byname["sysadmin"]
    assert byname["sa"][2] == b"\x01"
    conn.close()


def test_several_result_sets():
    conn = inst.pymssql()
    cur = conn.cursor()
    cur.execute("SELECT @@SERVERNAME SELECT name FROM sys.server_principals WHERE name = 'sa'")
    assert cur.fetchall() == [("PYTEST",)]
    assert cur.nextset()
    assert cur.fetchall() == [("sa",)]
    assert not cur.nextset()
    conn.close()


def test_error_then_continue():
    conn = inst.pymssql()
    cur = conn.cursor()
    try:
        cur.execute("SELECT name FROM sys.no_such_view")
        raise AssertionError("no error raised")
    except pymssql.DatabaseError as e:
        assert e.args[0] == 208, e.args
    cur.execute("SELECT name FROM sys.server_principals WHERE name = 'admin'")
    assert cur.fetchall() == [("admin",)]
    conn.close()


def test_transaction_modes():
    # pymssql's default begins with BEGIN TRANSACTION and commits explicitly.
    conn = inst.pymssql()
    cur = conn.cursor()
    cur.execute("SELECT @@TRANCOUNT")
    assert cur.fetchall() == [(1,)]
    conn.commit()
    conn.close()
    # autocommit=True sends plain batches.
    conn = inst.pymssql(autocommit=True)
    cur = conn.cursor()
    cur.execute("SELECT @@TRANCOUNT")
    assert cur.fetchall() == [(0,)]
    conn.close()


def test_wrong_password():
    try:
        inst.pymssql(password="Wrong-Passw0rd!")
        raise AssertionError("login succeeded")
    except pymssql.OperationalError as e:
        assert "18456" in str(e), e


def test_stop():
    inst.assert_no_secrets_logged()
    assert inst.stop() == 0, inst.log_text()


run_tests([test_types, test_several_result_sets, test_error_then_continue,
           test_transaction_modes, test_wrong_password,
           test_stop])
