/*
 * mirrorkeyd's command line (docs/server.md):
 *
 *   mirrorkeyd init --data-dir DIR --pkcs11-uri URI --admin-login NAME
 *                   --admin-password-file FILE [--file-root DIR]
 *                   [--instance-name NAME] [--key-type rsa|ec]
 *   mirrorkeyd run  --data-dir DIR [--tds-listen ADDR:PORT] [--log-level L]
 *                   [--max-connections N] [--login-timeout SECONDS]
 *   mirrorkeyd [init|run] --help
 *
 * Options take their value as the next argument or after '='. The parser is
 * pure: it borrows argv strings and reports the first problem as one line
 * that names the option but never echoes a value (a value could be a secret
 * typed in the wrong place).
 */
#ifndef SRV_CLI_H
#define SRV_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "mk/log.h"
#include "mk/result.h"

#define SRV_DEFAULT_LISTEN "127.0.0.1:1433"
#define SRV_DEFAULT_MAX_CONNECTIONS 64u
#define SRV_MAX_CONNECTIONS_LIMIT 4096u
#define SRV_DEFAULT_LOGIN_TIMEOUT_S 30u
#define SRV_LOGIN_TIMEOUT_LIMIT_S 3600u

typedef enum srv_command {
    SRV_CMD_NONE = 0, /* only --help (or nothing) */
    SRV_CMD_INIT,
    SRV_CMD_RUN,
} srv_command;

typedef enum srv_key_type { SRV_KEY_EC = 0, SRV_KEY_RSA } srv_key_type;

typedef struct srv_init_args {
    const char *data_dir;
    const char *pkcs11_uri;
    const char *admin_login;
    const char *admin_password_file;
    const char *file_root;     /* NULL: DATA_DIR/files */
    const char *instance_name; /* NULL: host name, upper case */
    srv_key_type key_type;
} srv_init_args;

typedef struct srv_run_args {
    const char *data_dir;
    const char *listen; /* SRV_DEFAULT_LISTEN when not given */
    bool has_log_level;
    mk_log_level log_level;
    unsigned max_connections;
    unsigned login_timeout_s; /* per read, from connect until logged in */
} srv_run_args;

typedef struct srv_cli {
    srv_command command;
    bool help;
    srv_init_args init;
    srv_run_args run;
} srv_cli;

/*
 * Parse argv[1..argc). On success *out says what to do (help wins over
 * everything else). MK_E_INVALID with a one-line message otherwise; the
 * caller prints it and exits 2.
 */
MK_RESULT srv_cli_parse(int argc, char *const argv[], srv_cli *out);

/* Usage text for a command (SRV_CMD_NONE: the overview). */
const char *srv_cli_usage(srv_command command);

#endif
