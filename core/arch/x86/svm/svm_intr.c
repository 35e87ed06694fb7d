/* Interrupt injection for HVM vCPUs, following docs/svm-under-qemu.md's procedure
 * (the steps below are its numbers):
 *  1. on every #VMEXIT a valid EXITINTINFO is kept as the first event to inject,
 *     normalised (QEMU reports a V_IRQ whose delivery faulted as an exception with a
 *     vector >= 32, which VMRUN then refuses: TYPE 0 without EV instead); it was
 *     accepted by the vLAPIC/vPIC when first injected, so it is not accepted again;
 *  2. the probe (V_IRQ, V_IGN_TPR, V_INTR_PRIO, VINTR intercept) is cleared on every
 *     exit, and the interrupt shadow when hvlab completes the instruction it exited
 *     on (svm_intr_completed: the loop calls it when the handler moved RIP);
 *  3. a shadow still set at VMRUN while an interrupt waits is stepped over with
 *     RFLAGS.TF and the #DB intercept, offering nothing (QEMU ignores a shadow loaded
 *     by VMRUN, so a probe would exit inside it, forever);
 *  4. one event per VMRUN through EVENTINJ: the kept event, else an exception a
 *     handler raised, else the vLAPIC's or vPIC's interrupt, this only when RFLAGS.IF
 *     is set and there is no shadow; if an interrupt waits and the window is closed
 *     or EVENTINJ is taken, the probe finds the window (VINTR exit);
 *  5. nothing is ever delivered through V_IRQ (the probe's vector is never taken:
 *     its VINTR exit comes first).
 * The event-channel upcall (HVMOP_set_evtchn_upcall_vector) is an edge-triggered
 * vLAPIC interrupt, EOI'd by the guest: raised once per 0 -> 1 edge of
 * evtchn_upcall_pending (v->upcall_edge, set by the event channels), at the first
 * entry with evtchn_upcall_mask clear (as for a PV upcall: a masked guest looks at
 * the flag itself when it unmasks; an edge it consumed that way, flag clear again,
 * raises nothing). Not level-triggered: a guest EOIs before it clears the flag (as
 * Linux does), so a level request re-raised the vector at that EOI's exit, and every
 * event cost a second delivery, a VINTR exit and a second emulated EOI (issue 12:
 * two nested faults of ~4,500 instructions per PVHVM event). An event raised after
 * the guest cleared the flag is a new edge, so none is lost. */
#include <hvlab/domain.h>
#include <hvlab/trace.h>
#include <hvlab/x86/hvm_platform.h>
#include <hvlab/x86/svm.h>
#include <hvlab/x86/svm_intr.h>

#define RFLAGS_TF (1ull << 8)
#define RFLAGS_IF (1ull << 9)
#define DR6_BS (1ull << 14)
#define VEC_DB 1
#define PROBE (VINTR_IRQ | VINTR_IGN_TPR | (0xfull << VINTR_PRIO_SHIFT) | \
               (0xffull << VINTR_VECTOR_SHIFT))

/* Step 1 and the probe half of step 2, right after #VMEXIT. */
void svm_intr_exited(struct vcpu *v)
{
    struct vmcb *vm = v->arch.svm->vmcb;

    vm->ctl.eventinj = svm_event_normalise(vm->ctl.exitintinfo);
    vm->ctl.vintr &= ~PROBE;
    vm->ctl.intercept1 &= ~INTERCEPT1_VINTR;
}

/* Step 2: the instruction the guest exited on has retired (hvlab moved RIP past it). */
void svm_intr_completed(struct vcpu *v)
{
    v->arch.svm->vmcb->ctl.int_state &= ~INT_STATE_SHADOW;
}

/* The interrupt window opened: nothing to do here, the next entry injects (the probe
 * was cleared by svm_intr_exited). */
void svm_exit_vintr(struct vcpu *v)
{
    (void)v;
}

/* Step 3's #DB: the shadowed instruction ran. A #DB the guest asked for itself (its
 * own TF) is reflected to it. */
