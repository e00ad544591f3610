/*
 * Seal and unseal small secrets with the protector (CKM_AES_GCM, PKCS#11
 * v2.40 §2.12.4 / v3.0 CK_GCM_PARAMS): a fresh 96-bit IV from the token RNG,
 * a 128-bit tag and the protector's CKA_ID as additional authenticated data,
 * so a blob only opens under the key it names.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "p11/seal_blob.h"

/* p11-kit's CK_GCM_PARAMS (v2.40 errata / v3.0 layout, with the IV length in bits). */
static void gcm_params(CK_GCM_PARAMS *gp, const uint8_t *iv, const p11_protector *p)
{
    memset(gp, 0, sizeof(*gp));
    gp->iv_ptr = (CK_BYTE *)iv;
    gp->iv_len = P11_SEAL_IV_LEN;
    gp->iv_bits = (CK_ULONG)P11_SEAL_IV_LEN * 8;
    gp->aad_ptr = (CK_BYTE *)p->id;
    gp->aad_len = p->id_len;
    gp->tag_bits = (CK_ULONG)P11_SEAL_TAG_LEN * 8;
}

/* C_EncryptInit / C_DecryptInit, re-finding a stale handle once while the token is present. */
static MK_RESULT gcm_init(p11_protector *p, p11_session *s, bool enc, CK_MECHANISM *m,
                          CK_RV *rv_out)
{
    const char *fn = enc ? "C_EncryptInit" : "C_DecryptInit";
    CK_OBJECT_HANDLE h = 0;
    CK_RV rv = CKR_OK;
    for (int attempt = 0; attempt < 2; attempt++) {
        GUARD(p11_protector_handle(p, s, &h));
        rv = enc ? s->f->C_EncryptInit(s->h, m, h) : s->f->C_DecryptInit(s->h, m, h);
        if (rv != CKR_KEY_HANDLE_INVALID && rv != CKR_OBJECT_HANDLE_INVALID) {
            break;
        }
        p11_protector_forget_handle(p);
        if (!p11_session_probe(s)) {
            *rv_out = rv;
            (void)P11_FAIL_AS(MK_E_TOKEN_LOST, fn, rv);
            mk_error_context("token '%s' unavailable", s->t->info.label);
            return MK_ERR;
        }
    }
    *rv_out = rv;
    if (rv != CKR_OK) {
        return p11_session_fail(s, fn, rv);
    }
    return MK_OK;
}

static MK_RESULT seal_on(p11_protector *p, p11_session *s, const uint8_t *pt, size_t pt_len,
                         mk_buf *out, CK_RV *rv)
{
    uint8_t iv[P11_SEAL_IV_LEN];
    GUARD(p11_random_s(s, iv, sizeof(iv)));
    CK_GCM_PARAMS gp;
    gcm_params(&gp, iv, p);
    CK_MECHANISM m = {CKM_AES_GCM, &gp, sizeof(gp)};
    GUARD(gcm_init(p, s, true, &m, rv));
    size_t cap = pt_len + P11_SEAL_TAG_LEN;
    uint8_t *ct = malloc(cap);
    ENSURE(ct != NULL, MK_E_NOMEM);
    CK_ULONG n = (CK_ULONG)cap;
    *rv = s->f->C_Encrypt(s->h, (CK_BYTE *)pt, (CK_ULONG)pt_len, ct, &n);
    mk_result r;
    if (*rv != CKR_OK) {
        r = p11_session_fail(s, "C_Encrypt", *rv);
    } else {
        p11_seal_blob b = {P11_SEAL_VERSION,
                           P11_SEAL_ALG_AES256_GCM,
                           p->id,
                           p->id_len,
                           (const uint8_t *)p->label,
                           strlen(p->label),
                           iv,
                           sizeof(iv),
                           ct,
                           n};
        r = p11_seal_blob_write(&b, out);
    }
    free(ct);
    return r;
}

