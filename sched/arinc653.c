/* arinc653: a fixed timetable of domain windows — the semantics of Xen's ARINC 653
 * scheduler (a cyclic executive, after the avionics standard), written anew.
 *
 * Design: a major frame repeats for ever from an epoch; it is cut, in order, into
 * minor frames (windows), each giving one domain (all its vCPUs, or the one named)
 * the pool's pCPUs for a fixed runtime; what the windows leave of the major frame is
 * idle. A pCPU works out from the time alone which window it is in, runs a vCPU of
 * that domain for exactly the rest of the window (the slice ends on the boundary),
 * and at the boundary every pCPU decides again. Outside its windows a domain never
 * runs, and a window whose domain has nothing runnable idles: time is partitioned,
 * not shared, so one domain can neither take nor give another's time. In a window,
 * each pCPU takes the domain's runnable vCPU that may run there and started least
 * recently (the one running keeps its pCPU until the window ends), so a domain with
 * more vCPUs than pCPUs rotates them from one window to the next.
 *
 * The timetable is set per pool by dom0 (SYSCTL_scheduler_op, `xl arinc653-set`),
 * checked whole before it replaces the old one, and starts a new epoch then. Until
 * one is set the policy keeps a default: every domain of the pool, in the order they
 * joined it, gets one window of A653_DEFAULT_WINDOW (10 ms) for all its vCPUs, and
 * the major frame is their sum; it is rebuilt as domains come and go. Why this
 * default: a pool works as soon as it is made (an experiment with sched=arinc653
 * runs every domain without configuration), domains are already isolated in time,
 * and with dom0 alone it is Xen's default (dom0 only, 10 ms windows).
 *
 * Where it differs from Xen: Xen's timetable names domains by handle (UUID) and may
 * name domains not yet created; here entries name domain ids of domains already in
 * the pool (-ESRCH otherwise). A domain that leaves the pool keeps its windows, which
 * idle, and gets them back if it returns. Xen runs a window's one vCPU on one pCPU
 * (a pool of one pCPU, in practice); here a window may give a domain several pCPUs.
 *
 * Locking: one pool-wide lock, as rr: alloc_pdata points every pCPU's scheduler lock
 * at it; it guards the timetable, the domain list and every vCPU's state. A chosen
 * vCPU's `processor` moves to the deciding pCPU under it. adjust_global takes it
 * itself (no scheduler lock is held there).
 *
 * Limitations: no per-domain parameters (it declares none: a cfg key such as weight
 * is refused as undeclared; the timetable is the pool's, through adjust_global); no
 * weights, no priorities. Soft affinity ignored. The default timetable holds the first
 * ARINC653_MAX_ENTRIES (64) domains of the pool; later ones get no window until a
 * timetable names them. Windows are at least ARINC653_MIN_RUNTIME_US
 * (100 us): shorter ones would cost more in decisions than they give. The policy
 * declares SCHED_F_TIME_TABLE: pCPUs idle outside a domain's windows however much
 * work waits, and the tests do not hold it to work conservation. */
#include <hvlab/errno.h>
#include <hvlab/time.h>
#include <hvlab/trace.h>
#include <hvlab/xmalloc.h>
#include "private.h"

#define A653_DEFAULT_WINDOW MILLISECS(10)

struct a653_dom {
    struct domain *d;
    /* Guarded by the pool lock. */
    struct list_head link;              /* in the pool's doms, in joining order */
    struct list_head vcpus;             /* its a653_vcpu */
    unsigned nr_vcpus;                  /* in vcpus; linked while > 0 */
};

struct a653_vcpu {
    struct vcpu *v;
    struct a653_dom *ad;
    /* Guarded by the pool lock. */
    struct list_head link;              /* in ad->vcpus */
    s_time_t last_start;                /* when a pCPU last switched to it */
    uint64_t turn;                      /* ... as a count: orders equal start times */
};

struct a653_window {
    domid_t domid;
    uint16_t vcpu;                      /* ARINC653_ALL_VCPUS or one vCPU */
    s_time_t runtime;
    struct a653_dom *ad;                /* the domain, while it is in the pool */
};

