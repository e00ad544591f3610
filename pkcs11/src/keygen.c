/*
 * Key-pair generation with mirrorkey's template (see p11/keygen.h), followed
 * by the attribute policy report; a pair that fails the report is destroyed.
 *
 * "Label is free" and the creation run under the token's create mutex so two
 * threads of this process cannot both create the same label. (Another process
 * could still race us; the token itself allows duplicate labels.)
 */
#include "p11/keygen.h"

#include <string.h>

#include "internal.h"
#include "mk/log.h"

/* DER named-curve OIDs (RFC 5480 §2.1.1.1). */
static const uint8_t oid_p256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
static const uint8_t oid_p384[] = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22};
static const uint8_t f4[] = {0x01, 0x00, 0x01};

typedef struct gen_req {
    p11_key_type type;
    CK_ULONG bits;
    const char *label;
    uint8_t id[P11_ID_LEN];
} gen_req;

static MK_RESULT check_params(const p11_keygen_params *p, gen_req *req)
{
    ENSURE_MSG(p != NULL, MK_E_INVALID, "no key generation parameters");
    GUARD(p11_check_label(p->label));
    req->type = p->type;
    req->label = p->label;
    if (p->type == P11_KEY_RSA) {
        req->bits = p->bits == 0 ? 3072 : p->bits;
        ENSURE_MSG(req->bits == 2048 || req->bits == 3072 || req->bits == 4096, MK_E_INVALID,
                   "RSA keys are 2048, 3072 or 4096 bits, not %u", p->bits);
        return MK_OK;
    }
    ENSURE_MSG(p->type == P11_KEY_EC, MK_E_INVALID, "key type must be RSA or EC");
    req->bits = p->bits == 0 ? 256 : p->bits;
    ENSURE_MSG(req->bits == 256 || req->bits == 384, MK_E_INVALID,
               "EC keys are P-256 or P-384, not %u bits", p->bits);
    return MK_OK;
}

static MK_RESULT generate(p11_session *s, const gen_req *req, CK_OBJECT_HANDLE *pub,
                          CK_OBJECT_HANDLE *priv)
{
    CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    bool rsa = req->type == P11_KEY_RSA;
    CK_ULONG bits = req->bits;
    CK_ULONG label_len = (CK_ULONG)strlen(req->label);
    const uint8_t *oid = bits == 384 ? oid_p384 : oid_p256;
    CK_ULONG oid_len = bits == 384 ? sizeof(oid_p384) : sizeof(oid_p256);
    CK_ATTRIBUTE pub_t[] = {
        {CKA_TOKEN, &yes, 1},
        {CKA_PRIVATE, &no, 1},
        {CKA_VERIFY, &yes, 1},
        {CKA_ENCRYPT, rsa ? &yes : &no, 1},
        {CKA_WRAP, &no, 1},
        {CKA_DERIVE, &no, 1},
        {CKA_VERIFY_RECOVER, &no, 1},
        {CKA_ID, (void *)req->id, P11_ID_LEN},
        {CKA_LABEL, (void *)req->label, label_len},
        /* type-specific, last */
        {rsa ? CKA_MODULUS_BITS : CKA_EC_PARAMS, rsa ? (void *)&bits : (void *)oid,
         rsa ? sizeof(bits) : oid_len},
        {CKA_PUBLIC_EXPONENT, (void *)f4, sizeof(f4)},
    };
    CK_ATTRIBUTE priv_t[] = {
        {CKA_TOKEN, &yes, 1},
        {CKA_PRIVATE, &yes, 1},
        {CKA_SENSITIVE, &yes, 1},
        {CKA_EXTRACTABLE, &no, 1},
        {CKA_SIGN, &yes, 1},
        {CKA_DECRYPT, rsa ? &yes : &no, 1},
        {CKA_UNWRAP, &no, 1},
        {CKA_DERIVE, &no, 1},
        {CKA_SIGN_RECOVER, &no, 1},
        {CKA_ID, (void *)req->id, P11_ID_LEN},
        {CKA_LABEL, (void *)req->label, label_len},
    };
    CK_MECHANISM mech = {rsa ? CKM_RSA_PKCS_KEY_PAIR_GEN : CKM_EC_KEY_PAIR_GEN, NULL, 0};
    CK_ULONG n_pub = sizeof(pub_t) / sizeof(pub_t[0]) - (rsa ? 0 : 1); /* EC: no exponent */
    CK_RV rv = s->f->C_GenerateKeyPair(s->h, &mech, pub_t, n_pub, priv_t,
                                       sizeof(priv_t) / sizeof(priv_t[0]), pub, priv);
    if (rv != CKR_OK) {
        return p11_session_fail(s, "C_GenerateKeyPair", rv);
    }
    return MK_OK;
}

