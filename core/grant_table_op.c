/* HYPERVISOR_grant_table_op (PV by SYSCALL, HVM by VMMCALL) and HVMOP_map_grant_table:
 * the guest's arrays copied in one structure at a time, domains looked up, each op
 * handed to core/grant_table.c, its status written back and traced. The rules are
 * in <hvlab/grant_table.h> and public/grant_table.h. */
#include <hvlab/domain.h>
#include <hvlab/errno.h>
#include <hvlab/grant_table.h>
#include <hvlab/guest_access.h>
#include <hvlab/hypercall.h>
#include <hvlab/lib.h>
#include <hvlab/mm.h>
#include <hvlab/p2m.h>
#include <hvlab/percpu.h>
#include <hvlab/smp.h>
#include <hvlab/trace.h>
#include <hvlab/x86/svm.h>

static void exit_guest(void *arg)
{
    (void)arg;                          /* taking the IPI was the point: a #VMEXIT */
}

/* PV: every pCPU running d flushes its TLB before this returns. HVM: every vCPU takes
 * a new ASID at its next VMRUN, and one in the guest now has left it once before
 * this returns (the call's IPI makes it exit), so after an unmap no vCPU of d uses
 * the old translation while the frame may go back to the allocator. */
void gnttab_flush_tlbs(struct domain *d)
{
    cpumask_t running = { { 0 } };
    struct vcpu *v;

    if (!d->is_hvm) {
        flush_domain_tlbs(d);
        return;
    }
    hvm_flush_guest_tlbs(d);
    for_each_vcpu(d, v)
        if (v->is_running && v->processor != smp_processor_id())
            cpumask_set(&running, v->processor);
    if (!cpumask_empty(&running))
        on_cpus(&running, exit_guest, NULL);
}

/* The domain a grant names, with a reference (domain_put it), or NULL: no such
 * domain, a dying one, or DOMID_SELF (a grant is always another domain's). */
static struct domain *granter_get(hv_domid_t id)
{
    return id == DOMID_SELF ? NULL : domain_get(id);
}

/* dom of setup_table / query_size: ours, or (privileged caller) any domain's. */
static struct domain *table_target(hv_domid_t id, int16_t *status)
{
    struct domain *d = current->domain;

    *status = GNTST_okay;
    if (id == DOMID_SELF || id == d->domain_id) {
        domain_hold(d);
        return d;
    }
    if (!d->is_privileged) {
        *status = GNTST_permission_denied;
        return NULL;
    }
    if (!(d = domain_get(id)))
        *status = GNTST_bad_domain;
    return d;
}

static int op_map(struct gnttab_map_grant_ref *op)
{
    struct domain *ld = current->domain, *rd = granter_get(op->dom);
    bool flush = false;
    int st;

    op->handle = ~0u;
    op->dev_bus_addr = 0;
    if (!rd) {
        st = GNTST_bad_domain;
    } else {
        st = gnttab_map(ld, rd, op->host_addr, op->flags, op->ref,
                        ld->is_hvm ? 0 : current->arch.guest_l4_mfn, &op->handle,
                        &op->dev_bus_addr, &flush);
        domain_put(rd);
    }
    if (flush)
        gnttab_flush_tlbs(ld);
    TRACE_VCPU(TRC_GNTTAB_MAP, current, (uint64_t)op->dom << 32 | op->ref,
               (uint64_t)op->handle << 32 | (op->flags & 0xffff) << 16 | (uint16_t)st);
    return st;
}

static int op_unmap(struct gnttab_unmap_grant_ref *op)
{
    hv_domid_t rd_id;
    grant_ref_t ref;
    int st = gnttab_unmap(current->domain, op->host_addr, op->handle, &rd_id, &ref);

    TRACE_VCPU(TRC_GNTTAB_UNMAP, current, (uint64_t)rd_id << 32 | ref,
               (uint64_t)op->handle << 32 | (uint16_t)st);
    return st;
}

static int op_copy(const struct gnttab_copy *op)
{
    struct domain *src = NULL, *dst = NULL;
    int st = GNTST_okay;

    if ((op->flags & GNTCOPY_source_gref) && !(src = granter_get(op->source.domid)))
        st = GNTST_bad_domain;
    if (st == GNTST_okay && (op->flags & GNTCOPY_dest_gref) &&
        !(dst = granter_get(op->dest.domid)))
        st = GNTST_bad_domain;
    if (st == GNTST_okay)
        st = gnttab_copy_one(current->domain, src, dst, op);
    if (src)
        domain_put(src);
    if (dst)
        domain_put(dst);
    TRACE_VCPU(TRC_GNTTAB_COPY, current,
               (uint64_t)op->source.domid << 48 | (uint64_t)op->dest.domid << 32 |
               (uint64_t)op->len << 16 | (uint16_t)st,
               (uint64_t)(uint32_t)op->source.u.ref << 32 | (uint32_t)op->dest.u.ref);
    return st;
}

