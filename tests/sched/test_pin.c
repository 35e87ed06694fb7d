/* Pinning and pools during a slice, with the real core (sched/core.c, cpupool.c)
 * under the policy this program links: what only the booted hypervisor could show
 * before the testbed ran the core itself.
 * - A vCPU pinning itself to another pCPU (`xl vcpu-pin Domain-0 0 1`, dom0 on its
 *   own vCPU): it cannot wait for itself to leave; the core marks it VPF_migrating,
 *   it leaves at its next decision and moves once its state is saved. The hang of
 *   issue 9 was this path: it must run on the new pCPU at once, idle or loaded.
 * - Pinning dom0 back and forth under load: dom0 must never be lost for long.
 * - A domain moved to another pool, and a pCPU leaving its pool, in the middle of a
 *   slice: the core (not the policy) re-places every vCPU queued there.
 * A policy without time sharing (SCHED_F_NO_TIMESHARE: a vCPU holds its pCPU, the
 * others wait for one to free up) is held to that instead of to shares: a vCPU
 * pinned onto a held pCPU leaves its own at once and waits, and gets the pCPU as soon
 * as it frees; a domain arriving in a full pool waits while the one there keeps its
 * pCPUs; a pCPU leaving gives its vCPU up and no pCPU left idles.
 * Times are simulated, IPIs take no time, decisions cost nothing (sim.h). */
#include "simtest.h"

#define SLICE_MID MILLISECS(15)         /* inside the first slice of every policy */

static cpumask_t only(unsigned cpu) { return cpumask_from_u64(1ull << cpu); }

/* Runs in 100 us steps until sv runs (at most `limit`); whether it does. */
static bool run_until_running(struct sim_vcpu *sv, s_time_t limit)
{
    for (s_time_t end = sim.now + limit; !sv->v.is_running && sim.now < end;)
        sim_run_for(MICROSECS(100));
    return sv->v.is_running;
}

/* sv, running, pins itself to `cpu`; then within `within` it must be running there.
 * Returns how long it took (or -1). */
static s_time_t pin_self_and_follow(struct sim_vcpu *sv, unsigned cpu, s_time_t within)
{
    cpumask_t m = only(cpu);
    int rc = -1;

    CHECK(run_until_running(sv, MILLISECS(200)));
    CHECK(sim_guest_pin_self(sv, &m, &rc));
    CHECK_EQ(rc, 0);
    s_time_t from = sim.now;
    while (!(sv->v.is_running && sv->v.processor == cpu) && sim.now - from <= within)
        sim_run_for(MICROSECS(100));
    bool there = sv->v.is_running && sv->v.processor == cpu;
    if (!there)
        printf("  %s: d%u.v%u not running on CPU%u %lld us after pinning itself there "
               "(processor %u, is_running %d, pause_flags %#lx)\n", pname(),
               sv->v.domain->domain_id, sv->v.vcpu_id, cpu,
               (long long)((sim.now - from) / 1000), sv->v.processor, sv->v.is_running,
               sv->v.pause_flags);
    CHECK(there);
    return there ? sim.now - from : -1;
}

/* ---- pinning itself ---- */

/* The hang: dom0 (always busy here) pins itself to the idle pCPU 1, then
 * back to pCPU 0. Each time it must run there within 1 ms. */
static void pin_self_idle(void)
{
    if (!test_start(1, 2, 1))
        return;
    struct sim_dom *d0 = sim_domain_create("Domain-0", 1, NUMA_NO_NODE, wl_cpu());
    sim_domain_start(d0);
    sim_run_for(SLICE_MID);
    s_time_t to1 = pin_self_and_follow(sim_dv(d0, 0), 1, MILLISECS(1));
    sim_run_for(SLICE_MID);
    s_time_t to0 = pin_self_and_follow(sim_dv(d0, 0), 0, MILLISECS(1));
    INFO("dom0 ran on its new pCPU %lld us after pinning itself to CPU1, %lld us after "
         "pinning back", (long long)(to1 / 1000), (long long)(to0 / 1000));
    sim_run_for(MILLISECS(100));
    CHECK_EQ(sim_dv(d0, 0)->v.processor, 0);
    CHECK(cpumask_test(&sim_dv(d0, 0)->v.cpu_hard_affinity, 0));
    CHECK_EQ(sim.violations, 0);
    sim_fini();
}

