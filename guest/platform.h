/* The platform layer: what differs between a PV guest and an HVM guest (which, booted
 * with no hypervisor, is also the native build), behind one interface, so that the
 * runtime's other files and every workload compile unchanged for both.
 *
 *   what                 PV (guest/plat_pv.c)          HVM (guest/hvm/plat_hvm.c)
 *   hypercall insn       SYSCALL (hypercall.h)         VMMCALL, same numbers and registers;
 *                                                      natively answered in-guest (native.c)
 *   exceptions           set_trap_table -> bounce      the guest's own IDT (boot.S)
 *   events arrive        upcall to the bounce entry    an interrupt vector (HVMOP_set_evtchn_
 *                                                      upcall_vector; natively the LAPIC timer)
 *   halting              SCHEDOP_block                 cli; unmask; sti; hlt
 *   secondary vCPUs      VCPUOP_initialise + up        INIT + SIPI via the LAPIC to a
 *                                                      real-mode trampoline (smp_hvm.c)
 *   timers, console      set_timer_op, console_io in both (natively: LAPIC timer, COM1)
 *
 * Each function below has one definition per platform; a guest image links exactly
 * one platform's runtime library (libguest.a or libguest-hvm.a, guest/guest.mk). */
#ifndef GUEST_PLATFORM_H
#define GUEST_PLATFORM_H

#include "smp.h"

/* What the platform calls (traps.c, events.c): the dispatch of one trap frame
 * (exceptions, and PV's event upcall), and the event upcall itself. */
void guest_bounce_dispatch(struct guest_trap_frame *f);
/* main.c: the runtime's start on vCPU 0, from either platform's entry. */
__noreturn void guest_main_init(const struct start_info *si);
void evtchn_do_upcall(void);

/* Exceptions: from here on, a fault reaches traps.c's guest_bounce_dispatch with a
 * struct guest_trap_frame (per vCPU: each vCPU calls it). */
void plat_traps_init(void);
/* Events: from here on, a pending unmasked event runs evtchn_do_upcall (events.c) on
 * the vCPU it was sent to, unless that vCPU's evtchn_upcall_mask is set. */
void plat_events_init(void);
/* guest.h's guest_block: sleeps until an event is pending, with no window in which
 * a wake-up is lost; returns with events enabled and handled. */
void plat_block(void);
/* Starts secondary vCPU v (its slot and stack filled in by vcpu_start) at
 * guest_vcpu_main(v). 0 or -errno; on an error, *stack_in_use says whether the
 * hypervisor may still hold a context on v's stack (then it must not be freed). */
int plat_vcpu_start(struct guest_vcpu *v, bool *stack_in_use);

#endif
