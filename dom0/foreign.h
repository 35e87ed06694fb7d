/* A window of dom0's address space, at GUEST_FOREIGN_VA, onto frames of another
 * domain: the domain builder writes a new domain's memory through it. And batches
 * of single mappings anywhere (the trace collector maps the rings with them). */
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

/* Up to MMU_BATCH_MAX L1 updates in one mmu_update: va -> frame mfn of dom. */
#define FOREIGN_UNMAP (~0ULL)           /* as mfn: remove va's mapping */
struct foreign_batch {
    struct mmu_update req[MMU_BATCH_MAX];
    unsigned n;
    hv_domid_t dom;
};

/* dom: whose frames are mapped (DOMID_SELF for a batch of unmaps). */
void foreign_batch_init(struct foreign_batch *b, hv_domid_t dom);
/* Queues one update, making va's page tables if need be (except to unmap), and
 * makes the call when the batch is full. 0 or -errno. */
int foreign_batch_add(struct foreign_batch *b, uint64_t va, uint64_t mfn, bool writable);
/* Makes the call for what is queued (the hypervisor flushes our TLB). 0 or -errno. */
int foreign_batch_flush(struct foreign_batch *b);

#endif
