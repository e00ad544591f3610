/*
 * Test-only driver for the transcript library (setup_transcript_sign_test):
 *
 *   transcript_sign_tool write FILE N              N records through mkt_append
 *   transcript_sign_tool sign FILE URI SIG [CERT]  mkt_sign with a token key
 *
 * Until `mirrorkey apply --transcript` exists this is how the integration
 * test makes and signs transcripts. Exit 0 on success, 1 with the library's
 * error message on stderr.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "transcript.h"

static int fail(const char *what)
{
    fprintf(stderr, "transcript_sign_tool: %s: %s\n", what, mk_error_message());
    return 1;
}

static int write_records(const char *path, long n)
{
    mk_transcript *t = NULL;
    if (mk_failed(mkt_open(path, &t))) {
        return fail("open");
    }
    for (long i = 0; i < n; i++) {
        json_t *rec = json_pack("{s:s, s:i, s:s}", "type", "step", "n", (int)i, "what",
                                "CREATE ENDPOINT mirroring AUTHENTICATION = CERTIFICATE op");
        mk_result r = rec != NULL ? mkt_append(t, rec) : MK_RAISE(MK_E_NOMEM, NULL);
        json_decref(rec);
        if (mk_failed(r)) {
            mk_result ignored = mkt_close(t); /* the append's error is the one to report */
            (void)ignored;
            return fail("append");
        }
    }
    if (mk_failed(mkt_close(t))) {
        return fail("close");
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "write") == 0) {
        return write_records(argv[2], strtol(argv[3], NULL, 10));
    }
    if ((argc == 5 || argc == 6) && strcmp(argv[1], "sign") == 0) {
        if (mk_failed(mkt_sign(argv[2], argv[3], argc == 6 ? argv[5] : NULL, argv[4]))) {
            return fail("sign");
        }
        return 0;
    }
    fprintf(stderr, "usage: transcript_sign_tool write FILE N | sign FILE URI SIG [CERT]\n");
    return 2;
}
