/* `create` of an HVM domain (type = "hvm"): dom0/xl_hvm.c, called from xl_create.c. */
#ifndef DOM0_XL_HVM_H
#define DOM0_XL_HVM_H

#include "dom0.h"
#include "mbimage.h"
#include "xlcfg.h"

/* The HVM part of the ABI (svm's include/public/domctl.h); the same values until that
 * is merged into this branch. */
#ifndef DOMCTL_hvm_setcontext
#define DOMCTL_hvm_setcontext 14
#define DOMCRF_hvm            (1u << 0)
#define HVM_BOOT_PROT32       1
#define HVM_BOOT_LONG64       2
struct domctl_hvm_context {
    uint32_t vcpu;
    uint32_t mode;
    uint64_t rip, rsp, rax, rbx, rsi, cr3;
    uint64_t gdt_base;
};
#endif

/* Before anything is allocated: the kernel module is a Multiboot v1 ELF that fits
 * the domain's memory. 0 and img filled, or -errno after a line
 * "create <name>: kernel '<file>': <problem>". */
int xl_hvm_check(const struct domain_config *cfg, const struct start_module *kernel,
                 struct mbimage *img);

/* createdomain (DOMCRF_hvm; the hypervisor allocates every frame), the kernel's
 * segments and the multiboot info written through foreign mappings of its frames,
 * vCPU 0 set to the kernel's entry in 32-bit protected mode. *domid is set as soon
 * as the domain exists (the caller destroys it on an error). 0 or -errno, after a
 * line saying why. The caller sets affinity and scheduler parameters and unpauses. */
int xl_hvm_build(const struct domain_config *cfg, const struct start_module *kernel,
                 const struct mbimage *img, uint32_t pool, hv_domid_t *domid);

#endif
