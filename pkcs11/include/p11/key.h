/*
 * Asymmetric keys on a token (RSA, EC): a refcounted object carrying the
 * identity (CKA_ID, label), the size and the public components, plus the
 * cached private-key handle used by sign and decrypt.
 *
 * Public components are read once when the key is found:
 *   RSA  modulus and public exponent, big-endian, no leading zero bytes
 *   EC   CKA_EC_PARAMS (DER, normally a named-curve OID) and the EC point as
 *        the raw uncompressed point (04||X||Y), unwrapped from the DER OCTET
 *        STRING that CKA_EC_POINT holds. The point comes from the public key
 *        object with the same CKA_ID, else from the certificate with it.
 *
 * Sign and decrypt are safe from many threads at once. The hot path takes a
 * session from the token's pool and costs exactly C_SignInit + C_Sign (no
 * object search, no size query: the output size follows from the key size).
 * After a fork or token reset the handle is re-found by CKA_ID on first use.
 */
#ifndef P11_KEY_H
#define P11_KEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <p11-kit/pkcs11.h>

#include "mk/buf.h"
#include "mk/result.h"
#include "p11/token.h"
#include "p11/uri.h"

typedef struct p11_key p11_key;

typedef enum p11_key_type {
    P11_KEY_RSA = 1,
    P11_KEY_EC = 2,
} p11_key_type;

/*
 * The one key the selector names. The selector's type picks the class:
 * absent or "private" → private key (public components from the matching
 * public key or certificate), "public" → public key only. id and object
 * (label) narrow the search. Token attributes in the selector are ignored
 * (the token is already chosen). Errors: MK_E_NOT_FOUND (says whether the
 * token is logged in), MK_E_AMBIGUOUS (lists the matches' labels and ids),
 * MK_E_INVALID (other type, unsupported key type), MK_E_TOKEN_LOST,
 * MK_E_PKCS11. *out holds one reference.
 */
MK_RESULT p11_key_find(p11_token *t, const p11_uri *selector, p11_key **out);
/* The private key with CKA_ID id[0..id_len); same errors. */
MK_RESULT p11_key_find_by_id(p11_token *t, const uint8_t *id, size_t id_len, p11_key **out);

p11_key *p11_key_ref(p11_key *k);
/* Accepts NULL. */
void p11_key_unref(p11_key *k);

p11_key_type p11_key_get_type(const p11_key *k);
/* True when the key has a private half on the token (sign/decrypt possible). */
bool p11_key_has_private(const p11_key *k);
/* Size in bits: RSA modulus bits, EC field size (256, 384, 521). */
unsigned p11_key_bits(const p11_key *k);
/*
 * Bytes a signature can take: RSA modulus bytes; EC 2 * field bytes (raw
 * r||s as CKM_ECDSA returns it). Output buffers of this size always suffice.
 */
size_t p11_key_max_signature_len(const p11_key *k);
/* The token this key lives on (borrowed). */
p11_token *p11_key_token(const p11_key *k);

/* Borrowed views, valid while the key is referenced. */
const uint8_t *p11_key_id(const p11_key *k, size_t *len);
const char *p11_key_label(const p11_key *k); /* "" when the object has none */
/* RSA only (NULL with *len 0 for EC). */
const uint8_t *p11_key_rsa_modulus(const p11_key *k, size_t *len);
const uint8_t *p11_key_rsa_exponent(const p11_key *k, size_t *len);
/* EC only (NULL with *len 0 for RSA). */
const uint8_t *p11_key_ec_params(const p11_key *k, size_t *len);
const uint8_t *p11_key_ec_point(const p11_key *k, size_t *len);

/*
 * Sign in[0..in_len) with `mech` (CKM_RSA_PKCS, CKM_RSA_PKCS_PSS, CKM_ECDSA,
 * ...) and its parameter bytes (param may be NULL with param_len 0; e.g. a
 * CK_RSA_PKCS_PSS_PARAMS). *out_len is the capacity of out on entry and must
 * be >= p11_key_max_signature_len(k); on success it is the signature length.
 * Errors: MK_E_INVALID (no private key, small buffer), MK_E_TOKEN_LOST,
 * MK_E_PIN (not logged in), MK_E_PKCS11 "C_Sign failed: CKR_...".
 */
MK_RESULT p11_key_sign(p11_key *k, CK_MECHANISM_TYPE mech, const void *param, size_t param_len,
                       const uint8_t *in, size_t in_len, uint8_t *out, size_t *out_len);

/*
 * Decrypt in[0..in_len) with `mech` (CKM_RSA_PKCS, CKM_RSA_PKCS_OAEP with
 * CK_RSA_PKCS_OAEP_PARAMS). RSA keys only. *out_len is the capacity on entry
 * and must be >= the modulus length; on success the plaintext length.
 * Errors as p11_key_sign, plus MK_E_CRYPTO for CKR_ENCRYPTED_DATA_INVALID /
 * CKR_ENCRYPTED_DATA_LEN_RANGE (bad padding or length).
 */
MK_RESULT p11_key_decrypt(p11_key *k, CK_MECHANISM_TYPE mech, const void *param, size_t param_len,
                          const uint8_t *in, size_t in_len, uint8_t *out, size_t *out_len);

/*
 * A URI naming this key: "pkcs11:token=...;serial=...;id=...;object=...;type=private".
 * Appended to out, NUL-terminated. No module-path or PIN.
 */
MK_RESULT p11_key_uri(const p11_key *k, mk_buf *out);

#endif
