/*
 * Enumerate every object a URI names, for OSSL_STORE-style loaders that
 * return all matches one by one (RFC 7512: a URI names a set).
 *
 * Private keys, public keys and certificates are listed (secret keys and data
 * objects are not). type, id and object (label) in the selector narrow the
 * set; an empty selector lists all three classes.
 */
#ifndef P11_OBJECTS_H
#define P11_OBJECTS_H

#include <stddef.h>

#include "mk/result.h"
#include "p11/cert.h"
#include "p11/key.h"
#include "p11/token.h"
#include "p11/uri.h"

typedef struct p11_object_list p11_object_list;

typedef enum p11_object_kind {
    P11_OBJ_PRIVATE_KEY = 1,
    P11_OBJ_PUBLIC_KEY = 2,
    P11_OBJ_CERT = 3,
} p11_object_kind;

/*
 * All matching objects, private keys first, then public keys, then
 * certificates. An empty result is success with count 0. Objects of a key
 * type this layer does not handle (DSA...) are skipped. Errors:
 * MK_E_INVALID (type secret-key or data), MK_E_TOKEN_LOST, MK_E_PKCS11.
 */
MK_RESULT p11_objects_find_all(p11_token *t, const p11_uri *selector, p11_object_list **out);
/* Accepts NULL; drops the list's key references and frees its certificates. */
void p11_object_list_free(p11_object_list *l);

size_t p11_object_list_count(const p11_object_list *l);
p11_object_kind p11_object_list_kind(const p11_object_list *l, size_t i);
/* Borrowed; NULL when item i is a certificate. p11_key_ref it to keep it. */
p11_key *p11_object_list_key(const p11_object_list *l, size_t i);
/* Borrowed; NULL when item i is a key. */
const p11_cert *p11_object_list_cert(const p11_object_list *l, size_t i);

#endif
