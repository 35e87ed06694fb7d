/* Host tests for the scheduler and CPU pool commands of dom0's toolstack: their
 * arguments (dom0/sched_args.c), their output lines (dom0/sched_format.c), their
 * entries in the command table (dom0/xl_cmdtable.c) and `expect`. */
#include "unit.h"
#include "arinc653_args.h"
#include "sched_args.h"
#include "sched_format.h"
#include "scenario.h"
#include "strutil.h"

/* ---- stub handlers of the older commands: the table needs them ---- */
#define STUB(fn) int fn(int argc, char **argv) { (void)argc; (void)argv; return 0; }
STUB(xl_create) STUB(xl_list) STUB(xl_destroy) STUB(xl_pause) STUB(xl_unpause) STUB(xl_console_input)
STUB(xl_shutdown) STUB(xl_vcpu_list) STUB(xl_vcpu_pin) STUB(xl_info) STUB(xl_dmesg)
STUB(xl_help) STUB(xl_wait) STUB(xl_sleep) STUB(xl_echo) STUB(xl_trace)

/* Splits s at blanks into argv (words point into a static copy). */
static int split(const char *s, char **argv)
{
    static char buf[256];
    int argc = 0;

    snprintf(buf, sizeof(buf), "%s", s);
    for (char *w = strtok(buf, " "); w && argc < 16; w = strtok(NULL, " "))
        argv[argc++] = w;
    argv[argc] = NULL;
    return argc;
}

/* Names the case of a table whose checks failed since *before. */
static void name_if_failed(int *before, const char *what)
{
    if (unit_failed_checks != *before)
        printf("    in case \"%s\"\n", what);
    *before = unit_failed_checks;
}

/* ---- sched-* arguments ---- */

static void test_sched_args_ok(void)
{
    static const struct {
        const char *line;
        const char *policy;
        const char *dom;
        unsigned given;
        uint32_t weight, cap, period, budget, extra, vcpu, nodes;
    } cases[] = {
        { "sched-credit", "credit", NULL, 0, 0, 0, 0, 0, 0, RTDS_ALL_VCPUS, 0 },
        { "sched-credit -d loop-a", "credit", "loop-a", 0, 0, 0, 0, 0, 0,
          RTDS_ALL_VCPUS, 0 },
        { "sched-credit -d 3 -w 512 -c 50", "credit", "3",
          SCHED_ARG_WEIGHT | SCHED_ARG_CAP, 512, 50, 0, 0, 0, RTDS_ALL_VCPUS, 0 },
        { "sched-credit2 -c 0 -d a", "credit2", "a", SCHED_ARG_CAP, 0, 0, 0, 0, 0,
          RTDS_ALL_VCPUS, 0 },
        { "sched-credit2 -d a -w 65535", "credit2", "a", SCHED_ARG_WEIGHT, 65535,
          0, 0, 0, 0, RTDS_ALL_VCPUS, 0 },
        { "sched-rtds -d rt -v all -p 10000 -b 3000 -e 0", "rtds", "rt",
          SCHED_ARG_VCPU | SCHED_ARG_PERIOD | SCHED_ARG_BUDGET | SCHED_ARG_EXTRA, 0, 0,
          10000, 3000, 0, RTDS_ALL_VCPUS, 0 },
        { "sched-rtds -d rt -v 1 -b 10", "rtds", "rt",
          SCHED_ARG_VCPU | SCHED_ARG_BUDGET, 0, 0, 0, 10, 0, 1, 0 },
        { "sched-rtds -d rt -e 1", "rtds", "rt", SCHED_ARG_EXTRA, 0, 0, 0, 0, 1,
          RTDS_ALL_VCPUS, 0 },
        { "sched-numa -d n -w 300 -n 0-1", "numa", "n",
          SCHED_ARG_WEIGHT | SCHED_ARG_NODES, 300, 0, 0, 0, 0, RTDS_ALL_VCPUS, 3 },
        { "sched-numa -d n -n auto", "numa", "n", SCHED_ARG_NODES, 0, 0, 0, 0, 0,
          RTDS_ALL_VCPUS, 0 },
    };
    char *argv[17], err[200];
    struct sched_args a;
    int before = unit_failed_checks;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int argc = split(cases[i].line, argv);
        err[0] = '\0';
        CHECK_EQ(sched_args_parse(argc, argv, &a, err, sizeof(err)), 0);
        CHECK_STREQ(err, "");
        CHECK_STREQ(a.info->policy, cases[i].policy);
        CHECK_STREQ(a.dom ? a.dom : "(none)", cases[i].dom ? cases[i].dom : "(none)");
        CHECK_EQ(a.given, cases[i].given);
        CHECK_EQ(a.weight, cases[i].weight);
        CHECK_EQ(a.cap, cases[i].cap);
        CHECK_EQ(a.period_us, cases[i].period);
        CHECK_EQ(a.budget_us, cases[i].budget);
        CHECK_EQ(a.extratime, cases[i].extra);
        CHECK_EQ(a.vcpu, cases[i].vcpu);
        CHECK_EQ(a.nodes, cases[i].nodes);
        name_if_failed(&before, cases[i].line);
    }
}

