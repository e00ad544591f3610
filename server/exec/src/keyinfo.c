/*
 * The key-info source behind sys.mirrorkey_certificate_keys (catalog/
 * keyinfo.h): for a certificate's CKA_ID, find its private key on the
 * instance's token and run the same attribute policy report that key
 * generation and `mirrorkey token report` use (p11/policy.h), so the view
 * shows what the token says now, not what was true at creation.
 *
 * A key that is gone, a token that is away or a report that cannot be
 * produced is not an error: the row shows NULL attributes and meets_policy
 * 0, and the reason goes to the log.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "mk/log.h"
#include "p11/keygen.h"
#include "p11/policy.h"

/* A boolean attribute as the report read it, or CAT_KEY_BIT_NULL. */
static int8_t report_bit(const p11_policy_report *r, CK_ATTRIBUTE_TYPE attr)
{
    const p11_policy_check *c = p11_policy_report_find(r, attr);
    if (c == NULL || c->expect == P11_EXPECT_SENSITIVE || c->rv != CKR_OK) {
        return CAT_KEY_BIT_NULL;
    }
    return c->value ? 1 : 0;
}

/* 1 when any private-value read succeeded, 0 when every one was refused. */
static int8_t private_value_readable(const p11_policy_report *r)
{
    int8_t out = CAT_KEY_BIT_NULL;
    for (size_t i = 0; i < r->count; i++) {
        if (r->checks[i].expect != P11_EXPECT_SENSITIVE) {
            continue;
        }
        if (r->checks[i].rv == CKR_OK) {
            return 1;
        }
        out = 0;
    }
    return out;
}

static void fill_from_report(const p11_key *key, const p11_policy_report *r, cat_key_info *out)
{
    out->found = true;
    strcpy(out->key_type, p11_key_get_type(key) == P11_KEY_RSA ? "RSA" : "EC");
    out->key_bits = (int32_t)p11_key_bits(key);
    out->is_local = report_bit(r, CKA_LOCAL);
    out->is_sensitive = report_bit(r, CKA_SENSITIVE);
    out->is_always_sensitive = report_bit(r, CKA_ALWAYS_SENSITIVE);
    out->is_extractable = report_bit(r, CKA_EXTRACTABLE);
    out->is_never_extractable = report_bit(r, CKA_NEVER_EXTRACTABLE);
    out->is_private_value_readable = private_value_readable(r);
    out->meets_policy = r->pass;
}

mk_result exec_keyinfo_source(void *arg, const uint8_t *key_id, size_t key_id_len,
                              cat_key_info *out)
{
    const exec_instance *inst = arg;
    if (inst == NULL || inst->token == NULL) {
        return MK_OK; /* no token configured: nothing known */
    }
    const p11_token_info *ti = p11_token_get_info(inst->token);
    snprintf(out->token_label, sizeof(out->token_label), "%s", ti->label);
    p11_key *key = NULL;
    p11_policy_report report;
    if (mk_failed(p11_key_find_by_id(inst->token, key_id, key_id_len, &key))) {
        mk_log_error_result(mk_error_code() == MK_E_NOT_FOUND ? MK_LOG_DEBUG : MK_LOG_WARN,
                            "sys.mirrorkey_certificate_keys: finding a certificate key");
        return MK_OK;
    }
    if (mk_failed(p11_key_policy_check(key, &report))) {
        mk_log_error_result(MK_LOG_WARN, "sys.mirrorkey_certificate_keys: reading a key's "
                                         "attributes");
    } else {
        fill_from_report(key, &report, out);
    }
    p11_key_unref(key);
    return MK_OK;
}
