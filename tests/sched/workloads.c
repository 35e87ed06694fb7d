/* Synthetic vCPUs: what a guest does with the CPU it is given. A vCPU works through
 * units of work (a burst, or a job of a periodic task); work is consumed only while it
 * runs. When a unit ends and no other is due, the guest blocks (SCHEDOP_block, on its
 * own pCPU) after arming its one-shot timer (v->singleshot_timer, as a PV guest's
 * set_timer_op does) for when the next one is due; that timer kicks it awake.
 *
 *   WL_CPU       one endless unit
 *   WL_PERIODIC  job k is released at t0 + k*period with `work` to do and its
 *                deadline at the next release; a job done after it is a miss. A late
 *                job makes the next start at once (no block).
 *   WL_BURSTY / WL_IO  bursts of U[on_min,on_max] of run time, then sleeps of
 *                U[off_min,off_max]; the randomness is each vCPU's own stream,
 *                seeded from the run's seed, its domain and its id.
 *
 * Wake-to-run latency counts from the timer's kick to the vCPU's next switch-in. */
#include <hvlab/panic.h>
#include <hvlab/sched.h>
#include <hvlab/timer.h>
#include "sim.h"

struct sim_wl wl_cpu(void) { return (struct sim_wl){ .kind = WL_CPU }; }

struct sim_wl wl_periodic(s_time_t period, s_time_t work)
{
    return (struct sim_wl){ .kind = WL_PERIODIC, .period = period, .work = work };
}

struct sim_wl wl_bursty(void)
{
    return (struct sim_wl){ .kind = WL_BURSTY, .on_min = MILLISECS(1), .on_max = MILLISECS(20),
                            .off_min = MILLISECS(1), .off_max = MILLISECS(20) };
}

struct sim_wl wl_io(void)
{
    return (struct sim_wl){ .kind = WL_IO, .on_min = MICROSECS(50), .on_max = MICROSECS(200),
                            .off_min = MICROSECS(500), .off_max = MILLISECS(5) };
}

/* splitmix64: small, fast, and every seed is a good one. */
uint64_t sim_rand(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

s_time_t sim_rand_range(uint64_t *state, s_time_t lo, s_time_t hi)
{
    return hi <= lo ? lo : lo + (s_time_t)(sim_rand(state) % (uint64_t)(hi - lo + 1));
}

/* ---- units of work ---- */

static void unit_begin(struct sim_vcpu *sv)
{
    switch (sv->wl.kind) {
    case WL_CPU:
        sv->rem = SIM_FOREVER;
        break;
    case WL_PERIODIC:
        sv->rem = sv->wl.work;
        break;
    case WL_BURSTY:
    case WL_IO:
        sv->rem = sim_rand_range(&sv->rng, sv->wl.on_min, sv->wl.on_max);
        break;
    }
    sv->in_unit = true;
}

static void unit_done(struct sim_vcpu *sv, s_time_t now)
{
    sv->in_unit = false;
    if (sv->wl.kind != WL_PERIODIC)
        return;
    sv->st.jobs++;
    if (now > sv->t0 + (s_time_t)(sv->job + 1) * sv->wl.period)
        sv->st.misses++;
    sv->job++;
}

/* When the next unit is due. */
static s_time_t unit_next(struct sim_vcpu *sv, s_time_t now)
{
    if (sv->wl.kind == WL_PERIODIC)
        return sv->t0 + (s_time_t)sv->job * sv->wl.period;
    return now + sim_rand_range(&sv->rng, sv->wl.off_min, sv->wl.off_max);
}

static void burst_arm(struct sim_vcpu *sv)
{
    if (sv->rem != SIM_FOREVER)
        timer_set(&sv->burst_timer, sv->work_from + sv->rem);
}

/* Work counted up to now. */
static void consume(struct sim_vcpu *sv, s_time_t now)
{
    s_time_t done = now - sv->work_from;
    if (done > 0 && sv->rem != SIM_FOREVER)
        sv->rem -= MIN(done, sv->rem);
    if (now > sv->work_from)
        sv->work_from = now;
}

/* The running vCPU's unit ran out, on its pCPU: the next one, or block until it. */
static void burst_fn(void *data)
{
    struct sim_vcpu *sv = data;
    s_time_t now = NOW(), next;

    if (current != &sv->v)
        panic("sim: burst timer of d%u.v%u fired on CPU%u, where it is not running",
              sv->sd->d.domain_id, sv->v.vcpu_id, smp_processor_id());
    sv->rem = 0;
    sv->work_from = now;
    if (sv->in_unit)
        unit_done(sv, now);
    next = unit_next(sv, now);
    if (next <= now) {
        unit_begin(sv);
        burst_arm(sv);
        return;
    }
    timer_set(&sv->v.singleshot_timer, next);
    __atomic_or_fetch(&sv->v.pause_flags, 1UL << VPF_blocked, __ATOMIC_SEQ_CST);
    vcpu_block_current();
}

/* The one-shot timer: a unit is due. */
static void wake_fn(void *data)
{
    struct sim_vcpu *sv = data;
    s_time_t now = NOW();

    if (!sv->in_unit) {
        unit_begin(sv);
        if (sv->v.is_running) {         /* woken early by someone else: still on */
            consume(sv, now);
            burst_arm(sv);
        }
    }
    if (sv->v.pause_flags & (1UL << VPF_blocked)) {
        sv->lat_from = now;
        sv->st.wakes++;
    }
    vcpu_kick(&sv->v);
}

static void poll_fn(void *data) { (void)data; }

void wl_init(struct sim_vcpu *sv, unsigned cpu)
{
    sv->lat_from = -1;
    timer_init(&sv->v.singleshot_timer, wake_fn, sv, cpu);
    timer_init(&sv->v.poll_timer, poll_fn, sv, cpu);
    timer_init(&sv->burst_timer, burst_fn, sv, cpu);
}

bool wl_timer(const struct timer *t)
{
    return t->fn == burst_fn || t->fn == wake_fn || t->fn == poll_fn;
}

void wl_fini(struct sim_vcpu *sv)
{
    timer_stop(&sv->burst_timer);
}

void wl_start(struct sim_vcpu *sv, s_time_t now)
{
    sv->started = true;
    sv->t0 = now;
    sv->job = 0;
    unit_begin(sv);
}

void wl_switch_in(struct sim_vcpu *sv, unsigned cpu, s_time_t now)
{
    sv->burst_timer.cpu = (uint16_t)cpu;    /* not queued while switched out */
    sv->work_from = now + sim.cfg.decision_cost;
    if (!sv->in_unit)
        sv->rem = 0;                    /* woken with nothing to do: blocks at once */
    burst_arm(sv);
}

void wl_switch_out(struct sim_vcpu *sv, s_time_t now)
{
    consume(sv, now);
    timer_stop(&sv->burst_timer);
    if (sv->in_unit && sv->rem == 0)    /* finished just as it was switched out */
        unit_done(sv, now);
}

void wl_recharge(struct sim_vcpu *sv, s_time_t now)
{
    consume(sv, now);
    sv->work_from = now + sim.cfg.decision_cost;
    if (timer_is_queued(&sv->burst_timer))
        burst_arm(sv);
}

uint64_t wl_overdue_jobs(const struct sim_vcpu *sv, s_time_t now)
{
    if (sv->wl.kind != WL_PERIODIC || !sv->started || now <= sv->t0)
        return 0;
    uint64_t due = (uint64_t)((now - sv->t0) / sv->wl.period);
    return due > sv->job ? due - sv->job : 0;
}
