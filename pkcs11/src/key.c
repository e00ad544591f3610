/*
 * Key objects: identity, size and public components read once from the
 * token, plus the cached private-key handle (see p11/key.h). Finding keys by
 * URI lives here too; signing and decryption are in sign.c.
 */
#include "p11/key.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ec.h>
#include <openssl/objects.h>

#include "internal.h"
#include "mk/cursor.h"

#define FIND_LIST_MAX 16

/* ---- EC helpers ---- */

MK_RESULT p11_ec_params_bits(const uint8_t *params, size_t len, unsigned *bits)
{
    const unsigned char *p = params;
    ASN1_OBJECT *obj = d2i_ASN1_OBJECT(NULL, &p, (long)len);
    ENSURE_MSG(obj != NULL && p == params + len, MK_E_INVALID,
               "CKA_EC_PARAMS is not a named-curve OID");
    int nid = OBJ_obj2nid(obj);
    ASN1_OBJECT_free(obj);
    EC_GROUP *g = nid != NID_undef ? EC_GROUP_new_by_curve_name(nid) : NULL;
    ENSURE_MSG(g != NULL, MK_E_INVALID, "CKA_EC_PARAMS names an unknown curve");
    int degree = EC_GROUP_get_degree(g);
    EC_GROUP_free(g);
    ENSURE_MSG(degree > 0, MK_E_INVALID, "CKA_EC_PARAMS: curve without a degree");
    *bits = (unsigned)degree;
    return MK_OK;
}

/* DER length (short or long form up to 2 bytes) from the cursor. */
static MK_RESULT der_len(mk_cursor *c, size_t *len)
{
    uint8_t b = 0;
    GUARD(mk_cursor_read_u8(c, &b));
    if (b < 0x80) {
        *len = b;
        return MK_OK;
    }
    ENSURE_MSG(b == 0x81 || b == 0x82, MK_E_INVALID, "DER length form 0x%02x not supported", b);
    size_t v = 0;
    for (uint8_t i = 0; i < (b & 0x7f); i++) {
        uint8_t x = 0;
        GUARD(mk_cursor_read_u8(c, &x));
        v = (v << 8) | x;
    }
    *len = v;
    return MK_OK;
}

MK_RESULT p11_ec_point_unwrap(const uint8_t *in, size_t len, size_t field_bytes, const uint8_t **pt,
                              size_t *pt_len)
{
    size_t want = 1 + 2 * field_bytes;
    mk_cursor c;
    mk_cursor_init(&c, in, len);
    uint8_t tag = 0;
    size_t inner = 0;
    if (mk_ok(mk_cursor_read_u8(&c, &tag)) && tag == 0x04 && mk_ok(der_len(&c, &inner)) &&
        inner == mk_cursor_remaining(&c) && inner == want && mk_cursor_ptr(&c)[0] == 0x04) {
        *pt = mk_cursor_ptr(&c);
        *pt_len = inner;
        return MK_OK;
    }
    /* Some tokens return the raw point (pre-v2.40 ambiguity). */
    ENSURE_MSG(len == want && in[0] == 0x04, MK_E_INVALID,
               "CKA_EC_POINT is neither a DER OCTET STRING nor a raw uncompressed point");
    *pt = in;
    *pt_len = len;
    return MK_OK;
}

/* ---- construction ---- */

static void key_free(p11_key *k)
{
    free(k->id);
    free(k->label);
    free(k->mod);
    free(k->exp);
    free(k->params);
    free(k->point);
    p11_token_unref(k->t);
    free(k);
}

/* Drop leading zero bytes of a big-endian integer held in a heap buffer. */
static void strip_zeros(uint8_t *v, size_t *len)
{
    size_t z = 0;
    while (z + 1 < *len && v[z] == 0) {
        z++;
    }
    if (z > 0) {
        memmove(v, v + z, *len - z);
        *len -= z;
    }
}

static unsigned bit_length(const uint8_t *v, size_t len)
{
    if (len == 0) {
        return 0;
    }
    unsigned bits = (unsigned)(len - 1) * 8;
    for (uint8_t top = v[0]; top != 0; top >>= 1) {
        bits++;
    }
    return bits;
}

