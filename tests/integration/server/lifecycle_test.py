"""mirrorkeyd's command line, init and process lifecycle.

Proves: --help works for every command; bad arguments give one line and exit
2 without echoing values; init creates a 0700 data directory with a 0600
catalog and a configuration without any PIN, refuses pin-value URIs,
group-readable password files, weak passwords, unknown tokens and existing
instances (exit 1, nothing left behind), defaults the instance name to the
host name in upper case, and makes RSA identities too; run refuses a missing
instance and a busy port; SIGHUP is logged and service continues; SIGTERM
and SIGINT stop the daemon with exit 0 promptly, open sessions included.
"""

import os
import signal
import socket
import stat
import time

import tdsclient as tc
from mkserver import ADMIN, ADMIN_PASSWORD, Instance, run_tests, write_secret

inst = Instance("LIFE")


def test_help():
    for args in (["--help"], ["init", "--help"], ["run", "--help"], ["run", "--bogus", "--help"]):
        r = inst.mirrorkeyd(*args)
        assert r.returncode == 0 and r.stdout.startswith("usage: mirrorkeyd"), (args, r)
    assert "--admin-password-file" in inst.mirrorkeyd("init", "--help").stdout
    assert "--tds-listen" in inst.mirrorkeyd("run", "--help").stdout


def test_bad_arguments():
    cases = [[], ["serve"], ["run"], ["run", "--data-dir", inst.data, "--password=S3cretValue"],
             ["run", "--data-dir", inst.data, "S3cretValue"],
             ["run", "--data-dir", inst.data, "--tds-listen", "S3cretValue"],
             ["run", "--data-dir", inst.data, "--max-connections", "0"],
             ["init", "--data-dir", "/x"], ["init", "--key-type", "dsa"]]
    for args in cases:
        r = inst.mirrorkeyd(*args)
        assert r.returncode == 2, (args, r)
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("mirrorkeyd: "), (args, r.stderr)
        assert "S3cretValue" not in r.stderr + r.stdout, (args, r.stderr)


def test_init_result():
    st = os.stat(inst.data)
    assert stat.S_IMODE(st.st_mode) == 0o700, oct(st.st_mode)
    cat = os.path.join(inst.data, "catalog.db")
    assert stat.S_IMODE(os.stat(cat).st_mode) == 0o600
    conf = open(os.path.join(inst.data, "mirrorkeyd.conf")).read()
    assert "instance_name = LIFE" in conf and "tls_key_label = mirrorkey-tds-LIFE" in conf, conf
    assert "pin-source=file:" in conf and "pin-value" not in conf, conf
    assert open(inst.pin_file).read().strip() not in conf
    assert os.path.isdir(os.path.join(inst.data, "files"))


def expect_init_fails(fragment, data=None, **kw):
    data = data or os.path.join(inst.dir, "other")
    r = inst.init("--instance-name", "OTHER", data=data, **kw)
    assert r.returncode == 1, r
    assert fragment in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    return r


def test_init_refusals():
    other = os.path.join(inst.dir, "other")
    pin = open(inst.pin_file).read().strip()
    r = expect_init_fails("pin-value", uri=inst.uri.split("?")[0] + "?pin-value=" + pin)
    assert pin not in r.stderr + r.stdout
    loose = os.path.join(inst.dir, "loose.pw")
    write_secret(loose, ADMIN_PASSWORD, mode=0o640)
    expect_init_fails("chmod 600", pwfile=loose)
    weak = os.path.join(inst.dir, "weak.pw")
    write_secret(weak, "password")
    expect_init_fails("password policy", pwfile=weak)
    expect_init_fails("no token matches", uri="pkcs11:token=no-such-token?module-path=" +
                      inst.env["MK_MODULE"] + "&pin-source=file:" + inst.pin_file)
    r = expect_init_fails("refusing to overwrite", data=inst.data)
    assert not os.path.exists(other), "a failed init left its directory behind"


def test_init_undoes_on_token_conflict():
    # Same instance name on the same token: the TLS key label is taken.
    other = os.path.join(inst.dir, "other2")
    r = inst.init("--instance-name", "LIFE", data=other)
    assert r.returncode == 1 and "mirrorkey-tds-LIFE" in r.stderr, r
    assert not os.path.exists(other), "a failed init left its directory behind"


def test_default_instance_name():
    host = socket.gethostname().split(".")[0].upper()
    d = Instance(name=None, label="tok2")
    conf = open(os.path.join(d.data, "mirrorkeyd.conf")).read()
    assert "instance_name = %s\n" % host in conf, conf
    d.cleanup()


def test_rsa_identity():
    r = Instance("RSALIFE", key_type="rsa", label="tok3")
    r.start("--log-level", "debug")
    rc, out = r.tsql("SELECT @@SERVERNAME")
    assert rc == 0 and "RSALIFE" in out, out
    r.wait_log(r"TLSv1\.2, ECDHE-RSA-AES\d+-GCM")
    assert r.stop() == 0
    r.cleanup()


def test_run_refusals():
    r = inst.mirrorkeyd("run", "--data-dir", os.path.join(inst.dir, "missing"),
                        "--tds-listen", "127.0.0.1:0")
    assert r.returncode == 1 and "no instance in" in r.stderr, r
    inst.start()
    r = inst.mirrorkeyd("run", "--data-dir", inst.data, "--tds-listen",
                        "127.0.0.1:%d" % inst.port, timeout=60)
    assert r.returncode == 1 and "already in use" in r.stderr, r
    inst.assert_serving()


def test_sighup():
    inst.proc.send_signal(signal.SIGHUP)
    inst.wait_log(r"SIGHUP")
    inst.assert_serving()


def test_sigterm_with_open_sessions():
    c = tc.TdsClient(inst.port)
    reply = c.login(ADMIN, ADMIN_PASSWORD)
    assert reply is not None and b"\xad" in reply[1]
    idle = tc.TdsClient(inst.port)  # connected, never logs in
    time.sleep(0.3)
    start = time.time()
    assert inst.stop(signal.SIGTERM, timeout=15) == 0, inst.log_text()
    assert time.time() - start < 5, time.time() - start
    assert c.closed_by_server() and idle.closed_by_server()
    assert "closing 2 open connection(s)" in inst.log_text(), inst.log_text()
    c.close()
    idle.close()


def test_sigint():
    inst.start()
    inst.assert_serving()
    assert inst.stop(signal.SIGINT) == 0, inst.log_text()
    assert "SIGINT received" in inst.log_text()
    inst.assert_no_secrets_logged()


run_tests([test_help, test_bad_arguments, test_init_result, test_init_refusals,
           test_init_undoes_on_token_conflict, test_default_instance_name, test_rsa_identity,
           test_run_refusals, test_sighup, test_sigterm_with_open_sessions, test_sigint])
