/*
 * The tables bench/endpoint prints: the measured figures, then the ratios
 * derived from them, then the payload section. Two derived figures need
 * explaining:
 *
 *   limit = raw-sig / 2: a mutual handshake makes one token signature on
 *           each side (both CertificateVerify messages, counted with
 *           pkcs11-spy), so this is the rate the token alone would allow.
 *   model = 1 / (1/software - 2/sw-sig + 2/raw-sig): the software
 *           handshake with its two software signatures replaced by two
 *           token signatures. tok/model near 1 says the token path costs
 *           exactly its signatures and nothing else.
 */
#include "epb.h"

#include <stdio.h>

#include "endpoint/frame.h"

static void print_figure(double r)
{
    if (r == EPB_NOT_RUN) {
        printf(" %9s", "n/a");
    } else if (r < 0) {
        printf(" %9s", "failed");
    } else {
        printf(" %9.0f", r);
    }
}

static void print_ratio(double a, double b)
{
    if (a < 0 || b <= 0) {
        printf(" %9s", "-");
    } else {
        printf(" %9.2f", a / b);
    }
}

static double model(const double *m)
{
    if (m[EPB_COL_SOFTWARE] <= 0 || m[EPB_COL_SWSIG] <= 0 || m[EPB_COL_RAW] <= 0) {
        return -1;
    }
    double t = 1 / m[EPB_COL_SOFTWARE] - 2 / m[EPB_COL_SWSIG] + 2 / m[EPB_COL_RAW];
    return t > 0 ? 1 / t : -1;
}

static void print_header(const epb_opts *o)
{
    printf("mirrorkey bench/endpoint: mutual TLS 1.3 handshakes over loopback, median of %d "
           "runs of %.1f s\n"
           "per figure (token '%s', %s)\n\n",
           o->b.repeat, o->b.seconds, o->b.token_label, o->b.module);
    printf("Each handshake: a new TCP connection, a full handshake (no tickets, no resumption) in\n"
           "the endpoint profile (TLS 1.3, AES-GCM suites, certificates both ways), then one\n"
           "HEARTBEAT frame from the acceptor. pairs = acceptor threads = connector threads.\n"
           "token: both keys on the token (mirrorkey provider); software: both keys in PEM files;\n"
           "stunnel: stunnel4 + libp11 engine acceptor (token key), our connector (token key).\n"
           "raw-sig: token signatures/s, C_SignInit+C_Sign; sw-sig: software signatures/s\n"
           "(EVP_DigestSign, SHA-256); both on 'pairs' threads.\n\n");
}

void epb_print_handshakes(const epb_opts *o, const epb_row *rows, size_t n)
{
    print_header(o);
    printf("%-9s %5s %9s %9s %9s %9s %9s\n", "key", "pairs", "token", "software", "stunnel",
           "raw-sig", "sw-sig");
    for (size_t i = 0; i < n; i++) {
        printf("%-9s %5d", rows[i].kt->name, rows[i].pairs);
        for (int c = 0; c < EPB_NCOLS; c++) {
            print_figure(rows[i].m[c]);
        }
        printf("\n");
    }
    printf("\nlimit = raw-sig / 2 (one token signature per side per handshake);\n"
           "model = 1 / (1/software - 2/sw-sig + 2/raw-sig): software handshake, token "
           "signatures\n\n");
    printf("%-9s %5s %9s %9s %9s %9s %9s %9s\n", "key", "pairs", "tok/soft", "tok/stun", "limit",
           "tok/limit", "model", "tok/model");
    for (size_t i = 0; i < n; i++) {
        const double *m = rows[i].m;
        double limit = m[EPB_COL_RAW] >= 0 ? m[EPB_COL_RAW] / 2 : -1;
        double mod = model(m);
        printf("%-9s %5d", rows[i].kt->name, rows[i].pairs);
        print_ratio(m[EPB_COL_TOKEN], m[EPB_COL_SOFTWARE]);
        print_ratio(m[EPB_COL_TOKEN], m[EPB_COL_STUNNEL]);
        print_figure(limit);
        print_ratio(m[EPB_COL_TOKEN], limit);
        print_figure(mod);
        print_ratio(m[EPB_COL_TOKEN], mod);
        printf("\n");
    }
    fflush(stdout);
}

void epb_print_payload(const epb_opts *o, const epb_payload_result *p)
{
    printf("\npayload over one connection (%s token keys, TLS_AES_256_GCM_SHA384), %zu-byte\n"
           "PAYLOAD frames (+%d-byte header), one direction, median of %d runs of %.1f s; "
           "MB = 10^6 bytes\n\n",
           p->kt->name, o->frame_len, EP_FRAME_HEADER_LEN, o->b.repeat, o->b.seconds);
    printf("  %-44s", "endpoint frames (payload bytes)");
    print_figure(p->frames < 0 ? -1 : p->frames / 1e6);
    printf(" MB/s\n  %-44s", "openssl speed -evp aes-256-gcm, 16 KiB blocks");
    print_figure(p->speed < 0 ? -1 : p->speed / 1e6);
    printf(" MB/s  (-seconds %d, 1 thread)\n  %-44s", o->speed_seconds, "frames / openssl speed");
    print_ratio(p->frames, p->speed);
    printf("\n");
    fflush(stdout);
}
