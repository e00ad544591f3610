/*
 * Token selection by RFC 7512 URI: scan the slots that have a token, match
 * each against the URI's token and slot attributes, and insist on exactly
 * one. When the count is wrong, the error lists every visible token (label,
 * serial, manufacturer, model) so that the user can write a better selector.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "mk/buf.h"

#define SLOTS_MAX 1024

void p11_trim_copy(char *dst, size_t dst_len, const unsigned char *src, size_t src_len)
{
    size_t n = 0;
    while (n < src_len && n + 1 < dst_len && src[n] != '\0') {
        dst[n] = (char)src[n];
        n++;
    }
    while (n > 0 && dst[n - 1] == ' ') {
        n--;
    }
    dst[n] = '\0';
}

static void token_info_from(CK_SLOT_ID slot, const CK_TOKEN_INFO *ti, p11_token_info *out)
{
    memset(out, 0, sizeof(*out));
    p11_trim_copy(out->label, sizeof(out->label), ti->label, sizeof(ti->label));
    p11_trim_copy(out->manufacturer, sizeof(out->manufacturer), ti->manufacturerID,
                  sizeof(ti->manufacturerID));
    p11_trim_copy(out->model, sizeof(out->model), ti->model, sizeof(ti->model));
    p11_trim_copy(out->serial, sizeof(out->serial), ti->serialNumber, sizeof(ti->serialNumber));
    out->flags = ti->flags;
    out->slot_id = slot;
}

/* The slots with a token present. The caller holds the module lock (either side). */
static MK_RESULT list_slots(p11_module *m, CK_SLOT_ID **slots, CK_ULONG *count)
{
    CK_ULONG n = 0;
    CK_RV rv = m->f->C_GetSlotList(CK_TRUE, NULL, &n);
    if (rv != CKR_OK) {
        return P11_FAIL("C_GetSlotList", rv);
    }
    ENSURE_MSG(n <= SLOTS_MAX, MK_E_TOOBIG, "module %s reports %lu slots", m->path, n);
    /* One spare entry: a slot may appear between the two calls. */
    CK_SLOT_ID *s = calloc(n + 1, sizeof(*s));
    ENSURE(s != NULL, MK_E_NOMEM);
    CK_ULONG got = n + 1;
    rv = m->f->C_GetSlotList(CK_TRUE, s, &got);
    if (rv != CKR_OK) {
        free(s);
        return P11_FAIL("C_GetSlotList", rv);
    }
    *slots = s;
    *count = got;
    return MK_OK;
}

static MK_RESULT describe(mk_buf *b, const p11_token_info *ti)
{
    return mk_buf_printf(b, "%s'%s' (serial %s, manufacturer %s, model %s)", b->len > 0 ? "; " : "",
                         ti->label, ti->serial, ti->manufacturer, ti->model);
}

/* What the URI asked for, for messages: only the token/slot attributes. */
static void selector_text(const p11_uri *uri, char *dst, size_t dst_len)
{
    static const p11_uri_attr attrs[] = {
        P11_URI_TOKEN, P11_URI_SERIAL,           P11_URI_MANUFACTURER,
        P11_URI_MODEL, P11_URI_SLOT_DESCRIPTION, P11_URI_SLOT_MANUFACTURER};
    size_t used = 0;
    dst[0] = '\0';
    for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
        const char *v = p11_uri_get(uri, attrs[i]);
        if (v != NULL && used < dst_len) {
            int n = snprintf(dst + used, dst_len - used, "%s%s='%s'", used > 0 ? " " : "",
                             p11_uri_attr_name(attrs[i]), v);
            used += n > 0 ? (size_t)n : 0;
        }
    }
    unsigned long slot_id = 0;
    if (p11_uri_slot_id(uri, &slot_id) && used < dst_len) {
        snprintf(dst + used, dst_len - used, "%sslot-id=%lu", used > 0 ? " " : "", slot_id);
    } else if (used == 0) {
        snprintf(dst, dst_len, "any token");
    }
}

