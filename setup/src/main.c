/*
 * `mirrorkey`: entry point and sub-command dispatch.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "mk/secret.h"
#include "transcript.h"

static void usage(FILE *f)
{
    fputs("usage: mirrorkey <command> [options]\n"
          "\n"
          "commands:\n"
          "  apply       set up a whole topology file: outbound, inbound, sessions\n"
          "  status      certificates, endpoints, connections and sessions (exit 0/1/2)\n"
          "  outbound    master key, certificate on the token, endpoint, public .cer\n"
          "  inbound     login, user, peer certificate and CONNECT for one peer\n"
          "  token       key ceremony on a PKCS#11 token: info, keygen, report, list\n"
          "  transcript  verify a ceremony transcript's hash chain and signature\n"
          "\n"
          "Run 'mirrorkey <command> --help' for a command's options.\n"
          "PINs are never taken on the command line: use a pin-source in the\n"
          "pkcs11: URI (file:PATH with mode 0600, fd:N, prompt, pinpad).\n",
          f);
}

int main(int argc, char **argv)
{
    mk_harden_process();
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return 0;
    }
    static const char *const setup_cmds[] = {"apply", "status", "outbound", "inbound"};
    for (size_t i = 0; i < sizeof(setup_cmds) / sizeof(setup_cmds[0]); i++) {
        if (strcmp(argv[1], setup_cmds[i]) == 0) {
            return mk_cmd_setup(setup_cmds[i], argc - 1, argv + 1);
        }
    }
    if (strcmp(argv[1], "token") == 0) {
        return mk_cmd_token(argc - 2, argv + 2);
    }
    if (strcmp(argv[1], "transcript") == 0) {
        return mk_cmd_transcript(argc - 2, argv + 2);
    }
    fprintf(stderr, "mirrorkey: unknown command '%s' (try --help)\n", argv[1]);
    return 2;
}
