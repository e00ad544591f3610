/*
 * Certificate objects on a token (CKO_CERTIFICATE, CKC_X_509): store the DER
 * next to a key pair under the same CKA_ID and label, and find it again.
 *
 * A p11_cert is a plain value (id, label, DER) read from the token; it keeps
 * no session or handle.
 */
#ifndef P11_CERT_H
#define P11_CERT_H

#include <stddef.h>
#include <stdint.h>

#include "mk/result.h"
#include "p11/token.h"
#include "p11/uri.h"

typedef struct p11_cert p11_cert;

/* Largest certificate accepted or read back. */
#define P11_CERT_MAX ((size_t)64 * 1024)

/*
 * Store der[0..der_len) as a token certificate object with CKA_ID id and
 * CKA_LABEL label (both required; normally the key pair's). CKA_SUBJECT,
 * CKA_ISSUER and CKA_SERIAL_NUMBER are taken from the DER. Errors:
 * MK_E_INVALID (not an X.509 certificate, empty id/label, too big),
 * MK_E_EXISTS (a certificate with this id or label is already there),
 * MK_E_TOKEN_LOST, MK_E_PKCS11. out may be NULL; else it gets the stored
 * certificate (caller frees).
 */
MK_RESULT p11_cert_store(p11_token *t, const uint8_t *der, size_t der_len, const uint8_t *id,
                         size_t id_len, const char *label, p11_cert **out);

/*
 * The one certificate the selector names (type must be absent or "cert";
 * id/object narrow it). Errors: MK_E_NOT_FOUND, MK_E_AMBIGUOUS (listing the
 * matches), MK_E_INVALID, MK_E_TOKEN_LOST, MK_E_PKCS11.
 */
MK_RESULT p11_cert_find(p11_token *t, const p11_uri *selector, p11_cert **out);
/* The certificate with CKA_ID id[0..id_len); same errors. */
MK_RESULT p11_cert_find_by_id(p11_token *t, const uint8_t *id, size_t id_len, p11_cert **out);
/* Accepts NULL. */
void p11_cert_free(p11_cert *c);

/* Borrowed views, valid until p11_cert_free. */
const uint8_t *p11_cert_der(const p11_cert *c, size_t *len);
const uint8_t *p11_cert_id(const p11_cert *c, size_t *len);
const char *p11_cert_label(const p11_cert *c); /* "" when absent */

#endif
