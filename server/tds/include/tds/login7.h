/*
 * LOGIN7 (MS-TDS 2.2.6.4): the client's login record. A 94-byte fixed part
 * (little-endian) holding scalar fields and (offset, length) pairs that point
 * at UTF-16LE strings and byte blobs later in the message; offsets count
 * from the start of LOGIN7, string lengths are in UTF-16 code units.
 *
 * The parser converts strings to UTF-8 (NUL-terminated, in fixed arrays),
 * de-obfuscates the password straight into an mk_secret, and reads the
 * FeatureExt block (2.2.6.4 FeatureExt) reached through the Extension field
 * leniently: unknown features are skipped, malformed ones are errors.
 * The encoder builds a client LOGIN7 from the same struct (tests, fuzz seeds).
 */
#ifndef TDS_LOGIN7_H
#define TDS_LOGIN7_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mk/buf.h"
#include "mk/cursor.h"
#include "mk/result.h"
#include "mk/secret.h"

#define TDS_LOGIN7_FIXED_LEN 94
#define TDS_VERSION_7_4 UINT32_C(0x74000004)

/* Caps in UTF-16 code units (sysname is 128; SQL Server passwords are <= 128). */
#define TDS_LOGIN7_NAME_MAX_UNITS 128
#define TDS_LOGIN7_PASSWORD_MAX_UNITS 128
#define TDS_LOGIN7_PATH_MAX_UNITS 260
/* UTF-8 storage: at most 3 bytes per UTF-16 unit, plus the NUL. */
#define TDS_LOGIN7_NAME_BYTES (3 * TDS_LOGIN7_NAME_MAX_UNITS + 1)
#define TDS_LOGIN7_PATH_BYTES (3 * TDS_LOGIN7_PATH_MAX_UNITS + 1)

/* OptionFlags1..3 and TypeFlags bits that matter to the server. */
#define TDS_LOGIN7_OPT2_INT_SECURITY 0x80 /* integrated (SSPI) authentication */
#define TDS_LOGIN7_OPT3_CHANGE_PASSWORD 0x01
#define TDS_LOGIN7_OPT3_EXTENSION 0x10 /* Extension points at FeatureExt */
#define TDS_LOGIN7_TYPE_READ_ONLY_INTENT 0x20

/* FeatureExt feature ids (2.2.6.4). */
enum {
    TDS_FEATURE_SESSIONRECOVERY = 0x01,
    TDS_FEATURE_FEDAUTH = 0x02,
    TDS_FEATURE_COLUMNENCRYPTION = 0x04,
    TDS_FEATURE_GLOBALTRANSACTIONS = 0x05,
    TDS_FEATURE_AZURESQLSUPPORT = 0x08,
    TDS_FEATURE_DATACLASSIFICATION = 0x09,
    TDS_FEATURE_UTF8_SUPPORT = 0x0A,
    TDS_FEATURE_AZURESQLDNSCACHING = 0x0B,
    TDS_FEATURE_TERMINATOR = 0xFF,
};
#define TDS_FEATURE_BIT(id) (UINT64_C(1) << (id))

typedef struct tds_login7 {
    uint32_t tds_version; /* e.g. TDS_VERSION_7_4 */
    uint32_t packet_size; /* requested; 0 = server default */
    uint32_t client_prog_version;
    uint32_t client_pid;
    uint32_t connection_id;
    uint8_t option_flags1;
    uint8_t option_flags2;
    uint8_t type_flags;
    uint8_t option_flags3;
    int32_t client_timezone; /* minutes */
    uint32_t client_lcid;
    uint8_t client_id[6]; /* MAC address */
    char hostname[TDS_LOGIN7_NAME_BYTES];
    char username[TDS_LOGIN7_NAME_BYTES];
    char appname[TDS_LOGIN7_NAME_BYTES];
    char servername[TDS_LOGIN7_NAME_BYTES];
    char cltintname[TDS_LOGIN7_NAME_BYTES];
    char language[TDS_LOGIN7_NAME_BYTES];
    char database[TDS_LOGIN7_NAME_BYTES];
    char atchdbfile[TDS_LOGIN7_PATH_BYTES];
    mk_secret *password;        /* UTF-8; after a parse never NULL (may be empty) */
    mk_secret *change_password; /* UTF-8; NULL unless the client sent one */
    size_t sspi_len;            /* bytes of SSPI data (not kept: unsupported) */
    bool has_feature_ext;
    uint64_t features;    /* TDS_FEATURE_BIT of each feature id < 64 seen */
    uint8_t utf8_support; /* UTF8_SUPPORT data byte when requested */
} tds_login7;

/* Zero *l (no secrets held). */
void tds_login7_init(tds_login7 *l);
/* Free and wipe the secrets; *l is re-initialised. */
void tds_login7_cleanup(tds_login7 *l);

/*
 * Parse a whole LOGIN7 message into *out (which must be initialised; its old
 * secrets are freed first). The Length field must equal len. MK_E_BOUNDS for
 * a field outside the message, MK_E_TOOBIG for a string over its cap (checked
 * before any allocation), MK_E_INVALID for malformed text or FeatureExt.
 * On failure *out holds no secrets.
 */
MK_RESULT tds_login7_parse(const uint8_t *msg, size_t len, tds_login7 *out);

/*
 * Encode a client LOGIN7 from *l (strings UTF-8; password and
 * change_password may be NULL). With option_flags3 & EXTENSION, a FeatureExt
 * with UTF8_SUPPORT (l->utf8_support) is appended, as FreeTDS does. The
 * output holds the password merely obfuscated: give a secret mk_buf.
 */
MK_RESULT tds_login7_encode(const tds_login7 *l, mk_buf *out);

/*
 * FeatureExt list (2.2.6.4): (FeatureId u8, FeatureDataLen u32le, data)...
 * ended by 0xFF. Reads from fe's position to the terminator (bytes after it
 * are left unread); sets l->has_feature_ext, l->features, l->utf8_support.
 * Unknown features are skipped. MK_E_INVALID when the terminator is missing
 * or a feature's length runs past the end.
 */
MK_RESULT tds_featureext_parse(mk_cursor *fe, tds_login7 *l);

#endif
