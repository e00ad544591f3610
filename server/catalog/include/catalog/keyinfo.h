/*
 * sys.mirrorkey_certificate_keys: the key policy of every certificate whose
 * private key is on the token (pvt_key_encryption_type 'HS'), as the token
 * reports it when the view is queried. Nothing of it is stored: the view
 * takes certificate_id, name and key_id (the CKA_ID) from the catalog and
 * asks a source for the rest, one call per certificate. The catalog never
 * talks to the token; the executor, which owns it, registers the source on
 * each cat_db (exec_keyinfo_source). No source: the live columns are NULL
 * and meets_policy is 0.
 *
 * Columns (docs/catalog.md): certificate_id, name, token_label, key_id,
 * key_type, key_bits, is_local, is_sensitive, is_always_sensitive,
 * is_extractable, is_never_extractable, is_private_value_readable,
 * meets_policy, checked_at. Sysadmin only.
 */
#ifndef CAT_KEYINFO_H
#define CAT_KEYINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "catalog/catalog.h"
#include "mk/result.h"

/* An attribute the token did not answer (shown as NULL). */
#define CAT_KEY_BIT_NULL (-1)

/* What the token says about one private key. */
typedef struct cat_key_info {
    /* The token's label (CK_TOKEN_INFO.label, UTF-8); "" = unknown (NULL). */
    char token_label[33];
    /*
     * The private key was found and its attributes read. When false, every
     * column below shows NULL and meets_policy 0, whatever the fields hold.
     */
    bool found;
    char key_type[4]; /* "RSA" or "EC"; anything else shows NULL */
    int32_t key_bits; /* RSA modulus bits, EC field bits; <= 0 shows NULL */
    /* 1, 0 or CAT_KEY_BIT_NULL. */
    int8_t is_local;             /* CKA_LOCAL */
    int8_t is_sensitive;         /* CKA_SENSITIVE */
    int8_t is_always_sensitive;  /* CKA_ALWAYS_SENSITIVE */
    int8_t is_extractable;       /* CKA_EXTRACTABLE */
    int8_t is_never_extractable; /* CKA_NEVER_EXTRACTABLE */
    /* 1 when reading a private value (CKA_PRIVATE_EXPONENT, CKA_VALUE...) succeeded. */
    int8_t is_private_value_readable;
    bool meets_policy; /* mirrorkey's whole key policy (p11/policy.h) passed */
} cat_key_info;

/*
 * The source: fill *out for the private key with CKA_ID key_id[0..len).
 * *out starts zeroed with every bit CAT_KEY_BIT_NULL. A key or token that
 * cannot be read is not an error (leave found false); MK_ERR fails the
 * query. It must not call back into this cat_db.
 */
typedef mk_result (*cat_keyinfo_fn)(void *ctx, const uint8_t *key_id, size_t key_id_len,
                                    cat_key_info *out);

/* Register (or with fn NULL, remove) the key-info source for this cat_db. */
void cat_set_keyinfo_source(cat_db *db, cat_keyinfo_fn fn, void *ctx);

#endif
