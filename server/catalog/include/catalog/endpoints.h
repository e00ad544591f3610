/*
 * The instance's DATABASE_MIRRORING endpoint (at most one, like SQL Server).
 * Codes are SQL Server's: protocol 2 = TCP, type 4 = DATABASE_MIRRORING,
 * state 0 STARTED / 1 STOPPED / 2 DISABLED, role 0 NONE / 1 PARTNER /
 * 2 WITNESS / 3 ALL, connection_auth 4 = CERTIFICATE (1..10 as in
 * sys.database_mirroring_endpoints), encryption_algorithm 0..8 (2 = AES,
 * 4 = "NONE, AES"). Ids from 65536 up. The owner is a SQL login; the
 * certificate, when given, must exist and cannot be dropped while used.
 * Dropping the endpoint removes the permissions on it.
 */
#ifndef CAT_ENDPOINTS_H
#define CAT_ENDPOINTS_H

#include <stdbool.h>
#include <stdint.h>

#include "catalog/catalog.h"
#include "mk/result.h"

#define CAT_FIRST_ENDPOINT_ID 65536

enum cat_ep_state { CAT_EP_STARTED = 0, CAT_EP_STOPPED = 1, CAT_EP_DISABLED = 2 };
enum cat_ep_role { CAT_EP_ROLE_NONE = 0, CAT_EP_PARTNER = 1, CAT_EP_WITNESS = 2, CAT_EP_ALL = 3 };
enum { CAT_EP_AUTH_CERTIFICATE = 4, CAT_EP_ALG_AES = 2, CAT_EP_ALG_NONE_AES = 4 };

typedef struct cat_endpoint {
    int32_t endpoint_id; /* output only */
    char name[CAT_NAME_MAX + 1];
    int32_t owner_id; /* server principal (login) */
    int state;
    int port;            /* 1..65535 */
    char ip_address[46]; /* "" = LISTENER_IP = ALL */
    int role;
    bool encryption_enabled;
    int encryption_algorithm;
    int connection_auth;
    int32_t certificate_id; /* 0 = none */
} cat_endpoint;

/*
 * CREATE ENDPOINT. Errors (nothing stored):
 *   MK_E_INVALID                          bad name or a value out of range
 *   MK_E_EXISTS + CAT_R_ENDPOINT_TYPE_EXISTS  a mirroring endpoint exists (object): 7862;
 *                                         this also covers a taken name, as every
 *                                         endpoint is the mirroring endpoint
 *   MK_E_NOT_FOUND + CAT_R_LOGIN_MISSING  owner is not a SQL login
 *   MK_E_NOT_FOUND + CAT_R_CERT_MISSING   certificate_id unknown
 */
MK_RESULT cat_endpoint_create(cat_db *db, const cat_endpoint *ep, int32_t *endpoint_id);

/* Which fields cat_endpoint_alter changes. */
enum cat_ep_field {
    CAT_EPF_STATE = 1u << 0,
    CAT_EPF_PORT = 1u << 1,
    CAT_EPF_IP = 1u << 2,
    CAT_EPF_ROLE = 1u << 3,
    CAT_EPF_ENCRYPTION = 1u << 4, /* encryption_enabled and encryption_algorithm */
    CAT_EPF_AUTH = 1u << 5,       /* connection_auth and certificate_id */
    CAT_EPF_OWNER = 1u << 6,      /* ALTER AUTHORIZATION ON ENDPOINT */
};

/*
 * ALTER ENDPOINT name: copy the named fields from *values, leave the rest.
 * fields == 0: MK_E_INVALID + CAT_R_NOTHING_TO_CHANGE. Other errors as for
 * create, plus MK_E_NOT_FOUND + CAT_R_ENDPOINT_MISSING.
 */
MK_RESULT cat_endpoint_alter(cat_db *db, const char *name, const cat_endpoint *values,
                             unsigned fields);

/* DROP ENDPOINT (and its permissions). MK_E_NOT_FOUND + CAT_R_ENDPOINT_MISSING. */
MK_RESULT cat_endpoint_drop(cat_db *db, const char *name);

/* Lookups. MK_E_NOT_FOUND + CAT_R_ENDPOINT_MISSING. */
MK_RESULT cat_endpoint_get(cat_db *db, const char *name, cat_endpoint *out);
MK_RESULT cat_endpoint_get_by_id(cat_db *db, int32_t endpoint_id, cat_endpoint *out);
/* The mirroring endpoint, if any: *found false when there is none. */
MK_RESULT cat_endpoint_get_mirroring(cat_db *db, cat_endpoint *out, bool *found);

#endif
