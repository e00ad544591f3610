/*
 * bench/endpoint: what a mirroring endpoint login and its data stream cost
 * (see epb.h). For RSA-2048, RSA-3072 and EC P-256, at 1 and N
 * acceptor/connector pairs:
 *
 *   token     mutual TLS 1.3 handshakes/s, both keys on the token (provider)
 *   software  the same with both keys in PEM files (for the ratio only)
 *   stunnel   stunnel4 + libp11 engine as the acceptor (token key), our connector (token key)
 *   raw-sig   the token's own signing rate for that key, raw C_SignInit+C_Sign
 *             on as many threads as pairs (bench/backend_raw.c)
 *   sw-sig    software signing rate for the same key type (bench/backend_ossl.c),
 *             for the cost model in epb_table.c
 *
 * A mutual handshake costs the token two signatures (the acceptor's and
 * the connector's CertificateVerify), so raw-sig / 2 is the handshake rate
 * the token alone would allow. Then payload MB/s over one connection in
 * endpoint PAYLOAD frames next to `openssl speed -evp aes-256-gcm`.
 *
 *   bench/endpoint [--seconds S] [--repeat R] [--pairs N] [--frame BYTES]
 *                  [--keys rsa2048,rsa3072,ec256] [--no-stunnel] [--speed-seconds S]
 *                  [--uri 'pkcs11:token=T?module-path=M&pin-source=file:F' [--keygen]]
 *
 * Without --uri a temporary SoftHSM2 token is made as bench/sign does; with
 * it, the key pairs labelled bench-ep-{acc,con}-{rsa2048,rsa3072,ec256}
 * must exist (--keygen creates missing ones on the token). Certificates and
 * software keys always go to a fresh temporary directory. Each figure is
 * the median of R runs, taken round-robin over the columns, each run in its
 * own process. Not a test: no figure passes or fails.
 */
#include "epb.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "endpoint/frame.h"
#include "runner.h"
#include "token.h"

#define KEYTYPE(nm, ident, t, b)                                                                   \
    {                                                                                              \
        nm, ident,                                                                                 \
        {                                                                                          \
            {nm, "bench-ep-acc-" ident, t, b}, { nm, "bench-ep-con-" ident, t, b }                 \
        }                                                                                          \
    }
static const epb_keytype keytypes[] = {
    KEYTYPE("RSA-2048", "rsa2048", P11_KEY_RSA, 2048),
    KEYTYPE("RSA-3072", "rsa3072", P11_KEY_RSA, 3072),
    KEYTYPE("EC P-256", "ec256", P11_KEY_EC, 256),
};
#define NKEYTYPES (sizeof(keytypes) / sizeof(keytypes[0]))

static const char *const col_names[] = {"token", "software", "stunnel", "raw-sig", "sw-sig"};

typedef struct run_args {
    const epb_opts *o;
    const epb_keytype *kt;
    int pairs;
    int col;
} run_args;

/* ---- one measurement, in a child process ---- */

static double handshake_child(const void *arg)
{
    const run_args *a = arg;
    epb_kind kind = a->col == EPB_COL_SOFTWARE ? EPB_SOFTWARE : EPB_TOKEN;
    epb_identity acc;
    epb_identity con;
    double rate = -1;
    epb_identity_get(a->o, a->kt, kind, EPB_ACCEPTOR, &acc);
    epb_identity_get(a->o, a->kt, kind, EPB_CONNECTOR, &con);
    mk_result r;
    if (a->col == EPB_COL_STUNNEL) {
        r = epb_stunnel_handshakes(a->o, &acc, &con, a->pairs, &rate);
    } else {
        epb_hs_case c = {&acc, &con, a->pairs, a->o->b.seconds, NULL, NULL};
        r = epb_handshakes(&c, &rate);
    }
    if (mk_failed(r)) {
        fprintf(stderr, "endpoint bench: %s, %d pair(s), %s: %s\n", a->kt->name, a->pairs,
                col_names[a->col], mk_error_message());
        return -1;
    }
    return rate;
}

static double measure(const run_args *a)
{
    const bench_key *k = &a->kt->key[EPB_ACCEPTOR];
    switch (a->col) {
    case EPB_COL_RAW: return bench_run_case(&bench_raw, &a->o->b, k, a->pairs);
    case EPB_COL_SWSIG: return bench_run_case(&bench_software, &a->o->b, k, a->pairs);
    case EPB_COL_STUNNEL:
        if (!a->o->stunnel) {
            return EPB_NOT_RUN;
        }
        return bench_child_rate(handshake_child, a);
    default: return bench_child_rate(handshake_child, a);
    }
}

