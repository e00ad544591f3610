/*
 * `mirrorkey token ...`: the key ceremony on a PKCS#11 token.
 *
 *   info    library and token information
 *   keygen  generate a key pair on the token and print the policy report
 *   report  re-run the policy report on an existing private key
 *   list    list keys and certificates a URI names
 *
 * The token and objects are chosen by one RFC 7512 URI (--uri). The PIN comes
 * from the URI's pin-source or from --pin-source (a source such as
 * file:/path, fd:3, prompt or pinpad — never the PIN itself).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "mk/buf.h"
#include "mk/log.h"
#include "p11/keygen.h"
#include "p11/objects.h"
#include "p11/policy.h"
#include "p11/token.h"
#include "p11/uri.h"

typedef struct token_opts {
    const char *uri;
    const char *pin_source;
    const char *label;
    const char *type;
    unsigned bits;
} token_opts;

static void token_usage(FILE *f)
{
    fputs(
        "usage: mirrorkey token <info|keygen|report|list> --uri URI [options]\n"
        "\n"
        "  --uri URI          pkcs11: URI of the token (and object, for report/list)\n"
        "  --pin-source SRC   where the PIN comes from when the URI has no pin-source:\n"
        "                     file:PATH (mode 0600/0400), fd:N, prompt, pinpad\n"
        "  --label NAME       keygen: label of the new key pair (required)\n"
        "  --type rsa|ec      keygen: key type (default rsa)\n"
        "  --bits N           keygen: RSA 2048|3072|4096 (default 3072), EC 256|384 (default 256)\n"
        "  --log-level L      error|warn|info|debug\n"
        "\n"
        "keygen and report exit 1 when the token's answers do not meet the policy\n"
        "(SENSITIVE, ALWAYS_SENSITIVE, not EXTRACTABLE, NEVER_EXTRACTABLE, LOCAL,\n"
        "secret value unreadable).\n",
        f);
}

/* Parse options after the verb; returns 0, or 2 for a usage error (message printed). */
static int parse_opts(int argc, char **argv, token_opts *o)
{
    static const struct option longopts[] = {
        {"uri", required_argument, NULL, 'u'},
        {"pin-source", required_argument, NULL, 'p'},
        {"label", required_argument, NULL, 'l'},
        {"type", required_argument, NULL, 't'},
        {"bits", required_argument, NULL, 'b'},
        {"log-level", required_argument, NULL, 'L'},
        {"help", no_argument, NULL, 'h'},
        /* Spelled out so that getopt's prefix matching cannot map them to --pin-source. */
        {"pin", required_argument, NULL, 'P'},
        {"pin-value", required_argument, NULL, 'P'},
        {NULL, 0, NULL, 0},
    };
    mk_log_level lvl;
    char *end = NULL;
    int ch;
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'u': o->uri = optarg; break;
        case 'p': o->pin_source = optarg; break;
        case 'l': o->label = optarg; break;
        case 't': o->type = optarg; break;
        case 'b':
            o->bits = (unsigned)strtoul(optarg, &end, 10);
            if (end == optarg || *end != '\0') {
                fprintf(stderr, "mirrorkey token: --bits needs a number\n");
                return 2;
            }
            break;
        case 'L':
            if (mk_failed(mk_log_parse_level(optarg, &lvl))) {
                fprintf(stderr, "mirrorkey token: %s\n", mk_error_message());
                return 2;
            }
            mk_log_set_level(lvl);
            break;
        case 'h': token_usage(stdout); exit(0);
        case 'P':
            fprintf(stderr, "mirrorkey token: PINs are never taken on the command line; use "
                            "--pin-source file:PATH (mode 0600), fd:N, prompt or pinpad\n");
            return 2;
        default:
            /* Never echo the argument: someone may have typed a PIN there. */
            fprintf(stderr, "mirrorkey token: unknown or incomplete option (try --help)\n");
            return 2;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "mirrorkey token: unexpected argument (try --help)\n");
        return 2;
    }
    if (o->uri == NULL) {
        fprintf(stderr, "mirrorkey token: --uri is required\n");
        return 2;
    }
    return 0;
}

/* Print the thread's last error as the one human line of this tool. */
static int fail(const char *what)
{
    fprintf(stderr, "mirrorkey token: %s: %s\n", what, mk_error_message());
    return 1;
}

static void print_hex(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        printf("%02x", p[i]);
    }
}

static int open_token(const token_opts *o, p11_uri **uri, p11_token **tok)
{
    p11_token_defaults defs = {.pin_source = o->pin_source};
    if (mk_failed(p11_uri_parse(o->uri, uri))) {
        return fail("bad --uri");
    }
    if (mk_failed(p11_token_open_uri(*uri, &defs, tok))) {
        return fail("cannot open token");
    }
    return 0;
}

static int print_report(const p11_policy_report *rep)
{
    mk_buf text;
    mk_buf_init(&text, 0);
    if (mk_failed(p11_policy_render(rep, &text))) {
        mk_buf_cleanup(&text);
        return fail("rendering report");
    }
    fputs((const char *)text.data, stdout);
    mk_buf_cleanup(&text);
    return rep->pass ? 0 : 1;
}

