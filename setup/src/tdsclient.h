/*
 * The setup tool's only way to an instance: FreeTDS db-lib, one connection
 * per instance, T-SQL batches in, rows and messages out. No TDS is written
 * here by hand.
 *
 * Connections are always encrypted. The server's TDS certificate is checked
 * against the instance's `ca-file` (FreeTDS `ca file`); a ca-file holding one
 * self-signed certificate pins that certificate and host names are not
 * compared (an instance's certificate names the instance, not the host).
 * Only an explicit trust-server-certificate skips the check. FreeTDS reads
 * these settings from a freetds.conf that mkc_global_init writes into a
 * private temporary directory (it holds no secret) and removes at exit.
 */
#ifndef MK_SETUP_TDSCLIENT_H
#define MK_SETUP_TDSCLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mk/result.h"
#include "mk/secret.h"

/* Where and how to reach one instance. */
typedef struct mkc_target {
    const char *name;    /* the instance's name in messages */
    const char *server;  /* as written by the user */
    const char *host;    /* host, or a freetds.conf server name when port == 0 */
    unsigned port;       /* 0: look `host` up in the user's freetds.conf, else 1433 */
    const char *ca_file; /* NULL only with trust */
    bool trust;          /* trust-server-certificate: no certificate check */
} mkc_target;

/*
 * Write the private freetds.conf for `n` targets, point FreeTDS at it and
 * initialise db-lib. Call once, before any thread connects. Errors name the
 * target (an unreadable ca-file, an unknown freetds.conf name).
 */
MK_RESULT mkc_global_init(const mkc_target *targets, size_t n);
/* Remove the private directory and shut db-lib down. */
void mkc_global_cleanup(void);

/* SHA-256 (lowercase hex) of the ca-file's first certificate, or "" with trust. */
const char *mkc_target_cert_sha256(size_t index);

typedef struct mkc_conn mkc_conn;

/* One message from the server (INFO or ERROR). */
typedef struct mkc_msg {
    int number;
    int severity;
    char text[512];
} mkc_msg;

/* A result: rows of cells; text is UTF-8 NUL-terminated, binary raw. */
typedef struct mkc_cell {
    bool is_null;
    bool is_binary;
    uint8_t *data; /* text: NUL-terminated */
    size_t len;
} mkc_cell;

typedef struct mkc_rows {
    size_t ncols;
    size_t nrows;
    char **names;    /* ncols column names */
    mkc_cell *cells; /* nrows * ncols */
} mkc_rows;

/*
 * Connect target `index` (of mkc_global_init's list) as `login` with the
 * password (borrowed; copied into FreeTDS's login record only). Errors
 * carry FreeTDS's reason, never the password.
 */
MK_RESULT mkc_connect(size_t index, const char *login, const mk_secret *password, mkc_conn **out);
void mkc_close(mkc_conn *c);

/*
 * Run one batch. `sql` may be a secret (a password inside it): pass it as
 * an mk_secret through mkc_exec_secret so our copy is wiped. Fails
 * (MK_E_STATE) when the server sent an error of severity > 10 or the
 * connection broke; mkc_last_error says which. `rows` (optional) receives
 * the first result set.
 */
MK_RESULT mkc_exec(mkc_conn *c, const char *sql, mkc_rows *rows);
MK_RESULT mkc_exec_secret(mkc_conn *c, const mk_secret *sql);

/* The last error of severity > 10 of the last batch (number 0 when none). */
const mkc_msg *mkc_last_error(const mkc_conn *c);
/* Informational messages (severity <= 10) of the last batch. */
size_t mkc_info_count(const mkc_conn *c);
const mkc_msg *mkc_info(const mkc_conn *c, size_t i);

void mkc_rows_cleanup(mkc_rows *r);
/* Cell (row, column name) or NULL when the column does not exist. */
const mkc_cell *mkc_rows_get(const mkc_rows *r, size_t row, const char *col);
/* Take a binary cell's bytes (caller frees; the cell becomes NULL), or NULL when it is not one. */
uint8_t *mkc_rows_take(mkc_rows *r, size_t row, const char *col, size_t *len);
/* Text of a cell or "" (NULL or missing). */
const char *mkc_text(const mkc_rows *r, size_t row, const char *col);
/* Integer value of a text cell, or `dflt`. */
long long mkc_int(const mkc_rows *r, size_t row, const char *col, long long dflt);

#endif
