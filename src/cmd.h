/*
 * cmd: the subcommands of the feedmill binary. Each takes the arguments
 * after its name (argv[0] is the command name) and returns the process exit
 * status: 0 success, 1 failure of the work, 2 a usage error.
 */
#ifndef FEEDMILL_CMD_H
#define FEEDMILL_CMD_H

#define EXIT_USAGE 2

struct conf;

int cmd_parse(int argc, char **argv);
int cmd_check_config(int argc, char **argv);
int cmd_import_opml(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_fields(int argc, char **argv);
int cmd_digest(int argc, char **argv);
int cmd_status(int argc, char **argv);

/* sysconfdir/feedmill/feedmill.conf */
const char *cmd_default_config(void);

/* Load the configuration at path into c, printing its problems
 * ("file:line: ...") on stderr. 0, or -1 with c released. */
int cmd_load_config(struct conf *c, const char *path);

/* The -c FILE option (default: sysconfdir/feedmill/feedmill.conf); *next is
 * the index of the first argument after the options. */
const char *cmd_config_path(int argc, char **argv, int *next);

#endif
