/* EVENTINJ and EXITINTINFO cases (AMD64 APM vol. 2, 15.20 "Event Injection" and
 * 15.7.2 "Intercepts During IDT Interrupt Delivery"). The guest starts at g_nops; an
 * injected event is taken before the first guest instruction, so its return RIP is
 * g_nops+0 whatever the guest's IF and interrupt shadow. */
#include "svmconf.h"

#define VEC_INTR 0x30

/* Run the guest at g_nops with eventinj; expect one event at +0 then the VMMCALL. */
static void inject_one(const char *name, uint64_t rflags, uint64_t int_state,
                       uint64_t eventinj, uint64_t cr2)
{
    struct sbuf exp, got;
    uint64_t vec = eventinj & EVENTINJ_VECTOR_MASK;
    uint32_t code;

    vm_reset(g_nops, rflags);
    vmcb.ctl.int_state = int_state;
    vmcb.ctl.eventinj = eventinj;
    vmcb.save.cr2 = cr2;
    code = vm_run();
    sb_init(&exp);
    sb_exit(&exp, VMEXIT_VMMCALL);
    sb_kv(&exp, "events", 1);
    sb_event(&exp, vec, eventinj >> EVENTINJ_ERRCODE_SHIFT, (uint64_t)(uintptr_t)g_nops,
             g_nops);
    if (vec == 14)
        sb_kv(&exp, "cr2", cr2);
    sb_init(&got);
    sb_exit(&got, code);
    sb_glog(&got, g_nops);
    report(name, &exp, &got);
}

/* The injected event's delivery faults: the exit reports that fault and, in
 * EXITINTINFO, the event it interrupted, in EVENTINJ's format. */
static void inject_fault(const char *name, uint64_t rsp, uint32_t want_exit,
                         uint64_t want_info1, uint64_t info1_mask, uint64_t eventinj)
{
    struct sbuf exp, got;
    uint32_t code;

    vm_reset(g_nops, RFLAGS_IF);
    vmcb.ctl.intercept_exc = 1u << 14;
    vmcb.ctl.eventinj = eventinj;
    vmcb.save.rsp = rsp;
    code = vm_run();
    sb_init(&exp);
    sb_exit(&exp, want_exit);
    sb_kv(&exp, "exitintinfo", eventinj);
    sb_kv(&exp, "info1", want_info1);
    sb_kv(&exp, "info2", (rsp & ~15ull) - 8);   /* the first push: SS, 16-aligned frame */
    sb_rip(&exp, "rip", (uint64_t)(uintptr_t)g_nops, g_nops);
    sb_str(&exp, " events=none");
    sb_init(&got);
    sb_exit(&got, code);
    sb_kv(&got, "exitintinfo", vmcb.ctl.exitintinfo);
    sb_kv(&got, "info1", vmcb.ctl.exitinfo1 & info1_mask);
    sb_kv(&got, "info2", vmcb.ctl.exitinfo2);
    sb_rip(&got, "rip", vmcb.save.rip, g_nops);
    sb_glog(&got, g_nops);
    report(name, &exp, &got);
}

/* After inject_fault: map what faulted, copy EXITINTINFO to EVENTINJ, run again: the
 * event arrives as if the first delivery had worked. */
static void reinject(const char *name)
{
    struct sbuf exp, got;
    uint64_t ev = vmcb.ctl.exitintinfo;
    uint32_t code;

    npt_set_hole(true);
    vmcb.ctl.eventinj = ev;
    vmcb.ctl.exitintinfo = 0;
    code = vm_run();
    sb_init(&exp);
    sb_exit(&exp, VMEXIT_VMMCALL);
    sb_kv(&exp, "events", 1);
    sb_event(&exp, ev & EVENTINJ_VECTOR_MASK, ev >> EVENTINJ_ERRCODE_SHIFT,
             (uint64_t)(uintptr_t)g_nops, g_nops);
    sb_init(&got);
    sb_exit(&got, code);
    sb_glog(&got, g_nops);
    report(name, &exp, &got);
    npt_set_hole(false);
}

/* EVENTINJ of type exception with vector 2 is illegal: VMRUN fails (VMEXIT_INVALID)
 * and the guest runs nothing. */
static void inject_invalid(void)
{
    struct sbuf exp, got;
    uint32_t code;

    vm_reset(g_nops, RFLAGS_IF);
    vmcb.ctl.eventinj = EVENTINJ_VALID | EVENTINJ_TYPE_EXC | 2;
    code = vm_run();
    sb_init(&exp);
    sb_exit(&exp, VMEXIT_INVALID);
    sb_str(&exp, " events=none");
    sb_init(&got);
    sb_exit(&got, code);
    sb_glog(&got, g_nops);
    report("eventinj_exc_vector2_invalid", &exp, &got);
}

/* An injected exception is not checked against the exception intercepts: with #GP
 * intercepted, an injected #GP still reaches the guest. */
