/*
 * SQL Server's CHECK_POLICY password rules (CREATE LOGIN / ALTER LOGIN),
 * which are the Windows "complexity requirements" plus SQL Server's length
 * limits: at least 8 and at most 128 characters, no copy of the account name
 * (names shorter than 3 characters are not checked, as on Windows), and
 * characters from three of four classes. A pure function: the executor maps
 * the rule to 15116 / 15118.
 */
#include "catalog/verifier.h"

#include <string.h>

#include "internal.h"

#define CAT_PW_MIN_CHARS 8
#define CAT_PW_MAX_CHARS 128
#define CAT_PW_NAME_MIN 3

static uint8_t lower(uint8_t c) { return c >= 'A' && c <= 'Z' ? (uint8_t)(c - 'A' + 'a') : c; }

/* Whether pw contains name, ASCII case-insensitively. */
static bool contains_name(const uint8_t *pw, size_t len, const char *name)
{
    size_t nlen = strlen(name);
    if (nlen == 0 || nlen > len) {
        return false;
    }
    for (size_t i = 0; i + nlen <= len; i++) {
        size_t k = 0;
        while (k < nlen && lower(pw[i + k]) == lower((uint8_t)name[k])) {
            k++;
        }
        if (k == nlen) {
            return true;
        }
    }
    return false;
}

static int character_classes(const uint8_t *pw, size_t len)
{
    bool upper = false, low = false, digit = false, other = false;
    for (size_t i = 0; i < len; i++) {
        uint8_t c = pw[i];
        if (c >= 'A' && c <= 'Z') {
            upper = true;
        } else if (c >= 'a' && c <= 'z') {
            low = true;
        } else if (c >= '0' && c <= '9') {
            digit = true;
        } else {
            other = true; /* symbols, and any byte of a non-ASCII character */
        }
    }
    return (int)upper + (int)low + (int)digit + (int)other;
}

cat_pw_rule cat_password_policy_check(const char *login, const uint8_t *pw, size_t len)
{
    size_t chars = 0;
    if (pw == NULL && len > 0) {
        return CAT_PW_BAD_UTF8;
    }
    if (len > 0 && !cat_utf8_valid(pw, len, &chars)) {
        return CAT_PW_BAD_UTF8;
    }
    if (chars < CAT_PW_MIN_CHARS) {
        return CAT_PW_TOO_SHORT;
    }
    if (chars > CAT_PW_MAX_CHARS) {
        return CAT_PW_TOO_LONG;
    }
    size_t name_chars = 0;
    if (login != NULL && cat_utf8_valid((const uint8_t *)login, strlen(login), &name_chars) &&
        name_chars >= CAT_PW_NAME_MIN && contains_name(pw, len, login)) {
        return CAT_PW_CONTAINS_NAME;
    }
    if (character_classes(pw, len) < 3) {
        return CAT_PW_NOT_COMPLEX;
    }
    return CAT_PW_OK;
}

const char *cat_pw_rule_name(cat_pw_rule r)
{
    switch (r) {
    case CAT_PW_OK: return "ok";
    case CAT_PW_TOO_SHORT: return "password is too short";
    case CAT_PW_TOO_LONG: return "password is too long";
    case CAT_PW_CONTAINS_NAME: return "password contains the login name";
    case CAT_PW_NOT_COMPLEX: return "password is not complex enough";
    case CAT_PW_BAD_UTF8: return "password is not valid UTF-8";
    }
    return "unknown rule";
}
