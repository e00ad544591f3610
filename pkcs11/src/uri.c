/*
 * RFC 7512 "pkcs11:" URIs: the attribute model, accessors and the canonical
 * formatter (see p11/uri.h). The parser is in uri_parse.c, the match helpers
 * in uri_match.c.
 *
 * The formatter writes attributes in one fixed order, percent-encodes every
 * byte outside the RFC's allowed characters, writes id fully percent-encoded
 * and never writes pin-value. Its output parses back to an equal URI (minus
 * pin-value), and it refuses to produce text longer than the parser accepts.
 */
#include "p11/uri.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "uri_internal.h"

#define URI_SCHEME "pkcs11:"

const p11_uri_def p11_uri_defs[] = {
    {"token", P11_URI_KIND_STRING, P11_URI_TOKEN, false},
    {"manufacturer", P11_URI_KIND_STRING, P11_URI_MANUFACTURER, false},
    {"serial", P11_URI_KIND_STRING, P11_URI_SERIAL, false},
    {"model", P11_URI_KIND_STRING, P11_URI_MODEL, false},
    {"library-manufacturer", P11_URI_KIND_STRING, P11_URI_LIBRARY_MANUFACTURER, false},
    {"library-description", P11_URI_KIND_STRING, P11_URI_LIBRARY_DESCRIPTION, false},
    {"library-version", P11_URI_KIND_STRING, P11_URI_LIBRARY_VERSION, false},
    {"slot-manufacturer", P11_URI_KIND_STRING, P11_URI_SLOT_MANUFACTURER, false},
    {"slot-description", P11_URI_KIND_STRING, P11_URI_SLOT_DESCRIPTION, false},
    {"slot-id", P11_URI_KIND_SLOT_ID, P11_URI_ATTR_COUNT, false},
    {"object", P11_URI_KIND_STRING, P11_URI_OBJECT, false},
    {"type", P11_URI_KIND_TYPE, P11_URI_ATTR_COUNT, false},
    {"id", P11_URI_KIND_ID, P11_URI_ATTR_COUNT, false},
    {"pin-source", P11_URI_KIND_STRING, P11_URI_PIN_SOURCE, true},
    {"pin-value", P11_URI_KIND_PIN_VALUE, P11_URI_ATTR_COUNT, true},
    {"module-name", P11_URI_KIND_STRING, P11_URI_MODULE_NAME, true},
    {"module-path", P11_URI_KIND_STRING, P11_URI_MODULE_PATH, true},
};
const size_t p11_uri_def_count = sizeof(p11_uri_defs) / sizeof(p11_uri_defs[0]);

const char *const p11_uri_type_names[] = {NULL, "private", "public", "cert", "secret-key", "data"};
const size_t p11_uri_type_count = sizeof(p11_uri_type_names) / sizeof(p11_uri_type_names[0]);

/* RFC 3986 §2.3 unreserved, plus RFC 7512 §2.3 pk11-path-res-avail / pk11-query-res-avail. */
bool p11_uri_char_allowed(uint8_t c, bool query)
{
    bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (alnum || c == '-' || c == '.' || c == '_' || c == '~') {
        return true;
    }
    if (c != 0 && strchr(":[]@!$'()*+,=", c) != NULL) {
        return true;
    }
    return query ? (c == '/' || c == '?' || c == '|') : c == '&';
}

bool p11_uri_version_parse(const char *s, int *major, int *minor)
{
    int part[2] = {0, 0};
    int idx = 0;
    size_t digits = 0;
    for (; *s != '\0'; s++) {
        if (*s == '.' && idx == 0 && digits > 0) {
            idx = 1;
            digits = 0;
            continue;
        }
        if (*s < '0' || *s > '9') {
            return false;
        }
        part[idx] = part[idx] * 10 + (*s - '0');
        if (part[idx] > 255) {
            return false;
        }
        digits++;
    }
    if (digits == 0) {
        return false;
    }
    if (major != NULL) {
        *major = part[0];
    }
    if (minor != NULL) {
        *minor = part[1];
    }
    return true;
}

bool p11_uri_def_present(const p11_uri *u, const p11_uri_def *d)
{
    switch (d->kind) {
    case P11_URI_KIND_STRING: return u->str[d->attr] != NULL;
    case P11_URI_KIND_TYPE: return u->type != P11_URI_TYPE_ANY;
    case P11_URI_KIND_ID: return u->has_id;
    case P11_URI_KIND_SLOT_ID: return u->has_slot_id;
    case P11_URI_KIND_PIN_VALUE: return u->pin_value != NULL;
    }
    return false;
}

MK_RESULT p11_uri_vendor_add(p11_uri *u, const char *name, const char *value, bool query)
{
    ENSURE_MSG(u->n_vendor < P11_URI_VENDOR_MAX, MK_E_TOOBIG,
               "pkcs11 URI: more than %d vendor (x-) attributes", P11_URI_VENDOR_MAX);
    p11_uri_vendor *v = &u->vendor[u->n_vendor];
    v->name = strdup(name);
    v->value = strdup(value);
    if (v->name == NULL || v->value == NULL) {
        free(v->name);
        free(v->value);
        v->name = v->value = NULL;
        BAIL_MSG(MK_E_NOMEM, "pkcs11 URI: out of memory");
    }
    v->query = query;
    u->n_vendor++;
    return MK_OK;
}

