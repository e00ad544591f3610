/*
 * The database master key: generation on the token RNG, sealing by the
 * token protector and by a password, and opening again (see
 * keys/masterkey.h). Key bytes and derived keys live only in mk_secret
 * buffers; the OpenSSL cipher contexts are freed (and so cleansed) before
 * returning.
 */
#include "keys/masterkey.h"

#include <stdatomic.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "keys/pwblob.h"

#define KDF_KEY_LEN 32
#define SALT_LEN 16

static _Atomic uint32_t iterations_override;

void keys_masterkey_set_iterations_for_tests(uint32_t n) { atomic_store(&iterations_override, n); }

uint32_t keys_masterkey_iterations(void)
{
    uint32_t n = atomic_load(&iterations_override);
    return n != 0 ? n : KEYS_MK_PBKDF2_MIN_ITERATIONS;
}

MK_RESULT keys_masterkey_generate(p11_token *t, mk_secret **out)
{
    mk_secret *mk = NULL;
    GUARD(mk_secret_new(KEYS_MASTER_KEY_LEN, &mk));
    if (mk_failed(p11_token_random(t, mk_secret_data(mk), KEYS_MASTER_KEY_LEN)) ||
        mk_failed(mk_secret_set_len(mk, KEYS_MASTER_KEY_LEN))) {
        mk_secret_free(mk);
        mk_error_context("generating the master key");
        return MK_ERR;
    }
    *out = mk;
    return MK_OK;
}

MK_RESULT keys_protector_get(p11_token *t, p11_protector **out, bool *created)
{
    if (created != NULL) {
        *created = false;
    }
    if (mk_ok(p11_protector_find_label(t, KEYS_PROTECTOR_LABEL, out))) {
        return MK_OK;
    }
    if (mk_error_code() != MK_E_NOT_FOUND) {
        return MK_ERR; /* ambiguous, token lost...: never generate a second one */
    }
    p11_policy_report report;
    GUARD(p11_protector_generate(t, KEYS_PROTECTOR_LABEL, out, &report));
    if (created != NULL) {
        *created = true;
    }
    return MK_OK;
}

MK_RESULT keys_masterkey_seal_protector(p11_protector *p, const mk_secret *mk, mk_buf *out)
{
    ENSURE_MSG(mk_secret_len(mk) == KEYS_MASTER_KEY_LEN, MK_E_INVALID,
               "master key has the wrong length");
    return p11_seal(p, mk_secret_cdata(mk), mk_secret_len(mk), out);
}

/* The unsealed secret must be a master key. */
static MK_RESULT check_key_len(mk_secret **mk)
{
    if (mk_secret_len(*mk) != KEYS_MASTER_KEY_LEN) {
        mk_secret_free(*mk);
        *mk = NULL;
        BAIL_MSG(MK_E_INVALID, "the sealed secret is not a master key (wrong length)");
    }
    return MK_OK;
}

MK_RESULT keys_masterkey_open_with_protector(p11_token *t, const uint8_t *blob, size_t len,
                                             mk_secret **out)
{
    mk_secret *mk = NULL;
    GUARD(p11_unseal(t, blob, len, &mk));
    GUARD(check_key_len(&mk));
    *out = mk;
    return MK_OK;
}

/* PBKDF2-HMAC-SHA256(pw, salt, iterations) into a new secret. */
static MK_RESULT derive(const uint8_t *pw, size_t pw_len, const uint8_t *salt, size_t salt_len,
                        uint32_t iterations, mk_secret **out)
{
    ENSURE_MSG(pw_len <= KEYS_PASSWORD_MAX_BYTES, MK_E_TOOBIG, "password too long");
    mk_secret *k = NULL;
    GUARD(mk_secret_new(KDF_KEY_LEN, &k));
    /* PKCS5_PBKDF2_HMAC takes a char pointer; an empty password needs a valid one. */
    static const char empty[1] = "";
    const char *p = pw_len > 0 ? (const char *)pw : empty;
    if (PKCS5_PBKDF2_HMAC(p, (int)pw_len, salt, (int)salt_len, (int)iterations, EVP_sha256(),
                          KDF_KEY_LEN, mk_secret_data(k)) != 1 ||
        mk_failed(mk_secret_set_len(k, KDF_KEY_LEN))) {
        mk_secret_free(k);
        BAIL_MSG(MK_E_CRYPTO, "password key derivation failed");
    }
    *out = k;
    return MK_OK;
}

