/* PV memory management: reference counts and page types of guest frames, and the
 * validated page-table updates of PV guests (mm/pv_mm.c, where the rules are written
 * out). The one invariant everything here protects: a frame that is in use as a page
 * table is never mapped writable, so a guest changes its page tables only through
 * pv_mmu_update(), which checks every entry.
 *
 * Locking (the whole rule, also in mm/pv_mm.c): the pv_* calls take d->page_lock
 * themselves; callers hold nothing. Page-table types (PGT_l1..PGT_l4) of a frame are
 * taken and dropped only under its owner's page_lock. General references and
 * PGT_writable are atomic and may be taken by anyone (a privileged domain's foreign
 * mappings). */
#ifndef HVLAB_PV_MM_H
#define HVLAB_PV_MM_H

#include <hvlab/mm.h>
#include <hvlab/types.h>

struct domain;

/* page_info.count_info: general references (each PTE that maps the frame, each pin,
 * each vCPU using it as its L4) in the low bits; PGC_allocated while the frame belongs
 * to a domain. A frame without PGC_allocated (free, the hypervisor's, or an orphan of a
 * destroyed domain) never gains a reference; an orphan is freed by its last put_page. */
#define PGC_allocated    (1u << 31)
#define PGC_count_mask   ((1u << 28) - 1)

/* page_info.type_info:
 *   bits 31..28  type: PGT_none, PGT_l1..PGT_l4 (page table of that level), PGT_writable
 *   bit  27      PGT_validated: a PGT_ln frame whose entries hold their references
 *   bit  26      PGT_pinned: a pin (MMUEXT_PIN_Ln_TABLE) holds one of the type references
 *   bits 25..0   type count: references that need the frame to keep this type
 * The type changes only while the type count is 0, and type_info is 0 whenever the
 * type count is. Every type reference is paired with a general reference held by the
 * same holder (get_page_and_type). */
#define PGT_type_shift   28
#define PGT_type_mask    (0xfu << PGT_type_shift)
#define PGT_none         (0u << PGT_type_shift)
#define PGT_l1           (1u << PGT_type_shift)
#define PGT_l2           (2u << PGT_type_shift)
#define PGT_l3           (3u << PGT_type_shift)
#define PGT_l4           (4u << PGT_type_shift)
#define PGT_writable     (7u << PGT_type_shift)
#define PGT_ln(n)        ((uint32_t)(n) << PGT_type_shift)     /* n = 1..4 */
#define PGT_validated    (1u << 27)
#define PGT_pinned       (1u << 26)
#define PGT_count_mask   ((1u << 26) - 1)

#define L4_GUEST_SLOTS   256            /* L4 slots 0..255: the guest's lower half */

/* The hypervisor's half of every guest L4 (slots 256..511 are used), filled by core
 * code at boot: copied into a frame when it is validated as an L4, zeroed again when
 * it stops being one. */
extern uint64_t hv_l4_template[512];

static inline uint32_t page_refcount(const struct page_info *pg)
{
    return __atomic_load_n(&pg->count_info, __ATOMIC_RELAXED) & PGC_count_mask;
}
static inline uint32_t page_type(const struct page_info *pg)
{
    return __atomic_load_n(&pg->type_info, __ATOMIC_RELAXED) & PGT_type_mask;
}
static inline uint32_t page_typecount(const struct page_info *pg)
{
    return __atomic_load_n(&pg->type_info, __ATOMIC_RELAXED) & PGT_count_mask;
}
static inline bool page_is_pinned(const struct page_info *pg)
{
    return __atomic_load_n(&pg->type_info, __ATOMIC_RELAXED) & PGT_pinned;
}

/* A general reference, if pg is allocated to d: 0, -EINVAL (free, hypervisor or
 * orphan frame), -EPERM (another domain's), -EOVERFLOW. */
int get_page(struct page_info *pg, struct domain *d);
void put_page(struct page_info *pg);
/* A type reference; the caller already holds a general reference. type is PGT_l1..l4
 * (caller holds the owner's page_lock; the first reference validates the table) or
 * PGT_writable. -EBUSY when the frame has another type, or the validation's error. */
int get_page_type(struct page_info *pg, uint32_t type);
/* The last reference of a PGT_ln type devalidates the table (caller holds the owner's
 * page_lock): its entries' references are dropped, recursively. */
void put_page_type(struct page_info *pg);
int get_page_and_type(struct page_info *pg, struct domain *d, uint32_t type);
void put_page_and_type(struct page_info *pg);

