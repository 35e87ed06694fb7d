/* Grant tables, HVM side of the platform (guest/gnttab_plat.h): pages of the image
 * are reserved for the table, and the hypervisor puts table frame i at the gfn of
 * the i-th one (HVMOP_map_grant_table, in place of the RAM there, as the shared info
 * page); the guest is identity-mapped, so a VA is the gfn << 12 a mapping replaces.
 * Natively there is no hypervisor and so no grant table: -ENODEV. */
#include "hvm.h"

#include <public/hvm.h>

#include "../gnttab_plat.h"

static uint8_t gnttab_pages[GNTTAB_MAX_FRAMES][PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

int gnttab_plat_map_table(unsigned nr_frames, struct grant_entry **table)
{
    if (hvm_native)
        return -ENODEV;
    for (unsigned i = 0; i < nr_frames; i++) {
        struct hvm_map_grant_table op = {
            .idx = i, .gfn = (uintptr_t)gnttab_pages[i] >> PAGE_SHIFT,
        };
        long rc = _hc(HYPERVISOR_hvm_op, HVMOP_map_grant_table, &op, 0, 0, 0);

        if (rc < 0)
            return (int)rc;
    }
    *table = (struct grant_entry *)gnttab_pages;
    return 0;
}

int gnttab_plat_host_addr(void *va, uint64_t *host_addr)
{
    if (virt_to_pfn(va) == ~0ULL)
        return -EINVAL;
    *host_addr = (uintptr_t)va;
    return 0;
}
