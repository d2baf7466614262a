/* cli.h — shared by the `mamori` subcommands (src/cli/). */
#ifndef MMR_CLI_H
#define MMR_CLI_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

/* Print "mamori: エラー [CODE]: message" as one line on stderr. */
void cli_fail(const char *code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Read all of f, at most `limit` bytes, NUL-terminated, malloc'd. */
int cli_read_all(FILE *f, size_t limit, char **out, size_t *len);

int cmd_decide(int argc, char **argv);
int cmd_policy(int argc, char **argv);
int cmd_init(int argc, char **argv);
int cmd_tenant(int argc, char **argv);
int cmd_user(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_backup(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_zones(int argc, char **argv);
int cmd_mail(int argc, char **argv);
int cmd_log(int argc, char **argv);
int cmd_sanitize(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_incident(int argc, char **argv);

#endif
