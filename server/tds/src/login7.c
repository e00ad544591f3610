/*
 * LOGIN7 (MS-TDS 2.2.6.4): parser and client-side encoder.
 *
 * Every (offset, length) pair of the fixed part is checked against the
 * message through mk_cursor_slice, and string lengths against their caps
 * before anything is converted. The password is de-obfuscated (XOR 0xA5,
 * then swap nibbles) into an mk_secret and converted to UTF-8 into another;
 * no plain copy exists outside wiped secret memory.
 */
#include "tds/login7.h"

#include <string.h>

#include "internal.h"
#include "tds/ucs2.h"

#define SSPI_LONG_MARK 0xFFFF

/* One (offset, length) pair of the fixed part. */
typedef struct field {
    uint16_t off;
    uint16_t len;
} field;

/* The offset table of the fixed part, in wire order (offset 36 onwards). */
typedef struct offsets {
    field host, user, pass, app, server, ext, cltint, lang, db;
    uint8_t client_id[6];
    field sspi, atch, chpw;
    uint32_t sspi_long;
} offsets;

void tds_login7_init(tds_login7 *l) { memset(l, 0, sizeof(*l)); }

void tds_login7_cleanup(tds_login7 *l)
{
    mk_secret_free(l->password);
    mk_secret_free(l->change_password);
    tds_login7_init(l);
}

static MK_RESULT read_field(mk_cursor *c, field *f)
{
    GUARD(mk_cursor_read_u16le(c, &f->off));
    return mk_cursor_read_u16le(c, &f->len);
}

static MK_RESULT read_fixed(mk_cursor *c, tds_login7 *l, offsets *o)
{
    uint32_t u;
    GUARD(mk_cursor_read_u32le(c, &l->tds_version));
    GUARD(mk_cursor_read_u32le(c, &l->packet_size));
    GUARD(mk_cursor_read_u32le(c, &l->client_prog_version));
    GUARD(mk_cursor_read_u32le(c, &l->client_pid));
    GUARD(mk_cursor_read_u32le(c, &l->connection_id));
    GUARD(mk_cursor_read_u8(c, &l->option_flags1));
    GUARD(mk_cursor_read_u8(c, &l->option_flags2));
    GUARD(mk_cursor_read_u8(c, &l->type_flags));
    GUARD(mk_cursor_read_u8(c, &l->option_flags3));
    GUARD(mk_cursor_read_i32le(c, &l->client_timezone));
    GUARD(mk_cursor_read_u32le(c, &u));
    l->client_lcid = u;
    field *seq[] = {&o->host, &o->user,   &o->pass, &o->app, &o->server,
                    &o->ext,  &o->cltint, &o->lang, &o->db};
    for (size_t i = 0; i < sizeof(seq) / sizeof(seq[0]); i++) {
        GUARD(read_field(c, seq[i]));
    }
    GUARD(mk_cursor_copy(c, o->client_id, sizeof(o->client_id)));
    GUARD(read_field(c, &o->sspi));
    GUARD(read_field(c, &o->atch));
    GUARD(read_field(c, &o->chpw));
    return mk_cursor_read_u32le(c, &o->sspi_long);
}

/* The bytes of a field, which must lie inside the message and outside the fixed part. */
static MK_RESULT field_bytes(mk_cursor *msg, size_t off, size_t nbytes, const char *what,
                             mk_cursor *sub)
{
    ENSURE_MSG(nbytes == 0 || off >= TDS_LOGIN7_FIXED_LEN, MK_E_INVALID,
               "LOGIN7 %s points into the fixed part", what);
    if (mk_failed(mk_cursor_slice(msg, off, nbytes, sub))) {
        mk_error_context("LOGIN7 %s", what);
        return MK_ERR;
    }
    return MK_OK;
}

/* A UTF-16LE string field converted to NUL-terminated UTF-8 in out[cap]. */
static MK_RESULT read_string(mk_cursor *msg, const field *f, size_t max_units, const char *what,
                             char *out, size_t cap)
{
    ENSURE_MSG(f->len <= max_units, MK_E_TOOBIG, "LOGIN7 %s of %u characters over %zu", what,
               f->len, max_units);
    mk_cursor s;
    GUARD(field_bytes(msg, f->off, (size_t)f->len * 2, what, &s));
    size_t n;
    GUARD(tds_utf16le_to_utf8_fixed(&s, (uint8_t *)out, cap - 1, &n));
    out[n] = '\0';
    return tds_check_no_nul(out, n, what);
}

