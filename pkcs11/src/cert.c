/*
 * Certificate objects (see p11/cert.h). CKA_SUBJECT, CKA_ISSUER and
 * CKA_SERIAL_NUMBER are DER taken from the certificate itself (PKCS#11 v2.40
 * §4.6.3) so that other tools (libp11, p11tool) can match them.
 */
#include "p11/cert.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "internal.h"

struct p11_cert {
    uint8_t *der;
    size_t der_len;
    uint8_t *id;
    size_t id_len;
    char *label;
};

void p11_cert_free(p11_cert *c)
{
    if (c == NULL) {
        return;
    }
    free(c->der);
    free(c->id);
    free(c->label);
    free(c);
}

const uint8_t *p11_cert_der(const p11_cert *c, size_t *len)
{
    *len = c->der_len;
    return c->der;
}

const uint8_t *p11_cert_id(const p11_cert *c, size_t *len)
{
    *len = c->id_len;
    return c->id;
}

const char *p11_cert_label(const p11_cert *c) { return c->label; }

static MK_RESULT dup_bytes(const uint8_t *p, size_t n, uint8_t **out)
{
    *out = malloc(n > 0 ? n : 1);
    ENSURE(*out != NULL, MK_E_NOMEM);
    if (n > 0) {
        memcpy(*out, p, n);
    }
    return MK_OK;
}

static MK_RESULT cert_make(const uint8_t *der, size_t der_len, const uint8_t *id, size_t id_len,
                           const char *label, p11_cert **out)
{
    p11_cert *c = calloc(1, sizeof(*c));
    ENSURE(c != NULL, MK_E_NOMEM);
    c->der_len = der_len;
    c->id_len = id_len;
    c->label = strdup(label);
    if (c->label == NULL || mk_failed(dup_bytes(der, der_len, &c->der)) ||
        mk_failed(dup_bytes(id, id_len, &c->id))) {
        p11_cert_free(c);
        BAIL(MK_E_NOMEM);
    }
    *out = c;
    return MK_OK;
}

MK_RESULT p11_cert_from_handle(p11_session *s, CK_OBJECT_HANDLE h, p11_cert **out)
{
    mk_result res = MK_ERR;
    p11_cert *c = calloc(1, sizeof(*c));
    ENSURE(c != NULL, MK_E_NOMEM);
    GUARD_OUT(p11_attr_alloc(s, h, CKA_VALUE, &c->der, &c->der_len));
    ENSURE_OUT(c->der_len > 0 && c->der_len <= P11_CERT_MAX, MK_E_TOOBIG,
               "certificate value of %zu bytes", c->der_len);
    GUARD_OUT(p11_attr_alloc(s, h, CKA_ID, &c->id, &c->id_len));
    GUARD_OUT(p11_attr_label(s, h, &c->label));
    *out = c;
    c = NULL;
    res = MK_OK;
out:
    p11_cert_free(c);
    return res;
}

MK_RESULT p11_cert_ec_point(const p11_cert *c, uint8_t **out, size_t *len)
{
    const unsigned char *p = c->der;
    X509 *x = d2i_X509(NULL, &p, (long)c->der_len);
    ENSURE_MSG(x != NULL, MK_E_INVALID, "certificate '%s' does not parse", c->label);
    ASN1_BIT_STRING *bits = X509_get0_pubkey_bitstr(x);
    mk_result r;
    if (bits == NULL || bits->length <= 0) {
        r = MK_RAISE(MK_E_INVALID, "certificate '%s' has no public key", c->label);
    } else {
        *len = (size_t)bits->length;
        r = dup_bytes(bits->data, *len, out);
    }
    X509_free(x);
    return r;
}

/* DER of the certificate's subject, issuer and serial number. */
typedef struct cert_names {
    unsigned char *subject, *issuer, *serial;
    int subject_len, issuer_len, serial_len;
} cert_names;

static void names_free(cert_names *n)
{
    OPENSSL_free(n->subject);
    OPENSSL_free(n->issuer);
    OPENSSL_free(n->serial);
}

static MK_RESULT names_from_der(const uint8_t *der, size_t der_len, cert_names *n)
{
    memset(n, 0, sizeof(*n));
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)der_len);
    ENSURE_MSG(x != NULL, MK_E_INVALID, "not a DER X.509 certificate");
    mk_result r = MK_OK;
    if (p != der + der_len) {
        r = MK_RAISE(MK_E_INVALID, "trailing bytes after the certificate");
    } else {
        n->subject_len = i2d_X509_NAME(X509_get_subject_name(x), &n->subject);
        n->issuer_len = i2d_X509_NAME(X509_get_issuer_name(x), &n->issuer);
        n->serial_len = i2d_ASN1_INTEGER(X509_get0_serialNumber(x), &n->serial);
        if (n->subject_len <= 0 || n->issuer_len <= 0 || n->serial_len <= 0) {
            r = MK_RAISE(MK_E_INVALID, "certificate names or serial do not encode");
        }
    }
    X509_free(x);
    if (mk_failed(r)) {
        names_free(n);
    }
    return r;
}

