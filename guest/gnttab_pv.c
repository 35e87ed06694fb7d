/* Grant tables, PV side of the platform (guest/gnttab_plat.h): the table's machine
 * frames come from GNTTABOP_setup_table and are mapped writable (they are ours,
 * shared by the hypervisor like the shared info page) just above the shared info
 * page; a host mapping is made at a VA of ours whose L1 table must exist. */
#include <guest.h>

#include "gnttab_plat.h"

#define GNTTAB_TABLE_VA (GUEST_SHARED_INFO_VA + PAGE_SIZE)    /* below GUEST_VIRT_BASE */

int gnttab_plat_map_table(unsigned nr_frames, struct grant_entry **table)
{
    uint64_t frames[GNTTAB_MAX_FRAMES];
    struct gnttab_setup_table op = {
        .dom = DOMID_SELF, .nr_frames = nr_frames, .frame_list = (uintptr_t)frames,
    };
    long rc;

    _Static_assert(GNTTAB_TABLE_VA + GNTTAB_MAX_FRAMES * PAGE_SIZE <= GUEST_VIRT_BASE,
                   "the table fits below the pfn mapping");
    rc = hv_grant_table_op(GNTTABOP_setup_table, &op, 1);
    if (rc < 0)
        return (int)rc;
    if (op.status != GNTST_okay)
        return -ENOMEM;
    for (unsigned i = 0; i < nr_frames; i++) {
        rc = map_page(GNTTAB_TABLE_VA + i * PAGE_SIZE, frames[i], PTE_W);
        if (rc < 0)
            return (int)rc;
    }
    *table = (struct grant_entry *)(uintptr_t)GNTTAB_TABLE_VA;
    return 0;
}

int gnttab_plat_host_addr(void *va, uint64_t *host_addr)
{
    const uint64_t *e;
    uint64_t ma;
    int rc = pt_l1e((uintptr_t)va, true, &e, &ma);

    *host_addr = (uintptr_t)va;
    return rc;
}
