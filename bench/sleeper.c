/* Timer wake-up latency: wakes every P us for N periods (absolute deadlines, so
 * lateness does not accumulate) and measures how late each wake-up was: the guest's
 * clock right after sleep_until returns, minus the deadline asked for.
 * With work_us=W it is a periodic real-time task: after each wake-up it does W us of
 * CPU work, measured in its own running time (its vCPU runstate), so a period's work
 * is W us whatever the instruction rate (under -icount a pCPU's rate depends on QEMU's
 * turns, in realtime mode on the host) and preemption delays the work but does not
 * shorten it; it counts a miss for each period whose work ended after the next
 * period began, and for each period that was over before it could start its work
 * (a firm real-time task: that work is dropped, not done late, so a starved stretch
 * is not followed by a backlog of late work; the result counts them as dropped).
 * Periods are counted from the vCPU's first activation (as the trace analysis and
 * rtds count them): period 0 begins then (its wake-up latency is the start-up
 * time), periods 0..N-1 each begin with a wake-up, and the task exits after waking
 * at the next period start (N, or later if the last work was late), so a trace
 * covers all N whole.
 * It also counts, as `unblocked`, the periods whose work was done in time but that
 * ended before the vCPU got to block (preempted between its work and its sleep): from
 * outside, as in the trace analysis and in rtds, such a vCPU still wanted the CPU at
 * the boundary, so they may count the period as short although no work was late.
 * And it counts, as `overrun`, the missed periods (late or dropped) in which it may
 * have run for its whole budget (budget_us=B, its reservation; 0: none counted), by an
 * upper bound of what it received in the period: its running time from its last
 * sample before the period began to its first after the period ended
 * (bench/period_edge.h). Such a miss can be by its own demand: work of W <= B us can
 * take more than B us of running time, since its last chunk can straddle a stretch in
 * which QEMU did not run the pCPU, counted as running; and neither the trace analysis
 * nor rtds calls a period in which the vCPU had its budget short.
 * Command line: period_us=P (default 1000), periods=N (default 100), work_us=W
 * (default 0), budget_us=B (default 0).
 * Result: "result bench=sleeper dom=D periods=N period_us=P lat_avg_ns=A
 * lat_max_ns=M lat_min_ns=m run_ns=R work_us=W work_run_ns=X misses=K dropped=J
 * unblocked=U overrun=O" (R: time running over the N periods, from the runstate; X: of
 * that, the time spent in the work, so X / (N - J) is the work per period; J of the K
 * misses dropped). */
#include <guest.h>

#include "period_edge.h"
#include "work.h"

#define WORK_CHECK_NS 20000     /* running time between two looks at the runstate */

/* One copy of the loop: inlined twice, the compiler may give the copies different
 * instruction counts (it did: 6 and 7 per step). */
static __attribute__((noinline)) void burn(uint64_t steps)
{
    volatile uint64_t x = 1;

    work_steps(&x, steps);
}

static uint64_t running_ns(void)
{
    struct vcpu_runstate_info r;

    vcpu_runstate(smp_vcpu_id(), &r);
    return (uint64_t)r.time[RUNSTATE_running];
}

/* Steps done and running time they took, over all the work so far: their ratio sizes
 * the chunks. A long-run ratio, because one chunk's rate swings with QEMU's turns. */
struct work_rate {
    uint64_t steps, ns;
};

/* Run for ns of this vCPU's running time, in chunks of at most WORK_CHECK_NS and at
 * most an eighth of what is left: a pCPU's instruction rate swings up to 5x with
 * QEMU's turns, so a chunk sized at the mean rate may take 5x its time; an eighth
 * of the remainder never overshoots by more than the smallest chunk. Not even the
 * smallest chunk bounds the overshoot in running time, though: a pCPU that QEMU does
 * not run for a while (another pCPU's turn, see docs/architecture.md) still runs this
 * vCPU as far as the hypervisor can tell; one 20 us chunk took up to 1 ms of running
 * time on 2 busy pCPUs. Each chunk's samples go to e (see period_edge.h). */
static void work_for(uint64_t ns, struct work_rate *wr, struct period_edge *e)
{
    uint64_t start = running_ns(), now = start;

    while (now - start < ns) {
        uint64_t left = MIN((ns - (now - start)) / 8, (uint64_t)WORK_CHECK_NS);
        uint64_t steps = wr->ns ? left * wr->steps / wr->ns : 64;  /* < 2^15 * 2^40 */
        uint64_t before = now;

        steps = MAX(steps, 64ull);
        burn(steps);
        now = running_ns();
        period_edge_sample(e, now, guest_now_ns());
        wr->steps += steps;
        wr->ns += now - before;
    }
}

