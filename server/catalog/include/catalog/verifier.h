/*
 * Login password verifiers and SQL Server's password policy check.
 *
 * A verifier is PBKDF2-HMAC-SHA256 over the password's UTF-8 bytes with a
 * 16-byte random salt; the iteration count is stored beside the salt and the
 * 32-byte hash, so it can be raised later without breaking old verifiers.
 * New verifiers use at least CAT_PBKDF2_MIN_ITERATIONS unless a test lowered
 * the count with cat_verifier_set_iterations_for_tests(). Checks compare in
 * constant time. Passwords are borrowed (pointer, length), never stored,
 * copied to unwiped memory or logged.
 */
#ifndef CAT_VERIFIER_H
#define CAT_VERIFIER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mk/result.h"

#define CAT_PBKDF2_MIN_ITERATIONS 600000u
#define CAT_VERIFIER_SALT_LEN 16
#define CAT_VERIFIER_HASH_LEN 32
/* Hard caps: passwords (bytes of UTF-8) and stored iteration counts. */
#define CAT_PASSWORD_MAX_BYTES 1024
#define CAT_PBKDF2_MAX_ITERATIONS 100000000u

typedef struct cat_verifier {
    uint32_t iterations;
    uint8_t salt[CAT_VERIFIER_SALT_LEN];
    uint8_t hash[CAT_VERIFIER_HASH_LEN];
} cat_verifier;

/*
 * Make a verifier for pw[0..len) with a fresh random salt and the current
 * iteration count. len may be 0 (CHECK_POLICY = OFF allows an empty
 * password). Errors: MK_E_TOOBIG (len over CAT_PASSWORD_MAX_BYTES),
 * MK_E_CRYPTO (RNG or KDF failure). The output holds no password bytes.
 */
MK_RESULT cat_verifier_make(const uint8_t *pw, size_t len, cat_verifier *out);

/*
 * Recompute with v's salt and iterations and compare in constant time.
 * *match is set on success. Errors: MK_E_INVALID (iteration count 0 or over
 * CAT_PBKDF2_MAX_ITERATIONS: a corrupt verifier), MK_E_TOOBIG, MK_E_CRYPTO.
 */
MK_RESULT cat_verifier_check(const cat_verifier *v, const uint8_t *pw, size_t len, bool *match);

/*
 * The iteration count new verifiers get (default CAT_PBKDF2_MIN_ITERATIONS).
 * Tests only: lowers it so that unit tests run fast; n = 0 restores the
 * default. Process-wide; not thread-safe against concurrent verifier_make.
 * Existing verifiers keep their stored count.
 */
void cat_verifier_set_iterations_for_tests(uint32_t n);
uint32_t cat_verifier_iterations(void);

/* Which SQL Server password policy rule a password breaks. */
typedef enum cat_pw_rule {
    CAT_PW_OK = 0,
    CAT_PW_TOO_SHORT,     /* under 8 characters: 15116 */
    CAT_PW_TOO_LONG,      /* over 128 characters (SQL Server's hard limit) */
    CAT_PW_CONTAINS_NAME, /* contains the login name: 15118 (Windows counts it as complexity) */
    CAT_PW_NOT_COMPLEX,   /* fewer than 3 of upper/lower/digit/other: 15118 */
    CAT_PW_BAD_UTF8,      /* not valid UTF-8 */
} cat_pw_rule;

/*
 * SQL Server's CHECK_POLICY rules as Windows applies them: 8..128
 * characters (code points); must not contain the login name, compared
 * case-insensitively, when the name has 3 or more characters (the Windows
 * rule); characters from at least three of: A-Z, a-z, 0-9, anything else
 * (non-ASCII characters count as "anything else"). Rules are checked in the
 * order of the enum; the first broken one is returned. login may be NULL.
 */
cat_pw_rule cat_password_policy_check(const char *login, const uint8_t *pw, size_t len);
const char *cat_pw_rule_name(cat_pw_rule r);

#endif
