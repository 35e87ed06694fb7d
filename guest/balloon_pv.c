/* The balloon's memory_op calls for a PV guest (guest/include/balloon.h): the guest
 * names machine frames, so a page is unmapped (the hypervisor frees no frame a
 * mapping still references), its frame given by MFN, and the pfn -> mfn list marked
 * empty; taking memory back maps each new frame at its pfn again. */
#include <guest.h>
#include <balloon.h>

static void remap(uint64_t pfn, uint64_t mfn)
{
    if (map_page((uint64_t)(uintptr_t)pfn_to_virt(pfn), mfn, PTE_W) < 0)
        guest_crash("balloon: cannot map pfn %#llx (mfn %#llx) again",
                    (unsigned long long)pfn, (unsigned long long)mfn);
}

long balloon_plat_release(const uint64_t *pfns, uint64_t n)
{
    uint64_t mfns[BALLOON_BATCH], k;
    long done = 0;

    n = MIN(n, (uint64_t)BALLOON_BATCH);
    for (k = 0; k < n; k++) {
        mfns[k] = pfn_to_mfn(pfns[k]);
        if (mfns[k] == INVALID_MFN || unmap_page((uint64_t)(uintptr_t)pfn_to_virt(pfns[k])) < 0)
            break;
    }
    if (k) {
        struct xen_memory_reservation r = {
            .extent_start = (uint64_t)(uintptr_t)mfns, .nr_extents = k, .domid = DOMID_SELF,
        };
        done = hv_memory_op(XENMEM_decrease_reservation, &r);
        if (done < 0)
            done = 0;
    }
    for (uint64_t i = 0; i < (uint64_t)done; i++)
        pfn_set_mfn(pfns[i], INVALID_MFN);
    for (uint64_t i = (uint64_t)done; i < k; i++)
        remap(pfns[i], mfns[i]);
    return done;
}

long balloon_plat_populate(const uint64_t *pfns, uint64_t n)
{
    uint64_t mfns[BALLOON_BATCH];
    struct xen_memory_reservation r = {
        .extent_start = (uint64_t)(uintptr_t)mfns, .nr_extents = MIN(n, (uint64_t)BALLOON_BATCH),
        .domid = DOMID_SELF,
    };
    long got = hv_memory_op(XENMEM_populate_physmap, &r);

    for (long i = 0; i < got; i++) {
        remap(pfns[i], mfns[i]);
        pfn_set_mfn(pfns[i], mfns[i]);
    }
    return got;
}