static void test_sched_args_errors(void)
{
    static const struct { const char *line, *err; } cases[] = {
        { "sched-credit -w 512", "sched-credit: setting parameters (or -v) needs -d <dom>" },
        { "sched-credit -d a -w 0", "sched-credit: -w: expected a weight 1..65535, got \"0\"" },
        { "sched-credit -d a -w 65536",
          "sched-credit: -w: expected a weight 1..65535, got \"65536\"" },
        { "sched-credit -d a -w lots",
          "sched-credit: -w: expected a weight 1..65535, got \"lots\"" },
        { "sched-credit -d a -c 3201",
          "sched-credit: -c: expected a cap in % of one CPU 0..3200, got \"3201\"" },
        { "sched-credit -d a -p 100", "sched-credit: unknown option '-p' (options: -dwc)" },
        { "sched-credit -d a -d b", "sched-credit: option -d given twice" },
        { "sched-credit -d", "sched-credit: option -d needs a value" },
        { "sched-credit a", "sched-credit: unknown option 'a' (options: -dwc)" },
        { "sched-credit2 --weight 5", "sched-credit2: unknown option '--weight' (options: -dwc)" },
        { "sched-rtds -d a -p 9", "sched-rtds: -p: expected a period in us 10..10000000, got \"9\"" },
        { "sched-rtds -d a -b 10000001",
          "sched-rtds: -b: expected a budget in us 10..10000000, got \"10000001\"" },
        { "sched-rtds -d a -p 1000 -b 2000", "sched-rtds: budget 2000 us exceeds period 1000 us" },
        { "sched-rtds -d a -e 2", "sched-rtds: -e: expected extratime 0..1, got \"2\"" },
        { "sched-rtds -d a -v 32", "sched-rtds: -v: expected a vCPU 0..31 or 'all', got \"32\"" },
        { "sched-rtds -v 1", "sched-rtds: setting parameters (or -v) needs -d <dom>" },
        { "sched-rtds -d a -w 5", "sched-rtds: unknown option '-w' (options: -dvpbe)" },
        { "sched-numa -d a -n 8",
          "sched-numa: -n: bad node list \"8\": nodes are 0..7, in order" },
        { "sched-numa -d a -n 1-0",
          "sched-numa: -n: bad node list \"1-0\": nodes are 0..7, in order" },
        { "sched-numa -d a -n x",
          "sched-numa: -n: bad node list \"x\": expected \"0\", \"0-1\", \"0,2\" or \"auto\"" },
        { "sched-numa -d a -c 5", "sched-numa: unknown option '-c' (options: -dwn)" },
    };
    char *argv[17], err[200];
    struct sched_args a;
    int before = unit_failed_checks;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int argc = split(cases[i].line, argv);
        err[0] = '\0';
        CHECK_EQ(sched_args_parse(argc, argv, &a, err, sizeof(err)), -EINVAL);
        CHECK_STREQ(err, cases[i].err);
        name_if_failed(&before, cases[i].line);
    }
}

static void test_nodes(void)
{
    static const struct { const char *s; int rc; uint32_t nodes; } cases[] = {
        { "auto", 0, 0 }, { "0", 0, 1 }, { "0-1", 0, 3 }, { "0,2", 0, 5 },
        { "1,3-4,7", 0, 0x9a }, { "", -EINVAL, 0 }, { "0,", -EINVAL, 0 },
        { "-1", -EINVAL, 0 }, { "9", -EINVAL, 0 },
    };
    char err[160];
    uint32_t n;
    int before = unit_failed_checks;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        CHECK_EQ(sched_nodes_parse(cases[i].s, &n, err, sizeof(err)), cases[i].rc);
        if (!cases[i].rc)
            CHECK_EQ(n, cases[i].nodes);
        name_if_failed(&before, cases[i].s);
    }
}