/* De-obfuscate a password field into a new UTF-8 secret. */
static MK_RESULT read_password(mk_cursor *msg, const field *f, const char *what, mk_secret **out)
{
    mk_result res = MK_ERR;
    mk_secret *raw = NULL;
    mk_secret *utf8 = NULL;
    ENSURE_MSG(f->len <= TDS_LOGIN7_PASSWORD_MAX_UNITS, MK_E_TOOBIG,
               "LOGIN7 %s of %u characters over %d", what, f->len, TDS_LOGIN7_PASSWORD_MAX_UNITS);
    const size_t nbytes = (size_t)f->len * 2;
    mk_cursor s;
    GUARD(field_bytes(msg, f->off, nbytes, what, &s));
    GUARD_OUT(mk_secret_new(nbytes > 0 ? nbytes : 1, &raw));
    uint8_t *p = mk_secret_data(raw);
    for (size_t i = 0; i < nbytes; i++) {
        uint8_t b;
        GUARD_OUT(mk_cursor_read_u8(&s, &b));
        b ^= 0xA5;
        p[i] = (uint8_t)((b << 4) | (b >> 4));
    }
    GUARD_OUT(mk_secret_set_len(raw, nbytes));
    GUARD_OUT(mk_secret_new(nbytes > 0 ? nbytes * 3 / 2 : 1, &utf8));
    mk_cursor r;
    mk_cursor_init(&r, mk_secret_cdata(raw), nbytes);
    size_t n;
    GUARD_OUT(tds_utf16le_to_utf8_fixed(&r, mk_secret_data(utf8), mk_secret_cap(utf8), &n));
    GUARD_OUT(mk_secret_set_len(utf8, n));
    *out = utf8;
    utf8 = NULL;
    res = MK_OK;
out:
    mk_secret_free(raw);
    mk_secret_free(utf8);
    return res;
}

/* SSPI data is not supported, but its range must still be sound. */
static MK_RESULT check_sspi(mk_cursor *msg, const offsets *o, tds_login7 *l)
{
    size_t n = o->sspi.len == SSPI_LONG_MARK ? o->sspi_long : o->sspi.len;
    mk_cursor s;
    GUARD(field_bytes(msg, o->sspi.off, n, "SSPI", &s));
    l->sspi_len = n;
    return MK_OK;
}

/* Extension -> DWORD offset of FeatureExt (TDS 7.4 with fExtension only). */
static MK_RESULT read_extension(mk_cursor *msg, size_t total, const field *ext, tds_login7 *l)
{
    mk_cursor e;
    GUARD(field_bytes(msg, ext->off, ext->len, "Extension", &e));
    if ((l->option_flags3 & TDS_LOGIN7_OPT3_EXTENSION) == 0 || l->tds_version < TDS_VERSION_7_4) {
        return MK_OK;
    }
    uint32_t fe_off;
    ENSURE_MSG(ext->len == 4, MK_E_INVALID, "LOGIN7 Extension of %u bytes, not 4", ext->len);
    GUARD(mk_cursor_read_u32le(&e, &fe_off));
    ENSURE_MSG(fe_off >= TDS_LOGIN7_FIXED_LEN && fe_off <= total, MK_E_BOUNDS,
               "LOGIN7 FeatureExt offset %u outside the message", fe_off);
    mk_cursor fe;
    GUARD(mk_cursor_slice(msg, fe_off, total - fe_off, &fe));
    return tds_featureext_parse(&fe, l);
}

static MK_RESULT parse_fields(mk_cursor *msg, size_t total, const offsets *o, tds_login7 *l)
{
    const size_t nb = TDS_LOGIN7_NAME_BYTES;
    const size_t names = TDS_LOGIN7_NAME_MAX_UNITS;
    GUARD(read_string(msg, &o->host, names, "HostName", l->hostname, nb));
    GUARD(read_string(msg, &o->user, names, "UserName", l->username, nb));
    GUARD(read_string(msg, &o->app, names, "AppName", l->appname, nb));
    GUARD(read_string(msg, &o->server, names, "ServerName", l->servername, nb));
    GUARD(read_string(msg, &o->cltint, names, "CltIntName", l->cltintname, nb));
    GUARD(read_string(msg, &o->lang, names, "Language", l->language, nb));
    GUARD(read_string(msg, &o->db, names, "Database", l->database, nb));
    GUARD(read_string(msg, &o->atch, TDS_LOGIN7_PATH_MAX_UNITS, "AtchDBFile", l->atchdbfile,
                      TDS_LOGIN7_PATH_BYTES));
    GUARD(check_sspi(msg, o, l));
    GUARD(read_extension(msg, total, &o->ext, l));
    GUARD(read_password(msg, &o->pass, "Password", &l->password));
    if (o->chpw.len > 0) {
        GUARD(read_password(msg, &o->chpw, "ChangePassword", &l->change_password));
    } else {
        mk_cursor unused;
        GUARD(field_bytes(msg, o->chpw.off, 0, "ChangePassword", &unused));
    }
    return MK_OK;
}