static MK_RESULT refuse_existing(p11_session *s, const uint8_t *id, size_t id_len,
                                 const char *label)
{
    CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
    CK_ATTRIBUTE by_id[] = {{CKA_CLASS, &cls, sizeof(cls)}, {CKA_ID, (void *)id, (CK_ULONG)id_len}};
    CK_ATTRIBUTE by_label[] = {{CKA_CLASS, &cls, sizeof(cls)},
                               {CKA_LABEL, (void *)label, (CK_ULONG)strlen(label)}};
    CK_OBJECT_HANDLE h;
    size_t n = 0;
    GUARD(p11_find(s, by_id, 2, &h, 1, &n));
    char hex[80];
    p11_hex(hex, sizeof(hex), id, id_len);
    ENSURE_MSG(n == 0, MK_E_EXISTS, "a certificate with id %s is already on token '%s'", hex,
               s->t->info.label);
    GUARD(p11_find(s, by_label, 2, &h, 1, &n));
    ENSURE_MSG(n == 0, MK_E_EXISTS, "a certificate labelled '%s' is already on token '%s'", label,
               s->t->info.label);
    return MK_OK;
}

static MK_RESULT create_cert(p11_session *s, const uint8_t *der, size_t der_len, const uint8_t *id,
                             size_t id_len, const char *label, const cert_names *n)
{
    CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
    CK_CERTIFICATE_TYPE ct = CKC_X_509;
    CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    CK_ATTRIBUTE tmpl[] = {
        {CKA_CLASS, &cls, sizeof(cls)},
        {CKA_CERTIFICATE_TYPE, &ct, sizeof(ct)},
        {CKA_TOKEN, &yes, sizeof(yes)},
        {CKA_PRIVATE, &no, sizeof(no)},
        {CKA_LABEL, (void *)label, (CK_ULONG)strlen(label)},
        {CKA_ID, (void *)id, (CK_ULONG)id_len},
        {CKA_SUBJECT, n->subject, (CK_ULONG)n->subject_len},
        {CKA_ISSUER, n->issuer, (CK_ULONG)n->issuer_len},
        {CKA_SERIAL_NUMBER, n->serial, (CK_ULONG)n->serial_len},
        {CKA_VALUE, (void *)der, (CK_ULONG)der_len},
    };
    CK_OBJECT_HANDLE h = 0;
    CK_RV rv = s->f->C_CreateObject(s->h, tmpl, sizeof(tmpl) / sizeof(tmpl[0]), &h);
    if (rv != CKR_OK) {
        return p11_session_fail(s, "C_CreateObject", rv);
    }
    return MK_OK;
}

MK_RESULT p11_cert_store(p11_token *t, const uint8_t *der, size_t der_len, const uint8_t *id,
                         size_t id_len, const char *label, p11_cert **out)
{
    ENSURE_MSG(der != NULL && der_len > 0 && der_len <= P11_CERT_MAX, MK_E_INVALID,
               "certificate must be 1..%zu bytes of DER", P11_CERT_MAX);
    ENSURE_MSG(id != NULL && id_len > 0, MK_E_INVALID, "certificate needs a CKA_ID");
    GUARD(p11_check_label(label));
    cert_names n;
    GUARD(names_from_der(der, der_len, &n));
    p11_session s;
    if (mk_failed(p11_session_get(t, &s))) {
        names_free(&n);
        return MK_ERR;
    }
    pthread_mutex_lock(&t->create_mu);
    mk_result r = refuse_existing(&s, id, id_len, label);
    if (mk_ok(r)) {
        r = create_cert(&s, der, der_len, id, id_len, label, &n);
    }
    pthread_mutex_unlock(&t->create_mu);
    p11_session_put(&s, CKR_OK);
    names_free(&n);
    GUARD(r);
    return out != NULL ? cert_make(der, der_len, id, id_len, label, out) : MK_OK;
}

MK_RESULT p11_cert_find(p11_token *t, const p11_uri *selector, p11_cert **out)
{
    p11_uri_type type = p11_uri_get_type(selector);
    ENSURE_MSG(type == P11_URI_TYPE_ANY || type == P11_URI_TYPE_CERT, MK_E_INVALID,
               "the selector's type does not name a certificate");
    CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
    CK_ATTRIBUTE tmpl[3];
    size_t n = p11_selector_template(selector, &cls, tmpl);
    p11_session s;
    GUARD(p11_session_get(t, &s));
    CK_OBJECT_HANDLE h = 0;
    mk_result r = p11_find_unique(&s, tmpl, (CK_ULONG)n, "certificate", &h);
    if (mk_ok(r)) {
        r = p11_cert_from_handle(&s, h, out);
    }
    p11_session_put(&s, CKR_OK);
    return r;
}

MK_RESULT p11_cert_find_by_id(p11_token *t, const uint8_t *id, size_t id_len, p11_cert **out)
{
    ENSURE_MSG(id != NULL && id_len > 0, MK_E_INVALID, "empty certificate id");
    p11_session s;
    GUARD(p11_session_get(t, &s));
    CK_OBJECT_HANDLE h = 0;
    mk_result r = p11_find_one_by_id(&s, CKO_CERTIFICATE, id, id_len, &h);
    if (mk_ok(r)) {
        r = p11_cert_from_handle(&s, h, out);
    }
    p11_session_put(&s, CKR_OK);
    return r;
}
