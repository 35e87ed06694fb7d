/* What arinc653 alone promises (sched/arinc653.c), on the simulator: a domain runs
 * only inside its windows; every window boundary is kept to the nanosecond (the
 * simulated decision costs nothing, so "within a tick" is exact here); the major frame
 * repeats, every frame giving each domain exactly its windows' time; the default
 * timetable gives each domain of the pool one 10 ms window in creation order; a bad
 * timetable is refused whole, with the entry at fault named, and the old one stays.
 * Every case also requires zero violations of the simulator's invariants (sim.h). */
#include "simtest.h"

struct tt_entry { struct sim_dom *d; uint16_t vcpu; uint32_t us; };

/* 1 x per pCPUs. starve: hold every runnable vCPU to the simulator's starvation bound
 * (off where a case gives some vCPU no window on purpose). */
static bool start(unsigned per, bool starve)
{
    struct sim_config c = { .nr_nodes = 1, .cpus_per_node = per, .seed = 1,
                            .audit_period = MILLISECS(1), .idle_bound = -1,
                            .starve_bound = starve ? 0 : SIM_FOREVER };
    bool ok = sim_init(test_policy(), &c);
    CHECK(ok);
    return ok;
}

/* SYSCTL_scheduler_op on pool 0, as dom0 makes it: the hypercall, on pCPU 0, ends by
 * running the softirqs it raised there (a new timetable makes every pCPU decide). */
static int sched_op(uint32_t cmd, struct sysctl_arinc653_schedule *t)
{
    struct sysctl_scheduler_op op = { .cpupool_id = 0, .sched_id = SCHED_ID_ARINC653,
                                      .cmd = cmd };
    op.u.arinc653 = *t;
    sim_set_cpu(0, true);
    int rc = (int)cpupool_sched_op(&op);
    sim_control_done();
    *t = op.u.arinc653;
    return rc;
}

static int set_tt(uint32_t major_us, const struct tt_entry *e, unsigned n,
                  struct sysctl_arinc653_schedule *t)
{
    memset(t, 0, sizeof(*t));
    t->major_frame_us = major_us;
    t->nr_entries = n;
    for (unsigned i = 0; i < n && i < ARINC653_MAX_ENTRIES; i++)
        t->entries[i] = (struct arinc653_entry){ e[i].d ? e[i].d->d.domain_id : 999,
                                                 e[i].vcpu, e[i].us };
    return sched_op(SCHED_PARAMS_PUT, t);
}

/* Who may run at t (from the timetable set at epoch): the entry, or NULL (idle). */
static const struct tt_entry *window_at(const struct tt_entry *e, unsigned n,
                                        s_time_t major, s_time_t epoch, s_time_t t)
{
    s_time_t off = (t - epoch) % major, at = 0;
    for (unsigned i = 0; i < n; i++) {
        at += MICROSECS((s_time_t)e[i].us);
        if (off < at)
            return &e[i];
    }
    return NULL;
}

static unsigned shown;                  /* off-window samples printed, per case */

/* Runs to t and checks that every pCPU runs a vCPU of the window at t, or idles.
 * Returns the number of pCPUs found running something it may not. */
static unsigned check_at(const struct tt_entry *e, unsigned n, s_time_t major,
                         s_time_t epoch, s_time_t t)
{
    unsigned bad = 0;
    sim_run_until(t);
    const struct tt_entry *w = window_at(e, n, major, epoch, t);
    for (unsigned c = 0; c < sim.nr_cpus; c++) {
        struct vcpu *v = per_cpu(c)->curr;
        if (is_idle_vcpu(v))
            continue;
        if (!w || v->domain != &w->d->d ||
            (w->vcpu != ARINC653_ALL_VCPUS && w->vcpu != v->vcpu_id)) {
            if (!bad && shown++ < 3)
                printf("  t=%.6f ms: CPU%u runs %s.v%u in the window of %s\n", ms(t - epoch),
                       c, v->domain->name, v->vcpu_id, w ? w->d->d.name : "(idle)");
            bad++;
        }
    }
    return bad;
}

