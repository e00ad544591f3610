/*
 * Command-line parsing for mirrorkeyd (see srv/cli.h). Table-driven: each
 * option names the command it belongs to and where its value goes.
 */
#include "srv/cli.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "net/socket.h"

typedef enum opt_id {
    O_DATA_DIR,
    O_PKCS11_URI,
    O_ADMIN_LOGIN,
    O_ADMIN_PW_FILE,
    O_FILE_ROOT,
    O_INSTANCE_NAME,
    O_KEY_TYPE,
    O_LISTEN,
    O_LOG_LEVEL,
    O_MAX_CONN,
    O_LOGIN_TIMEOUT,
} opt_id;

typedef struct opt_def {
    const char *name;
    opt_id id;
    srv_command command; /* SRV_CMD_NONE: both commands */
} opt_def;

static const opt_def opts[] = {
    {"--data-dir", O_DATA_DIR, SRV_CMD_NONE},
    {"--pkcs11-uri", O_PKCS11_URI, SRV_CMD_INIT},
    {"--admin-login", O_ADMIN_LOGIN, SRV_CMD_INIT},
    {"--admin-password-file", O_ADMIN_PW_FILE, SRV_CMD_INIT},
    {"--file-root", O_FILE_ROOT, SRV_CMD_INIT},
    {"--instance-name", O_INSTANCE_NAME, SRV_CMD_INIT},
    {"--key-type", O_KEY_TYPE, SRV_CMD_INIT},
    {"--tds-listen", O_LISTEN, SRV_CMD_RUN},
    {"--log-level", O_LOG_LEVEL, SRV_CMD_RUN},
    {"--max-connections", O_MAX_CONN, SRV_CMD_RUN},
    {"--login-timeout", O_LOGIN_TIMEOUT, SRV_CMD_RUN},
};

static const char usage_all[] =
    "usage: mirrorkeyd init --data-dir DIR --pkcs11-uri URI --admin-login NAME\n"
    "                       --admin-password-file FILE [--file-root DIR]\n"
    "                       [--instance-name NAME] [--key-type rsa|ec]\n"
    "       mirrorkeyd run --data-dir DIR [--tds-listen ADDR:PORT] [--log-level LEVEL]\n"
    "                      [--max-connections N] [--login-timeout SECONDS]\n"
    "       mirrorkeyd [init|run] --help\n"
    "\n"
    "mirrorkeyd is a mirrorkey instance: a security catalog, a TLS identity and\n"
    "endpoint keys on a PKCS#11 token, administered over TDS with T-SQL.\n";

static const char usage_init[] =
    "usage: mirrorkeyd init --data-dir DIR --pkcs11-uri URI --admin-login NAME\n"
    "                       --admin-password-file FILE [--file-root DIR]\n"
    "                       [--instance-name NAME] [--key-type rsa|ec]\n"
    "\n"
    "Create a new instance in DIR (mode 0700): configuration, SQLite catalog, the\n"
    "first sysadmin login, and the TDS TLS key pair and certificate on the token\n"
    "(a public copy of the certificate goes to DIR/tds-cert.pem for clients).\n"
    "\n"
    "  --data-dir DIR             instance directory (must not hold an instance)\n"
    "  --pkcs11-uri URI           token selector with module-path and pin-source,\n"
    "                             e.g. 'pkcs11:token=T?module-path=/x.so&pin-source=file:/p'\n"
    "                             (pin-value is refused: PINs never go on a command line)\n"
    "  --admin-login NAME         first sysadmin login (sa enables sa)\n"
    "  --admin-password-file FILE its password, one line, file mode 0600\n"
    "  --file-root DIR            root for FROM FILE / TO FILE (default DIR/files)\n"
    "  --instance-name NAME       @@SERVERNAME and certificate CN (default: host name)\n"
    "  --key-type rsa|ec          TLS key: EC P-256 (default) or RSA 3072\n";