static void test_policy_names(void)
{
    CHECK(sched_cmd_info("sched-rr") == NULL);
    CHECK_STREQ(sched_cmd_info("sched-rtds")->policy, "rtds");
}

/* ---- arinc653-set, arinc653-get ---- */

static void test_arinc653_args_ok(void)
{
    static struct arinc653_args a;
    char *argv[17], err[200];
    int argc = split("arinc653-set -p rt 20000 a=5000,b:1=3000 7=100", argv);

    CHECK_EQ(arinc653_args_parse(argc, argv, &a, err, sizeof(err)), 0);
    CHECK_STREQ(a.pool, "rt");
    CHECK_EQ(a.major_us, 20000);
    CHECK_EQ(a.n, 3);
    CHECK_STREQ(a.w[0].dom, "a");
    CHECK_EQ(a.w[0].vcpu, ARINC653_ALL_VCPUS);
    CHECK_EQ(a.w[0].runtime_us, 5000);
    CHECK_STREQ(a.w[1].dom, "b");
    CHECK_EQ(a.w[1].vcpu, 1);
    CHECK_EQ(a.w[1].runtime_us, 3000);
    CHECK_STREQ(a.w[2].dom, "7");
    CHECK_EQ(a.w[2].runtime_us, ARINC653_MIN_RUNTIME_US);
    argc = split("arinc653-set 100 d=100", argv);           /* exactly full */
    CHECK_EQ(arinc653_args_parse(argc, argv, &a, err, sizeof(err)), 0);
    CHECK(a.pool == NULL);
    argc = split("arinc653-get -p 1", argv);
    CHECK_EQ(arinc653_args_parse(argc, argv, &a, err, sizeof(err)), 0);
    CHECK_STREQ(a.pool, "1");
    argc = split("arinc653-get", argv);
    CHECK_EQ(arinc653_args_parse(argc, argv, &a, err, sizeof(err)), 0);
}

static void test_arinc653_args_errors(void)
{
    static const struct { const char *line, *err; } cases[] = {
        { "arinc653-set 10000 a=6000 b=5000",
          "arinc653-set: window 1 (\"b=5000\") ends at 11000 us, past the major frame of "
          "10000 us" },
        { "arinc653-set 10000 a=99",
          "arinc653-set: window 0 (\"a=99\"): runtime 99 us is under the minimum, 100 us" },
        { "arinc653-set 0 a=100", "arinc653-set: expected a major frame of 1..10000000 us, "
          "got \"0\"" },
        { "arinc653-set 10000001 a=100", "arinc653-set: expected a major frame of "
          "1..10000000 us, got \"10000001\"" },
        { "arinc653-set 10000", "arinc653-set: no windows (usage: arinc653-set [-p <pool>] "
          "<major_us> <dom>[:<vcpu>]=<runtime_us> ...)" },
        { "arinc653-set 10000 a", "arinc653-set: window 0 (\"a\"): expected "
          "<dom>=<runtime_us> or <dom>:<vcpu>=<runtime_us>" },
        { "arinc653-set 10000 =100", "arinc653-set: window 0 (\"=100\"): expected "
          "<dom>=<runtime_us> or <dom>:<vcpu>=<runtime_us>" },
        { "arinc653-set 10000 a:x=100", "arinc653-set: window 0 (\"a:x=100\"): bad vCPU "
          "number" },
        { "arinc653-set 10000 :1=100", "arinc653-set: window 0 (\":1=100\"): bad domain" },
        { "arinc653-set 10000 a=1ms", "arinc653-set: window 0 (\"a=1ms\"): expected a "
          "runtime in us" },
        { "arinc653-set -p", "arinc653-set: -p needs a pool name or id" },
        { "arinc653-get 5", "arinc653-get: unexpected \"5\" (usage: arinc653-get "
          "[-p <pool>])" },
    };
    static struct arinc653_args a;
    char *argv[17], err[200];
    int before = unit_failed_checks;

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        int argc = split(cases[i].line, argv);
        err[0] = '\0';
        CHECK_EQ(arinc653_args_parse(argc, argv, &a, err, sizeof(err)), -EINVAL);
        CHECK_STREQ(err, cases[i].err);
        name_if_failed(&before, cases[i].line);
    }
    /* More than ARINC653_MAX_ENTRIES windows (in comma lists). */
    static char line[1024];
    int n = snprintf(line, sizeof(line), "arinc653-set 10000000 ");
    for (unsigned i = 0; i <= ARINC653_MAX_ENTRIES; i++)
        n += snprintf(line + n, sizeof(line) - (size_t)n, "%sd=100", i ? "," : "");
    char *av[3] = { "arinc653-set", "10000000", line + strlen("arinc653-set 10000000 ") };
    CHECK_EQ(arinc653_args_parse(3, av, &a, err, sizeof(err)), -EINVAL);
    CHECK_STREQ(err, "arinc653-set: more than 64 windows");
}