/* Samples 1 ns before and after every boundary of `frames` major frames, and the
 * middle of every window. */
static unsigned check_frames(const struct tt_entry *e, unsigned n, s_time_t major,
                             s_time_t epoch, unsigned frames)
{
    unsigned bad = 0;
    shown = 0;
    for (unsigned f = 0; f < frames; f++) {
        s_time_t at = epoch + (s_time_t)f * major;
        for (unsigned i = 0; i <= n; i++) {
            s_time_t len = i < n ? MICROSECS((s_time_t)e[i].us) : epoch + (f + 1) * major - at;
            if (len <= 0)
                break;
            if (at > sim.now)
                bad += check_at(e, n, major, epoch, at - 1);
            bad += check_at(e, n, major, epoch, at + 1);
            bad += check_at(e, n, major, epoch, at + len / 2);
            at += len;
        }
    }
    return bad;
}

/* 1 pCPU; hogs a, b, c; a has two windows, b one, c none, and 4 of 10 ms idle.
 * Every sample of 100 frames is right, and each frame gives exactly a 4 ms, b 2 ms. */
static void windows_kept(void)
{
    struct sim_dom *d[3];
    struct sysctl_arinc653_schedule t;
    if (!start(1, false))
        return;
    d[0] = sim_domain_create("a", 1, NUMA_NO_NODE, wl_cpu());
    d[1] = sim_domain_create("b", 1, NUMA_NO_NODE, wl_cpu());
    d[2] = sim_domain_create("c", 1, NUMA_NO_NODE, wl_cpu());
    for (unsigned i = 0; i < 3; i++)
        sim_domain_start(d[i]);
    sim_run_until(MILLISECS(7));        /* mid-window of the default timetable */
    const struct tt_entry e[] = { { d[0], ARINC653_ALL_VCPUS, 3000 },
                                  { d[1], ARINC653_ALL_VCPUS, 2000 },
                                  { d[0], ARINC653_ALL_VCPUS, 1000 } };
    CHECK_EQ(set_tt(10000, e, 3, &t), 0);
    s_time_t epoch = sim.now;
    sim_stats_reset();
    unsigned bad = check_frames(e, 3, MILLISECS(10), epoch, 100);
    s_time_t ra = sim_dom_run(d[0]), rb = sim_dom_run(d[1]), rc = sim_dom_run(d[2]);
    INFO("100 frames of 10 ms: a %.3f ms, b %.3f ms, c %.3f ms; %u samples off-window",
         ms(ra), ms(rb), ms(rc), bad);
    CHECK_EQ(bad, 0);
    CHECK_EQ(ra, MILLISECS(400));
    CHECK_EQ(rb, MILLISECS(200));
    CHECK_EQ(rc, 0);
    CHECK_EQ(sim.violations, 0);
    sim_fini();
}

/* The frame repeats: each of 50 frames, measured alone, gives a and b the same. */
static void frame_repeats(void)
{
    struct sim_dom *d[2];
    struct sysctl_arinc653_schedule t;
    if (!start(2, true))
        return;
    d[0] = sim_domain_create("a", 2, NUMA_NO_NODE, wl_cpu());
    d[1] = sim_domain_create("b", 1, NUMA_NO_NODE, wl_bursty());
    sim_domain_start(d[0]);
    sim_domain_start(d[1]);
    const struct tt_entry e[] = { { d[0], ARINC653_ALL_VCPUS, 1500 },
                                  { d[1], ARINC653_ALL_VCPUS, 2500 } };
    CHECK_EQ(set_tt(5000, e, 2, &t), 0);
    unsigned odd = 0;
    for (unsigned f = 0; f < 50; f++) {
        sim_stats_reset();
        sim_run_for(MILLISECS(5));
        s_time_t ra = sim_dom_run(d[0]), rb = sim_dom_run(d[1]);
        if (ra != MILLISECS(3) || rb > MICROSECS(2500)) {   /* a: 2 vCPUs x 1.5 ms */
            if (!odd)
                printf("  frame %u: a %.3f ms (want 3), b %.3f ms (at most 2.5)\n", f,
                       ms(ra), ms(rb));
            odd++;
        }
    }
    INFO("50 frames of 5 ms on 2 pCPUs: %u frames differ from the timetable", odd);
    CHECK_EQ(odd, 0);
    CHECK_EQ(sim.violations, 0);
    sim_fini();
}

