/*
 * RFC 7512 "pkcs11:" URIs: parse, format, and match against token/object info.
 *
 * A p11_uri holds the decoded path attributes (token, manufacturer, serial,
 * model, library-manufacturer, library-description, library-version, object,
 * type, id, slot-manufacturer, slot-description, slot-id) and query attributes
 * (pin-source, pin-value, module-name, module-path). Values are stored
 * percent-decoded; `id` is raw bytes. Unknown path attributes are rejected
 * (RFC 7512 §2.3 allows vendor "x-" attributes: those are kept and ignored).
 * A URI names a set: absent attributes match anything.
 *
 * pin-value is parsed (the RFC defines it) but the accessor returns it only as
 * a secret, and the formatter never writes it back.
 */
#ifndef P11_URI_H
#define P11_URI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mk/buf.h"
#include "mk/result.h"
#include "mk/secret.h"

typedef struct p11_uri p11_uri;

/* Attribute identifiers for the string-valued attributes. */
typedef enum p11_uri_attr {
    P11_URI_TOKEN = 0,
    P11_URI_MANUFACTURER,
    P11_URI_SERIAL,
    P11_URI_MODEL,
    P11_URI_LIBRARY_MANUFACTURER,
    P11_URI_LIBRARY_DESCRIPTION,
    P11_URI_LIBRARY_VERSION,
    P11_URI_OBJECT,
    P11_URI_SLOT_MANUFACTURER,
    P11_URI_SLOT_DESCRIPTION,
    P11_URI_PIN_SOURCE,
    P11_URI_MODULE_NAME,
    P11_URI_MODULE_PATH,
    P11_URI_ATTR_COUNT
} p11_uri_attr;

/* Object type (`type=` attribute). */
typedef enum p11_uri_type {
    P11_URI_TYPE_ANY = 0,
    P11_URI_TYPE_PRIVATE,
    P11_URI_TYPE_PUBLIC,
    P11_URI_TYPE_CERT,
    P11_URI_TYPE_SECRET_KEY,
    P11_URI_TYPE_DATA,
} p11_uri_type;

/* An empty URI (matches everything). */
MK_RESULT p11_uri_new(p11_uri **out);
/*
 * Parse text. On error the message names the bad part, e.g.
 * "pkcs11 URI: bad percent-encoding in attribute 'token'" or
 * "pkcs11 URI: unknown path attribute 'tokn'". Duplicate attributes are
 * refused. pin-value, if present, is kept in a wiped secret.
 */
MK_RESULT p11_uri_parse(const char *text, p11_uri **out);
void p11_uri_free(p11_uri *u);
MK_RESULT p11_uri_dup(const p11_uri *u, p11_uri **out);

/* NULL when absent. Returned strings are owned by the URI. */
const char *p11_uri_get(const p11_uri *u, p11_uri_attr attr);
/* Set or clear (value NULL) a string attribute. */
MK_RESULT p11_uri_set(p11_uri *u, p11_uri_attr attr, const char *value);

p11_uri_type p11_uri_get_type(const p11_uri *u);
void p11_uri_set_type(p11_uri *u, p11_uri_type type);

/* id: has_id false when absent. */
bool p11_uri_has_id(const p11_uri *u);
const uint8_t *p11_uri_id(const p11_uri *u, size_t *len);
MK_RESULT p11_uri_set_id(p11_uri *u, const uint8_t *id, size_t len);

/* slot-id: returns false when absent. */
bool p11_uri_slot_id(const p11_uri *u, unsigned long *out);
/* library-version parsed as major[.minor]; false when absent. */
bool p11_uri_library_version(const p11_uri *u, int *major, int *minor);

/* pin-value as a fresh secret (caller frees), or NULL when absent. */
MK_RESULT p11_uri_pin_value(const p11_uri *u, mk_secret **out);
bool p11_uri_has_pin_value(const p11_uri *u);

/*
 * Canonical text: "pkcs11:" + path attributes in a fixed order joined by ';'
 * + '?' + query attributes joined by '&'. Characters outside RFC 3986
 * unreserved (and the few RFC 7512 allows) are percent-encoded; id is always
 * fully percent-encoded. pin-value is never written. Appends to out and
 * NUL-terminates (len excludes the NUL).
 */
MK_RESULT p11_uri_format(const p11_uri *u, mk_buf *out);

/* Name of a string attribute as it appears in URIs ("token", "module-path"...). */
const char *p11_uri_attr_name(p11_uri_attr attr);

/*
 * Matching helpers. Token fields are fixed-width, space-padded Cryptoki
 * strings (CK_TOKEN_INFO): they are compared after trimming trailing spaces.
 */
bool p11_uri_match_token(const p11_uri *u, const char *label, const char *manufacturer,
                         const char *serial, const char *model);
bool p11_uri_match_library(const p11_uri *u, const char *manufacturer, const char *description,
                           int ver_major, int ver_minor);
bool p11_uri_match_slot(const p11_uri *u, const char *manufacturer, const char *description,
                        unsigned long slot_id);

#endif
