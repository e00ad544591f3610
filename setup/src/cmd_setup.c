/*
 * Command lines of `mirrorkey outbound | inbound | apply | status`
 * (docs/setup.md). `apply` and `status` read a topology file; `outbound`,
 * `inbound` and `status --server` describe one instance with options, which
 * are turned into a one-instance topology so that every check is the same.
 * Secrets only ever come from files: options that would carry one (--pin,
 * --password) are refused by name, and no value is echoed in an error.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "apply.h"
#include "commands.h"
#include "mk/buf.h"

#define MAX_CER_BYTES (64 * 1024)

typedef struct cli {
    setup_opts o;
    const char *topology;
    /* one-instance form */
    const char *server, *name, *login, *password_file, *ca_file, *mk_password_file;
    const char *endpoint_port, *role, *expiry, *key, *peer, *cer;
    bool trust;
} cli;

enum {
    O_DRY = 1000,
    O_JSON,
    O_TRANSCRIPT,
    O_SIGN,
    O_SIGNCERT,
    O_ALLOW,
    O_CEROUT,
    O_WAIT,
    O_WARN,
    O_SERVER,
    O_NAME,
    O_LOGIN,
    O_PWFILE,
    O_CA,
    O_TRUST,
    O_MKPW,
    O_PORT,
    O_ROLE,
    O_EXPIRY,
    O_KEY,
    O_PEER,
    O_CER,
    O_SECRET,
    O_HELP,
};

static const struct option longopts[] = {
    {"dry-run", no_argument, NULL, O_DRY},
    {"json", no_argument, NULL, O_JSON},
    {"transcript", required_argument, NULL, O_TRANSCRIPT},
    {"sign-with", required_argument, NULL, O_SIGN},
    {"sign-cert", required_argument, NULL, O_SIGNCERT},
    {"allow-changes", no_argument, NULL, O_ALLOW},
    {"cer-out", required_argument, NULL, O_CEROUT},
    {"wait", required_argument, NULL, O_WAIT},
    {"warn-days", required_argument, NULL, O_WARN},
    {"server", required_argument, NULL, O_SERVER},
    {"name", required_argument, NULL, O_NAME},
    {"login", required_argument, NULL, O_LOGIN},
    {"password-file", required_argument, NULL, O_PWFILE},
    {"ca-file", required_argument, NULL, O_CA},
    {"trust-server-certificate", no_argument, NULL, O_TRUST},
    {"master-key-password-file", required_argument, NULL, O_MKPW},
    {"endpoint-port", required_argument, NULL, O_PORT},
    {"role", required_argument, NULL, O_ROLE},
    {"expiry", required_argument, NULL, O_EXPIRY},
    {"key", required_argument, NULL, O_KEY},
    {"peer", required_argument, NULL, O_PEER},
    {"cer", required_argument, NULL, O_CER},
    {"help", no_argument, NULL, O_HELP},
    /* Spelled out so that prefix matching cannot turn them into --password-file. */
    {"password", required_argument, NULL, O_SECRET},
    {"pin", required_argument, NULL, O_SECRET},
    {"pin-value", required_argument, NULL, O_SECRET},
    {"master-key-password", required_argument, NULL, O_SECRET},
    {NULL, 0, NULL, 0},
};