/* ---- cpupool-create ---- */

static void test_pool_create_args(void)
{
    char *argv[17], err[200];
    struct cpupool_create_args a;
    int argc;

    argc = split("cpupool-create name=rt sched=rtds cpus=1-2", argv);
    CHECK_EQ(cpupool_create_args_parse(argc, argv, &a, err, sizeof(err)), 0);
    CHECK_STREQ(a.name, "rt");
    CHECK_STREQ(a.sched, "rtds");
    CHECK(a.has_cpus && a.cpus.cpus == 6);
    CHECK(a.file == NULL);

    argc = split("cpupool-create pool.cfg sched=credit2", argv);
    CHECK_EQ(cpupool_create_args_parse(argc, argv, &a, err, sizeof(err)), 0);
    CHECK_STREQ(a.file, "pool.cfg");
    CHECK_STREQ(a.name, "");
    CHECK_STREQ(a.sched, "credit2");

    static const struct { const char *line, *err; } bad[] = {
        { "cpupool-create sched=rtds", "cpupool-create: name=<name> is required" },
        { "cpupool-create name=123", "cpupool-create: name: \"123\": expected 1..15 "
          "characters, not a number, no blanks" },
        { "cpupool-create name=abcdefghijklmnop", "cpupool-create: name: "
          "\"abcdefghijklmnop\": expected 1..15 characters, not a number, no blanks" },
        { "cpupool-create name=", "cpupool-create: name: \"\": expected 1..15 "
          "characters, not a number, no blanks" },
        { "cpupool-create name=a cpus=9-1", "cpupool-create: cpus: bad CPU range "
          "\"9-1\": start above end" },
        { "cpupool-create name=a size=3", "cpupool-create: unknown setting 'size' "
          "(name, sched, cpus)" },
        { "cpupool-create name=a file", "cpupool-create: \"file\": expected key=value "
          "(a file comes first, once)" },
    };
    int before = unit_failed_checks;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        argc = split(bad[i].line, argv);
        err[0] = '\0';
        CHECK_EQ(cpupool_create_args_parse(argc, argv, &a, err, sizeof(err)), -EINVAL);
        CHECK_STREQ(err, bad[i].err);
        name_if_failed(&before, bad[i].line);
    }
}

static void test_pool_file(void)
{
    const char *text = "# an rtds pool\n"
                       "name = \"rt\"\n"
                       "  sched='rtds'   # EDF\n"
                       "\n"
                       "cpus = \"2-3\"\n";
    struct cpupool_create_args a;
    char err[200];

    memset(&a, 0, sizeof(a));
    a.file = "rt.pool";
    CHECK_EQ(cpupool_file_parse(&a, "rt.pool", text, strlen(text), err, sizeof(err)), 0);
    CHECK_STREQ(a.name, "rt");
    CHECK_STREQ(a.sched, "rtds");
    CHECK(a.has_cpus && a.cpus.cpus == 0xc);

    /* The command line wins over the file. */
    memset(&a, 0, sizeof(a));
    snprintf(a.sched, sizeof(a.sched), "credit");
    CHECK_EQ(cpupool_file_parse(&a, "rt.pool", text, strlen(text), err, sizeof(err)), 0);
    CHECK_STREQ(a.sched, "credit");
    CHECK_STREQ(a.name, "rt");

    static const struct { const char *text, *err; } bad[] = {
        { "name rt\n", "p:1: expected key = value" },
        { "\nname = \"rt\"\ncpus = x\n", "p:3: cpus: bad CPU list item \"x\"" },
        { "sched = rtds\n", "p: no name = \"<name>\" setting" },
        { "name = 7\n", "p:1: name: \"7\": expected 1..15 characters, not a number, "
          "no blanks" },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(&a, 0, sizeof(a));
        err[0] = '\0';
        CHECK_EQ(cpupool_file_parse(&a, "p", bad[i].text, strlen(bad[i].text), err,
                                    sizeof(err)), -EINVAL);
        CHECK_STREQ(err, bad[i].err);
    }
}

