/* The HVM parts of a domain: its guest physical memory, mapped once at creation
 * (gfn i -> the domain's i-th frame, the order DOMCTL_getpageframeinfo lists them
 * in), a VMCB per vCPU, the vCPUs' first state, and hvm_op.
 *
 * RAM (hvm_populate.c) is mapped with 2 MiB leaves where 512 frames in a row happen
 * to be contiguous and aligned in machine memory, 4 KiB leaves elsewhere. Device
 * windows stay not present, so RAM ends below them (guests stay below 3 GiB this
 * session). */
#include <hvlab/domain.h>
#include <hvlab/errno.h>
#include <hvlab/grant_table.h>
#include <hvlab/guest_access.h>
#include <hvlab/mm.h>
#include <hvlab/irq.h>
#include <hvlab/printk.h>
#include <hvlab/smp.h>
#include <hvlab/x86/hvm_platform.h>
#include <hvlab/x86/svm.h>
#include <hvlab/vnuma.h>
#include <public/domctl.h>
#include <public/hvm.h>

#define HVM_MAX_PAGES (3ULL << (30 - PAGE_SHIFT))      /* 3 GiB */

/* core/vcpu.c (declared where it is used, as core/domctl.c does: a sched testbed
 * helper of the same name sees include/hvlab/domain.h) */
int vcpu_up(struct vcpu *v);


int hvm_domain_init(struct domain *d)
{
    struct vcpu *v;
    int rc;

    if (!svm_available()) {
        pr_warn("domain %u (%s): HVM refused: this machine has no SVM with nested paging "
                "(see the svm: line at boot)\n", d->domain_id, d->name);
        return -ENODEV;
    }
    if (d->max_pages > HVM_MAX_PAGES) {
        pr_warn("domain %u (%s): HVM refused: %lu frames, at most %llu (3 GiB, below the "
                "device windows)\n", d->domain_id, d->name, d->max_pages, HVM_MAX_PAGES);
        return -EINVAL;
    }
    d->is_hvm = true;
    if ((rc = p2m_init(&d->p2m, d->home_node)) < 0)
        return rc;
    for_each_vcpu(d, v) {
        if ((rc = svm_vcpu_create(v)) < 0)
            return rc;
        arch_vcpu_set_entry(v, svm_vcpu_first_entry);
    }
    if ((rc = hvm_ram_build(d)) < 0)       /* its RAM, as its memory policy says */
        return rc;
    if ((rc = hvm_platform_create(d)) < 0)     /* devices, vLAPICs: hvm_platform.c */
        return rc;
    pr_info("domain %u (%s): HVM, %lu frames of RAM, %lu nested table frames\n",
            d->domain_id, d->name, d->tot_pages, d->p2m.nr_tables);
    vnuma_report(d);
    return 0;
}

void hvm_domain_relinquish(struct domain *d)
{
    unsigned long flags;

    if (!d->is_hvm)
        return;
    hvm_ioreq_teardown(d);              /* its device model's ports and page */
    hvm_platform_destroy(d);
    /* Under page_lock: a grant map or copy that found d just before it died may be
     * looking a gfn up (core/grant_table.c); it then finds nothing. */
    spin_lock_irqsave(&d->page_lock, flags);
    p2m_teardown(&d->p2m);
    spin_unlock_irqrestore(&d->page_lock, flags);
}

int hvm_domain_set_context(struct domain *d, const struct domctl_hvm_context *c)
{
    struct vcpu *v;
    int rc;

    if (!d->is_hvm)
        return -EINVAL;
    if (c->vcpu >= d->max_vcpus || !(v = d->vcpus[c->vcpu]))
        return -EINVAL;
    if ((rc = svm_set_context(v, c)) < 0)
        return rc;
    v->arch.started = true;
    return vcpu_up(v);
}

/* Every vCPU of d drops its ASID (so its cached translations of the old mapping)
 * at its next VMRUN; one running elsewhere is made to exit now. */
void hvm_flush_guest_tlbs(struct domain *d)
{
    struct vcpu *v;
    for_each_vcpu(d, v) {
        if (!v->arch.svm)
            continue;
        __atomic_store_n(&v->arch.svm->asid_gen, 0, __ATOMIC_RELEASE);
        if (v != current && v->is_running)
            ipi_send_one(v->processor, VEC_IPI_KICK);
    }
}

static long hvm_map_shared_info(struct domain *d, uint64_t gfn)
{
    unsigned long flags;
    mfn_t mfn = page_to_mfn(virt_to_page(d->shared_info));

    spin_lock_irqsave(&d->page_lock, flags);
    int rc = gfn > P2M_MAX_GFN ? -EINVAL : p2m_map(&d->p2m, gfn, mfn, P2M_ORDER_4K, P2M_WRITE);
    spin_unlock_irqrestore(&d->page_lock, flags);
    if (rc == 0)
        hvm_flush_guest_tlbs(d);
    return rc;
}

long do_hvm_op(uint64_t cmd, uint64_t arg)
{
    struct domain *d = current->domain;
    struct hvm_evtchn_upcall_vector u;
    struct hvm_map_shared_info m;
    struct hvm_map_grant_table g;

    if (!d->is_hvm)
        return -ENOSYS;
    switch (cmd) {
    case HVMOP_set_evtchn_upcall_vector:
        if (copy_from_guest(&u, arg, sizeof(u)))
            return -EFAULT;
        if (u.vcpu >= d->max_vcpus || !d->vcpus[u.vcpu] || (u.vector && u.vector < 32))
            return -EINVAL;
        d->vcpus[u.vcpu]->arch.svm->upcall_vector = u.vector;
        /* An event flagged before the vector existed is delivered now. */
        __atomic_store_n(&d->vcpus[u.vcpu]->upcall_edge, 1, __ATOMIC_SEQ_CST);
        return 0;
    case HVMOP_map_shared_info:
        if (copy_from_guest(&m, arg, sizeof(m)))
            return -EFAULT;
        return hvm_map_shared_info(d, m.gfn);
    case HVMOP_map_grant_table:         /* grant tables (issue 11) */
        if (copy_from_guest(&g, arg, sizeof(g)))
            return -EFAULT;
        return gnttab_hvm_map_table(d, g.idx, g.gfn);
    case HVMOP_get_param: {             /* the store's page and port */
        struct hvm_param p;

        _Static_assert(HVM_NR_PARAMS == ARRAY_SIZE(d->hvm_params), "one size of params");
        if (copy_from_guest(&p, arg, sizeof(p)))
            return -EFAULT;
        if (p.index == 0 || p.index >= HVM_NR_PARAMS)
            return -EINVAL;
        p.value = d->hvm_params[p.index];
        return copy_to_guest(arg, &p, sizeof(p)) ? -EFAULT : 0;
    }
    }
    return -ENOSYS;
}
