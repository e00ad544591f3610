/*
 * Sub-commands of the `mirrorkey` tool. Each takes the arguments after its
 * name and returns the process exit code: 0 success, 1 operation failed,
 * 2 usage error.
 */
#ifndef MIRRORKEY_COMMANDS_H
#define MIRRORKEY_COMMANDS_H

int mk_cmd_token(int argc, char **argv);
/* `outbound`, `inbound`, `apply` and `status` (cmd_setup.c); argv[0] is the command. */
int mk_cmd_setup(const char *cmd, int argc, char **argv);

#endif
