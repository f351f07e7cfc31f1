/* commands.h: cirr-verify's subcommands, one file each. Each gets argv
 * from its own name on and returns the exit code (outcome.h). */
#ifndef CIRR_VERIFY_COMMANDS_H
#define CIRR_VERIFY_COMMANDS_H

int cmd_keygen(int argc, char **argv);
int cmd_sign(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_md5(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_manifest(int argc, char **argv);

/* The usage lines (main.c), printed to stderr on a usage error. */
extern const char verify_usage[];

#endif
