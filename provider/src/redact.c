/*
 * URIs fit for error messages and logs: a pkcs11: URI may carry the PIN in a
 * pin-value attribute (RFC 7512 §2.3); every text the provider prints goes
 * through mkprov_uri_redact, which drops that attribute wherever it appears.
 */
#include "internal.h"

#include <string.h>
#include <strings.h>

#define PIN_VALUE "pin-value"

/* True when the attribute text a[0..n) is "pin-value" or "pin-value=..." (any case). */
static bool is_pin_value(const char *a, size_t n)
{
    size_t k = strlen(PIN_VALUE);
    return n >= k && strncasecmp(a, PIN_VALUE, k) == 0 && (n == k || a[k] == '=');
}

typedef struct redact_out {
    char *buf;
    size_t cap;
    size_t len;
    bool cut;
} redact_out;

/* Append s[0..n), keeping room for "..." and the NUL. */
static void put(redact_out *o, const char *s, size_t n)
{
    for (size_t i = 0; i < n && !o->cut; i++) {
        if (o->len + 4 >= o->cap) {
            o->cut = true;
            return;
        }
        o->buf[o->len++] = s[i];
    }
}

static char last(const redact_out *o) { return o->len > 0 ? o->buf[o->len - 1] : '\0'; }

void mkprov_uri_redact(const char *uri, char *out, size_t out_len)
{
    if (out == NULL || out_len < 8) {
        return;
    }
    redact_out o = {out, out_len, 0, false};
    const char *s = uri != NULL ? uri : "";
    const char *colon = strchr(s, ':');
    if (colon != NULL && (size_t)(colon - s) < strcspn(s, ";?&")) {
        put(&o, s, (size_t)(colon - s) + 1); /* the scheme, "pkcs11:" */
        s = colon + 1;
    }
    char sep = '\0';
    for (;;) {
        size_t n = strcspn(s, ";?&");
        if (sep == '?') {
            put(&o, &sep, 1); /* the query marker stays even if its first attribute goes */
        }
        if (!is_pin_value(s, n)) {
            char l = last(&o);
            if (sep != '\0' && sep != '?' && l != '\0' && l != ':' && l != '?') {
                put(&o, &sep, 1);
            }
            put(&o, s, n);
        }
        s += n;
        if (*s == '\0' || o.cut) {
            break;
        }
        sep = *s++;
    }
    if (last(&o) == '?') {
        o.len--;
    }
    if (o.cut) {
        memcpy(o.buf + o.len, "...", 3);
        o.len += 3;
    }
    o.buf[o.len] = '\0';
}
