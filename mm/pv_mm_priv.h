/* What mm/pv_mm.c, its invariant checker (mm/pv_check.c) and the PV memory mover
 * (mm/migrate_pv.c) share about PV page tables and frames: private to mm/, not an
 * interface (<hvlab/pv_mm.h> is). */
#ifndef HVLAB_MM_PV_MM_PRIV_H
#define HVLAB_MM_PV_MM_PRIV_H

#include <hvlab/domain.h>
#include <hvlab/errno.h>
#include <hvlab/mm.h>
#include <hvlab/pv_mm.h>

#define PT_ENTRIES   512
#define PTE_RESERVED (0x7ffULL << 52)           /* bits 52..62 */

static inline mfn_t pte_mfn(uint64_t e) { return (e & PTE_ADDR_MASK) >> PAGE_SHIFT; }
static inline bool type_is_pt(uint32_t x)
{
    uint32_t t = x & PGT_type_mask;
    return t >= PGT_l1 && t <= PGT_l4;
}
static inline unsigned type_level(uint32_t x) { return (x & PGT_type_mask) >> PGT_type_shift; }
static inline unsigned table_slots(unsigned level) { return level == 4 ? L4_GUEST_SLOTS : PT_ENTRIES; }
static inline struct domain *page_owner(const struct page_info *pg)
{
    return __atomic_load_n(&pg->owner, __ATOMIC_ACQUIRE);
}
static inline uint64_t read_entry(const uint64_t *t, unsigned i)
{
    return __atomic_load_n(&t[i], __ATOMIC_RELAXED);   /* the CPU may set A/D bits */
}

static inline bool type_is_partial(uint32_t x)
{
    return type_is_pt(x) && (x & PGT_count_mask) && !(x & PGT_validated);
}

/* Stable while d->page_lock is held: d's frames leave d only under it. */
static inline bool owned_by(const struct page_info *pg, const struct domain *d)
{
    return page_owner(pg) == d &&
           (__atomic_load_n(&pg->count_info, __ATOMIC_RELAXED) & PGC_allocated);
}

/* The entry rules of a present entry (mm/pv_mm.c, "Entry rules"). */
static inline int check_entry(uint64_t e)
{
    if (!(e & PTE_U) || (e & (PTE_PS | PTE_G | PTE_PWT | PTE_PCD | PTE_RESERVED)) ||
        pte_mfn(e) >= max_mfn)
        return -EINVAL;
    return 0;
}

#endif
