/* Mappings of an HVM (or native) guest at VAs outside boot.S's identity map (the
 * first 4 GiB, 2 MiB pages): map_page and unmap_page of guest.h, with 4 KiB pages in
 * the guest's own tables, written directly, then INVLPG; no hypervisor checks them
 * (the nested page table confines the guest). Tables missing on the way are taken
 * from the page allocator; being identity-mapped, a table's physical address is its
 * VA. Locking: pt_lock guards the walk-and-create; the tables are never freed. */
#include "hvm.h"

#define PT_ENTRIES 512

static spinlock_t pt_lock = SPINLOCK_INIT;

static uint64_t *cr3_table(void)
{
    uint64_t cr3;

    asm volatile("mov %%cr3, %0" : "=r"(cr3));
    return (uint64_t *)(uintptr_t)(cr3 & PTE_ADDR_MASK);
}

/* The L1 entry of va, creating tables on the way with create. -ENOENT (no table,
 * !create), -EEXIST (va is inside a large page), -ENOMEM. */
static int pt_entry(uint64_t va, bool create, uint64_t **entry)
{
    uint64_t *t = cr3_table();

    for (int level = 4; level > 1; level--) {
        uint64_t *e = &t[(va >> (PAGE_SHIFT + 9 * (level - 1))) % PT_ENTRIES];

        if (!(*e & PTE_P)) {
            void *pg;

            if (!create)
                return -ENOENT;
            pg = alloc_page();
            if (!pg)
                return -ENOMEM;
            *e = virt_to_maddr(pg) | PTE_P | PTE_W | PTE_U;
        } else if (*e & PTE_PS) {
            return -EEXIST;
        }
        t = (uint64_t *)(uintptr_t)(*e & PTE_ADDR_MASK);
    }
    *entry = &t[(va >> PAGE_SHIFT) % PT_ENTRIES];
    return 0;
}

static int pt_set(uint64_t va, uint64_t pte, bool create)
{
    unsigned long flags;
    uint64_t *e;
    int rc;

    if (va >= GUEST_VIRT_END || (va & (PAGE_SIZE - 1)))
        return -EINVAL;
    flags = spin_lock_irqsave(&pt_lock);
    rc = pt_entry(va, create, &e);
    if (rc == 0) {
        __atomic_store_n(e, pte, __ATOMIC_RELEASE);
        asm volatile("invlpg (%0)" :: "r"(va) : "memory");
    }
    spin_unlock_irqrestore(&pt_lock, flags);
    return rc;
}

int map_page(uint64_t va, uint64_t mfn, uint64_t flags)
{
    if (mfn_to_pfn(mfn) == ~0ULL)
        return -EINVAL;                 /* not ours: frames outside our RAM */
    return pt_set(va, (mfn << PAGE_SHIFT) | PTE_P | PTE_U | (flags & PTE_W), true);
}

int unmap_page(uint64_t va)
{
    int rc = pt_set(va, 0, false);

    return rc == -ENOENT ? 0 : rc;
}
