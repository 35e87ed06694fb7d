/* The discrete-event simulator around the core mirror: set-up and tear-down of the
 * machine and the policy, the event loop, the toolstack's operations, accounting of
 * what each vCPU got, and the invariant audits. See sim.h for the model. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <hvlab/errno.h>
#include <hvlab/panic.h>
#include <hvlab/sched.h>
#include <hvlab/timer.h>
#include "sim.h"

#define MAX_SHOWN_VIOLATIONS 10

struct sim sim;

/* ---- policies ---- */

extern const struct sched_ops *const __start_sim_policies[] __attribute__((weak));
extern const struct sched_ops *const __stop_sim_policies[] __attribute__((weak));

const struct sched_ops *sim_policy_nth(unsigned i)
{
    size_t n = (size_t)(__stop_sim_policies - __start_sim_policies);
    return __start_sim_policies && i < n ? __start_sim_policies[i] : NULL;
}

const struct sched_ops *sim_policy_find(const char *name)
{
    const struct sched_ops *o;
    for (unsigned i = 0; (o = sim_policy_nth(i)) != NULL; i++)
        if (!strcmp(o->name, name))
            return o;
    return NULL;
}

/* ---- violations ---- */

void sim_violation(const char *fmt, ...)
{
    va_list ap;
    if (++sim.violations > MAX_SHOWN_VIOLATIONS || sim.cfg.quiet) {
        if (sim.violations == MAX_SHOWN_VIOLATIONS + 1 && !sim.cfg.quiet)
            printf("    sim: further violations not shown\n");
        return;
    }
    printf("    sim: t=%lld.%06lld s: ", (long long)(sim.now / 1000000000),
           (long long)(sim.now / 1000 % 1000000));
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
}

/* ---- set-up ---- */

static void audit_fn(void *data);

bool sim_init(const struct sched_ops *ops, const struct sim_config *cfg)
{
    memset(&sim, 0, sizeof(sim));
    sim.cfg = *cfg;
    if (!sim.cfg.nr_nodes)
        sim.cfg.nr_nodes = 1;
    if (!sim.cfg.cpus_per_node)
        sim.cfg.cpus_per_node = 1;
    if (!sim.cfg.remote_distance)
        sim.cfg.remote_distance = 20;
    if (!sim.cfg.starve_bound)
        sim.cfg.starve_bound = MILLISECS(1000);
    if (!sim.cfg.idle_bound)
        sim.cfg.idle_bound = MILLISECS(100);
    sim.nr_cpus = sim.cfg.nr_nodes * sim.cfg.cpus_per_node;
    if (!ops || sim.nr_cpus > NR_CPUS || sim.cfg.nr_nodes > MAX_NUMNODES) {
        printf("    sim: %u pCPUs in %u nodes: not supported (NR_CPUS=%u, MAX_NUMNODES=%u)\n",
               sim.nr_cpus, sim.cfg.nr_nodes, NR_CPUS, MAX_NUMNODES);
        return false;
    }
    sim.ops = ops;
    sim.heap = calloc(256, sizeof(*sim.heap));
    if (!sim.heap)
        panic("sim: no memory");
    timerq_init(&sim.q, sim.heap, 256);
    sim.trace_hash = 14695981039346656037ull;
    sim.next_domid = 1;

    sim_core_reset();
    sim_machine_init();
    sim_set_cpu(0, true);
    if (sim_sched_init(ops) != 0) {
        sim_machine_fini();
        free(sim.heap);
        return false;
    }
    for (unsigned c = 0; c < sim.nr_cpus; c++) {   /* the BSP, then each AP */
        sim_sched_init_cpu(c);
        cpumask_set(&cpu_online_map, c);
        nr_cpus_online++;
    }
    timer_init(&sim.audit, audit_fn, NULL, 0);
    if (sim.cfg.audit_period > 0)
        timer_set(&sim.audit, sim.cfg.audit_period);
    return true;
}

void sim_fini(void)
{
    for (unsigned i = 0; i < sim.nr_doms; i++)
        if (sim.doms[i])
            sim_domain_destroy(sim.doms[i]);
    timer_stop(&sim.audit);
    for (unsigned c = 0; c < sim.nr_cpus; c++)
        timer_stop(&sim.kick[c]);
    sim_sched_fini();
    sim_machine_fini();
    free(sim.heap);
    free(sim.doms);
    free(sim.vcpus);
    sim.heap = NULL;
    sim.doms = NULL;
    sim.vcpus = NULL;
}

/* ---- the event loop ---- */