/* ---- output ---- */

static void test_sched_format(void)
{
    struct xl_sched_row r;
    char buf[XL_FMT_LINE_MAX];

    xl_fmt_pool_title(buf, sizeof(buf), "Pool-0", "credit");
    CHECK_STREQ(buf, "Cpupool Pool-0: sched=credit");

    xl_fmt_sched_header(buf, sizeof(buf), "credit");
    CHECK_STREQ(buf, "Name                               ID Weight  Cap");
    r = (struct xl_sched_row){ .weight = 1024, .cap = 50 };
    xl_fmt_sched_row(buf, sizeof(buf), "loop-c", 3, 0, "credit2", &r);
    CHECK_STREQ(buf, "loop-c                              3   1024   50");

    xl_fmt_sched_header(buf, sizeof(buf), "rtds");
    CHECK_STREQ(buf, "Name                               ID VCPU    Period    Budget Extratime");
    r = (struct xl_sched_row){ .period_us = 10000, .budget_us = 3000, .extratime = 1 };
    xl_fmt_sched_row(buf, sizeof(buf), "rt", 2, 1, "rtds", &r);
    CHECK_STREQ(buf, "rt                                  2    1     10000      3000       yes");
    r.extratime = 0;
    xl_fmt_sched_row(buf, sizeof(buf), "rt", 2, 0, "rtds", &r);
    CHECK_STREQ(buf, "rt                                  2    0     10000      3000        no");

    xl_fmt_sched_header(buf, sizeof(buf), "numa");
    CHECK_STREQ(buf, "Name                               ID Weight Nodes  Home Migrations  Away(ms)");
    r = (struct xl_sched_row){ .weight = 256, .home = 2, .migrations = 7,
                               .away_ns = 12999999 };
    xl_fmt_sched_row(buf, sizeof(buf), "far", 4, 0, "numa", &r);
    CHECK_STREQ(buf, "far                                 4    256  auto     1          7        12");
    r.home_nodes = 5;
    r.home = 5;
    xl_fmt_sched_row(buf, sizeof(buf), "far", 4, 0, "numa", &r);
    CHECK_STREQ(buf, "far                                 4    256   0,2   0,2          7        12");
}

static void test_pool_format(void)
{
    struct sysctl_cpupool_op p = { .cpupool_id = 1, .name = "rt", .sched_name = "rtds",
                                   .cpumap = 0xd, .n_dom = 2, .sched_id = 8 };
    char buf[XL_FMT_LINE_MAX];

    xl_fmt_pool_header(buf, sizeof(buf), false);
    CHECK_STREQ(buf, "Name            CPUs Sched    Active Domain count");
    xl_fmt_pool_row(buf, sizeof(buf), &p, false);
    CHECK_STREQ(buf, "rt                 3 rtds          y            2");
    xl_fmt_pool_header(buf, sizeof(buf), true);
    CHECK_STREQ(buf, "Name            CPU list");
    xl_fmt_pool_row(buf, sizeof(buf), &p, true);
    CHECK_STREQ(buf, "rt              0,2-3");
    p.cpumap = 0;
    xl_fmt_pool_row(buf, sizeof(buf), &p, true);
    CHECK_STREQ(buf, "rt              none");
    CHECK_EQ(xl_mask_count(0xf0f0ULL << 32), 8);
}

/* ---- the command table ---- */

static struct scenario sc;
static char msgs[8][256];
static int nr_msgs;

static void collect(void *arg, const char *msg)
{
    (void)arg;
    if (nr_msgs < 8)
        snprintf(msgs[nr_msgs], sizeof(msgs[0]), "%s", msg);
    nr_msgs++;
}

static int parse(const char *text)
{
    nr_msgs = 0;
    memset(msgs, 0, sizeof(msgs));
    return scenario_parse(&sc, "scenario", text, strlen(text), collect, NULL);
}

