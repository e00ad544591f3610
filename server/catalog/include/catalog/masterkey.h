/*
 * The database master key of master, as stored: one row with its key_guid,
 * dates and sealed blobs. The blobs are opaque bytes produced by the key
 * hierarchy layer (server/keys): a "protector" blob (sealed by the token's
 * AES protector, always present) and at most one "password" blob (sealed
 * under a password-derived key). The catalog never sees key bytes and does
 * no cryptography on these blobs. Shown in sys.symmetric_keys as
 * ##MS_DatabaseMasterKey## (AES_256, key_algorithm 'A3', id 101).
 */
#ifndef CAT_MASTERKEY_H
#define CAT_MASTERKEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "catalog/catalog.h"
#include "mk/result.h"

#define CAT_MK_BLOB_MAX 65536

typedef struct cat_masterkey {
    char key_guid[37]; /* "XXXXXXXX-XXXX-4XXX-YXXX-XXXXXXXXXXXX" */
    int64_t create_date;
    int64_t modify_date;
    uint8_t *protector_blob; /* owned */
    size_t protector_len;
    uint8_t *password_blob; /* owned; NULL when there is none */
    size_t password_len;
} cat_masterkey;

void cat_masterkey_cleanup(cat_masterkey *mk);

/*
 * CREATE MASTER KEY: store the blobs (password may be NULL) with a fresh
 * random key_guid. Errors: MK_E_EXISTS + CAT_R_MASTER_KEY_EXISTS (15578),
 * MK_E_INVALID (empty protector), MK_E_TOOBIG (over CAT_MK_BLOB_MAX).
 */
MK_RESULT cat_masterkey_create(cat_db *db, const uint8_t *protector, size_t protector_len,
                               const uint8_t *password, size_t password_len);

/* Read it. MK_E_NOT_FOUND + CAT_R_MASTER_KEY_MISSING. */
MK_RESULT cat_masterkey_get(cat_db *db, cat_masterkey *out);

/* Whether a master key exists. */
MK_RESULT cat_masterkey_exists(cat_db *db, bool *exists);

/*
 * Replace blobs and bump modify_date. protector NULL keeps the current one.
 * For the password blob: set_password false keeps it; true replaces it with
 * password[0..len), or removes it when password is NULL (ALTER MASTER KEY
 * DROP ENCRYPTION BY PASSWORD). REGENERATE passes both. Errors:
 * MK_E_NOT_FOUND + CAT_R_MASTER_KEY_MISSING, MK_E_TOOBIG, MK_E_INVALID.
 */
MK_RESULT cat_masterkey_update(cat_db *db, const uint8_t *protector, size_t protector_len,
                               bool set_password, const uint8_t *password, size_t password_len);

/* DROP MASTER KEY. MK_E_NOT_FOUND + CAT_R_MASTER_KEY_MISSING. */
MK_RESULT cat_masterkey_drop(cat_db *db);

#endif
