/*
 * The topology file of `mirrorkey apply` / `status` (see topology.h).
 * libinih reads the INI syntax; this file checks each value as it arrives,
 * then the file as a whole: names resolved, roles consistent, defaults set.
 *
 * libinih is driven through ini_parse_stream with a line reader of our own,
 * which (a) counts lines, since libinih is built without INI_HANDLER_LINENO
 * and its handler is called right after the reader hands out the line;
 * (b) reads [section] headers itself, because libinih cuts section names at
 * 49 bytes and never calls the handler for a section without keys;
 * (c) drops leading blanks, so libinih's configparser-style continuation
 * lines never happen (an indented line is an ordinary line); and (d) refuses
 * a line longer than libinih's line buffer rather than let it be split in
 * two. Inline comments start with " ;" (INI_INLINE_COMMENT_PREFIXES) and
 * "name: value" works as libinih allows it.
 */
#include "topology.h"

#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mk/civil.h"
#include "mk/cursor.h"

#define TOPO_MAX 64         /* instances, and sessions, in one file */
#define TOPO_VALUE_MAX 4096 /* bytes in one value */
#define TOPO_HOST_MAX 253   /* a DNS name; the endpoint's address parser allows as much */
#define TOPO_SHOWN_MAX 64   /* longest text from the file echoed in a message */

enum {
    K_SERVER,
    K_LOGIN,
    K_PASSWORD_FILE,
    K_CA_FILE,
    K_TRUST,
    K_ENDPOINT_PORT,
    K_ENDPOINT_ADDRESS,
    K_ROLE,
    K_MASTER_KEY_FILE,
    K_EXPIRY,
    K_KEY,
    N_INSTANCE_KEYS
};
static const char *const instance_keys[N_INSTANCE_KEYS] = {"server",
                                                           "login",
                                                           "password-file",
                                                           "ca-file",
                                                           "trust-server-certificate",
                                                           "endpoint-port",
                                                           "endpoint-address",
                                                           "role",
                                                           "master-key-password-file",
                                                           "certificate-expiry",
                                                           "key"};

enum { K_PRINCIPAL, K_MIRROR, K_WITNESS, N_SESSION_KEYS };
static const char *const session_keys[N_SESSION_KEYS] = {"principal", "mirror", "witness"};

/* In topo_key order. */
static const char *const key_names[] = {"rsa:3072", "rsa:2048", "rsa:4096", "ec:p256", "ec:p384"};
static const char *const key_tsql[] = {"RSA_3072", "RSA_2048", "RSA_4096", "EC_P256", "EC_P384"};
#define N_KEYS (sizeof(key_names) / sizeof(key_names[0]))

typedef struct parse {
    const char *source;
    mk_cursor text;  /* the lines not yet handed to libinih */
    int line;        /* the line handed out last, which the handler is given */
    int failed_line; /* the first line an error was recorded for; 0: none yet */
    enum { IN_NOTHING, IN_INSTANCE, IN_SESSION } in;
    topology *t;
    int instance_key_line[TOPO_MAX][N_INSTANCE_KEYS]; /* where each key was given; 0: not */
    int session_key_line[TOPO_MAX][N_SESSION_KEYS];
    char *session_refs[TOPO_MAX][N_SESSION_KEYS]; /* instance names as written */
} parse;

/* Put "SOURCE:LINE: " before the error just recorded; remember the first failing line. */
static mk_result at_line(parse *p, int line)
{
    char what[400];
    snprintf(what, sizeof(what), "%s", mk_error_message());
    if (p->failed_line == 0) {
        p->failed_line = line;
    }
    return mk_error_set(mk_error_code(), mk_error_file(), mk_error_line(), "%s:%d: %s", p->source,
                        line, what);
}

/* Fail with MK_E_INVALID and a message naming a line of the file. */
#define FAIL_AT(p, line, ...)                                                                      \
    do {                                                                                           \
        (void)MK_RAISE(MK_E_INVALID, __VA_ARGS__);                                                 \
        return at_line((p), (line));                                                               \
    } while (0)
#define ENSURE_AT(cond, p, line, ...)                                                              \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            FAIL_AT((p), (line), __VA_ARGS__);                                                     \
        }                                                                                          \
    } while (0)

