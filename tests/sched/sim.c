/* The discrete-event simulator around the real core: set-up and tear-down of the
 * machine and the policy, the event loop, and the toolstack's operations (domains,
 * pools, affinity, parameters), each done as the hypervisor does it, by calling the
 * core's own entry points. Accounting and audits are in simstats.c; the model is
 * described in sim.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <x86intrin.h>
#include <hvlab/errno.h>
#include <hvlab/panic.h>
#include <hvlab/sched.h>
#include <hvlab/timer.h>
#include <public/sysctl.h>
#include "sim.h"

#define MAX_SHOWN_VIOLATIONS 10

struct sim sim;

/* ---- policies ---- */

/* The bounds of ".schedulers" (tests/sched/sections.ld), as sched/core.c reads them. */
extern const struct sched_ops *const __schedulers_start[], *const __schedulers_end[];

const struct sched_ops *sim_policy_nth(unsigned i)
{
    size_t n = (size_t)(__schedulers_end - __schedulers_start);
    return i < n ? __schedulers_start[i] : NULL;
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

    sim_ops_reset();
    sim_machine_init();
    sim_set_cpu(0, true);
    if (sched_init_policy(sim_ops_wrap(ops)) < 0) {
        sim_arch_fini();
        free(sim.heap);
        return false;
    }
    sim.nr_pools = 1;
    sim_arch_start_cpus();              /* the BSP, then each AP */
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
    cpupool_teardown();
    for (unsigned c = 0; c < sim.nr_cpus; c++)
        timer_stop(&sim.kick[c]);
    sim_arch_fini();
    free(sim.heap);
    free(sim.doms);
    free(sim.vcpus);
    sim.heap = NULL;
    sim.doms = NULL;
    sim.vcpus = NULL;
}

/* ---- the event loop ---- */

/* A policy's own timer handler, in a function of its own for `make sched-bench-ir`
 * (see sim_measured_wake in simops.c). */
static __attribute__((noinline)) void sim_measured_timer(struct timer *t)
{
    t->fn(t->data);
}

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
        if (sim.cfg.time_ops && !sim_kick_timer(t) && t != &sched_res(t->cpu)->s_timer &&
            !wl_timer(t)) {
            uint64_t t0 = __rdtsc();    /* one of the policy's own timers */
            sim_measured_timer(t);
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
    sim_control_done();                 /* a policy may have raised pCPU 0 (arinc653) */
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
    sim_set_cpu(0, true);
    domain_pause_by_controller(&sd->d);
    sim_control_done();
}

void sim_domain_unpause(struct sim_dom *sd)
{
    sim_set_cpu(0, true);
    if (sd->d.pause_count)
        domain_unpause_by_controller(&sd->d);
    sim_control_done();
}

/* domain_destroy: pause every vCPU (off its pCPU), then vcpu_destroy each. */
void sim_domain_destroy(struct sim_dom *sd)
{
    struct domain *d = &sd->d;
    struct vcpu *v;

    sim_set_cpu(0, true);
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
    sim_control_done();
}

/* ---- CPU pools: sysctl CPUPOOL_OP_*, as dom0 calls it ---- */

static long pool_op(struct sysctl_cpupool_op *op)
{
    sim_set_cpu(0, true);
    sim.in_pool_op = true;              /* vCPUs move while events run: audits wait */
    long rc = cpupool_op(op);
    sim.in_pool_op = false;
    sim_control_done();
    return rc;
}

struct cpupool *sim_pool_create(const struct sched_ops *ops)
{
    struct sysctl_cpupool_op op = { .op = CPUPOOL_OP_create };
    snprintf(op.name, sizeof(op.name), "Pool-%u", sim.nr_pools);
    snprintf(op.sched_name, sizeof(op.sched_name), "%s", ops->name);
    if (pool_op(&op) < 0)
        return NULL;
    struct cpupool *p = cpupool_by_id(op.cpupool_id);
    p->sched.ops = sim_ops_wrap(p->sched.ops);  /* no pCPU yet: no op called since init */
    sim.nr_pools++;
    return p;
}

int sim_pool_rm_cpu(struct cpupool *p, unsigned cpu)
{
    struct sysctl_cpupool_op op = { .op = CPUPOOL_OP_rmcpu, .cpupool_id = p->id, .cpu = cpu };
    return (int)pool_op(&op);
}

int sim_pool_add_cpu(struct cpupool *p, unsigned cpu)
{
    struct sysctl_cpupool_op op = { .op = CPUPOOL_OP_addcpu, .cpupool_id = p->id, .cpu = cpu };
    return (int)pool_op(&op);
}

int sim_pool_move_domain(struct cpupool *to, struct sim_dom *sd)
{
    struct sysctl_cpupool_op op = { .op = CPUPOOL_OP_movedomain, .cpupool_id = to->id,
                                    .domid = sd->d.domain_id };
    return (int)pool_op(&op);
}

/* A domain whose PUT set a parameter declared SCHED_PARAM_LIMITS (a cap, a budget)
 * to non-zero may wait while a pCPU idles; one that set them all to 0 may not. */
int sim_adjust(struct sim_dom *sd, struct domctl_scheduler_op *op)
{
    const struct sched_ops *o = sd->d.cpupool->sched.ops;
    bool limits = false, limited = false;

    sim_set_cpu(0, true);
    int rc = sched_adjust(&sd->d, op);
    sim_control_done();
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
    int rc = vcpu_set_affinity(&sv->v, hard, soft);
    sim_control_done();
    return rc;
}

void sim_vcpu_pause(struct sim_vcpu *sv)
{
    sim_set_cpu(0, true);
    vcpu_pause(&sv->v);
    sim_control_done();
}

void sim_vcpu_unpause(struct sim_vcpu *sv)
{
    sim_set_cpu(0, true);
    vcpu_unpause(&sv->v);
    sim_control_done();
}

void sim_kick(struct sim_vcpu *sv)
{
    sim_set_cpu(0, true);
    vcpu_kick(&sv->v);
    sim_control_done();
}

/* A hypercall of the running vCPU: on its pCPU as `current`, softirqs on the way back. */
static bool as_guest(struct sim_vcpu *sv, void (*fn)(void *), void *arg)
{
    if (!sv->v.is_running)
        return false;
    sim_set_cpu(sv->v.processor, false);
    fn(arg);
    sim_softirq();
    sim_set_cpu(0, true);
    return true;
}

static void guest_yield(void *arg)
{
    (void)arg;
    vcpu_yield_current();
}

static void guest_block(void *arg)
{
    (void)arg;
    __atomic_or_fetch(&current->pause_flags, 1UL << VPF_blocked, __ATOMIC_SEQ_CST);
    vcpu_block_current();
}

struct pin_self { const cpumask_t *hard; int rc; };

static void guest_pin_self(void *arg)
{
    struct pin_self *p = arg;
    p->rc = vcpu_set_affinity(current, p->hard, NULL);
}

bool sim_guest_yield(struct sim_vcpu *sv) { return as_guest(sv, guest_yield, NULL); }
bool sim_guest_block(struct sim_vcpu *sv) { return as_guest(sv, guest_block, NULL); }

bool sim_guest_pin_self(struct sim_vcpu *sv, const cpumask_t *hard, int *rc)
{
    struct pin_self p = { hard, 0 };
    bool ran = as_guest(sv, guest_pin_self, &p);
    *rc = p.rc;
    return ran;
}
