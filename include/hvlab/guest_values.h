/* Checks on the values a guest hands the hypervisor to load in ring 0 or to compute
 * with (core/lib/guest_values.c). One place, used by every hypercall that takes such
 * a value, so that what real hardware would fault on (a non-canonical address loaded
 * by WRMSR or IRETQ, a privileged flag in RFLAGS) is refused before the hypervisor
 * loads it, whether or not QEMU would fault. docs/security.md lists the users.
 *
 * The guest half is [0, GUEST_VIRT_END): every address in it is canonical. */
#ifndef HVLAB_GUEST_VALUES_H
#define HVLAB_GUEST_VALUES_H

#include "types.h"

struct vcpu_guest_context;

/* Bits 63..47 all equal: what WRMSR to FS/GS bases and IRETQ's RIP require. */
bool is_canonical(uint64_t va);
/* A guest entry point (RIP, trap handler, event callback): in the guest half. */
bool guest_code_ok(uint64_t va);
/* A guest stack pointer: in the guest half. GUEST_VIRT_END itself, the "empty stack
 * at the top" value, is non-canonical and refused. */
bool guest_stack_ok(uint64_t rsp);
/* count elements of size bytes from va lie in the guest half, with no overflow in
 * count * size or in the sum (an empty array is always fine). */
bool guest_array_ok(uint64_t va, uint64_t count, uint64_t size);
/* RFLAGS for ring 3: what ring 3 may set itself with POPF (the arithmetic flags, TF,
 * DF); IF and the reserved bit 1 forced on; IOPL, NT, RF, VM, AC, VIF, VIP, ID off.
 * TF is harmless to the hypervisor: SFMASK clears it on SYSCALL, so its single-step
 * trap never lands in ring 0, and every other entry switches to the vCPU's stack. */
uint64_t guest_rflags_sanitize(uint64_t rflags);
/* A vCPU context from a guest (VCPUOP_initialise) or dom0 (setvcpucontext): 0, or
 * -EINVAL naming nothing loaded. Checks RIP, RSP, FS/GS bases and the event callback;
 * the L4 frame is the caller's (pv_set_base). */
int guest_context_check(const struct vcpu_guest_context *c);

#endif