MK_RESULT tds_login7_parse(const uint8_t *msg, size_t len, tds_login7 *out)
{
    tds_login7 l;
    tds_login7_init(&l);
    offsets o;
    mk_cursor c;
    mk_cursor_init(&c, msg, len);
    uint32_t total;
    mk_result res = MK_ERR;
    GUARD_OUT(mk_cursor_read_u32le(&c, &total));
    ENSURE_OUT(total == len, MK_E_INVALID, "LOGIN7 Length %u but the message has %zu bytes", total,
               len);
    ENSURE_OUT(len >= TDS_LOGIN7_FIXED_LEN, MK_E_BOUNDS, "LOGIN7 of %zu bytes is shorter than %d",
               len, TDS_LOGIN7_FIXED_LEN);
    GUARD_OUT(read_fixed(&c, &l, &o));
    memcpy(l.client_id, o.client_id, sizeof(l.client_id));
    GUARD_OUT(parse_fields(&c, len, &o, &l));
    tds_login7_cleanup(out);
    *out = l;
    tds_login7_init(&l);
    res = MK_OK;
out:
    tds_login7_cleanup(&l);
    return res;
}

/* Append a UTF-16LE string to var and record its field (offsets from LOGIN7's start). */
static MK_RESULT put_string(mk_buf *var, const char *s, size_t max_units, field *f)
{
    size_t off = TDS_LOGIN7_FIXED_LEN + var->len;
    size_t units;
    ENSURE_MSG(off <= UINT16_MAX, MK_E_TOOBIG, "LOGIN7 too large");
    GUARD(tds_utf8_to_utf16le(s, strlen(s), var, &units));
    ENSURE_MSG(units <= max_units, MK_E_TOOBIG, "LOGIN7 string of %zu characters over %zu", units,
               max_units);
    f->off = (uint16_t)off;
    f->len = (uint16_t)units;
    return MK_OK;
}

/* Append an obfuscated password (swap nibbles, then XOR 0xA5); NULL means empty. */
static MK_RESULT put_password(mk_buf *var, const mk_secret *pw, field *f)
{
    size_t start = var->len;
    size_t units = 0;
    ENSURE_MSG(TDS_LOGIN7_FIXED_LEN + start <= UINT16_MAX, MK_E_TOOBIG, "LOGIN7 too large");
    if (pw != NULL) {
        GUARD(
            tds_utf8_to_utf16le((const char *)mk_secret_cdata(pw), mk_secret_len(pw), var, &units));
    }
    ENSURE_MSG(units <= TDS_LOGIN7_PASSWORD_MAX_UNITS, MK_E_TOOBIG, "LOGIN7 password too long");
    for (size_t i = start; i < var->len; i++) {
        uint8_t b = var->data[i];
        var->data[i] = (uint8_t)(((b << 4) | (b >> 4)) ^ 0xA5);
    }
    f->off = (uint16_t)(TDS_LOGIN7_FIXED_LEN + start);
    f->len = (uint16_t)units;
    return MK_OK;
}

/* FeatureExt as FreeTDS 1.3 sends it: UTF8_SUPPORT with one data byte, then 0xFF. */
static MK_RESULT put_feature_ext(mk_buf *var, const tds_login7 *l, size_t ext_at)
{
    ENSURE_MSG(TDS_LOGIN7_FIXED_LEN + var->len <= UINT16_MAX, MK_E_TOOBIG, "LOGIN7 too large");
    GUARD(mk_buf_patch_u32le(var, ext_at, (uint32_t)(TDS_LOGIN7_FIXED_LEN + var->len)));
    GUARD(mk_buf_put_u8(var, TDS_FEATURE_UTF8_SUPPORT));
    GUARD(mk_buf_put_u32le(var, 1));
    GUARD(mk_buf_put_u8(var, l->utf8_support));
    return mk_buf_put_u8(var, TDS_FEATURE_TERMINATOR);
}