/* s when it is short printable ASCII, so that a message never carries odd bytes. */
static const char *shown(const char *s)
{
    size_t n = strnlen(s, TOPO_SHOWN_MAX + 1);
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e) {
            return "(not shown)";
        }
    }
    return n <= TOPO_SHOWN_MAX ? s : "(not shown)";
}

static bool has_control(const char *s)
{
    for (size_t i = 0; s[i] != '\0'; i++) {
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
            return true;
        }
    }
    return false;
}

static bool name_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '_' || ch == '-' || ch == '.';
}

static bool valid_name(const char *s)
{
    size_t n = strnlen(s, TOPO_NAME_MAX + 1);
    for (size_t i = 0; i < n; i++) {
        if (!name_char(s[i])) {
            return false;
        }
    }
    return n >= 1 && n <= TOPO_NAME_MAX;
}

static MK_RESULT dup_value(const char *v, char **out)
{
    char *s = strdup(v);
    ENSURE(s != NULL, MK_E_NOMEM);
    free(*out);
    *out = s;
    return MK_OK;
}

/* ---- values ---------------------------------------------------------------------------- */

static bool host_char(uint8_t ch, bool bracketed)
{
    return name_char((char)ch) || (bracketed && ch == ':');
}

/* A host name or a bracketed IPv6 address (brackets dropped), up to a ':' or the end. */
static MK_RESULT read_host(mk_cursor *c, char host[TOPO_HOST_MAX + 1])
{
    uint8_t ch = 0;
    size_t n = 0;
    bool bracketed = mk_cursor_remaining(c) > 0 && mk_ok(mk_cursor_peek_u8(c, &ch)) && ch == '[';
    if (bracketed) {
        GUARD(mk_cursor_skip(c, 1));
    }
    while (mk_cursor_remaining(c) > 0) {
        GUARD(mk_cursor_peek_u8(c, &ch));
        if (ch == (bracketed ? ']' : ':')) {
            break;
        }
        ENSURE_MSG(host_char(ch, bracketed), MK_E_INVALID, "bad character in the host");
        ENSURE_MSG(n < TOPO_HOST_MAX, MK_E_INVALID, "host longer than %d characters",
                   TOPO_HOST_MAX);
        host[n++] = (char)ch;
        GUARD(mk_cursor_skip(c, 1));
    }
    host[n] = '\0';
    ENSURE_MSG(n > 0, MK_E_INVALID, "no host");
    if (bracketed) {
        ENSURE_MSG(mk_cursor_remaining(c) > 0, MK_E_INVALID, "'[' without ']'");
        GUARD(mk_cursor_skip(c, 1));
    }
    return MK_OK;
}

/* The rest of c as a port: 1..65535 in at most 5 digits. */
static MK_RESULT read_port_number(mk_cursor *c, unsigned *port)
{
    uint8_t ch = 0;
    unsigned v = 0;
    size_t digits = 0;
    while (mk_cursor_remaining(c) > 0) {
        GUARD(mk_cursor_read_u8(c, &ch));
        ENSURE_MSG(ch >= '0' && ch <= '9' && digits < 5, MK_E_INVALID,
                   "port must be a number 1..65535");
        v = v * 10 + (unsigned)(ch - '0');
        digits++;
    }
    ENSURE_MSG(digits > 0 && v >= 1 && v <= 65535, MK_E_INVALID, "port must be a number 1..65535");
    *port = v;
    return MK_OK;
}

/* ":port" up to the end of c. */
static MK_RESULT read_port(mk_cursor *c, unsigned *port)
{
    uint8_t ch = 0;
    ENSURE_MSG(mk_cursor_remaining(c) > 0 && mk_ok(mk_cursor_read_u8(c, &ch)) && ch == ':',
               MK_E_INVALID, "expected ':' and a port after the host");
    return read_port_number(c, port);
}