/* frame_list gets the machine frames (PV); an HVM domain maps its table with
 * HVMOP_map_grant_table and is told no machine frames (~0). */
static int op_setup(struct gnttab_setup_table *op)
{
    struct domain *d = table_target(op->dom, &op->status);
    bool hvm_caller = current->domain->is_hvm;
    int rc = 0;

    if (!d)
        return 0;
    if (op->nr_frames == 0 || op->nr_frames > GNTTAB_MAX_FRAMES)
        op->status = GNTST_general_error;
    else if (gnttab_grow(d, op->nr_frames) < 0)
        op->status = GNTST_no_space;
    for (unsigned i = 0; op->status == GNTST_okay && i < op->nr_frames; i++) {
        uint64_t f = hvm_caller ? ~0ULL : gnttab_frame_mfn(d, i);

        if (copy_to_guest(op->frame_list + i * sizeof(f), &f, sizeof(f))) {
            rc = -EFAULT;
            break;
        }
    }
    domain_put(d);
    return rc;
}

static void op_query(struct gnttab_query_size *op)
{
    struct domain *d = table_target(op->dom, &op->status);

    op->nr_frames = d ? gnttab_nr_frames(d) : 0;
    op->max_nr_frames = GNTTAB_MAX_FRAMES;
    if (d)
        domain_put(d);
}

/* Each op: copied in, done, copied back whole (the OUT fields are the caller's to
 * read; the IN fields go back as they came). A preemption point after each (64 copies
 * of a page add up); an op holds nothing once it is done. */
long do_grant_table_op(uint64_t cmd, uint64_t uop, uint64_t count)
{
    union {
        struct gnttab_map_grant_ref map;
        struct gnttab_unmap_grant_ref unmap;
        struct gnttab_copy copy;
        struct gnttab_setup_table setup;
        struct gnttab_query_size query;
    } u;
    size_t size;

    switch (cmd) {
    case GNTTABOP_map_grant_ref:   size = sizeof(u.map); break;
    case GNTTABOP_unmap_grant_ref: size = sizeof(u.unmap); break;
    case GNTTABOP_copy:            size = sizeof(u.copy); break;
    case GNTTABOP_setup_table:     size = sizeof(u.setup); break;
    case GNTTABOP_query_size:      size = sizeof(u.query); break;
    default:                       return -EINVAL;
    }
    if (count > GNTTAB_BATCH_MAX)
        return -EINVAL;
    for (uint64_t i = 0; i < count; i++) {
        uint64_t va = uop + i * size;
        long rc = 0;

        if (copy_from_guest(&u, va, size))
            return -EFAULT;
        switch (cmd) {
        case GNTTABOP_map_grant_ref:   u.map.status = (int16_t)op_map(&u.map); break;
        case GNTTABOP_unmap_grant_ref: u.unmap.status = (int16_t)op_unmap(&u.unmap); break;
        case GNTTABOP_copy:            u.copy.status = (int16_t)op_copy(&u.copy); break;
        case GNTTABOP_setup_table:     rc = op_setup(&u.setup); break;
        case GNTTABOP_query_size:      op_query(&u.query); break;
        }
        if (rc < 0)
            return rc;
        if (copy_to_guest(va, &u, size))
            return -EFAULT;
        hypercall_preempt();
    }
    return 0;
}

long gnttab_hvm_map_table(struct domain *d, uint32_t idx, uint64_t gfn)
{
    unsigned long flags;
    int rc;

    if (idx >= GNTTAB_MAX_FRAMES || gfn > P2M_MAX_GFN)
        return -EINVAL;
    if ((rc = gnttab_grow(d, idx + 1)) < 0)
        return rc;
    spin_lock_irqsave(&d->page_lock, flags);
    rc = p2m_map(&d->p2m, gfn, gnttab_frame_mfn(d, idx), P2M_ORDER_4K, P2M_WRITE);
    spin_unlock_irqrestore(&d->page_lock, flags);
    if (rc == 0)
        hvm_flush_guest_tlbs(d);
    return rc;
}
