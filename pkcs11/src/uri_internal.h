/*
 * Private model of a pkcs11: URI shared by uri.c (accessors, formatter) and
 * uri_parse.c (parser). Not installed; nothing outside those files uses it.
 */
#ifndef P11_URI_INTERNAL_H
#define P11_URI_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mk/result.h"
#include "mk/secret.h"
#include "p11/uri.h"

#define P11_URI_TEXT_MAX 8192  /* whole URI, parsed or formatted */
#define P11_URI_VALUE_MAX 4096 /* one decoded string value */
#define P11_URI_ID_MAX 256     /* decoded id bytes */
#define P11_URI_VENDOR_MAX 16  /* x- attributes kept per URI */

typedef enum p11_uri_kind {
    P11_URI_KIND_STRING,
    P11_URI_KIND_TYPE,
    P11_URI_KIND_ID,
    P11_URI_KIND_SLOT_ID,
    P11_URI_KIND_PIN_VALUE,
} p11_uri_kind;

typedef struct p11_uri_def {
    const char *name;
    p11_uri_kind kind;
    p11_uri_attr attr; /* P11_URI_KIND_STRING only */
    bool query;        /* belongs to the query component */
} p11_uri_def;

/* Every RFC 7512 §2.3 attribute, in the formatter's canonical order. */
extern const p11_uri_def p11_uri_defs[];
extern const size_t p11_uri_def_count;

/* Type names indexed by p11_uri_type (index 0, ANY, is NULL). */
extern const char *const p11_uri_type_names[];
extern const size_t p11_uri_type_count;

typedef struct p11_uri_vendor {
    char *name;  /* "x-..." */
    char *value; /* decoded */
    bool query;
} p11_uri_vendor;

struct p11_uri {
    char *str[P11_URI_ATTR_COUNT];
    p11_uri_type type;
    bool has_id;
    uint8_t *id; /* never NULL when has_id, even for an empty id */
    size_t id_len;
    bool has_slot_id;
    unsigned long slot_id;
    mk_secret *pin_value;
    p11_uri_vendor vendor[P11_URI_VENDOR_MAX];
    size_t n_vendor;
};

/* May byte c appear unencoded in a path (query false) or a query value? */
bool p11_uri_char_allowed(uint8_t c, bool query);

/*
 * library-version = 1*DIGIT [ "." 1*DIGIT ] with each part 0..255 (it must fit
 * a CK_VERSION byte); a missing minor is 0. major/minor may be NULL.
 */
bool p11_uri_version_parse(const char *s, int *major, int *minor);

/* Is the attribute described by d set in u? */
bool p11_uri_def_present(const p11_uri *u, const p11_uri_def *d);

/* Append a vendor attribute (copies both strings). MK_E_TOOBIG past the cap. */
MK_RESULT p11_uri_vendor_add(p11_uri *u, const char *name, const char *value, bool query);

#endif
