/*
 * The master-key protector: generate, find, and the cached key handle (see
 * p11/protector.h). Sealing and unsealing are in seal.c.
 */
#include "p11/protector.h"

#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "mk/log.h"
#include "p11/keygen.h"

static void protector_free_fields(p11_protector *p)
{
    free(p->label);
    p11_token_unref(p->t);
}

void p11_protector_free(p11_protector *p)
{
    if (p != NULL) {
        protector_free_fields(p);
        free(p);
    }
}

const uint8_t *p11_protector_id(const p11_protector *p, size_t *len)
{
    *len = p->id_len;
    return p->id;
}

const char *p11_protector_label(const p11_protector *p) { return p->label; }

static MK_RESULT from_handle(p11_session *s, CK_OBJECT_HANDLE h, p11_protector **out)
{
    mk_result res = MK_ERR;
    uint8_t *id = NULL;
    size_t id_len = 0;
    p11_protector *p = calloc(1, sizeof(*p));
    ENSURE(p != NULL, MK_E_NOMEM);
    p->t = p11_token_ref(s->t);
    GUARD_OUT(p11_attr_label(s, h, &p->label));
    GUARD_OUT(p11_attr_alloc(s, h, CKA_ID, &id, &id_len));
    ENSURE_OUT(id_len >= 1 && id_len <= sizeof(p->id), MK_E_INVALID,
               "protector '%s' has a CKA_ID of %zu bytes", p->label, id_len);
    memcpy(p->id, id, id_len);
    p->id_len = id_len;
    atomic_store(&p->handle, h);
    atomic_store(&p->handle_gen, s->gen);
    *out = p;
    p = NULL;
    res = MK_OK;
out:
    free(id);
    p11_protector_free(p);
    return res;
}

MK_RESULT p11_protector_handle(p11_protector *p, p11_session *s, CK_OBJECT_HANDLE *out)
{
    uint64_t g1 = atomic_load(&p->handle_gen);
    CK_OBJECT_HANDLE h = atomic_load(&p->handle);
    uint64_t g2 = atomic_load(&p->handle_gen);
    if (g1 == g2 && g1 == s->gen) {
        *out = h;
        return MK_OK;
    }
    GUARD(p11_find_one_by_id(s, CKO_SECRET_KEY, p->id, p->id_len, &h));
    atomic_store(&p->handle_gen, 0);
    atomic_store(&p->handle, h);
    atomic_store(&p->handle_gen, s->gen);
    *out = h;
    return MK_OK;
}

void p11_protector_forget_handle(p11_protector *p) { atomic_store(&p->handle_gen, 0); }

static MK_RESULT find(p11_token *t, CK_ATTRIBUTE *extra, const char *what, p11_protector **out)
{
    CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
    CK_KEY_TYPE kt = CKK_AES;
    CK_ATTRIBUTE tmpl[] = {{CKA_CLASS, &cls, sizeof(cls)}, {CKA_KEY_TYPE, &kt, sizeof(kt)}, *extra};
    p11_session s;
    GUARD(p11_session_get(t, &s));
    CK_OBJECT_HANDLE h = 0;
    mk_result r = p11_find_unique(&s, tmpl, 3, what, &h);
    if (mk_ok(r)) {
        r = from_handle(&s, h, out);
    }
    p11_session_put(&s, CKR_OK);
    return r;
}

MK_RESULT p11_protector_find_label(p11_token *t, const char *label, p11_protector **out)
{
    ENSURE_MSG(label != NULL && label[0] != '\0', MK_E_INVALID, "empty protector label");
    CK_ATTRIBUTE a = {CKA_LABEL, (void *)label, (CK_ULONG)strlen(label)};
    return find(t, &a, "protector (AES key) label", out);
}

MK_RESULT p11_protector_find_id(p11_token *t, const uint8_t *id, size_t id_len, p11_protector **out)
{
    ENSURE_MSG(id != NULL && id_len > 0, MK_E_INVALID, "empty protector id");
    CK_ATTRIBUTE a = {CKA_ID, (void *)id, (CK_ULONG)id_len};
    return find(t, &a, "protector (AES key) id", out);
}

