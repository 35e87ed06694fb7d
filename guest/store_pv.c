/* A PV domain's store page and port: start_info (store_mfn, store_evtchn). The page
 * is one of ours, already mapped through the pfn map. */
#include <guest.h>
#include <store_wire.h>

int store_plat_find(struct store_interface **page, evtchn_port_t *port)
{
    uint64_t pfn;

    if (!start_info->store_mfn || !start_info->store_evtchn)
        return -EIO;
    if ((pfn = mfn_to_pfn(start_info->store_mfn)) == ~0ULL)
        return -EIO;                    /* not one of our frames */
    *page = pfn_to_virt(pfn);
    *port = start_info->store_evtchn;
    return 0;
}
