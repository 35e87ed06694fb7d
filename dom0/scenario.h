/* Scenario scripts: what dom0 runs at boot when a module named "scenario" exists.
 * One xl command per line (see xl.h: the same commands as the shell, plus wait,
 * sleep and echo), '#' comments, blank lines. The whole file is checked before the
 * first command runs, so a typo on line 40 does not leave half a scenario done. */
#ifndef DOM0_SCENARIO_H
#define DOM0_SCENARIO_H

#include "xl.h"

#define SCENARIO_MAX_CMDS 256
#define SCENARIO_POOL     16384         /* bytes of command text */
#define SCENARIO_MSG_MAX  192

struct scenario_cmd {
    unsigned line;
    struct xl_args args;                /* words point into scenario.pool */
};

struct scenario {
    const char *file;
    unsigned nr;
    struct scenario_cmd cmd[SCENARIO_MAX_CMDS];
    size_t used;
    char pool[SCENARIO_POOL];
};

typedef void (*scenario_report_fn)(void *arg, const char *msg);

/* Parses text[0..len) of the file named file into *s (which must not move
 * afterwards: the words point into it). Reports every problem as
 * "<file>:<line>: <why>" and returns their number; *s is runnable only if 0. */
int scenario_parse(struct scenario *s, const char *file, const char *text,
                   size_t len, scenario_report_fn report, void *arg);

/* Runs the commands in order through exec (which prints what it does), telling out
 * about each before it runs ("xl> create a.cfg") and, if one fails, which one
 * ("<file>:<line>: 'create a.cfg' failed: <errno name>"); stops there.
 * Returns 0 or the failing command's error. */
int scenario_run(const struct scenario *s,
                 int (*exec)(void *arg, const struct xl_args *a), void *arg,
                 void (*out)(void *arg, const char *line));

/* The words of a command joined by single blanks. */
void scenario_cmd_text(const struct xl_args *a, char *buf, size_t size);

#endif