static bool slot_matches(p11_module *m, const p11_uri *uri, CK_SLOT_ID slot,
                         const p11_token_info *ti)
{
    if (!p11_uri_match_token(uri, ti->label, ti->manufacturer, ti->serial, ti->model)) {
        return false;
    }
    CK_SLOT_INFO si;
    if (m->f->C_GetSlotInfo(slot, &si) != CKR_OK) {
        return false;
    }
    char manuf[33], desc[65];
    p11_trim_copy(manuf, sizeof(manuf), si.manufacturerID, sizeof(si.manufacturerID));
    p11_trim_copy(desc, sizeof(desc), si.slotDescription, sizeof(si.slotDescription));
    return p11_uri_match_slot(uri, manuf, desc, slot);
}

static MK_RESULT check_library(p11_module *m, const p11_uri *uri)
{
    CK_INFO info;
    CK_RV rv = m->f->C_GetInfo(&info);
    if (rv != CKR_OK) {
        return P11_FAIL("C_GetInfo", rv);
    }
    char manuf[33], desc[33];
    p11_trim_copy(manuf, sizeof(manuf), info.manufacturerID, sizeof(info.manufacturerID));
    p11_trim_copy(desc, sizeof(desc), info.libraryDescription, sizeof(info.libraryDescription));
    ENSURE_MSG(p11_uri_match_library(uri, manuf, desc, info.libraryVersion.major,
                                     info.libraryVersion.minor),
               MK_E_NOT_FOUND,
               "module %s ('%s', '%s', version %d.%d) does not match the URI's library "
               "attributes",
               m->path, manuf, desc, info.libraryVersion.major, info.libraryVersion.minor);
    return MK_OK;
}

/* With the module entered: count matches and describe every visible token. */
static MK_RESULT scan(p11_module *m, const p11_uri *uri, p11_token_info *out, size_t *matches,
                      mk_buf *seen)
{
    CK_SLOT_ID *slots = NULL;
    CK_ULONG n = 0;
    GUARD(check_library(m, uri));
    GUARD(list_slots(m, &slots, &n));
    mk_result res = MK_OK;
    for (CK_ULONG i = 0; i < n && mk_ok(res); i++) {
        CK_TOKEN_INFO raw;
        if (m->f->C_GetTokenInfo(slots[i], &raw) != CKR_OK ||
            (raw.flags & CKF_TOKEN_INITIALIZED) == 0) {
            continue; /* vanished, unreadable or blank: nothing to select */
        }
        p11_token_info ti;
        token_info_from(slots[i], &raw, &ti);
        res = describe(seen, &ti);
        if (slot_matches(m, uri, slots[i], &ti)) {
            if (*matches == 0) {
                *out = ti;
            }
            (*matches)++;
        }
    }
    free(slots);
    return res;
}

MK_RESULT p11_select_token(p11_module *m, const p11_uri *uri, p11_token_info *out)
{
    mk_result res = MK_ERR;
    mk_buf seen;
    mk_buf_init(&seen, (size_t)16 * 1024);
    size_t matches = 0;
    GUARD(p11_module_enter(m));
    mk_result r = scan(m, uri, out, &matches, &seen);
    p11_module_leave(m);
    GUARD_OUT(r);
    GUARD_OUT(mk_buf_terminate(&seen));
    char want[256];
    selector_text(uri, want, sizeof(want));
    const char *list = seen.len > 0 ? (const char *)seen.data : "none";
    ENSURE_OUT(matches > 0, MK_E_NOT_FOUND, "no token matches %s; visible tokens: %s", want, list);
    ENSURE_OUT(matches == 1, MK_E_AMBIGUOUS, "%zu tokens match %s; visible tokens: %s", matches,
               want, list);
    res = MK_OK;
out:
    mk_buf_cleanup(&seen);
    return res;
}

MK_RESULT p11_select_again(p11_module *m, const p11_token_info *want, CK_SLOT_ID *slot)
{
    CK_SLOT_ID *slots = NULL;
    CK_ULONG n = 0;
    GUARD(list_slots(m, &slots, &n));
    bool found = false;
    for (CK_ULONG i = 0; i < n && !found; i++) {
        CK_TOKEN_INFO raw;
        if (m->f->C_GetTokenInfo(slots[i], &raw) != CKR_OK) {
            continue;
        }
        p11_token_info ti;
        token_info_from(slots[i], &raw, &ti);
        if (strcmp(ti.serial, want->serial) == 0 && strcmp(ti.label, want->label) == 0) {
            *slot = slots[i];
            found = true;
        }
    }
    free(slots);
    ENSURE_MSG(found, MK_E_TOKEN_LOST, "no slot holds it (serial %s) any more", want->serial);
    return MK_OK;
}
