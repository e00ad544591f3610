/*
 * Key-pair generation on the token, with mirrorkey's template and the
 * policy check that proves it (PKCS#11 v2.40 §5.14, C_GenerateKeyPair).
 *
 * Private key: CKA_TOKEN, CKA_PRIVATE, CKA_SENSITIVE = TRUE,
 * CKA_EXTRACTABLE = FALSE, CKA_SIGN = TRUE, CKA_DECRYPT = TRUE for RSA only,
 * CKA_UNWRAP = CKA_DERIVE = CKA_SIGN_RECOVER = FALSE.
 * Public key: CKA_TOKEN, CKA_VERIFY = TRUE, CKA_ENCRYPT = TRUE for RSA only,
 * CKA_WRAP = CKA_DERIVE = CKA_VERIFY_RECOVER = FALSE.
 * Both: CKA_ID = 16 bytes from the token RNG (the certificate stored later
 * reuses it), CKA_LABEL = the given label.
 * RSA: CKM_RSA_PKCS_KEY_PAIR_GEN, 2048/3072/4096 bits (default 3072),
 * public exponent 65537. EC: CKM_EC_KEY_PAIR_GEN, P-256 or P-384, CKA_EC_PARAMS
 * the DER named-curve OID.
 */
#ifndef P11_KEYGEN_H
#define P11_KEYGEN_H

#include <stddef.h>

#include "mk/result.h"
#include "p11/key.h"
#include "p11/policy.h"
#include "p11/token.h"

/* Longest label accepted for objects this layer creates. */
#define P11_LABEL_MAX 128
/* Length of the CKA_ID this layer generates. */
#define P11_ID_LEN 16

typedef struct p11_keygen_params {
    p11_key_type type; /* P11_KEY_RSA or P11_KEY_EC */
    unsigned bits;     /* RSA: 2048, 3072, 4096 (0 = 3072); EC: 256, 384 (0 = 256) */
    const char *label; /* required, 1..P11_LABEL_MAX bytes */
} p11_keygen_params;

/*
 * Generate a key pair, then run the policy report on the private key. If the
 * report fails, both new objects are destroyed and the call fails with
 * MK_E_POLICY (the report, when asked for, says why). Errors: MK_E_INVALID
 * (type, size or label), MK_E_EXISTS (an object of any class already has this
 * label), MK_E_POLICY, MK_E_PIN (not logged in), MK_E_TOKEN_LOST, MK_E_PKCS11
 * ("C_GenerateKeyPair failed: CKR_..."). *key_out holds one reference.
 * report may be NULL; when given it is filled whenever generation got as far
 * as the check.
 */
MK_RESULT p11_keygen(p11_token *t, const p11_keygen_params *params, p11_key **key_out,
                     p11_policy_report *report);

/*
 * Re-run the policy report on an existing private key. Succeeds when the
 * report could be produced (read `report->pass` for the verdict). Errors:
 * MK_E_INVALID (no private key), MK_E_TOKEN_LOST, MK_E_PKCS11.
 */
MK_RESULT p11_key_policy_check(p11_key *k, p11_policy_report *report);

#endif
