/* The memory hypercalls of PV guests: page-table updates (mmu_update,
 * update_va_mapping, mmuext_op) and reservations (memory_op). The rules that make
 * them safe — which frames an entry may point to, which frames may be writable — are
 * in mm/pv_mm.c; this file checks the arguments, loops over batches and flushes TLBs.
 *
 * Preemption: each batch loop reaches a preemption point (core/hypercall.c) between
 * entries; every entry is complete on its own, so the batch may be switched out
 * half-done. A page-table batch flushes the TLBs of d's pCPUs before it lets another
 * vCPU run, so that no pCPU keeps a translation the entries done so far removed while
 * this one waits. A domU's own calls hold no reference across the points (memop_target
 * takes none for the caller's own domain): a domain destroyed while its vCPU is
 * switched out there leaks nothing. */
#include <hvlab/domain.h>
#include <hvlab/errno.h>
#include <hvlab/guest_access.h>
#include <hvlab/guest_values.h>
#include <hvlab/hypercall.h>
#include <hvlab/memop_hvm.h>
#include <hvlab/mm.h>
#include <hvlab/percpu.h>
#include <hvlab/pv_mm.h>
#include <hvlab/sched.h>
#include <hvlab/trace.h>
#include <hvlab/vnuma.h>
#include <hvlab/x86/regs.h>
#include <public/memory.h>
#include <public/mmu.h>

#define MEMOP_MAX_EXTENTS (1u << 20)

static void flush_local(void *arg)
{
    (void)arg;
    write_cr3(read_cr3());
}

/* Flush the TLB of every pCPU running a vCPU of d (d's page tables changed). */
void flush_domain_tlbs(struct domain *d)
{
    cpumask_t mask = { { 0 } };
    unsigned me = smp_processor_id();
    struct vcpu *v;
    for_each_vcpu(d, v)
        if (v->is_running && v->processor != me)
            cpumask_set(&mask, v->processor);
    flush_local(NULL);
    if (!cpumask_empty(&mask))              /* only other pCPUs need a cross-CPU call */
        on_cpus(&mask, flush_local, NULL);
}

/* The domain whose frames L1 entries may map: the caller's, or (dom0) another's. A
 * foreign domain comes with a reference (pg_owner_put drops it); it may be dying,
 * and then owns no frame an entry could take. */
static struct domain *pg_owner_get(struct domain *d, uint64_t foreigndom)
{
    if (foreigndom == DOMID_SELF || foreigndom == d->domain_id)
        return d;
    if (!d->is_privileged)
        return ERR_PTR(-EPERM);
    if (foreigndom == DOMID_XEN)
        return dom_xen;                 /* never freed */
    struct domain *f = domain_get((domid_t)foreigndom);
    return f ? f : ERR_PTR(-ESRCH);
}

static void pg_owner_put(struct domain *d, struct domain *owner)
{
    if (owner != d && owner != dom_xen)
        domain_put(owner);
}

/* Between two entries of a page-table batch of d: the entries so far flushed first. */
static void mmu_batch_preempt(struct domain *d)
{
    if (!hypercall_preempt_check())
        return;
    flush_domain_tlbs(d);
    hypercall_preempt();
}

long do_mmu_update(uint64_t reqs, uint64_t count, uint64_t done_va, uint64_t foreigndom)
{
    struct domain *d = current->domain, *owner;
    struct mmu_update req;
    uint64_t done = 0;
    long rc = 0;

    if (IS_ERR(owner = pg_owner_get(d, foreigndom)))
        return PTR_ERR(owner);
    if (count > MMU_BATCH_MAX) {
        pg_owner_put(d, owner);
        return -E2BIG;
    }
    if (!guest_array_ok(reqs, count, sizeof(req))) {
        pg_owner_put(d, owner);
        return -EFAULT;
    }
    for (; done < count; done++) {
        if (copy_from_guest(&req, reqs + done * sizeof(req), sizeof(req))) {
            rc = -EFAULT;
            break;
        }
        if ((req.ptr & 3) != MMU_NORMAL_PT_UPDATE) {
            rc = -ENOSYS;
            break;
        }
        TRACE_VCPU(TRC_PV_PTWR, current, req.ptr, req.val);
        if ((rc = pv_mmu_update(d, owner, req.ptr & ~3ULL, req.val)) < 0)
            break;
        mmu_batch_preempt(d);
    }
    pg_owner_put(d, owner);
    if (done)
        flush_domain_tlbs(d);
    if (done_va && copy_to_guest(done_va, &done, sizeof(done)))
        return -EFAULT;
    return rc;
}