/* host:port, [v6]:port, host or [v6] (port 0: not given), or a freetds.conf name. */
static MK_RESULT set_server(topo_instance *in, const char *v)
{
    char host[TOPO_HOST_MAX + 1];
    unsigned port = 0;
    mk_cursor c;
    mk_cursor_init(&c, v, strlen(v));
    GUARD(read_host(&c, host));
    if (mk_cursor_remaining(&c) > 0) {
        GUARD(read_port(&c, &port));
    }
    GUARD(dup_value(v, &in->server));
    GUARD(dup_value(host, &in->host));
    in->port = port;
    return MK_OK;
}

/* TCP://host:port as ALTER DATABASE ... SET PARTNER takes it (server/endpoint address.h). */
static MK_RESULT check_endpoint_address(const char *v)
{
    char host[TOPO_HOST_MAX + 1];
    unsigned port = 0;
    mk_cursor c;
    ENSURE_MSG(strncasecmp(v, "TCP://", 6) == 0, MK_E_INVALID, "must start with TCP://");
    mk_cursor_init(&c, v, strlen(v));
    GUARD(mk_cursor_skip(&c, 6));
    GUARD(read_host(&c, host));
    return read_port(&c, &port);
}

static MK_RESULT parse_endpoint_port(const char *v, unsigned *port)
{
    mk_cursor c;
    mk_cursor_init(&c, v, strlen(v));
    return read_port_number(&c, port);
}

static MK_RESULT parse_bool(const char *v, bool *out)
{
    static const char *const yes[] = {"yes", "true", "on", "1"};
    static const char *const no[] = {"no", "false", "off", "0"};
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (strcasecmp(v, yes[i]) == 0 || strcasecmp(v, no[i]) == 0) {
            *out = strcasecmp(v, yes[i]) == 0;
            return MK_OK;
        }
    }
    BAIL_MSG(MK_E_INVALID, "expected yes or no");
}

static MK_RESULT parse_role(const char *v, topo_role *out)
{
    static const topo_role roles[] = {TOPO_ROLE_PARTNER, TOPO_ROLE_WITNESS, TOPO_ROLE_ALL};
    for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
        if (strcasecmp(v, topo_role_name(roles[i])) == 0) {
            *out = roles[i];
            return MK_OK;
        }
    }
    BAIL_MSG(MK_E_INVALID, "expected partner, witness or all");
}

static MK_RESULT parse_key(const char *v, topo_key *out)
{
    for (size_t i = 0; i < N_KEYS; i++) {
        if (strcasecmp(v, key_names[i]) == 0) {
            *out = (topo_key)i;
            return MK_OK;
        }
    }
    BAIL_MSG(MK_E_INVALID, "expected rsa:2048, rsa:3072, rsa:4096, ec:p256 or ec:p384");
}

/* width decimal digits, after a '-' unless first. */
static MK_RESULT read_date_field(mk_cursor *c, bool first, size_t width, int64_t *out)
{
    uint8_t ch = 0;
    int64_t v = 0;
    if (!first) {
        ENSURE_MSG(mk_cursor_remaining(c) > 0 && mk_ok(mk_cursor_read_u8(c, &ch)) && ch == '-',
                   MK_E_INVALID, "expected a date YYYY-MM-DD");
    }
    for (size_t i = 0; i < width; i++) {
        ENSURE_MSG(mk_cursor_remaining(c) > 0 && mk_ok(mk_cursor_read_u8(c, &ch)) && ch >= '0' &&
                       ch <= '9',
                   MK_E_INVALID, "expected a date YYYY-MM-DD");
        v = v * 10 + (ch - '0');
    }
    *out = v;
    return MK_OK;
}

/*
 * YYYY-MM-DD naming a real day (the calendar round trip catches 02-30 and
 * non-leap 02-29) in 1753..9999, the T-SQL datetime range EXPIRY_DATE takes.
 */
