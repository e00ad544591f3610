/*
 * RFC 7512 "pkcs11:" URI parser (p11_uri_parse in p11/uri.h).
 *
 * The text is walked with a bounded mk_cursor: the scheme, then the path
 * (attributes separated by ';') up to the first '?', then the query
 * (attributes separated by '&'). Each value is checked against the RFC's
 * character classes and percent-decoded straight into its destination: a heap
 * string, the id bytes, or, for pin-value, a wiped mk_secret. Every cap is
 * checked before memory is allocated. Errors name the offending attribute but
 * never quote a value; when the query carries pin-value, no text of the query
 * is quoted at all, since an unencoded '&' in a PIN would otherwise leak part
 * of it through an "unknown attribute" message.
 */
#include "p11/uri.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mk/cursor.h"
#include "p11/pin.h"
#include "uri_internal.h"

#define URI_NUM_MAX 32  /* decoded slot-id / type text */
#define URI_SHOW_MAX 40 /* longest name quoted in an error message */
#define URI_SCHEME "pkcs11:"
#define URI_SCHEME_LEN 7

typedef struct uri_parser {
    p11_uri *u;
    bool query;                   /* in the query component */
    bool redact;                  /* the query carries pin-value: quote none of its text */
    unsigned index;               /* 1-based position of the attribute in its component */
    char shown[URI_SHOW_MAX + 8]; /* how errors refer to the current attribute */
} uri_parser;

/* ---- character classes (RFC 3986 §2.3, RFC 7512 §2.3) ---- */

