/*
 * Statement AST produced by the T-SQL parser and consumed by the executor.
 *
 * Every optional clause or option carries a `has_` flag saying whether the
 * statement named it, so the executor applies SQL Server's defaults itself
 * and ALTER changes only what was named. Text fields are NUL-terminated
 * UTF-8 owned by the batch (see sql/parser.h); absent text fields are NULL.
 * Identifiers are stored without brackets or quotes, string literals with
 * their '' doubling undone.
 *
 * Password fields are `char *` so that sql_stmt_wipe_secrets can wipe them in
 * place; sql_batch_free wipes everything the batch owns.
 */
#ifndef SQL_AST_H
#define SQL_AST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum sql_stmt_kind {
    SQL_STMT_USE = 0,
    SQL_STMT_SELECT,
    SQL_STMT_SET,
    SQL_STMT_CREATE_MASTER_KEY,
    SQL_STMT_OPEN_MASTER_KEY,
    SQL_STMT_CLOSE_MASTER_KEY,
    SQL_STMT_ALTER_MASTER_KEY,
    SQL_STMT_CREATE_CERTIFICATE,
    SQL_STMT_BACKUP_CERTIFICATE,
    SQL_STMT_DROP_CERTIFICATE,
    SQL_STMT_CREATE_ENDPOINT,
    SQL_STMT_ALTER_ENDPOINT,
    SQL_STMT_DROP_ENDPOINT,
    SQL_STMT_ALTER_AUTHORIZATION,
    SQL_STMT_CREATE_LOGIN,
    SQL_STMT_ALTER_LOGIN,
    SQL_STMT_DROP_LOGIN,
    SQL_STMT_CREATE_USER,
    SQL_STMT_DROP_USER,
    SQL_STMT_GRANT,
    SQL_STMT_REVOKE,
    SQL_STMT_DENY,
    SQL_STMT_CREATE_DATABASE,
    SQL_STMT_DROP_DATABASE,
    SQL_STMT_ALTER_DATABASE,
    SQL_STMT_BEGIN_TRAN,
    SQL_STMT_COMMIT_TRAN,
    SQL_STMT_ROLLBACK_TRAN,
    SQL_STMT_KIND_COUNT
} sql_stmt_kind;

/* ---- Literals, names, expressions ---------------------------------------- */

typedef enum sql_lit_kind {
    SQL_LIT_NULL = 0,
    SQL_LIT_STRING,  /* 'x': text */
    SQL_LIT_NSTRING, /* N'x': text */
    SQL_LIT_INTEGER, /* integer (sign applied); fits int64 */
    SQL_LIT_DECIMAL, /* text as written with its sign: decimals, floats, integers beyond int64 */
    SQL_LIT_BINARY,  /* 0x..: bytes (odd digit counts left-padded with 0) */
} sql_lit_kind;

typedef struct sql_literal {
    sql_lit_kind kind;
    const char *text; /* STRING, NSTRING, DECIMAL */
    size_t text_len;
    int64_t integer;      /* INTEGER */
    const uint8_t *bytes; /* BINARY (may be empty: 0x) */
    size_t bytes_len;
} sql_literal;

/* A one- to three-part name: [db.][schema.]name; `db..name` leaves schema NULL. */
typedef struct sql_objname {
    int nparts;         /* 1..3 as written */
    const char *db;     /* NULL unless 3 parts */
    const char *schema; /* NULL unless 2 or 3 parts (and not empty) */
    const char *name;
} sql_objname;

typedef enum sql_expr_kind {
    SQL_EXPR_LITERAL = 0, /* lit */
    SQL_EXPR_SYSVAR,      /* name = "@@VERSION" as written */
    SQL_EXPR_FUNC,        /* name(args...), e.g. CERT_ID('c'), SERVERPROPERTY('x') */
    SQL_EXPR_COLUMN,      /* name */
    SQL_EXPR_STAR,        /* `*` as a function argument: COUNT(*) */
} sql_expr_kind;

typedef struct sql_expr {
    sql_expr_kind kind;
    sql_literal lit;
    const char *name;
    const struct sql_expr *args; /* FUNC: nargs expressions */
    size_t nargs;
} sql_expr;

/* ---- USE, CREATE/DROP DATABASE, DROP <principal or object> --------------- */

