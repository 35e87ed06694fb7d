/* The balloon's memory_op calls for an HVM guest (guest/include/balloon.h): the guest
 * names its own frames (gfn = pfn); the hypervisor removes a given gfn from the nested
 * table and maps a new frame there on populate (core/memop_hvm.c). The identity map
 * still covers a given page: the allocator never hands it out, so nothing touches it. */
#include <guest.h>
#include <balloon.h>

static long memop(unsigned cmd, const uint64_t *pfns, uint64_t n)
{
    struct xen_memory_reservation r = {
        .extent_start = (uint64_t)(uintptr_t)pfns, .nr_extents = n, .domid = DOMID_SELF,
    };

    return hv_memory_op(cmd, &r);
}

long balloon_plat_release(const uint64_t *pfns, uint64_t n)
{
    long done = memop(XENMEM_decrease_reservation, pfns, n);

    return done < 0 ? 0 : done;
}

long balloon_plat_populate(const uint64_t *pfns, uint64_t n)
{
    return memop(XENMEM_populate_physmap, pfns, n);
}