static MK_RESULT check_date(const char *v)
{
    static const size_t width[3] = {4, 2, 2};
    int64_t f[3] = {0, 0, 0};
    int64_t back[3] = {0, 0, 0};
    mk_cursor c;
    mk_cursor_init(&c, v, strlen(v));
    for (size_t i = 0; i < 3; i++) {
        GUARD(read_date_field(&c, i == 0, width[i], &f[i]));
    }
    ENSURE_MSG(mk_cursor_done(&c), MK_E_INVALID, "expected a date YYYY-MM-DD");
    ENSURE_MSG(f[0] >= 1753, MK_E_INVALID, "year before 1753");
    ENSURE_MSG(f[1] >= 1 && f[1] <= 12 && f[2] >= 1 && f[2] <= 31, MK_E_INVALID, "no such date");
    mk_civil_from_days(mk_days_from_civil(f[0], f[1], f[2]), &back[0], &back[1], &back[2]);
    ENSURE_MSG(back[0] == f[0] && back[1] == f[1] && back[2] == f[2], MK_E_INVALID, "no such date");
    return MK_OK;
}

static MK_RESULT set_instance_value(topo_instance *in, int k, const char *v)
{
    switch (k) {
    case K_SERVER: return set_server(in, v);
    case K_LOGIN: return dup_value(v, &in->login);
    case K_PASSWORD_FILE: return dup_value(v, &in->password_file);
    case K_CA_FILE: return dup_value(v, &in->ca_file);
    case K_TRUST: return parse_bool(v, &in->trust_server_certificate);
    case K_ENDPOINT_PORT: return parse_endpoint_port(v, &in->endpoint_port);
    case K_ENDPOINT_ADDRESS:
        GUARD(check_endpoint_address(v));
        return dup_value(v, &in->endpoint_address);
    case K_ROLE: in->role_given = true; return parse_role(v, &in->role);
    case K_MASTER_KEY_FILE: return dup_value(v, &in->master_key_password_file);
    case K_EXPIRY: GUARD(check_date(v)); return dup_value(v, &in->certificate_expiry);
    case K_KEY: return parse_key(v, &in->key);
    default: BAIL(MK_E_INTERNAL);
    }
}

/* ---- lines ----------------------------------------------------------------------------- */

static int key_index(const char *const *keys, int n, const char *name)
{
    for (int i = 0; i < n; i++) {
        if (strcmp(keys[i], name) == 0) {
            return i;
        }
    }
    return -1;
}

/* One "name = value" line of the current section. */
static MK_RESULT take_pair(parse *p, const char *name, const char *value)
{
    ENSURE_MSG(p->in != IN_NOTHING, MK_E_INVALID, "'%s' comes before any section", shown(name));
    bool inst = p->in == IN_INSTANCE;
    size_t i = (inst ? p->t->n_instances : p->t->n_sessions) - 1;
    int k = inst ? key_index(instance_keys, N_INSTANCE_KEYS, name)
                 : key_index(session_keys, N_SESSION_KEYS, name);
    ENSURE_MSG(k >= 0, MK_E_INVALID, "unknown key '%s' in [%s %s]", shown(name),
               inst ? "instance" : "session",
               inst ? p->t->instances[i].name : p->t->sessions[i].database);
    int *given = inst ? &p->instance_key_line[i][k] : &p->session_key_line[i][k];
    ENSURE_MSG(*given == 0, MK_E_INVALID, "duplicate key '%s' (first at line %d)", name, *given);
    *given = p->line;
    ENSURE_MSG(value[0] != '\0', MK_E_INVALID, "'%s' has no value", name);
    ENSURE_MSG(strnlen(value, TOPO_VALUE_MAX + 1) <= TOPO_VALUE_MAX, MK_E_INVALID,
               "'%s' is longer than %d bytes", name, TOPO_VALUE_MAX);
    ENSURE_MSG(!has_control(value), MK_E_INVALID, "'%s' holds a control character", name);
    if (!inst) {
        ENSURE_MSG(valid_name(value), MK_E_INVALID, "%s: bad instance name", name);
        return dup_value(value, &p->session_refs[i][k]);
    }
    if (mk_failed(set_instance_value(&p->t->instances[i], k, value))) {
        mk_error_context("%s", name);
        return MK_ERR;
    }
    return MK_OK;
}

static MK_RESULT add_instance(parse *p, const char *name)
{
    topology *t = p->t;
    long first = topo_find(t, name);
    ENSURE_MSG(first < 0, MK_E_INVALID, "duplicate instance '%s' (first at line %d)", name,
               t->instances[first].line);
    ENSURE_MSG(t->n_instances < TOPO_MAX, MK_E_INVALID, "more than %d instances", TOPO_MAX);
    GUARD(dup_value(name, &t->instances[t->n_instances].name));
    t->instances[t->n_instances++].line = p->line;
    p->in = IN_INSTANCE;
    return MK_OK;
}