static void usage(FILE *f)
{
    fputs(
        "usage: mirrorkey apply TOPOLOGY [--dry-run] [--json] [--allow-changes]\n"
        "                       [--cer-out DIR] [--wait SECONDS] [--transcript FILE\n"
        "                       [--sign-with pkcs11:URI [--sign-cert FILE]]]\n"
        "       mirrorkey status (TOPOLOGY | --server ...) [--warn-days N] [--json]\n"
        "       mirrorkey outbound --server HOST:PORT --name NAME CONNECTION\n"
        "                       --master-key-password-file FILE [--endpoint-port N]\n"
        "                       [--role partner|witness|all] [--expiry YYYY-MM-DD]\n"
        "                       [--key rsa:3072|rsa:2048|rsa:4096|ec:p256|ec:p384]\n"
        "                       [--cer-out DIR] [--dry-run] [--json] [--transcript FILE]\n"
        "       mirrorkey inbound --server HOST:PORT --peer NAME --cer FILE CONNECTION\n"
        "                       [--dry-run] [--json] [--allow-changes] [--transcript FILE]\n"
        "\n"
        "CONNECTION: --login NAME --password-file FILE (--ca-file PEM | "
        "--trust-server-certificate)\n"
        "\n"
        "apply      the seeds' outbound procedure on every instance, the public certificates\n"
        "           exchanged in memory, the inbound procedure for every peer, then the\n"
        "           mirroring sessions (SET PARTNER on the mirror, on the principal, SET WITNESS)\n"
        "status     certificates and days to expiry, endpoint, live connections, sessions;\n"
        "           exit 0 all well, 1 warnings, 2 something broken\n"
        "outbound   master key, certificate (key made on the instance's token), endpoint;\n"
        "           writes NAME_cert.cer (public only) into --cer-out (default .)\n"
        "inbound    PEER_login (random password, never shown), PEER_user, PEER_cert FROM\n"
        "           BINARY, GRANT CONNECT on the endpoint\n"
        "\n"
        "--dry-run prints the T-SQL and changes nothing; secrets appear as $(NAME).\n"
        "--allow-changes lets the tool ALTER a differing endpoint, replace a peer\n"
        "certificate whose thumbprint differs, or move a witness; without it they stop\n"
        "that instance with both values named. Passwords come only from files\n"
        "(mode 0600); the signing key's PIN from its URI's pin-source.\n"
        "Exit: 0 done, 1 an instance failed (the others are done), 2 usage.\n",
        f);
}

static int parse(int argc, char **argv, cli *c)
{
    optind = 1;
    opterr = 0;
    int ch;
    char *end = NULL;
    /* Options may come before or after the topology file (GNU permutation). */
    while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (ch) {
        case O_DRY: c->o.dry_run = true; break;
        case O_JSON: c->o.json = true; break;
        case O_TRANSCRIPT: c->o.transcript = optarg; break;
        case O_SIGN: c->o.sign_with = optarg; break;
        case O_SIGNCERT: c->o.sign_cert = optarg; break;
        case O_ALLOW: c->o.allow_changes = true; break;
        case O_CEROUT: c->o.cer_out = optarg; break;
        case O_WAIT:
        case O_WARN: {
            long v = strtol(optarg, &end, 10);
            if (end == optarg || *end != '\0' || v < 0 || v > 3650) {
                fprintf(stderr, "mirrorkey: --%s wants a number of %s\n",
                        ch == O_WAIT ? "wait" : "warn-days", ch == O_WAIT ? "seconds" : "days");
                return 2;
            }
            *(ch == O_WAIT ? &c->o.wait_seconds : &c->o.warn_days) = (int)v;
            break;
        }
        case O_SERVER: c->server = optarg; break;
        case O_NAME: c->name = optarg; break;
        case O_LOGIN: c->login = optarg; break;
        case O_PWFILE: c->password_file = optarg; break;
        case O_CA: c->ca_file = optarg; break;
        case O_TRUST: c->trust = true; break;
        case O_MKPW: c->mk_password_file = optarg; break;
        case O_PORT: c->endpoint_port = optarg; break;
        case O_ROLE: c->role = optarg; break;
        case O_EXPIRY: c->expiry = optarg; break;
        case O_KEY: c->key = optarg; break;
        case O_PEER: c->peer = optarg; break;
        case O_CER: c->cer = optarg; break;
        case O_SECRET:
            fprintf(stderr, "mirrorkey: secrets are never taken on the command line: use "
                            "--password-file / --master-key-password-file (mode 0600)\n");
            return 2;
        case 'h':
        case O_HELP: usage(stdout); return 3;
        default:
            fprintf(stderr, "mirrorkey: unknown or incomplete option '%s' (try --help)\n",
                    argv[optind - 1]);
            return 2;
        }
    }
    return 0;
}

/* A value going into the generated one-instance topology: one line, no comment characters. */
static bool clean_value(const char *what, const char *v)
{
    if (v == NULL) {
        return true;
    }
    if (strpbrk(v, "\n\r;#") != NULL || v[0] == '\0') {
        fprintf(stderr, "mirrorkey: --%s has a character it may not hold (newline, ';', '#')\n",
                what);
        return false;
    }
    return true;
}

