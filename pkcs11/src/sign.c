/*
 * The hot path: sign and decrypt with a token private key.
 *
 * A call takes a pooled session, uses the key's cached handle and costs
 * exactly C_SignInit + C_Sign (or C_DecryptInit + C_Decrypt): the output
 * buffer is sized from the key, so there is no length query. The handle is
 * re-found by CKA_ID only when the token's generation moved on (fork,
 * recovery) or the token said the handle is invalid while still present.
 */
#include <string.h>

#include "internal.h"

MK_RESULT p11_key_handle(p11_key *k, p11_session *s, CK_OBJECT_HANDLE *out)
{
    uint64_t g1 = atomic_load(&k->handle_gen);
    CK_OBJECT_HANDLE h = atomic_load(&k->handle);
    uint64_t g2 = atomic_load(&k->handle_gen);
    if (g1 == g2 && g1 == s->gen) {
        *out = h;
        return MK_OK;
    }
    GUARD(p11_find_one_by_id(s, CKO_PRIVATE_KEY, k->id, k->id_len, &h));
    /* Invalidate, publish the handle, then its generation (readers check both ends). */
    atomic_store(&k->handle_gen, 0);
    atomic_store(&k->handle, h);
    atomic_store(&k->handle_gen, s->gen);
    *out = h;
    return MK_OK;
}

void p11_key_forget_handle(p11_key *k) { atomic_store(&k->handle_gen, 0); }

typedef enum op_kind { OP_SIGN, OP_DECRYPT } op_kind;

static CK_RV call_init(p11_session *s, op_kind op, CK_MECHANISM *m, CK_OBJECT_HANDLE h)
{
    return op == OP_SIGN ? s->f->C_SignInit(s->h, m, h) : s->f->C_DecryptInit(s->h, m, h);
}

/*
 * C_SignInit / C_DecryptInit with the cached handle. A stale handle on a token
 * that is gone marks it lost; on a token that is still there (someone reset
 * our view of it) the handle is re-found once.
 */
static MK_RESULT op_init(p11_key *k, p11_session *s, op_kind op, CK_MECHANISM *m, CK_RV *rv_out)
{
    const char *fn = op == OP_SIGN ? "C_SignInit" : "C_DecryptInit";
    CK_OBJECT_HANDLE h = 0;
    GUARD(p11_key_handle(k, s, &h));
    CK_RV rv = call_init(s, op, m, h);
    if (rv == CKR_KEY_HANDLE_INVALID || rv == CKR_OBJECT_HANDLE_INVALID) {
        p11_key_forget_handle(k);
        if (!p11_session_probe(s)) {
            *rv_out = rv;
            (void)P11_FAIL_AS(MK_E_TOKEN_LOST, fn, rv);
            mk_error_context("token '%s' unavailable", s->t->info.label);
            return MK_ERR;
        }
        GUARD(p11_key_handle(k, s, &h));
        rv = call_init(s, op, m, h);
    }
    *rv_out = rv;
    if (rv != CKR_OK) {
        return p11_session_fail(s, fn, rv);
    }
    return MK_OK;
}

static MK_RESULT run_op(p11_key *k, op_kind op, CK_MECHANISM_TYPE mech, const void *param,
                        size_t param_len, const uint8_t *in, size_t in_len, uint8_t *out,
                        size_t *out_len)
{
    CK_MECHANISM m = {mech, (void *)param, (CK_ULONG)param_len};
    p11_session s;
    GUARD(p11_session_get(k->t, &s));
    CK_RV rv = CKR_OK;
    mk_result r = op_init(k, &s, op, &m, &rv);
    if (mk_ok(r)) {
        CK_ULONG n = (CK_ULONG)*out_len;
        if (op == OP_SIGN) {
            rv = s.f->C_Sign(s.h, (CK_BYTE *)in, (CK_ULONG)in_len, out, &n);
        } else {
            rv = s.f->C_Decrypt(s.h, (CK_BYTE *)in, (CK_ULONG)in_len, out, &n);
        }
        if (rv == CKR_OK) {
            *out_len = n;
        } else {
            r = p11_session_fail(&s, op == OP_SIGN ? "C_Sign" : "C_Decrypt", rv);
        }
    } else if (rv == CKR_OK) {
        rv = CKR_FUNCTION_FAILED; /* failed before any Init: still retire the session */
    }
    p11_session_put(&s, rv);
    return r;
}

MK_RESULT p11_key_sign(p11_key *k, CK_MECHANISM_TYPE mech, const void *param, size_t param_len,
                       const uint8_t *in, size_t in_len, uint8_t *out, size_t *out_len)
{
    ENSURE_MSG(k->has_private, MK_E_INVALID, "key '%s' has no private half on the token", k->label);
    ENSURE_MSG(in != NULL || in_len == 0, MK_E_INVALID, "no input to sign");
    ENSURE_MSG(param != NULL || param_len == 0, MK_E_INVALID, "mechanism parameter missing");
    ENSURE_MSG(*out_len >= p11_key_max_signature_len(k), MK_E_INVALID,
               "signature buffer of %zu bytes is smaller than %zu", *out_len,
               p11_key_max_signature_len(k));
    return run_op(k, OP_SIGN, mech, param, param_len, in, in_len, out, out_len);
}

MK_RESULT p11_key_decrypt(p11_key *k, CK_MECHANISM_TYPE mech, const void *param, size_t param_len,
                          const uint8_t *in, size_t in_len, uint8_t *out, size_t *out_len)
{
    ENSURE_MSG(k->has_private, MK_E_INVALID, "key '%s' has no private half on the token", k->label);
    ENSURE_MSG(k->type == P11_KEY_RSA, MK_E_INVALID, "key '%s' is not an RSA key", k->label);
    ENSURE_MSG(in != NULL && in_len > 0, MK_E_INVALID, "no ciphertext");
    ENSURE_MSG(param != NULL || param_len == 0, MK_E_INVALID, "mechanism parameter missing");
    ENSURE_MSG(*out_len >= k->mod_len, MK_E_INVALID,
               "plaintext buffer of %zu bytes is smaller than the modulus (%zu)", *out_len,
               k->mod_len);
    return run_op(k, OP_DECRYPT, mech, param, param_len, in, in_len, out, out_len);
}