/* 2 pCPUs: a window naming a.v1 runs only it; b's 3 vCPUs share 2 pCPUs in their
 * window by turns (each about 2/3 of it over many frames). */
static void vcpus_in_windows(void)
{
    struct sim_dom *d[2];
    struct sysctl_arinc653_schedule t;
    if (!start(2, false))
        return;
    d[0] = sim_domain_create("a", 2, NUMA_NO_NODE, wl_cpu());
    d[1] = sim_domain_create("b", 3, NUMA_NO_NODE, wl_cpu());
    sim_domain_start(d[0]);
    sim_domain_start(d[1]);
    const struct tt_entry e[] = { { d[0], 1, 2000 }, { d[1], ARINC653_ALL_VCPUS, 3000 } };
    CHECK_EQ(set_tt(5000, e, 2, &t), 0);
    s_time_t epoch = sim.now;
    sim_stats_reset();
    unsigned bad = check_frames(e, 2, MILLISECS(5), epoch, 200);
    s_time_t a0 = sim_vstats(sim_dv(d[0], 0))->run, a1 = sim_vstats(sim_dv(d[0], 1))->run;
    INFO("200 frames: a.v0 %.1f ms, a.v1 %.1f ms; b's vCPUs %.1f/%.1f/%.1f ms of 600 ms "
         "of windows on 2 pCPUs", ms(a0), ms(a1), ms(sim_vstats(sim_dv(d[1], 0))->run),
         ms(sim_vstats(sim_dv(d[1], 1))->run), ms(sim_vstats(sim_dv(d[1], 2))->run));
    CHECK_EQ(bad, 0);
    CHECK_EQ(a0, 0);
    CHECK_EQ(a1, MILLISECS(400));
    for (unsigned k = 0; k < 3; k++) {
        s_time_t r = sim_vstats(sim_dv(d[1], k))->run;
        CHECK(r >= MILLISECS(390) && r <= MILLISECS(410));  /* 2/3 of 600 ms */
    }
    CHECK_EQ(sim.violations, 0);
    sim_fini();
}

/* No timetable set: one 10 ms window per domain in creation order; GET says so. */
static void default_timetable(void)
{
    struct sim_dom *d[3];
    struct sysctl_arinc653_schedule t;
    if (!start(1, true))
        return;
    for (unsigned i = 0; i < 3; i++) {
        d[i] = sim_domain_create(i == 0 ? "a" : i == 1 ? "b" : "c", 1, NUMA_NO_NODE,
                                 wl_cpu());
        sim_domain_start(d[i]);
    }
    memset(&t, 0, sizeof(t));
    CHECK_EQ(sched_op(SCHED_PARAMS_GET, &t), 0);
    CHECK_EQ(t.is_default, 1);
    CHECK_EQ(t.nr_entries, 3);
    CHECK_EQ(t.major_frame_us, 30000);
    for (unsigned i = 0; i < 3 && i < t.nr_entries; i++) {
        CHECK_EQ(t.entries[i].domid, d[i]->d.domain_id);
        CHECK_EQ(t.entries[i].runtime_us, 10000);
        CHECK_EQ(t.entries[i].vcpu, ARINC653_ALL_VCPUS);
    }
    const struct tt_entry e[] = { { d[0], ARINC653_ALL_VCPUS, 10000 },
                                  { d[1], ARINC653_ALL_VCPUS, 10000 },
                                  { d[2], ARINC653_ALL_VCPUS, 10000 } };
    CHECK_EQ(check_frames(e, 3, MILLISECS(30), 0, 30), 0);
    sim_stats_reset();
    sim_run_for(MILLISECS(3000));
    INFO("default: a %.1f, b %.1f, c %.1f ms of 3000", ms(sim_dom_run(d[0])),
         ms(sim_dom_run(d[1])), ms(sim_dom_run(d[2])));
    for (unsigned i = 0; i < 3; i++)
        CHECK_EQ(sim_dom_run(d[i]), MILLISECS(1000));
    sim_domain_destroy(d[1]);           /* the default follows: a and c, 10 ms each */
    CHECK_EQ(sched_op(SCHED_PARAMS_GET, &t), 0);
    CHECK_EQ(t.nr_entries, 2);
    CHECK_EQ(t.major_frame_us, 20000);
    CHECK_EQ(sim.violations, 0);
    sim_fini();
}