/* ---- lifetime and accessors ---- */

MK_RESULT p11_uri_new(p11_uri **out)
{
    p11_uri *u = calloc(1, sizeof(*u));
    ENSURE_MSG(u != NULL, MK_E_NOMEM, "pkcs11 URI: out of memory");
    u->type = P11_URI_TYPE_ANY;
    *out = u;
    return MK_OK;
}

void p11_uri_free(p11_uri *u)
{
    if (u == NULL) {
        return;
    }
    for (size_t i = 0; i < P11_URI_ATTR_COUNT; i++) {
        free(u->str[i]);
    }
    for (size_t i = 0; i < u->n_vendor; i++) {
        free(u->vendor[i].name);
        free(u->vendor[i].value);
    }
    free(u->id);
    mk_secret_free(u->pin_value);
    free(u);
}

MK_RESULT p11_uri_dup(const p11_uri *u, p11_uri **out)
{
    mk_result res = MK_ERR;
    p11_uri *d = NULL;
    GUARD(p11_uri_new(&d));
    for (size_t i = 0; i < P11_URI_ATTR_COUNT; i++) {
        GUARD_OUT(p11_uri_set(d, (p11_uri_attr)i, u->str[i]));
    }
    d->type = u->type;
    if (u->has_id) {
        GUARD_OUT(p11_uri_set_id(d, u->id, u->id_len));
    }
    d->has_slot_id = u->has_slot_id;
    d->slot_id = u->slot_id;
    if (u->pin_value != NULL) {
        GUARD_OUT(mk_secret_from(mk_secret_cdata(u->pin_value), mk_secret_len(u->pin_value),
                                 &d->pin_value));
    }
    for (size_t i = 0; i < u->n_vendor; i++) {
        GUARD_OUT(p11_uri_vendor_add(d, u->vendor[i].name, u->vendor[i].value, u->vendor[i].query));
    }
    *out = d;
    d = NULL;
    res = MK_OK;
out:
    p11_uri_free(d);
    return res;
}

const char *p11_uri_get(const p11_uri *u, p11_uri_attr attr)
{
    if (u == NULL || (unsigned)attr >= P11_URI_ATTR_COUNT) {
        return NULL;
    }
    return u->str[attr];
}

MK_RESULT p11_uri_set(p11_uri *u, p11_uri_attr attr, const char *value)
{
    ENSURE_MSG((unsigned)attr < P11_URI_ATTR_COUNT, MK_E_INVALID,
               "pkcs11 URI: no string attribute number %d", (int)attr);
    char *copy = NULL;
    if (value != NULL) {
        ENSURE_MSG(strnlen(value, P11_URI_VALUE_MAX + 1) <= P11_URI_VALUE_MAX, MK_E_TOOBIG,
                   "pkcs11 URI: attribute '%s' is longer than %d bytes", p11_uri_attr_name(attr),
                   P11_URI_VALUE_MAX);
        ENSURE_MSG(attr != P11_URI_LIBRARY_VERSION || p11_uri_version_parse(value, NULL, NULL),
                   MK_E_INVALID,
                   "pkcs11 URI: library-version must be MAJOR or MAJOR.MINOR "
                   "(decimal numbers 0-255)");
        copy = strdup(value);
        ENSURE_MSG(copy != NULL, MK_E_NOMEM, "pkcs11 URI: out of memory");
    }
    free(u->str[attr]);
    u->str[attr] = copy;
    return MK_OK;
}

p11_uri_type p11_uri_get_type(const p11_uri *u) { return u->type; }

/* Values outside the enum leave the type unconstrained (ANY). */
void p11_uri_set_type(p11_uri *u, p11_uri_type type)
{
    u->type = (unsigned)type < p11_uri_type_count ? type : P11_URI_TYPE_ANY;
}

bool p11_uri_has_id(const p11_uri *u) { return u->has_id; }

const uint8_t *p11_uri_id(const p11_uri *u, size_t *len)
{
    if (len != NULL) {
        *len = u->has_id ? u->id_len : 0;
    }
    return u->has_id ? u->id : NULL;
}

/* id NULL clears the attribute; an empty id (non-NULL, len 0) is a valid value. */
MK_RESULT p11_uri_set_id(p11_uri *u, const uint8_t *id, size_t len)
{
    uint8_t *copy = NULL;
    if (id != NULL) {
        ENSURE_MSG(len <= P11_URI_ID_MAX, MK_E_TOOBIG,
                   "pkcs11 URI: attribute 'id' is longer than %d "
                   "bytes",
                   P11_URI_ID_MAX);
        copy = malloc(len > 0 ? len : 1);
        ENSURE_MSG(copy != NULL, MK_E_NOMEM, "pkcs11 URI: out of memory");
        if (len > 0) {
            memcpy(copy, id, len);
        }
    } else {
        ENSURE_MSG(len == 0, MK_E_INVALID, "pkcs11 URI: id pointer is NULL but length is %zu", len);
    }
    free(u->id);
    u->id = copy;
    u->id_len = copy != NULL ? len : 0;
    u->has_id = copy != NULL;
    return MK_OK;
}