typedef struct sql_name_stmt {
    const char *name;
    bool if_exists; /* DROP USER / DROP DATABASE IF EXISTS */
} sql_name_stmt;

/* ---- SELECT --------------------------------------------------------------- */

typedef struct sql_select_item {
    bool star; /* `*`; expr unused */
    sql_expr expr;
    const char *alias; /* AS alias, bare alias or alias = expr; NULL when none */
} sql_select_item;

typedef enum sql_cmp {
    SQL_CMP_EQ = 0,
    SQL_CMP_NE,
    SQL_CMP_IS_NULL,
    SQL_CMP_IS_NOT_NULL,
} sql_cmp;

typedef struct sql_cond {
    const char *column;
    sql_cmp op;
    sql_expr value; /* EQ / NE only */
} sql_cond;

typedef struct sql_select_stmt {
    bool has_top;
    int64_t top;
    const sql_select_item *items;
    size_t nitems;
    bool has_from;
    sql_objname from;
    const sql_cond *where; /* conditions joined by AND */
    size_t nwhere;
} sql_select_stmt;

/* ---- SET option { ON | OFF | value } ------------------------------------- */

typedef enum sql_set_kind {
    SQL_SET_ON = 0,
    SQL_SET_OFF,
    SQL_SET_LITERAL, /* SET TEXTSIZE 2147483647, SET DATEFORMAT 'mdy' */
    SQL_SET_WORD,    /* SET LANGUAGE us_english; ISOLATION LEVEL READ COMMITTED */
} sql_set_kind;

typedef struct sql_set_stmt {
    const char *const *options; /* as written; "TRANSACTION ISOLATION LEVEL" is one */
    size_t noptions;
    sql_set_kind kind;
    sql_literal lit;
    const char *word;
} sql_set_stmt;

/* ---- Master key ----------------------------------------------------------- */

typedef enum sql_mk_action {
    SQL_MK_REGENERATE = 0,
    SQL_MK_ADD_ENCRYPTION,
    SQL_MK_DROP_ENCRYPTION,
} sql_mk_action;

typedef enum sql_mk_by {
    SQL_MK_BY_PASSWORD = 0,
    SQL_MK_BY_SERVICE_MASTER_KEY,
} sql_mk_by;

/*
 * CREATE MASTER KEY [ENCRYPTION BY PASSWORD = 'pw'], OPEN MASTER KEY
 * DECRYPTION BY PASSWORD = 'pw', CLOSE MASTER KEY, ALTER MASTER KEY
 * {[FORCE] REGENERATE WITH ENCRYPTION BY PASSWORD = 'pw' | {ADD|DROP}
 * ENCRYPTION BY {SERVICE MASTER KEY | PASSWORD = 'pw'}}.
 */
typedef struct sql_masterkey_stmt {
    bool has_password;
    char *password;
    sql_mk_action action; /* ALTER only */
    bool force;           /* ALTER ... FORCE REGENERATE */
    sql_mk_by by;         /* ALTER ... ADD/DROP; PASSWORD for REGENERATE */
} sql_masterkey_stmt;

/* ---- Certificates --------------------------------------------------------- */

typedef enum sql_cert_source {
    SQL_CERT_GENERATE = 0,    /* WITH SUBJECT = ... */
    SQL_CERT_FROM_FILE,       /* FROM FILE = 'p' */
    SQL_CERT_FROM_EXECUTABLE, /* FROM EXECUTABLE FILE = 'p' */
    SQL_CERT_FROM_BINARY,     /* FROM BINARY = 0x... */
    SQL_CERT_FROM_ASSEMBLY,   /* FROM ASSEMBLY name */
} sql_cert_source;

/* WITH PRIVATE KEY ( ... ) of CREATE CERTIFICATE ... FROM and BACKUP CERTIFICATE. */
typedef struct sql_private_key {
    bool has_file;
    const char *file;
    bool has_binary;
    const uint8_t *binary;
    size_t binary_len;
    bool has_encryption_password;
    char *encryption_password;
    bool has_decryption_password;
    char *decryption_password;
} sql_private_key;

