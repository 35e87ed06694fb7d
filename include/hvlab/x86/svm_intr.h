/* The pure decisions of HVM interrupt injection (core/arch/x86/svm/svm_intr.c,
 * docs/svm-under-qemu.md's procedure), inline so that host tests check them
 * (tests/unit/test_svm_intr.c). */
#ifndef HVLAB_X86_SVM_INTR_H
#define HVLAB_X86_SVM_INTR_H

#include <hvlab/types.h>
#include <hvlab/x86/vmcb.h>

/* Step 1: EXITINTINFO as the event to inject again. QEMU reports a virtual interrupt
 * whose delivery faulted as an exception (TYPE 3) with its vector >= 32, which VMRUN
 * refuses (VMEXIT_INVALID): such an event is an external interrupt, without EV. */
static inline uint64_t svm_event_normalise(uint64_t e)
{
    if (!(e & EVENTINJ_VALID))
        return 0;
    if ((e & EVENTINJ_TYPE_MASK) == EVENTINJ_TYPE_EXC && (e & EVENTINJ_VECTOR_MASK) >= 32)
        return (e & EVENTINJ_VECTOR_MASK) | EVENTINJ_TYPE_INTR | EVENTINJ_VALID;
    return e;
}

enum svm_intr_action {
    SVM_INTR_NONE,      /* nothing waits */
    SVM_INTR_INJECT,    /* EVENTINJ the interrupt now */
    SVM_INTR_PROBE,     /* V_IRQ + VINTR intercept: exit when the window opens */
    SVM_INTR_STEP,      /* TF + #DB intercept: step over a shadow VMRUN would ignore */
};

/* Step 4 for an interrupt that waits (irq), given whether EVENTINJ already holds an
 * event (kept from EXITINTINFO, or an exception), the guest's IF and its shadow. */
static inline enum svm_intr_action svm_intr_choose(bool irq, bool eventinj_taken, bool if_set,
                                                   bool shadow)
{
    if (!irq)
        return SVM_INTR_NONE;
    if (eventinj_taken)
        return SVM_INTR_PROBE;          /* after the event: find the next window */
    if (shadow)
        return SVM_INTR_STEP;
    return if_set ? SVM_INTR_INJECT : SVM_INTR_PROBE;
}

#endif
