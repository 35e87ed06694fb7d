/* `create` of an HVM domain (type = "hvm"): dom0/xl_hvm.c, called from xl_create.c. */
#ifndef DOM0_XL_HVM_H
#define DOM0_XL_HVM_H

#include <hvlab/hvmbuild.h>
#include <public/vnuma.h>
#include "dom0.h"
#include "xlcfg.h"

/* What xl_hvm_check found and decided, for xl_hvm_build (a large struct: static). */
struct xl_hvm {
    struct hvmbuild_image img;
    struct hvmbuild_module ramdisk;
    struct hvmbuild_config bc;
    struct hvmbuild_layout layout;
    char cmdline[XLCFG_KERNEL_MAX + XLCFG_EXTRA_MAX + 1];
    char loader[32];
    struct vnuma_layout vnuma;          /* nr_vnodes 0: none (docs/vnuma.md) */
    struct hvmbuild_numa numa;          /* its SRAT/SLIT view */
};

/* Before anything is allocated: the kernel module is a bzImage, a PVH ELF or a
 * Multiboot v1 kernel, the ramdisk module (if any) exists, and everything fits the
 * domain's memory and vCPUs (hvmbuild_detect + hvmbuild_layout, every refusal).
 * vnuma (nr_vnodes 0: none; checked already) becomes the guest's SRAT and SLIT and
 * goes to createdomain, which places the RAM by it.
 * 0 and h filled, or -errno after a line "create <name>: <file>: <problem>". */
int xl_hvm_check(const struct domain_config *cfg, const struct start_module *kernel,
                 const struct vnuma_layout *vnuma, struct xl_hvm *h);

/* createdomain (DOMCRF_hvm; the hypervisor allocates every frame), hvmbuild_populate
 * through foreign mappings of its frames, vCPU 0 set to the state hvmbuild computed.
 * *domid is set as soon as the domain exists (the caller destroys it on an error).
 * 0 or -errno, after a line saying why. The caller sets affinity and scheduler
 * parameters and unpauses. */
int xl_hvm_build(const struct domain_config *cfg, struct xl_hvm *h, uint32_t pool,
                 hv_domid_t *domid);

#endif