bool p11_uri_slot_id(const p11_uri *u, unsigned long *out)
{
    if (u->has_slot_id && out != NULL) {
        *out = u->slot_id;
    }
    return u->has_slot_id;
}

bool p11_uri_library_version(const p11_uri *u, int *major, int *minor)
{
    const char *v = u->str[P11_URI_LIBRARY_VERSION];
    return v != NULL && p11_uri_version_parse(v, major, minor);
}

MK_RESULT p11_uri_pin_value(const p11_uri *u, mk_secret **out)
{
    *out = NULL;
    if (u->pin_value == NULL) {
        return MK_OK;
    }
    return mk_secret_from(mk_secret_cdata(u->pin_value), mk_secret_len(u->pin_value), out);
}

bool p11_uri_has_pin_value(const p11_uri *u) { return u->pin_value != NULL; }

const char *p11_uri_attr_name(p11_uri_attr attr)
{
    for (size_t i = 0; i < p11_uri_def_count; i++) {
        if (p11_uri_defs[i].kind == P11_URI_KIND_STRING && p11_uri_defs[i].attr == attr) {
            return p11_uri_defs[i].name;
        }
    }
    return "unknown";
}

/* ---- formatting ---- */

static MK_RESULT put_encoded(mk_buf *out, const uint8_t *data, size_t len, bool query, bool all)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < len; i++) {
        uint8_t c = data[i];
        if (!all && p11_uri_char_allowed(c, query)) {
            GUARD(mk_buf_put_u8(out, c));
            continue;
        }
        char esc[3] = {'%', hex[c >> 4], hex[c & 0x0f]};
        GUARD(mk_buf_append(out, esc, sizeof(esc)));
    }
    return MK_OK;
}

/* Write one attribute of u if present; *first tracks the separator. */
static MK_RESULT put_attr(const p11_uri *u, const p11_uri_def *d, mk_buf *out, bool *first)
{
    if (d->kind == P11_URI_KIND_PIN_VALUE || !p11_uri_def_present(u, d)) {
        return MK_OK;
    }
    GUARD(mk_buf_append_str(out, *first ? (d->query ? "?" : "") : (d->query ? "&" : ";")));
    *first = false;
    GUARD(mk_buf_printf(out, "%s=", d->name));
    switch (d->kind) {
    case P11_URI_KIND_STRING: {
        const char *s = u->str[d->attr];
        return put_encoded(out, (const uint8_t *)s, strlen(s), d->query, false);
    }
    case P11_URI_KIND_TYPE: return mk_buf_append_str(out, p11_uri_type_names[u->type]);
    case P11_URI_KIND_ID: return put_encoded(out, u->id, u->id_len, false, true);
    case P11_URI_KIND_SLOT_ID: return mk_buf_printf(out, "%lu", u->slot_id);
    case P11_URI_KIND_PIN_VALUE: break;
    }
    return MK_OK;
}

static MK_RESULT put_vendors(const p11_uri *u, bool query, mk_buf *out, bool *first)
{
    for (size_t i = 0; i < u->n_vendor; i++) {
        const p11_uri_vendor *v = &u->vendor[i];
        if (v->query != query) {
            continue;
        }
        GUARD(mk_buf_append_str(out, *first ? (query ? "?" : "") : (query ? "&" : ";")));
        *first = false;
        GUARD(mk_buf_printf(out, "%s=", v->name));
        GUARD(put_encoded(out, (const uint8_t *)v->value, strlen(v->value), query, false));
    }
    return MK_OK;
}

static MK_RESULT format_all(const p11_uri *u, mk_buf *out)
{
    bool first = true;
    GUARD(mk_buf_append_str(out, URI_SCHEME));
    for (size_t i = 0; i < p11_uri_def_count; i++) {
        if (!p11_uri_defs[i].query) {
            GUARD(put_attr(u, &p11_uri_defs[i], out, &first));
        }
    }
    GUARD(put_vendors(u, false, out, &first));
    first = true;
    for (size_t i = 0; i < p11_uri_def_count; i++) {
        if (p11_uri_defs[i].query) {
            GUARD(put_attr(u, &p11_uri_defs[i], out, &first));
        }
    }
    return put_vendors(u, true, out, &first);
}

MK_RESULT p11_uri_format(const p11_uri *u, mk_buf *out)
{
    size_t start = out->len;
    if (mk_failed(format_all(u, out))) {
        out->len = start;
        return MK_ERR;
    }
    /* Never produce text that p11_uri_parse would refuse. */
    if (out->len - start > P11_URI_TEXT_MAX) {
        out->len = start;
        BAIL_MSG(MK_E_TOOBIG, "pkcs11 URI: formatted URI would be longer than %d bytes",
                 P11_URI_TEXT_MAX);
    }
    if (mk_failed(mk_buf_terminate(out))) {
        out->len = start;
        return MK_ERR;
    }
    return MK_OK;
}
