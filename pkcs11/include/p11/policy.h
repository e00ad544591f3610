/*
 * Attribute policy report: what the token says about a key it generated, and
 * whether that meets mirrorkey's policy. This is the key ceremony's proof
 * that a private key cannot leave the token.
 *
 * For a private key (RSA, EC) or a protector secret key the report reads back
 * CKA_TOKEN, CKA_PRIVATE, CKA_SENSITIVE, CKA_ALWAYS_SENSITIVE,
 * CKA_EXTRACTABLE, CKA_NEVER_EXTRACTABLE, CKA_LOCAL and the usage flags, and
 * tries to read the secret value (CKA_PRIVATE_EXPONENT, CKA_PRIME_1,
 * CKA_PRIME_2 for RSA; CKA_VALUE for EC and AES), which must fail with
 * CKR_ATTRIBUTE_SENSITIVE. Some tokens report flags wrongly: the report keeps
 * what the token said for each attribute next to the verdict.
 */
#ifndef P11_POLICY_H
#define P11_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include <p11-kit/pkcs11.h>

#include "mk/buf.h"
#include "mk/result.h"

#define P11_POLICY_MAX_CHECKS 24

typedef enum p11_policy_expect {
    P11_EXPECT_TRUE = 1,      /* boolean attribute must read CK_TRUE */
    P11_EXPECT_FALSE = 2,     /* boolean attribute must read CK_FALSE */
    P11_EXPECT_SENSITIVE = 3, /* reading must fail with CKR_ATTRIBUTE_SENSITIVE */
} p11_policy_expect;

typedef struct p11_policy_check {
    CK_ATTRIBUTE_TYPE attr;
    const char *name; /* "CKA_SENSITIVE" (static) */
    p11_policy_expect expect;
    CK_RV rv;   /* what C_GetAttributeValue said for this attribute alone */
    bool value; /* the boolean read; meaningful when rv == CKR_OK */
    bool ok;    /* this check meets policy */
} p11_policy_check;

typedef struct p11_policy_report {
    char object[96]; /* "RSA private key 'label'" */
    size_t count;
    p11_policy_check checks[P11_POLICY_MAX_CHECKS];
    bool pass; /* every check ok */
} p11_policy_report;

/* The check for attr in the report, or NULL when it was not part of it. */
const p11_policy_check *p11_policy_report_find(const p11_policy_report *r, CK_ATTRIBUTE_TYPE attr);

/*
 * Human rendering appended to out, one line per check and a final verdict:
 *   "CKA_SENSITIVE          expect TRUE     token: TRUE      ok"
 *   "CKA_PRIVATE_EXPONENT   expect CKR_ATTRIBUTE_SENSITIVE  token: CKR_ATTRIBUTE_SENSITIVE  ok"
 *   "policy for RSA private key 'x': PASS"
 * NUL-terminated (len excludes the NUL). Errors: MK_E_NOMEM, MK_E_TOOBIG.
 */
MK_RESULT p11_policy_render(const p11_policy_report *r, mk_buf *out);

/*
 * For tests only: make the check of `attr` fail in every report from now on,
 * as if the token had answered wrongly (pass (CK_ATTRIBUTE_TYPE)-1 to stop).
 * It can only make a report stricter; it lets tests drive the "policy not
 * met: destroy the new objects" path of key generation.
 */
void p11_policy_debug_fail(CK_ATTRIBUTE_TYPE attr);

#endif