/*
 * ALGORITHM = ... of CREATE CERTIFICATE ... WITH SUBJECT: the key pair to
 * generate on the token (a mirrorkey extension; the keyword and the RSA
 * value names are those of SQL Server's CREATE ASYMMETRIC KEY).
 */
typedef enum sql_cert_algorithm {
    SQL_CERT_ALG_DEFAULT = 0, /* not given: the instance's default */
    SQL_CERT_ALG_RSA_2048,
    SQL_CERT_ALG_RSA_3072,
    SQL_CERT_ALG_RSA_4096,
    SQL_CERT_ALG_EC_P256,
    SQL_CERT_ALG_EC_P384,
} sql_cert_algorithm;

/* "RSA_2048", "EC_P384", ...; "" for SQL_CERT_ALG_DEFAULT or an unknown value. Never NULL. */
const char *sql_cert_algorithm_name(sql_cert_algorithm alg);

typedef struct sql_create_cert_stmt {
    const char *name;
    bool has_owner; /* AUTHORIZATION user */
    const char *owner;
    sql_cert_source source;
    const char *file;      /* FROM [EXECUTABLE] FILE */
    const uint8_t *binary; /* FROM BINARY */
    size_t binary_len;
    const char *assembly; /* FROM ASSEMBLY */
    bool has_private_key; /* FROM ... WITH PRIVATE KEY (...) */
    sql_private_key private_key;
    const char *subject; /* GENERATE */
    bool has_start_date;
    const char *start_date; /* as written; the executor parses it */
    bool has_expiry_date;
    const char *expiry_date;
    bool has_algorithm; /* ALGORITHM = RSA_2048 | ... (GENERATE only) */
    sql_cert_algorithm algorithm;
    bool has_encryption_password; /* ENCRYPTION BY PASSWORD = 'pw' */
    char *encryption_password;
    bool has_active_for_begin_dialog;
    bool active_for_begin_dialog;
} sql_create_cert_stmt;

typedef struct sql_backup_cert_stmt {
    const char *name;
    const char *file;
    bool has_private_key;
    sql_private_key private_key;
} sql_backup_cert_stmt;

/* ---- Endpoints ------------------------------------------------------------ */

typedef enum sql_ep_state { SQL_EP_STARTED = 0, SQL_EP_STOPPED, SQL_EP_DISABLED } sql_ep_state;
typedef enum sql_ep_transport { SQL_EP_TCP = 0, SQL_EP_OTHER_TRANSPORT } sql_ep_transport;
typedef enum sql_ep_payload { SQL_EP_MIRRORING = 0, SQL_EP_OTHER_PAYLOAD } sql_ep_payload;

typedef enum sql_ep_windows {
    SQL_EP_WINDOWS_NEGOTIATE = 0, /* also the default when WINDOWS names no method */
    SQL_EP_WINDOWS_NTLM,
    SQL_EP_WINDOWS_KERBEROS,
} sql_ep_windows;

typedef enum sql_ep_encryption {
    SQL_EP_ENC_DISABLED = 0,
    SQL_EP_ENC_SUPPORTED,
    SQL_EP_ENC_REQUIRED,
} sql_ep_encryption;

typedef enum sql_ep_algorithm {
    SQL_EP_ALG_AES = 0,
    SQL_EP_ALG_RC4,
    SQL_EP_ALG_AES_RC4,
    SQL_EP_ALG_RC4_AES,
} sql_ep_algorithm;

typedef enum sql_ep_role {
    SQL_EP_ROLE_WITNESS = 0,
    SQL_EP_ROLE_PARTNER,
    SQL_EP_ROLE_ALL
} sql_ep_role;

/* AUTHENTICATION = { WINDOWS [m] | CERTIFICATE c | WINDOWS [m] CERTIFICATE c | CERTIFICATE c
 * WINDOWS [m] } */
typedef struct sql_ep_auth {
    bool windows;
    bool has_windows_method;
    sql_ep_windows windows_method;
    bool certificate;
    const char *certificate_name;
    bool windows_first; /* both given, WINDOWS written first */
} sql_ep_auth;

typedef struct sql_ep_tcp {
    bool has_port;
    int64_t port; /* as written; the executor checks the range */
    bool has_ip;
    bool ip_all;    /* LISTENER_IP = ALL */
    const char *ip; /* LISTENER_IP = (addr): the address text */
    bool ip_quoted; /* ('::1') rather than (10.0.0.1) */
} sql_ep_tcp;