/* No timetable set: a domain created mid-frame gets its window in the default at
 * once, and the pCPUs follow at once. a alone: 10 ms frames; b created (paused) at
 * 15 ms makes the frame a 10 ms, b 10 ms from the same epoch, so 15..20 ms is b's
 * window, and it idles: a must not run there (it would to 20 ms on the old frame). */
static void default_follows_new_domain(void)
{
    struct sim_dom *d[2];
    if (!start(1, false))
        return;
    d[0] = sim_domain_create("a", 1, NUMA_NO_NODE, wl_cpu());
    sim_domain_start(d[0]);
    sim_run_until(MILLISECS(15));
    d[1] = sim_domain_create("b", 1, NUMA_NO_NODE, wl_cpu());
    sim_stats_reset();
    sim_run_until(MILLISECS(20));
    s_time_t in_b = sim_dom_run(d[0]);
    sim_stats_reset();
    sim_run_until(MILLISECS(100));
    INFO("b created at 15 ms: a ran %.3f ms in b's window 15..20 ms, %.1f ms of 20..100",
         ms(in_b), ms(sim_dom_run(d[0])));
    CHECK_EQ(in_b, 0);
    CHECK_EQ(sim_dom_run(d[0]), MILLISECS(40));     /* its 4 windows of 10 ms */
    CHECK_EQ(sim.violations, 0);
    sim_fini();
}

/* A domain destroyed keeps its windows, which idle: nobody else gets its time. */
static void windows_of_gone_domain_idle(void)
{
    struct sim_dom *d[2];
    struct sysctl_arinc653_schedule t;
    if (!start(1, true))
        return;
    d[0] = sim_domain_create("a", 1, NUMA_NO_NODE, wl_cpu());
    d[1] = sim_domain_create("b", 1, NUMA_NO_NODE, wl_cpu());
    sim_domain_start(d[0]);
    sim_domain_start(d[1]);
    const struct tt_entry e[] = { { d[0], ARINC653_ALL_VCPUS, 2000 },
                                  { d[1], ARINC653_ALL_VCPUS, 6000 } };
    CHECK_EQ(set_tt(8000, e, 2, &t), 0);
    sim_run_for(MILLISECS(20));
    sim_domain_destroy(d[1]);
    sim_stats_reset();
    sim_run_for(MILLISECS(800));
    INFO("b destroyed: a got %.1f ms of 800 (its windows: 200)", ms(sim_dom_run(d[0])));
    CHECK_EQ(sim_dom_run(d[0]), MILLISECS(200));
    CHECK_EQ(sim.violations, 0);
    sim_fini();
}

