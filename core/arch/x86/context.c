/* vCPU contexts on x86: stacks, the initial guest frame, the context switch and the
 * idle vCPUs. A guest vCPU's registers live on its own hypervisor stack while it is
 * not in the guest (struct cpu_regs at the very top); switching vCPUs switches
 * stacks, page tables, TSS.RSP0 and the guest's FS/GS bases. */
#include <hvlab/costmodel.h>
#include <hvlab/domain.h>
#include <hvlab/errno.h>
#include <hvlab/guest_values.h>
#include <hvlab/mm.h>
#include <hvlab/panic.h>
#include <hvlab/percpu.h>
#include <hvlab/sched.h>
#include <hvlab/timer.h>
#include <hvlab/x86/regs.h>
#include <hvlab/x86/svm.h>
#include <hvlab/xmalloc.h>

struct vcpu *switch_stack(struct vcpu *prev, uintptr_t *prev_rsp, uintptr_t next_rsp);
void vcpu_first_entry(void);
void pv_vcpu_switched_in(struct vcpu *v);
void context_switch_finish(struct vcpu *prev);
extern paddr_t idle_pml4_pa;

struct cpu_regs *guest_regs(struct vcpu *v)
{
    return (struct cpu_regs *)(v->arch.stack_top - sizeof(struct cpu_regs));
}

struct vcpu *current_vcpu(void)
{
    return this_cpu()->curr;
}

bool is_idle_vcpu(const struct vcpu *v)
{
    return v->domain == NULL;
}

/* Stack and an empty guest frame; the vCPU enters the guest only after
 * arch_set_guest_context gave it registers. */
int arch_vcpu_init(struct vcpu *v)
{
    v->arch.stack = alloc_heap_pages(VCPU_STACK_ORDER, v->domain->home_node, 0);
    if (!v->arch.stack)
        return -ENOMEM;
    v->arch.stack_top = (uintptr_t)v->arch.stack + (PAGE_SIZE << VCPU_STACK_ORDER);

    /* Below the guest frame: what switch_stack pops (6 callee-saved registers, then
     * the return address vcpu_first_entry). */
    uint64_t *sp = (uint64_t *)guest_regs(v);
    *--sp = (uint64_t)vcpu_first_entry;
    for (int i = 0; i < 6; i++)
        *--sp = 0;
    v->arch.saved_rsp = (uintptr_t)sp;
    return 0;
}

/* What a vCPU's first switch_stack "returns" to (vcpu_first_entry unless changed
 * before it ever ran): the slot just below the guest frame, see arch_vcpu_init. */
void arch_vcpu_set_entry(struct vcpu *v, void (*entry)(void))
{
    ((uint64_t *)guest_regs(v))[-1] = (uint64_t)entry;
}

void arch_vcpu_destroy(struct vcpu *v)
{
    svm_vcpu_destroy(v);
    if (v->arch.stack)
        free_heap_pages(v->arch.stack, VCPU_STACK_ORDER);
    v->arch.stack = NULL;
}

/* c has passed guest_context_check (its callers' first step). */
void arch_set_guest_context(struct vcpu *v, const struct vcpu_guest_context *c)
{
    struct cpu_regs *r = guest_regs(v);
    memset(r, 0, sizeof(*r));
    r->rip = c->rip;
    r->rsp = c->rsp;
    r->rflags = guest_rflags_sanitize(c->rflags);   /* IF; IOPL 0: no port access, no CLI */
    r->cs = SEL_USER_CS | 3;
    r->ss = SEL_USER_DS | 3;
    r->rdi = c->rdi; r->rsi = c->rsi; r->rdx = c->rdx; r->rcx = c->rcx;
    r->rax = c->rax; r->rbx = c->rbx; r->rbp = c->rbp;
    v->arch.fs_base = c->fs_base;
    v->arch.gs_base = c->gs_base;
    v->arch.event_callback = c->event_callback;
    v->arch.started = true;
}

/* Called by the scheduler with interrupts off; returns on next's stack. */
void context_switch(struct vcpu *prev, struct vcpu *next)
{
    struct percpu *pc = this_cpu();

    if (is_hvm_vcpu(prev))
        svm_fpu_save(prev);
    if (is_hvm_vcpu(next))
        svm_fpu_load(next);
    if (!is_idle_vcpu(prev)) {
        prev->arch.fs_base = rdmsr(MSR_FS_BASE);
        prev->arch.gs_base = rdmsr(MSR_KERNEL_GS_BASE);   /* the guest's, while in here */
    }
    if (!is_idle_vcpu(next)) {
        /* An HVM guest's tables are the VMCB's business: the host keeps the idle ones. */
        write_cr3(is_hvm_vcpu(next) ? idle_pml4_pa
                                    : (paddr_t)next->arch.guest_l4_mfn << PAGE_SHIFT);
        wrmsr(MSR_FS_BASE, next->arch.fs_base);
        wrmsr(MSR_KERNEL_GS_BASE, next->arch.gs_base);
        pc->desc.tss.rsp[0] = next->arch.stack_top;
        pc->syscall_stack = next->arch.stack_top;
    } else if (!is_idle_vcpu(prev)) {
        write_cr3(idle_pml4_pa);
    }
    prev = switch_stack(prev, &prev->arch.saved_rsp, next->arch.saved_rsp);
    context_switch_finish(prev);
}

/* First thing on the new stack, for switches and first entries alike. */
void context_switch_finish(struct vcpu *prev)
{
    sched_context_saved(prev);
    struct vcpu *v = current;
    costmodel_hint_switch(v);
    timer_icount_tick_switch(!is_idle_vcpu(v));
    if (!is_idle_vcpu(v))
        pv_vcpu_switched_in(v);
}

/* The idle vCPU of a pCPU: runs on the pCPU's own boot stack. */
struct vcpu *arch_idle_vcpu_create(unsigned cpu)
{
    struct vcpu *v = xzalloc(sizeof(*v));
    if (!v)
        panic("no memory for CPU%u's idle vCPU", cpu);
    v->vcpu_id = cpu;
    v->processor = cpu;
    return v;
}

/* What a pCPU does when it has nothing to run: softirqs (the scheduler), else halt.
 * The check and the HLT happen with interrupts off until STI's shadow, so a wake-up
 * IPI cannot slip in between and leave the pCPU asleep with work pending. In icount
 * mode it spins instead (core/timer.c, timer_icount_mode: no pCPU ever halts there)
 * until an interrupt (timer, IPI) raises a softirq. */
void __noreturn cpu_idle_loop(void)
{
    struct percpu *pc = this_cpu();
    bool spin = timer_icount_mode();

    timer_icount_tick_switch(false);    /* icount mode: idle pCPUs tick too */
    for (;;) {
        local_irq_disable();
        if (__atomic_load_n(&pc->softirq_pending, __ATOMIC_ACQUIRE)) {
            do_softirq();               /* interrupts off: see pv_return_to_guest */
            continue;
        }
        if (!spin) {
            __asm__ volatile("sti; hlt" ::: "memory");
            continue;
        }
        local_irq_enable();
        timer_icount_spin(&pc->softirq_pending);
    }
}