static MK_RESULT load_rsa(p11_key *k, p11_session *s, CK_OBJECT_HANDLE h)
{
    GUARD(p11_attr_alloc(s, h, CKA_MODULUS, &k->mod, &k->mod_len));
    GUARD(p11_attr_alloc(s, h, CKA_PUBLIC_EXPONENT, &k->exp, &k->exp_len));
    strip_zeros(k->mod, &k->mod_len);
    strip_zeros(k->exp, &k->exp_len);
    k->bits = bit_length(k->mod, k->mod_len);
    ENSURE_MSG(k->bits >= 1024, MK_E_INVALID, "RSA key '%s' has an unusable modulus", k->label);
    return MK_OK;
}

/* The EC point from the public key object with our CKA_ID, else from the certificate. */
static MK_RESULT ec_point_raw(p11_key *k, p11_session *s, CK_OBJECT_HANDLE h, bool is_private,
                              uint8_t **raw, size_t *raw_len)
{
    CK_OBJECT_HANDLE pub = h;
    if (!is_private) {
        return p11_attr_alloc(s, pub, CKA_EC_POINT, raw, raw_len);
    }
    if (mk_ok(p11_find_one_by_id(s, CKO_PUBLIC_KEY, k->id, k->id_len, &pub))) {
        return p11_attr_alloc(s, pub, CKA_EC_POINT, raw, raw_len);
    }
    if (mk_error_code() != MK_E_NOT_FOUND) {
        return MK_ERR;
    }
    p11_cert *c = NULL;
    CK_OBJECT_HANDLE ch = 0;
    GUARD(p11_find_one_by_id(s, CKO_CERTIFICATE, k->id, k->id_len, &ch));
    GUARD(p11_cert_from_handle(s, ch, &c));
    mk_result r = p11_cert_ec_point(c, raw, raw_len);
    p11_cert_free(c);
    return r;
}

static MK_RESULT load_ec(p11_key *k, p11_session *s, CK_OBJECT_HANDLE h, bool is_private)
{
    GUARD(p11_attr_alloc(s, h, CKA_EC_PARAMS, &k->params, &k->params_len));
    GUARD(p11_ec_params_bits(k->params, k->params_len, &k->bits));
    uint8_t *raw = NULL;
    size_t raw_len = 0;
    GUARD(ec_point_raw(k, s, h, is_private, &raw, &raw_len));
    const uint8_t *pt = NULL;
    size_t pt_len = 0;
    mk_result r = p11_ec_point_unwrap(raw, raw_len, (k->bits + 7) / 8, &pt, &pt_len);
    if (mk_ok(r)) {
        k->point = malloc(pt_len);
        if (k->point == NULL) {
            r = MK_RAISE(MK_E_NOMEM, NULL);
        } else {
            memcpy(k->point, pt, pt_len);
            k->point_len = pt_len;
        }
    }
    free(raw);
    return r;
}

static MK_RESULT load_key(p11_key *k, p11_session *s, CK_OBJECT_HANDLE h, bool is_private)
{
    CK_ULONG kt = 0;
    GUARD(p11_attr_ulong(s, h, CKA_KEY_TYPE, &kt));
    GUARD(p11_attr_label(s, h, &k->label));
    GUARD(p11_attr_alloc(s, h, CKA_ID, &k->id, &k->id_len));
    /* Handles are re-found by CKA_ID after a reset: a key without one cannot be. */
    ENSURE_MSG(k->id_len > 0, MK_E_INVALID, "key '%s' has no CKA_ID", k->label);
    if (kt == CKK_RSA) {
        k->type = P11_KEY_RSA;
        return load_rsa(k, s, h);
    }
    ENSURE_MSG(kt == CKK_EC, MK_E_INVALID, "key '%s' has unsupported key type 0x%lx", k->label,
               (unsigned long)kt);
    k->type = P11_KEY_EC;
    return load_ec(k, s, h, is_private);
}

