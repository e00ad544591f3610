/*
 * mirrorkeyd: the mirrorkey instance daemon. Dispatches to `init` and `run`
 * (srv/cli.h documents the command line). Exit codes: 0 success, 1 failure,
 * 2 bad command line.
 */
#include <stdio.h>

#include "internal.h"
#include "mk/secret.h"
#include "srv/cli.h"

int main(int argc, char **argv)
{
    /* Before anything holds a secret: no core dumps, no ptrace by the same user. */
    mk_harden_process();
    srv_cli cli;
    if (mk_failed(srv_cli_parse(argc, argv, &cli))) {
        fprintf(stderr, "mirrorkeyd: %s\n", mk_error_message());
        return 2;
    }
    if (cli.help) {
        fputs(srv_cli_usage(cli.command), stdout);
        return 0;
    }
    switch (cli.command) {
    case SRV_CMD_INIT: return srv_cmd_init(&cli.init);
    case SRV_CMD_RUN: return srv_cmd_run(&cli.run);
    default: fputs(srv_cli_usage(SRV_CMD_NONE), stderr); return 2;
    }
}
