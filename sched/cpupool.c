/* CPU pools: several scheduler instances side by side. Each pool has a policy, its
 * pCPUs and its domains; pool 0 is made at boot with the sched= policy and every CPU.
 * dom0 creates pools, moves free pCPUs into them and domains between them, at run
 * time (sysctl CPUPOOL_OP_*; xl cpupool-*).
 *
 * Moving a pCPU out of a pool: it leaves the pool's CPU mask (policies stop placing
 * work there), every vCPU that was on it is paused, moved to another pCPU of the pool
 * and unpaused, and once the pCPU runs its idle vCPU it detaches from the policy on
 * itself (on_cpus), with interrupts off, so no scheduling decision runs half in one
 * pool and half in another. Adding a free pCPU is the mirror image. Moving a domain
 * pauses it, takes its vCPUs out of the old policy, puts them into the new one on a
 * pCPU of the new pool, and unpauses it; its runstate history is kept.
 *
 * Locking: cpupool_lock (taken with interrupts on, by dom0's hypercalls only) guards
 * the pool list and every pool's membership. The scheduler never takes it.
 * Limitations: a pCPU that runs the calling vCPU cannot be removed (-EBUSY: pin the
 * caller elsewhere first); dom0 cannot be moved (it is always the caller). */
#include <hvlab/errno.h>
#include <hvlab/guest_access.h>
#include <hvlab/panic.h>
#include <hvlab/printk.h>
#include <hvlab/time.h>
#include <hvlab/xmalloc.h>
#include <public/sysctl.h>
#include "ops.h"

static spinlock_t cpupool_lock = SPIN_LOCK_UNLOCKED;
static struct cpupool *pools;           /* sorted by id */
static unsigned next_pool_id;

static struct cpupool *cpupool_new(const struct sched_ops *o, const char *name)
{
    struct cpupool *p = xzalloc(sizeof(*p));
    if (!p)
        return NULL;
    p->id = next_pool_id++;
    fmt_snprintf(p->name, sizeof(p->name), "%s", name);
    p->sched.ops = o;
    if (sched_op_init(&p->sched)) {
        xfree(p);
        return NULL;
    }
    struct cpupool **pp = &pools;
    while (*pp)
        pp = &(*pp)->next;
    *pp = p;
    return p;
}

struct cpupool *cpupool_create_boot(const struct sched_ops *o)
{
    struct cpupool *p = cpupool_new(o, "Pool-0");
    if (!p)
        panic("cpupool: cannot create pool 0");
    return p;
}

static struct cpupool *cpupool_find(unsigned id, bool at_least)
{
    for (struct cpupool *p = pools; p; p = p->next)
        if (p->id == id || (at_least && p->id > id))
            return p;
    return NULL;
}

static bool cpu_is_free(unsigned cpu)
{
    return cpumask_test(&cpu_online_map, cpu) && sched_res(cpu)->sched == NULL;
}

/* ---- pCPUs ---- */

/* On the pCPU itself, interrupts off, running its idle vCPU: leave its policy. */
static void cpupool_detach_here(void *arg)
{
    unsigned cpu = smp_processor_id();
    struct sched_resource *sr = sched_res(cpu);
    struct scheduler *s = sr->sched;
    spinlock_t *old = sr->lock;
    int *rc = arg;

    spin_lock(old);
    if (!sched_cpu_is_idle(cpu)) {
        spin_unlock(old);
        *rc = -EAGAIN;
        return;
    }
    timer_stop(&sr->s_timer);
    sr->sched = NULL;
    sr->lock = &sr->_lock;
    void *pd = sr->priv;
    sr->priv = NULL;
    spin_unlock(old);
    sched_op_free_pdata(s, pd, cpu);
    *rc = 0;
}

static void cpupool_attach_here(void *arg)
{
    struct cpupool *p = arg;
    unsigned cpu = smp_processor_id();
    struct sched_resource *sr = sched_res(cpu);

    spin_lock(&sr->_lock);
    sr->sched = &p->sched;
    sr->priv = sched_op_alloc_pdata(&p->sched, cpu);    /* may redirect sr->lock */
    cpumask_set(&p->sched.cpus, cpu);
    spin_unlock(&sr->_lock);
}