static const char usage_run[] =
    "usage: mirrorkeyd run --data-dir DIR [--tds-listen ADDR:PORT] [--log-level LEVEL]\n"
    "                      [--max-connections N] [--login-timeout SECONDS]\n"
    "\n"
    "Serve the instance in the foreground, logging to stderr. SIGTERM or SIGINT\n"
    "stop it (exit 0); SIGHUP reopens logs.\n"
    "\n"
    "  --data-dir DIR           instance directory made by `mirrorkeyd init`\n"
    "  --tds-listen ADDR:PORT   TDS listener (default " SRV_DEFAULT_LISTEN "; port 0 picks\n"
    "                           a free port, logged as 'tds listening on ADDR:PORT')\n"
    "  --log-level LEVEL        error, warn, info (default) or debug\n"
    "  --max-connections N      concurrent TDS connections (default 64); more are\n"
    "                           closed at once\n"
    "  --login-timeout SECONDS  a client that stalls before it is logged in is\n"
    "                           dropped after this long without data (default 30)\n";

const char *srv_cli_usage(srv_command command)
{
    switch (command) {
    case SRV_CMD_INIT: return usage_init;
    case SRV_CMD_RUN: return usage_run;
    default: return usage_all;
    }
}

static MK_RESULT parse_uint(const char *v, unsigned lo, unsigned hi, const char *opt, unsigned *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long n = strtoul(v, &end, 10);
    ENSURE_MSG(v[0] >= '0' && v[0] <= '9' && *end == '\0' && errno == 0 && n >= lo && n <= hi,
               MK_E_INVALID, "%s wants a number from %u to %u", opt, lo, hi);
    *out = (unsigned)n;
    return MK_OK;
}

static MK_RESULT set_option(srv_cli *c, const opt_def *d, const char *v)
{
    ENSURE_MSG(v[0] != '\0', MK_E_INVALID, "%s needs a non-empty value", d->name);
    switch (d->id) {
    case O_DATA_DIR:
        c->init.data_dir = v;
        c->run.data_dir = v;
        return MK_OK;
    case O_PKCS11_URI: c->init.pkcs11_uri = v; return MK_OK;
    case O_ADMIN_LOGIN: c->init.admin_login = v; return MK_OK;
    case O_ADMIN_PW_FILE: c->init.admin_password_file = v; return MK_OK;
    case O_FILE_ROOT: c->init.file_root = v; return MK_OK;
    case O_INSTANCE_NAME: c->init.instance_name = v; return MK_OK;
    case O_KEY_TYPE:
        ENSURE_MSG(strcmp(v, "rsa") == 0 || strcmp(v, "ec") == 0, MK_E_INVALID,
                   "--key-type must be rsa or ec");
        c->init.key_type = strcmp(v, "rsa") == 0 ? SRV_KEY_RSA : SRV_KEY_EC;
        return MK_OK;
    case O_LISTEN: {
        char host[256];
        uint16_t port = 0;
        ENSURE_MSG(mk_ok(net_parse_hostport(v, host, sizeof(host), &port)), MK_E_INVALID,
                   "--tds-listen wants ADDR:PORT (e.g. 127.0.0.1:1433, [::1]:0)");
        c->run.listen = v;
        return MK_OK;
    }
    case O_LOG_LEVEL:
        ENSURE_MSG(mk_ok(mk_log_parse_level(v, &c->run.log_level)), MK_E_INVALID,
                   "--log-level must be error, warn, info or debug");
        c->run.has_log_level = true;
        return MK_OK;
    case O_MAX_CONN:
        return parse_uint(v, 1, SRV_MAX_CONNECTIONS_LIMIT, "--max-connections",
                          &c->run.max_connections);
    case O_LOGIN_TIMEOUT:
        return parse_uint(v, 1, SRV_LOGIN_TIMEOUT_LIMIT_S, "--login-timeout",
                          &c->run.login_timeout_s);
    }
    BAIL(MK_E_INTERNAL);
}