/* AES-256-GCM encrypt pt with aad; writes ct (pt_len bytes) then the tag. */
static MK_RESULT gcm_encrypt(const mk_secret *key, const uint8_t *iv, const uint8_t *aad,
                             size_t aad_len, const uint8_t *pt, size_t pt_len, uint8_t *ct_tag)
{
    mk_result res = MK_ERR;
    int n = 0;
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    ENSURE(c != NULL, MK_E_NOMEM);
    if (EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
        EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, KEYS_PW_IV_LEN, NULL) != 1 ||
        EVP_EncryptInit_ex(c, NULL, NULL, mk_secret_cdata(key), iv) != 1 ||
        EVP_EncryptUpdate(c, NULL, &n, aad, (int)aad_len) != 1 ||
        EVP_EncryptUpdate(c, ct_tag, &n, pt, (int)pt_len) != 1 || (size_t)n != pt_len ||
        EVP_EncryptFinal_ex(c, ct_tag + pt_len, &n) != 1 ||
        EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, KEYS_PW_TAG_LEN, ct_tag + pt_len) != 1) {
        BAIL_OUT(MK_E_CRYPTO, "AES-256-GCM encryption failed");
    }
    res = MK_OK;
out:
    EVP_CIPHER_CTX_free(c);
    return res;
}

/* AES-256-GCM decrypt ct||tag into the secret pt (capacity ct_len - tag). */
static MK_RESULT gcm_decrypt(const mk_secret *key, const keys_pwblob *b, const uint8_t *aad,
                             mk_secret *pt)
{
    mk_result res = MK_ERR;
    int n = 0;
    int fin = 0;
    size_t body = b->ct_len - KEYS_PW_TAG_LEN;
    uint8_t tag[KEYS_PW_TAG_LEN];
    memcpy(tag, b->ct + body, sizeof(tag));
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    ENSURE(c != NULL, MK_E_NOMEM);
    if (EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
        EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, KEYS_PW_IV_LEN, NULL) != 1 ||
        EVP_DecryptInit_ex(c, NULL, NULL, mk_secret_cdata(key), b->iv) != 1 ||
        EVP_DecryptUpdate(c, NULL, &n, aad, (int)b->aad_len) != 1 ||
        EVP_DecryptUpdate(c, mk_secret_data(pt), &n, b->ct, (int)body) != 1 ||
        EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, KEYS_PW_TAG_LEN, tag) != 1) {
        BAIL_OUT(MK_E_CRYPTO, "AES-256-GCM decryption failed");
    }
    /* The tag is checked here: a wrong password and an altered blob look the same. */
    if (EVP_DecryptFinal_ex(c, mk_secret_data(pt) + n, &fin) != 1) {
        BAIL_OUT(MK_E_CRYPTO, "the password does not open this master key");
    }
    GUARD_OUT(mk_secret_set_len(pt, (size_t)n + (size_t)fin));
    res = MK_OK;
out:
    EVP_CIPHER_CTX_free(c);
    return res;
}

MK_RESULT keys_masterkey_seal_password(const mk_secret *mk, const uint8_t *pw, size_t pw_len,
                                       mk_buf *out)
{
    uint8_t salt[SALT_LEN];
    uint8_t iv[KEYS_PW_IV_LEN];
    uint8_t ct[KEYS_PW_CT_MAX];
    size_t pt_len = mk_secret_len(mk);
    ENSURE_MSG(pt_len >= 1 && pt_len <= KEYS_PW_PLAINTEXT_MAX, MK_E_INVALID,
               "secret length %zu cannot be sealed", pt_len);
    ENSURE_MSG(RAND_bytes(salt, sizeof(salt)) == 1 && RAND_bytes(iv, sizeof(iv)) == 1, MK_E_CRYPTO,
               "random salt and IV unavailable");
    keys_pwblob b = {.iterations = keys_masterkey_iterations(),
                     .salt = salt,
                     .salt_len = sizeof(salt),
                     .iv = iv,
                     .iv_len = sizeof(iv),
                     .ct = ct,
                     .ct_len = pt_len + KEYS_PW_TAG_LEN};
    mk_result res = MK_ERR;
    mk_secret *key = NULL;
    mk_buf header;
    mk_buf_init(&header, 256);
    GUARD_OUT(keys_pwblob_write_header(&b, &header));
    GUARD_OUT(derive(pw, pw_len, salt, sizeof(salt), b.iterations, &key));
    GUARD_OUT(gcm_encrypt(key, iv, header.data, header.len, mk_secret_cdata(mk), pt_len, ct));
    GUARD_OUT(keys_pwblob_write(&b, out));
    res = MK_OK;
out:
    mk_secret_free(key);
    mk_buf_cleanup(&header);
    return res;
}

MK_RESULT keys_masterkey_open_with_password(const uint8_t *blob, size_t len, const uint8_t *pw,
                                            size_t pw_len, mk_secret **out)
{
    keys_pwblob b;
    GUARD(keys_pwblob_parse(blob, len, &b));
    mk_result res = MK_ERR;
    mk_secret *key = NULL;
    mk_secret *pt = NULL;
    GUARD_OUT(derive(pw, pw_len, b.salt, b.salt_len, b.iterations, &key));
    GUARD_OUT(mk_secret_new(b.ct_len - KEYS_PW_TAG_LEN, &pt));
    GUARD_OUT(gcm_decrypt(key, &b, blob, pt));
    GUARD_OUT(check_key_len(&pt));
    *out = pt;
    pt = NULL;
    res = MK_OK;
out:
    mk_secret_free(pt);
    mk_secret_free(key);
    return res;
}