static int cpupool_rm_cpu(struct cpupool *p, unsigned cpu)
{
    cpumask_t one = { 0 };
    struct domain *d;
    struct vcpu *v;
    int rc = -EAGAIN;

    if (cpu >= NR_CPUS || !cpumask_test(&p->sched.cpus, cpu))
        return -EINVAL;
    if (cpumask_weight(&p->sched.cpus) == 1 && p->n_domains)
        return -EBUSY;                  /* its domains would have nowhere to run */
    if (current->processor == cpu)
        return -EBUSY;
    cpumask_clear(&p->sched.cpus, cpu);
    /* Each domain is held while its vCPUs move (the put is the loop's step). */
    for (domid_t id = 0; (d = domain_get_next(id)) != NULL; domain_put(d)) {
        id = d->domain_id + 1;
        if (d->cpupool != p)
            continue;
        for_each_vcpu(d, v) {
            if (v->processor != cpu)
                continue;
            vcpu_pause(v);
            vcpu_migrate_paused(v);
            vcpu_unpause(v);
        }
    }
    cpumask_set(&one, cpu);
    for (int tries = 0; rc == -EAGAIN && tries < 1000; tries++) {
        sched_raise(cpu);
        cpu_sleep_until(NOW() + MICROSECS(20));
        on_cpus(&one, cpupool_detach_here, &rc);
    }
    if (rc < 0)
        cpumask_set(&p->sched.cpus, cpu);   /* never left: give it back */
    return rc;
}

static int cpupool_add_cpu(struct cpupool *p, unsigned cpu)
{
    cpumask_t one = { 0 };
    if (cpu >= NR_CPUS || !cpu_is_free(cpu))
        return -EBUSY;
    cpumask_set(&one, cpu);
    on_cpus(&one, cpupool_attach_here, p);
    sched_raise(cpu);
    return 0;
}

/* ---- domains ---- */

static int cpupool_move_domain(struct cpupool *to, struct domain *d)
{
    struct vcpu *v;
    int rc = 0;

    if (d == current->domain)
        return -EBUSY;
    if (d->cpupool == to)
        return 0;
    if (cpumask_empty(&to->sched.cpus))
        return -ENODEV;                 /* no pCPU to run on */
    domain_pause_by_controller(d);
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
    if (rc == 0)
        pr_info("cpupool: domain %u (%s) moved to pool %u (%s)\n", d->domain_id, d->name,
                to->id, to->name);
    domain_unpause_by_controller(d);
    return rc;
}

/* ---- sysctl ---- */

static void cpupool_fill(const struct cpupool *p, struct sysctl_cpupool_op *op)
{
    op->cpupool_id = p->id;
    fmt_snprintf(op->name, sizeof(op->name), "%s", p->name);
    fmt_snprintf(op->sched_name, sizeof(op->sched_name), "%s", p->sched.ops->name);
    op->cpumap = cpumask_to_u64(&p->sched.cpus);
    op->n_dom = p->n_domains;
    op->sched_id = p->sched.ops->sched_id;
}

static long cpupool_op_locked(struct sysctl_cpupool_op *op)
{
    struct cpupool *p = NULL;

    if (op->op != CPUPOOL_OP_create && op->op != CPUPOOL_OP_freeinfo &&
        !(p = cpupool_find(op->cpupool_id, op->op == CPUPOOL_OP_info)))
        return -ENOENT;
    switch (op->op) {
    case CPUPOOL_OP_create: {
        op->sched_name[sizeof(op->sched_name) - 1] = op->name[sizeof(op->name) - 1] = '\0';
        const struct sched_ops *o = sched_find(op->sched_name);
        if (!o || !sched_ops_complete(o))
            return -EINVAL;
        if (!(p = cpupool_new(o, op->name)))
            return -ENOMEM;
        pr_info("cpupool: pool %u (%s) created with '%s'\n", p->id, p->name, o->name);
        cpupool_fill(p, op);
        return 0;
    }
    case CPUPOOL_OP_destroy:
        if (p == cpupool0 || p->n_domains || !cpumask_empty(&p->sched.cpus))
            return -EBUSY;
        for (struct cpupool **pp = &pools; *pp; pp = &(*pp)->next)
            if (*pp == p) {
                *pp = p->next;
                break;
            }
        sched_op_deinit(&p->sched);
        xfree(p);
        return 0;
    case CPUPOOL_OP_info:
        cpupool_fill(p, op);
        return 0;
    case CPUPOOL_OP_addcpu:
        return cpupool_add_cpu(p, op->cpu);
    case CPUPOOL_OP_rmcpu:
        return cpupool_rm_cpu(p, op->cpu);
    case CPUPOOL_OP_movedomain: {
        struct domain *d = domain_get((domid_t)op->domid);
        long rc;
        if (!d)
            return -ESRCH;
        rc = cpupool_move_domain(p, d);
        domain_put(d);
        return rc;
    }
    case CPUPOOL_OP_freeinfo: {
        cpumask_t free = { { 0 } };
        for (unsigned c = 0; c < NR_CPUS; c++)
            if (cpu_is_free(c))
                cpumask_set(&free, c);
        op->cpumap = cpumask_to_u64(&free);
        return 0;
    }
    }
    return -ENOSYS;
}

