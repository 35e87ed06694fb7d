/* Pseudo-physical memory: the pfn <-> mfn maps, a page allocator, and mappings made
 * through the hypervisor (own frames, and foreign frames for dom0).
 *
 * Design: every pfn is mapped at GUEST_VIRT_BASE + pfn pages, the page-table frames
 * among them (read-only), so the guest reads its own tables directly; an entry's
 * table is found from the mfn in its parent by mfn_to_pfn, which looks at the
 * builder's page-table frames first, then at the tables made here, then at every pfn.
 * New tables (for VAs outside the builder's mapping, e.g. GUEST_FOREIGN_VA) are
 * zeroed while still writable, remapped read-only, then hooked into their parent
 * with mmu_update: the hypervisor refuses a writable mapping of a page table.
 * Pages come from pages.c (pt_lock, taken with events disabled, is taken before its
 * lock). Locking: pt_lock guards the tables made here (extra_tables) and the
 * walk-and-create of pt_l1e. Limitations: the tables made here are never freed;
 * pages go back to the hypervisor only through the balloon (balloon_pv.c). */
#include <guest.h>

#define PT_ENTRIES 512
#define MAX_EXTRA_TABLES 64

static const uint64_t *mfn_list;
static uint64_t nr_pages, pt_pfn, nr_pt_frames;
static uint64_t extra_tables[MAX_EXTRA_TABLES];
static unsigned nr_extra_tables;        /* atomic: mfn_to_pfn reads it unlocked */
static spinlock_t pt_lock = SPINLOCK_INIT;

uint64_t pfn_to_mfn(uint64_t pfn)
{
    return pfn < nr_pages ? mfn_list[pfn] : INVALID_MFN;
}

/* The builder's list lives in our own writable pages (pvbuild.c). */
void pfn_set_mfn(uint64_t pfn, uint64_t mfn)
{
    if (pfn < nr_pages)
        ((uint64_t *)(uintptr_t)mfn_list)[pfn] = mfn;
}

uint64_t mfn_to_pfn(uint64_t mfn)
{
    unsigned n = __atomic_load_n(&nr_extra_tables, __ATOMIC_ACQUIRE);

    for (uint64_t p = pt_pfn; p < pt_pfn + nr_pt_frames; p++)
        if (mfn_list[p] == mfn)
            return p;
    for (unsigned i = 0; i < n; i++)
        if (mfn_list[extra_tables[i]] == mfn)
            return extra_tables[i];
    for (uint64_t p = 0; p < nr_pages; p++)
        if (mfn_list[p] == mfn)
            return p;
    return ~0ULL;
}

uint64_t virt_to_pfn(const void *va)
{
    uint64_t a = (uint64_t)(uintptr_t)va;

    if (a < GUEST_VIRT_BASE || ((a - GUEST_VIRT_BASE) >> PAGE_SHIFT) >= nr_pages)
        return ~0ULL;
    return (a - GUEST_VIRT_BASE) >> PAGE_SHIFT;
}

uint64_t virt_to_mfn(const void *va)
{
    return pfn_to_mfn(virt_to_pfn(va));
}

uint64_t virt_to_maddr(const void *va)
{
    uint64_t mfn = virt_to_mfn(va);

    if (mfn == INVALID_MFN)
        return ~0ULL;
    return (mfn << PAGE_SHIFT) | ((uintptr_t)va & (PAGE_SIZE - 1));
}

/* ---- page tables ---- */

static const uint64_t *table_of(uint64_t entry)
{
    uint64_t pfn = mfn_to_pfn((entry & PTE_ADDR_MASK) >> PAGE_SHIFT);

    return pfn == ~0ULL ? NULL : pfn_to_virt(pfn);
}

