/* Physical interrupts while the guest runs: AMD64 APM vol. 2, 15.13.1 "INTR
 * Intercept" (the interrupt exits with code 0x60 and stays pending, not acknowledged),
 * 15.17 "Global Interrupt Flag" (#VMEXIT clears GIF: the host takes the interrupt only
 * after STGI), 15.21.1 "Physical Interrupt Masking in EFLAGS" (with V_INTR_MASKING the
 * host's IF saved by VMRUN masks physical interrupts, without it the guest's IF does).
 * The source is the host's LAPIC timer, one-shot, armed with GIF=0 just before VMRUN
 * while the guest spins (g_spin) long past its expiry. */
#include "svmconf.h"

#define TIMER_COUNT 20000           /* LAPIC ticks: far inside g_spin's run */

struct icase {
    const char *name;
    const char *snippet;
    uint64_t guest_rflags;
    bool vmask;                     /* V_INTR_MASKING */
    bool host_if;                   /* host IF at VMRUN */
    bool pending_first;             /* the timer has fired before VMRUN */
    bool virq;                      /* a V_IRQ is pending too (never taken: physical first) */
    /* expected */
    uint32_t exit;
    const char *rip;                /* guest RIP at the INTR exit (NULL: inside g_spin) */
    unsigned after_stgi;            /* host interrupts taken right after STGI */
};

static void run_icase(const struct icase *c)
{
    struct sbuf exp, got;
    uint32_t code;
    unsigned held, after, drained;
    uint64_t rip;

    vm_reset(c->snippet, c->guest_rflags);
    vmcb.ctl.intercept1 |= INTERCEPT1_INTR;
    vmcb.ctl.vintr = c->vmask ? VINTR_MASKING : 0;
    if (c->virq)
        vmcb.ctl.vintr |= VINTR_IRQ | (0xfull << VINTR_PRIO_SHIFT) |
                          (0x41ull << VINTR_VECTOR_SHIFT);
    host_timer_hits = 0;
    cli();
    if (c->pending_first) {
        lapic_timer_arm(100);
        while (!lapic_irr(HOST_TIMER_VEC))
            ;
    }
    clgi();
    if (!c->pending_first)
        lapic_timer_arm(TIMER_COUNT);
    if (c->host_if)
        sti();
    code = vm_run();
    held = host_timer_hits;         /* GIF = 0 since the #VMEXIT */
    stgi();
    __asm__ volatile("nop");
    cli();
    after = host_timer_hits;
    sti();                          /* whatever is still pending, take it now */
    __asm__ volatile("nop");
    cli();
    drained = host_timer_hits;
    rip = vmcb.save.rip;

    sb_init(&exp);
    sb_exit(&exp, c->exit);
    if (c->exit == VMEXIT_INTR) {
        if (c->rip)
            sb_rip(&exp, "rip", (uint64_t)(uintptr_t)c->rip, c->snippet);
        else
            sb_str(&exp, " rip=in_spin");
    }
    sb_kv(&exp, "v_irq", c->virq);
    sb_kv(&exp, "held_gif0", 0);
    sb_kv(&exp, "after_stgi", c->after_stgi);
    sb_kv(&exp, "total", 1);
    sb_str(&exp, " events=none");

    sb_init(&got);
    sb_exit(&got, code);
    if (code == VMEXIT_INTR) {
        if (c->rip || rip < (uint64_t)(uintptr_t)g_spin ||
            rip >= (uint64_t)(uintptr_t)g_spin_end)
            sb_rip(&got, "rip", rip, c->snippet);
        else
            sb_str(&got, " rip=in_spin");
    }
    sb_kv(&got, "v_irq", !!(vmcb.ctl.vintr & VINTR_IRQ));
    sb_kv(&got, "held_gif0", held);
    sb_kv(&got, "after_stgi", after);
    sb_kv(&got, "total", drained);
    sb_glog(&got, c->snippet);
    report(c->name, &exp, &got);
}

/* A physical NMI pending at VMRUN with the NMI intercept (15.21.9, table 15-13): the
 * guest exits with code 0x61 before its first instruction, the NMI stays pending
 * through GIF = 0 and reaches the host at STGI. */
static void nmi_pending(void)
{
    struct sbuf exp, got;
    uint32_t code;
    unsigned held, after;

    vm_reset(g_nops, RFLAGS_IF);
    vmcb.ctl.intercept1 |= INTERCEPT1_NMI | INTERCEPT1_INTR;
    vmcb.ctl.vintr = VINTR_MASKING;
    host_nmi_hits = 0;
    cli();
    clgi();
    lapic_self_nmi();
    code = vm_run();
    held = host_nmi_hits;
    stgi();
    __asm__ volatile("nop");
    after = host_nmi_hits;
    sb_init(&exp);
    sb_exit(&exp, VMEXIT_NMI);
    sb_rip(&exp, "rip", (uint64_t)(uintptr_t)g_nops, g_nops);
    sb_kv(&exp, "held_gif0", 0);
    sb_kv(&exp, "after_stgi", 1);
    sb_str(&exp, " events=none");
    sb_init(&got);
    sb_exit(&got, code);
    sb_rip(&got, "rip", vmcb.save.rip, g_nops);
    sb_kv(&got, "held_gif0", held);
    sb_kv(&got, "after_stgi", after);
    sb_glog(&got, g_nops);
    report("nmi_pending_at_vmrun", &exp, &got);
}

void cases_intr(void)
{
    const struct icase cases[] = {
        { "intr_exit_vmask_guest_if0", g_spin, 0, true, true, false, false,
          VMEXIT_INTR, NULL, 1 },
        { "intr_exit_vmask_guest_if1", g_spin, RFLAGS_IF, true, true, false, false,
          VMEXIT_INTR, NULL, 1 },
        { "intr_exit_nomask_guest_if1", g_spin, RFLAGS_IF, false, true, false, false,
          VMEXIT_INTR, NULL, 1 },
        { "intr_held_nomask_guest_if0", g_spin, 0, false, true, false, false,
          VMEXIT_VMMCALL, NULL, 1 },
        { "intr_held_vmask_host_if0", g_spin, RFLAGS_IF, true, false, false, false,
          VMEXIT_VMMCALL, NULL, 0 },
        { "intr_pending_at_vmrun", g_nops, RFLAGS_IF, true, true, true, false,
          VMEXIT_INTR, g_nops, 1 },
        { "intr_pending_at_vmrun_guest_if0", g_nops, 0, true, true, true, false,
          VMEXIT_INTR, g_nops, 1 },
        { "intr_before_virq", g_nops, RFLAGS_IF, true, true, true, true,
          VMEXIT_INTR, g_nops, 1 },
    };

    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        run_icase(&cases[i]);
    nmi_pending();
}