/* Find the option whose name is arg[0..n). */
static const opt_def *find_opt(const char *arg, size_t n)
{
    for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
        if (strlen(opts[i].name) == n && strncmp(opts[i].name, arg, n) == 0) {
            return &opts[i];
        }
    }
    return NULL;
}

static MK_RESULT check_required(const srv_cli *c)
{
    if (c->command == SRV_CMD_INIT) {
        ENSURE_MSG(c->init.data_dir != NULL, MK_E_INVALID, "init: --data-dir is required");
        ENSURE_MSG(c->init.pkcs11_uri != NULL, MK_E_INVALID, "init: --pkcs11-uri is required");
        ENSURE_MSG(c->init.admin_login != NULL, MK_E_INVALID, "init: --admin-login is required");
        ENSURE_MSG(c->init.admin_password_file != NULL, MK_E_INVALID,
                   "init: --admin-password-file is required");
    } else if (c->command == SRV_CMD_RUN) {
        ENSURE_MSG(c->run.data_dir != NULL, MK_E_INVALID, "run: --data-dir is required");
    } else {
        BAIL_MSG(MK_E_INVALID, "missing command: init or run (see mirrorkeyd --help)");
    }
    return MK_OK;
}

/* One "--name value" or "--name=value" starting at argv[*i]. */
static MK_RESULT parse_option(srv_cli *c, int argc, char *const argv[], int *i)
{
    const char *arg = argv[*i];
    const char *eq = strchr(arg, '=');
    size_t n = eq != NULL ? (size_t)(eq - arg) : strlen(arg);
    const opt_def *d = find_opt(arg, n);
    ENSURE_MSG(d != NULL, MK_E_INVALID, "unknown option '%.*s' (see mirrorkeyd --help)",
               (int)(n > 40 ? 40 : n), arg);
    ENSURE_MSG(d->command == SRV_CMD_NONE || d->command == c->command, MK_E_INVALID,
               "%s is not an option of '%s'", d->name,
               c->command == SRV_CMD_INIT  ? "init"
               : c->command == SRV_CMD_RUN ? "run"
                                           : "");
    const char *v = eq != NULL ? eq + 1 : NULL;
    if (v == NULL) {
        ENSURE_MSG(*i + 1 < argc, MK_E_INVALID, "%s needs a value", d->name);
        v = argv[++*i];
    }
    return set_option(c, d, v);
}

MK_RESULT srv_cli_parse(int argc, char *const argv[], srv_cli *out)
{
    memset(out, 0, sizeof(*out));
    out->run.listen = SRV_DEFAULT_LISTEN;
    out->run.max_connections = SRV_DEFAULT_MAX_CONNECTIONS;
    out->run.login_timeout_s = SRV_DEFAULT_LOGIN_TIMEOUT_S;
    int i = 1;
    if (i < argc && strcmp(argv[i], "init") == 0) {
        out->command = SRV_CMD_INIT;
        i++;
    } else if (i < argc && strcmp(argv[i], "run") == 0) {
        out->command = SRV_CMD_RUN;
        i++;
    }
    /* --help anywhere wins, so that `mirrorkeyd run --bogus --help` still helps. */
    for (int j = i; j < argc; j++) {
        if (strcmp(argv[j], "--help") == 0 || strcmp(argv[j], "-h") == 0) {
            out->help = true;
            return MK_OK;
        }
    }
    for (; i < argc; i++) {
        ENSURE_MSG(out->command != SRV_CMD_NONE, MK_E_INVALID,
                   "unknown command (expected init or run; see mirrorkeyd --help)");
        ENSURE_MSG(strncmp(argv[i], "--", 2) == 0, MK_E_INVALID,
                   "unexpected argument #%d (options start with --)", i);
        GUARD(parse_option(out, argc, argv, &i));
    }
    return check_required(out);
}
