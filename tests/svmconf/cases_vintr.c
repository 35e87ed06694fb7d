/* Virtual interrupts (V_IRQ) and interrupt shadows: AMD64 APM vol. 2, 15.21.4
 * "Injecting Virtual (INTR) Interrupts" (taken when V_IRQ is set, V_INTR_PRIO > V_TPR
 * unless V_IGN_TPR, the guest's IF = 1 and no interrupt shadow; V_IRQ is cleared when
 * taken), 15.21.5 "Interrupt Shadows" (INT_STATE_SHADOW loaded by VMRUN, written by
 * #VMEXIT), 15.13.5 and 15.21.6 (VINTR intercept: exit just before taking it, the
 * V_IRQ still pending). All run with V_INTR_MASKING, as a hypervisor does. */
#include "svmconf.h"

#define VEC_VIRQ 0x41

static uint64_t virq(uint64_t vec, uint64_t prio, uint64_t tpr)
{
    return VINTR_IRQ | VINTR_MASKING | (prio << VINTR_PRIO_SHIFT) |
           (vec << VINTR_VECTOR_SHIFT) | tpr;
}

struct vcase {
    const char *name;
    const char *snippet;
    uint64_t rflags, int_state, vintr;
    bool intercept_vintr;
    /* expected */
    uint32_t exit;
    const char *at;             /* where the V_IRQ is taken or the VINTR exit is, or NULL */
    bool irq_left;              /* V_IRQ still set after the exit */
};

static void run_vcase(const struct vcase *c)
{
    struct sbuf exp, got;
    uint32_t code;

    vm_reset(c->snippet, c->rflags);
    vmcb.ctl.int_state = c->int_state;
    vmcb.ctl.vintr = c->vintr;
    if (c->intercept_vintr)
        vmcb.ctl.intercept1 |= INTERCEPT1_VINTR;
    code = vm_run();
    sb_init(&exp);
    sb_exit(&exp, c->exit);
    if (c->exit == VMEXIT_VINTR)
        sb_rip(&exp, "rip", (uint64_t)(uintptr_t)c->at, c->snippet);
    sb_kv(&exp, "v_irq", c->irq_left);
    if (c->exit == VMEXIT_VMMCALL && c->at) {
        sb_kv(&exp, "events", 1);
        sb_event(&exp, VEC_VIRQ, 0, (uint64_t)(uintptr_t)c->at, c->snippet);
    } else {
        sb_str(&exp, " events=none");
    }
    sb_init(&got);
    sb_exit(&got, code);
    if (code == VMEXIT_VINTR)
        sb_rip(&got, "rip", vmcb.save.rip, c->snippet);
    sb_kv(&got, "v_irq", !!(vmcb.ctl.vintr & VINTR_IRQ));
    sb_glog(&got, c->snippet);
    report(c->name, &exp, &got);
}

/* A VMMCALL right after STI or MOV SS exits inside their one-instruction shadow:
 * #VMEXIT must save INT_STATE_SHADOW = 1 (and 0 after an ordinary instruction), or a
 * hypervisor resuming the guest would open the window one instruction early. */
static void shadow_case(const char *name, const char *snippet, const char *call,
                        uint64_t rflags, uint64_t want)
{
    struct sbuf exp, got;
    uint32_t code;

    vm_reset(snippet, rflags);
    code = vm_run();
    sb_init(&exp);
    sb_exit(&exp, VMEXIT_VMMCALL);
    sb_rip(&exp, "rip", (uint64_t)(uintptr_t)call, snippet);
    sb_kv(&exp, "shadow", want);
    sb_init(&got);
    sb_exit(&got, code);
    sb_rip(&got, "rip", vmcb.save.rip, snippet);
    sb_kv(&got, "shadow", vmcb.ctl.int_state & INT_STATE_SHADOW);
    report(name, &exp, &got);
}

/* An injected event and a pending V_IRQ together: the injected event is delivered
 * first (VMRUN delivers it before the guest's first instruction boundary); its
 * handler runs with IF=0 (interrupt gate), and the V_IRQ is taken when IRETQ
 * restores IF=1, back at g_nops+0. */
