/*
 * Certificates in master. The catalog keeps the public certificate (DER)
 * and the metadata sys.certificates shows, derived from the DER itself so
 * the two cannot disagree. A certificate whose private key is on the token
 * records the key's CKA_ID and label (pvt_key_encryption_type 'HS',
 * STORED_IN_HSM); an imported peer certificate has none ('NA',
 * NO_PRIVATE_KEY). Private key bytes are never stored here.
 *
 * Ids: certificate_id from 256 up. Owner: a user of master (default dbo).
 * Names and thumbprints are unique (CREATE CERTIFICATE's 15232 covers both).
 */
#ifndef CAT_CERTS_H
#define CAT_CERTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "catalog/catalog.h"
#include "mk/result.h"

#define CAT_FIRST_CERT_ID 256
#define CAT_THUMBPRINT_LEN 20
#define CAT_CERT_DER_MAX 65536
#define CAT_TOKEN_ID_MAX 256

/* What sys.certificates shows, as read from a DER certificate. */
typedef struct cat_cert_meta {
    char *subject;       /* the subject CN, or the one-line DN when there is no CN */
    char *issuer_name;   /* the issuer CN, likewise */
    char *serial;        /* "0a 1b ..": lowercase hex bytes, big-endian, space separated */
    int64_t start_date;  /* notBefore, ms since epoch (UTC) */
    int64_t expiry_date; /* notAfter */
    uint8_t thumbprint[CAT_THUMBPRINT_LEN]; /* SHA-1 of the DER */
    int32_t key_length;                     /* public key bits */
} cat_cert_meta;

/*
 * Parse der[0..len) with OpenSSL and fill *out (owned; cat_cert_meta_cleanup).
 * The whole input must be one certificate with a public key OpenSSL can
 * read. Errors: MK_E_INVALID + CAT_R_CERT_INVALID (not a certificate,
 * trailing bytes, unreadable key or dates, text over caps), MK_E_TOOBIG
 * (over CAT_CERT_DER_MAX), MK_E_NOMEM.
 */
MK_RESULT cat_cert_meta_from_der(const uint8_t *der, size_t len, cat_cert_meta *out);
void cat_cert_meta_cleanup(cat_cert_meta *m);

/*
 * owner_id value meaning "the default owner", dbo. It is 0, public's id:
 * public is a role and can never own a certificate, so 0 is free for this.
 */
#define CAT_DEFAULT_OWNER 0

/* A certificate to add (all pointers borrowed). */
typedef struct cat_cert_new {
    const char *name;
    int32_t owner_id; /* database user, or CAT_DEFAULT_OWNER (dbo) */
    const uint8_t *der;
    size_t der_len;
    /* Private key on the token: CKA_ID (1..CAT_TOKEN_ID_MAX bytes) and label. */
    const uint8_t *token_id; /* NULL: no private key ('NA') */
    size_t token_id_len;
    const char *token_label; /* may be NULL */
    bool active_for_begin_dialog;
} cat_cert_new;

/*
 * Add a certificate. Errors (nothing is stored):
 *   MK_E_INVALID                       bad name, token id length
 *   MK_E_INVALID + CAT_R_CERT_INVALID  the DER does not parse
 *   MK_E_NOT_FOUND + CAT_R_USER_MISSING  owner is not a database principal
 *   MK_E_INVALID + CAT_R_NOT_A_USER    owner is a role
 *   MK_E_EXISTS + CAT_R_EXISTS         same name, or same thumbprint (object = existing name)
 */
MK_RESULT cat_cert_create(cat_db *db, const cat_cert_new *c, int32_t *certificate_id);

/* A stored certificate (owned buffers; cat_cert_cleanup). */
typedef struct cat_cert {
    int32_t certificate_id;
    int32_t principal_id;
    char name[CAT_NAME_MAX + 1];
    char pvt_key_encryption_type[3]; /* "NA" or "HS" */
    bool active_for_begin_dialog;
    cat_cert_meta meta;
    uint8_t *der;
    size_t der_len;
    uint8_t *token_id; /* NULL when 'NA' */
    size_t token_id_len;
    char *token_label; /* NULL when none */
    bool has_backup_date;
    int64_t last_backup_date;
} cat_cert;

void cat_cert_cleanup(cat_cert *c);

/* Lookups. MK_E_NOT_FOUND + CAT_R_CERT_MISSING when nothing matches. */
MK_RESULT cat_cert_get_by_name(cat_db *db, const char *name, cat_cert *out);
MK_RESULT cat_cert_get_by_id(cat_db *db, int32_t certificate_id, cat_cert *out);
MK_RESULT cat_cert_get_by_thumbprint(cat_db *db, const uint8_t thumbprint[CAT_THUMBPRINT_LEN],
                                     cat_cert *out);
/* Exact DER match (the endpoint authenticates peers this way). */
MK_RESULT cat_cert_get_by_der(cat_db *db, const uint8_t *der, size_t len, cat_cert *out);

/*
 * DROP CERTIFICATE. MK_E_NOT_FOUND + CAT_R_CERT_MISSING; MK_E_STATE +
 * CAT_R_CERT_USED_BY_ENDPOINT (object = the endpoint's name).
 */
MK_RESULT cat_cert_drop(cat_db *db, const char *name);

/* BACKUP CERTIFICATE: record when. MK_E_NOT_FOUND + CAT_R_CERT_MISSING. */
MK_RESULT cat_cert_set_backup_date(cat_db *db, const char *name, int64_t when_ms);

/*
 * ALTER AUTHORIZATION ON CERTIFICATE: new owner user or CAT_DEFAULT_OWNER.
 * Errors: MK_E_NOT_FOUND + CAT_R_CERT_MISSING, and the owner errors of
 * cat_cert_create.
 */
MK_RESULT cat_cert_set_owner(cat_db *db, const char *name, int32_t owner_id);

#endif
