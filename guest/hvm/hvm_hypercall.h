/* What hypercall.h needs for an HVM image (GUEST_HVM): the native switch, and the
 * HVM-only part of the ABI (public/hvm.h). */
#ifndef GUEST_HVM_HYPERCALL_H
#define GUEST_HVM_HYPERCALL_H

#include <stdint.h>
#include <stdbool.h>

/* Set at start-up when CPUID shows no hvlab hypervisor (hvm.c): every hypercall is
 * then answered by native.c instead of VMMCALL (which would raise #UD). */
extern bool hvm_native;
long native_hypercall(uint64_t nr, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
                      uint64_t a5);

#include <public/hvm.h>

#endif