struct a653_pool {
    struct scheduler *s;
    spinlock_t lock;                    /* every pCPU's scheduler lock points here */
    /* All below: guarded by lock. */
    struct list_head doms;
    bool is_default;                    /* the timetable is the policy's own */
    uint64_t turns;                     /* switches to a vCPU so far */
    s_time_t epoch, major;              /* major frame n starts at epoch + n * major */
    unsigned nr;
    struct a653_window w[ARINC653_MAX_ENTRIES];
    s_time_t entered[NR_CPUS];          /* start of the window each pCPU last traced */
};

static struct a653_pool *a653_pool(const struct scheduler *s) { return s->priv; }
static struct a653_vcpu *a653_v(const struct vcpu *v) { return v->sched_priv; }

/* The default timetable: every domain of the pool, one window each. */
static void a653_make_default(struct a653_pool *p)
{
    struct list_head *e;
    p->nr = 0;
    p->major = 0;
    list_for_each(e, &p->doms) {
        struct a653_dom *ad = list_entry(e, struct a653_dom, link);
        if (p->nr == ARINC653_MAX_ENTRIES)
            break;                      /* later domains get no window: as Xen's limit */
        p->w[p->nr++] = (struct a653_window){ ad->d->domain_id, ARINC653_ALL_VCPUS,
                                              A653_DEFAULT_WINDOW, ad };
        p->major += A653_DEFAULT_WINDOW;
    }
}

/* A domain joined or left: the default follows; a set timetable re-resolves ids. */
static void a653_doms_changed(struct a653_pool *p, struct a653_dom *ad, bool joined)
{
    unsigned cpu;
    if (p->is_default) {
        a653_make_default(p);
        for_each_cpu(cpu, &p->s->cpus)  /* the windows moved: decide afresh */
            sched_raise(cpu);
        return;
    }
    for (unsigned i = 0; i < p->nr; i++)
        if (p->w[i].domid == ad->d->domain_id)
            p->w[i].ad = joined ? ad : NULL;
}

/* The window at time now, and when it ends (*end); NULL in the idle rest of the
 * major frame or with no timetable (then *end is -1 if nothing will ever run). */
static const struct a653_window *a653_window_at(const struct a653_pool *p, s_time_t now,
                                                s_time_t *start, s_time_t *end)
{
    if (!p->nr || p->major <= 0) {
        *start = now;
        *end = -1;
        return NULL;
    }
    s_time_t off = (now - p->epoch) % p->major;
    if (off < 0)
        off += p->major;
    s_time_t frame = now - off, at = 0;
    for (unsigned i = 0; i < p->nr; i++) {
        if (off < at + p->w[i].runtime) {
            *start = frame + at;
            *end = frame + at + p->w[i].runtime;
            return &p->w[i];
        }
        at += p->w[i].runtime;
    }
    *start = frame + at;
    *end = frame + p->major;
    return NULL;
}

static bool a653_in_window(const struct a653_window *w, const struct vcpu *v)
{
    return w && w->ad && w->ad == a653_v(v)->ad &&
           (w->vcpu == ARINC653_ALL_VCPUS || w->vcpu == v->vcpu_id);
}

static int a653_init(struct scheduler *s)
{
    struct a653_pool *p = xzalloc(sizeof(*p));
    if (!p)
        return -1;
    p->s = s;
    spin_lock_init(&p->lock);
    list_init(&p->doms);
    p->is_default = true;
    s->priv = p;
    return 0;
}

static void a653_deinit(struct scheduler *s)
{
    xfree(s->priv);
}

static void *a653_alloc_pdata(struct scheduler *s, unsigned cpu)
{
    sched_res(cpu)->lock = &a653_pool(s)->lock;
    return a653_pool(s);
}

static void a653_free_pdata(struct scheduler *s, void *pd, unsigned cpu)
{
    (void)s; (void)pd; (void)cpu;       /* the core resets the lock pointer */
}

static void *a653_alloc_domdata(struct scheduler *s, struct domain *d)
{
    struct a653_dom *ad = xzalloc(sizeof(*ad));
    (void)s;
    if (ad) {
        ad->d = d;
        list_init(&ad->link);
        list_init(&ad->vcpus);
    }
    return ad;
}

static void a653_free_domdata(struct scheduler *s, void *dd) { (void)s; xfree(dd); }

static void *a653_alloc_vdata(struct scheduler *s, struct vcpu *v, void *dd)
{
    struct a653_vcpu *av = xzalloc(sizeof(*av));
    (void)s;
    if (av) {
        av->v = v;
        av->ad = dd;
        list_init(&av->link);
    }
    return av;
}