static MK_RESULT generate_key(p11_session *s, const char *label, const uint8_t *id,
                              CK_OBJECT_HANDLE *h)
{
    CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
    CK_KEY_TYPE kt = CKK_AES;
    CK_ULONG value_len = 32;
    CK_ATTRIBUTE tmpl[] = {
        {CKA_CLASS, &cls, sizeof(cls)},
        {CKA_KEY_TYPE, &kt, sizeof(kt)},
        {CKA_VALUE_LEN, &value_len, sizeof(value_len)},
        {CKA_TOKEN, &yes, 1},
        {CKA_PRIVATE, &yes, 1},
        {CKA_SENSITIVE, &yes, 1},
        {CKA_EXTRACTABLE, &no, 1},
        {CKA_ENCRYPT, &yes, 1},
        {CKA_DECRYPT, &yes, 1},
        {CKA_SIGN, &no, 1},
        {CKA_VERIFY, &no, 1},
        {CKA_WRAP, &no, 1},
        {CKA_UNWRAP, &no, 1},
        {CKA_DERIVE, &no, 1},
        {CKA_ID, (void *)id, P11_ID_LEN},
        {CKA_LABEL, (void *)label, (CK_ULONG)strlen(label)},
    };
    CK_MECHANISM mech = {CKM_AES_KEY_GEN, NULL, 0};
    CK_RV rv = s->f->C_GenerateKey(s->h, &mech, tmpl, sizeof(tmpl) / sizeof(tmpl[0]), h);
    if (rv != CKR_OK) {
        return p11_session_fail(s, "C_GenerateKey", rv);
    }
    return MK_OK;
}

static MK_RESULT generate_locked(p11_session *s, const char *label, p11_protector **out,
                                 p11_policy_report *report)
{
    bool exists = false;
    GUARD(p11_label_exists(s, label, &exists));
    ENSURE_MSG(!exists, MK_E_EXISTS, "an object labelled '%s' already exists on token '%s'", label,
               s->t->info.label);
    uint8_t id[P11_ID_LEN];
    GUARD(p11_random_s(s, id, sizeof(id)));
    CK_OBJECT_HANDLE h = 0;
    GUARD(generate_key(s, label, id, &h));
    p11_policy_report local;
    p11_policy_report *r = report != NULL ? report : &local;
    mk_result res = p11_policy_run(s, h, CKK_AES, label, r);
    if (mk_ok(res) && !r->pass) {
        res =
            MK_RAISE(MK_E_POLICY,
                     "protector '%s' does not meet the attribute policy; it was destroyed", label);
    }
    if (mk_ok(res)) {
        res = from_handle(s, h, out);
    }
    if (mk_failed(res)) {
        CK_RV rv = s->f->C_DestroyObject(s->h, h);
        if (rv != CKR_OK) {
            MK_LOG_ERR("pkcs11: could not destroy rejected protector '%s': %s", label,
                       p11_rv_name(rv));
        }
    }
    return res;
}

MK_RESULT p11_protector_generate(p11_token *t, const char *label, p11_protector **out,
                                 p11_policy_report *report)
{
    GUARD(p11_check_label(label));
    p11_session s;
    GUARD(p11_session_get(t, &s));
    pthread_mutex_lock(&t->create_mu);
    mk_result r = generate_locked(&s, label, out, report);
    pthread_mutex_unlock(&t->create_mu);
    p11_session_put(&s, CKR_OK);
    return r;
}

MK_RESULT p11_protector_policy_check(p11_protector *p, p11_policy_report *report)
{
    p11_session s;
    GUARD(p11_session_get(p->t, &s));
    CK_OBJECT_HANDLE h = 0;
    mk_result r = p11_protector_handle(p, &s, &h);
    if (mk_ok(r)) {
        r = p11_policy_run(&s, h, CKK_AES, p->label, report);
    }
    p11_session_put(&s, CKR_OK);
    return r;
}
