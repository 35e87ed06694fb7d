/* Per-domain I/O-port permissions (public/physdev.h) and the emulation of a PV
 * guest's port I/O.
 *
 * Why #GP emulation and not the TSS I/O bitmap: a PV guest runs in ring 3 with
 * IOPL 0, so with no bitmap in the TSS every IN/OUT/INS/OUTS raises #GP; the
 * hypervisor decodes it (core/arch/x86/hvm/x86_decode.c), checks the domain's map and
 * performs the access. That costs a trap per access (measured in docs/native-disk.md)
 * but (1) needs no 8 KiB bitmap copied into the TSS on every switch between domains
 * with different maps, (2) lets PCI configuration ports be filtered per access (the
 * hypervisor's own devices hidden, the chipset read-only), which a bitmap cannot do,
 * and (3) puts every refused access in the trace. Xen's PV does the same
 * (emulate_privileged_op). A virtio request needs one port write (the notify) and an
 * interrupt one read (the ISR), so the trap cost is small beside the request's.
 *
 * Pure part (core/arch/x86/ioport_map.c, host-tested): the bitmap and the reserved
 * ranges. The rest (ioport.c) is the hypervisor's. */
#ifndef HVLAB_IOPORT_H
#define HVLAB_IOPORT_H

#include <hvlab/types.h>

#define IOPORT_MAP_BYTES 8192           /* one bit per port: 1 = the domain may use it */

struct ioport_range {
    uint16_t first, last;               /* inclusive */
    const char *what;
};

/* Permit (allow) or forbid ports [first, first + n) in map; first + n <= 0x10000. */
void ioport_map_set(uint8_t *map, unsigned first, unsigned n, bool allow);
/* Whether every byte of a size-byte access at port is permitted (an access that runs
 * past 0xffff is not). */
bool ioport_map_allows(const uint8_t *map, unsigned port, unsigned size);
/* The first range of r[0..nr) that [first, first + n) overlaps, or NULL. */
const struct ioport_range *ioport_ranges_hit(const struct ioport_range *r, unsigned nr,
                                             unsigned first, unsigned n);

struct domain;
struct cpu_regs;
struct domctl_ioport_permission;

/* At boot, after ACPI: the hypervisor's own ports (the FADT's PM1a control among them). */
void ioport_init(void);
/* dom0: every port but the hypervisor's. 0 or -ENOMEM. */
int ioport_grant_dom0(struct domain *d);
/* Frees d's map (domain_free). */
void ioport_domain_free(struct domain *d);
/* DOMCTL_ioport_permission on d, by the privileged caller. */
long ioport_domctl(struct domain *d, const struct domctl_ioport_permission *p);
/* A #GP from PV guest code: true if it was a port access the domain may make (done,
 * RIP advanced); false to bounce the #GP (a refusal is traced). */
bool ioport_pv_emulate(struct cpu_regs *r);

#endif