/* Bad timetables: refused whole, the entry at fault named, the old one kept. */
static void bad_timetables(void)
{
    struct sim_dom *d[2];
    struct sysctl_arinc653_schedule t;
    struct tt_entry many[ARINC653_MAX_ENTRIES + 1];
    if (!start(2, true))
        return;
    d[0] = sim_domain_create("a", 2, NUMA_NO_NODE, wl_cpu());
    d[1] = sim_domain_create("b", 1, NUMA_NO_NODE, wl_cpu());
    const struct tt_entry good[] = { { d[0], ARINC653_ALL_VCPUS, 3000 },
                                     { d[1], 0, 3000 } };
    CHECK_EQ(set_tt(10000, good, 2, &t), 0);

    const struct tt_entry too_long[] = { { d[0], ARINC653_ALL_VCPUS, 6000 },
                                         { d[1], ARINC653_ALL_VCPUS, 5000 } };
    CHECK_EQ(set_tt(10000, too_long, 2, &t), -EINVAL);     /* 11 ms in a 10 ms frame */
    CHECK_EQ(t.bad_entry, 1);
    const struct tt_entry unknown[] = { { d[0], ARINC653_ALL_VCPUS, 1000 },
                                        { NULL, ARINC653_ALL_VCPUS, 1000 } };
    CHECK_EQ(set_tt(10000, unknown, 2, &t), -ESRCH);
    CHECK_EQ(t.bad_entry, 1);
    const struct tt_entry no_vcpu[] = { { d[1], 1, 1000 } };   /* b has only v0 */
    CHECK_EQ(set_tt(10000, no_vcpu, 1, &t), -EINVAL);
    CHECK_EQ(t.bad_entry, 0);
    const struct tt_entry short_w[] = { { d[1], 0, ARINC653_MIN_RUNTIME_US - 1 } };
    CHECK_EQ(set_tt(10000, short_w, 1, &t), -EINVAL);
    CHECK_EQ(t.bad_entry, 0);
    for (unsigned i = 0; i < ARINC653_MAX_ENTRIES + 1; i++)
        many[i] = (struct tt_entry){ d[0], ARINC653_ALL_VCPUS, 100 };
    CHECK_EQ(set_tt(100000, many, ARINC653_MAX_ENTRIES + 1, &t), -E2BIG);
    CHECK_EQ(set_tt(100000, many, ARINC653_MAX_ENTRIES, &t), 0);   /* the limit itself */
    CHECK_EQ(set_tt(10000, good, 0, &t), -EINVAL);          /* no windows */
    CHECK_EQ(t.bad_entry, ARINC653_NO_ENTRY);
    CHECK_EQ(set_tt(0, good, 2, &t), -EINVAL);              /* no major frame */
    CHECK_EQ(set_tt(ARINC653_MAX_FRAME_US + 1, good, 2, &t), -EINVAL);
    CHECK_EQ(set_tt(10000, good, 2, &t), 0);

    struct sysctl_scheduler_op op = { .cpupool_id = 0, .sched_id = SCHED_ID_RTDS,
                                      .cmd = SCHED_PARAMS_GET };
    CHECK_EQ(cpupool0->sched.ops->adjust_global(&cpupool0->sched, &op), -EINVAL);

    memset(&t, 0, sizeof(t));           /* the last good one is in force */
    CHECK_EQ(sched_op(SCHED_PARAMS_GET, &t), 0);
    CHECK_EQ(t.is_default, 0);
    CHECK_EQ(t.major_frame_us, 10000);
    CHECK_EQ(t.nr_entries, 2);
    CHECK_EQ(t.entries[1].domid, d[1]->d.domain_id);
    CHECK_EQ(t.entries[1].vcpu, 0);
    CHECK_EQ(t.entries[1].runtime_us, 3000);
    CHECK_EQ(sim.violations, 0);
    sim_fini();
}

static const struct unit_case cases[] = {
    { "windows_kept", windows_kept },
    { "frame_repeats", frame_repeats },
    { "vcpus_in_windows", vcpus_in_windows },
    { "default_timetable", default_timetable },
    { "default_follows_new_domain", default_follows_new_domain },
    { "windows_of_gone_domain_idle", windows_of_gone_domain_idle },
    { "bad_timetables", bad_timetables },
};
SIM_UNIT_MAIN(cases)