/* When this vCPU first became runnable: now minus the time it has spent in every
 * state but offline since then (the runstate accounts each ns to one state). The
 * clock is read after the runstate, so the answer is never early: a grid that began
 * before the trace's would make a wake-up look like the end of the previous period. */
static uint64_t first_active_ns(void)
{
    struct vcpu_runstate_info r;

    vcpu_runstate(smp_vcpu_id(), &r);
    return guest_now_ns() - (uint64_t)(r.time[RUNSTATE_running] + r.time[RUNSTATE_runnable] +
                                       r.time[RUNSTATE_blocked]);
}

/* 1 if the late (or dropped) period that e ends may have given this vCPU budget_ns of
 * running time, counted from start_before (a sample known to precede its start): its
 * work took more running time than its budget. The clock has passed e's end, so the
 * loop takes at most two samples. */
static uint64_t may_have_had(struct period_edge *e, uint64_t start_before, uint64_t budget_ns)
{
    if (!budget_ns)
        return 0;
    while (!e->has_after)
        period_edge_sample(e, running_ns(), guest_now_ns());
    return period_edge_most(e, start_before) >= budget_ns;
}

int main(const struct start_info *si)
{
    uint64_t period_us = guest_arg_uint("period_us", 1000);
    uint64_t periods = guest_arg_uint("periods", 100);
    uint64_t work_us = guest_arg_uint("work_us", 0);
    uint64_t budget_ns = guest_arg_uint("budget_us", 0) * 1000;
    uint64_t sum = 0, max = 0, min = UINT64_MAX, misses = 0, dropped = 0, work_ns = 0;
    uint64_t unblocked = 0, overrun = 0;
    uint64_t mark = 0;          /* running time before this period began (0 before period 0) */
    bool in_time = false;                       /* the last period's work ended in time */
    struct work_rate rate = { 0, 0 };
    struct vcpu_runstate_info rs0, rs1;
    struct periodic p;

    if (!periods || !period_us) {
        printf("sleeper: periods and period_us must be > 0\n");
        return 1;
    }
    p.period_ns = period_us * 1000;
    p.next_ns = first_active_ns();                      /* period 0 */
    vcpu_runstate(smp_vcpu_id(), &rs0);
    for (uint64_t i = 0; i < periods; i++) {
        struct vcpu_runstate_info w0, w1;
        struct period_edge e;
        uint64_t deadline, now;
        uint64_t lat;

        vcpu_runstate(smp_vcpu_id(), &w0);
        deadline = periodic_wait(&p);
        vcpu_runstate(smp_vcpu_id(), &w1);
        now = guest_now_ns();
        lat = now - deadline;
        period_edge_start(&e, p.next_ns, mark);
        period_edge_sample(&e, (uint64_t)w1.time[RUNSTATE_running], now);
        if (in_time && w1.time[RUNSTATE_blocked] == w0.time[RUNSTATE_blocked])
            unblocked++;                        /* never blocked across the boundary */
        in_time = false;

        sum += lat;
        max = MAX(max, lat);
        min = MIN(min, lat);
        if (work_us && guest_now_ns() >= p.next_ns) {
            misses++;                           /* the period is over: drop its work */
            dropped++;
            overrun += may_have_had(&e, mark, budget_ns);
            mark = e.before;
            continue;
        }
        if (work_us) {
            uint64_t r0 = running_ns(), r1;

            work_for(work_us * 1000, &rate, &e);
            r1 = running_ns();
            now = guest_now_ns();
            work_ns += r1 - r0;
            period_edge_sample(&e, r1, now);
            if (now > p.next_ns) {              /* the next period has begun */
                misses++;
                overrun += may_have_had(&e, mark, budget_ns);
            } else {
                in_time = true;
            }
        }
        mark = e.before;
    }
    vcpu_runstate(smp_vcpu_id(), &rs1);
    while (p.next_ns <= guest_now_ns())                 /* the next period start... */
        p.next_ns += p.period_ns;
    sleep_until(p.next_ns);             /* ...is where the trace's count of periods ends */
    printf("result bench=sleeper dom=%u periods=%llu period_us=%llu lat_avg_ns=%llu "
           "lat_max_ns=%llu lat_min_ns=%llu run_ns=%llu work_us=%llu work_run_ns=%llu "
           "misses=%llu dropped=%llu unblocked=%llu overrun=%llu\n",
           si->domid, (unsigned long long)periods, (unsigned long long)period_us,
           (unsigned long long)(sum / periods), (unsigned long long)max,
           (unsigned long long)min,
           (unsigned long long)(rs1.time[RUNSTATE_running] - rs0.time[RUNSTATE_running]),
           (unsigned long long)work_us, (unsigned long long)work_ns,
           (unsigned long long)misses, (unsigned long long)dropped,
           (unsigned long long)unblocked, (unsigned long long)overrun);
    return 0;
}
