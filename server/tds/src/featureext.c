/*
 * LOGIN7 FeatureExt (MS-TDS 2.2.6.4): a list of (FeatureId, FeatureDataLen,
 * FeatureData) ended by 0xFF, reached through the Extension field when
 * OptionFlags3.fExtension is set (TDS 7.4). mirrorkeyd acknowledges no
 * feature, so unknown ones are skipped; only the framing must be sound.
 */
#include "tds/login7.h"

MK_RESULT tds_featureext_parse(mk_cursor *fe, tds_login7 *l)
{
    for (;;) {
        uint8_t id;
        ENSURE_MSG(mk_ok(mk_cursor_read_u8(fe, &id)), MK_E_INVALID,
                   "LOGIN7 FeatureExt has no terminator");
        if (id == TDS_FEATURE_TERMINATOR) {
            l->has_feature_ext = true;
            return MK_OK;
        }
        uint32_t dlen;
        mk_cursor data;
        ENSURE_MSG(mk_ok(mk_cursor_read_u32le(fe, &dlen)) &&
                       mk_ok(mk_cursor_read_bytes(fe, dlen, &data)),
                   MK_E_INVALID, "LOGIN7 feature 0x%02X runs past the message", id);
        if (id < 64) {
            l->features |= TDS_FEATURE_BIT(id);
        }
        if (id == TDS_FEATURE_UTF8_SUPPORT) {
            /* FreeTDS sends one data byte; an empty body still asks for UTF-8. */
            uint8_t v = 1;
            if (dlen > 0) {
                GUARD(mk_cursor_read_u8(&data, &v));
            }
            l->utf8_support = v;
        }
    }
}