/* The end of a host testbed run (tests/sched/sim.c): the hypervisor never tears its
 * pools down, but a test must see every allocation of a policy returned, and the next
 * run start from no pool. Every pCPU (idle, no domain left) leaves its pool on itself,
 * as cpupool_rm_cpu does it; then each pool is deinitialised and freed. */
void cpupool_teardown(void)
{
    while (pools) {
        struct cpupool *p = pools;
        unsigned cpu;
        for_each_cpu(cpu, &p->sched.cpus) {
            cpumask_t one = { { 0 } };
            int rc;
            cpumask_set(&one, cpu);
            cpumask_clear(&p->sched.cpus, cpu);
            on_cpus(&one, cpupool_detach_here, &rc);
            if (rc < 0)
                panic("cpupool: CPU%u still busy at teardown", cpu);
        }
        pools = p->next;
        sched_op_deinit(&p->sched);
        xfree(p);
    }
    next_pool_id = 0;
    cpupool0 = NULL;
}

/* Creating a domain in a pool (domctl createdomain's cpupool field). */
struct cpupool *cpupool_by_id(unsigned id)
{
    return cpupool_find(id, false);
}

unsigned cpupool_id_of(const struct domain *d)
{
    return d->cpupool ? d->cpupool->id : 0;
}

bool cpupool_has_cpus(const struct cpupool *p)
{
    return !cpumask_empty(&p->sched.cpus);
}

/* SYSCTL_scheduler_op: a pool's policy parameters as a whole (arinc653's timetable),
 * under cpupool_lock so that the pool stays while its policy works. */
long cpupool_sched_op(struct sysctl_scheduler_op *op)
{
    struct cpupool *p;
    long rc;

    while (!spin_trylock(&cpupool_lock))
        cpu_relax();
    if (!(p = cpupool_find(op->cpupool_id, false)))
        rc = -ENOENT;
    else if (op->sched_id != p->sched.ops->sched_id)
        rc = -EINVAL;                   /* parameters of another policy than the pool's */
    else
        rc = sched_op_adjust_global(&p->sched, op);
    spin_unlock(&cpupool_lock);
    return rc;
}

long sched_decls_op(struct sysctl_sched_decls *op)
{
    const struct sched_ops *o = NULL;
    struct cpupool *p;

    op->policy[sizeof(op->policy) - 1] = '\0';
    if (op->policy[0])
        o = sched_find(op->policy);
    else {
        while (!spin_trylock(&cpupool_lock))        /* as cpupool_op, below */
            cpu_relax();
        if ((p = cpupool_find(op->cpupool_id, false)))
            o = p->sched.ops;               /* const, static: valid after unlock */
        spin_unlock(&cpupool_lock);
    }
    if (!o)
        return -ENOENT;
    sched_decls_fill(o, op);
    return 0;
}

long cpupool_op(struct sysctl_cpupool_op *op)
{
    /* A trylock loop rather than spin_lock: the holder may wait for this CPU's
     * cross-CPU call answers, which need interrupts, which are on here. */
    while (!spin_trylock(&cpupool_lock))
        cpu_relax();
    long rc = cpupool_op_locked(op);
    spin_unlock(&cpupool_lock);
    return rc;
}