static void destroy_pair(p11_session *s, CK_OBJECT_HANDLE pub, CK_OBJECT_HANDLE priv)
{
    CK_RV r1 = s->f->C_DestroyObject(s->h, priv);
    CK_RV r2 = s->f->C_DestroyObject(s->h, pub);
    if (r1 != CKR_OK || r2 != CKR_OK) {
        MK_LOG_ERR("pkcs11: could not destroy a rejected key pair: C_DestroyObject: %s / %s",
                   p11_rv_name(r1), p11_rv_name(r2));
    }
}

/* With the session and the create mutex held. */
static MK_RESULT keygen_locked(p11_session *s, gen_req *req, p11_key **key_out,
                               p11_policy_report *report)
{
    bool exists = false;
    GUARD(p11_label_exists(s, req->label, &exists));
    ENSURE_MSG(!exists, MK_E_EXISTS, "an object labelled '%s' already exists on token '%s'",
               req->label, s->t->info.label);
    GUARD(p11_random_s(s, req->id, sizeof(req->id)));
    CK_OBJECT_HANDLE pub = 0, priv = 0;
    GUARD(generate(s, req, &pub, &priv));
    p11_policy_report local;
    p11_policy_report *r = report != NULL ? report : &local;
    mk_result res =
        p11_policy_run(s, priv, req->type == P11_KEY_RSA ? CKK_RSA : CKK_EC, req->label, r);
    if (mk_ok(res) && !r->pass) {
        res = MK_RAISE(MK_E_POLICY,
                       "key pair '%s' does not meet the attribute policy; it was destroyed",
                       req->label);
    }
    if (mk_ok(res)) {
        res = p11_key_from_handle(s, priv, true, key_out);
    }
    if (mk_failed(res)) {
        destroy_pair(s, pub, priv);
    }
    return res;
}

MK_RESULT p11_keygen(p11_token *t, const p11_keygen_params *params, p11_key **key_out,
                     p11_policy_report *report)
{
    gen_req req;
    memset(&req, 0, sizeof(req));
    GUARD(check_params(params, &req));
    p11_session s;
    GUARD(p11_session_get(t, &s));
    pthread_mutex_lock(&t->create_mu);
    mk_result r = keygen_locked(&s, &req, key_out, report);
    pthread_mutex_unlock(&t->create_mu);
    p11_session_put(&s, CKR_OK);
    if (mk_ok(r)) {
        MK_LOG_INFO("pkcs11: generated %s-%lu key pair '%s' on token '%s'",
                    req.type == P11_KEY_RSA ? "RSA" : "EC", (unsigned long)req.bits, req.label,
                    t->info.label);
    }
    return r;
}

MK_RESULT p11_key_policy_check(p11_key *k, p11_policy_report *report)
{
    ENSURE_MSG(k->has_private, MK_E_INVALID, "key '%s' has no private half", k->label);
    p11_session s;
    GUARD(p11_session_get(k->t, &s));
    CK_OBJECT_HANDLE h = 0;
    mk_result r = p11_key_handle(k, &s, &h);
    if (mk_ok(r)) {
        r = p11_policy_run(&s, h, k->type == P11_KEY_RSA ? CKK_RSA : CKK_EC, k->label, report);
    }
    p11_session_put(&s, CKR_OK);
    return r;
}
