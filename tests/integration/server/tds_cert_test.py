"""DIR/tds-cert.pem: the TDS server certificate for clients that pin it.

Proves: `mirrorkeyd init` writes DATA/tds-cert.pem, mode 0644, holding exactly
one PEM certificate (nothing private) whose DER is the certificate object on
the token (read back with pkcs11-tool) and whose CN is the instance name;
`mirrorkeyd run` writes it again when it is missing and replaces it when it
holds something else (here another instance's certificate), and leaves it
alone when it is right; FreeTDS tsql (GnuTLS) with `ca file` pinned to the
file and `check certificate hostname = no` connects to 127.0.0.1 and runs a
query, while the same configuration pinned to another instance's
tds-cert.pem is refused in the TLS handshake; with hostname checking on,
tsql compares the `host` it connects to with the certificate's CN (there is
no subjectAltName): 127.0.0.1 never matches, a host name equal to the
instance name does (an instance named "localhost" reached as localhost).
"""

import os
import re
import ssl
import stat
import subprocess

from mkserver import ADMIN_PASSWORD, Instance, run_tests

PEM_FILE = "tds-cert.pem"

LABELS = {"CERTPIN": "tok", "localhost": "other"}
a = Instance("CERTPIN", label=LABELS["CERTPIN"])
b = Instance("localhost", label=LABELS["localhost"])


def pem_path(inst):
    return os.path.join(inst.data, PEM_FILE)


def read(path):
    with open(path) as f:
        return f.read()


def token_cert_der(inst):
    """The TLS certificate object on inst's token, as DER (public object: no login)."""
    out = os.path.join(inst.dir, "token-cert.der")
    subprocess.run(["pkcs11-tool", "--module", inst.env["MK_MODULE"], "--token-label",
                    LABELS[inst.name], "--read-object", "--type", "cert", "--label", "mirrorkey-tds-" + inst.name,
                    "-o", out], env=inst.env, check=True, capture_output=True, timeout=60)
    with open(out, "rb") as f:
        return f.read()


def cert_subject(path):
    return subprocess.run(["openssl", "x509", "-in", path, "-noout", "-subject"], check=True,
                          capture_output=True, text=True, timeout=30).stdout.strip()


def test_init_writes_the_token_certificate():
    for inst in (a, b):
        path = pem_path(inst)
        st = os.stat(path)
        assert stat.S_ISREG(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o644, oct(st.st_mode)
        text = read(path)
        assert text.count("-----BEGIN CERTIFICATE-----") == 1, text
        # Only the certificate's armour lines (base64 may spell "KEY" by chance).
        armour = [l for l in text.splitlines() if l.startswith("-----")]
        assert armour == ["-----BEGIN CERTIFICATE-----", "-----END CERTIFICATE-----"], armour
        assert ssl.PEM_cert_to_DER_cert(text) == token_cert_der(inst)
        assert re.search(r"CN\s*=\s*%s$" % re.escape(inst.name), cert_subject(path)), path


def test_run_rewrites_missing_file():
    path = pem_path(a)
    want = read(path)
    os.unlink(path)
    a.start()
    assert read(path) == want
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o644
    a.wait_log(r"info: wrote .*/%s" % re.escape(PEM_FILE))
    a.stop()
    # Right already: untouched, nothing logged.
    before = a.log_text()
    mtime = os.stat(path).st_mtime_ns
    a.start()
    a.stop()
    assert os.stat(path).st_mtime_ns == mtime
    assert len(re.findall(re.escape(PEM_FILE), a.log_text())) == \
        len(re.findall(re.escape(PEM_FILE), before))


def test_run_replaces_wrong_file():
    path = pem_path(a)
    want = read(path)
    with open(path, "w") as f:
        f.write(read(pem_path(b)))
    os.chmod(path, 0o600)
    a.start()
    assert read(path) == want
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o644
    a.wait_log(r"warn: replaced .*/%s" % re.escape(PEM_FILE))
    assert ssl.PEM_cert_to_DER_cert(read(path)) == token_cert_der(a)


def write_conf(inst, entries):
    """A freetds.conf with entries {name: (host, ca file or None, check hostname or None)}."""
    conf = os.path.join(inst.dir, "pinned.conf")
    with open(conf, "w") as f:
        f.write("[global]\n\ttds version = 7.4\n")
        for name, (host, ca, check) in entries.items():
            f.write("[%s]\n\thost = %s\n\tport = %d\n\tencryption = require\n"
                    % (name, host, inst.port))
            if ca:
                f.write("\tca file = %s\n" % ca)
            if check is not None:
                f.write("\tcheck certificate hostname = %s\n" % check)
    inst.env["FREETDSCONF"] = conf


def connects(inst, server):
    rc, out = inst.tsql("SELECT @@SERVERNAME", server=server)
    ok = rc == 0 and re.search(r"^%s$" % re.escape(inst.name), out, re.M) is not None
    if not ok:
        assert "There was a problem connecting to the server" in out or rc != 0, out
    return ok, out


def test_tsql_pins_the_file():
    assert a.alive()
    write_conf(a, {
        "pinned": ("127.0.0.1", pem_path(a), "no"),
        "other": ("127.0.0.1", pem_path(b), "no"),
        "pinned_hostcheck": ("127.0.0.1", pem_path(a), None),
    })
    ok, out = connects(a, "pinned")
    assert ok, out
    ok, out = connects(a, "other")
    assert not ok, "another instance's certificate was accepted:\n" + out
    # Hostname checking compares the host with the CN (CERTPIN): an address never matches.
    ok, out = connects(a, "pinned_hostcheck")
    assert not ok, "hostname check passed for 127.0.0.1:\n" + out


def test_tsql_hostname_check_matches_cn():
    # Instance b is named "localhost": reached as localhost its CN matches.
    b.start()
    write_conf(b, {
        "byname": ("localhost", pem_path(b), None),
        "byname_other": ("localhost", pem_path(a), None),
    })
    ok, out = connects(b, "byname")
    assert ok, out
    ok, out = connects(b, "byname_other")
    assert not ok, "another instance's certificate was accepted:\n" + out
    b.stop()


def test_daemons_stop_cleanly():
    assert a.stop() == 0
    a.assert_no_secrets_logged()
    assert ADMIN_PASSWORD not in a.log_text()


run_tests([test_init_writes_the_token_certificate, test_run_rewrites_missing_file,
           test_run_replaces_wrong_file, test_tsql_pins_the_file,
           test_tsql_hostname_check_matches_cn, test_daemons_stop_cleanly])
