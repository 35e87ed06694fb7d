/* dom0's device model for HVM domains (docs/device-model.md): the hypervisor passes
 * the I/O-port and MMIO accesses it does not emulate itself (public/hvm_ioreq.h);
 * dm.c serves them from the devices attached to the domain: a PCI host bridge
 * (dm_pci.c) always, and an ATA disk on the primary IDE channel (dm_ata.c) for an
 * `hdX` disk of the domain's config. A DOM0_SERVICE polls the request slots; a
 * DOM0_DOMAIN_HOOK attaches the model to each HVM domain with an hd disk and
 * detaches it when the domain is gone. */
#ifndef DOM0_DM_H
#define DOM0_DM_H

#include <guest.h>
#include "xlcfg.h"

#define DM_MAX           8              /* domains served at once */
#define DM_MAX_RANGES    8              /* port ranges of one domain's devices */

struct dm;

/* A device's ports. read/write: one access of size 1, 2 or 4 bytes at port.
 * string_in/out (optional: NULL means element by element): count elements of size
 * bytes between the device and buf, in the guest's element order; return the
 * elements moved (the rest of an IN reads as all ones, of an OUT is dropped). */
struct dm_port_ops {
    /* Optional: false while an access to port would only find the device busy (an
     * ATA disk waiting for its backend): the request is held (slot INPROCESS, the
     * vCPU stays blocked instead of polling) and served once it says true; the
     * device calls dm_device_changed when that may be so. */
    bool (*ready)(void *dev, uint16_t port);
    uint32_t (*read)(void *dev, uint16_t port, unsigned size);
    void (*write)(void *dev, uint16_t port, unsigned size, uint32_t val);
    size_t (*string_in)(void *dev, uint16_t port, unsigned size, uint8_t *buf, size_t count);
    size_t (*string_out)(void *dev, uint16_t port, unsigned size, const uint8_t *buf,
                         size_t count);
};

/* dm.c */
/* The device model for HVM domain dom: the server in the hypervisor, the PCI host
 * bridge, and an ATA disk on target (a pdisk region, NULL: none). 0, or -errno
 * after printing "<who>: <problem>". */
int dm_attach(const char *who, hv_domid_t dom, const char *target, bool readonly);
/* Everything of dom's model released (its server destroyed if the domain still
 * exists). Nothing if it has none. */
void dm_detach(hv_domid_t dom);
/* Registers a device's ports for dm's domain: 0, -EBUSY (overlap), -ENOSPC. */
int dm_port_register(struct dm *dm, uint16_t base, uint16_t len,
                     const struct dm_port_ops *ops, void *dev);
/* A device's state changed outside a request (a backend completed): held requests
 * are looked at again at the next poll. */
void dm_device_changed(struct dm *dm);
/* ISA IRQ line irq of dm's domain (DOMCTL_hvm_set_irq). */
void dm_set_irq(struct dm *dm, unsigned irq, bool level);
hv_domid_t dm_domid(const struct dm *dm);
/* 0..DM_MAX-1, fixed while dm is attached: devices keep their state in arrays. */
unsigned dm_index(const struct dm *dm);
/* Fault injection for the isolation tests (`dm-inject`): the next answer to dom's
 * guest leaves its slot in a state that is no state (DM_FAULT_STATE) or claims
 * another size (DM_FAULT_SIZE); or the next request is held 20 ms before it is
 * served (DM_FAULT_HOLD: the vCPU must wait blocked). */
enum dm_fault { DM_FAULT_NONE, DM_FAULT_STATE, DM_FAULT_SIZE, DM_FAULT_HOLD };
int dm_inject(hv_domid_t dom, enum dm_fault f);

/* Counters, per domain (xl dm-list). */
struct dm_stats {
    uint64_t requests, pio, mmio, strings, string_bytes, unclaimed, bad_requests, held;
};
/* The i-th served domain (0..DM_MAX-1): false if the slot is free. */
bool dm_stats_of(unsigned i, hv_domid_t *dom, struct dm_stats *st);

/* The model's devices register from their own files (STYLE: no central table):
 *     DM_DEVICE(pci, dm_pci_attach, dm_pci_detach);
 * attach(dm, who, target, readonly): registers the device's ports for dm's domain
 * if it has a part in it (target: the hda disk's pdisk region, or NULL); 0 or
 * -errno after printing "<who>: <problem>". detach(dm): releases what attach took
 * (also after a failed attach, and for a device that did not attach). */
struct dm_device {
    const char *name;
    int (*attach)(struct dm *dm, const char *who, const char *target, bool readonly);
    void (*detach)(struct dm *dm);
};
#define DM_DEVICE(n, attachfn, detachfn)                                         \
    static const struct dm_device dm_device_##n                                  \
        __attribute__((used, section("dm_devices"), aligned(8))) =               \
            { #n, attachfn, detachfn }

#endif
