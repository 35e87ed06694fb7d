/* The workarounds docs/svm-under-qemu.md prescribes for hvlab's SVM core, checked to
 * give the architectural result on the SVM under test:
 * - an exit inside an interrupt shadow at an instruction the hypervisor completes
 *   (HLT after STI: Linux's idle) saves INT_STATE_SHADOW = 1; the hypervisor advances
 *   RIP and clears the shadow (the shadowed instruction has retired), and a V_IRQ set
 *   then is taken at the next instruction;
 * - a shadow still pending at VMRUN (the shadowed instruction did not complete) is
 *   stepped over with RFLAGS.TF and a #DB intercept before V_IRQ is offered, because
 *   QEMU ignores INT_STATE_SHADOW loaded by VMRUN;
 * - interrupts are delivered by EVENTINJ only, at a window found with a dummy V_IRQ
 *   (V_IGN_TPR) and the VINTR intercept, which exits before the V_IRQ is taken;
 * - an EXITINTINFO that QEMU reports for a V_IRQ as TYPE 3 (exception) with a vector
 *   of 32 or more is re-injected as TYPE 0 (interrupt), with V_IRQ cleared. */
#include "svmconf.h"

#define VEC_VIRQ   0x41
#define RFLAGS_TF  0x100ull

static uint64_t virq(void)
{
    return VINTR_IRQ | VINTR_MASKING | (0xfull << VINTR_PRIO_SHIFT) |
           ((uint64_t)VEC_VIRQ << VINTR_VECTOR_SHIFT);
}

static void sti_hlt(void)
{
    struct sbuf exp, got;
    uint32_t code;

    vm_reset(g_sti_hlt, 0);
    vmcb.ctl.intercept1 |= INTERCEPT1_HLT;
    code = vm_run();
    sb_init(&exp);
    sb_exit(&exp, VMEXIT_HLT);
    sb_rip(&exp, "rip", (uint64_t)(uintptr_t)g_sti_hlt_hlt, g_sti_hlt);
    sb_kv(&exp, "shadow", 1);
    sb_init(&got);
    sb_exit(&got, code);
    sb_rip(&got, "rip", vmcb.save.rip, g_sti_hlt);
    sb_kv(&got, "shadow", vmcb.ctl.int_state & INT_STATE_SHADOW);
    report("shadow_after_sti_hlt_exit", &exp, &got);

    /* What the SVM core does on a HLT exit with an interrupt pending: HLT is done. */
    vmcb.save.rip += 1;
    vmcb.ctl.int_state = 0;
    vmcb.ctl.vintr = virq();
    code = vm_run();
    sb_init(&exp);
    sb_exit(&exp, VMEXIT_VMMCALL);
    sb_kv(&exp, "events", 1);
    sb_event(&exp, VEC_VIRQ, 0, (uint64_t)(uintptr_t)g_sti_hlt_after, g_sti_hlt);
    sb_init(&got);
    sb_exit(&got, code);
    sb_glog(&got, g_sti_hlt);
    report("workaround_hlt_resume_virq", &exp, &got);
}

static void singlestep_shadow(void)
{
    struct sbuf exp, got;
    uint32_t code;

    /* The guest is in a shadow at g_nops+0 (as if it had exited there); an interrupt
     * is pending. Step one instruction without V_IRQ ... */
    vm_reset(g_nops, RFLAGS_IF | RFLAGS_TF);
    vmcb.ctl.int_state = INT_STATE_SHADOW;
    vmcb.ctl.intercept_exc = 1u << 1;
    code = vm_run();
    sb_init(&exp);
    sb_exit(&exp, VMEXIT_EXC_BASE + 1);
    sb_rip(&exp, "rip", (uint64_t)(uintptr_t)g_nops + 1, g_nops);
    sb_str(&exp, " events=none");
    sb_init(&got);
    sb_exit(&got, code);
    sb_rip(&got, "rip", vmcb.save.rip, g_nops);
    sb_glog(&got, g_nops);
    report("workaround_singlestep_shadow", &exp, &got);

    /* ... then drop TF and the #DB intercept (and the single-step status in DR6) and
     * offer the V_IRQ: taken at the boundary after the shadowed instruction. */
    vmcb.save.rflags &= ~RFLAGS_TF;
    vmcb.save.dr6 &= ~(1ull << 14);
    vmcb.ctl.intercept_exc = 0;
    vmcb.ctl.int_state = 0;
    vmcb.ctl.vintr = virq();
    code = vm_run();
    sb_init(&exp);
    sb_exit(&exp, VMEXIT_VMMCALL);
    sb_kv(&exp, "events", 1);
    sb_event(&exp, VEC_VIRQ, 0, (uint64_t)(uintptr_t)g_nops + 1, g_nops);
    sb_init(&got);
    sb_exit(&got, code);
    sb_glog(&got, g_nops);
    report("workaround_singlestep_then_virq", &exp, &got);
}