MK_RESULT p11_key_from_handle(p11_session *s, CK_OBJECT_HANDLE h, bool is_private, p11_key **out)
{
    p11_key *k = calloc(1, sizeof(*k));
    ENSURE(k != NULL, MK_E_NOMEM);
    atomic_store(&k->refs, 1);
    k->t = p11_token_ref(s->t);
    k->has_private = is_private;
    if (mk_failed(load_key(k, s, h, is_private))) {
        key_free(k);
        return MK_ERR;
    }
    if (is_private) {
        atomic_store(&k->handle, h);
        atomic_store(&k->handle_gen, s->gen);
    }
    *out = k;
    return MK_OK;
}

/* ---- finding ---- */

/* "'label' (id 0a1b...)" for each handle, for the ambiguity message. */
static void list_matches(p11_session *s, const CK_OBJECT_HANDLE *h, size_t n, char *dst,
                         size_t dst_len)
{
    size_t used = 0;
    dst[0] = '\0';
    for (size_t i = 0; i < n && used < dst_len; i++) {
        char *label = NULL;
        uint8_t *id = NULL;
        size_t id_len = 0;
        char hex[40] = "?";
        if (mk_ok(p11_attr_alloc(s, h[i], CKA_ID, &id, &id_len))) {
            p11_hex(hex, sizeof(hex), id, id_len);
        }
        bool have_label = mk_ok(p11_attr_label(s, h[i], &label));
        int w = snprintf(dst + used, dst_len - used, "%s'%s' (id %s)", i > 0 ? ", " : "",
                         have_label ? label : "?", hex);
        used += w > 0 ? (size_t)w : 0;
        free(label);
        free(id);
    }
}

MK_RESULT p11_find_unique(p11_session *s, CK_ATTRIBUTE *tmpl, CK_ULONG count, const char *what,
                          CK_OBJECT_HANDLE *out)
{
    CK_OBJECT_HANDLE found[FIND_LIST_MAX];
    size_t n = 0;
    GUARD(p11_find(s, tmpl, count, found, FIND_LIST_MAX, &n));
    if (n == 0) {
        GUARD(p11_check_present(s));
        BAIL_MSG(MK_E_NOT_FOUND, "no %s matches on token '%s'%s", what, s->t->info.label,
                 s->t->pin_mode == P11_PINMODE_NONE ? " (not logged in: no pin-source)" : "");
    }
    if (n > 1) {
        char list[300];
        list_matches(s, found, n, list, sizeof(list));
        BAIL_MSG(MK_E_AMBIGUOUS, "%s%zu objects match the %s selector: %s",
                 n == FIND_LIST_MAX ? "at least " : "", n, what, list);
    }
    *out = found[0];
    return MK_OK;
}

/* Template from a selector: class, then id and label when present. */
size_t p11_selector_template(const p11_uri *sel, CK_OBJECT_CLASS *cls, CK_ATTRIBUTE *tmpl)
{
    size_t n = 0;
    tmpl[n++] = (CK_ATTRIBUTE){CKA_CLASS, cls, sizeof(*cls)};
    size_t id_len = 0;
    const uint8_t *id = p11_uri_has_id(sel) ? p11_uri_id(sel, &id_len) : NULL;
    if (id != NULL) {
        tmpl[n++] = (CK_ATTRIBUTE){CKA_ID, (void *)id, (CK_ULONG)id_len};
    }
    const char *label = p11_uri_get(sel, P11_URI_OBJECT);
    if (label != NULL) {
        tmpl[n++] = (CK_ATTRIBUTE){CKA_LABEL, (void *)label, (CK_ULONG)strlen(label)};
    }
    return n;
}

