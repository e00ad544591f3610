/*
 * PRELOGIN (MS-TDS 2.2.6.5): parse the client's option table and encode the
 * server's reply; plus the encryption decision of the table in that section.
 * Option data is big-endian. Offsets count from the start of the message.
 */
#include "tds/prelogin.h"

#include <string.h>

#define PL_ENTRY_LEN 5
#define PL_MAX_ENTRIES 32
#define PL_VERSION_LEN 6

typedef struct pl_entry {
    uint8_t token;
    uint16_t off;
    uint16_t len;
} pl_entry;

/* Read the option table up to and including the terminator. */
static MK_RESULT read_table(mk_cursor *c, pl_entry *entries, size_t *count)
{
    size_t n = 0;
    for (;;) {
        uint8_t tok;
        ENSURE_MSG(mk_ok(mk_cursor_read_u8(c, &tok)), MK_E_INVALID,
                   "PRELOGIN option table has no terminator");
        if (tok == TDS_PL_TERMINATOR) {
            break;
        }
        ENSURE_MSG(n < PL_MAX_ENTRIES, MK_E_INVALID, "PRELOGIN has more than %d options",
                   PL_MAX_ENTRIES);
        entries[n].token = tok;
        GUARD(mk_cursor_read_u16be(c, &entries[n].off));
        GUARD(mk_cursor_read_u16be(c, &entries[n].len));
        n++;
    }
    *count = n;
    return MK_OK;
}

static MK_RESULT want_len(const mk_cursor *d, size_t n, const char *what)
{
    ENSURE_MSG(mk_cursor_remaining(d) == n, MK_E_INVALID,
               "PRELOGIN %s option has %zu bytes, not %zu", what, mk_cursor_remaining(d), n);
    return MK_OK;
}

/* INSTOPT: a NUL-terminated byte string without interior NULs. */
static MK_RESULT read_instance(mk_cursor *d, tds_prelogin *p)
{
    size_t n = mk_cursor_remaining(d);
    ENSURE_MSG(n >= 1 && n <= TDS_PL_INSTANCE_MAX + 1, MK_E_INVALID,
               "PRELOGIN INSTOPT of %zu bytes", n);
    for (size_t i = 0; i < n; i++) {
        uint8_t b;
        GUARD(mk_cursor_read_u8(d, &b));
        ENSURE_MSG((b == 0) == (i == n - 1), MK_E_INVALID, "PRELOGIN INSTOPT not NUL-terminated");
        p->instance[i] = (char)b;
    }
    return MK_OK;
}

/* Decode one known option from its data cursor; unknown tokens are ignored. */
static MK_RESULT read_option(uint8_t tok, mk_cursor *d, tds_prelogin *p)
{
    switch (tok) {
    case TDS_PL_VERSION:
        GUARD(want_len(d, PL_VERSION_LEN, "VERSION"));
        GUARD(mk_cursor_read_u32be(d, &p->version));
        return mk_cursor_read_u16be(d, &p->subbuild);
    case TDS_PL_ENCRYPTION:
        GUARD(want_len(d, 1, "ENCRYPTION"));
        return mk_cursor_read_u8(d, &p->encryption);
    case TDS_PL_INSTOPT: return read_instance(d, p);
    case TDS_PL_THREADID:
        if (mk_cursor_remaining(d) == 0) {
            return MK_OK;
        }
        GUARD(want_len(d, 4, "THREADID"));
        p->has_thread_id = true;
        return mk_cursor_read_u32be(d, &p->thread_id);
    case TDS_PL_MARS:
        GUARD(want_len(d, 1, "MARS"));
        GUARD(mk_cursor_read_u8(d, &p->mars));
        ENSURE_MSG(p->mars <= 1, MK_E_INVALID, "PRELOGIN MARS value 0x%02X", p->mars);
        return MK_OK;
    case TDS_PL_TRACEID:
        GUARD(want_len(d, TDS_PL_TRACEID_LEN, "TRACEID"));
        return mk_cursor_copy(d, p->trace_id, TDS_PL_TRACEID_LEN);
    case TDS_PL_FEDAUTHREQUIRED:
        GUARD(want_len(d, 1, "FEDAUTHREQUIRED"));
        return mk_cursor_read_u8(d, &p->fedauth_required);
    case TDS_PL_NONCEOPT:
        GUARD(want_len(d, TDS_PL_NONCE_LEN, "NONCEOPT"));
        return mk_cursor_copy(d, p->nonce, TDS_PL_NONCE_LEN);
    default: return MK_OK;
    }
}

MK_RESULT tds_prelogin_parse(const uint8_t *msg, size_t len, tds_prelogin *out)
{
    mk_cursor c;
    mk_cursor_init(&c, msg, len);
    pl_entry entries[PL_MAX_ENTRIES];
    size_t count;
    GUARD(read_table(&c, entries, &count));
    const size_t table_end = mk_cursor_pos(&c);
    ENSURE_MSG(count > 0 && entries[0].token == TDS_PL_VERSION, MK_E_INVALID,
               "PRELOGIN must start with the VERSION option");
    tds_prelogin p;
    memset(&p, 0, sizeof(p));
    for (size_t i = 0; i < count; i++) {
        const pl_entry *e = &entries[i];
        mk_cursor d;
        ENSURE_MSG(e->off >= table_end || e->len == 0, MK_E_INVALID,
                   "PRELOGIN option 0x%02X points into the option table", e->token);
        GUARD(mk_cursor_slice(&c, e->off, e->len, &d));
        if (e->token < 32) {
            ENSURE_MSG((p.present & TDS_PL_HAS(e->token)) == 0, MK_E_INVALID,
                       "duplicate PRELOGIN option 0x%02X", e->token);
            p.present |= TDS_PL_HAS(e->token);
        }
        GUARD(read_option(e->token, &d, &p));
    }
    *out = p;
    return MK_OK;
}