typedef struct sql_ep_mirroring {
    bool has_auth;
    sql_ep_auth auth;
    bool has_encryption;
    sql_ep_encryption encryption;
    bool has_algorithm;
    sql_ep_algorithm algorithm;
    bool has_role;
    sql_ep_role role;
} sql_ep_mirroring;

/*
 * CREATE ENDPOINT (AS and FOR are required) and ALTER ENDPOINT (at least one
 * clause). A transport other than TCP or a payload other than
 * DATABASE_MIRRORING is kept by name with its parenthesised body skipped, so
 * the executor can refuse it with a clear error.
 */
typedef struct sql_endpoint_stmt {
    const char *name;
    bool has_owner;
    const char *owner;
    bool has_state;
    sql_ep_state state;
    bool has_transport;
    sql_ep_transport transport;
    const char *transport_name; /* as written: "TCP", "HTTP" */
    sql_ep_tcp tcp;
    bool has_payload;
    sql_ep_payload payload;
    const char *payload_name; /* as written: "DATABASE_MIRRORING", "TSQL", ... */
    sql_ep_mirroring mirroring;
} sql_endpoint_stmt;

/* ---- Securables, ALTER AUTHORIZATION, GRANT / REVOKE / DENY --------------- */

typedef enum sql_class {
    SQL_CLASS_NONE = 0, /* no `class::` prefix (an object) */
    SQL_CLASS_ENDPOINT,
    SQL_CLASS_CERTIFICATE,
    SQL_CLASS_LOGIN,
    SQL_CLASS_USER,
    SQL_CLASS_DATABASE,
    SQL_CLASS_OTHER, /* see class_name */
} sql_class;

typedef struct sql_securable {
    sql_class cls;
    const char *class_name; /* upper case, words joined by one space; NULL for NONE */
    sql_objname name;
} sql_securable;

typedef struct sql_alter_auth_stmt {
    sql_securable on;
    bool to_schema_owner; /* TO SCHEMA OWNER; principal NULL */
    const char *principal;
} sql_alter_auth_stmt;

typedef struct sql_perm_stmt {
    const char *const
        *perms; /* upper case, words joined by one space: "CONNECT", "VIEW DEFINITION" */
    size_t nperms;
    bool has_on; /* server-level permissions have no ON */
    sql_securable on;
    const char *const *principals;
    size_t nprincipals;
    bool with_grant_option; /* GRANT ... WITH GRANT OPTION */
    bool grant_option_for;  /* REVOKE GRANT OPTION FOR ... */
    bool cascade;           /* REVOKE / DENY ... CASCADE */
    bool has_as;
    const char *as_principal;
} sql_perm_stmt;

/* ---- Logins and users ----------------------------------------------------- */

typedef enum sql_login_source {
    SQL_LOGIN_PASSWORD = 0, /* WITH PASSWORD = ... */
    SQL_LOGIN_CERTIFICATE,  /* FROM CERTIFICATE c */
    SQL_LOGIN_ASYMMETRIC_KEY,
    SQL_LOGIN_WINDOWS,
    SQL_LOGIN_EXTERNAL_PROVIDER,
} sql_login_source;

typedef enum sql_login_action {
    SQL_LOGIN_OPTIONS = 0, /* CREATE, or ALTER LOGIN ... WITH ... */
    SQL_LOGIN_ENABLE,
    SQL_LOGIN_DISABLE,
} sql_login_action;

typedef struct sql_login_opts {
    bool has_password;
    char *password;
    bool must_change;
    bool has_old_password; /* ALTER */
    char *old_password;
    bool unlock; /* ALTER */
    bool has_check_policy;
    bool check_policy;
    bool has_check_expiration;
    bool check_expiration;
    bool has_default_database;
    const char *default_database;
    bool has_default_language;
    const char *default_language;
    bool has_new_name; /* ALTER ... WITH NAME = n */
    const char *new_name;
} sql_login_opts;

typedef struct sql_login_stmt {
    const char *name;
    sql_login_source source; /* CREATE */
    const char *source_name; /* CERTIFICATE / ASYMMETRIC KEY name */
    sql_login_action action; /* ALTER */
    sql_login_opts opts;
} sql_login_stmt;

