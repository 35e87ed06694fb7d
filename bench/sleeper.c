/* Timer wake-up latency: wakes every P us for N periods (absolute deadlines, so
 * lateness does not accumulate) and measures how late each wake-up was: the guest's
 * clock right after sleep_until returns, minus the deadline asked for.
 * With work_us=W it is a periodic real-time task: after each wake-up it does W us of
 * CPU work (a fixed amount of work, calibrated at start against its own running time,
 * so preemption delays the work but does not shorten it), and counts a miss for each
 * period whose work ended after the next period began.
 * Command line: period_us=P (default 1000), periods=N (default 100), work_us=W
 * (default 0).
 * Result: "result bench=sleeper dom=D periods=N period_us=P lat_avg_ns=A
 * lat_max_ns=M lat_min_ns=m run_ns=R work_us=W misses=K" (R: time running over the
 * N periods, from the runstate). */
#include <guest.h>

#include "work.h"

#define CALIB_STEPS (1u << 18)          /* ~1.5 ms of work to time at start */

/* One copy of the loop for calibrating and for working: inlined twice, the compiler
 * may give the copies different instruction counts (it did: 6 and 7 per step). */
static __attribute__((noinline)) void burn(uint64_t steps)
{
    volatile uint64_t x = 1;

    work_steps(&x, steps);
}

/* Work steps per ns of running time, as 32.32 fixed point. */
static uint64_t calibrate(void)
{
    struct vcpu_runstate_info a, b;
    uint64_t ns;

    vcpu_runstate(smp_vcpu_id(), &a);
    burn(CALIB_STEPS);
    vcpu_runstate(smp_vcpu_id(), &b);
    ns = (uint64_t)(b.time[RUNSTATE_running] - a.time[RUNSTATE_running]);
    return ((uint64_t)CALIB_STEPS << 32) / MAX(ns, 1ull);
}

int main(const struct start_info *si)
{
    uint64_t period_us = guest_arg_uint("period_us", 1000);
    uint64_t periods = guest_arg_uint("periods", 100);
    uint64_t work_us = guest_arg_uint("work_us", 0);
    uint64_t sum = 0, max = 0, min = UINT64_MAX, misses = 0, work_steps_n = 0;
    struct vcpu_runstate_info rs0, rs1;
    struct periodic p;

    if (!periods || !period_us) {
        printf("sleeper: periods and period_us must be > 0\n");
        return 1;
    }
    if (work_us)
        work_steps_n = (uint64_t)(((unsigned __int128)work_us * 1000 * calibrate()) >> 32);
    vcpu_runstate(smp_vcpu_id(), &rs0);
    periodic_start(&p, period_us * 1000);
    for (uint64_t i = 0; i < periods; i++) {
        uint64_t deadline = periodic_wait(&p);
        uint64_t lat = guest_now_ns() - deadline;

        sum += lat;
        max = MAX(max, lat);
        min = MIN(min, lat);
        if (work_us) {
            burn(work_steps_n);
            if (guest_now_ns() > p.next_ns)     /* the next period has begun */
                misses++;
        }
    }
    vcpu_runstate(smp_vcpu_id(), &rs1);
    printf("result bench=sleeper dom=%u periods=%llu period_us=%llu lat_avg_ns=%llu "
           "lat_max_ns=%llu lat_min_ns=%llu run_ns=%llu work_us=%llu misses=%llu\n",
           si->domid, (unsigned long long)periods, (unsigned long long)period_us,
           (unsigned long long)(sum / periods), (unsigned long long)max,
           (unsigned long long)min,
           (unsigned long long)(rs1.time[RUNSTATE_running] - rs0.time[RUNSTATE_running]),
           (unsigned long long)work_us, (unsigned long long)misses);
    return 0;
}
