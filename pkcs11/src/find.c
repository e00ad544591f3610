/*
 * Object search and attribute reads on a checked-out session.
 *
 * C_FindObjects is slow on SoftHSM2 (it reads every object), so callers find
 * once and cache handles; nothing on a sign/decrypt hot path comes here. A
 * search that finds nothing asks the token whether it is still present, so a
 * vanished token reads as MK_E_TOKEN_LOST rather than "not found".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "p11/keygen.h"

#define FIND_CHUNK 64
#define ATTR_MAX ((size_t)256 * 1024)

MK_RESULT p11_find(p11_session *s, CK_ATTRIBUTE *tmpl, CK_ULONG count, CK_OBJECT_HANDLE *out,
                   size_t max, size_t *n)
{
    *n = 0;
    CK_RV rv = s->f->C_FindObjectsInit(s->h, tmpl, count);
    if (rv != CKR_OK) {
        return p11_session_fail(s, "C_FindObjectsInit", rv);
    }
    size_t total = 0;
    while (total < max) {
        CK_ULONG want = (CK_ULONG)(max - total < FIND_CHUNK ? max - total : FIND_CHUNK);
        CK_ULONG got = 0;
        rv = s->f->C_FindObjects(s->h, out + total, want, &got);
        if (rv != CKR_OK) {
            (void)s->f->C_FindObjectsFinal(s->h);
            return p11_session_fail(s, "C_FindObjects", rv);
        }
        if (got == 0) {
            break;
        }
        total += got;
    }
    rv = s->f->C_FindObjectsFinal(s->h);
    if (rv != CKR_OK) {
        return p11_session_fail(s, "C_FindObjectsFinal", rv);
    }
    *n = total;
    return MK_OK;
}

MK_RESULT p11_check_present(p11_session *s)
{
    ENSURE_MSG(p11_session_probe(s), MK_E_TOKEN_LOST,
               "token '%s' unavailable: C_GetTokenInfo failed on slot %lu", s->t->info.label,
               (unsigned long)s->t->info.slot_id);
    return MK_OK;
}

MK_RESULT p11_attr_alloc(p11_session *s, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type, uint8_t **out,
                         size_t *len)
{
    CK_ATTRIBUTE a = {type, NULL, 0};
    CK_RV rv = s->f->C_GetAttributeValue(s->h, h, &a, 1);
    if (rv != CKR_OK) {
        return p11_session_fail(s, "C_GetAttributeValue", rv);
    }
    ENSURE_MSG(a.ulValueLen != CK_UNAVAILABLE_INFORMATION && a.ulValueLen <= ATTR_MAX, MK_E_TOOBIG,
               "attribute 0x%lx: unusable length", (unsigned long)type);
    uint8_t *buf = malloc(a.ulValueLen > 0 ? a.ulValueLen : 1);
    ENSURE(buf != NULL, MK_E_NOMEM);
    a.pValue = buf;
    rv = s->f->C_GetAttributeValue(s->h, h, &a, 1);
    if (rv != CKR_OK) {
        free(buf);
        return p11_session_fail(s, "C_GetAttributeValue", rv);
    }
    *out = buf;
    *len = a.ulValueLen;
    return MK_OK;
}

MK_RESULT p11_attr_ulong(p11_session *s, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type, CK_ULONG *out)
{
    CK_ATTRIBUTE a = {type, out, sizeof(*out)};
    CK_RV rv = s->f->C_GetAttributeValue(s->h, h, &a, 1);
    if (rv != CKR_OK) {
        return p11_session_fail(s, "C_GetAttributeValue", rv);
    }
    ENSURE_MSG(a.ulValueLen == sizeof(*out), MK_E_INVALID, "attribute 0x%lx has length %lu",
               (unsigned long)type, (unsigned long)a.ulValueLen);
    return MK_OK;
}

MK_RESULT p11_attr_label(p11_session *s, CK_OBJECT_HANDLE h, char **out)
{
    CK_ATTRIBUTE a = {CKA_LABEL, NULL, 0};
    CK_RV rv = s->f->C_GetAttributeValue(s->h, h, &a, 1);
    size_t len = 0;
    if (rv == CKR_OK && a.ulValueLen != CK_UNAVAILABLE_INFORMATION && a.ulValueLen <= ATTR_MAX) {
        len = a.ulValueLen;
    } else if (rv != CKR_OK && rv != CKR_ATTRIBUTE_TYPE_INVALID) {
        return p11_session_fail(s, "C_GetAttributeValue", rv);
    }
    char *label = calloc(1, len + 1);
    ENSURE(label != NULL, MK_E_NOMEM);
    if (len > 0) {
        a.pValue = label;
        rv = s->f->C_GetAttributeValue(s->h, h, &a, 1);
        if (rv != CKR_OK) {
            free(label);
            return p11_session_fail(s, "C_GetAttributeValue", rv);
        }
        label[a.ulValueLen <= len ? a.ulValueLen : len] = '\0';
    }
    *out = label;
    return MK_OK;
}

MK_RESULT p11_label_exists(p11_session *s, const char *label, bool *exists)
{
    CK_ATTRIBUTE tmpl[] = {{CKA_LABEL, (void *)label, (CK_ULONG)strlen(label)}};
    CK_OBJECT_HANDLE h;
    size_t n = 0;
    GUARD(p11_find(s, tmpl, 1, &h, 1, &n));
    *exists = n > 0;
    return MK_OK;
}

MK_RESULT p11_find_one_by_id(p11_session *s, CK_OBJECT_CLASS cls, const uint8_t *id, size_t id_len,
                             CK_OBJECT_HANDLE *out)
{
    CK_ATTRIBUTE tmpl[] = {{CKA_CLASS, &cls, sizeof(cls)}, {CKA_ID, (void *)id, (CK_ULONG)id_len}};
    CK_OBJECT_HANDLE found[2];
    size_t n = 0;
    GUARD(p11_find(s, tmpl, 2, found, 2, &n));
    char hex[80];
    p11_hex(hex, sizeof(hex), id, id_len);
    if (n == 0) {
        GUARD(p11_check_present(s));
        BAIL_MSG(MK_E_NOT_FOUND, "no %s with id %s on token '%s'%s", p11_class_name(cls), hex,
                 s->t->info.label, s->t->pin_mode == P11_PINMODE_NONE ? " (not logged in)" : "");
    }
    ENSURE_MSG(n == 1, MK_E_AMBIGUOUS, "more than one %s with id %s on token '%s'",
               p11_class_name(cls), hex, s->t->info.label);
    *out = found[0];
    return MK_OK;
}

void p11_hex(char *dst, size_t dst_len, const uint8_t *id, size_t id_len)
{
    static const char digits[] = "0123456789abcdef";
    size_t o = 0;
    for (size_t i = 0; i < id_len && o + 3 <= dst_len; i++) {
        dst[o++] = digits[id[i] >> 4];
        dst[o++] = digits[id[i] & 0xf];
    }
    if (dst_len > 0) {
        dst[o < dst_len ? o : dst_len - 1] = '\0';
    }
}

MK_RESULT p11_check_label(const char *label)
{
    ENSURE_MSG(label != NULL && label[0] != '\0', MK_E_INVALID, "a label is required");
    size_t len = strlen(label);
    ENSURE_MSG(len <= P11_LABEL_MAX, MK_E_INVALID, "label longer than %d bytes", P11_LABEL_MAX);
    for (size_t i = 0; i < len; i++) {
        ENSURE_MSG((unsigned char)label[i] >= 0x20 && label[i] != 0x7f, MK_E_INVALID,
                   "label contains a control character");
    }
    return MK_OK;
}

const char *p11_class_name(CK_OBJECT_CLASS cls)
{
    switch (cls) {
    case CKO_PRIVATE_KEY: return "private key";
    case CKO_PUBLIC_KEY: return "public key";
    case CKO_SECRET_KEY: return "secret key";
    case CKO_CERTIFICATE: return "certificate";
    case CKO_DATA: return "data object";
    default: return "object";
    }
}
