"""Fixture for the mirrorkeyd integration tests.

An Instance is a private temp directory with a fresh SoftHSM2 token
(scripts/softhsm-token.sh), a 0600 admin password file, a data directory made
by `mirrorkeyd init`, and (after start()) a `mirrorkeyd run` process listening
on 127.0.0.1:0 whose port is read from its log line "tds listening on
127.0.0.1:PORT". Every wait is bounded; cleanup() kills the daemon and removes
the directory, and runs at exit even when a test fails.

Clients: tsql (FreeTDS; it only takes the password on its command line, which
is acceptable for throwaway test passwords), the db-lib test client (reads
the password from a file) and pymssql (imported lazily by the tests that need
it). A freetds.conf (FREETDSCONF) names three servers for the instance:
  req  encryption = require   (PRELOGIN ENCRYPTION=ON)
  def  FreeTDS default         (request: ENCRYPTION=OFF)
  off  encryption = off        (ENCRYPTION=NOT_SUP)
all with tds version = 7.4.
"""

import atexit
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time

MIRRORKEYD = os.environ["MIRRORKEYD"]
SOURCE_DIR = os.environ["MK_SOURCE_DIR"]
DBLIB_CLIENT = os.environ.get("MK_DBLIB_CLIENT", "")
TSQL = os.environ.get("MK_TSQL", "tsql")
TOKEN_SCRIPT = os.path.join(SOURCE_DIR, "scripts", "softhsm-token.sh")

ADMIN = "admin"
ADMIN_PASSWORD = "Adm1n-Passw0rd!"

_live = []


def _cleanup_all():
    for inst in list(_live):
        inst.cleanup()


atexit.register(_cleanup_all)


def _sigterm(signum, frame):
    _cleanup_all()
    sys.exit(1)


signal.signal(signal.SIGTERM, _sigterm)


def write_secret(path, text, mode=0o600):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w") as f:
        f.write(text + "\n")
    os.chmod(path, mode)