static void vintr_window_then_eventinj(void)
{
    struct sbuf exp, got;
    uint32_t code;

    vm_reset(g_sti, 0);
    vmcb.ctl.vintr = VINTR_IRQ | VINTR_MASKING | VINTR_IGN_TPR | (0xfull << VINTR_PRIO_SHIFT);
    vmcb.ctl.intercept1 |= INTERCEPT1_VINTR;
    code = vm_run();
    sb_init(&exp);
    sb_exit(&exp, VMEXIT_VINTR);
    sb_rip(&exp, "rip", (uint64_t)(uintptr_t)g_sti_open, g_sti);
    sb_init(&got);
    sb_exit(&got, code);
    sb_rip(&got, "rip", vmcb.save.rip, g_sti);
    report("workaround_vintr_window", &exp, &got);

    vmcb.ctl.vintr &= ~(VINTR_IRQ | VINTR_IGN_TPR | (0xfull << VINTR_PRIO_SHIFT));
    vmcb.ctl.intercept1 &= ~INTERCEPT1_VINTR;
    vmcb.ctl.eventinj = EVENTINJ_VALID | EVENTINJ_TYPE_INTR | 0x30;
    code = vm_run();
    sb_init(&exp);
    sb_exit(&exp, VMEXIT_VMMCALL);
    sb_kv(&exp, "events", 1);
    sb_event(&exp, 0x30, 0, (uint64_t)(uintptr_t)g_sti_open, g_sti);
    sb_init(&got);
    sb_exit(&got, code);
    sb_glog(&got, g_sti);
    report("workaround_window_eventinj", &exp, &got);
}

/* EXITINTINFO as the SVM core must read it: an exception type with a vector that is no
 * exception is an interrupt (QEMU's V_IRQ delivery reports TYPE 3). */
static uint64_t exitintinfo_fixed(uint64_t ev)
{
    if ((ev & EVENTINJ_TYPE_MASK) == EVENTINJ_TYPE_EXC && (ev & EVENTINJ_VECTOR_MASK) >= 32)
        ev = (ev & ~(EVENTINJ_TYPE_MASK | EVENTINJ_EV)) | EVENTINJ_TYPE_INTR;
    return ev;
}

static void virq_reinject_fixed(void)
{
    struct sbuf exp, got;
    uint32_t code;

    vm_reset(g_nops, RFLAGS_IF);
    vmcb.ctl.vintr = VINTR_IRQ | VINTR_MASKING | (0xfull << VINTR_PRIO_SHIFT) |
                     ((uint64_t)VEC_VIRQ << VINTR_VECTOR_SHIFT);
    vmcb.save.rsp = GUEST_HOLE_GPA + 0x100000;
    vm_run();                       /* NPF delivering the V_IRQ (exitintinfo_npf_virq) */
    npt_set_hole(true);
    vmcb.ctl.eventinj = exitintinfo_fixed(vmcb.ctl.exitintinfo);
    vmcb.ctl.vintr &= ~VINTR_IRQ;
    code = vm_run();
    sb_init(&exp);
    sb_exit(&exp, VMEXIT_VMMCALL);
    sb_kv(&exp, "events", 1);
    sb_event(&exp, VEC_VIRQ, 0, (uint64_t)(uintptr_t)g_nops, g_nops);
    sb_init(&got);
    sb_exit(&got, code);
    sb_glog(&got, g_nops);
    report("workaround_virq_reinject_fixed", &exp, &got);
    npt_set_hole(false);
}

/* An exception injected while an interrupt waits: EVENTINJ the exception and set the
 * probe in the same VMRUN; the handler runs with IF=0, and the VINTR exit comes when its
 * IRETQ opens the window again, back at +0. */
static void exception_then_window(void)
{
    struct sbuf exp, got;
    uint32_t code;

    vm_reset(g_nops, RFLAGS_IF);
    vmcb.ctl.eventinj = EVENTINJ_VALID | EVENTINJ_TYPE_EXC | EVENTINJ_EV | 13 |
                        (0x1234ull << EVENTINJ_ERRCODE_SHIFT);
    vmcb.ctl.vintr = VINTR_IRQ | VINTR_MASKING | VINTR_IGN_TPR | (0xfull << VINTR_PRIO_SHIFT);
    vmcb.ctl.intercept1 |= INTERCEPT1_VINTR;
    code = vm_run();
    sb_init(&exp);
    sb_exit(&exp, VMEXIT_VINTR);
    sb_rip(&exp, "rip", (uint64_t)(uintptr_t)g_nops, g_nops);
    sb_kv(&exp, "events", 1);
    sb_event(&exp, 13, 0x1234, (uint64_t)(uintptr_t)g_nops, g_nops);
    sb_init(&got);
    sb_exit(&got, code);
    sb_rip(&got, "rip", vmcb.save.rip, g_nops);
    sb_glog(&got, g_nops);
    report("workaround_exception_then_window", &exp, &got);
}

void cases_workaround(void)
{
    sti_hlt();
    singlestep_shadow();
    vintr_window_then_eventinj();
    exception_then_window();
    virq_reinject_fixed();
}