static bool is_alnum(uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static int hex_value(uint8_t c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* ---- small helpers ---- */

/* Bytes before the first `delim` (or the end), without moving c. */
static size_t span_to(const mk_cursor *c, uint8_t delim)
{
    mk_cursor probe = *c;
    size_t n = 0;
    uint8_t b = 0;
    while (mk_cursor_remaining(&probe) > 0) {
        if (mk_failed(mk_cursor_read_u8(&probe, &b)) || b == delim) {
            break;
        }
        n++;
    }
    return n;
}

/* Take the bytes before the next delim as *part and step over the delim. */
static MK_RESULT take_until(mk_cursor *c, uint8_t delim, mk_cursor *part, bool *had_delim)
{
    GUARD(mk_cursor_read_bytes(c, span_to(c, delim), part));
    *had_delim = mk_cursor_remaining(c) > 0;
    if (*had_delim) {
        GUARD(mk_cursor_skip(c, 1));
    }
    return MK_OK;
}

static bool cursor_equals(const mk_cursor *c, const char *s)
{
    size_t n = strlen(s);
    return mk_cursor_remaining(c) == n && (n == 0 || memcmp(mk_cursor_ptr(c), s, n) == 0);
}

/* Does the component contain `needle` anywhere? (Used only to decide redaction.) */
static bool cursor_contains(const mk_cursor *c, const char *needle)
{
    size_t n = strlen(needle);
    mk_cursor probe = *c;
    while (mk_cursor_remaining(&probe) >= n) {
        mk_cursor window;
        if (mk_failed(mk_cursor_slice(&probe, mk_cursor_pos(&probe), n, &window))) {
            return false;
        }
        if (cursor_equals(&window, needle)) {
            return true;
        }
        if (mk_failed(mk_cursor_skip(&probe, 1))) {
            return false;
        }
    }
    return false;
}

/* A printable, bounded, quoted copy of c for error messages. */
static void show_text(const mk_cursor *c, char *out, size_t cap)
{
    mk_cursor probe = *c;
    size_t n = 0;
    uint8_t b = 0;
    out[n++] = '\'';
    while (mk_cursor_remaining(&probe) > 0 && n + 5 < cap) {
        if (mk_failed(mk_cursor_read_u8(&probe, &b))) {
            break;
        }
        out[n++] = (b > 0x20 && b < 0x7f) ? (char)b : '?';
    }
    if (mk_cursor_remaining(&probe) > 0) {
        out[n++] = '.';
        out[n++] = '.';
        out[n++] = '.';
    }
    out[n++] = '\'';
    out[n] = '\0';
}

static const char *component(const uri_parser *p) { return p->query ? "query" : "path"; }

static bool valid_vendor_name(const mk_cursor *name)
{
    mk_cursor probe = *name;
    uint8_t b = 0;
    if (mk_cursor_remaining(&probe) < 3 || mk_failed(mk_cursor_read_u8(&probe, &b)) || b != 'x' ||
        mk_failed(mk_cursor_read_u8(&probe, &b)) || b != '-') {
        return false;
    }
    while (mk_cursor_remaining(&probe) > 0) {
        if (mk_failed(mk_cursor_read_u8(&probe, &b)) || !(is_alnum(b) || b == '-' || b == '_')) {
            return false;
        }
    }
    return true;
}

/* ---- decoding ---- */

/*
 * Check and percent-decode the value in val into dst[0..cap). NUL bytes are
 * refused unless allow_nul. A secret value is never quoted in errors.
 */
static MK_RESULT decode_value(const uri_parser *p, const char *name, mk_cursor *val, bool allow_nul,
                              bool secret, uint8_t *dst, size_t cap, size_t *len)
{
    size_t n = 0;
    uint8_t c = 0;
    while (mk_cursor_remaining(val) > 0) {
        GUARD(mk_cursor_read_u8(val, &c));
        if (c == '%') {
            uint8_t hex[2] = {0, 0};
            ENSURE_MSG(mk_cursor_remaining(val) >= 2, MK_E_INVALID,
                       "pkcs11 URI: bad percent-encoding in attribute '%s'", name);
            GUARD(mk_cursor_copy(val, hex, 2));
            int hi = hex_value(hex[0]);
            int lo = hex_value(hex[1]);
            ENSURE_MSG(hi >= 0 && lo >= 0, MK_E_INVALID,
                       "pkcs11 URI: bad percent-encoding in attribute '%s'", name);
            c = (uint8_t)(hi * 16 + lo);
            ENSURE_MSG(c != 0 || allow_nul, MK_E_INVALID,
                       "pkcs11 URI: attribute '%s' contains a NUL byte (%%00)", name);
        } else if (!p11_uri_char_allowed(c, p->query)) {
            ENSURE_MSG(!secret, MK_E_INVALID,
                       "pkcs11 URI: attribute '%s' has a character that must be percent-encoded",
                       name);
            BAIL_MSG(MK_E_INVALID,
                     "pkcs11 URI: character 0x%02X must be percent-encoded in attribute '%s'", c,
                     name);
        }
        ENSURE_MSG(n < cap, MK_E_TOOBIG, "pkcs11 URI: attribute '%s' is longer than %zu bytes",
                   name, cap);
        dst[n++] = c;
    }
    *len = n;
    return MK_OK;
}

/* Decode into a fresh NUL-terminated heap string of at most P11_URI_VALUE_MAX bytes. */
static MK_RESULT decode_string(const uri_parser *p, const char *name, mk_cursor *val, char **out)
{
    size_t raw = mk_cursor_remaining(val);
    size_t cap = raw < P11_URI_VALUE_MAX ? raw : P11_URI_VALUE_MAX;
    size_t len = 0;
    char *s = malloc(cap + 1);
    ENSURE_MSG(s != NULL, MK_E_NOMEM, "pkcs11 URI: out of memory");
    if (mk_failed(decode_value(p, name, val, false, false, (uint8_t *)s, cap, &len))) {
        free(s);
        return MK_ERR;
    }
    s[len] = '\0';
    *out = s;
    return MK_OK;
}

static MK_RESULT store_string(uri_parser *p, const p11_uri_def *d, mk_cursor *val)
{
    char *s = NULL;
    GUARD(decode_string(p, d->name, val, &s));
    if (d->attr == P11_URI_LIBRARY_VERSION && !p11_uri_version_parse(s, NULL, NULL)) {
        free(s);
        BAIL_MSG(MK_E_INVALID, "pkcs11 URI: library-version must be MAJOR or MAJOR.MINOR "
                               "(decimal numbers 0-255)");
    }
    p->u->str[d->attr] = s;
    return MK_OK;
}

/* Decode a short value (type, slot-id) into buf as a C string. */
static MK_RESULT decode_short(const uri_parser *p, const char *name, mk_cursor *val, char *buf,
                              size_t size)
{
    size_t len = 0;
    GUARD(decode_value(p, name, val, false, false, (uint8_t *)buf, size - 1, &len));
    buf[len] = '\0';
    return MK_OK;
}

static MK_RESULT store_type(uri_parser *p, mk_cursor *val)
{
    char buf[URI_NUM_MAX + 1];
    char shown[URI_SHOW_MAX + 8];
    mk_cursor text;
    GUARD(decode_short(p, "type", val, buf, sizeof(buf)));
    for (size_t i = 1; i < p11_uri_type_count; i++) {
        if (strcmp(buf, p11_uri_type_names[i]) == 0) {
            p->u->type = (p11_uri_type)i;
            return MK_OK;
        }
    }
    mk_cursor_init(&text, buf, strlen(buf));
    show_text(&text, shown, sizeof(shown));
    BAIL_MSG(MK_E_INVALID,
             "pkcs11 URI: bad type %s (expected private, public, cert, secret-key or data)", shown);
}

static MK_RESULT store_slot_id(uri_parser *p, mk_cursor *val)
{
    char buf[URI_NUM_MAX + 1];
    unsigned long v = 0;
    GUARD(decode_short(p, "slot-id", val, buf, sizeof(buf)));
    ENSURE_MSG(buf[0] != '\0', MK_E_INVALID, "pkcs11 URI: slot-id must be a decimal number");
    for (const char *s = buf; *s != '\0'; s++) {
        ENSURE_MSG(*s >= '0' && *s <= '9', MK_E_INVALID,
                   "pkcs11 URI: slot-id must be a decimal number");
        unsigned long digit = (unsigned long)(*s - '0');
        ENSURE_MSG(v <= (~0UL - digit) / 10, MK_E_INVALID, "pkcs11 URI: slot-id is out of range");
        v = v * 10 + digit;
    }
    p->u->has_slot_id = true;
    p->u->slot_id = v;
    return MK_OK;
}

static MK_RESULT store_id(uri_parser *p, mk_cursor *val)
{
    uint8_t buf[P11_URI_ID_MAX];
    size_t len = 0;
    GUARD(decode_value(p, "id", val, true, false, buf, sizeof(buf), &len));
    return p11_uri_set_id(p->u, buf, len);
}

/* pin-value goes from the text straight into a wiped secret. */
static MK_RESULT store_pin_value(uri_parser *p, mk_cursor *val)
{
    mk_secret *s = NULL;
    size_t len = 0;
    GUARD(mk_secret_new(P11_PIN_MAX, &s));
    if (mk_failed(
            decode_value(p, "pin-value", val, false, true, mk_secret_data(s), P11_PIN_MAX, &len)) ||
        mk_failed(mk_secret_set_len(s, len))) {
        mk_secret_free(s);
        return MK_ERR;
    }
    p->u->pin_value = s;
    return MK_OK;
}

/* RFC 7512 §2.3 pk11-v-pattr / pk11-v-qattr: kept, formatted back, otherwise ignored. */
static MK_RESULT store_vendor(uri_parser *p, const mk_cursor *name, mk_cursor *val)
{
    char nbuf[URI_SHOW_MAX + 1];
    char *value = NULL;
    ENSURE_MSG(mk_cursor_remaining(name) <= URI_SHOW_MAX, MK_E_TOOBIG,
               "pkcs11 URI: vendor attribute name %s is longer than %d bytes", p->shown,
               URI_SHOW_MAX);
    mk_cursor copy = *name;
    size_t nlen = mk_cursor_remaining(&copy);
    GUARD(mk_cursor_copy(&copy, nbuf, nlen));
    nbuf[nlen] = '\0';
    for (size_t i = 0; i < p->u->n_vendor; i++) {
        ENSURE_MSG(strcmp(p->u->vendor[i].name, nbuf) != 0, MK_E_INVALID,
                   "pkcs11 URI: duplicate attribute %s", p->shown);
    }
    /* In a redacted query the name itself may be a fragment of the PIN. */
    GUARD(decode_string(p, p->redact ? "x-(vendor)" : nbuf, val, &value));
    mk_result r = p11_uri_vendor_add(p->u, nbuf, value, p->query);
    free(value);
    return r;
}

static const p11_uri_def *find_def(const mk_cursor *name)
{
    for (size_t i = 0; i < p11_uri_def_count; i++) {
        if (cursor_equals(name, p11_uri_defs[i].name)) {
            return &p11_uri_defs[i];
        }
    }
    return NULL;
}

static MK_RESULT store_known(uri_parser *p, const p11_uri_def *d, mk_cursor *val)
{
    ENSURE_MSG(d->query == p->query, MK_E_INVALID,
               "pkcs11 URI: '%s' is a %s attribute and cannot appear in the %s", d->name,
               d->query ? "query" : "path", component(p));
    ENSURE_MSG(!p11_uri_def_present(p->u, d), MK_E_INVALID, "pkcs11 URI: duplicate attribute '%s'",
               d->name);
    switch (d->kind) {
    case P11_URI_KIND_STRING: return store_string(p, d, val);
    case P11_URI_KIND_TYPE: return store_type(p, val);
    case P11_URI_KIND_ID: return store_id(p, val);
    case P11_URI_KIND_SLOT_ID: return store_slot_id(p, val);
    case P11_URI_KIND_PIN_VALUE: return store_pin_value(p, val);
    }
    BAIL_MSG(MK_E_INTERNAL, "pkcs11 URI: attribute table corrupt");
}

/* One "name=value" attribute. */
static MK_RESULT parse_attribute(uri_parser *p, mk_cursor *seg)
{
    mk_cursor name;
    bool has_eq = false;
    GUARD(take_until(seg, '=', &name, &has_eq));
    if (p->redact) {
        snprintf(p->shown, sizeof(p->shown), "#%u", p->index);
    } else {
        show_text(&name, p->shown, sizeof(p->shown));
    }
    ENSURE_MSG(has_eq, MK_E_INVALID, "pkcs11 URI: %s attribute %s has no '='", component(p),
               p->shown);
    ENSURE_MSG(mk_cursor_remaining(&name) > 0, MK_E_INVALID,
               "pkcs11 URI: %s attribute #%u has an empty name", component(p), p->index);
    const p11_uri_def *d = find_def(&name);
    if (d != NULL) {
        return store_known(p, d, seg);
    }
    ENSURE_MSG(valid_vendor_name(&name), MK_E_INVALID, "pkcs11 URI: unknown %s attribute %s",
               component(p), p->shown);
    return store_vendor(p, &name, seg);
}

/* A path (';'-separated) or query ('&'-separated) component. */
static MK_RESULT parse_component(uri_parser *p, mk_cursor *comp)
{
    char delim = p->query ? '&' : ';';
    bool more = mk_cursor_remaining(comp) > 0;
    p->index = 0;
    while (more) {
        mk_cursor seg;
        p->index++;
        GUARD(take_until(comp, (uint8_t)delim, &seg, &more));
        ENSURE_MSG(mk_cursor_remaining(&seg) > 0, MK_E_INVALID,
                   "pkcs11 URI: empty %s attribute (doubled or trailing '%c')", component(p),
                   delim);
        GUARD(parse_attribute(p, &seg));
    }
    return MK_OK;
}

MK_RESULT p11_uri_parse(const char *text, p11_uri **out)
{
    mk_result res = MK_ERR;
    p11_uri *u = NULL;
    mk_cursor c, scheme, path, query;
    bool has_query = false;
    uri_parser p;

    ENSURE_MSG(text != NULL && out != NULL, MK_E_INVALID, "pkcs11 URI: no text to parse");
    *out = NULL;
    size_t len = strnlen(text, P11_URI_TEXT_MAX + 1);
    ENSURE_MSG(len <= P11_URI_TEXT_MAX, MK_E_TOOBIG, "pkcs11 URI: longer than %d bytes",
               P11_URI_TEXT_MAX);
    mk_cursor_init(&c, text, len);
    ENSURE_MSG(len >= URI_SCHEME_LEN && mk_ok(mk_cursor_read_bytes(&c, URI_SCHEME_LEN, &scheme)) &&
                   strncasecmp((const char *)mk_cursor_ptr(&scheme), URI_SCHEME, URI_SCHEME_LEN) ==
                       0,
               MK_E_INVALID, "pkcs11 URI: must begin with 'pkcs11:'");
    GUARD(p11_uri_new(&u));
    memset(&p, 0, sizeof(p));
    p.u = u;
    GUARD_OUT(take_until(&c, '?', &path, &has_query));
    GUARD_OUT(parse_component(&p, &path));
    if (has_query) {
        query = c;
        p.query = true;
        p.redact = cursor_contains(&query, "pin-value");
        GUARD_OUT(parse_component(&p, &query));
    }
    *out = u;
    u = NULL;
    res = MK_OK;
out:
    p11_uri_free(u);
    return res;
}