/* The one-instance topology of outbound / inbound / status --server, parsed like a file. */
static int single_topology(const cli *c, topology **out)
{
    const char *name = c->name != NULL ? c->name : "INSTANCE";
    const char *need[][2] = {
        {"server", c->server}, {"login", c->login}, {"password-file", c->password_file}};
    for (size_t i = 0; i < 3; i++) {
        if (need[i][1] == NULL) {
            fprintf(stderr, "mirrorkey: --%s is required (try --help)\n", need[i][0]);
            return 2;
        }
    }
    const char *vals[][2] = {{"server", c->server},
                             {"name", name},
                             {"login", c->login},
                             {"password-file", c->password_file},
                             {"ca-file", c->ca_file},
                             {"master-key-password-file", c->mk_password_file},
                             {"endpoint-port", c->endpoint_port},
                             {"role", c->role},
                             {"expiry", c->expiry},
                             {"key", c->key}};
    for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
        if (!clean_value(vals[i][0], vals[i][1])) {
            return 2;
        }
    }
    mk_buf b;
    mk_buf_init(&b, 1 << 16);
    mk_result r = mk_buf_printf(&b, "[instance %s]\nserver = %s\nlogin = %s\npassword-file = %s\n",
                                name, c->server, c->login, c->password_file);
    if (c->ca_file != NULL) {
        r = mk_ok(r) ? mk_buf_printf(&b, "ca-file = %s\n", c->ca_file) : r;
    }
    if (c->trust) {
        r = mk_ok(r) ? mk_buf_printf(&b, "trust-server-certificate = yes\n") : r;
    }
    /* inbound and status never read the master key password: the key only names a file. */
    r = mk_ok(r)
            ? mk_buf_printf(&b, "master-key-password-file = %s\nendpoint-port = %s\n",
                            c->mk_password_file != NULL ? c->mk_password_file : c->password_file,
                            c->endpoint_port != NULL ? c->endpoint_port : "5022")
            : r;
    if (c->role != NULL) {
        r = mk_ok(r) ? mk_buf_printf(&b, "role = %s\n", c->role) : r;
    }
    if (c->expiry != NULL) {
        r = mk_ok(r) ? mk_buf_printf(&b, "certificate-expiry = %s\n", c->expiry) : r;
    }
    if (c->key != NULL) {
        r = mk_ok(r) ? mk_buf_printf(&b, "key = %s\n", c->key) : r;
    }
    r = mk_ok(r) ? mk_buf_terminate(&b) : r;
    if (mk_ok(r)) {
        r = topo_parse_string((const char *)b.data, "command line", out);
    }
    mk_buf_cleanup(&b);
    if (mk_failed(r)) {
        fprintf(stderr, "mirrorkey: %s\n", mk_error_message());
        return 2;
    }
    return 0;
}

static int read_cer(const char *path, peer_cert *pc)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "mirrorkey: cannot read %s\n", path);
        return 1;
    }
    pc->der = malloc(MAX_CER_BYTES);
    size_t n = pc->der != NULL ? fread(pc->der, 1, MAX_CER_BYTES, f) : 0;
    fclose(f);
    cert_facts facts;
    pc->der_len = n;
    if (n == 0 || n == MAX_CER_BYTES || mk_failed(cert_facts_get(pc->der, n, &facts))) {
        fprintf(stderr,
                "mirrorkey: %s is not a DER certificate (what BACKUP CERTIFICATE and "
                "outbound write)\n",
                path);
        return 1;
    }
    pc->known = true;
    return 0;
}