/* dom0 (bursty, like a toolstack) pins itself back and forth every 50 ms while two
 * hogs load both pCPUs. Each move must take effect within 100 ms (the issue: 130 ms
 * lost under credit), dom0 must never wait 100 ms, and must get a third of its
 * demand at least (three vCPUs on two pCPUs). */
static void pin_self_under_load(void)
{
    if (!timeshares()) {
        SKIP("no time sharing: dom0 would wait for a hog's pCPU for good "
             "(pin_self_onto_held_pcpu holds what it promises)");
        return;
    }
    if (!test_start(1, 2, 2))
        return;
    struct sim_dom *d0 = sim_domain_create("Domain-0", 1, NUMA_NO_NODE, wl_cpu());
    struct sim_dom *load = sim_domain_create("load", 2, NUMA_NO_NODE, wl_cpu());
    sim_domain_start(load);
    sim_domain_start(d0);
    sim_run_for(SLICE_MID);
    sim_stats_reset();
    s_time_t worst = 0, from = sim.now;
    for (unsigned i = 0; i < 20; i++) {
        s_time_t took = pin_self_and_follow(sim_dv(d0, 0), (i + 1) % 2, MILLISECS(100));
        if (took < 0)
            break;
        worst = MAX(worst, took);
        sim_run_for(MILLISECS(50));
    }
    const struct sim_vstats *st = sim_vstats(sim_dv(d0, 0));
    double got = 100.0 * (double)st->run / (double)(sim.now - from);
    INFO("20 self-pins under load: worst %lld us to run on the new pCPU, longest wait "
         "%.1f ms, dom0 got %.1f%% of a pCPU", (long long)(worst / 1000), ms(st->max_wait),
         got);
    CHECK(st->max_wait < MILLISECS(100));
    CHECK(got > 100.0 / 3 - 5);
    CHECK_EQ(sim.violations, 0);
    sim_fini();
}

/* Without time sharing: dom0 (a hog) holds pCPU 0, load.v0 pCPU 1, load.v1 waits.
 * dom0 pins itself onto pCPU 1: it leaves pCPU 0 at its next decision (no hang, and
 * it does not take load.v0's pCPU), pCPU 0 goes to load.v1 at once, and dom0 waits.
 * When load.v0 is pinned away (onto pCPU 0, where it waits in turn), dom0 runs on
 * pCPU 1 at once. */
static void pin_self_onto_held_pcpu(void)
{
    if (timeshares()) {
        SKIP("time sharing: pin_self_under_load holds it to a share");
        return;
    }
    if (!test_start(1, 2, 2))
        return;
    struct sim_dom *d0 = sim_domain_create("Domain-0", 1, NUMA_NO_NODE, wl_cpu());
    struct sim_dom *load = sim_domain_create("load", 2, NUMA_NO_NODE, wl_cpu());
    struct sim_vcpu *dv = sim_dv(d0, 0), *l0 = sim_dv(load, 0), *l1 = sim_dv(load, 1);
    cpumask_t m = only(1);
    int rc = -1;

    sim_domain_start(d0);
    sim_domain_start(load);
    sim_run_for(MILLISECS(1));
    CHECK(dv->v.is_running && dv->v.processor == 0);
    CHECK(l0->v.is_running && l0->v.processor == 1);
    CHECK(!l1->v.is_running);
    CHECK(sim_guest_pin_self(dv, &m, &rc));
    CHECK_EQ(rc, 0);
    sim_run_for(MICROSECS(100));
    INFO("dom0 pinned itself onto load.v0's pCPU 1: dom0 running %d; pCPU 0 runs %s.v%u",
         dv->v.is_running, is_idle_vcpu(per_cpu(0)->curr) ? "idle" :
         per_cpu(0)->curr->domain->name, per_cpu(0)->curr->vcpu_id);
    CHECK(!dv->v.is_running);
    CHECK(l1->v.is_running && l1->v.processor == 0);
    CHECK(l0->v.is_running && l0->v.processor == 1);
    sim_stats_reset();
    sim_run_for(MILLISECS(100));
    CHECK_EQ(sim_vstats(dv)->run, 0);
    CHECK_EQ(sim_vstats(l0)->run, MILLISECS(100));
    CHECK_EQ(sim_vstats(l1)->run, MILLISECS(100));
    cpumask_t zero = only(0);
    CHECK_EQ(sim_set_affinity(l0, &zero, NULL), 0);
    sim_run_for(MICROSECS(100));
    INFO("load.v0 pinned away: dom0 running %d on CPU%u", dv->v.is_running, dv->v.processor);
    CHECK(dv->v.is_running && dv->v.processor == 1);
    CHECK(l1->v.is_running && l1->v.processor == 0);
    CHECK(!l0->v.is_running);
    CHECK_EQ(sim.violations, 0);
    sim_fini();
}

