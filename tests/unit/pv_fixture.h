/* The fake machine shared by the PV MMU host tests (test_pv_mm.c,
 * test_pv_mm_random.c): a 2 MiB arena of "RAM" at a fixed low address (physical ==
 * virtual on the host), the page allocator over it, three domains (dom0 privileged)
 * and one vCPU, and small helpers to build page tables by hand. */
#ifndef HVLAB_TESTS_PV_FIXTURE_H
#define HVLAB_TESTS_PV_FIXTURE_H

#include <hvlab/domain.h>
#include <hvlab/mm.h>
#include <hvlab/pv_mm.h>

#include "fake_machine.h"
#include "unit.h"

#define ARENA_SIZE  (2UL << 20)
#define NFRAMES     (ARENA_SIZE / PAGE_SIZE)
#define M(x)        ((paddr_t)(x) << 20)
#define GUEST       (PTE_P | PTE_U)                 /* a present guest entry */
#define RW          (PTE_P | PTE_U | PTE_W)

extern paddr_t base;
extern struct topology t;
extern struct domain doms[3];
extern struct vcpu vcpu0;
extern struct vcpu *vcpu_ptrs[1];
extern char why[200];

bool setup(void);                           /* a fresh machine: allocator and domains */
struct page_info *frame(struct domain *d);  /* a frame of d, zeroed */
bool invariants(struct domain *d);          /* pv_check_invariants, printing why */
bool all_idle(void);                        /* no frame has references or a type */

static inline mfn_t mfn(const struct page_info *pg) { return page_to_mfn(pg); }
static inline uint64_t *tab(const struct page_info *pg) { return page_to_virt(pg); }
static inline uint64_t pte(const struct page_info *pg, uint64_t flags)
{
    return page_to_paddr(pg) | flags;
}
/* Machine address of entry `slot` of a table: what mmu_update takes. */
static inline uint64_t slot_ma(const struct page_info *pg, unsigned slot)
{
    return page_to_paddr(pg) + slot * 8;
}

#endif