static MK_RESULT put_variable(const tds_login7 *l, mk_buf *var, offsets *o)
{
    const size_t names = TDS_LOGIN7_NAME_MAX_UNITS;
    const bool ext = (l->option_flags3 & TDS_LOGIN7_OPT3_EXTENSION) != 0;
    size_t ext_at = 0;
    GUARD(put_string(var, l->hostname, names, &o->host));
    GUARD(put_string(var, l->username, names, &o->user));
    GUARD(put_password(var, l->password, &o->pass));
    GUARD(put_string(var, l->appname, names, &o->app));
    GUARD(put_string(var, l->servername, names, &o->server));
    o->ext = (field){(uint16_t)(TDS_LOGIN7_FIXED_LEN + var->len), ext ? 4 : 0};
    if (ext) {
        ext_at = var->len;
        GUARD(mk_buf_put_u32le(var, 0));
    }
    GUARD(put_string(var, l->cltintname, names, &o->cltint));
    GUARD(put_string(var, l->language, names, &o->lang));
    GUARD(put_string(var, l->database, names, &o->db));
    o->sspi = (field){(uint16_t)(TDS_LOGIN7_FIXED_LEN + var->len), 0};
    GUARD(put_string(var, l->atchdbfile, TDS_LOGIN7_PATH_MAX_UNITS, &o->atch));
    GUARD(put_password(var, l->change_password, &o->chpw));
    return ext ? put_feature_ext(var, l, ext_at) : MK_OK;
}

static MK_RESULT put_fixed(const tds_login7 *l, const offsets *o, size_t total, mk_buf *out)
{
    GUARD(mk_buf_put_u32le(out, (uint32_t)total));
    GUARD(mk_buf_put_u32le(out, l->tds_version));
    GUARD(mk_buf_put_u32le(out, l->packet_size));
    GUARD(mk_buf_put_u32le(out, l->client_prog_version));
    GUARD(mk_buf_put_u32le(out, l->client_pid));
    GUARD(mk_buf_put_u32le(out, l->connection_id));
    GUARD(mk_buf_put_u8(out, l->option_flags1));
    GUARD(mk_buf_put_u8(out, l->option_flags2));
    GUARD(mk_buf_put_u8(out, l->type_flags));
    GUARD(mk_buf_put_u8(out, l->option_flags3));
    GUARD(mk_buf_put_u32le(out, (uint32_t)l->client_timezone));
    GUARD(mk_buf_put_u32le(out, l->client_lcid));
    const field *seq[] = {&o->host, &o->user,   &o->pass, &o->app, &o->server,
                          &o->ext,  &o->cltint, &o->lang, &o->db};
    for (size_t i = 0; i < sizeof(seq) / sizeof(seq[0]); i++) {
        GUARD(mk_buf_put_u16le(out, seq[i]->off));
        GUARD(mk_buf_put_u16le(out, seq[i]->len));
    }
    GUARD(mk_buf_append(out, l->client_id, sizeof(l->client_id)));
    const field *tail[] = {&o->sspi, &o->atch, &o->chpw};
    for (size_t i = 0; i < sizeof(tail) / sizeof(tail[0]); i++) {
        GUARD(mk_buf_put_u16le(out, tail[i]->off));
        GUARD(mk_buf_put_u16le(out, tail[i]->len));
    }
    return mk_buf_put_u32le(out, 0); /* cbSSPILong */
}

MK_RESULT tds_login7_encode(const tds_login7 *l, mk_buf *out)
{
    mk_result res = MK_ERR;
    mk_buf var;
    mk_buf_init_secret(&var, UINT16_MAX);
    offsets o;
    memset(&o, 0, sizeof(o));
    const size_t start = out->len;
    GUARD_OUT(put_variable(l, &var, &o));
    GUARD_OUT(put_fixed(l, &o, TDS_LOGIN7_FIXED_LEN + var.len, out));
    GUARD_OUT(mk_buf_append(out, var.data, var.len));
    res = MK_OK;
out:
    if (mk_failed(res)) {
        out->len = start;
    }
    mk_buf_cleanup(&var);
    return res;
}
