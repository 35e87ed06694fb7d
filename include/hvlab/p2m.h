/* The physical-to-machine table of an HVM domain: an AMD64 4-level nested page table
 * (AMD APM vol. 2, "Nested Paging") that the CPU walks for every guest physical
 * access. Leaves of 4 KiB and 2 MiB. Every level carries P, W and U: nested walks are
 * user accesses, so an entry without U faults the guest's first fetch. A gfn with no
 * leaf is not present: that is how device windows (LAPIC, IOAPIC) trap (never with
 * reserved bits, which TCG does not report correctly). The table frames belong to the
 * hypervisor (owner NULL); the leaves' frames are the domain's and are never freed here.
 * Callers serialize changes to one table (the domain's page_lock); lookups may race
 * with nothing that frees tables (teardown runs on a dead domain). */
#ifndef HVLAB_P2M_H
#define HVLAB_P2M_H

#include <hvlab/types.h>

#define P2M_ORDER_4K 0
#define P2M_ORDER_2M 9
#define P2M_MAX_GFN  ((1ULL << 36) - 1)     /* 48-bit guest physical addresses */

/* Device windows that must stay not present (gfn ranges, inclusive start). */
#define P2M_LAPIC_GFN  0xfee00ULL
#define P2M_IOAPIC_GFN 0xfec00ULL

#define P2M_WRITE (1u << 0)                 /* p2m_map flags; read/execute always */

struct p2m {
    paddr_t root;                           /* PML4 frame (machine address), 0: none */
    unsigned node;                          /* where table frames come from */
    unsigned long nr_tables;                /* table frames held, root included */
};

/* mm/p2m.c */
int p2m_init(struct p2m *p, unsigned node);             /* -ENOMEM */
/* gfn -> mfn for 2^order frames (order 0 or 9, both aligned to it). Replaces what was
 * there (a 2 MiB leaf over a table frees the table; a 4 KiB leaf inside a 2 MiB one
 * splits it). -EINVAL: bad order, alignment, gfn beyond P2M_MAX_GFN, or a device
 * window; -ENOMEM: no frame for a table (the table is unchanged). */
int p2m_map(struct p2m *p, uint64_t gfn, mfn_t mfn, unsigned order, unsigned flags);
/* Makes 2^order gfns not present (splitting a 2 MiB leaf if need be). -ENOMEM only
 * for a split; unmapping what is not mapped is not an error. */
int p2m_unmap(struct p2m *p, uint64_t gfn, unsigned order);
/* The mfn behind gfn and its P2M_* flags (order: of the leaf found, may be NULL).
 * -ENOENT when not present. */
int p2m_lookup(const struct p2m *p, uint64_t gfn, mfn_t *mfn, unsigned *flags,
               unsigned *order);
void p2m_teardown(struct p2m *p);                       /* frees every table frame */

#endif
