/* A window of dom0's address space, at GUEST_FOREIGN_VA, onto frames of another
 * domain: the domain builder writes a new domain's memory through it. */
#ifndef DOM0_FOREIGN_H
#define DOM0_FOREIGN_H

#include <guest.h>

#define FOREIGN_WINDOW_PAGES 512        /* one L1 table: one mmu_update per window */

struct foreign_window {
    hv_domid_t dom;
    const uint64_t *mfns;               /* the domain's pfn -> mfn list */
    uint64_t nr_pages;
    uint64_t base_pfn, nr_mapped;       /* pfns [base_pfn, base_pfn + nr_mapped) mapped */
    uint64_t l1_maddr;                  /* machine address of the window's first L1e */
    unsigned high_water;                /* entries ever written: all cleared at the end */
    uint64_t batches;                   /* mmu_update calls made */
};

int foreign_open(struct foreign_window *w, hv_domid_t dom, const uint64_t *mfns,
                 uint64_t nr_pages);
/* The page of pfn, writable; maps the window of FOREIGN_WINDOW_PAGES pfns from pfn
 * on when pfn is outside the current one. NULL on error. A pvbuild_map_fn. */
void *foreign_map_pfn(void *window, uint64_t pfn);
/* Removes every mapping the window made (a domain's page tables cannot be pinned
 * while we map them writable). 0 or -errno. */
int foreign_close(struct foreign_window *w);

#endif