/* Write val into the page-table entry at machine address ptr (8-byte aligned, in a
 * validated page table of d). L1 entries may map only pg_owner's frames (pg_owner != d
 * needs a privileged d: foreign mappings; pg_owner is only compared, never
 * dereferenced). Higher levels point only to d's own frames; L4 slots 256..511 are
 * the hypervisor's (-EPERM). The new entry's
 * references are taken before the old one's are dropped; on error nothing changed.
 * -EFAULT ptr outside RAM, -EPERM not d's frame / foreign frame / hypervisor slot,
 * -EINVAL not a validated table or bad entry, -EBUSY type conflict. The caller flushes
 * TLBs (see Limitations in mm/pv_mm.c). */
int pv_mmu_update(struct domain *d, struct domain *pg_owner, uint64_t ptr, uint64_t val);

/* Pin: hold the frame as a level-`level` table (validating it) until unpinned.
 * -EBUSY if already pinned. Unpin: -EINVAL if not pinned.
 * Pin, unpin and pv_set_base's new base (de)validate a whole tree in batches with
 * preemption points between them (mm/pv_mm.c, "Preemptible (de)validation"): the
 * caller holds no spinlock but domctl_lock, and is a hypercall (or the boot). A table
 * another call is (de)validating meanwhile is busy: -EBUSY. */
int pv_pin_table(struct domain *d, mfn_t mfn, unsigned level);
int pv_unpin_table(struct domain *d, mfn_t mfn);

/* A vCPU's page-table base: take an L4 reference on new_l4 (validating it) and drop
 * the one on old_l4 (0: none; -EINVAL, nothing done, if old_l4 is no L4 of d). The
 * caller loads CR3 and keeps v->arch.guest_l4_mfn == the mfn whose base reference v
 * holds (0 for none); pv_check_invariants relies on it. domain_relinquish_memory()
 * drops the base references of all of d's vCPUs without looking at them. */
int pv_set_base(struct domain *d, mfn_t new_l4, mfn_t old_l4);

/* Drop the base reference a vCPU held on old_l4 once it no longer uses it as its CR3:
 * (de)validation in batches with preemption points, as pv_unpin_table. -EINVAL if
 * old_l4 is no validated L4 of d. */
int pv_put_base(struct domain *d, mfn_t old_l4);

/* Machine address of the L1 entry that maps va under d's validated L4 l4_mfn.
 * -EINVAL if va is not in the guest half or a level on the way is not present. */
int pv_lookup_l1e(struct domain *d, mfn_t l4_mfn, uint64_t va, uint64_t *l1e_maddr);

/* Grant mappings (core/grant_table_map.c, which holds a pin on mfn meanwhile). Map:
 * write a present entry for mfn (any domain's frame; NX, writable or not) at l1e,
 * the machine address of a not-present entry of a validated L1 of d; the entry takes
 * the usual references (-EINVAL: not such an entry; -EEXIST: present; -EBUSY: a
 * writable map of a page table). Unmap: clear that entry if it still maps mfn (0),
 * else leave it (-ENOENT: d replaced it; -EINVAL: no longer d's validated L1). */
int pv_grant_map(struct domain *d, uint64_t l1e, mfn_t mfn, bool writable);
int pv_grant_unmap(struct domain *d, uint64_t l1e, mfn_t mfn);

/* Debug/test: recompute every reference and type count of d's frames from the
 * validated tables of all domains, d's pins and d's vCPUs' bases, and check the
 * entry rules and the accounting. False with a reason in why. Assumes nobody else
 * holds references (grants, hypervisor mappings) and no concurrent foreign update. */
bool pv_check_invariants(struct domain *d, char *why, size_t len);

/* ---- shared by mm/pv_mm.c and mm/domain_mem.c only ---- */

/* The two passes of a dying domain's teardown over its frames (domain_relinquish_memory
 * runs them in batches, with d->page_lock held; d's vCPUs must never run again).
 * Pass 1, on every frame of d: drop what a validated L1 holds, clear an L4's
 * hypervisor slots, unvalidate. Pass 2, once pass 1 has seen every frame: drop every
 * PGT_ln type reference (a parent entry, pin or vCPU base) with its general reference.
 * Each returns its cost, in the units of one cheap frame step. */
unsigned pv_relinquish_frame_refs(struct page_info *pg);
unsigned pv_relinquish_frame_type(struct page_info *pg);
/* The cost of scanning an L1's PT_ENTRIES entries, in frame steps: measured under
 * icount, a batch of two L1 scans took 65 us, 64 releases 17 us (issue 9). */
#define PV_RELINQUISH_L1_COST 64
/* put_page dropped the last reference of an orphan: free it. */
void mm_orphan_release(struct page_info *pg);
/* Frames of destroyed domains still referenced from other domains' page tables. */
unsigned long mm_orphan_frames(void);

#endif