MK_RESULT p11_key_find(p11_token *t, const p11_uri *selector, p11_key **out)
{
    p11_uri_type type = p11_uri_get_type(selector);
    ENSURE_MSG(type == P11_URI_TYPE_ANY || type == P11_URI_TYPE_PRIVATE ||
                   type == P11_URI_TYPE_PUBLIC,
               MK_E_INVALID, "the selector's type does not name a private or public key");
    bool is_private = type != P11_URI_TYPE_PUBLIC;
    CK_OBJECT_CLASS cls = is_private ? CKO_PRIVATE_KEY : CKO_PUBLIC_KEY;
    CK_ATTRIBUTE tmpl[3];
    size_t n = p11_selector_template(selector, &cls, tmpl);
    p11_session s;
    GUARD(p11_session_get(t, &s));
    CK_OBJECT_HANDLE h = 0;
    mk_result r = p11_find_unique(&s, tmpl, (CK_ULONG)n, p11_class_name(cls), &h);
    if (mk_ok(r)) {
        r = p11_key_from_handle(&s, h, is_private, out);
    }
    p11_session_put(&s, CKR_OK); /* searches are finished even on failure */
    return r;
}

MK_RESULT p11_key_find_by_id(p11_token *t, const uint8_t *id, size_t id_len, p11_key **out)
{
    ENSURE_MSG(id != NULL && id_len > 0, MK_E_INVALID, "empty key id");
    p11_session s;
    GUARD(p11_session_get(t, &s));
    CK_OBJECT_HANDLE h = 0;
    mk_result r = p11_find_one_by_id(&s, CKO_PRIVATE_KEY, id, id_len, &h);
    if (mk_ok(r)) {
        r = p11_key_from_handle(&s, h, true, out);
    }
    p11_session_put(&s, CKR_OK);
    return r;
}

/* ---- references and accessors ---- */

p11_key *p11_key_ref(p11_key *k)
{
    atomic_fetch_add(&k->refs, 1);
    return k;
}

void p11_key_unref(p11_key *k)
{
    if (k != NULL && atomic_fetch_sub(&k->refs, 1) == 1) {
        key_free(k);
    }
}

p11_key_type p11_key_get_type(const p11_key *k) { return k->type; }
bool p11_key_has_private(const p11_key *k) { return k->has_private; }
unsigned p11_key_bits(const p11_key *k) { return k->bits; }
p11_token *p11_key_token(const p11_key *k) { return k->t; }
const char *p11_key_label(const p11_key *k) { return k->label; }

size_t p11_key_max_signature_len(const p11_key *k)
{
    return k->type == P11_KEY_RSA ? k->mod_len : 2 * (((size_t)k->bits + 7) / 8);
}

const uint8_t *p11_key_id(const p11_key *k, size_t *len)
{
    *len = k->id_len;
    return k->id;
}

static const uint8_t *view(const uint8_t *p, size_t n, bool ok, size_t *len)
{
    *len = ok ? n : 0;
    return ok ? p : NULL;
}

const uint8_t *p11_key_rsa_modulus(const p11_key *k, size_t *len)
{
    return view(k->mod, k->mod_len, k->type == P11_KEY_RSA, len);
}
const uint8_t *p11_key_rsa_exponent(const p11_key *k, size_t *len)
{
    return view(k->exp, k->exp_len, k->type == P11_KEY_RSA, len);
}
const uint8_t *p11_key_ec_params(const p11_key *k, size_t *len)
{
    return view(k->params, k->params_len, k->type == P11_KEY_EC, len);
}
const uint8_t *p11_key_ec_point(const p11_key *k, size_t *len)
{
    return view(k->point, k->point_len, k->type == P11_KEY_EC, len);
}

MK_RESULT p11_key_uri(const p11_key *k, mk_buf *out)
{
    mk_result res = MK_ERR;
    p11_uri *u = NULL;
    GUARD(p11_uri_new(&u));
    const p11_token_info *ti = p11_token_get_info(k->t);
    GUARD_OUT(p11_uri_set(u, P11_URI_TOKEN, ti->label));
    GUARD_OUT(p11_uri_set(u, P11_URI_SERIAL, ti->serial));
    GUARD_OUT(p11_uri_set_id(u, k->id, k->id_len));
    if (k->label[0] != '\0') {
        GUARD_OUT(p11_uri_set(u, P11_URI_OBJECT, k->label));
    }
    p11_uri_set_type(u, k->has_private ? P11_URI_TYPE_PRIVATE : P11_URI_TYPE_PUBLIC);
    GUARD_OUT(p11_uri_format(u, out));
    res = MK_OK;
out:
    p11_uri_free(u);
    return res;
}
