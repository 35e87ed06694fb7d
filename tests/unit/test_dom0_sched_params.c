/* Host tests for dom0's side of scheduler parameters by declaration
 * (dom0/sched_params.c): key=value and cfg-file keys checked against the
 * declarations a policy lists (SYSCTL_sched_decls), every message exact, and values
 * as xl sched-get prints them. dom0 keeps no table of which policy has which key:
 * these tests give it declarations and check that it follows them. */
#include "unit.h"
#include <hvlab/errno.h>
#include "sched_params.h"
#include "xlcfg.h"

static void name_if_failed(int *before, const char *what)
{
    if (unit_failed_checks != *before)
        printf("    in case \"%s\"\n", what);
    *before = unit_failed_checks;
}

/* Declarations as SYSCTL_sched_decls returns them: credit's, and a policy of the
 * kind docs/writing-a-scheduler.md adds. */
static const struct sysctl_sched_decls credit_decls = {
    .policy = "credit", .sched_id = 5, .nr_params = 2,
    .param = { { "weight", "", SCHED_PARAM_INT, 0, 1, 65535, 256 },
               { "cap", "%", SCHED_PARAM_INT, SCHED_PARAM_LIMITS, 0, 6400, 0 } },
};
static const struct sysctl_sched_decls mixed_decls = {
    .policy = "mixed", .sched_id = 42, .nr_params = 3,
    .param = { { "tickets", "", SCHED_PARAM_INT, 0, 1, 10000, 100 },
               { "turbo", "", SCHED_PARAM_BOOL, SCHED_PARAM_PER_VCPU, 0, 1, 0 },
               { "home_nodes", "", SCHED_PARAM_NODES, 0, 0, 255, 0 } },
};

static void test_sched_kv(void)
{
    static const struct {
        const struct sysctl_sched_decls *dc;
        const char *kv, *err;
        unsigned idx;
        uint64_t value;
    } cases[] = {
        { &credit_decls, "weight=512", NULL, 0, 512 },
        { &credit_decls, "cap=6400", NULL, 1, 6400 },
        { &credit_decls, "weight=0", "weight: expected 1..65535, got \"0\"", 0, 0 },
        { &credit_decls, "cap=6401", "cap: expected 0..6400 %, got \"6401\"", 0, 0 },
        { &credit_decls, "weight=lots", "weight: expected 1..65535, got \"lots\"", 0, 0 },
        { &credit_decls, "tickets=300",
          "no parameter 'tickets' in policy 'credit' (it has: weight, cap)", 0, 0 },
        { &mixed_decls, "tickets=300", NULL, 0, 300 },
        { &mixed_decls, "turbo=yes", NULL, 1, 1 },
        { &mixed_decls, "turbo=0", NULL, 1, 0 },
        { &mixed_decls, "turbo=2", "turbo: expected 0 or 1, got \"2\"", 0, 0 },
        { &mixed_decls, "home_nodes=0,2", NULL, 2, 5 },
        { &mixed_decls, "home_nodes=auto", NULL, 2, 0 },
        { &mixed_decls, "home_nodes=9",
          "home_nodes: bad node list \"9\": nodes are 0..7, in order", 0, 0 },
        { &mixed_decls, "weight=2",
          "no parameter 'weight' in policy 'mixed' (it has: tickets, turbo, home_nodes)", 0, 0 },
    };
    int before = unit_failed_checks;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct domctl_scheduler_op op;
        const char *eq = strchr(cases[i].kv, '=');
        char err[200] = "";
        memset(&op, 0, sizeof(op));
        int rc = xl_sched_kv(cases[i].dc, cases[i].kv, (size_t)(eq - cases[i].kv), eq + 1,
                             &op, err, sizeof(err));
        CHECK_EQ(rc, cases[i].err ? -EINVAL : 0);
        CHECK_STREQ(err, cases[i].err ? cases[i].err : "");
        CHECK_EQ(op.mask, cases[i].err ? 0u : 1u << cases[i].idx);
        if (!cases[i].err)
            CHECK_EQ(op.value[cases[i].idx], cases[i].value);
        name_if_failed(&before, cases[i].kv);
    }
}

static char cfg_msgs[4][XLCFG_MSG_MAX];
static int nr_cfg_msgs;

static void cfg_collect(void *arg, const char *msg)
{
    (void)arg;
    if (nr_cfg_msgs < 4)
        snprintf(cfg_msgs[nr_cfg_msgs], sizeof(cfg_msgs[0]), "%s", msg);
    nr_cfg_msgs++;
}

/* A cfg file's keys against the pool's policy: what it does not declare is an error
 * with file, line and key (before: a warning, and the domain ran without them). */
static void test_sched_cfg(void)
{
    static const char text[] = "name = \"a\"\nkernel = \"k\"\nmemory = 8\n"
                               "weight = 512\ntickets = 30\ncap = 50\n";
    static struct domain_config cfg;
    struct domctl_scheduler_op op;

    CHECK_EQ(xlcfg_parse(&cfg, "a.cfg", text, sizeof(text) - 1, NULL, NULL), 0);
    memset(&op, 0, sizeof(op));
    nr_cfg_msgs = 0;
    CHECK_EQ(xl_sched_cfg(&credit_decls, "a.cfg", &cfg.sched, &op, cfg_collect, NULL), 1);
    CHECK_EQ(nr_cfg_msgs, 1);
    CHECK_STREQ(cfg_msgs[0], "a.cfg:5: key 'tickets': no parameter 'tickets' in policy "
                "'credit' (it has: weight, cap)");
    CHECK_EQ(op.mask, 3);
    CHECK_EQ(op.value[0], 512);
    CHECK_EQ(op.value[1], 50);

    memset(&op, 0, sizeof(op));
    nr_cfg_msgs = 0;
    CHECK_EQ(xl_sched_cfg(&mixed_decls, "a.cfg", &cfg.sched, &op, cfg_collect, NULL), 2);
    CHECK_STREQ(cfg_msgs[0], "a.cfg:4: key 'weight': no parameter 'weight' in policy "
                "'mixed' (it has: tickets, turbo, home_nodes)");
    CHECK_STREQ(cfg_msgs[1], "a.cfg:6: key 'cap': no parameter 'cap' in policy 'mixed' "
                "(it has: tickets, turbo, home_nodes)");
    CHECK_EQ(op.mask, 1);
    CHECK_EQ(op.value[0], 30);
}

static void test_sched_value(void)
{
    char buf[40];

    xl_sched_value(SCHED_PARAM_INT, 512, buf, sizeof(buf));
    CHECK_STREQ(buf, "512");
    xl_sched_value(SCHED_PARAM_BOOL, 1, buf, sizeof(buf));
    CHECK_STREQ(buf, "yes");
    xl_sched_value(SCHED_PARAM_NODES, 0, buf, sizeof(buf));
    CHECK_STREQ(buf, "auto");
    xl_sched_value(SCHED_PARAM_NODES, 0xb, buf, sizeof(buf));
    CHECK_STREQ(buf, "0-1,3");
    xl_sched_keys(&credit_decls, buf, sizeof(buf));
    CHECK_STREQ(buf, "weight, cap");
}

static const struct unit_case cases[] = {
    { "sched_kv", test_sched_kv },
    { "sched_cfg", test_sched_cfg },
    { "sched_value", test_sched_value },
};
UNIT_MAIN(cases)