void sim_run_until(s_time_t end)
{
    struct timer *t;
    while ((t = timerq_first(&sim.q)) != NULL && t->expires <= end) {
        timerq_remove(&sim.q, t);
        if (t->expires > sim.now)
            sim.now = t->expires;
        if (t == &sim.audit) {          /* an observer: runs on no pCPU */
            audit_fn(NULL);
            continue;
        }
        sim_set_cpu(t->cpu, false);
        t->fn(t->data);
        sim_softirq();                  /* on the way out of the interrupt */
    }
    if (end > sim.now)
        sim.now = end;
    sim_set_cpu(0, true);
}

/* ---- domains and vCPUs (core/domain.c, core/vcpu.c) ---- */

static void *grow(void *arr, unsigned *cap, unsigned need, size_t size)
{
    if (need <= *cap)
        return arr;
    unsigned n = *cap ? *cap * 2 : 16;
    while (n < need)
        n *= 2;
    void *p = realloc(arr, n * size);
    if (!p)
        panic("sim: out of memory");
    memset((char *)p + *cap * size, 0, (n - *cap) * size);
    *cap = n;
    return p;
}

static struct sim_vcpu *vcpu_new(struct sim_dom *sd, unsigned id, struct sim_wl wl)
{
    struct sim_vcpu *sv = calloc(1, sizeof(*sv));
    unsigned cpu = id % nr_cpus_online;

    if (!sv)
        panic("sim: out of memory");
    sv->sd = sd;
    sv->v.vcpu_id = id;
    sv->v.domain = &sd->d;
    sv->v.pause_flags = 1UL << VPF_down;
    sv->wl = wl;
    sv->reported = -1;
    sv->rng = sim.cfg.seed ^ ((uint64_t)sd->d.domain_id << 32) ^ id ^ 0x9e3779b97f4a7c15ull;
    wl_init(sv, cpu);                   /* singleshot and burst timers */
    sim.vcpus = grow(sim.vcpus, &sim.cap_vcpus, sim.nr_vcpus + 1, sizeof(*sim.vcpus));
    sv->index = sim.nr_vcpus;
    sim.vcpus[sim.nr_vcpus++] = sv;
    if (sched_init_vcpu(&sv->v, cpu) < 0)
        panic("sim: sched_init_vcpu failed for d%u.v%u", sd->d.domain_id, id);
    return sv;
}

struct sim_dom *sim_domain_create(const char *name, unsigned n, unsigned home_node,
                                  struct sim_wl wl)
{
    struct sim_dom *sd = calloc(1, sizeof(*sd));
    struct domain *d = &sd->d;

    if (!sd || !(d->vcpus = calloc(n, sizeof(*d->vcpus))))
        panic("sim: out of memory");
    d->domain_id = sim.next_domid++;
    snprintf(d->name, sizeof(d->name), "%s", name);
    spin_lock_init(&d->lock);
    spin_lock_init(&d->page_lock);
    spin_lock_init(&d->event_lock);
    list_init(&d->page_list);
    d->home_node = home_node;
    if (home_node != NUMA_NO_NODE) {    /* its memory is there: 4 MiB of it */
        d->node_pages[home_node] = d->tot_pages = 1024;
        sd->home_mask = 1u << home_node;
    }
    d->state = DOMSTATE_created;
    d->pause_count = 1;                 /* created paused: the toolstack unpauses */
    d->max_vcpus = n;
    sim.doms = grow(sim.doms, &sim.cap_doms, sim.nr_doms + 1, sizeof(*sim.doms));
    sim.doms[sim.nr_doms++] = sd;
    sim_set_cpu(0, true);
    if (sched_init_domain(d) < 0)
        panic("sim: sched_init_domain failed for %s", name);
    for (unsigned i = 0; i < n; i++)
        d->vcpus[i] = &vcpu_new(sd, i, wl)->v;
    return sd;
}

/* vcpu_up (VPF_down cleared, woken) for each, then domain_unpause_by_controller. */
void sim_domain_start(struct sim_dom *sd)
{
    struct vcpu *v;
    for_each_vcpu(&sd->d, v) {
        wl_start(sim_v(v), sim.now);
        if (__atomic_fetch_and(&v->pause_flags, ~(1UL << VPF_down), __ATOMIC_ACQ_REL) &
            (1UL << VPF_down))
            vcpu_wake(v);
    }
    sim_domain_unpause(sd);
}

void sim_domain_pause(struct sim_dom *sd)
{
    struct vcpu *v;
    __atomic_add_fetch(&sd->d.pause_count, 1, __ATOMIC_SEQ_CST);
    for_each_vcpu(&sd->d, v)
        vcpu_sleep_sync(v);
}

void sim_domain_unpause(struct sim_dom *sd)
{
    struct vcpu *v;
    if (sd->d.pause_count == 0)
        return;
    if (sd->d.state == DOMSTATE_created)
        sd->d.state = DOMSTATE_active;
    if (__atomic_sub_fetch(&sd->d.pause_count, 1, __ATOMIC_SEQ_CST) == 0)
        for_each_vcpu(&sd->d, v)
            vcpu_wake(v);
}