static void inject_not_intercepted(void)
{
    struct sbuf exp, got;
    uint32_t code;

    vm_reset(g_nops, RFLAGS_IF);
    vmcb.ctl.intercept_exc = 1u << 13;
    vmcb.ctl.eventinj = EVENTINJ_VALID | EVENTINJ_TYPE_EXC | EVENTINJ_EV | 13 |
                        (0x18ull << EVENTINJ_ERRCODE_SHIFT);
    code = vm_run();
    sb_init(&exp);
    sb_exit(&exp, VMEXIT_VMMCALL);
    sb_kv(&exp, "events", 1);
    sb_event(&exp, 13, 0x18, (uint64_t)(uintptr_t)g_nops, g_nops);
    sb_init(&got);
    sb_exit(&got, code);
    sb_glog(&got, g_nops);
    report("eventinj_exc_not_intercepted", &exp, &got);
}

/* Events that were not injected by EVENTINJ end in EXITINTINFO the same way: a V_IRQ
 * (V_IRQ is cleared before the IDT access, so only EXITINTINFO still holds it) and a
 * guest-raised #UD, both with the stack in the nested table's hole. */
static void fault_other_event(const char *name, const char *snippet, uint64_t vintr,
                              uint64_t want_info)
{
    struct sbuf exp, got;
    uint64_t rsp = GUEST_HOLE_GPA + 0x100000;
    uint32_t code;

    vm_reset(snippet, RFLAGS_IF);
    vmcb.ctl.vintr = vintr;
    vmcb.save.rsp = rsp;
    code = vm_run();
    sb_init(&exp);
    sb_exit(&exp, VMEXIT_NPF);
    sb_kv(&exp, "exitintinfo", want_info);
    sb_kv(&exp, "info2", (rsp & ~15ull) - 8);
    sb_rip(&exp, "rip", (uint64_t)(uintptr_t)snippet, snippet);
    sb_kv(&exp, "v_irq", 0);
    sb_str(&exp, " events=none");
    sb_init(&got);
    sb_exit(&got, code);
    sb_kv(&got, "exitintinfo", vmcb.ctl.exitintinfo);
    sb_kv(&got, "info2", vmcb.ctl.exitinfo2);
    sb_rip(&got, "rip", vmcb.save.rip, snippet);
    sb_kv(&got, "v_irq", !!(vmcb.ctl.vintr & VINTR_IRQ));
    sb_glog(&got, snippet);
    report(name, &exp, &got);
}

void cases_inject(void)
{
    const uint64_t intr = EVENTINJ_VALID | EVENTINJ_TYPE_INTR | VEC_INTR;
    const uint64_t gp = EVENTINJ_VALID | EVENTINJ_TYPE_EXC | EVENTINJ_EV | 13 |
                        (0x1234ull << EVENTINJ_ERRCODE_SHIFT);
    const uint64_t pf = EVENTINJ_VALID | EVENTINJ_TYPE_EXC | EVENTINJ_EV | 14 |
                        (0x2ull << EVENTINJ_ERRCODE_SHIFT);
    const uint64_t nmi = EVENTINJ_VALID | EVENTINJ_TYPE_NMI | 2;
    const uint64_t hole_rsp = GUEST_HOLE_GPA + 0x100000;

    inject_one("eventinj_intr_if1", RFLAGS_IF, 0, intr, 0);
    inject_one("eventinj_intr_if0", 0, 0, intr, 0);
    inject_one("eventinj_intr_shadow", RFLAGS_IF, INT_STATE_SHADOW, intr, 0);
    inject_one("eventinj_gp_errcode", RFLAGS_IF, 0, gp, 0);
    inject_one("eventinj_pf_cr2", RFLAGS_IF, 0, pf, 0xdead000);
    inject_one("eventinj_nmi", 0, 0, nmi, 0);
    inject_invalid();
    inject_not_intercepted();
    /* A guest #PF (intercepted) on the stack push of an injected interrupt: the
     * error code is a supervisor write to a not-present page. */
    inject_fault("exitintinfo_pf_intercept", GUEST_UNMAPPED_VA, VMEXIT_EXC_BASE + 14,
                 0x2, ~0ull, intr);
    /* A nested page fault on the push (the stack is in the nested table's hole): a
     * write to a not-present final GPA (the U bit varies: nested walks are user). */
    inject_fault("exitintinfo_npf_intr", hole_rsp, VMEXIT_NPF,
                 NPF_FINAL_GPA | 0x2, NPF_FINAL_GPA | NPF_IN_WALK | 0x3, intr);
    reinject("exitintinfo_reinject_intr");
    inject_fault("exitintinfo_npf_gp", hole_rsp, VMEXIT_NPF,
                 NPF_FINAL_GPA | 0x2, NPF_FINAL_GPA | NPF_IN_WALK | 0x3, gp);
    reinject("exitintinfo_reinject_gp");
    fault_other_event("exitintinfo_npf_virq", g_nops,
                      VINTR_IRQ | VINTR_MASKING | (0xfull << VINTR_PRIO_SHIFT) |
                      (0x41ull << VINTR_VECTOR_SHIFT), EVENTINJ_VALID | 0x41);
    reinject("exitintinfo_reinject_virq");
    fault_other_event("exitintinfo_npf_guest_ud", g_ud, 0,
                      EVENTINJ_VALID | EVENTINJ_TYPE_EXC | 6);
}