typedef enum sql_user_source {
    SQL_USER_IMPLICIT = 0, /* CREATE USER u: the login of the same name */
    SQL_USER_LOGIN,        /* { FOR | FROM } LOGIN l */
    SQL_USER_WITHOUT_LOGIN,
    SQL_USER_CERTIFICATE,
    SQL_USER_ASYMMETRIC_KEY,
    SQL_USER_EXTERNAL_PROVIDER,
} sql_user_source;

typedef struct sql_create_user_stmt {
    const char *name;
    sql_user_source source;
    const char *source_name; /* login, certificate or key name */
    bool has_default_schema;
    const char *default_schema;
} sql_create_user_stmt;

/* ---- ALTER DATABASE d SET { PARTNER | WITNESS } ... ----------------------- */

typedef enum sql_dbm_target { SQL_DBM_PARTNER = 0, SQL_DBM_WITNESS } sql_dbm_target;

typedef enum sql_dbm_action {
    SQL_DBM_ADDRESS = 0, /* = 'TCP://host:port' */
    SQL_DBM_OFF,
    SQL_DBM_FAILOVER,
    SQL_DBM_FORCE_SERVICE, /* FORCE_SERVICE_ALLOW_DATA_LOSS */
    SQL_DBM_RESUME,
    SQL_DBM_SUSPEND,
    SQL_DBM_SAFETY, /* safety_full */
    SQL_DBM_TIMEOUT,
} sql_dbm_action;

typedef struct sql_alter_db_stmt {
    const char *name;
    sql_dbm_target target;
    sql_dbm_action action; /* WITNESS allows ADDRESS and OFF only */
    const char *address;
    bool safety_full;
    int64_t timeout;
} sql_alter_db_stmt;

/* ---- Statement ------------------------------------------------------------ */

/* ---- Transactions ---------------------------------------------------------- */

/*
 * BEGIN TRAN[SACTION] [name], COMMIT [TRAN[SACTION] | WORK] [name],
 * ROLLBACK [TRAN[SACTION] | WORK] [name], and the guarded forms drivers send
 * (pymssql): IF @@TRANCOUNT > 0 COMMIT TRAN / ROLLBACK TRAN.
 */
typedef struct sql_tran_stmt {
    const char *name;  /* NULL when absent */
    bool if_trancount; /* IF @@TRANCOUNT > 0 prefix */
} sql_tran_stmt;

typedef struct sql_stmt {
    sql_stmt_kind kind;
    int line; /* line of the statement's first token */
    union {
        sql_name_stmt name; /* USE, CREATE/DROP DATABASE, DROP CERTIFICATE/ENDPOINT/LOGIN/USER */
        sql_select_stmt select;       /* SELECT */
        sql_set_stmt set;             /* SET */
        sql_masterkey_stmt masterkey; /* CREATE/OPEN/CLOSE/ALTER MASTER KEY */
        sql_create_cert_stmt create_cert;
        sql_backup_cert_stmt backup_cert;
        sql_endpoint_stmt endpoint; /* CREATE/ALTER ENDPOINT */
        sql_alter_auth_stmt alter_auth;
        sql_login_stmt login; /* CREATE/ALTER LOGIN */
        sql_create_user_stmt create_user;
        sql_perm_stmt perm; /* GRANT/REVOKE/DENY */
        sql_alter_db_stmt alter_db;
        sql_tran_stmt tran; /* BEGIN / COMMIT / ROLLBACK */
    } u;
} sql_stmt;

/* "CREATE CERTIFICATE", "GRANT", ...; "?" for an unknown value. Never NULL. */
const char *sql_stmt_kind_name(sql_stmt_kind kind);

/*
 * Wipe every password the statement carries, in place with OPENSSL_cleanse:
 * the fields become empty strings, their has_ flags stay as parsed. The
 * executor may call this as soon as it has used them; sql_batch_free wipes
 * all batch memory anyway. NULL is accepted.
 */
void sql_stmt_wipe_secrets(sql_stmt *stmt);

/* True when the statement holds at least one password field. */
bool sql_stmt_has_secrets(const sql_stmt *stmt);

#endif