/* ---- pools during a slice ---- */

static struct cpupool *pool_of_cpus(unsigned first, unsigned n)
{
    struct cpupool *p = sim_pool_create(test_policy());
    CHECK(p != NULL);
    for (unsigned c = first; p && c < first + n; c++) {
        CHECK_EQ(sim_pool_rm_cpu(cpupool0, c), 0);
        CHECK_EQ(sim_pool_add_cpu(p, c), 0);
    }
    return p;
}

/* True when every vCPU of sd runs on a pCPU of p. */
static bool all_running_in(struct sim_dom *sd, struct cpupool *p)
{
    for (unsigned i = 0; i < sd->d.max_vcpus; i++) {
        struct vcpu *v = sd->d.vcpus[i];
        if (!v->is_running || !cpumask_test(&p->sched.cpus, v->processor))
            return false;
    }
    return true;
}

/* Two hogs move to a pool of two idle pCPUs in the middle of their slice, then back:
 * each time they run in their new pool within 1 ms, and the other pool's domain keeps
 * its pCPUs. */
static void pool_move_domain_midslice(void)
{
    if (!test_start(1, 4, 3))
        return;
    struct cpupool *p1 = pool_of_cpus(2, 2);
    if (!p1) {
        sim_fini();
        return;
    }
    struct sim_dom *mover = sim_domain_create("mover", 2, NUMA_NO_NODE, wl_cpu());
    struct sim_dom *stay = sim_domain_create("stay", 2, NUMA_NO_NODE, wl_cpu());
    sim_domain_start(mover);
    sim_domain_start(stay);
    sim_run_for(SLICE_MID);
    CHECK_EQ(sim_pool_move_domain(p1, mover), 0);
    sim_run_for(MILLISECS(1));
    CHECK(all_running_in(mover, p1));
    CHECK(all_running_in(stay, cpupool0));
    sim_run_for(SLICE_MID + MILLISECS(7));
    CHECK_EQ(sim_pool_move_domain(cpupool0, mover), 0);
    sim_run_for(MILLISECS(1));
    CHECK_EQ(mover->d.cpupool, cpupool0);
    sim_stats_reset();
    sim_run_for(MILLISECS(1000));
    /* Four hogs on pool 0's two pCPUs: 250 ms each per second, give or take a slice.
     * Without time sharing stay, which took pool 0's pCPUs when mover left, keeps
     * them, and mover, back in a full pool, waits. */
    for (unsigned i = 0; i < 2; i++) {
        s_time_t rm = sim_vstats(sim_dv(mover, i))->run, rs = sim_vstats(sim_dv(stay, i))->run;
        if (!timeshares()) {
            CHECK_EQ(rm, 0);
            CHECK_EQ(rs, MILLISECS(1000));
            continue;
        }
        CHECK(rm > MILLISECS(200));
        CHECK(rs > MILLISECS(200));
    }
    CHECK_EQ(sim_cpu_busy(2), 0);
    CHECK_EQ(sim.violations, 0);
    sim_fini();
}

