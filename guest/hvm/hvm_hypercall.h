/* What hypercall.h needs for an HVM image (GUEST_HVM): the native switch, and the
 * HVM-only part of the ABI.
 *
 * The ABI is svm's include/public/hvm.h once merged; until then the numbers below are
 * the ones /work/hvm-interfaces.md fixes (hvm_op 34, Xen's sub-op numbers). */
#ifndef GUEST_HVM_HYPERCALL_H
#define GUEST_HVM_HYPERCALL_H

#include <stdint.h>
#include <stdbool.h>

/* Set at start-up when CPUID shows no hvlab hypervisor (hvm.c): every hypercall is
 * then answered by native.c instead of VMMCALL (which would raise #UD). */
extern bool hvm_native;
long native_hypercall(uint64_t nr, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
                      uint64_t a5);

#if __has_include(<public/hvm.h>)
#include <public/hvm.h>
#else
#define HYPERVISOR_hvm_op 34
#define HVMOP_set_evtchn_upcall_vector 23
struct hvm_evtchn_upcall_vector {
    uint32_t vcpu;
    uint8_t vector;
};
#endif

/* memory_op(XENMEM_add_to_physmap): the shared info page placed at a gfn of the
 * guest's choosing (Xen's call and numbers), the way an HVM guest finds it. */
#ifndef XENMEM_add_to_physmap
#define XENMEM_add_to_physmap 7
#define XENMAPSPACE_shared_info 0
struct xen_add_to_physmap {
    uint16_t domid;             /* DOMID_SELF */
    uint16_t size;
    uint32_t space;             /* XENMAPSPACE_shared_info */
    uint64_t idx;               /* 0 */
    uint64_t gpfn;
};
#endif

#endif