/* domain_destroy: pause every vCPU (off its pCPU), then vcpu_destroy each. */
void sim_domain_destroy(struct sim_dom *sd)
{
    struct domain *d = &sd->d;
    struct vcpu *v;

    d->state = DOMSTATE_dying;
    for_each_vcpu(d, v) {
        __atomic_add_fetch(&v->pause_count, 1, __ATOMIC_SEQ_CST);
        vcpu_sleep_sync(v);
    }
    for_each_vcpu(d, v) {
        struct sim_vcpu *sv = sim_v(v);
        timer_stop(&v->singleshot_timer);
        timer_stop(&v->poll_timer);
        wl_fini(sv);
        sched_destroy_vcpu(v);
        sim.vcpus[sv->index] = NULL;
        free(sv->st.lat);
        free(sv);
    }
    sched_destroy_domain(d);
    for (unsigned i = 0; i < sim.nr_doms; i++)
        if (sim.doms[i] == sd)
            sim.doms[i] = NULL;
    free(d->vcpus);
    free(sd);
}

int sim_adjust(struct sim_dom *sd, struct domctl_scheduler_op *op)
{
    sim_set_cpu(0, true);
    int rc = sched_adjust(&sd->d, op);
    if (rc == 0 && op->cmd == SCHED_PARAMS_PUT) {
        if (op->sched_id == SCHED_ID_CREDIT || op->sched_id == SCHED_ID_CREDIT2)
            sd->throttled = op->u.credit.cap != 0;
        else if (op->sched_id == SCHED_ID_RTDS)
            sd->throttled = true;
    }
    return rc;
}

int sim_set_affinity(struct sim_vcpu *sv, const cpumask_t *hard, const cpumask_t *soft)
{
    sim_set_cpu(0, true);
    return vcpu_set_affinity(&sv->v, hard, soft);
}

void sim_vcpu_pause(struct sim_vcpu *sv) { sim_set_cpu(0, true); vcpu_pause(&sv->v); }
void sim_vcpu_unpause(struct sim_vcpu *sv) { sim_set_cpu(0, true); vcpu_unpause(&sv->v); }
void sim_kick(struct sim_vcpu *sv) { sim_set_cpu(0, true); vcpu_kick(&sv->v); }

/* A hypercall of the running vCPU: on its pCPU, softirqs on the way back. */
static bool as_guest(struct sim_vcpu *sv, void (*fn)(void))
{
    if (!sv->v.is_running)
        return false;
    sim_set_cpu(sv->v.processor, false);
    fn();
    sim_softirq();
    sim_set_cpu(0, true);
    return true;
}

static void guest_block(void)
{
    __atomic_or_fetch(&current->pause_flags, 1UL << VPF_blocked, __ATOMIC_SEQ_CST);
    vcpu_block_current();
}

bool sim_guest_yield(struct sim_vcpu *sv) { return as_guest(sv, vcpu_yield_current); }
bool sim_guest_block(struct sim_vcpu *sv) { return as_guest(sv, guest_block); }

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
        if (sv->lat_from) {
            lat_add(&sv->st, now - sv->lat_from);
            sv->lat_from = 0;
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

/* A pCPU v may use that has idled since at least `since`, or -1. */
static int idle_cpu_for(const struct vcpu *v, s_time_t since)
{
    unsigned c;
    for_each_cpu(c, &sim.sched.cpus) {
        struct vcpu *idle = per_cpu(c)->idle;
        if (cpumask_test(&v->cpu_hard_affinity, c) && sched_cpu_is_idle(c) &&
            idle->runstate.state_entry_time <= since)
            return (int)c;
    }
    return -1;
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
        return;
    }
    int c;
    if (sim.cfg.idle_bound > 0 && !sv->sd->throttled && wait > sim.cfg.idle_bound &&
        (c = idle_cpu_for(v, sim.now - sim.cfg.idle_bound)) >= 0) {
        sim_violation("%s.v%u: waited %lld ms while CPU%d, which it may use, idled", d,
                      v->vcpu_id, (long long)(wait / 1000000), c);
        sv->reported = v->runstate.state_entry_time;
    }
}

static void audit_fn(void *data)
{
    (void)data;
    for (unsigned c = 0; c < sim.nr_cpus; c++) {
        struct vcpu *curr = per_cpu(c)->curr;
        if (!curr->is_running || curr->processor != c)
            sim_violation("CPU%u: current %s.v%u has is_running %d, processor %u", c,
                          curr->domain ? curr->domain->name : "idle", curr->vcpu_id,
                          curr->is_running, curr->processor);
    }
    for (unsigned i = 0; i < sim.nr_vcpus; i++)
        if (sim.vcpus[i])
            audit_vcpu(sim.vcpus[i]);
    timer_set(&sim.audit, sim.now + sim.cfg.audit_period);
}