static int run_command(const char *cmd, cli *c, topology *topo)
{
    setup_run run;
    inst_ctx insts[TOPO_MAX_INSTANCES];
    mkc_target targets[TOPO_MAX_INSTANCES];
    peer_cert peer = {0};
    int rc = 1;
    size_t n = topo->n_instances;
    memset(insts, 0, sizeof(insts));
    if (strcmp(cmd, "inbound") == 0 && read_cer(c->cer, &peer) != 0) {
        free(peer.der);
        return 1;
    }
    for (size_t i = 0; i < n; i++) {
        const topo_instance *ti = &topo->instances[i];
        targets[i] = (mkc_target){ti->name, ti->server,  ti->host,
                                  ti->port, ti->ca_file, ti->trust_server_certificate};
    }
    run_init(&run, &c->o, topo);
    if (mk_failed(mkc_global_init(targets, n))) {
        fprintf(stderr, "mirrorkey: %s\n", mk_error_message());
        mkc_global_cleanup();
        run_cleanup(&run);
        free(peer.der);
        return 1;
    }
    if (c->o.transcript != NULL && mk_failed(mkt_open(c->o.transcript, &run.transcript))) {
        fprintf(stderr, "mirrorkey: transcript: %s\n", mk_error_message());
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        insts[i] = (inst_ctx){.run = &run, .index = i, .ti = &topo->instances[i]};
    }
    run_bounds(&run, "start", c->topology != NULL ? c->topology : "command line");
    if (strcmp(cmd, "apply") == 0) {
        rc = apply_run(&run, insts);
    } else if (strcmp(cmd, "status") == 0) {
        status_run(&run, insts);
    } else if (strcmp(cmd, "outbound") == 0) {
        proc_outbound(&insts[0]);
        rc = insts[0].failed ? 1 : 0;
    } else {
        phase_begin(&insts[0], "inbound");
        proc_inbound(&insts[0], c->peer, &peer);
        rc = insts[0].failed ? 1 : 0;
    }
    run_bounds(&run, "end", c->topology != NULL ? c->topology : "command line");
    int worst = run_finish(&run);
    if (strcmp(cmd, "status") == 0) {
        rc = worst; /* status: 0 all well, 1 warnings, 2 broken */
    }
out:
    for (size_t i = 0; i < n; i++) {
        inst_cleanup(&insts[i]);
    }
    if (run.transcript != NULL) {
        if (mk_failed(mkt_close(run.transcript))) {
            fprintf(stderr, "mirrorkey: transcript: %s\n", mk_error_message());
            rc = rc == 0 ? 1 : rc;
        } else if (c->o.sign_with != NULL) {
            char sig[4096];
            snprintf(sig, sizeof(sig), "%s.p7s", c->o.transcript);
            if (mk_failed(mkt_sign(c->o.transcript, c->o.sign_with, c->o.sign_cert, sig))) {
                fprintf(stderr, "mirrorkey: signing the transcript: %s\n", mk_error_message());
                rc = rc == 0 ? 1 : rc;
            } else if (!c->o.json) {
                printf("transcript %s signed: %s\n", c->o.transcript, sig);
            }
        }
    }
    mkc_global_cleanup();
    run_cleanup(&run);
    free(peer.der);
    return rc;
}

int mk_cmd_setup(const char *cmd, int argc, char **argv)
{
    cli c;
    memset(&c, 0, sizeof(c));
    c.o.command = cmd;
    c.o.wait_seconds = 60;
    c.o.warn_days = 30;
    int rc = parse(argc, argv, &c);
    if (rc != 0) {
        return rc == 3 ? 0 : rc;
    }
    bool takes_file = strcmp(cmd, "apply") == 0 || (strcmp(cmd, "status") == 0 && !c.server);
    if (takes_file) {
        if (optind != argc - 1) {
            fprintf(stderr, "mirrorkey %s: give exactly one topology file (try --help)\n", cmd);
            return 2;
        }
        c.topology = argv[optind];
    } else if (optind != argc) {
        fprintf(stderr, "mirrorkey %s: unexpected argument '%s' (try --help)\n", cmd, argv[optind]);
        return 2;
    }
    if (c.o.sign_with != NULL && c.o.transcript == NULL) {
        fprintf(stderr, "mirrorkey: --sign-with signs the transcript: give --transcript FILE\n");
        return 2;
    }
    if (strcmp(cmd, "outbound") == 0) {
        if (c.name == NULL || c.mk_password_file == NULL) {
            fprintf(stderr, "mirrorkey outbound: --name and --master-key-password-file are "
                            "required\n");
            return 2;
        }
        if (c.o.cer_out == NULL) {
            c.o.cer_out = ".";
        }
    }
    if (strcmp(cmd, "inbound") == 0 && (c.peer == NULL || c.cer == NULL)) {
        fprintf(stderr, "mirrorkey inbound: --peer and --cer are required\n");
        return 2;
    }
    topology *topo = NULL;
    if (takes_file) {
        if (mk_failed(topo_load_file(c.topology, &topo))) {
            fprintf(stderr, "mirrorkey: %s\n", mk_error_message());
            return 2;
        }
    } else if ((rc = single_topology(&c, &topo)) != 0) {
        return rc;
    }
    if (c.peer != NULL && !clean_value("peer", c.peer)) {
        topo_free(topo);
        return 2;
    }
    rc = run_command(cmd, &c, topo);
    topo_free(topo);
    return rc;
}