static int cmd_info(p11_token *tok)
{
    p11_module_info mi;
    if (mk_failed(p11_module_get_info(p11_token_module(tok), &mi))) {
        return fail("C_GetInfo");
    }
    const p11_token_info *ti = p11_token_get_info(tok);
    printf("module:        %s\n", p11_module_path(p11_token_module(tok)));
    printf("library:       %s, %s %d.%d (Cryptoki %d.%d)\n", mi.manufacturer, mi.description,
           mi.library_major, mi.library_minor, mi.cryptoki_major, mi.cryptoki_minor);
    printf("token:         %s\n", ti->label);
    printf("manufacturer:  %s\nmodel:         %s\nserial:        %s\n", ti->manufacturer, ti->model,
           ti->serial);
    printf("logged in:     %s\n", p11_token_logged_in(tok) ? "yes" : "no");
    return 0;
}

static int cmd_keygen(p11_token *tok, const token_opts *o)
{
    p11_keygen_params params = {.type = P11_KEY_RSA, .bits = o->bits, .label = o->label};
    p11_policy_report rep;
    p11_key *key = NULL;
    mk_buf uri;
    if (o->label == NULL) {
        fprintf(stderr, "mirrorkey token keygen: --label is required\n");
        return 2;
    }
    if (o->type != NULL && strcmp(o->type, "ec") == 0) {
        params.type = P11_KEY_EC;
    } else if (o->type != NULL && strcmp(o->type, "rsa") != 0) {
        fprintf(stderr, "mirrorkey token keygen: --type must be rsa or ec\n");
        return 2;
    }
    memset(&rep, 0, sizeof(rep));
    if (mk_failed(p11_keygen(tok, &params, &key, &rep))) {
        int rc = fail("keygen");
        if (rep.count > 0) {
            (void)print_report(&rep);
        }
        return rc;
    }
    size_t id_len = 0;
    const uint8_t *id = p11_key_id(key, &id_len);
    printf("generated %s-%u key '%s' id ", params.type == P11_KEY_EC ? "EC" : "RSA",
           p11_key_bits(key), p11_key_label(key));
    print_hex(id, id_len);
    mk_buf_init(&uri, 0);
    if (mk_ok(p11_key_uri(key, &uri))) {
        printf("\nuri %s\n", (const char *)uri.data);
    }
    mk_buf_cleanup(&uri);
    int rc = print_report(&rep);
    p11_key_unref(key);
    return rc;
}

static int cmd_report(p11_token *tok, const p11_uri *sel)
{
    p11_key *key = NULL;
    p11_policy_report rep;
    if (mk_failed(p11_key_find(tok, sel, &key))) {
        return fail("finding key");
    }
    if (mk_failed(p11_key_policy_check(key, &rep))) {
        p11_key_unref(key);
        return fail("policy check");
    }
    int rc = print_report(&rep);
    p11_key_unref(key);
    return rc;
}

static int cmd_list(p11_token *tok, const p11_uri *sel)
{
    static const char *const kinds[] = {"?", "private-key", "public-key", "certificate"};
    p11_object_list *l = NULL;
    if (mk_failed(p11_objects_find_all(tok, sel, &l))) {
        return fail("listing objects");
    }
    for (size_t i = 0; i < p11_object_list_count(l); i++) {
        p11_object_kind kind = p11_object_list_kind(l, i);
        const uint8_t *id;
        size_t id_len = 0;
        const char *label;
        p11_key *k = p11_object_list_key(l, i);
        if (k != NULL) {
            id = p11_key_id(k, &id_len);
            label = p11_key_label(k);
        } else {
            const p11_cert *c = p11_object_list_cert(l, i);
            id = p11_cert_id(c, &id_len);
            label = p11_cert_label(c);
        }
        printf("%-12s %-32s id=", kinds[kind], label);
        print_hex(id, id_len);
        if (k != NULL) {
            printf(" %s-%u", p11_key_get_type(k) == P11_KEY_EC ? "EC" : "RSA", p11_key_bits(k));
        }
        printf("\n");
    }
    p11_object_list_free(l);
    return 0;
}

int mk_cmd_token(int argc, char **argv)
{
    token_opts o = {0};
    if (argc < 1 || strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0) {
        token_usage(argc < 1 ? stderr : stdout);
        return argc < 1 ? 2 : 0;
    }
    const char *verb = argv[0];
    if (strcmp(verb, "info") != 0 && strcmp(verb, "keygen") != 0 && strcmp(verb, "report") != 0 &&
        strcmp(verb, "list") != 0) {
        fprintf(stderr, "mirrorkey token: unknown action '%s' (try --help)\n", verb);
        return 2;
    }
    int rc = parse_opts(argc, argv, &o);
    if (rc != 0) {
        return rc;
    }
    p11_uri *uri = NULL;
    p11_token *tok = NULL;
    rc = open_token(&o, &uri, &tok);
    if (rc == 0) {
        if (strcmp(verb, "info") == 0) {
            rc = cmd_info(tok);
        } else if (strcmp(verb, "keygen") == 0) {
            rc = cmd_keygen(tok, &o);
        } else if (strcmp(verb, "report") == 0) {
            rc = cmd_report(tok, uri);
        } else {
            rc = cmd_list(tok, uri);
        }
    }
    p11_token_unref(tok);
    p11_uri_free(uri);
    return rc;
}
