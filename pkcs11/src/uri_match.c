/*
 * Matching a parsed pkcs11: URI against what Cryptoki reports (see p11/uri.h).
 *
 * Cryptoki's descriptive fields (CK_INFO, CK_SLOT_INFO, CK_TOKEN_INFO) are
 * fixed-width and padded with blanks (PKCS#11 v2.40 §3.1, §3.2). Callers hand
 * them in as NUL-terminated copies that may keep the padding, so both sides
 * are compared after trimming trailing spaces. An attribute absent from the
 * URI matches anything (RFC 7512 §2.3: a URI names a set). Only the public
 * accessors of uri.c are used here.
 */
#include "p11/uri.h"

#include <string.h>

/* Length of s without its trailing blanks. */
static size_t trimmed_len(const char *s)
{
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == ' ') {
        n--;
    }
    return n;
}

/* Does the URI's value for attr (if any) equal the padded field `have`? */
static bool field_matches(const p11_uri *u, p11_uri_attr attr, const char *have)
{
    const char *want = p11_uri_get(u, attr);
    if (want == NULL) {
        return true;
    }
    if (have == NULL) {
        have = "";
    }
    size_t wn = trimmed_len(want);
    size_t hn = trimmed_len(have);
    return wn == hn && memcmp(want, have, wn) == 0;
}

bool p11_uri_match_token(const p11_uri *u, const char *label, const char *manufacturer,
                         const char *serial, const char *model)
{
    return field_matches(u, P11_URI_TOKEN, label) &&
           field_matches(u, P11_URI_MANUFACTURER, manufacturer) &&
           field_matches(u, P11_URI_SERIAL, serial) && field_matches(u, P11_URI_MODEL, model);
}

bool p11_uri_match_library(const p11_uri *u, const char *manufacturer, const char *description,
                           int ver_major, int ver_minor)
{
    int major = 0;
    int minor = 0;
    if (p11_uri_library_version(u, &major, &minor) && (major != ver_major || minor != ver_minor)) {
        return false;
    }
    return field_matches(u, P11_URI_LIBRARY_MANUFACTURER, manufacturer) &&
           field_matches(u, P11_URI_LIBRARY_DESCRIPTION, description);
}

bool p11_uri_match_slot(const p11_uri *u, const char *manufacturer, const char *description,
                        unsigned long slot_id)
{
    unsigned long want = 0;
    if (p11_uri_slot_id(u, &want) && want != slot_id) {
        return false;
    }
    return field_matches(u, P11_URI_SLOT_MANUFACTURER, manufacturer) &&
           field_matches(u, P11_URI_SLOT_DESCRIPTION, description);
}