static MK_RESULT add_session(parse *p, const char *name)
{
    topology *t = p->t;
    for (size_t i = 0; i < t->n_sessions; i++) {
        ENSURE_MSG(strcasecmp(t->sessions[i].database, name) != 0, MK_E_INVALID,
                   "duplicate session '%s' (first at line %d)", name, t->sessions[i].line);
    }
    ENSURE_MSG(t->n_sessions < TOPO_MAX, MK_E_INVALID, "more than %d sessions", TOPO_MAX);
    GUARD(dup_value(name, &t->sessions[t->n_sessions].database));
    t->sessions[t->n_sessions++].line = p->line;
    p->in = IN_SESSION;
    return MK_OK;
}

/* "[instance NAME]" or "[session NAME]", then nothing but a comment. */
static MK_RESULT open_section(parse *p, const char *s)
{
    static const char expected[] = "expected [instance NAME] or [session NAME]";
    char name[TOPO_NAME_MAX + 1];
    size_t end = strcspn(s, "]");
    ENSURE_MSG(s[end] == ']', MK_E_INVALID, "cannot parse this line");
    size_t rest = end + 1 + strspn(&s[end + 1], " \t");
    ENSURE_MSG(s[rest] == '\0' || s[rest] == ';' || s[rest] == '#', MK_E_INVALID,
               "unexpected text after ']'");
    size_t kind = strcspn(&s[1], " \t]");
    bool instance = kind == 8 && strncmp(&s[1], "instance", 8) == 0;
    bool session = kind == 7 && strncmp(&s[1], "session", 7) == 0;
    ENSURE_MSG(instance || session, MK_E_INVALID, "unknown section: %s", expected);
    size_t at = 1 + kind + strspn(&s[1 + kind], " \t");  /* at <= end: no ']' skipped */
    size_t n = end - at <= TOPO_NAME_MAX ? end - at : 0; /* too long: as bad as empty */
    memcpy(name, &s[at], n);
    name[n] = '\0';
    ENSURE_MSG(valid_name(name), MK_E_INVALID,
               "bad %s name: use 1..%d letters, digits, '_', '-', '.'",
               instance ? "instance" : "database", TOPO_NAME_MAX);
    return instance ? add_instance(p, name) : add_session(p, name);
}

/* The next line of text without its "\n" or "\r\n"; text moves past it. */
static void take_line(mk_cursor *text, mk_cursor *line)
{
    size_t start = mk_cursor_pos(text);
    size_t n = 0;
    uint8_t ch = 0;
    uint8_t last = 0;
    while (mk_cursor_remaining(text) > 0) {
        if (mk_failed(mk_cursor_read_u8(text, &ch)) || ch == '\n') {
            break;
        }
        last = ch;
        n++;
    }
    if (n > 0 && last == '\r') {
        n--;
    }
    if (mk_failed(mk_cursor_slice(text, start, n, line))) {
        mk_cursor_init(line, NULL, 0);
    }
}

