/* An HVM domain's store page and port: HVMOP_get_param (HVM_PARAM_STORE_PFN,
 * HVM_PARAM_STORE_EVTCHN), set by the toolstack. The page is guest RAM the builder
 * reserved (E820 reserved), identity-mapped like the rest. Natively (no hypervisor)
 * the call fails: no store. */
#include <guest.h>
#include <store_wire.h>

static long get_param(uint32_t index, uint64_t *value)
{
    struct hvm_param p = { .index = index };
    long rc = _hc(HYPERVISOR_hvm_op, HVMOP_get_param, &p, 0, 0, 0);

    *value = p.value;
    return rc;
}

int store_plat_find(struct store_interface **page, evtchn_port_t *port)
{
    uint64_t gfn, evtchn;

    if (get_param(HVM_PARAM_STORE_PFN, &gfn) < 0 || get_param(HVM_PARAM_STORE_EVTCHN, &evtchn) < 0 ||
        !gfn || !evtchn)
        return -EIO;
    *page = pfn_to_virt(gfn);
    *port = (evtchn_port_t)evtchn;
    return 0;
}
