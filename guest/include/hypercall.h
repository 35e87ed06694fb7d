/* Hypercalls from a PV guest (ring 3), one wrapper hv_NAME() per HYPERVISOR_NAME
 * (the public headers use the HYPERVISOR_* names for the numbers): SYSCALL with the number in RAX and arguments
 * in RDI, RSI, RDX, R10, R8; the result in RAX (>= 0, or a negative errno). SYSCALL
 * clobbers RCX and R11. An HVM guest (built with GUEST_HVM, guest/hvm/) makes the
 * same calls with VMMCALL, or, booted with no hypervisor, has them answered by its
 * own runtime (guest/hvm/native.c). The argument registers are declared clobbered too, so that
 * nothing depends on the hypervisor preserving them. See include/public/hvlab.h. */
#ifndef GUEST_HYPERCALL_H
#define GUEST_HYPERCALL_H

#include <public/console.h>
#include <public/domctl.h>
#include <public/event_channel.h>
#include <public/hvlab.h>
#include <public/memory.h>
#include <public/mmu.h>
#include <public/sched.h>
#include <public/sysctl.h>
#include <public/vcpu.h>

/* Any hypercall, any arguments: for tests that must pass what the typed wrappers
 * below would not let through (bad pointers, unknown numbers, huge counts). */
#ifdef GUEST_HVM
#include "hvm_hypercall.h"
#define HYPERCALL_INSN "vmmcall"
#else
#define HYPERCALL_INSN "syscall"
#endif

static inline long hypercall5(uint64_t nr, uint64_t a1, uint64_t a2, uint64_t a3,
                              uint64_t a4, uint64_t a5)
{
    register uint64_t r10 asm("r10") = a4;
    register uint64_t r8 asm("r8") = a5;
    long ret;

#ifdef GUEST_HVM
    if (__builtin_expect(hvm_native, 0))
        return native_hypercall(nr, a1, a2, a3, a4, a5);
#endif
    asm volatile(HYPERCALL_INSN
                 : "=a"(ret), "+D"(a1), "+S"(a2), "+d"(a3), "+r"(r10), "+r"(r8)
                 : "a"(nr)
                 : "rcx", "r11", "memory");
    return ret;
}

#define _hc(nr, a1, a2, a3, a4, a5) \
    hypercall5((nr), (uint64_t)(a1), (uint64_t)(a2), (uint64_t)(a3), \
               (uint64_t)(a4), (uint64_t)(a5))

static inline long hv_set_trap_table(const struct trap_info *table)
{
    return _hc(HYPERVISOR_set_trap_table, table, 0, 0, 0, 0);
}

/* done: requests completed, a uint64_t (may be NULL). At most MMU_BATCH_MAX. */
static inline long hv_mmu_update(const struct mmu_update *req, uint64_t count,
                                         uint64_t *done, hv_domid_t foreigndom)
{
    return _hc(HYPERVISOR_mmu_update, req, count, done, foreigndom, 0);
}

/* Where event upcalls enter (failsafe: unused by the hypervisor for now). */
static inline long hv_set_callbacks(uint64_t event_callback, uint64_t failsafe_callback)
{
    return _hc(HYPERVISOR_set_callbacks, event_callback, failsafe_callback, 0, 0, 0);
}

static inline long hv_memory_op(unsigned cmd, void *arg)
{
    return _hc(HYPERVISOR_memory_op, cmd, arg, 0, 0, 0);
}

static inline long hv_multicall(struct multicall_entry *calls, uint64_t count)
{
    return _hc(HYPERVISOR_multicall, calls, count, 0, 0, 0);
}

static inline long hv_update_va_mapping(uint64_t va, uint64_t pte, uint64_t flags)
{
    return _hc(HYPERVISOR_update_va_mapping, va, pte, flags, 0, 0);
}

/* Absolute NOW() deadline in ns; 0 stops the timer. Expiry raises VIRQ_TIMER. */
static inline long hv_set_timer_op(uint64_t deadline_ns)
{
    return _hc(HYPERVISOR_set_timer_op, deadline_ns, 0, 0, 0, 0);
}

/* (major << 16) | minor: also the null hypercall. */
static inline long hv_version(void)
{
    return _hc(HYPERVISOR_version, 0, 0, 0, 0, 0);
}

static inline long hv_console_io(unsigned cmd, uint64_t count, void *buf)
{
    return _hc(HYPERVISOR_console_io, cmd, count, buf, 0, 0);
}

static inline long hv_vcpu_op(unsigned cmd, unsigned vcpu, void *arg)
{
    return _hc(HYPERVISOR_vcpu_op, cmd, vcpu, arg, 0, 0);
}

/* done as for hv_mmu_update. */
static inline long hv_mmuext_op(const struct mmuext_op *ops, uint64_t count,
                                        uint64_t *done, hv_domid_t foreigndom)
{
    return _hc(HYPERVISOR_mmuext_op, ops, count, done, foreigndom, 0);
}

static inline long hv_sched_op(unsigned cmd, void *arg)
{
    return _hc(HYPERVISOR_sched_op, cmd, arg, 0, 0, 0);
}

static inline long hv_event_channel_op(unsigned cmd, void *arg)
{
    return _hc(HYPERVISOR_event_channel_op, cmd, arg, 0, 0, 0);
}

static inline long hv_sysctl(struct sysctl *op)
{
    return _hc(HYPERVISOR_sysctl, op, 0, 0, 0, 0);
}

static inline long hv_domctl(struct domctl *op)
{
    return _hc(HYPERVISOR_domctl, op, 0, 0, 0, 0);
}

/* The trace ABI is not public yet: raw arguments. */
static inline long hv_trace_op(unsigned cmd, uint64_t a1, uint64_t a2)
{
    return _hc(HYPERVISOR_trace_op, cmd, a1, a2, 0, 0);
}

#endif