class Instance:
    def __init__(self, name="MKTEST", key_type=None, init=True, label="tok"):
        self.dir = tempfile.mkdtemp(prefix="mk-srv-")
        _live.append(self)
        self.name = name
        self.proc = None
        self.port = None
        self.log_path = os.path.join(self.dir, "mirrorkeyd.log")
        self.data = os.path.join(self.dir, "data")
        self.pwfile = os.path.join(self.dir, "admin.pw")
        write_secret(self.pwfile, ADMIN_PASSWORD)
        self.env = dict(os.environ)
        self._make_token(label)
        self.conf = os.path.join(self.dir, "freetds.conf")
        self.env["FREETDSCONF"] = self.conf
        if init:
            args = ["--instance-name", name] if name else []
            if key_type:
                args += ["--key-type", key_type]
            r = self.init(*args)
            if r.returncode != 0:
                raise AssertionError("mirrorkeyd init failed: %s%s" % (r.stdout, r.stderr))

    def _make_token(self, label):
        out = subprocess.run(["bash", TOKEN_SCRIPT, os.path.join(self.dir, "hsm"), label],
                             capture_output=True, text=True, timeout=60, check=True).stdout
        for line in out.splitlines():
            m = re.match(r"export (\w+)=(.*)$", line)
            if m:
                self.env[m.group(1)] = shlex.split(m.group(2))[0]
        self.uri = self.env["MK_TOKEN_URI"]
        self.pin_file = self.env["MK_PIN_FILE"]

    # ---- processes ----

    def mirrorkeyd(self, *args, timeout=120):
        return subprocess.run([MIRRORKEYD, *args], capture_output=True, text=True,
                              env=self.env, timeout=timeout)

    def init(self, *extra, data=None, uri=None, pwfile=None, login=ADMIN):
        return self.mirrorkeyd("init", "--data-dir", data or self.data,
                               "--pkcs11-uri", uri or self.uri, "--admin-login", login,
                               "--admin-password-file", pwfile or self.pwfile, *extra)

    def start(self, *extra, timeout=60):
        offset = len(self.log_text())
        self.log = open(self.log_path, "a")
        self.proc = subprocess.Popen(
            [MIRRORKEYD, "run", "--data-dir", self.data, "--tds-listen", "127.0.0.1:0", *extra],
            stdout=self.log, stderr=self.log, env=self.env)
        deadline = time.time() + timeout
        while time.time() < deadline:
            m = re.search(r"tds listening on 127\.0\.0\.1:(\d+)", self.log_text()[offset:])
            if m:
                self.port = int(m.group(1))
                self._write_conf()
                return self.port
            if self.proc.poll() is not None:
                raise AssertionError("mirrorkeyd exited %d:\n%s" % (self.proc.returncode,
                                                                    self.log_text()))
            time.sleep(0.05)
        raise AssertionError("mirrorkeyd did not report its port:\n" + self.log_text())

    def stop(self, sig=signal.SIGTERM, timeout=30):
        """Signal the daemon and return its exit code (bounded wait)."""
        if self.proc is None:
            return None
        self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("mirrorkeyd did not stop within %ds:\n%s" % (timeout,
                                                                           self.log_text()))
        self.proc = None
        self.log.close()
        return rc

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def cleanup(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None
        if self in _live:
            _live.remove(self)
        shutil.rmtree(self.dir, ignore_errors=True)

    def log_text(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def wait_log(self, pattern, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            m = re.search(pattern, self.log_text())
            if m:
                return m
            time.sleep(0.05)
        raise AssertionError("log never matched %r:\n%s" % (pattern, self.log_text()))

    def wait_idle(self, timeout=30):
        """Wait until every accepted connection has been closed (per the log)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            text = self.log_text()
            accepted = len(re.findall(r"connection \d+ from \S+ accepted", text))
            closed = len(re.findall(r"connection \d+ from \S+ closed", text))
            if accepted == closed:
                return
            time.sleep(0.05)
        raise AssertionError("connections still open:\n" + self.log_text())

    def _write_conf(self):
        with open(self.conf, "w") as f:
            f.write("[global]\n\ttds version = 7.4\n")
            for entry, enc in (("req", "require"), ("def", None), ("off", "off")):
                f.write("[%s]\n\thost = 127.0.0.1\n\tport = %d\n" % (entry, self.port))
                if enc:
                    f.write("\tencryption = %s\n" % enc)

    # ---- clients ----

    def tsql(self, sql, server="req", user=ADMIN, password=ADMIN_PASSWORD, timeout=60):
        """Run sql (one batch) with tsql; return (returncode, output)."""
        r = subprocess.run([TSQL, "-S", server, "-U", user, "-P", password],
                           input=sql + "\ngo\nexit\n", capture_output=True, text=True,
                           env=self.env, timeout=timeout)
        return r.returncode, r.stdout + r.stderr

    def dblib(self, sql, user=ADMIN, password=ADMIN_PASSWORD, server="req", repeat=1,
              timeout=120):
        pw = os.path.join(self.dir, "dblib.pw")
        write_secret(pw, password)
        r = subprocess.run([DBLIB_CLIENT, "-S", server, "-U", user, "-P", pw, "-n",
                            str(repeat), sql], capture_output=True, text=True, env=self.env,
                           timeout=timeout)
        return r.returncode, r.stdout + r.stderr

    def pymssql(self, user=ADMIN, password=ADMIN_PASSWORD, login_timeout=60, autocommit=False,
                **kw):
        """A pymssql connection; pymssql's default (autocommit off) opens with BEGIN TRAN."""
        os.environ["FREETDSCONF"] = self.conf
        import pymssql
        return pymssql.connect(server="127.0.0.1", port=self.port, user=user, password=password,
                               login_timeout=login_timeout, timeout=120, autocommit=autocommit,
                               **kw)

    def assert_serving(self):
        """A normal query still works (the daemon survived whatever came before)."""
        assert self.alive(), "mirrorkeyd died:\n" + self.log_text()
        rc, out = self.tsql("SELECT name FROM sys.server_principals WHERE name = 'admin'")
        assert rc == 0 and "(1 row affected)" in out, out

    def assert_no_secrets_logged(self):
        text = self.log_text()
        with open(self.pin_file) as f:
            pin = f.read().strip()
        assert ADMIN_PASSWORD not in text, "password in the log"
        assert pin not in text, "PIN in the log"


def run_tests(tests):
    """Run test functions in order, report each, exit non-zero on failure."""
    failed = 0
    for t in tests:
        start = time.time()
        try:
            t()
            print("ok   %s (%.1fs)" % (t.__name__, time.time() - start), flush=True)
        except Exception as e:  # noqa: BLE001 - report every failure
            failed += 1
            print("FAIL %s: %s" % (t.__name__, e), flush=True)
            import traceback
            traceback.print_exc()
    _cleanup_all()
    sys.exit(1 if failed else 0)
