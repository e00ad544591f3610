/*
 * The attribute policy report (see p11/policy.h): one C_GetAttributeValue per
 * attribute so that each answer is recorded on its own (a template with one
 * sensitive attribute fails as a whole, PKCS#11 v2.40 §5.7 C_GetAttributeValue).
 */
#include "p11/policy.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "internal.h"

typedef struct check_def {
    CK_ATTRIBUTE_TYPE attr;
    const char *name;
    p11_policy_expect expect;
} check_def;

#define C(a, e)                                                                                    \
    {                                                                                              \
        a, #a, e                                                                                   \
    }
#define T P11_EXPECT_TRUE
#define F P11_EXPECT_FALSE
#define S P11_EXPECT_SENSITIVE

/* Common to every key we generate: it stays on the token and was born secret there. */
#define COMMON                                                                                     \
    C(CKA_TOKEN, T), C(CKA_PRIVATE, T), C(CKA_SENSITIVE, T), C(CKA_ALWAYS_SENSITIVE, T),           \
        C(CKA_EXTRACTABLE, F), C(CKA_NEVER_EXTRACTABLE, T), C(CKA_LOCAL, T)

static const check_def rsa_checks[] = {
    COMMON,
    C(CKA_SIGN, T),
    C(CKA_DECRYPT, T),
    C(CKA_UNWRAP, F),
    C(CKA_DERIVE, F),
    C(CKA_PRIVATE_EXPONENT, S),
    C(CKA_PRIME_1, S),
    C(CKA_PRIME_2, S),
};

static const check_def ec_checks[] = {
    COMMON, C(CKA_SIGN, T), C(CKA_DECRYPT, F), C(CKA_UNWRAP, F), C(CKA_DERIVE, F), C(CKA_VALUE, S),
};

static const check_def aes_checks[] = {
    COMMON,         C(CKA_ENCRYPT, T), C(CKA_DECRYPT, T), C(CKA_SIGN, F),  C(CKA_VERIFY, F),
    C(CKA_WRAP, F), C(CKA_UNWRAP, F),  C(CKA_DERIVE, F),  C(CKA_VALUE, S),
};

#undef C
#undef T
#undef F
#undef S

static _Atomic CK_ATTRIBUTE_TYPE g_debug_fail = (CK_ATTRIBUTE_TYPE)-1;

void p11_policy_debug_fail(CK_ATTRIBUTE_TYPE attr) { atomic_store(&g_debug_fail, attr); }

/* One attribute; a token-loss answer aborts the report. */
static MK_RESULT run_check(p11_session *s, CK_OBJECT_HANDLE h, const check_def *d,
                           p11_policy_check *out)
{
    out->attr = d->attr;
    out->name = d->name;
    out->expect = d->expect;
    out->value = false;
    if (d->expect == P11_EXPECT_SENSITIVE) {
        /* A real read into a buffer: if the token hands the value out, policy fails. */
        unsigned char buf[1024];
        CK_ATTRIBUTE a = {d->attr, buf, sizeof(buf)};
        out->rv = s->f->C_GetAttributeValue(s->h, h, &a, 1);
        OPENSSL_cleanse(buf, sizeof(buf));
        out->ok = out->rv == CKR_ATTRIBUTE_SENSITIVE;
    } else {
        CK_BBOOL v = CK_FALSE;
        CK_ATTRIBUTE a = {d->attr, &v, sizeof(v)};
        out->rv = s->f->C_GetAttributeValue(s->h, h, &a, 1);
        out->value = out->rv == CKR_OK && a.ulValueLen == sizeof(v) && v == CK_TRUE;
        out->ok = out->rv == CKR_OK && a.ulValueLen == sizeof(v) &&
                  out->value == (d->expect == P11_EXPECT_TRUE);
    }
    if (d->attr == atomic_load(&g_debug_fail)) {
        out->ok = false;
    }
    if (p11_rv_is_token_lost(out->rv)) {
        return p11_session_fail(s, "C_GetAttributeValue", out->rv);
    }
    return MK_OK;
}

typedef struct policy_set {
    CK_KEY_TYPE kt;
    const char *kind;
    const check_def *defs;
    size_t n;
} policy_set;

#define SET(kt, kind, defs)                                                                        \
    {                                                                                              \
        kt, kind, defs, sizeof(defs) / sizeof(defs[0])                                             \
    }
static const policy_set sets[] = {
    SET(CKK_RSA, "RSA private key", rsa_checks),
    SET(CKK_EC, "EC private key", ec_checks),
    SET(CKK_AES, "AES secret key", aes_checks),
};
#undef SET

MK_RESULT p11_policy_run(p11_session *s, CK_OBJECT_HANDLE h, CK_KEY_TYPE kt, const char *what,
                         p11_policy_report *r)
{
    const policy_set *set = NULL;
    for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
        if (sets[i].kt == kt) {
            set = &sets[i];
        }
    }
    ENSURE_MSG(set != NULL, MK_E_INVALID, "no policy for key type 0x%lx", (unsigned long)kt);
    memset(r, 0, sizeof(*r));
    snprintf(r->object, sizeof(r->object), "%s '%.60s'", set->kind, what);
    r->pass = true;
    for (size_t i = 0; i < set->n && i < P11_POLICY_MAX_CHECKS; i++) {
        GUARD(run_check(s, h, &set->defs[i], &r->checks[i]));
        r->count++;
        r->pass = r->pass && r->checks[i].ok;
    }
    return MK_OK;
}

const p11_policy_check *p11_policy_report_find(const p11_policy_report *r, CK_ATTRIBUTE_TYPE attr)
{
    for (size_t i = 0; i < r->count; i++) {
        if (r->checks[i].attr == attr) {
            return &r->checks[i];
        }
    }
    return NULL;
}

static const char *expected_text(p11_policy_expect e)
{
    switch (e) {
    case P11_EXPECT_TRUE: return "TRUE";
    case P11_EXPECT_FALSE: return "FALSE";
    case P11_EXPECT_SENSITIVE: return "CKR_ATTRIBUTE_SENSITIVE";
    }
    return "?";
}

static const char *observed_text(const p11_policy_check *c)
{
    if (c->expect == P11_EXPECT_SENSITIVE || c->rv != CKR_OK) {
        return c->rv == CKR_OK ? "readable" : p11_rv_name(c->rv);
    }
    return c->value ? "TRUE" : "FALSE";
}

MK_RESULT p11_policy_render(const p11_policy_report *r, mk_buf *out)
{
    for (size_t i = 0; i < r->count; i++) {
        const p11_policy_check *c = &r->checks[i];
        GUARD(mk_buf_printf(out, "%-24s expect %-24s token: %-26s %s\n", c->name,
                            expected_text(c->expect), observed_text(c), c->ok ? "ok" : "FAIL"));
    }
    GUARD(mk_buf_printf(out, "policy for %s: %s\n", r->object, r->pass ? "PASS" : "FAIL"));
    return mk_buf_terminate(out);
}
