/* The discrete-event simulator around the core mirror: set-up and tear-down of the
 * machine and the policy, the event loop, and the toolstack's operations (domains,
 * pools, affinity, parameters). Accounting and audits are in simstats.c; the model
 * is described in sim.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <x86intrin.h>
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
    for (unsigned c = 0; c < NR_CPUS; c++)
        sim.waste_since[c] = -1;
    sim.next_domid = 1;

    sim_core_reset();
    sim_machine_init();
    sim_set_cpu(0, true);
    if (sim_pool_init(&sim.pools[0], ops, "Pool-0") != 0) {
        sim_machine_fini();
        free(sim.heap);
        return false;
    }
    sim.nr_pools = 1;
    cpupool0 = &sim.pools[0];
    for (unsigned c = 0; c < sim.nr_cpus; c++) {   /* the BSP, then each AP */
        sim_sched_init_cpu(c);
        cpumask_set(&cpu_online_map, c);
        nr_cpus_online++;
    }
    timer_init(&sim.audit, sim_audit, NULL, 0);
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
    for (unsigned i = 0; i < sim.nr_pools; i++)
        sim_pool_fini(&sim.pools[i]);
    sim_cpus_fini();
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
            sim_audit(NULL);
            continue;
        }
        sim_set_cpu(t->cpu, false);
        if (sim.cfg.time_ops && t != &sim.kick[t->cpu] && !sim_core_timer(t) && !wl_timer(t)) {
            uint64_t t0 = __rdtsc();    /* one of the policy's own timers */
            t->fn(t->data);
            sim.timer_ticks += __rdtsc() - t0;
            sim.nr_policy_timers++;
        } else {
            t->fn(t->data);
        }
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

/* ---- CPU pools (sched/cpupool.c) ---- */

struct cpupool *sim_pool_create(const struct sched_ops *ops)
{
    if (sim.nr_pools == SIM_MAX_POOLS)
        return NULL;
    struct cpupool *p = &sim.pools[sim.nr_pools];
    char name[16];
    snprintf(name, sizeof(name), "Pool-%u", sim.nr_pools);
    sim_set_cpu(0, true);
    if (sim_pool_init(p, ops, name) != 0)
        return NULL;
    p->id = sim.nr_pools++;
    return p;
}

int sim_pool_rm_cpu(struct cpupool *p, unsigned cpu)
{
    int rc = -EAGAIN;

    sim_set_cpu(0, true);
    if (cpu >= sim.nr_cpus || !cpumask_test(&p->sched.cpus, cpu))
        return -EINVAL;
    if (cpumask_weight(&p->sched.cpus) == 1 && p->n_domains)
        return -EBUSY;                  /* its domains would have nowhere to run */
    if (cpu == 0)
        return -EBUSY;                  /* the caller (dom0) runs there */
    cpumask_clear(&p->sched.cpus, cpu);
    sim.in_pool_op = true;              /* pausing a vCPU below runs events: audits wait */
    for (unsigned i = 0; i < sim.nr_doms; i++) {
        struct sim_dom *sd = sim.doms[i];
        struct vcpu *v;
        if (!sd || sd->d.cpupool != p)
            continue;
        for_each_vcpu(&sd->d, v) {
            if (v->processor != cpu)
                continue;
            vcpu_pause(v);
            vcpu_migrate_paused(v);
            vcpu_unpause(v);
        }
    }
    for (int tries = 0; rc == -EAGAIN && tries < 1000; tries++) {
        sched_raise(cpu);
        sim_run_for(MICROSECS(20));
        sim_set_cpu(cpu, false);        /* on_cpus(cpupool_detach_here) */
        rc = sim_cpu_detach(cpu);
        sim_set_cpu(0, true);
    }
    sim.in_pool_op = false;
    if (rc < 0)
        cpumask_set(&p->sched.cpus, cpu);   /* never left: give it back */
    return rc;
}

int sim_pool_add_cpu(struct cpupool *p, unsigned cpu)
{
    sim_set_cpu(0, true);
    if (cpu >= sim.nr_cpus || sched_res(cpu)->sched != NULL)
        return -EBUSY;
    sim_set_cpu(cpu, false);            /* on_cpus(cpupool_attach_here) */
    sim_cpu_attach(cpu, p);
    sim_set_cpu(0, true);
    sched_raise(cpu);
    return 0;
}

int sim_pool_move_domain(struct cpupool *to, struct sim_dom *sd)
{
    struct domain *d = &sd->d;
    struct vcpu *v;
    int rc = 0;

    sim_set_cpu(0, true);
    if (d->cpupool == to)
        return 0;
    if (cpumask_empty(&to->sched.cpus))
        return -ENODEV;
    sim_domain_pause(sd);
    for_each_vcpu(d, v)
        sched_free_vcpu(v);
    sched_destroy_domain(d);
    d->cpupool = to;
    if ((rc = sched_init_domain(d)) == 0) {
        for_each_vcpu(d, v) {
            v->cpu_hard_affinity = to->sched.cpus;
            v->cpu_soft_affinity = to->sched.cpus;
            if ((rc = sched_alloc_vcpu(v, v->processor)) < 0)
                break;
            timer_migrate(&v->singleshot_timer, v->processor);
            timer_migrate(&v->poll_timer, v->processor);
        }
    }
    sim_domain_unpause(sd);
    return rc;
}

/* A domain whose PUT set a parameter declared SCHED_PARAM_LIMITS (a cap, a budget)
 * to non-zero may wait while a pCPU idles; one that set them all to 0 may not. */
int sim_adjust(struct sim_dom *sd, struct domctl_scheduler_op *op)
{
    const struct sched_ops *o = sd->d.cpupool->sched.ops;
    bool limits = false, limited = false;

    sim_set_cpu(0, true);
    int rc = sched_adjust(&sd->d, op);
    if (rc == 0 && op->cmd == SCHED_PARAMS_PUT) {
        for (unsigned i = 0; i < o->nr_params; i++)
            if ((op->mask >> i & 1) && (o->params[i].flags & SCHED_PARAM_LIMITS)) {
                limits = true;
                limited |= op->value[i] != 0;
            }
        if (limits)
            sd->throttled = limited;
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
