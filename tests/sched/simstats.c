/* What each vCPU got (run time, time away from home, waits, wake-to-run latency,
 * migrations, switches), fed by the core mirror at every decision and switch, and the
 * audits: invariants checked from outside the policy every audit_period (sim.h). */
#include <stdio.h>
#include <stdlib.h>
#include <hvlab/panic.h>
#include <hvlab/sched.h>
#include <hvlab/timer.h>
#include "sim.h"

/* ---- accounting ---- */

static void account_run(struct sim_vcpu *sv, unsigned cpu, s_time_t now)
{
    s_time_t dt = now - sv->run_from;
    if (dt <= 0)
        return;
    sv->st.run += dt;
    sim.cs[cpu].busy += dt;
    if (sv->sd->home_mask && !(sv->sd->home_mask >> topo.cpu_node[cpu] & 1))
        sv->st.away += dt;
    sv->run_from = now;
}

static void hash_mix(uint64_t x)
{
    for (int i = 0; i < 8; i++) {
        sim.trace_hash ^= (x >> (8 * i)) & 0xff;
        sim.trace_hash *= 1099511628211ull;
    }
}

/* Called by schedule() with the decision, before the switch (runstates still old). */
void sim_decided(unsigned cpu, struct vcpu *prev, struct vcpu *next, s_time_t slice)
{
    sim.cs[cpu].decisions++;
    hash_mix((uint64_t)sim.now);
    hash_mix(cpu);
    hash_mix(is_idle_vcpu(next) ? 0xffff : (uint64_t)next->domain->domain_id << 16 | next->vcpu_id);
    if (is_idle_vcpu(next))
        return;
    if (slice > sim.max_slice)
        sim.max_slice = slice;
    struct sim_vcpu *sv = sim_v(next);
    if (next != prev && next->runstate.state == RUNSTATE_runnable) {
        s_time_t wait = sim.now - next->runstate.state_entry_time;
        if (wait > sv->st.max_wait)
            sv->st.max_wait = wait;
    }
    if (next == prev && sim.cfg.decision_cost)
        wl_recharge(sv, sim.now);
}

static void lat_add(struct sim_vstats *st, s_time_t lat)
{
    if (st->nr_lat == st->cap_lat) {
        size_t n = st->cap_lat ? st->cap_lat * 2 : 64;
        s_time_t *p = realloc(st->lat, n * sizeof(*p));
        if (!p)
            panic("sim: out of memory");
        st->lat = p;
        st->cap_lat = n;
    }
    st->lat[st->nr_lat++] = lat;
}

/* The context switch on cpu: prev stops working, next starts. */
void sim_switched(unsigned cpu, struct vcpu *prev, struct vcpu *next, s_time_t now)
{
    sim.cs[cpu].switches++;
    if (!is_idle_vcpu(prev)) {
        struct sim_vcpu *sv = sim_v(prev);
        account_run(sv, cpu, now);
        wl_switch_out(sv, now);
    }
    if (!is_idle_vcpu(next)) {
        struct sim_vcpu *sv = sim_v(next);
        sv->run_from = now;
        sv->st.switches++;
        if (sv->has_run && sv->last_cpu != cpu)
            sv->st.migrations++;
        sv->last_cpu = cpu;
        sv->has_run = true;
        if (sv->lat_from >= 0) {
            lat_add(&sv->st, now - sv->lat_from);
            sv->lat_from = -1;
        }
        wl_switch_in(sv, cpu, now);
    }
}

void sim_stats_reset(void)
{
    sim.window_from = sim.now;
    memset(sim.cs, 0, sizeof(sim.cs));
    for (unsigned i = 0; i < sim.nr_vcpus; i++) {
        struct sim_vcpu *sv = sim.vcpus[i];
        if (!sv)
            continue;
        s_time_t *lat = sv->st.lat;
        size_t cap = sv->st.cap_lat;
        memset(&sv->st, 0, sizeof(sv->st));
        sv->st.lat = lat;
        sv->st.cap_lat = cap;
        sv->run_from = sim.now;
    }
}

const struct sim_vstats *sim_vstats(struct sim_vcpu *sv)
{
    if (sv->v.is_running)
        account_run(sv, sv->v.processor, sim.now);
    static struct sim_vstats out;
    out = sv->st;
    out.misses += wl_overdue_jobs(sv, sim.now);
    return &out;
}

s_time_t sim_dom_run(const struct sim_dom *sd)
{
    s_time_t sum = 0;
    for (unsigned i = 0; i < sd->d.max_vcpus; i++)
        sum += sim_vstats(sim_v(sd->d.vcpus[i]))->run;
    return sum;
}

