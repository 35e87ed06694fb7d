/* Guest memory for hypercalls from HVM guests: a guest pointer is a virtual address
 * in the guest's own paging mode (paging off: physical), translated through the
 * guest's page tables (read through the p2m), then the p2m, one page at a time.
 * The copy goes through the hypervisor's direct map, so nothing the guest maps can
 * point it at memory that is not the domain's own RAM.
 *
 * Limitations: accessed and dirty bits are not set (the walk only reads); write
 * protection is checked on the leaf only. The instruction emulator's guest_walk
 * (core/arch/x86/hvm/) is the full walker; this one serves hypercall arguments. */
#include <hvlab/domain.h>
#include <hvlab/errno.h>
#include <hvlab/lib.h>
#include <hvlab/mm.h>
#include <hvlab/x86/regs.h>
#include <hvlab/x86/svm.h>

#define PTE_P_   1ull
#define PTE_W_   2ull
#define PTE_PS_  0x80ull
#define EFER_LMA (1ull << 10)

/* The hypervisor's address of guest physical gpa, NULL if it is not RAM (or not
 * writable when `write`). */
static void *gpa_to_hv(struct domain *d, uint64_t gpa, bool write)
{
    mfn_t mfn;
    unsigned flags;
    if (p2m_lookup(&d->p2m, gpa >> PAGE_SHIFT, &mfn, &flags, NULL) < 0 ||
        (write && !(flags & P2M_WRITE)))
        return NULL;
    return (uint8_t *)__va((paddr_t)mfn << PAGE_SHIFT) + (gpa & (PAGE_SIZE - 1));
}

/* Guest virtual -> guest physical in the vCPU's current paging mode; -EFAULT. */
static int gva_to_gpa(struct vcpu *v, uint64_t va, bool write, uint64_t *gpa)
{
    const struct vmcb_save *g = &v->arch.svm->vmcb->save;
    bool lma = g->efer & EFER_LMA, pae = g->cr4 & CR4_PAE;

    if (!(g->cr0 & CR0_PG)) {
        *gpa = lma ? va : (uint32_t)va;
        return 0;
    }
    unsigned levels = lma ? 4 : pae ? 3 : 2;
    unsigned bits = (lma || pae) ? 9 : 10;       /* index bits per level */
    uint64_t table = lma ? g->cr3 & 0x000ffffffffff000ull
                         : pae ? g->cr3 & 0xffffffe0ull : g->cr3 & 0xfffff000ull;
    uint64_t addr_mask = (lma || pae) ? 0x000ffffffffff000ull : 0xfffff000ull;

    for (unsigned level = levels; level >= 1; level--) {
        unsigned shift = 12 + bits * (level - 1);
        unsigned idx = (unsigned)(va >> shift) & ((1u << bits) - 1);
        if (pae && !lma && level == 3)
            idx = (unsigned)(va >> 30) & 3;     /* the four PDPTEs */
        uint64_t e;
        if (lma || pae) {
            uint64_t *p = gpa_to_hv(v->domain, table + idx * 8, false);
            if (!p)
                return -EFAULT;
            e = *p;
        } else {
            uint32_t *p = gpa_to_hv(v->domain, table + idx * 4, false);
            if (!p)
                return -EFAULT;
            e = *p;
        }
        if (!(e & PTE_P_))
            return -EFAULT;
        bool large = (level == 2 || (level == 3 && lma)) && (e & PTE_PS_) &&
                     !(pae && !lma && level == 3);
        if (level == 1 || large) {
            if (write && !(e & PTE_W_))
                return -EFAULT;
            uint64_t page = (uint64_t)1 << shift;
            uint64_t base = (!lma && !pae && large) ? (e & 0xffc00000ull)
                                                    : (e & addr_mask & ~(page - 1));
            *gpa = base | (va & (page - 1));
            return 0;
        }
        table = e & addr_mask;
    }
    return -EFAULT;
}

static int hvm_copy(void *hv, uint64_t va, size_t n, bool to_guest)
{
    struct vcpu *v = current;
    uint8_t *p = hv;

    while (n) {
        uint64_t gpa;
        size_t chunk = MIN(n, PAGE_SIZE - (va & (PAGE_SIZE - 1)));
        if (gva_to_gpa(v, va, to_guest, &gpa) < 0)
            return -EFAULT;
        chunk = MIN(chunk, PAGE_SIZE - (gpa & (PAGE_SIZE - 1)));
        void *g = gpa_to_hv(v->domain, gpa, to_guest);
        if (!g)
            return -EFAULT;
        if (to_guest)
            memcpy(g, p, chunk);
        else
            memcpy(p, g, chunk);
        p += chunk;
        va += chunk;
        n -= chunk;
    }
    return 0;
}

int hvm_copy_from_guest(void *dst, uint64_t va, size_t n)
{
    return hvm_copy(dst, va, n, false);
}

int hvm_copy_to_guest(uint64_t va, const void *src, size_t n)
{
    return hvm_copy((void *)src, va, n, true);
}