long do_update_va_mapping(uint64_t va, uint64_t val, uint64_t flags)
{
    struct vcpu *v = current;
    uint64_t l1e;
    long rc;

    if (!guest_range_ok(va, 1))
        return -EINVAL;
    if ((rc = pv_lookup_l1e(v->domain, v->arch.guest_l4_mfn, va, &l1e)) < 0)
        return rc;
    TRACE_VCPU(TRC_PV_PTWR, v, l1e, val);
    if ((rc = pv_mmu_update(v->domain, v->domain, l1e, val)) < 0)
        return rc;
    if (flags & UVMF_TLB_FLUSH || v->domain->max_vcpus > 1)
        flush_domain_tlbs(v->domain);
    else
        __asm__ volatile("invlpg (%0)" :: "r"(va) : "memory");
    return 0;
}

static long mmuext_one(struct vcpu *v, const struct mmuext_op *op)
{
    struct domain *d = v->domain;
    long rc;

    switch (op->cmd) {
    case MMUEXT_PIN_L1_TABLE: case MMUEXT_PIN_L2_TABLE:
    case MMUEXT_PIN_L3_TABLE: case MMUEXT_PIN_L4_TABLE:
        return pv_pin_table(d, op->arg, op->cmd - MMUEXT_PIN_L1_TABLE + 1);
    case MMUEXT_UNPIN_TABLE:
        return pv_unpin_table(d, op->arg);
    case MMUEXT_NEW_BASEPTR:
        if (op->arg == 0 || op->arg >= max_mfn)
            return -EINVAL;             /* 0 would mean "no tables": CR3 = 0 */
    {
        /* The new base first, then the old one dropped once it is not our CR3: a
         * dropped base may devalidate a whole tree, preemptibly (pv_put_base). */
        mfn_t old = v->arch.guest_l4_mfn;
        if ((rc = pv_set_base(d, op->arg, 0)) < 0)
            return rc;
        v->arch.guest_l4_mfn = op->arg;
        write_cr3((paddr_t)op->arg << PAGE_SHIFT);
        return old ? pv_put_base(d, old) : 0;
    }
    case MMUEXT_TLB_FLUSH_LOCAL:
        write_cr3(read_cr3());
        return 0;
    case MMUEXT_INVLPG_LOCAL:
        if (!guest_range_ok(op->arg, 1))
            return -EINVAL;
        __asm__ volatile("invlpg (%0)" :: "r"(op->arg) : "memory");
        return 0;
    }
    return -ENOSYS;
}

long do_mmuext_op(uint64_t ops, uint64_t count, uint64_t done_va, uint64_t foreigndom)
{
    struct mmuext_op op;
    uint64_t done = 0;
    long rc = 0;

    (void)foreigndom;
    if (count > MMU_BATCH_MAX)
        return -E2BIG;
    if (!guest_array_ok(ops, count, sizeof(op)))
        return -EFAULT;
    for (; done < count; done++) {
        if (copy_from_guest(&op, ops + done * sizeof(op), sizeof(op))) {
            rc = -EFAULT;
            break;
        }
        if ((rc = mmuext_one(current, &op)) < 0)
            break;
        mmu_batch_preempt(current->domain);
    }
    if (done_va && copy_to_guest(done_va, &done, sizeof(done)))
        return -EFAULT;
    return rc;
}

/* ---- reservations ---- */

/* The caller's own domain (no reference: its running vCPU keeps it, and a reference
 * held at a preemption point would leak if the domain were destroyed there), or (dom0)
 * another, with a reference; memop_put drops what memop_target took. A dying target
 * has max_pages 0, so nothing is added to it, and its teardown frees what it has. */
static struct domain *memop_target(hv_domid_t id)
{
    struct domain *d = current->domain;
    if (id == DOMID_SELF || id == d->domain_id)
        return d;
    if (!d->is_privileged)
        return ERR_PTR(-EPERM);
    struct domain *t = domain_get(id);
    return t ? t : ERR_PTR(-ESRCH);
}

static void memop_put(struct domain *t)
{
    if (t != current->domain)
        domain_put(t);
}