/* One row: R runs of every column, round-robin; the medians. false if anything failed. */
static bool measure_row(const epb_opts *o, const epb_keytype *kt, int pairs, epb_row *row)
{
    double runs[EPB_NCOLS][16] = {{0}};
    bool ok = true;
    for (int rep = 0; rep < o->b.repeat; rep++) {
        for (int col = 0; col < EPB_NCOLS; col++) {
            run_args a = {o, kt, pairs, col};
            runs[col][rep] = measure(&a);
        }
    }
    row->kt = kt;
    row->pairs = pairs;
    for (int col = 0; col < EPB_NCOLS; col++) {
        double m = runs[col][0] == EPB_NOT_RUN ? EPB_NOT_RUN : bench_median(runs[col], o->b.repeat);
        ok = ok && (m >= 0 || m == EPB_NOT_RUN);
        row->m[col] = m;
    }
    return ok;
}

static bool run_handshakes(const epb_opts *o, const bool *selected)
{
    epb_row rows[2 * NKEYTYPES];
    size_t n = 0;
    bool ok = true;
    for (size_t k = 0; k < NKEYTYPES; k++) {
        if (!selected[k]) {
            continue;
        }
        ok = measure_row(o, &keytypes[k], 1, &rows[n++]) && ok;
        if (o->max_pairs > 1) {
            ok = measure_row(o, &keytypes[k], o->max_pairs, &rows[n++]) && ok;
        }
    }
    epb_print_handshakes(o, rows, n);
    return ok;
}

/* ---- payload ---- */

static double payload_child(const void *arg)
{
    const run_args *a = arg;
    epb_identity acc;
    epb_identity con;
    double rate = -1;
    epb_identity_get(a->o, a->kt, EPB_TOKEN, EPB_ACCEPTOR, &acc);
    epb_identity_get(a->o, a->kt, EPB_TOKEN, EPB_CONNECTOR, &con);
    if (mk_failed(epb_payload(&acc, &con, a->o->frame_len, a->o->b.seconds, &rate))) {
        fprintf(stderr, "endpoint bench: payload: %s\n", mk_error_message());
        return -1;
    }
    return rate;
}

static double speed_once(const epb_opts *o)
{
    double rate = -1;
    if (mk_failed(epb_openssl_speed(16384, o->speed_seconds, &rate))) {
        fprintf(stderr, "endpoint bench: %s\n", mk_error_message());
        return -1;
    }
    return rate;
}

/* Payload runs alternate with openssl speed runs, so both see the same machine. */
static bool run_payload(const epb_opts *o, const epb_keytype *kt)
{
    double pl[16];
    double sp[16];
    run_args a = {o, kt, 1, EPB_COL_TOKEN};
    for (int rep = 0; rep < o->b.repeat; rep++) {
        pl[rep] = bench_child_rate(payload_child, &a);
        sp[rep] = speed_once(o);
    }
    epb_payload_result p = {kt, bench_median(pl, o->b.repeat), bench_median(sp, o->b.repeat)};
    epb_print_payload(o, &p);
    return p.frames >= 0 && p.speed >= 0;
}

/* ---- set-up ---- */

static int token_setup_child(const void *arg)
{
    const run_args *a = arg;
    if (mk_failed(epb_setup_token(a->o, a->kt))) {
        fprintf(stderr, "endpoint bench: token identities for %s: %s\n", a->kt->name,
                mk_error_message());
        return 1;
    }
    return 0;
}

