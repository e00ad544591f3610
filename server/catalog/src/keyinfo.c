/*
 * The live part of sys.mirrorkey_certificate_keys (catalog/keyinfo.h): for
 * each 'HS' certificate row the view's SQL produced, ask the registered
 * source what the token says about the key with that CKA_ID, and turn the
 * answer into column values. What the source hands back is checked here
 * (known key types, valid UTF-8 labels), so a confused token shows NULL
 * rather than garbage.
 */
#include <string.h>

#include "internal.h"

void cat_set_keyinfo_source(cat_db *db, cat_keyinfo_fn fn, void *ctx)
{
    db->keyinfo_fn = fn;
    db->keyinfo_ctx = fn != NULL ? ctx : NULL;
}

static mk_value bit_or_null(int8_t v)
{
    return v == 0 || v == 1 ? mk_value_int(v) : mk_value_null();
}

/* A NUL-terminated text field of the source's answer, or NULL when empty or not UTF-8. */
static mk_value text_or_null(char *text, size_t cap)
{
    text[cap - 1] = '\0';
    size_t len = strlen(text);
    if (len == 0 || !cat_utf8_valid((const uint8_t *)text, len, NULL)) {
        return mk_value_null();
    }
    return mk_value_bytes(text, len);
}

/* Ask the source about key_id; *info starts with nothing known. */
static mk_result ask_source(cat_db *db, const mk_value *key_id, cat_key_info *info)
{
    memset(info, 0, sizeof(*info));
    info->is_local = info->is_sensitive = info->is_always_sensitive = CAT_KEY_BIT_NULL;
    info->is_extractable = info->is_never_extractable = CAT_KEY_BIT_NULL;
    info->is_private_value_readable = CAT_KEY_BIT_NULL;
    if (db->keyinfo_fn == NULL || key_id->is_null || key_id->len == 0) {
        return MK_OK;
    }
    if (mk_failed(db->keyinfo_fn(db->keyinfo_ctx, key_id->bytes, key_id->len, info))) {
        mk_error_context("reading certificate keys from the token");
        return MK_ERR;
    }
    return MK_OK;
}

mk_result cat_keyinfo_fill(cat_db *db, mk_value *row, cat_live_scratch *scratch)
{
    static const int attribute_cols[] = {
        CAT_KEYV_KEY_TYPE,
        CAT_KEYV_KEY_BITS,
        CAT_KEYV_IS_LOCAL,
        CAT_KEYV_IS_SENSITIVE,
        CAT_KEYV_IS_ALWAYS_SENSITIVE,
        CAT_KEYV_IS_EXTRACTABLE,
        CAT_KEYV_IS_NEVER_EXTRACTABLE,
        CAT_KEYV_IS_PRIVATE_VALUE_READABLE,
    };
    cat_key_info *info = &scratch->key;
    GUARD(ask_source(db, &row[CAT_KEYV_KEY_ID], info));
    row[CAT_KEYV_TOKEN_LABEL] = text_or_null(info->token_label, sizeof(info->token_label));
    row[CAT_KEYV_CHECKED_AT] = mk_value_int(cat_now_ms());
    row[CAT_KEYV_MEETS_POLICY] = mk_value_int(info->found && info->meets_policy ? 1 : 0);
    for (size_t i = 0; i < sizeof(attribute_cols) / sizeof(attribute_cols[0]); i++) {
        row[attribute_cols[i]] = mk_value_null();
    }
    if (!info->found) {
        return MK_OK;
    }
    info->key_type[sizeof(info->key_type) - 1] = '\0';
    if (strcmp(info->key_type, "RSA") == 0 || strcmp(info->key_type, "EC") == 0) {
        row[CAT_KEYV_KEY_TYPE] = mk_value_text(info->key_type);
    }
    if (info->key_bits > 0) {
        row[CAT_KEYV_KEY_BITS] = mk_value_int(info->key_bits);
    }
    row[CAT_KEYV_IS_LOCAL] = bit_or_null(info->is_local);
    row[CAT_KEYV_IS_SENSITIVE] = bit_or_null(info->is_sensitive);
    row[CAT_KEYV_IS_ALWAYS_SENSITIVE] = bit_or_null(info->is_always_sensitive);
    row[CAT_KEYV_IS_EXTRACTABLE] = bit_or_null(info->is_extractable);
    row[CAT_KEYV_IS_NEVER_EXTRACTABLE] = bit_or_null(info->is_never_extractable);
    row[CAT_KEYV_IS_PRIVATE_VALUE_READABLE] = bit_or_null(info->is_private_value_readable);
    return MK_OK;
}
