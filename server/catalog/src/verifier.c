/*
 * Login password verifiers: PBKDF2-HMAC-SHA256 (RFC 8018 §5.2) with a
 * 16-byte salt from the OpenSSL DRBG and a stored iteration count, compared
 * with CRYPTO_memcmp. The derived hash is wiped from the stack after use;
 * the password itself is only ever borrowed.
 */
#include "catalog/verifier.h"

#include <limits.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "internal.h"

static uint32_t g_iterations = CAT_PBKDF2_MIN_ITERATIONS;

void cat_verifier_set_iterations_for_tests(uint32_t n)
{
    g_iterations = n != 0 ? n : CAT_PBKDF2_MIN_ITERATIONS;
}

uint32_t cat_verifier_iterations(void) { return g_iterations; }

static MK_RESULT derive(const uint8_t *pw, size_t len, const uint8_t *salt, uint32_t iterations,
                        uint8_t out[CAT_VERIFIER_HASH_LEN])
{
    ENSURE_MSG(len <= CAT_PASSWORD_MAX_BYTES, MK_E_TOOBIG, "password longer than %d bytes",
               CAT_PASSWORD_MAX_BYTES);
    ENSURE_MSG(iterations > 0 && iterations <= CAT_PBKDF2_MAX_ITERATIONS &&
                   iterations <= (uint32_t)INT_MAX,
               MK_E_INVALID, "verifier iteration count %u out of range", iterations);
    /* OpenSSL wants a non-NULL pointer even for an empty password. */
    static const char empty[1] = {0};
    const char *p = len > 0 ? (const char *)pw : empty;
    int ok = PKCS5_PBKDF2_HMAC(p, (int)len, salt, CAT_VERIFIER_SALT_LEN, (int)iterations,
                               EVP_sha256(), CAT_VERIFIER_HASH_LEN, out);
    ENSURE_MSG(ok == 1, MK_E_CRYPTO, "password key derivation failed");
    return MK_OK;
}

MK_RESULT cat_verifier_make(const uint8_t *pw, size_t len, cat_verifier *out)
{
    ENSURE_MSG(out != NULL && (pw != NULL || len == 0), MK_E_INVALID, "verifier arguments");
    cat_verifier v = {.iterations = g_iterations};
    GUARD(cat_random(v.salt, sizeof(v.salt)));
    mk_result r = derive(pw, len, v.salt, v.iterations, v.hash);
    if (mk_ok(r)) {
        *out = v;
    }
    OPENSSL_cleanse(&v, sizeof(v));
    return r;
}

MK_RESULT cat_verifier_check(const cat_verifier *v, const uint8_t *pw, size_t len, bool *match)
{
    ENSURE_MSG(v != NULL && match != NULL && (pw != NULL || len == 0), MK_E_INVALID,
               "verifier arguments");
    uint8_t h[CAT_VERIFIER_HASH_LEN];
    *match = false;
    mk_result r = derive(pw, len, v->salt, v->iterations, h);
    if (mk_ok(r)) {
        *match = CRYPTO_memcmp(h, v->hash, sizeof(h)) == 0;
    }
    OPENSSL_cleanse(h, sizeof(h));
    return r;
}