/* Append the data of option tok to data; caller records the table entry. */
static MK_RESULT write_option(uint8_t tok, const tds_prelogin *p, mk_buf *data)
{
    switch (tok) {
    case TDS_PL_VERSION:
        GUARD(mk_buf_put_u32be(data, p->version));
        return mk_buf_put_u16be(data, p->subbuild);
    case TDS_PL_ENCRYPTION: return mk_buf_put_u8(data, p->encryption);
    case TDS_PL_INSTOPT: {
        size_t n = strnlen(p->instance, TDS_PL_INSTANCE_MAX);
        GUARD(mk_buf_append(data, p->instance, n));
        return mk_buf_put_u8(data, 0);
    }
    case TDS_PL_THREADID: return p->has_thread_id ? mk_buf_put_u32be(data, p->thread_id) : MK_OK;
    case TDS_PL_MARS: return mk_buf_put_u8(data, p->mars);
    case TDS_PL_TRACEID: return mk_buf_append(data, p->trace_id, TDS_PL_TRACEID_LEN);
    case TDS_PL_FEDAUTHREQUIRED: return mk_buf_put_u8(data, p->fedauth_required);
    case TDS_PL_NONCEOPT: return mk_buf_append(data, p->nonce, TDS_PL_NONCE_LEN);
    default: BAIL_MSG(MK_E_INVALID, "cannot encode PRELOGIN option 0x%02X", tok);
    }
}

MK_RESULT tds_prelogin_encode(const tds_prelogin *p, mk_buf *out)
{
    mk_result res = MK_ERR;
    mk_buf data;
    mk_buf_init(&data, 4096);
    size_t count = 0;
    for (uint8_t tok = TDS_PL_VERSION; tok <= TDS_PL_NONCEOPT; tok++) {
        count += (p->present & TDS_PL_HAS(tok)) != 0;
    }
    const size_t table_len = count * PL_ENTRY_LEN + 1;
    const size_t start = out->len;
    for (uint8_t tok = TDS_PL_VERSION; tok <= TDS_PL_NONCEOPT; tok++) {
        if ((p->present & TDS_PL_HAS(tok)) == 0) {
            continue;
        }
        size_t before = data.len;
        GUARD_OUT(write_option(tok, p, &data));
        GUARD_OUT(mk_buf_put_u8(out, tok));
        GUARD_OUT(mk_buf_put_u16be(out, (uint16_t)(table_len + before)));
        GUARD_OUT(mk_buf_put_u16be(out, (uint16_t)(data.len - before)));
    }
    GUARD_OUT(mk_buf_put_u8(out, TDS_PL_TERMINATOR));
    GUARD_OUT(mk_buf_append(out, data.data, data.len));
    res = MK_OK;
out:
    if (mk_failed(res)) {
        out->len = start;
    }
    mk_buf_cleanup(&data);
    return res;
}

void tds_prelogin_reply_init(tds_prelogin *p, uint32_t version, uint16_t subbuild,
                             uint8_t encryption)
{
    memset(p, 0, sizeof(*p));
    p->present = TDS_PL_HAS(TDS_PL_VERSION) | TDS_PL_HAS(TDS_PL_ENCRYPTION) |
                 TDS_PL_HAS(TDS_PL_INSTOPT) | TDS_PL_HAS(TDS_PL_THREADID) | TDS_PL_HAS(TDS_PL_MARS);
    p->version = version;
    p->subbuild = subbuild;
    p->encryption = encryption;
}

tds_encrypt_decision tds_prelogin_decide(uint8_t client, tds_encrypt_policy policy)
{
    const bool wants = client == TDS_ENCRYPT_ON || client == TDS_ENCRYPT_REQ;
    const bool known = wants || client == TDS_ENCRYPT_OFF || client == TDS_ENCRYPT_NOT_SUP;
    switch (policy) {
    case TDS_ENCRYPT_POLICY_OPTIONAL:
        if (!known) {
            return (tds_encrypt_decision){TDS_ENCRYPT_ON, TDS_ENC_REFUSE};
        }
        if (wants) {
            return (tds_encrypt_decision){TDS_ENCRYPT_ON, TDS_ENC_FULL};
        }
        if (client == TDS_ENCRYPT_OFF) {
            return (tds_encrypt_decision){TDS_ENCRYPT_OFF, TDS_ENC_LOGIN_ONLY};
        }
        return (tds_encrypt_decision){TDS_ENCRYPT_NOT_SUP, TDS_ENC_NONE};
    case TDS_ENCRYPT_POLICY_UNAVAILABLE:
        if (known && !wants) {
            return (tds_encrypt_decision){TDS_ENCRYPT_NOT_SUP, TDS_ENC_NONE};
        }
        return (tds_encrypt_decision){TDS_ENCRYPT_NOT_SUP, TDS_ENC_REFUSE};
    case TDS_ENCRYPT_POLICY_REQUIRED:
    default:
        if (known && client != TDS_ENCRYPT_NOT_SUP) {
            return (tds_encrypt_decision){TDS_ENCRYPT_REQ, TDS_ENC_FULL};
        }
        return (tds_encrypt_decision){TDS_ENCRYPT_REQ, TDS_ENC_REFUSE};
    }
}