void svm_exit_db(struct vcpu *v)
{
    struct svm_vcpu *s = v->arch.svm;
    struct vmcb *vm = s->vmcb;

    if (!s->stepping) {
        svm_inject_exception(v, VEC_DB, -1);
        return;
    }
    s->stepping = false;
    vm->ctl.intercept_exc &= ~(1u << VEC_DB);
    vm->save.rflags = (vm->save.rflags & ~RFLAGS_TF) | (s->guest_tf ? RFLAGS_TF : 0);
    vm->save.dr6 &= ~DR6_BS;
    vm->ctl.int_state &= ~INT_STATE_SHADOW;
    if (s->guest_tf)                    /* the guest's own single step trapped too */
        svm_inject_exception(v, VEC_DB, -1);
}

static void probe(struct vmcb *vm)
{
    vm->ctl.vintr = (vm->ctl.vintr & ~PROBE) | VINTR_IRQ | VINTR_IGN_TPR |
                    (0xfull << VINTR_PRIO_SHIFT);
    vm->ctl.intercept1 |= INTERCEPT1_VINTR;
}

/* The upcall's edge: taken first, then the flag read, so an edge that comes in
 * between (the flag set again after the guest cleared it) stays for the next entry.
 * While masked, an edge whose flag is still set is kept until the mask clears. */
static void upcall_check(struct vcpu *v, uint8_t vector)
{
    if (!__atomic_exchange_n(&v->upcall_edge, 0, __ATOMIC_SEQ_CST))
        return;
    if (!__atomic_load_n(&v->vcpu_info->evtchn_upcall_pending, __ATOMIC_SEQ_CST))
        return;                         /* the guest consumed it itself */
    if (__atomic_load_n(&v->vcpu_info->evtchn_upcall_mask, __ATOMIC_SEQ_CST)) {
        __atomic_store_n(&v->upcall_edge, 1, __ATOMIC_SEQ_CST);
        return;
    }
    hvm_platform_upcall(v, vector);
}

/* Step 4, before every VMRUN, interrupts off. */
void svm_intr_deliver(struct vcpu *v)
{
    struct svm_vcpu *s = v->arch.svm;
    struct vmcb *vm = s->vmcb;
    bool extint;

    if (!hvm_platform_present(v))
        return;
    if (s->upcall_vector && v->vcpu_info)
        upcall_check(v, s->upcall_vector);
    if (s->stepping)
        return;                         /* step 3 in progress: offer nothing */
    int vec = hvm_platform_pending(v, &extint);
    switch (svm_intr_choose(vec >= 0, vm->ctl.eventinj & EVENTINJ_VALID,
                            vm->save.rflags & RFLAGS_IF, vm->ctl.int_state & INT_STATE_SHADOW)) {
    case SVM_INTR_NONE:
        return;
    case SVM_INTR_PROBE:
        probe(vm);
        return;
    case SVM_INTR_STEP:
        s->stepping = true;
        s->guest_tf = vm->save.rflags & RFLAGS_TF;
        vm->save.rflags |= RFLAGS_TF;
        vm->ctl.intercept_exc |= 1u << VEC_DB;
        return;
    case SVM_INTR_INJECT:
        break;
    }
    vec = hvm_platform_accept(v, vec, extint);
    if (vec < 0)
        return;
    vm->ctl.eventinj = (uint64_t)(uint8_t)vec | EVENTINJ_TYPE_INTR | EVENTINJ_VALID;
    TRACE_VCPU(TRC_HVM_INJECT, v, vm->ctl.eventinj, vm->save.rip);
}

/* HLT does not block when a wake-up is pending already: an interrupt the guest can
 * take (IF set, as hardware requires), or an event (evtchn_upcall_pending), whatever
 * IF, upcall vector or upcall mask say: an event sent to a blocked vCPU wakes it in
 * any case (the ABI: an event ends HLT), so one sent just before the HLT must too.
 * Asking for IF before counting the event lost such a wake-up for good (a guest that
 * halted with interrupts off after its timer's event arrived slept forever:
 * test_svm case_hvm_guest, once dom0's work on the other pCPU made the deadline pass
 * first). */
bool svm_intr_wakeup_pending(struct vcpu *v)
{
    bool extint;

    if (v->vcpu_info && __atomic_load_n(&v->vcpu_info->evtchn_upcall_pending, __ATOMIC_SEQ_CST))
        return true;
    return (v->arch.svm->vmcb->save.rflags & RFLAGS_IF) && hvm_platform_pending(v, &extint) >= 0;
}