/* A new, empty table hooked into the parent entry at machine address parent. */
static int pt_new_table(uint64_t parent)
{
    void *pg;
    uint64_t mfn;
    struct mmu_update u;
    uint64_t done = 0;
    long rc;

    if (nr_extra_tables == MAX_EXTRA_TABLES)
        return -ENOSPC;
    pg = alloc_page();
    if (!pg)
        return -ENOMEM;
    mfn = virt_to_mfn(pg);
    rc = hv_update_va_mapping((uintptr_t)pg, (mfn << PAGE_SHIFT) | PTE_P | PTE_U,
                                      UVMF_INVLPG);
    if (rc < 0) {
        free_page(pg);
        return (int)rc;
    }
    u.ptr = parent | MMU_NORMAL_PT_UPDATE;
    u.val = (mfn << PAGE_SHIFT) | PTE_P | PTE_W | PTE_U;
    rc = hv_mmu_update(&u, 1, &done, DOMID_SELF);
    if (rc < 0) {
        /* Leak the page rather than trust that its mapping can be made writable. */
        return (int)rc;
    }
    extra_tables[nr_extra_tables] = virt_to_pfn(pg);
    __atomic_store_n(&nr_extra_tables, nr_extra_tables + 1, __ATOMIC_RELEASE);
    return 0;
}

static int pt_walk(uint64_t va, bool create, const uint64_t **entry, uint64_t *maddr)
{
    const uint64_t *t = (const uint64_t *)(uintptr_t)start_info->pt_base;

    if (va >= GUEST_VIRT_END)
        return -EINVAL;
    for (int level = 4; level > 1; level--) {
        const uint64_t *e = &t[(va >> (PAGE_SHIFT + 9 * (level - 1))) % PT_ENTRIES];

        if (!(*e & PTE_P)) {
            int rc;

            if (!create)
                return -ENOENT;
            rc = pt_new_table(virt_to_maddr(e));
            if (rc)
                return rc;
        }
        t = table_of(*e);
        if (!t)
            return -EFAULT;     /* a table that is not ours: cannot happen */
    }
    *entry = &t[(va >> PAGE_SHIFT) % PT_ENTRIES];
    *maddr = virt_to_maddr(*entry);
    return 0;
}

/* Creating is a look then a hook-in: two vCPUs must not both hook in a table. */
int pt_l1e(uint64_t va, bool create, const uint64_t **entry, uint64_t *maddr)
{
    unsigned long flags;
    int rc;

    if (!create)
        return pt_walk(va, false, entry, maddr);
    flags = spin_lock_irqsave(&pt_lock);
    rc = pt_walk(va, true, entry, maddr);
    spin_unlock_irqrestore(&pt_lock, flags);
    return rc;
}

int map_page(uint64_t va, uint64_t mfn, uint64_t flags)
{
    const uint64_t *e;
    uint64_t ma;
    int rc = pt_l1e(va, true, &e, &ma);

    if (rc)
        return rc;
    return (int)hv_update_va_mapping(va, (mfn << PAGE_SHIFT) | PTE_P | PTE_U |
                                             (flags & PTE_W), UVMF_INVLPG);
}

int unmap_page(uint64_t va)
{
    return (int)hv_update_va_mapping(va, 0, UVMF_INVLPG);
}

int map_foreign_page(hv_domid_t dom, uint64_t mfn, uint64_t va, bool writable)
{
    const uint64_t *e;
    uint64_t ma, done = 0;
    struct mmu_update u;
    bool was_present;
    long rc;

    rc = pt_l1e(va, true, &e, &ma);
    if (rc)
        return (int)rc;
    was_present = *e & PTE_P;
    u.ptr = ma | MMU_NORMAL_PT_UPDATE;
    u.val = (mfn << PAGE_SHIFT) | PTE_P | PTE_U | (writable ? PTE_W : 0);
    rc = hv_mmu_update(&u, 1, &done, dom);
    if (rc < 0)
        return (int)rc;
    if (was_present) {
        struct mmuext_op op = { .cmd = MMUEXT_INVLPG_LOCAL, .arg = va };

        done = 0;
        rc = hv_mmuext_op(&op, 1, &done, DOMID_SELF);
    }
    return rc < 0 ? (int)rc : 0;
}

void mm_init(const struct start_info *si)
{
    mfn_list = (const uint64_t *)(uintptr_t)si->mfn_list;
    nr_pages = si->nr_pages;
    pt_pfn = (si->pt_base - si->virt_base) >> PAGE_SHIFT;
    nr_pt_frames = si->nr_pt_frames;
    pages_init(si->first_free_pfn, si->nr_pages);
    if (si->virt_base != GUEST_VIRT_BASE)
        guest_crash("mm: virt_base %#llx, expected %#llx",
                    (unsigned long long)si->virt_base, (unsigned long long)GUEST_VIRT_BASE);
}
