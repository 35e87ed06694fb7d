/* Boot-time checks of what only a running machine can show: every online CPU answers
 * a cross-CPU call, soft timers fire in deadline order on their own CPU and after
 * migration, node-strict allocations stay on their node, and a domain held across its
 * destroy stays valid until its last reference goes. Each prints one
 * "selftest: NAME ok|FAILED ..." line that tests/boot checks. selftest_crash= makes a
 * deliberate fault so the crash path itself can be tested. */
#include <hvlab/boot.h>
#include <hvlab/cmdline.h>
#include <hvlab/domain.h>
#include <hvlab/errno.h>
#include <hvlab/mm.h>
#include <hvlab/panic.h>
#include <hvlab/percpu.h>
#include <hvlab/printk.h>
#include <hvlab/smp.h>
#include <hvlab/time.h>
#include <hvlab/timer.h>
#include <hvlab/topology.h>

static char crash_kind[16];
boot_param_str("selftest_crash", crash_kind,
               "after boot, crash on purpose: pf, ud, de, assert or panic");

static void report(const char *name, bool ok, const char *detail)
{
    printk(ok ? LOG_INFO : LOG_ERR, "selftest: %s %s%s%s\n", name, ok ? "ok" : "FAILED",
           detail[0] ? ": " : "", detail);
}

/* on_cpus: each CPU records its ID in a slot of its own. */
static unsigned answered[NR_CPUS];
static void record_cpu(void *arg)
{
    unsigned me = smp_processor_id();
    answered[me] = me + 1 + (unsigned)(uintptr_t)arg;
}

static void selftest_on_cpus(void)
{
    unsigned ok = 0, c;
    char d[64];
    on_cpus(&cpu_online_map, record_cpu, (void *)100);
    for_each_cpu(c, &cpu_online_map)
        ok += answered[c] == c + 101;
    fmt_snprintf(d, sizeof(d), "%u/%u CPUs answered", ok, nr_cpus_online);
    report("on_cpus", ok == nr_cpus_online, d);
}

/* Timers: three per CPU set out of order must fire in deadline order, on that CPU. */
#define TIMERS_PER_CPU 3
static struct timer tests[NR_CPUS][TIMERS_PER_CPU];
static volatile unsigned fired_seq[NR_CPUS][TIMERS_PER_CPU];
static volatile unsigned fired_count[NR_CPUS];
static volatile unsigned wrong_cpu;

static void timer_fired(void *data)
{
    struct timer *t = data;
    unsigned cpu = t->cpu, idx = (unsigned)(t - tests[cpu]);
    if (smp_processor_id() != cpu)
        wrong_cpu++;
    fired_seq[cpu][fired_count[cpu]++] = idx;
}

static void arm_timers(void *arg)
{
    unsigned me = smp_processor_id();
    s_time_t now = NOW();
    static const unsigned delay_us[TIMERS_PER_CPU] = { 300, 100, 200 };
    (void)arg;
    for (unsigned i = 0; i < TIMERS_PER_CPU; i++) {
        /* Timer 0 is created on the neighbour and migrated here. */
        unsigned home = i == 0 ? (me + 1) % nr_cpus_online : me;
        timer_init(&tests[me][i], timer_fired, &tests[me][i], home);
        timer_set(&tests[me][i], now + MICROSECS(delay_us[i]));
        if (home != me)
            timer_migrate(&tests[me][i], me);
    }
}