static long memop_increase(struct domain *t, const struct xen_memory_reservation *r)
{
    int node = XENMEMF_node_of(r->mem_flags);
    unsigned flags = (r->mem_flags & XENMEMF_exact_node) ? MEMF_EXACT_NODE : 0;
    uint64_t i;

    if (node >= 0 && (unsigned)node >= MAX_NUMNODES)
        return -EINVAL;
    uint64_t per_node[MAX_NUMNODES] = { 0 };
    for (i = 0; i < r->nr_extents; i++) {
        struct page_info *pg = domain_alloc_frame(t, node < 0 ? NUMA_NO_NODE : (unsigned)node,
                                                  flags | MEMF_ZERO);
        if (!pg)
            break;
        per_node[pg->node]++;
        uint64_t mfn = page_to_mfn(pg);
        if (copy_to_guest(r->extent_start + i * sizeof(mfn), &mfn, sizeof(mfn))) {
            domain_free_frame(t, pg);
            return i ? (long)i : -EFAULT;
        }
        hypercall_preempt();            /* each extent is given and reported */
    }
    for (unsigned n = 0; n < MAX_NUMNODES; n++)
        if (per_node[n])
            TRACE(TRC_MEM_ALLOC, t->domain_id, 0, (uint64_t)(uint32_t)node << 32 | n, per_node[n]);
    return i ? (long)i : -ENOMEM;
}

static long memop_decrease(struct domain *t, const struct xen_memory_reservation *r)
{
    uint64_t i;
    for (i = 0; i < r->nr_extents; i++) {
        uint64_t mfn;
        if (copy_from_guest(&mfn, r->extent_start + i * sizeof(mfn), sizeof(mfn)))
            return i ? (long)i : -EFAULT;
        if (mfn >= max_mfn || domain_free_frame(t, mfn_to_page(mfn)) < 0)
            break;
        hypercall_preempt();
    }
    return i ? (long)i : -EINVAL;
}

/* An HVM domain's frames are named by gfn (core/memop_hvm.c): increase_reservation,
 * which hands out machine frames, is refused there, and so is anything an HVM caller
 * asks of a PV domain (it has no page tables to map machine frames with). */
static long memop_hvm(uint64_t cmd, struct domain *t, const struct xen_memory_reservation *r)
{
    int node = XENMEMF_node_of(r->mem_flags);
    unsigned flags = (r->mem_flags & XENMEMF_exact_node) ? MEMF_EXACT_NODE : 0;

    if (!t->is_hvm || cmd == XENMEM_increase_reservation)
        return -EINVAL;
    if (node >= 0 && (unsigned)node >= MAX_NUMNODES)
        return -EINVAL;
    if (cmd == XENMEM_decrease_reservation)
        return memop_hvm_decrease(t, r);
    return memop_hvm_populate(t, r, node < 0 ? NUMA_NO_NODE : (unsigned)node, flags);
}

long do_memory_op(uint64_t cmd, uint64_t arg)
{
    struct xen_memory_reservation r;
    struct domain *t;
    long rc;

    switch (cmd) {
    case XENMEM_increase_reservation:
    case XENMEM_populate_physmap:
    case XENMEM_decrease_reservation:
        if (copy_from_guest(&r, arg, sizeof(r)))
            return -EFAULT;
        if (r.extent_order != 0 || r.nr_extents > MEMOP_MAX_EXTENTS)
            return -EINVAL;
        if (!guest_array_ok(r.extent_start, r.nr_extents, sizeof(uint64_t)))
            return -EFAULT;
        if (IS_ERR(t = memop_target(r.domid)))
            return PTR_ERR(t);
        if (t->is_hvm || current->domain->is_hvm)
            rc = memop_hvm(cmd, t, &r);        /* extents are gfns */
        else
            rc = cmd == XENMEM_decrease_reservation ? memop_decrease(t, &r)
                                                    : memop_increase(t, &r);
        if (cmd != XENMEM_increase_reservation)     /* a balloon's calls, not a build's */
            TRACE(TRC_MEM_BALLOON, t->domain_id, 0, cmd << 32 | r.nr_extents, (uint64_t)rc);
        memop_put(t);
        return rc;
    case XENMEM_current_reservation:
    case XENMEM_maximum_reservation: {
        hv_domid_t id;
        if (copy_from_guest(&id, arg, sizeof(id)))
            return -EFAULT;
        if (IS_ERR(t = memop_target(id)))
            return PTR_ERR(t);
        rc = (long)(cmd == XENMEM_current_reservation ? t->tot_pages : t->max_pages);
        memop_put(t);
        return rc;
    }
    case XENMEM_get_vnumainfo: {        /* core/vnuma.c */
        hv_domid_t id;
        if (copy_from_guest(&id, arg, sizeof(id)))
            return -EFAULT;
        if (IS_ERR(t = memop_target(id)))
            return PTR_ERR(t);
        rc = vnuma_get_info(t, arg);
        memop_put(t);                   /* no reference on the caller's own domain */
        return rc;
    }
    }
    return -ENOSYS;
}
