/* What guest/gnttab.c asks of the platform (guest/gnttab_pv.c, guest/hvm/gnttab_hvm.c):
 * how our table frames are reached, and what address a mapping is made at. */
#ifndef GUEST_GNTTAB_PLAT_H
#define GUEST_GNTTAB_PLAT_H

#include <gnttab.h>

/* Our table with nr_frames frames, mapped writable from *table on: 0 or -errno. */
int gnttab_plat_map_table(unsigned nr_frames, struct grant_entry **table);
/* host_addr of a GNTMAP_host_map at our page va (PV: the VA, its L1 table made if
 * missing; HVM: the gfn << 12 the VA is identity-mapped to). 0 or -errno. */
int gnttab_plat_host_addr(void *va, uint64_t *host_addr);

static inline long hv_grant_table_op(unsigned cmd, void *uop, unsigned count)
{
    return _hc(HYPERVISOR_grant_table_op, cmd, uop, count, 0, 0);
}

#endif
