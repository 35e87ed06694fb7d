/* Host tests for the output formats of dom0's xl commands (dom0/xl_format.c): the
 * exact lines of list, vcpu-list and info that boot tests and scripts parse. */
#include "unit.h"
#include <public/sched.h>
#include "xl_format.h"

static char lines[32][XL_FMT_LINE_MAX];
static int nr_lines;

static void collect(void *arg, const char *line)
{
    (void)arg;
    if (nr_lines < 32)
        snprintf(lines[nr_lines], sizeof(lines[0]), "%s", line);
    nr_lines++;
}

static void test_seconds(void)
{
    char buf[32];

    xl_fmt_seconds(buf, sizeof(buf), 0);
    CHECK_STREQ(buf, "0.0");
    xl_fmt_seconds(buf, sizeof(buf), 99999999);
    CHECK_STREQ(buf, "0.0");
    xl_fmt_seconds(buf, sizeof(buf), 1234567890123ULL);
    CHECK_STREQ(buf, "1234.5");
}

static void test_dom_state(void)
{
    static const struct { uint32_t flags, reason; const char *want; } cases[] = {
        { DOMINFO_running, 0, "r-----" },
        { DOMINFO_blocked, 0, "-b----" },
        { DOMINFO_paused, 0, "--p---" },
        { DOMINFO_created, 0, "--p---" },
        { DOMINFO_shutdown, SHUTDOWN_poweroff, "---s--" },
        { DOMINFO_shutdown, SHUTDOWN_crash, "----c-" },
        { DOMINFO_shutdown | DOMINFO_dying, SHUTDOWN_poweroff, "---s-d" },
        { 0, 0, "------" },
    };
    char state[7];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        xl_fmt_dom_state(state, cases[i].flags, cases[i].reason);
        CHECK_STREQ(state, cases[i].want);
    }
}

static void test_list(void)
{
    struct domctl_getdomaininfo di = {
        .domain = 3, .flags = DOMINFO_running, .nr_online_vcpus = 2, .max_vcpus = 2,
        .tot_pages = 4096, .pages_on_node = { 1024, 3072 },
        .cpu_time_ns = 1500000000ULL, .name = "loop-a",
    };
    char buf[XL_FMT_LINE_MAX];

    xl_fmt_list_header(buf, sizeof(buf), false);
    CHECK_STREQ(buf, "Name                               ID    Mem VCPUs  State   Time(s) Type");
    xl_fmt_list_row(buf, sizeof(buf), &di, false, 2);
    CHECK_STREQ(buf, "loop-a                              3     16     2 r-----       1.5   pv");
    xl_fmt_list_header(buf, sizeof(buf), true);
    CHECK_STREQ(buf, "Name                               ID    Mem VCPUs  State   Time(s) Type "
                "Nodes(MiB)");
    xl_fmt_list_row(buf, sizeof(buf), &di, true, 2);
    CHECK_STREQ(buf, "loop-a                              3     16     2 r-----       1.5   pv "
                "0:4,1:12");
    di.flags |= DOMINFO_hvm;            /* the domain type (DOMCRF_hvm) */
    xl_fmt_list_row(buf, sizeof(buf), &di, false, 2);
    CHECK_STREQ(buf, "loop-a                              3     16     2 r-----       1.5  hvm");
}

static void test_vcpu_list(void)
{
    struct domctl_getvcpuinfo vi = {
        .vcpu = 1, .online = 1, .running = 1, .cpu = 2,
        .runstate = { .time = { [RUNSTATE_running] = 2100000000LL } },
        .cpumap_hard = 0xf, .cpumap_soft = 0x6,
    };
    char buf[XL_FMT_LINE_MAX];

    xl_fmt_vcpu_header(buf, sizeof(buf));
    CHECK_STREQ(buf, "Name                               ID  VCPU   CPU State   Time(s)  "
                "Affinity (Hard / Soft)");
    xl_fmt_vcpu_row(buf, sizeof(buf), "loop-a", 3, &vi, 0xf);
    CHECK_STREQ(buf, "loop-a                              3     1     2   r--       2.1  "
                "all / 1-2");
    vi.online = 0;
    vi.running = 0;
    vi.cpumap_hard = 0x5;
    xl_fmt_vcpu_row(buf, sizeof(buf), "loop-a", 3, &vi, 0xf);
    CHECK_STREQ(buf, "loop-a                              3     1     -   --p       2.1  "
                "0,2 / 1-2");
    vi.online = 1;
    vi.blocked = 1;
    xl_fmt_vcpu_row(buf, sizeof(buf), "loop-a", 3, &vi, 0xf);
    CHECK_STREQ(buf, "loop-a                              3     1     2   -b-       2.1  "
                "0,2 / 1-2");
}

static void test_info(void)
{
    struct sysctl_physinfo pi = {
        .nr_cpus = 4, .nr_online_cpus = 4, .nr_nodes = 2, .cpu_khz = 2995123,
        .total_pages = 131072, .free_pages = 100000, .sched_name = "credit",
    };
    struct sysctl_topologyinfo ti = {
        .nr_cpus = 4, .cpu_to_node = { 0, 0, 1, 1 }, .cpu_apic_id = { 0, 1, 2, 3 },
        .cpu_online = { 1, 1, 1, 0 },
    };
    struct sysctl_numainfo ni = {
        .nr_nodes = 2, .node_total_pages = { 65536, 65536 },
        .node_free_pages = { 40000, 60000 },
        .distance = { { 10, 21 }, { 21, 10 } },
    };
    static const char *const want[] = {
        "host                   : hvlab",
        "nr_cpus                : 4",
        "nr_online_cpus         : 4",
        "nr_nodes               : 2",
        "cpu_mhz                : 2995",
        "total_memory           : 512",
        "free_memory            : 390",
        "scheduler              : credit",
        "cpu_topology           : ",
        "cpu:   node   apic online",
        "  0:      0      0      1",
        "  1:      0      1      1",
        "  2:      1      2      1",
        "  3:      1      3      0",
        "numa_info              : ",
        "node:    memsize    memfree    distances",
        "   0:        256        156    10,21",
        "   1:        256        234    21,10",
    };

    nr_lines = 0;
    xl_fmt_info(&pi, &ti, &ni, collect, NULL);
    CHECK_EQ(nr_lines, (int)(sizeof(want) / sizeof(want[0])));
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        CHECK_STREQ(lines[i], want[i]);
}

static void test_reason_names(void)
{
    CHECK_STREQ(xl_shutdown_reason_name(SHUTDOWN_poweroff), "poweroff");
    CHECK_STREQ(xl_shutdown_reason_name(SHUTDOWN_crash), "crash");
    CHECK_STREQ(xl_shutdown_reason_name(SHUTDOWN_error), "error");
    CHECK_STREQ(xl_shutdown_reason_name(9), "reason 9");
}

static const struct unit_case cases[] = {
    { "seconds", test_seconds },
    { "dom_state", test_dom_state },
    { "list", test_list },
    { "vcpu_list", test_vcpu_list },
    { "info", test_info },
    { "reason_names", test_reason_names },
};
UNIT_MAIN(cases)