static void a653_free_vdata(struct scheduler *s, void *vd) { (void)s; xfree(vd); }

static void a653_insert_vcpu(struct scheduler *s, struct vcpu *v)
{
    struct a653_pool *p = a653_pool(s);
    struct a653_vcpu *av = a653_v(v);

    list_add_tail(&av->link, &av->ad->vcpus);
    if (av->ad->nr_vcpus++ == 0) {
        list_add_tail(&av->ad->link, &p->doms);
        a653_doms_changed(p, av->ad, true);
    }
}

static void a653_remove_vcpu(struct scheduler *s, struct vcpu *v)
{
    struct a653_pool *p = a653_pool(s);
    struct a653_vcpu *av = a653_v(v);

    list_del(&av->link);
    if (--av->ad->nr_vcpus == 0) {
        list_del(&av->ad->link);
        a653_doms_changed(p, av->ad, false);
    }
}

/* In its domain's window now: poke the idle pCPUs it may use. Otherwise its window
 * comes round by the clock. */
static void a653_wake(struct scheduler *s, struct vcpu *v)
{
    struct a653_pool *p = a653_pool(s);
    s_time_t start, end;
    unsigned cpu;

    if (!a653_in_window(a653_window_at(p, NOW(), &start, &end), v))
        return;
    for_each_cpu(cpu, &s->cpus)
        if (cpumask_test(&v->cpu_hard_affinity, cpu) && sched_cpu_is_idle(cpu))
            sched_raise(cpu);
}

static void a653_sleep(struct scheduler *s, struct vcpu *v)
{
    (void)s;
    if (v->is_running)
        sched_raise(v->processor);
}

/* The vCPU of window w that cpu runs: prev while it may go on in this window, else
 * the one that started least recently (rotation across windows). */
static struct vcpu *a653_pick(const struct a653_window *w, unsigned cpu, struct vcpu *prev,
                              s_time_t wstart)
{
    struct a653_vcpu *best = NULL;
    struct list_head *e;

    list_for_each(e, &w->ad->vcpus) {
        struct a653_vcpu *av = list_entry(e, struct a653_vcpu, link);
        struct vcpu *v = av->v;
        if (!a653_in_window(w, v) || !vcpu_runnable(v) ||
            !cpumask_test(&v->cpu_hard_affinity, cpu) || (v->is_running && v != prev))
            continue;
        if (v == prev && av->last_start >= wstart)
            return v;                   /* started in this window: keeps its pCPU */
        if (!best || av->turn < best->turn)
            best = av;
    }
    return best ? best->v : NULL;
}

static struct task_slice a653_do_schedule(struct scheduler *s, unsigned cpu,
                                          struct vcpu *prev, s_time_t now)
{
    struct a653_pool *p = a653_pool(s);
    s_time_t start, end;
    struct vcpu *next = NULL;

    if (!cpumask_test(&s->cpus, cpu))   /* leaving the pool: take no new work */
        return (struct task_slice){ sched_idle_vcpu(cpu), -1 };
    const struct a653_window *w = a653_window_at(p, now, &start, &end);
    if (w && w->ad)
        next = a653_pick(w, cpu, prev, start);
    s_time_t slice = end < 0 ? -1 : end - now;  /* to the boundary, running or idle */
    if (end >= 0 && p->entered[cpu] != start) {
        p->entered[cpu] = start;
        TRACE_VCPU(TRC_POLICY(SCHED_ID_ARINC653, TRC_ARINC653_WINDOW),
                   next ? next : sched_idle_vcpu(cpu), w ? (uint64_t)(w - p->w) : p->nr,
                   (uint64_t)start);
    }
    if (!next)
        return (struct task_slice){ sched_idle_vcpu(cpu), slice };
    if (next != prev) {
        a653_v(next)->last_start = now;
        a653_v(next)->turn = ++p->turns;    /* pCPUs deciding at one instant: in order */
    }
    next->processor = cpu;              /* one lock guards every pCPU: a legal move */
    return (struct task_slice){ next, slice };
}

static struct a653_dom *a653_find_dom(struct a653_pool *p, domid_t id)
{
    struct list_head *e;
    list_for_each(e, &p->doms) {
        struct a653_dom *ad = list_entry(e, struct a653_dom, link);
        if (ad->d->domain_id == id)
            return ad;
    }
    return NULL;
}

