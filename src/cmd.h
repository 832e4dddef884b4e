/*
 * cmd: the subcommands of the feedmill binary. Each takes the arguments
 * after its name (argv[0] is the command name) and returns the process exit
 * status: 0 success, 1 failure of the work, 2 a usage error.
 */
#ifndef FEEDMILL_CMD_H
#define FEEDMILL_CMD_H

#define EXIT_USAGE 2

int cmd_parse(int argc, char **argv);

#endif