/* Six hogs on four pCPUs (vCPUs queued on every pCPU); pCPU 3 leaves the pool in the
 * middle of a slice. The core re-places what was queued there: nothing runs on it
 * afterwards, every hog gets its share of the three left, and when it comes back
 * it is used again. */
static void pool_cpu_leaves_midslice(void)
{
    if (!test_start(1, 4, 4))
        return;
    struct cpupool *spare = sim_pool_create(test_policy());
    struct sim_dom *d = sim_domain_create("hogs", 6, NUMA_NO_NODE, wl_cpu());
    CHECK(spare != NULL);
    sim_domain_start(d);
    sim_run_for(SLICE_MID);
    CHECK_EQ(sim_pool_rm_cpu(cpupool0, 3), 0);
    for (unsigned i = 0; i < 6; i++)
        CHECK(sim_dv(d, i)->v.processor != 3);
    sim_stats_reset();
    sim_run_for(MILLISECS(2000));
    CHECK_EQ(sim_cpu_busy(3), 0);
    s_time_t lo = SIM_FOREVER, hi = 0;
    for (unsigned i = 0; i < 6; i++) {
        s_time_t r = sim_vstats(sim_dv(d, i))->run;
        lo = MIN(lo, r);
        hi = MAX(hi, r);
    }
    INFO("pCPU 3 left during a slice: hogs got %.1f..%.1f ms of 2000 (fair 1000)",
         ms(lo), ms(hi));
    if (timeshares()) {
        CHECK(lo > MILLISECS(800));
    } else {                            /* 3 hogs hold the 3 pCPUs left, 3 wait */
        unsigned whole = 0, none = 0;
        for (unsigned i = 0; i < 6; i++) {
            s_time_t r = sim_vstats(sim_dv(d, i))->run;
            whole += r == MILLISECS(2000);
            none += r == 0;
        }
        CHECK_EQ(whole, 3);
        CHECK_EQ(none, 3);
        for (unsigned c = 0; c < 3; c++)
            CHECK_EQ(sim_cpu_busy(c), MILLISECS(2000));
    }
    CHECK(spare && sim_pool_add_cpu(spare, 3) == 0);
    CHECK_EQ(sim_pool_rm_cpu(spare, 3), 0);
    CHECK_EQ(sim_pool_add_cpu(cpupool0, 3), 0);
    sim_stats_reset();
    sim_run_for(MILLISECS(1000));
    CHECK(sim_cpu_busy(3) > MILLISECS(900));
    CHECK_EQ(sim.violations, 0);
    sim_fini();
}

/* A vCPU pinned to the leaving pCPU only: its affinity is reset to the pool (the log
 * says so) and it keeps running. */
static void pool_cpu_leaves_pinned(void)
{
    if (!test_start(1, 3, 5))
        return;
    struct sim_dom *d = sim_domain_create("pinned", 2, NUMA_NO_NODE, wl_cpu());
    cpumask_t two = only(2);
    sim_domain_start(d);
    CHECK_EQ(sim_set_affinity(sim_dv(d, 0), &two, NULL), 0);
    sim_run_for(SLICE_MID);
    CHECK_EQ(sim_dv(d, 0)->v.processor, 2);
    CHECK_EQ(sim_pool_rm_cpu(cpupool0, 2), 0);
    CHECK(sim_dv(d, 0)->v.processor != 2);
    CHECK(cpumask_test(&sim_dv(d, 0)->v.cpu_hard_affinity, 0));
    sim_stats_reset();
    sim_run_for(MILLISECS(500));
    CHECK(sim_vstats(sim_dv(d, 0))->run > MILLISECS(400));
    CHECK_EQ(sim.violations, 0);
    sim_fini();
}

static const struct unit_case cases[] = {
    { "pin_self_idle", pin_self_idle },
    { "pin_self_under_load", pin_self_under_load },
    { "pin_self_onto_held_pcpu", pin_self_onto_held_pcpu },
    { "pool_move_domain_midslice", pool_move_domain_midslice },
    { "pool_cpu_leaves_midslice", pool_cpu_leaves_midslice },
    { "pool_cpu_leaves_pinned", pool_cpu_leaves_pinned },
};
SIM_UNIT_MAIN(cases)
