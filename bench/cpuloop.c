/* CPU-bound work for a fixed span of guest time (the hypervisor's NOW(), so time
 * spent descheduled counts: the iteration count shows the CPU share it got). With
 * vcpus = N in the domain's config, every vCPU runs the loop until the same deadline;
 * the counts and runstate times are summed over the vCPUs.
 * Command line: ms=N (default 1000); start_ms=S: first sleep until S ms after boot
 * (the hypervisor's clock), so that several domains created one after another start
 * their loops at the same instant and share one measurement window.
 * Result: "result bench=cpuloop dom=D iters=N ms=M ns=T vcpus=V run_ns=R
 * runnable_ns=Q blocked_ns=B" (N: iterations on all vCPUs; T: from the start to the
 * last vCPU's last clock read; R, Q, B: time each vCPU spent running, runnable and
 * blocked from just before vCPU 0 started it (vCPU 0: from the start) to the end of
 * its loop, summed; so a secondary's wait for its first pCPU counts as runnable). */
#include <guest.h>

#include "work.h"

#define CHUNK 1000      /* iterations between clock reads */

struct vcpu_result {
    uint64_t iters;
    uint64_t last_ns;                   /* the clock read that ended the loop */
    struct vcpu_runstate_info before, after;
};

static struct vcpu_result results[MAX_VIRT_CPUS];
static uint64_t deadline_ns;

static void loop(unsigned id)
{
    struct vcpu_result *r = &results[id];
    volatile uint64_t x = 1;
    uint64_t now, iters = 0;

    do {
        work_steps(&x, CHUNK);
        iters += CHUNK;
        now = guest_now_ns();
    } while (now < deadline_ns);
    vcpu_runstate(id, &r->after);
    r->iters = iters;
    r->last_ns = now;
}

static void secondary(unsigned id, void *arg)
{
    loop(id);
}

static uint64_t spent(const struct vcpu_result *r, unsigned state)
{
    return (uint64_t)(r->after.time[state] - r->before.time[state]);
}

int main(const struct start_info *si)
{
    uint64_t ms = guest_arg_uint("ms", 1000);
    uint64_t start_ms = guest_arg_uint("start_ms", 0);
    unsigned n = smp_nr_vcpus();

    if (start_ms && guest_now_ns() < start_ms * 1000000)
        sleep_until(start_ms * 1000000);
    uint64_t start = guest_now_ns(), last = start, iters = 0, t[RUNSTATE_COUNT] = { 0 };

    deadline_ns = start + ms * 1000000;
    for (unsigned id = 0; id < n; id++) {
        int rc = vcpu_runstate(id, &results[id].before);

        if (rc == 0 && id > 0)
            rc = vcpu_start(id, secondary, NULL);
        if (rc < 0) {
            printf("cpuloop: cannot start vCPU %u: %d (%s)\n", id, rc, errno_name(rc));
            return 1;
        }
    }
    loop(0);
    for (unsigned id = 1; id < n; id++)
        vcpu_join(id);
    for (unsigned id = 0; id < n; id++) {
        iters += results[id].iters;
        last = MAX(last, results[id].last_ns);
        for (unsigned s = 0; s < RUNSTATE_COUNT; s++)
            t[s] += spent(&results[id], s);
    }
    printf("result bench=cpuloop dom=%u iters=%llu ms=%llu ns=%llu vcpus=%u run_ns=%llu "
           "runnable_ns=%llu blocked_ns=%llu\n", si->domid, (unsigned long long)iters,
           (unsigned long long)ms, (unsigned long long)(last - start), n,
           (unsigned long long)t[RUNSTATE_running], (unsigned long long)t[RUNSTATE_runnable],
           (unsigned long long)t[RUNSTATE_blocked]);
    return 0;
}
