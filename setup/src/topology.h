/*
 * The topology file of `mirrorkey apply` / `status` (docs/setup.md,
 * "Topology file"): INI read with libinih, then checked as a whole.
 *
 *   [instance NAME]  server, login, password-file, ca-file,
 *                    trust-server-certificate, endpoint-port,
 *                    endpoint-address, role, master-key-password-file,
 *                    certificate-expiry, key
 *   [session DBNAME] principal, mirror, witness
 *
 * Parsing is pure: topo_parse_string never touches a file, a socket or a
 * secret (password files are only named here; they are read when used).
 * Every error names the source and line, e.g.
 *   "topo.ini:7: unknown key 'passwd' in [instance HOST_A]".
 */
#ifndef MK_SETUP_TOPOLOGY_H
#define MK_SETUP_TOPOLOGY_H

#include <stdbool.h>
#include <stddef.h>

#include "mk/result.h"

/* Instance and database names: letters, digits, '_', '-', '.', 1..64 characters. */
#define TOPO_NAME_MAX 64
/* Topology files over this size are refused before parsing. */
#define TOPO_FILE_MAX (1024 * 1024)

/* The endpoint's ROLE (T-SQL ROLE = PARTNER | WITNESS | ALL). */
typedef enum topo_role { TOPO_ROLE_ALL = 0, TOPO_ROLE_PARTNER, TOPO_ROLE_WITNESS } topo_role;

/* The certificate key (`key = rsa:3072` ...); T-SQL ALGORITHM = RSA_3072 ... */
typedef enum topo_key {
    TOPO_KEY_RSA3072 = 0, /* the default */
    TOPO_KEY_RSA2048,
    TOPO_KEY_RSA4096,
    TOPO_KEY_EC_P256,
    TOPO_KEY_EC_P384,
} topo_key;

typedef struct topo_instance {
    char *name;          /* [instance NAME] */
    int line;            /* line of the section header */
    char *server;        /* as written: host:port, [v6]:port, host, or a freetds.conf name */
    char *host;          /* host part ([] removed); never NULL */
    unsigned port;       /* 0 when `server` has no port (FreeTDS name or default 1433) */
    char *login;         /* required */
    char *password_file; /* required */
    char *ca_file;       /* required unless trust_server_certificate */
    bool trust_server_certificate; /* `trust-server-certificate = yes`: no certificate check */
    unsigned endpoint_port;        /* required, 1..65535 */
    char *endpoint_address;        /* default "TCP://<host>:<endpoint_port>" (v6 hosts in []) */
    topo_role role;  /* default: WITNESS if the instance is only ever a witness, else ALL */
    bool role_given; /* `role` was written */
    char *master_key_password_file; /* required */
    char *certificate_expiry; /* "YYYY-MM-DD" (a valid date) or NULL: the instance's default */
    topo_key key;             /* default TOPO_KEY_RSA3072 */
} topo_instance;

typedef struct topo_session {
    char *database; /* [session DBNAME] */
    int line;
    size_t principal; /* index into topology.instances */
    size_t mirror;
    bool has_witness;
    size_t witness;
} topo_session;

typedef struct topology {
    topo_instance *instances; /* in file order */
    size_t n_instances;
    topo_session *sessions; /* in file order */
    size_t n_sessions;
} topology;

/*
 * Parse and check `text` (NUL-terminated; `source` names it in messages).
 * On failure *out is NULL and mk_error_message() says "SOURCE:LINE: what".
 * Errors (MK_E_INVALID unless said): a line libinih cannot parse; a section
 * other than [instance NAME] / [session NAME]; a bad or duplicate name; an
 * unknown or repeated key (naming the line); a bad value (port, role, key,
 * date, yes/no); a missing required key; a session naming an unknown
 * instance, whose principal and mirror are the same, whose witness is one
 * of its partners, or a database named twice; an instance used as a witness
 * whose role is PARTNER, or as a partner whose role is WITNESS; more than
 * 64 instances or sessions; no instance at all.
 */
MK_RESULT topo_parse_string(const char *text, const char *source, topology **out);

/* Read `path` (at most TOPO_FILE_MAX bytes, no NUL bytes) and parse it. */
MK_RESULT topo_load_file(const char *path, topology **out);

void topo_free(topology *t);

/* Index of the instance named `name` (case-insensitive), or -1. */
long topo_find(const topology *t, const char *name);

/* Whether instances i and j share a session (so each must admit the other). */
bool topo_are_peers(const topology *t, size_t i, size_t j);

/* "PARTNER" / "WITNESS" / "ALL"; "rsa:3072" ... ; T-SQL "RSA_3072" ... */
const char *topo_role_name(topo_role r);
const char *topo_key_name(topo_key k);
const char *topo_key_tsql(topo_key k);

#endif
