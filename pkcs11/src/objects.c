/*
 * Enumerate every key and certificate a selector names (see p11/objects.h).
 * One search per class on one session; each match becomes a p11_key (with
 * its public components) or a p11_cert.
 */
#include "p11/objects.h"

#include <stdlib.h>

#include "internal.h"

typedef struct p11_object_item {
    p11_object_kind kind;
    p11_key *key;
    p11_cert *cert;
} p11_object_item;

struct p11_object_list {
    p11_object_item *items;
    size_t count;
    size_t cap;
};

void p11_object_list_free(p11_object_list *l)
{
    if (l == NULL) {
        return;
    }
    for (size_t i = 0; i < l->count; i++) {
        p11_key_unref(l->items[i].key);
        p11_cert_free(l->items[i].cert);
    }
    free(l->items);
    free(l);
}

size_t p11_object_list_count(const p11_object_list *l) { return l->count; }
p11_object_kind p11_object_list_kind(const p11_object_list *l, size_t i)
{
    return l->items[i].kind;
}
p11_key *p11_object_list_key(const p11_object_list *l, size_t i)
{
    return i < l->count ? l->items[i].key : NULL;
}
const p11_cert *p11_object_list_cert(const p11_object_list *l, size_t i)
{
    return i < l->count ? l->items[i].cert : NULL;
}

static MK_RESULT push(p11_object_list *l, p11_object_item item)
{
    if (l->count == l->cap) {
        size_t cap = l->cap == 0 ? 8 : l->cap * 2;
        p11_object_item *n = realloc(l->items, cap * sizeof(*n));
        ENSURE(n != NULL, MK_E_NOMEM);
        l->items = n;
        l->cap = cap;
    }
    l->items[l->count++] = item;
    return MK_OK;
}

/* Turn one found object into an item; unsupported key types are skipped. */
static MK_RESULT add_one(p11_object_list *l, p11_session *s, p11_object_kind kind,
                         CK_OBJECT_HANDLE h)
{
    p11_object_item item = {kind, NULL, NULL};
    if (kind == P11_OBJ_CERT) {
        GUARD(p11_cert_from_handle(s, h, &item.cert));
    } else if (mk_failed(p11_key_from_handle(s, h, kind == P11_OBJ_PRIVATE_KEY, &item.key))) {
        /* Unsupported type, or an EC key with no public key or certificate beside it. */
        mk_err e = mk_error_code();
        return e == MK_E_INVALID || e == MK_E_NOT_FOUND ? MK_OK : MK_ERR;
    }
    if (mk_failed(push(l, item))) {
        p11_key_unref(item.key);
        p11_cert_free(item.cert);
        return MK_ERR;
    }
    return MK_OK;
}

static MK_RESULT add_class(p11_object_list *l, p11_session *s, const p11_uri *sel,
                           CK_OBJECT_CLASS cls, p11_object_kind kind)
{
    CK_ATTRIBUTE tmpl[3];
    size_t nt = p11_selector_template(sel, &cls, tmpl);
    CK_OBJECT_HANDLE *h = calloc(P11_FIND_MAX, sizeof(*h));
    ENSURE(h != NULL, MK_E_NOMEM);
    size_t n = 0;
    mk_result r = p11_find(s, tmpl, (CK_ULONG)nt, h, P11_FIND_MAX, &n);
    for (size_t i = 0; i < n && mk_ok(r); i++) {
        r = add_one(l, s, kind, h[i]);
    }
    free(h);
    return r;
}

MK_RESULT p11_objects_find_all(p11_token *t, const p11_uri *selector, p11_object_list **out)
{
    p11_uri_type type = p11_uri_get_type(selector);
    ENSURE_MSG(type != P11_URI_TYPE_SECRET_KEY && type != P11_URI_TYPE_DATA, MK_E_INVALID,
               "secret keys and data objects are not listed");
    p11_object_list *l = calloc(1, sizeof(*l));
    ENSURE(l != NULL, MK_E_NOMEM);
    p11_session s;
    if (mk_failed(p11_session_get(t, &s))) {
        free(l);
        return MK_ERR;
    }
    mk_result r = MK_OK;
    if (type == P11_URI_TYPE_ANY || type == P11_URI_TYPE_PRIVATE) {
        r = add_class(l, &s, selector, CKO_PRIVATE_KEY, P11_OBJ_PRIVATE_KEY);
    }
    if (mk_ok(r) && (type == P11_URI_TYPE_ANY || type == P11_URI_TYPE_PUBLIC)) {
        r = add_class(l, &s, selector, CKO_PUBLIC_KEY, P11_OBJ_PUBLIC_KEY);
    }
    if (mk_ok(r) && (type == P11_URI_TYPE_ANY || type == P11_URI_TYPE_CERT)) {
        r = add_class(l, &s, selector, CKO_CERTIFICATE, P11_OBJ_CERT);
    }
    if (mk_ok(r) && l->count == 0) {
        r = p11_check_present(&s); /* an empty list from a vanished token is a loss */
    }
    p11_session_put(&s, CKR_OK);
    if (mk_failed(r)) {
        p11_object_list_free(l);
        return MK_ERR;
    }
    *out = l;
    return MK_OK;
}

MK_RESULT p11_token_destroy_id(p11_token *t, const uint8_t *id, size_t id_len, size_t *destroyed)
{
    ENSURE_MSG(id != NULL && id_len > 0, MK_E_INVALID, "empty object id");
    if (destroyed != NULL) {
        *destroyed = 0;
    }
    CK_ATTRIBUTE tmpl[] = {{CKA_ID, (void *)id, (CK_ULONG)id_len}};
    CK_OBJECT_HANDLE h[16];
    p11_session s;
    GUARD(p11_session_get(t, &s));
    size_t n = 0;
    mk_result r = p11_find(&s, tmpl, 1, h, sizeof(h) / sizeof(h[0]), &n);
    for (size_t i = 0; i < n && mk_ok(r); i++) {
        CK_RV rv = s.f->C_DestroyObject(s.h, h[i]);
        if (rv != CKR_OK) {
            r = p11_session_fail(&s, "C_DestroyObject", rv);
        } else if (destroyed != NULL) {
            (*destroyed)++;
        }
    }
    p11_session_put(&s, CKR_OK);
    return r;
}
