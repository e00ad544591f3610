/*
 * The instance configuration file, DATA_DIR/mirrorkeyd.conf, written once by
 * `mirrorkeyd init` and read by `mirrorkeyd run`.
 *
 * Format: UTF-8 lines of `key = value`; blank lines and lines starting with
 * '#' are ignored; spaces around key and value are trimmed; values are taken
 * literally to the end of the line (no quoting). Unknown keys, duplicates,
 * missing required keys and over-long values are errors that name the line.
 *
 *   version        = 1                      format version (required)
 *   instance_name  = HOST                   @@SERVERNAME, certificate CN
 *   pkcs11_uri     = pkcs11:token=...?module-path=...&pin-source=file:...
 *   tls_key_id     = 0f1e...                CKA_ID of the TLS key and certificate (hex)
 *   tls_key_label  = mirrorkey-tds-HOST     their CKA_LABEL
 *   tls_key_type   = ec | rsa               informational
 *   file_root      = /abs/path              FROM FILE / TO FILE root
 *
 * The file never holds a PIN: the URI names a pin-source, and a URI with
 * pin-value is refused.
 */
#ifndef SRV_CONFIG_H
#define SRV_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "mk/buf.h"
#include "mk/result.h"

#define SRV_CONFIG_FILE "mirrorkeyd.conf"
#define SRV_CATALOG_FILE "catalog.db"
/* The TDS server certificate, public, PEM (mode 0644), for clients that pin it. */
#define SRV_TDS_CERT_FILE "tds-cert.pem"
#define SRV_CONFIG_VERSION 1

#define SRV_CONFIG_MAX_BYTES ((size_t)64 * 1024)
#define SRV_INSTANCE_NAME_MAX 64
#define SRV_URI_MAX 4096
#define SRV_PATH_MAX 4096
#define SRV_KEY_ID_MAX 64
#define SRV_LABEL_MAX 128

typedef struct srv_config {
    char instance_name[SRV_INSTANCE_NAME_MAX + 1];
    char pkcs11_uri[SRV_URI_MAX];
    uint8_t tls_key_id[SRV_KEY_ID_MAX];
    size_t tls_key_id_len;
    char tls_key_label[SRV_LABEL_MAX + 1];
    char tls_key_type[8]; /* "ec", "rsa" or "" */
    char file_root[SRV_PATH_MAX];
} srv_config;

/*
 * Parse text[0..len) into *out (zeroed first). MK_E_INVALID with
 * "line N: ..." for syntax, unknown or duplicate keys, bad values; MK_E_TOOBIG
 * over SRV_CONFIG_MAX_BYTES. Values are checked: the instance name by
 * srv_instance_name_check, the URI starts with "pkcs11:" and carries no
 * pin-value, the key id is 1..SRV_KEY_ID_MAX bytes of hex, file_root is
 * absolute.
 */
MK_RESULT srv_config_parse(const char *text, size_t len, srv_config *out);

/* Append the file's text for c (with a header comment). */
MK_RESULT srv_config_format(const srv_config *c, mk_buf *out);

/* Read and parse a file (at most SRV_CONFIG_MAX_BYTES). MK_E_NOT_FOUND when missing. */
MK_RESULT srv_config_load(const char *path, srv_config *out);

/*
 * Write a new file, mode 0600, refusing to replace an existing one
 * (MK_E_EXISTS). The text is written to a temporary name and linked into
 * place, so a crash never leaves a half-written configuration.
 */
MK_RESULT srv_config_save(const char *path, const srv_config *c);

/*
 * Instance names: 1..SRV_INSTANCE_NAME_MAX characters from A-Z a-z 0-9 '-'
 * '_' '.', starting with a letter or digit. They end up in a certificate CN,
 * a token label and log lines, so nothing else is allowed. MK_E_INVALID.
 */
MK_RESULT srv_instance_name_check(const char *name);

#endif