/* Copy the next line into str (num bytes), BOM and leading blanks dropped. */
static MK_RESULT fill_line(parse *p, char *str, int num)
{
    mk_cursor line;
    size_t cap = num > 3 ? (size_t)num - 3 : 0; /* ini.h: room for "\r\n\0" */
    p->line++;
    take_line(&p->text, &line);
    size_t n = mk_cursor_remaining(&line);
    ENSURE_MSG(n <= cap, MK_E_INVALID, "line longer than %zu characters", cap);
    GUARD(mk_cursor_copy(&line, str, n));
    str[n] = '\0';
    size_t skip = p->line == 1 && strncmp(str, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    skip += strspn(&str[skip], " \t\v\f\r");
    memmove(str, &str[skip], n - skip + 1);
    if (str[0] == '[') {
        GUARD(open_section(p, str));
    }
    return MK_OK;
}

/* libinih's reader: hands out one line at a time, stops at the first error. */
static char *read_line(char *str, int num, void *stream)
{
    parse *p = stream;
    if (p->failed_line != 0 || mk_cursor_remaining(&p->text) == 0) {
        return NULL;
    }
    if (mk_failed(fill_line(p, str, num))) {
        (void)at_line(p, p->line);
        return NULL;
    }
    return str;
}

/* libinih's handler; `section` is ignored since p->in has the whole name. */
static int on_pair(void *user, const char *section, const char *name, const char *value)
{
    parse *p = user;
    (void)section;
    if (mk_failed(take_pair(p, name, value))) {
        (void)at_line(p, p->line);
        return 0;
    }
    return 1;
}

/* ---- the whole file -------------------------------------------------------------------- */

static MK_RESULT default_address(topo_instance *in)
{
    bool v6 = strchr(in->host, ':') != NULL;
    size_t cap = strlen(in->host) + sizeof("TCP://[]:65535");
    char *s = malloc(cap);
    ENSURE(s != NULL, MK_E_NOMEM);
    snprintf(s, cap, "TCP://%s%s%s:%u", v6 ? "[" : "", in->host, v6 ? "]" : "", in->endpoint_port);
    in->endpoint_address = s;
    return MK_OK;
}

static MK_RESULT check_instance(parse *p, size_t i)
{
    static const int required[] = {K_SERVER, K_LOGIN, K_PASSWORD_FILE, K_ENDPOINT_PORT,
                                   K_MASTER_KEY_FILE};
    topo_instance *in = &p->t->instances[i];
    for (size_t r = 0; r < sizeof(required) / sizeof(required[0]); r++) {
        ENSURE_AT(p->instance_key_line[i][required[r]] != 0, p, in->line,
                  "[instance %s] has no '%s'", in->name, instance_keys[required[r]]);
    }
    ENSURE_AT(in->ca_file != NULL || in->trust_server_certificate, p, in->line,
              "[instance %s] needs 'ca-file' (or trust-server-certificate = yes)", in->name);
    return in->endpoint_address != NULL ? MK_OK : default_address(in);
}

/* Resolve a session's instances; check them against each other and their roles. */
static MK_RESULT check_session(parse *p, size_t s, bool partner[], bool witness[])
{
    topo_session *ss = &p->t->sessions[s];
    const int *at = p->session_key_line[s];
    size_t idx[N_SESSION_KEYS] = {0, 0, 0};
    ENSURE_AT(at[K_PRINCIPAL] != 0, p, ss->line, "[session %s] has no 'principal'", ss->database);
    ENSURE_AT(at[K_MIRROR] != 0, p, ss->line, "[session %s] has no 'mirror'", ss->database);
    for (int k = 0; k < N_SESSION_KEYS; k++) {
        long i = at[k] != 0 ? topo_find(p->t, p->session_refs[s][k]) : 0;
        ENSURE_AT(i >= 0, p, at[k], "[session %s]: no instance named '%s'", ss->database,
                  p->session_refs[s][k]);
        idx[k] = (size_t)i;
    }
    ENSURE_AT(idx[K_MIRROR] != idx[K_PRINCIPAL], p, at[K_MIRROR],
              "[session %s]: the mirror is the principal", ss->database);
    ss->has_witness = at[K_WITNESS] != 0;
    ENSURE_AT(!ss->has_witness ||
                  (idx[K_WITNESS] != idx[K_PRINCIPAL] && idx[K_WITNESS] != idx[K_MIRROR]),
              p, at[K_WITNESS], "[session %s]: the witness is also a partner", ss->database);
    /* Roles against uses; only the witness, last, may be absent. */
    for (int k = 0; k < N_SESSION_KEYS && at[k] != 0; k++) {
        const topo_instance *in = &p->t->instances[idx[k]];
        bool as_witness = k == K_WITNESS;
        topo_role refused = as_witness ? TOPO_ROLE_PARTNER : TOPO_ROLE_WITNESS;
        ENSURE_AT(!in->role_given || in->role != refused, p, at[k],
                  "[session %s]: '%s' has role = %s and cannot be a %s", ss->database, in->name,
                  topo_role_name(in->role), as_witness ? "witness" : "partner");
        if (as_witness) {
            witness[idx[k]] = true;
        } else {
            partner[idx[k]] = true;
        }
    }
    ss->principal = idx[K_PRINCIPAL];
    ss->mirror = idx[K_MIRROR];
    ss->witness = ss->has_witness ? idx[K_WITNESS] : 0;
    return MK_OK;
}

static MK_RESULT check_whole(parse *p)
{
    topology *t = p->t;
    bool partner[TOPO_MAX] = {false};
    bool witness[TOPO_MAX] = {false};
    ENSURE_AT(t->n_instances > 0, p, p->line > 0 ? p->line : 1, "no [instance NAME] section");
    for (size_t i = 0; i < t->n_instances; i++) {
        GUARD(check_instance(p, i));
    }
    for (size_t s = 0; s < t->n_sessions; s++) {
        GUARD(check_session(p, s, partner, witness));
    }
    for (size_t i = 0; i < t->n_instances; i++) {
        if (!t->instances[i].role_given) {
            t->instances[i].role = witness[i] && !partner[i] ? TOPO_ROLE_WITNESS : TOPO_ROLE_ALL;
        }
    }
    return MK_OK;
}

/* ---- public ---------------------------------------------------------------------------- */

static void parse_free(parse *p)
{
    if (p == NULL) {
        return;
    }
    for (size_t s = 0; s < TOPO_MAX; s++) {
        for (int k = 0; k < N_SESSION_KEYS; k++) {
            free(p->session_refs[s][k]);
        }
    }
    topo_free(p->t);
    free(p);
}

static MK_RESULT parse_new(const char *text, const char *source, parse **out)
{
    parse *p = calloc(1, sizeof(*p));
    ENSURE(p != NULL, MK_E_NOMEM);
    p->source = source;
    mk_cursor_init(&p->text, text, strlen(text));
    p->t = calloc(1, sizeof(*p->t));
    if (p->t != NULL) {
        p->t->instances = calloc(TOPO_MAX, sizeof(topo_instance));
        p->t->sessions = calloc(TOPO_MAX, sizeof(topo_session));
    }
    if (p->t == NULL || p->t->instances == NULL || p->t->sessions == NULL) {
        parse_free(p);
        BAIL(MK_E_NOMEM);
    }
    *out = p;
    return MK_OK;
}

MK_RESULT topo_parse_string(const char *text, const char *source, topology **out)
{
    mk_result res = MK_ERR;
    parse *p = NULL;
    ENSURE_MSG(text != NULL && source != NULL && out != NULL, MK_E_INVALID,
               "topology: missing argument");
    *out = NULL;
    ENSURE_MSG(strnlen(text, (size_t)TOPO_FILE_MAX + 1) <= (size_t)TOPO_FILE_MAX, MK_E_TOOBIG,
               "%s: larger than %d bytes", source, TOPO_FILE_MAX);
    GUARD(parse_new(text, source, &p));
    int rc = ini_parse_stream(read_line, p, on_pair, p);
    ENSURE_OUT(rc != -2, MK_E_NOMEM, "%s: out of memory", source);
    if (rc > 0 && (p->failed_line == 0 || rc < p->failed_line)) {
        (void)MK_RAISE(MK_E_INVALID, "cannot parse this line");
        (void)at_line(p, rc);
        goto out;
    }
    if (p->failed_line != 0) {
        goto out;
    }
    GUARD_OUT(check_whole(p));
    *out = p->t;
    p->t = NULL;
    res = MK_OK;
out:
    parse_free(p);
    return res;
}

/* Read fd, expected to hold `size` bytes, into a new NUL-terminated buffer. */
static MK_RESULT read_text(int fd, const char *path, size_t size, char **out, size_t *out_len)
{
    mk_result res = MK_ERR;
    size_t len = 0;
    char *text = malloc(size + 2); /* one byte more shows that the file grew; one for the NUL */
    ENSURE(text != NULL, MK_E_NOMEM);
    while (len <= size) {
        ssize_t n = read(fd, &text[len], size + 1 - len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        ENSURE_OUT(n >= 0, MK_E_IO, "cannot read %s: %s", path, strerror(errno));
        if (n == 0) {
            break;
        }
        len += (size_t)n;
    }
    ENSURE_OUT(len <= size, MK_E_IO, "%s changed while being read", path);
    text[len] = '\0';
    *out = text;
    *out_len = len;
    text = NULL;
    res = MK_OK;
out:
    free(text);
    return res;
}

MK_RESULT topo_load_file(const char *path, topology **out)
{
    mk_result res = MK_ERR;
    char *text = NULL;
    size_t len = 0;
    struct stat st;
    int line = 1;
    ENSURE_MSG(path != NULL && out != NULL, MK_E_INVALID, "topology: missing argument");
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        ENSURE_MSG(errno != ENOENT, MK_E_NOT_FOUND, "%s does not exist", path);
        BAIL_MSG(MK_E_IO, "cannot open %s: %s", path, strerror(errno));
    }
    ENSURE_OUT(fstat(fd, &st) == 0, MK_E_IO, "cannot stat %s: %s", path, strerror(errno));
    ENSURE_OUT(S_ISREG(st.st_mode), MK_E_INVALID, "%s is not a regular file", path);
    /* The file chooses which TDS certificates are trusted: only its owner may write it. */
    ENSURE_OUT((st.st_mode & (S_IWGRP | S_IWOTH)) == 0, MK_E_PERM,
               "%s is writable by group or others; run: chmod go-w %s", path, path);
    ENSURE_OUT(st.st_size <= (off_t)TOPO_FILE_MAX, MK_E_TOOBIG, "%s is larger than %d bytes", path,
               TOPO_FILE_MAX);
    GUARD_OUT(read_text(fd, path, (size_t)st.st_size, &text, &len));
    for (size_t i = 0; i < len; i++) {
        ENSURE_OUT(text[i] != '\0', MK_E_INVALID, "%s:%d: NUL byte", path, line);
        line += text[i] == '\n';
    }
    GUARD_OUT(topo_parse_string(text, path, out));
    res = MK_OK;
out:
    close(fd);
    free(text);
    return res;
}

static void instance_cleanup(topo_instance *in)
{
    free(in->name);
    free(in->server);
    free(in->host);
    free(in->login);
    free(in->password_file);
    free(in->ca_file);
    free(in->endpoint_address);
    free(in->master_key_password_file);
    free(in->certificate_expiry);
}

void topo_free(topology *t)
{
    if (t == NULL) {
        return;
    }
    for (size_t i = 0; i < t->n_instances; i++) {
        instance_cleanup(&t->instances[i]);
    }
    for (size_t s = 0; s < t->n_sessions; s++) {
        free(t->sessions[s].database);
    }
    free(t->instances);
    free(t->sessions);
    free(t);
}

long topo_find(const topology *t, const char *name)
{
    if (t == NULL || name == NULL) {
        return -1;
    }
    for (size_t i = 0; i < t->n_instances; i++) {
        if (strcasecmp(t->instances[i].name, name) == 0) {
            return (long)i;
        }
    }
    return -1;
}

static bool in_session(const topo_session *s, size_t i)
{
    return s->principal == i || s->mirror == i || (s->has_witness && s->witness == i);
}

bool topo_are_peers(const topology *t, size_t i, size_t j)
{
    if (t == NULL || i == j || i >= t->n_instances || j >= t->n_instances) {
        return false;
    }
    for (size_t s = 0; s < t->n_sessions; s++) {
        if (in_session(&t->sessions[s], i) && in_session(&t->sessions[s], j)) {
            return true;
        }
    }
    return false;
}

const char *topo_role_name(topo_role r)
{
    switch (r) {
    case TOPO_ROLE_ALL: return "ALL";
    case TOPO_ROLE_PARTNER: return "PARTNER";
    case TOPO_ROLE_WITNESS: return "WITNESS";
    }
    return "?";
}

const char *topo_key_name(topo_key k) { return (size_t)k < N_KEYS ? key_names[k] : "?"; }

const char *topo_key_tsql(topo_key k) { return (size_t)k < N_KEYS ? key_tsql[k] : "?"; }