/* Checks a whole timetable against the pool: 0, or -errno with op->bad_entry set. */
static int a653_check(struct a653_pool *p, struct sysctl_arinc653_schedule *t)
{
    uint64_t sum = 0;

    t->bad_entry = ARINC653_NO_ENTRY;
    if (t->nr_entries > ARINC653_MAX_ENTRIES)
        return -E2BIG;
    if (!t->nr_entries || !t->major_frame_us || t->major_frame_us > ARINC653_MAX_FRAME_US)
        return -EINVAL;
    for (unsigned i = 0; i < t->nr_entries; i++) {
        const struct arinc653_entry *e = &t->entries[i];
        struct a653_dom *ad = a653_find_dom(p, e->domid);
        t->bad_entry = i;
        if (e->runtime_us < ARINC653_MIN_RUNTIME_US)
            return -EINVAL;
        if (!ad)
            return -ESRCH;
        if (e->vcpu != ARINC653_ALL_VCPUS && e->vcpu >= ad->d->max_vcpus)
            return -EINVAL;
        sum += e->runtime_us;
        if (sum > t->major_frame_us)
            return -EINVAL;             /* the windows do not fit in the major frame */
    }
    t->bad_entry = ARINC653_NO_ENTRY;
    return 0;
}

static int a653_put(struct a653_pool *p, struct sysctl_arinc653_schedule *t)
{
    int rc = a653_check(p, t);
    unsigned cpu;
    if (rc)
        return rc;
    p->nr = t->nr_entries;
    for (unsigned i = 0; i < p->nr; i++)
        p->w[i] = (struct a653_window){ t->entries[i].domid, t->entries[i].vcpu,
                                        MICROSECS((s_time_t)t->entries[i].runtime_us),
                                        a653_find_dom(p, t->entries[i].domid) };
    p->major = MICROSECS((s_time_t)t->major_frame_us);
    p->epoch = NOW();
    p->is_default = false;
    for_each_cpu(cpu, &p->s->cpus)      /* the new frame starts now, everywhere */
        sched_raise(cpu);
    return 0;
}

static void a653_get(const struct a653_pool *p, struct sysctl_arinc653_schedule *t)
{
    memset(t, 0, sizeof(*t));
    t->major_frame_us = (uint32_t)(p->major / 1000);
    t->nr_entries = p->nr;
    t->bad_entry = ARINC653_NO_ENTRY;
    t->is_default = p->is_default;
    for (unsigned i = 0; i < p->nr; i++)
        t->entries[i] = (struct arinc653_entry){ p->w[i].domid, p->w[i].vcpu,
                                                 (uint32_t)(p->w[i].runtime / 1000) };
}

static int a653_adjust_global(struct scheduler *s, struct sysctl_scheduler_op *op)
{
    struct a653_pool *p = a653_pool(s);
    unsigned long flags;
    int rc = 0;

    if (op->sched_id != SCHED_ID_ARINC653)
        return -EINVAL;
    spin_lock_irqsave(&p->lock, flags);
    if (op->cmd == SCHED_PARAMS_GET)
        a653_get(p, &op->u.arinc653);
    else if (op->cmd == SCHED_PARAMS_PUT)
        rc = a653_put(p, &op->u.arinc653);
    else
        rc = -EINVAL;
    spin_unlock_irqrestore(&p->lock, flags);
    return rc;
}

static const struct sched_ops arinc653_ops = {
    .name = "arinc653",
    .desc = "fixed timetable of domain windows in a repeating major frame",
    .sched_id = SCHED_ID_ARINC653,
    .flags = SCHED_F_TIME_TABLE,
    .init = a653_init,
    .deinit = a653_deinit,
    .alloc_pdata = a653_alloc_pdata,
    .free_pdata = a653_free_pdata,
    .alloc_domdata = a653_alloc_domdata,
    .free_domdata = a653_free_domdata,
    .alloc_vdata = a653_alloc_vdata,
    .free_vdata = a653_free_vdata,
    .insert_vcpu = a653_insert_vcpu,
    .remove_vcpu = a653_remove_vcpu,
    .wake = a653_wake,
    .sleep = a653_sleep,
    .do_schedule = a653_do_schedule,
    .adjust_global = a653_adjust_global,
};
REGISTER_SCHEDULER(arinc653_ops);
