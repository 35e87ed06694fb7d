/* The cfg-file tests' fixture: parse a text as a named file and keep the messages
 * (one copy for test_xlcfg.c, test_xlcfg_disk.c and test_xlcfg_vif.c, each its own
 * program). XLCFG_FIXTURE_FILE names the file the messages cite. */
#ifndef TESTS_UNIT_XLCFG_FIXTURE_H
#define TESTS_UNIT_XLCFG_FIXTURE_H

#include "unit.h"
#include "xlcfg.h"

#define MAX_MSGS 16
static char msgs[MAX_MSGS][XLCFG_MSG_MAX];
static int nr_msgs;
static struct domain_config cfg;

static void collect(void *arg, const char *msg)
{
    (void)arg;
    if (nr_msgs < MAX_MSGS)
        snprintf(msgs[nr_msgs], sizeof(msgs[0]), "%s", msg);
    nr_msgs++;
}

static int parse(const char *text)
{
    nr_msgs = 0;
    memset(msgs, 0, sizeof(msgs));
    return xlcfg_parse(&cfg, XLCFG_FIXTURE_FILE, text, strlen(text), collect, NULL);
}

#endif
