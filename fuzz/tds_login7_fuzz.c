/*
 * Fuzz the LOGIN7 parser (MS-TDS 2.2.6.4), FeatureExt included. Whatever
 * parses must encode and parse back to the same strings and password.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tds/login7.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int same_secret(const mk_secret *a, const mk_secret *b)
{
    if (a == NULL || b == NULL) {
        return a == b;
    }
    return mk_secret_equal(a, b);
}

static void check_roundtrip(const tds_login7 *l)
{
    mk_buf out;
    tds_login7 m;
    mk_buf_init_secret(&out, 0);
    tds_login7_init(&m);
    if (mk_failed(tds_login7_encode(l, &out)) ||
        mk_failed(tds_login7_parse(out.data, out.len, &m))) {
        abort();
    }
    if (strcmp(l->hostname, m.hostname) != 0 || strcmp(l->username, m.username) != 0 ||
        strcmp(l->appname, m.appname) != 0 || strcmp(l->servername, m.servername) != 0 ||
        strcmp(l->cltintname, m.cltintname) != 0 || strcmp(l->language, m.language) != 0 ||
        strcmp(l->database, m.database) != 0 || strcmp(l->atchdbfile, m.atchdbfile) != 0 ||
        l->tds_version != m.tds_version || l->packet_size != m.packet_size ||
        !same_secret(l->password, m.password) ||
        !same_secret(l->change_password, m.change_password)) {
        abort();
    }
    tds_login7_cleanup(&m);
    mk_buf_cleanup(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tds_login7 l;
    tds_login7_init(&l);
    if (mk_ok(tds_login7_parse(data, size, &l))) {
        check_roundtrip(&l);
    }
    tds_login7_cleanup(&l);
    return 0;
}
