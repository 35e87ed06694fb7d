/* The rest of the hypervisor, as far as the core and a policy reach into it, beyond
 * the arch (fake_arch.c): the topology, soft timers, NOW(), the heap, printk and the
 * domain list.
 *
 * Interrupt masking, panic and the (disabled) trace emitters come from
 * tests/unit/host_stubs.c, which every host test links.
 *
 * Timers: one queue for every pCPU, the core's own heap (core/lib/timerq.c) ordered
 * by (deadline, insertion): timer->cpu says on which pCPU the handler runs. Its
 * storage grows as needed. */
#include <stdio.h>
#include <stdlib.h>
#include <hvlab/panic.h>
#include <hvlab/printk.h>
#include <hvlab/sched.h>
#include <hvlab/timer.h>
#include <hvlab/xmalloc.h>
#include "sim.h"

struct topology topo;
struct domain *dom0, *dom_xen;

/* ---- machine ---- */

void sim_machine_init(void)
{
    unsigned nodes = sim.cfg.nr_nodes, per = sim.cfg.cpus_per_node;

    memset(&topo, 0, sizeof(topo));
    topo.nr_cpus = nodes * per;
    topo.nr_nodes = nodes;
    for (unsigned a = 0; a < nodes; a++) {
        topo.node_pxm[a] = a;
        for (unsigned b = 0; b < nodes; b++)
            topo.distance[a][b] = a == b ? 10 : sim.cfg.remote_distance;
    }
    for (unsigned c = 0; c < topo.nr_cpus; c++) {
        topo.apic_id[c] = c;
        topo.cpu_node[c] = (uint8_t)(c / per);
    }
    sim_arch_init();
}

/* ---- time and timers ---- */

s_time_t NOW(void) { return sim.now; }

static void queue_add(struct timer *t)
{
    if (sim.q.nr == sim.q.cap) {
        uint32_t cap = sim.q.cap * 2;
        struct timer **h = realloc(sim.heap, cap * sizeof(*h));
        if (!h)
            panic("sim: no memory for %u events", cap);
        sim.heap = sim.q.heap = h;
        sim.q.cap = cap;
    }
    if (timerq_add(&sim.q, t) < 0)
        panic("sim: timer %p queued twice", (void *)t);
}

static void timer_check(const struct timer *t, const char *op)
{
    if (t->cpu >= sim.nr_cpus || !t->fn)
        panic("sim: %s of a timer with cpu %u, fn %p (not set up by timer_init?)", op,
              t->cpu, (void *)(uintptr_t)t->fn);
}

void timer_set(struct timer *t, s_time_t expires)
{
    timer_check(t, "timer_set");
    if (timer_is_queued(t))
        timerq_remove(&sim.q, t);
    t->expires = expires;
    queue_add(t);
}

void timer_stop(struct timer *t)
{
    timerq_remove(&sim.q, t);
}

bool timer_pending(const struct timer *t)
{
    return timer_is_queued(t);
}

void timer_migrate(struct timer *t, unsigned new_cpu)
{
    bool queued = timerq_remove(&sim.q, t);
    t->cpu = (uint16_t)new_cpu;
    if (queued)
        queue_add(t);                   /* the core re-enqueues too: FIFO slot changes */
}

/* ---- heap ---- */

static void *heap_alloc(size_t size, bool zero)
{
    if (sim.locked_ops)
        sim_violation("allocation of %zu bytes inside an op run with a scheduler lock "
                      "held (ops must not allocate)", size);
    return zero ? calloc(1, size ? size : 1) : malloc(size ? size : 1);
}

void *xmalloc(size_t size) { return heap_alloc(size, false); }
void *xzalloc(size_t size) { return heap_alloc(size, true); }
void xfree(void *p) { free(p); }

void *xmalloc_array(size_t n, size_t size)
{
    return size && n > SIZE_MAX / size ? NULL : xmalloc(n * size);
}

void *xzalloc_array(size_t n, size_t size)
{
    return size && n > SIZE_MAX / size ? NULL : xzalloc(n * size);
}

void xmalloc_stats(size_t *in_use, size_t *pages)
{
    *in_use = 0;
    *pages = 0;
}

/* ---- printk: errors always shown, the rest with SIM_VERBOSE=1 ---- */

void vprintk(enum log_level lvl, const char *fmt, va_list ap)
{
    static int verbose = -1;
    if (verbose < 0)
        verbose = getenv("SIM_VERBOSE") && *getenv("SIM_VERBOSE") == '1';
    if (lvl <= LOG_ERR) {               /* kept for the tests of the core's refusals */
        va_list aq;
        va_copy(aq, ap);
        vsnprintf(sim.last_error, sizeof(sim.last_error), fmt, aq);
        va_end(aq);
    }
    if (lvl > LOG_ERR && !verbose)
        return;
    printf("    [%lld.%06lld] ", (long long)(sim.now / 1000000000),
           (long long)(sim.now / 1000 % 1000000));
    vprintf(fmt, ap);
}

void printk(enum log_level lvl, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintk(lvl, fmt, ap);
    va_end(ap);
}

/* ---- domains, for policies that look them up (and put them, as in the hypervisor) ---- */

struct domain *domain_get(domid_t id)
{
    for (unsigned i = 0; i < sim.nr_doms; i++)
        if (sim.doms[i] && sim.doms[i]->d.domain_id == id)
            return &sim.doms[i]->d;
    return NULL;
}

struct domain *domain_get_next(domid_t from)
{
    struct domain *best = NULL;
    for (unsigned i = 0; i < sim.nr_doms; i++) {
        struct domain *d = sim.doms[i] ? &sim.doms[i]->d : NULL;
        if (d && d->domain_id >= from && (!best || d->domain_id < best->domain_id))
            best = d;
    }
    return best;
}

/* The simulator's domains live for the whole run: a policy's lookups are balanced by
 * puts that have nothing to free. */
void domain_put(struct domain *d)
{
    (void)d;
}
