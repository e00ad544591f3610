/*
 * KEYMGMT "EC": EC keys (named curves) whose private half lives on a PKCS#11 token.
 *
 * Keys arrive from our STORE by reference (load) or, public only, by import
 * from another provider (when OpenSSL compares a certificate's key with
 * ours). The public half is exportable (group name, point) so that encoders, certificate
 * matching and verification can run in the default provider; any export or
 * import that involves private components fails. The work is in key.c.
 */
#include "internal.h"

#include <openssl/core_names.h>
#include <openssl/params.h>

static OSSL_FUNC_keymgmt_new_fn mkprov_ec_new;
static OSSL_FUNC_keymgmt_free_fn mkprov_ec_free;
static OSSL_FUNC_keymgmt_load_fn mkprov_ec_load;
static OSSL_FUNC_keymgmt_dup_fn mkprov_ec_dup;
static OSSL_FUNC_keymgmt_has_fn mkprov_ec_has;
static OSSL_FUNC_keymgmt_match_fn mkprov_ec_match;
static OSSL_FUNC_keymgmt_import_fn mkprov_ec_import;
static OSSL_FUNC_keymgmt_import_types_fn mkprov_ec_import_types;
static OSSL_FUNC_keymgmt_export_fn mkprov_ec_export;
static OSSL_FUNC_keymgmt_export_types_fn mkprov_ec_export_types;
static OSSL_FUNC_keymgmt_get_params_fn mkprov_ec_get_params;
static OSSL_FUNC_keymgmt_gettable_params_fn mkprov_ec_gettable_params;
static OSSL_FUNC_keymgmt_query_operation_name_fn mkprov_ec_query_operation_name;

static void *mkprov_ec_new(void *provctx)
{
    mkprov_key *k = NULL;
    if (mk_failed(mkprov_key_new_empty(provctx, P11_KEY_EC, &k))) {
        MKPROV_ERR_RESULT(provctx, "new EC key", NULL);
        return NULL;
    }
    return k;
}

static void mkprov_ec_free(void *keydata) { mkprov_key_unref(keydata); }

static void *mkprov_ec_load(const void *reference, size_t reference_sz)
{
    mkprov_key *k = mkprov_key_from_reference(reference, reference_sz);
    if (k == NULL || mkprov_key_type(k) != P11_KEY_EC) {
        return NULL;
    }
    return mkprov_key_ref(k);
}

/* Keys are immutable once filled, so a duplicate is another reference. */
static void *mkprov_ec_dup(const void *keydata_from, int selection)
{
    (void)selection;
    return mkprov_key_ref((mkprov_key *)keydata_from);
}

static int mkprov_ec_has(const void *keydata, int selection)
{
    return mkprov_key_has(keydata, selection);
}

static int mkprov_ec_match(const void *keydata1, const void *keydata2, int selection)
{
    return mkprov_key_match(keydata1, keydata2, selection);
}

static int mkprov_ec_import(void *keydata, int selection, const OSSL_PARAM params[])
{
    return mkprov_key_import(keydata, selection, params);
}

static int mkprov_ec_export(void *keydata, int selection, OSSL_CALLBACK *cb, void *cbarg)
{
    return mkprov_key_export(keydata, selection, cb, cbarg);
}

static const OSSL_PARAM mkprov_ec_public_types[] = {
    OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, NULL, 0),
    OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, NULL, 0),
    OSSL_PARAM_END,
};

static const OSSL_PARAM mkprov_ec_param_types[] = {
    OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, NULL, 0),
    OSSL_PARAM_END,
};

static const OSSL_PARAM *mkprov_ec_types(int selection)
{
    if ((selection & OSSL_KEYMGMT_SELECT_PUBLIC_KEY) != 0) {
        return mkprov_ec_public_types;
    }
    return (selection & OSSL_KEYMGMT_SELECT_ALL_PARAMETERS) != 0 ? mkprov_ec_param_types : NULL;
}

static const OSSL_PARAM *mkprov_ec_import_types(int selection)
{
    return mkprov_ec_types(selection);
}

static const OSSL_PARAM *mkprov_ec_export_types(int selection)
{
    return mkprov_ec_types(selection);
}

static int mkprov_ec_get_params(void *keydata, OSSL_PARAM params[])
{
    return mkprov_key_get_params(keydata, params);
}

static const OSSL_PARAM mkprov_ec_gettable[] = {
    OSSL_PARAM_int(OSSL_PKEY_PARAM_BITS, NULL),
    OSSL_PARAM_int(OSSL_PKEY_PARAM_SECURITY_BITS, NULL),
    OSSL_PARAM_int(OSSL_PKEY_PARAM_MAX_SIZE, NULL),
    OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_DEFAULT_DIGEST, NULL, 0),
    OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, NULL, 0),
    OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, NULL, 0),
    OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, NULL, 0),
    OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT, NULL, 0),
    OSSL_PARAM_END,
};

static const OSSL_PARAM *mkprov_ec_gettable_params(void *provctx)
{
    (void)provctx;
    return mkprov_ec_gettable;
}

/* Signatures with EC keys are "ECDSA"; nothing else (no ECDH on the token). */
static const char *mkprov_ec_query_operation_name(int operation_id)
{
    return operation_id == OSSL_OP_SIGNATURE ? "ECDSA" : NULL;
}

const OSSL_DISPATCH mkprov_ec_keymgmt_functions[] = {
    {OSSL_FUNC_KEYMGMT_NEW, (void (*)(void))mkprov_ec_new},
    {OSSL_FUNC_KEYMGMT_FREE, (void (*)(void))mkprov_ec_free},
    {OSSL_FUNC_KEYMGMT_LOAD, (void (*)(void))mkprov_ec_load},
    {OSSL_FUNC_KEYMGMT_DUP, (void (*)(void))mkprov_ec_dup},
    {OSSL_FUNC_KEYMGMT_HAS, (void (*)(void))mkprov_ec_has},
    {OSSL_FUNC_KEYMGMT_MATCH, (void (*)(void))mkprov_ec_match},
    {OSSL_FUNC_KEYMGMT_IMPORT, (void (*)(void))mkprov_ec_import},
    {OSSL_FUNC_KEYMGMT_IMPORT_TYPES, (void (*)(void))mkprov_ec_import_types},
    {OSSL_FUNC_KEYMGMT_EXPORT, (void (*)(void))mkprov_ec_export},
    {OSSL_FUNC_KEYMGMT_EXPORT_TYPES, (void (*)(void))mkprov_ec_export_types},
    {OSSL_FUNC_KEYMGMT_GET_PARAMS, (void (*)(void))mkprov_ec_get_params},
    {OSSL_FUNC_KEYMGMT_GETTABLE_PARAMS, (void (*)(void))mkprov_ec_gettable_params},
    {OSSL_FUNC_KEYMGMT_QUERY_OPERATION_NAME, (void (*)(void))mkprov_ec_query_operation_name},
    {0, NULL},
};