static void test_table(void)
{
    const char *text =
        "sched-credit\n"
        "sched-credit2 -d a -w 512 -c 100\n"
        "sched-rtds -d rt -v all -p 10000 -b 3000 -e 1\n"
        "sched-numa -d n -n 0\n"
        "cpupool-create name=rt sched=rtds\n"
        "cpupool-create rt.pool\n"
        "cpupool-list\ncpupool-list -c\ncpupool-list -c rt\n"
        "cpupool-cpu-remove Pool-0 1\ncpupool-cpu-add rt 1-2,^2\n"
        "cpupool-migrate loop-a rt\ncpupool-destroy 1\n"
        "expect EBUSY cpupool-cpu-remove Pool-0 0   # dom0 runs there\n"
        "help cpupool-migrate\n";

    CHECK_EQ(parse(text), 0);
    CHECK_EQ(nr_msgs, 0);
    CHECK_EQ(sc.nr, 15);
    CHECK_EQ(sc.cmd[2].args.argc, 11);
    CHECK_STREQ(sc.cmd[2].args.argv[10], "1");
    CHECK_STREQ(sc.cmd[13].args.argv[0], "expect");
    CHECK_STREQ(sc.cmd[13].args.argv[1], "EBUSY cpupool-cpu-remove Pool-0 0   # dom0 runs there");

    static const struct { const char *line, *msg; } bad[] = {
        { "sched-credit -d a -w 0\n",
          "scenario:1: sched-credit: -w: expected a weight 1..65535, got \"0\"" },
        { "cpupool-list -x\n", "scenario:1: cpupool-list: unknown option '-x'" },
        { "cpupool-list a b\n", "scenario:1: usage: cpupool-list [-c] [<pool>]" },
        { "cpupool-cpu-add rt\n", "scenario:1: cpupool-cpu-add: missing argument (usage: "
          "cpupool-cpu-add <pool> <cpulist>)" },
        { "cpupool-cpu-add rt 99\n", "scenario:1: cpupool-cpu-add: CPU 99 out of range 0..63" },
        { "cpupool-migrate a\n", "scenario:1: cpupool-migrate: missing argument (usage: "
          "cpupool-migrate <dom> <pool>)" },
        { "cpupool-destroy\n", "scenario:1: cpupool-destroy: missing argument (usage: "
          "cpupool-destroy <pool>)" },
        { "cpupool-create\n", "scenario:1: cpupool-create: missing argument (usage: "
          "cpupool-create [<file>] [name=<name>] [sched=<policy>] [cpus=<cpulist>])" },
        { "expect EBUSSY list\n", "scenario:1: expect: expected an errno name (EBUSY, "
          "EINVAL, ...), got \"EBUSSY\"" },
        { "expect EBUSY\n", "scenario:1: expect: missing command" },
        { "expect EBUSY craete a.cfg\n",
          "scenario:1: expect: unknown command 'craete' (try 'help')" },
        { "expect EBUSY expect EINVAL list\n", "scenario:1: expect: expect cannot be nested" },
        { "expect EINVAL sched-rtds -v 1\n",
          "scenario:1: expect: sched-rtds: setting parameters (or -v) needs -d <dom>" },
    };
    int before = unit_failed_checks;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CHECK_EQ(parse(bad[i].line), 1);
        CHECK_STREQ(msgs[0], bad[i].msg);
        name_if_failed(&before, bad[i].line);
    }
}

static void test_expect_parse(void)
{
    char buf[XL_LINE_MAX], err[200];
    struct xl_args a;
    int e;

    CHECK_EQ(xl_parse_expect("ENODEV cpupool-migrate x empty", buf, sizeof(buf), &e, &a,
                             err, sizeof(err)), 0);
    CHECK_EQ(e, ENODEV);
    CHECK_STREQ(a.cmd->name, "cpupool-migrate");
    CHECK_EQ(a.argc, 3);
    CHECK_STREQ(a.argv[2], "empty");
    CHECK_EQ(xl_parse_expect("", buf, sizeof(buf), &e, &a, err, sizeof(err)), -EINVAL);
}

static const struct unit_case cases[] = {
    { "sched_args_ok", test_sched_args_ok },
    { "sched_args_errors", test_sched_args_errors },
    { "nodes", test_nodes },
    { "policy_names", test_policy_names },
    { "arinc653_args_ok", test_arinc653_args_ok },
    { "arinc653_args_errors", test_arinc653_args_errors },
    { "pool_create_args", test_pool_create_args },
    { "pool_file", test_pool_file },
    { "sched_format", test_sched_format },
    { "pool_format", test_pool_format },
    { "table", test_table },
    { "expect_parse", test_expect_parse },
};
UNIT_MAIN(cases)