MK_RESULT p11_seal(p11_protector *p, const uint8_t *pt, size_t pt_len, mk_buf *out)
{
    ENSURE_MSG(pt != NULL && pt_len > 0 && pt_len <= P11_SEAL_PLAINTEXT_MAX, MK_E_INVALID,
               "sealed secrets are 1..%zu bytes", P11_SEAL_PLAINTEXT_MAX);
    ENSURE_MSG(strlen(p->label) <= P11_SEAL_LABEL_MAX, MK_E_INVALID,
               "protector label too long for a sealed blob");
    p11_session s;
    GUARD(p11_session_get(p->t, &s));
    CK_RV rv = CKR_OK;
    mk_result r = seal_on(p, &s, pt, pt_len, out, &rv);
    p11_session_put(&s, mk_ok(r) ? CKR_OK : (rv != CKR_OK ? rv : CKR_FUNCTION_FAILED));
    return r;
}

static MK_RESULT unseal_on(p11_protector *p, p11_session *s, const p11_seal_blob *b, mk_secret *pt,
                           CK_RV *rv)
{
    CK_GCM_PARAMS gp;
    gcm_params(&gp, b->iv, p);
    CK_MECHANISM m = {CKM_AES_GCM, &gp, sizeof(gp)};
    GUARD(gcm_init(p, s, false, &m, rv));
    CK_ULONG n = (CK_ULONG)mk_secret_cap(pt);
    *rv = s->f->C_Decrypt(s->h, (CK_BYTE *)b->ct, (CK_ULONG)b->ct_len, mk_secret_data(pt), &n);
    if (*rv != CKR_OK) {
        if (p11_rv_is_token_lost(*rv)) {
            return p11_session_fail(s, "C_Decrypt", *rv);
        }
        /* Any other refusal of an authenticated decryption means "not authentic". */
        (void)P11_FAIL_AS(MK_E_CRYPTO, "C_Decrypt", *rv);
        mk_error_context("sealed blob does not authenticate under protector '%s'", p->label);
        return MK_ERR;
    }
    return mk_secret_set_len(pt, n);
}

MK_RESULT p11_unseal_with(p11_protector *p, const uint8_t *blob, size_t blob_len, mk_secret **out)
{
    p11_seal_blob b;
    GUARD(p11_seal_blob_parse(blob, blob_len, &b));
    char want[80], have[80];
    p11_hex(want, sizeof(want), b.id, b.id_len);
    p11_hex(have, sizeof(have), p->id, p->id_len);
    ENSURE_MSG(b.id_len == p->id_len && memcmp(b.id, p->id, p->id_len) == 0, MK_E_NOT_FOUND,
               "blob was sealed by protector id %s, not by '%s' (id %s)", want, p->label, have);
    ENSURE_MSG(b.label_len == strlen(p->label) && memcmp(b.label, p->label, b.label_len) == 0,
               MK_E_INVALID, "blob names protector label '%.*s', the token's key is '%s'",
               (int)(b.label_len > 64 ? 64 : b.label_len), (const char *)b.label, p->label);
    mk_secret *pt = NULL;
    GUARD(mk_secret_new(b.ct_len, &pt));
    p11_session s;
    if (mk_failed(p11_session_get(p->t, &s))) {
        mk_secret_free(pt);
        return MK_ERR;
    }
    CK_RV rv = CKR_OK;
    mk_result r = unseal_on(p, &s, &b, pt, &rv);
    p11_session_put(&s, mk_ok(r) ? CKR_OK : (rv != CKR_OK ? rv : CKR_FUNCTION_FAILED));
    if (mk_failed(r)) {
        mk_secret_free(pt);
        return MK_ERR;
    }
    *out = pt;
    return MK_OK;
}

MK_RESULT p11_unseal(p11_token *t, const uint8_t *blob, size_t blob_len, mk_secret **out)
{
    p11_seal_blob b;
    GUARD(p11_seal_blob_parse(blob, blob_len, &b));
    p11_protector *p = NULL;
    GUARD(p11_protector_find_id(t, b.id, b.id_len, &p));
    mk_result r = p11_unseal_with(p, blob, blob_len, out);
    p11_protector_free(p);
    return r;
}