static void selftest_timers(void)
{
    unsigned good = 0, c;
    char d[80];
    on_cpus(&cpu_online_map, arm_timers, NULL);
    s_time_t deadline = NOW() + MILLISECS(50);
    while (NOW() < deadline) {
        unsigned done = 0;
        for_each_cpu(c, &cpu_online_map)
            done += fired_count[c] == TIMERS_PER_CPU;
        if (done == nr_cpus_online)
            break;
        cpu_sleep_until(NOW() + MICROSECS(50));
    }
    for_each_cpu(c, &cpu_online_map)
        good += fired_count[c] == 3 && fired_seq[c][0] == 1 && fired_seq[c][1] == 2 &&
                fired_seq[c][2] == 0;
    fmt_snprintf(d, sizeof(d), "%u/%u CPUs fired 3 timers in deadline order, %u on a wrong CPU",
                 good, nr_cpus_online, wrong_cpu);
    for_each_cpu(c, &cpu_online_map)
        pr_debug("selftest: CPU%u fired %u timers: %u %u %u\n", c, fired_count[c], fired_seq[c][0],
                 fired_seq[c][1], fired_seq[c][2]);
    report("timers", good == nr_cpus_online && !wrong_cpu, d);

}

/* Node-strict allocation: one frame from each node must belong to it. */
static void selftest_numa_alloc(void)
{
    unsigned good = 0;
    char d[64];
    for (unsigned n = 0; n < topo.nr_nodes; n++) {
        struct page_info *pg = alloc_frames(0, n, MEMF_EXACT_NODE);
        if (!pg)
            continue;
        good += topology_node_of_paddr(&topo, page_to_paddr(pg)) == n;
        free_frames(pg, 0);
    }
    fmt_snprintf(d, sizeof(d), "%u/%u nodes gave a frame of their own", good, topo.nr_nodes);
    report("numa_alloc", good == topo.nr_nodes, d);
}

/* Domain references: a domain held across its destroy is found no more, is dying, and
 * stays readable; its vCPUs and shared info go back only at the last put. Uses an id
 * the toolstack's counter does not reach for a long time. */
static void selftest_domain_ref(void)
{
    const domid_t id = DOMID_MAX - 1;
    unsigned long free_before = frames_free_all(), free_destroyed = 0, free_after;
    struct domain *d = domain_create(id, "selftest", 2, false), *held, *again;
    bool ok = false;
    int rc = -1;
    char msg[112];

    if (!IS_ERR(d) && (held = domain_get(id)) != NULL) {
        rc = domain_destroy(d);
        free_destroyed = frames_free_all();
        again = domain_get(id);
        ok = rc == 0 && held == d && !again && held->state == DOMSTATE_dying &&
             held->refcnt == 1 && !strcmp(held->name, "selftest") &&
             domain_destroy(held) == -ESRCH && free_destroyed < free_before;
        if (again)
            domain_put(again);
        domain_put(held);               /* the last: everything comes back */
    }
    free_after = frames_free_all();
    ok = ok && free_after == free_before;
    fmt_snprintf(msg, sizeof(msg), "destroy %d while held, %lu frames kept until the "
                 "last put, %lu of %lu free after", rc, free_before - free_destroyed,
                 free_after, free_before);
    report("domain_ref", ok, msg);
}

static __attribute__((noinline)) void selftest_crash(void)   /* named in the trace */
{
    volatile int zero = 0;
    volatile uintptr_t null_page = 0x18;   /* volatile: keep the compiler from judging it */
    if (!crash_kind[0])
        return;
    pr_info("selftest: crashing on purpose (%s)\n", crash_kind);
    if (!strcmp(crash_kind, "pf"))
        *(volatile uint64_t *)null_page = 0xdead;
    else if (!strcmp(crash_kind, "ud"))
        __asm__ volatile("ud2");
    else if (!strcmp(crash_kind, "de"))
        pr_info("%d\n", 1 / zero);
    else if (!strcmp(crash_kind, "assert"))
        ASSERT(zero == 1);
    else if (!strcmp(crash_kind, "panic"))
        panic("selftest_crash=panic");
    pr_err("selftest: unknown selftest_crash=%s\n", crash_kind);
}

void selftests_run(void)
{
    selftest_on_cpus();
    selftest_timers();
    selftest_numa_alloc();
    selftest_domain_ref();
    selftest_crash();
}
