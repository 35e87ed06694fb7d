/* Batched foreign mappings for the domain builder and the trace collector; see
 * foreign.h.
 *
 * Design: the window's 512 L1 entries lie in one L1 table of ours, contiguous in
 * machine memory, so mapping 512 frames of the new domain is one mmu_update batch
 * with foreigndom = that domain (the hypervisor flushes our TLB after it). pvbuild
 * walks its pages in pfn order, so each window serves up to 512 pages before the
 * next batch. The runtime's map_foreign_page does the same one page at a time.
 *
 * Limitations: one window at a time; the builder's pointer is valid until the next
 * map call, as pvbuild_map_fn allows.
 *
 * A foreign_batch is the general case: any VAs (a table walk each, tables made as
 * needed), one mmu_update per MMU_BATCH_MAX entries. */
#include "foreign.h"

int foreign_open(struct foreign_window *w, hv_domid_t dom, const uint64_t *mfns,
                 uint64_t nr_pages)
{
    const uint64_t *e;
    int rc;

    memset(w, 0, sizeof(*w));
    w->dom = dom;
    w->mfns = mfns;
    w->nr_pages = nr_pages;
    /* Creates the L1 table if need be; the window is 2 MiB aligned, so one table. */
    if ((rc = pt_l1e(GUEST_FOREIGN_VA, true, &e, &w->l1_maddr)) < 0)
        return rc;
    return 0;
}

static int window_write(struct foreign_window *w, uint64_t base, unsigned n, bool map)
{
    static struct mmu_update req[FOREIGN_WINDOW_PAGES];
    uint64_t done = 0;
    long rc;

    for (unsigned i = 0; i < n; i++) {
        req[i].ptr = (w->l1_maddr + i * sizeof(uint64_t)) | MMU_NORMAL_PT_UPDATE;
        req[i].val = map ? (w->mfns[base + i] << PAGE_SHIFT) | PTE_P | PTE_U | PTE_W : 0;
    }
    rc = hv_mmu_update(req, n, &done, map ? w->dom : DOMID_SELF);
    w->batches++;
    if (rc < 0)
        return (int)rc;
    return done == n ? 0 : -EIO;
}

void *foreign_map_pfn(void *window, uint64_t pfn)
{
    struct foreign_window *w = window;
    unsigned n;

    if (pfn >= w->nr_pages)
        return NULL;
    if (pfn < w->base_pfn || pfn >= w->base_pfn + w->nr_mapped) {
        n = (unsigned)MIN((uint64_t)FOREIGN_WINDOW_PAGES, w->nr_pages - pfn);
        w->nr_mapped = 0;
        if (window_write(w, pfn, n, true) < 0)
            return NULL;
        w->base_pfn = pfn;
        w->nr_mapped = n;
        w->high_water = MAX(w->high_water, n);
    }
    return (void *)(uintptr_t)(GUEST_FOREIGN_VA + ((pfn - w->base_pfn) << PAGE_SHIFT));
}

int foreign_close(struct foreign_window *w)
{
    int rc = w->high_water ? window_write(w, 0, w->high_water, false) : 0;

    w->nr_mapped = 0;
    w->high_water = 0;
    return rc;
}

/* ---- batches of single mappings ---- */

void foreign_batch_init(struct foreign_batch *b, hv_domid_t dom)
{
    b->n = 0;
    b->dom = dom;
}

int foreign_batch_flush(struct foreign_batch *b)
{
    uint64_t done = 0;
    unsigned n = b->n;
    long rc;

    if (!n)
        return 0;
    b->n = 0;
    rc = hv_mmu_update(b->req, n, &done, b->dom);
    if (rc < 0)
        return (int)rc;
    return done == n ? 0 : -EIO;
}

int foreign_batch_add(struct foreign_batch *b, uint64_t va, uint64_t mfn, bool writable)
{
    bool unmap = mfn == FOREIGN_UNMAP;
    const uint64_t *e;
    uint64_t maddr;
    int rc = pt_l1e(va, !unmap, &e, &maddr);

    if (rc == -ENOENT && unmap)
        return 0;                       /* no table: nothing mapped there */
    if (rc)
        return rc;
    b->req[b->n].ptr = maddr | MMU_NORMAL_PT_UPDATE;
    b->req[b->n].val = unmap ? 0 : (mfn << PAGE_SHIFT) | PTE_P | PTE_U |
                                   (writable ? PTE_W : 0);
    if (++b->n == MMU_BATCH_MAX)
        return foreign_batch_flush(b);
    return 0;
}