static void event_and_virq(const char *name, uint64_t eventinj)
{
    struct sbuf exp, got;
    uint32_t code;
    uint64_t vec = eventinj & EVENTINJ_VECTOR_MASK;

    vm_reset(g_nops, RFLAGS_IF);
    vmcb.ctl.eventinj = eventinj;
    vmcb.ctl.vintr = virq(VEC_VIRQ, 0xf, 0);
    code = vm_run();
    sb_init(&exp);
    sb_exit(&exp, VMEXIT_VMMCALL);
    sb_kv(&exp, "events", 2);
    sb_event(&exp, vec, eventinj >> EVENTINJ_ERRCODE_SHIFT, (uint64_t)(uintptr_t)g_nops,
             g_nops);
    sb_event(&exp, VEC_VIRQ, 0, (uint64_t)(uintptr_t)g_nops, g_nops);
    sb_init(&got);
    sb_exit(&got, code);
    sb_glog(&got, g_nops);
    report(name, &exp, &got);
}

void cases_vintr(void)
{
    const uint64_t f = 0xf;
    const struct vcase cases[] = {
        { "virq_if1", g_nops, RFLAGS_IF, 0, virq(VEC_VIRQ, f, 0), false,
          VMEXIT_VMMCALL, g_nops, false },
        { "virq_if0_held", g_nop_exit, 0, 0, virq(VEC_VIRQ, f, 0), false,
          VMEXIT_VMMCALL, NULL, true },
        { "virq_if0_after_sti", g_sti, 0, 0, virq(VEC_VIRQ, f, 0), false,
          VMEXIT_VMMCALL, g_sti_open, false },
        { "virq_shadow_at_vmrun", g_nops, RFLAGS_IF, INT_STATE_SHADOW,
          virq(VEC_VIRQ, f, 0), false, VMEXIT_VMMCALL, g_nops + 1, false },
        { "vintr_intercept_open", g_nops, RFLAGS_IF, 0, virq(VEC_VIRQ, f, 0), true,
          VMEXIT_VINTR, g_nops, true },
        { "vintr_intercept_after_sti", g_sti, 0, 0, virq(VEC_VIRQ, f, 0), true,
          VMEXIT_VINTR, g_sti_open, true },
        { "vintr_intercept_shadow", g_nops, RFLAGS_IF, INT_STATE_SHADOW,
          virq(VEC_VIRQ, f, 0), true, VMEXIT_VINTR, g_nops + 1, true },
        { "virq_tpr_blocks_lower", g_nops, RFLAGS_IF, 0, virq(VEC_VIRQ, 3, 5), false,
          VMEXIT_VMMCALL, NULL, true },
        { "virq_tpr_blocks_equal", g_nops, RFLAGS_IF, 0, virq(VEC_VIRQ, 5, 5), false,
          VMEXIT_VMMCALL, NULL, true },
        { "virq_tpr_passes_higher", g_nops, RFLAGS_IF, 0, virq(VEC_VIRQ, 6, 5), false,
          VMEXIT_VMMCALL, g_nops, false },
        { "virq_ign_tpr", g_nops, RFLAGS_IF, 0,
          virq(VEC_VIRQ, 0, 0xf) | VINTR_IGN_TPR, false, VMEXIT_VMMCALL, g_nops, false },
    };

    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        run_vcase(&cases[i]);
    event_and_virq("pending_exc_and_virq", EVENTINJ_VALID | EVENTINJ_TYPE_EXC |
                   EVENTINJ_EV | 13 | (0x1234ull << EVENTINJ_ERRCODE_SHIFT));
    event_and_virq("pending_intr_and_virq", EVENTINJ_VALID | EVENTINJ_TYPE_INTR | 0x30);
    shadow_case("shadow_after_sti_exit", g_sti_exit, g_sti_exit_call, 0, 1);
    /* 15.21.5: the shadow follows "an STI instruction that sets EFLAGS.IF (from zero
     * to one)": none when IF was already 1. */
    shadow_case("shadow_after_sti_if1_exit", g_sti_exit, g_sti_exit_call, RFLAGS_IF, 0);
    shadow_case("shadow_after_movss_exit", g_movss_exit, g_movss_exit_call, 0, 1);
    shadow_case("shadow_after_nop_exit", g_nop_exit, g_nop_exit_call, 0, 0);
}
