/* Guest memory of an HVM (or native) guest: identity-mapped by boot.S, so a pfn is
 * its guest-physical frame (the gfn) and what the runtime calls an mfn is the same
 * number: the guest never sees machine frames (the nested page table hides them).
 * Pages come from pages.c, from the end of the image to the end of its RAM region.
 * map_page and unmap_page are in pt_hvm.c; pt_l1e and foreign maps are PV's only. */
#include <guest.h>

static uint64_t nr_pages;

uint64_t pfn_to_mfn(uint64_t pfn)
{
    return pfn < nr_pages ? pfn : INVALID_MFN;
}

uint64_t mfn_to_pfn(uint64_t mfn)
{
    return mfn < nr_pages ? mfn : ~0ULL;
}

uint64_t virt_to_pfn(const void *va)
{
    uint64_t pfn = (uintptr_t)va >> PAGE_SHIFT;

    return pfn < nr_pages ? pfn : ~0ULL;
}

uint64_t virt_to_mfn(const void *va)
{
    return virt_to_pfn(va);
}

uint64_t virt_to_maddr(const void *va)
{
    return virt_to_pfn(va) == ~0ULL ? ~0ULL : (uintptr_t)va;
}

void mm_init(const struct start_info *si)
{
    nr_pages = si->nr_pages;
    pages_init(si->first_free_pfn, si->nr_pages);
}