s_time_t sim_cpu_busy(unsigned cpu)
{
    struct vcpu *v = per_cpu(cpu)->curr;
    if (!is_idle_vcpu(v))
        account_run(sim_v(v), cpu, sim.now);
    return sim.cs[cpu].busy;
}

static int cmp_time(const void *a, const void *b)
{
    s_time_t x = *(const s_time_t *)a, y = *(const s_time_t *)b;
    return (x > y) - (x < y);
}

s_time_t sim_lat_quantile(const struct sim_vstats *st, double q)
{
    if (!st->nr_lat)
        return -1;
    qsort(st->lat, st->nr_lat, sizeof(*st->lat), cmp_time);
    size_t i = (size_t)(q * (double)(st->nr_lat - 1) + 0.5);
    return st->lat[i < st->nr_lat ? i : st->nr_lat - 1];
}

/* ---- audits: the invariants, seen from outside the policy ---- */

/* A vCPU of a work-conserving domain waiting for a pCPU that c could be, or NULL. */
static struct vcpu *waiting_for(unsigned c)
{
    for (unsigned i = 0; i < sim.nr_vcpus; i++) {
        struct sim_vcpu *sv = sim.vcpus[i];
        struct vcpu *v = sv ? &sv->v : NULL;
        if (v && !sv->sd->throttled && vcpu_runnable(v) && !v->is_running &&
            cpumask_test(&v->cpu_hard_affinity, c) &&
            cpumask_test(&v->domain->cpupool->sched.cpus, c))
            return v;
    }
    return NULL;
}

/* A pCPU that idles while work it may run waits, for longer than idle_bound. */
static void audit_waste(unsigned c)
{
    struct vcpu *v = sched_cpu_is_idle(c) && sched_res(c)->sched ? waiting_for(c) : NULL;
    if (!v) {
        sim.waste_since[c] = -1;
        return;
    }
    if (sim.waste_since[c] < 0)
        sim.waste_since[c] = sim.now;
    else if (sim.now - sim.waste_since[c] > sim.cfg.idle_bound) {
        sim_violation("CPU%u idled %lld ms while %s.v%u, which may run there, waited "
                      "(queued on CPU%u)", c, (long long)((sim.now - sim.waste_since[c]) / 1000000),
                      v->domain->name, v->vcpu_id, v->processor);
        sim.waste_since[c] = SIM_FOREVER;   /* once per episode */
    }
}

static void audit_vcpu(struct sim_vcpu *sv)
{
    struct vcpu *v = &sv->v;
    const char *d = sv->sd->d.name;

    if (v->is_running != (v->runstate.state == RUNSTATE_running))
        sim_violation("%s.v%u: is_running %d but runstate %d", d, v->vcpu_id,
                      v->is_running, v->runstate.state);
    if (v->is_running && per_cpu(v->processor)->curr != v)
        sim_violation("%s.v%u: is_running but not current on its CPU%u", d, v->vcpu_id,
                      v->processor);
    if (!sim.in_pool_op && !cpumask_test(&v->domain->cpupool->sched.cpus, v->processor))
        sim_violation("%s.v%u: on CPU%u, outside its pool's CPUs %#llx", d, v->vcpu_id,
                      v->processor, (unsigned long long)cpumask_to_u64(&v->domain->cpupool->sched.cpus));
    if (!vcpu_runnable(v) || v->is_running)
        return;
    s_time_t wait = sim.now - v->runstate.state_entry_time;
    if (v->runstate.state != RUNSTATE_runnable) {
        sim_violation("%s.v%u: runnable but in runstate %d", d, v->vcpu_id, v->runstate.state);
        return;
    }
    if (sv->reported == v->runstate.state_entry_time)
        return;                         /* this wait was reported already */
    if (wait > sim.cfg.starve_bound) {
        sim_violation("%s.v%u: runnable, not run for %lld ms (queued on CPU%u)", d,
                      v->vcpu_id, (long long)(wait / 1000000), v->processor);
        sv->reported = v->runstate.state_entry_time;
    }
}

void sim_audit(void *data)
{
    (void)data;
    for (unsigned c = 0; c < sim.nr_cpus; c++) {
        struct vcpu *curr = per_cpu(c)->curr;
        if (!curr->is_running || curr->processor != c)
            sim_violation("CPU%u: current %s.v%u has is_running %d, processor %u", c,
                          curr->domain ? curr->domain->name : "idle", curr->vcpu_id,
                          curr->is_running, curr->processor);
        if (sim.cfg.idle_bound > 0)
            audit_waste(c);
    }
    for (unsigned i = 0; i < sim.nr_vcpus; i++)
        if (sim.vcpus[i])
            audit_vcpu(sim.vcpus[i]);
    timer_set(&sim.audit, sim.now + sim.cfg.audit_period);
}