/* The token (made, or named by --uri), the work directory and every identity. */
static bool setup(epb_opts *o, const bool *selected, char *token_dir, size_t len)
{
    if (o->b.token_uri[0] != '\0'
            ? mk_failed(bench_token_parse_uri(&o->b))
            : mk_failed(bench_token_make(&o->b, "mk-bench-ep", token_dir, len))) {
        fprintf(stderr, "endpoint bench: token: %s\n", mk_error_message());
        return false;
    }
    o->keygen = o->keygen || token_dir[0] != '\0';
    snprintf(o->work_dir, sizeof(o->work_dir), "%s/mk-bench-ep-XXXXXX",
             getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
    if (mkdtemp(o->work_dir) == NULL) {
        o->work_dir[0] = '\0';
        fprintf(stderr, "endpoint bench: cannot create a work directory\n");
        return false;
    }
    for (size_t k = 0; k < NKEYTYPES; k++) {
        run_args a = {o, &keytypes[k], 1, EPB_COL_TOKEN};
        if (!selected[k]) {
            continue;
        }
        if (bench_child_status(token_setup_child, &a) != 0) {
            return false;
        }
        if (mk_failed(epb_setup_software(o, &keytypes[k]))) {
            fprintf(stderr, "endpoint bench: software identities: %s\n", mk_error_message());
            return false;
        }
    }
    return true;
}

/* ---- options ---- */

static void usage(void)
{
    fprintf(stderr,
            "usage: endpoint [--seconds S] [--repeat R] [--pairs N] [--frame BYTES]\n"
            "                [--keys rsa2048,rsa3072,ec256] [--no-stunnel] [--speed-seconds S]\n"
            "                [--uri TOKEN-URI [--keygen]]\n");
}

static bool select_keys(const char *list, bool *selected)
{
    bool any = false;
    for (size_t k = 0; k < NKEYTYPES; k++) {
        size_t n = strlen(keytypes[k].id);
        const char *p = list;
        selected[k] = false;
        while ((p = strstr(p, keytypes[k].id)) != NULL) {
            bool starts = p == list || p[-1] == ',';
            bool ends = p[n] == '\0' || p[n] == ',';
            selected[k] = selected[k] || (starts && ends);
            p += n;
        }
        any = any || selected[k];
    }
    return any;
}

static bool parse_value(epb_opts *o, bool *selected, const char *opt, const char *v)
{
    if (strcmp(opt, "--seconds") == 0) {
        o->b.seconds = atof(v);
    } else if (strcmp(opt, "--repeat") == 0) {
        o->b.repeat = atoi(v);
    } else if (strcmp(opt, "--pairs") == 0) {
        o->max_pairs = atoi(v);
    } else if (strcmp(opt, "--frame") == 0) {
        o->frame_len = (size_t)atol(v);
    } else if (strcmp(opt, "--speed-seconds") == 0) {
        o->speed_seconds = atoi(v);
    } else if (strcmp(opt, "--keys") == 0) {
        return select_keys(v, selected);
    } else if (strcmp(opt, "--uri") == 0) {
        snprintf(o->b.token_uri, sizeof(o->b.token_uri), "%s", v);
    } else {
        return false;
    }
    return true;
}

static bool parse_args(int argc, char **argv, epb_opts *o, bool *selected)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--keygen") == 0) {
            o->keygen = true;
        } else if (strcmp(argv[i], "--no-stunnel") == 0) {
            o->stunnel = false;
        } else if (i + 1 >= argc || !parse_value(o, selected, argv[i], argv[i + 1])) {
            return false;
        } else {
            i++;
        }
    }
    return o->b.seconds > 0 && o->b.repeat >= 1 && o->b.repeat <= 16 && o->max_pairs >= 1 &&
           o->max_pairs <= EPB_MAX_PAIRS && o->frame_len >= 1 &&
           o->frame_len <= EP_FRAME_PAYLOAD_MAX && o->speed_seconds >= 1;
}

int main(int argc, char **argv)
{
    epb_opts o = {.b = {.seconds = 2.0, .repeat = 3, .max_threads = 1, .count = -1},
                  .max_pairs = 2,
                  .frame_len = (size_t)64 * 1024,
                  .speed_seconds = 2,
                  .stunnel = true};
    bool selected[NKEYTYPES] = {true, true, true};
    char token_dir[512] = "";
    signal(SIGPIPE, SIG_IGN); /* a peer's close must fail a write, not end the process */
    if (!parse_args(argc, argv, &o, selected)) {
        usage();
        return 2;
    }
    if (o.stunnel && epb_stunnel_path() == NULL) {
        fprintf(stderr, "endpoint bench: stunnel4 not found, its column is n/a "
                        "(scripts/install-deps.sh installs it)\n");
        o.stunnel = false;
    }
    bool ok = setup(&o, selected, token_dir, sizeof(token_dir));
    if (ok) {
        ok = run_handshakes(&o, selected);
        size_t first = 0;
        while (!selected[first]) {
            first++;
        }
        ok = run_payload(&o, &keytypes[first]) && ok;
    }
    bench_dir_remove(o.work_dir);
    bench_dir_remove(token_dir);
    return ok ? 0 : 1;
}
