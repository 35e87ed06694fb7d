/* Exception and interrupt dispatch. An exception in the hypervisor is always fatal:
 * print what a developer needs (CPU, vector, error code, RIP with symbol, registers,
 * a stack trace) and panic. Interrupts go to the handler registered for the vector. */
#include <hvlab/irq.h>
#include <hvlab/panic.h>
#include <hvlab/percpu.h>
#include <hvlab/printk.h>
#include <hvlab/symbols.h>
#include <hvlab/x86/apic.h>

static const char *const exc_names[32] = {
    "#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow",
    "#BR bound range", "#UD invalid opcode", "#NM device not available",
    "#DF double fault", "coprocessor overrun", "#TS invalid TSS",
    "#NP segment not present", "#SS stack fault", "#GP general protection",
    "#PF page fault", "reserved", "#MF x87 error", "#AC alignment check",
    "#MC machine check", "#XM SIMD error", "#VE virtualization", "#CP control protection",
};

static irq_handler_t irq_handlers[256];

void irq_set_handler(unsigned vector, irq_handler_t fn)
{
    irq_handlers[vector] = fn;
}

static void dump_regs(const struct cpu_regs *r)
{
    uint64_t off;
    const char *sym = symbols_lookup(r->rip, &off);
    pr_err("RIP: %04lx:[<%016lx>] %s+%#lx  RFLAGS: %016lx\n",
           r->cs, r->rip, sym ? sym : "?", sym ? off : 0, r->rflags);
    pr_err("RAX: %016lx RBX: %016lx RCX: %016lx\n", r->rax, r->rbx, r->rcx);
    pr_err("RDX: %016lx RSI: %016lx RDI: %016lx\n", r->rdx, r->rsi, r->rdi);
    pr_err("RBP: %016lx RSP: %016lx R8:  %016lx\n", r->rbp, r->rsp, r->r8);
    pr_err("R9:  %016lx R10: %016lx R11: %016lx\n", r->r9, r->r10, r->r11);
    pr_err("R12: %016lx R13: %016lx R14: %016lx\n", r->r12, r->r13, r->r14);
    pr_err("R15: %016lx CR2: %016lx CR3: %016lx\n", r->r15, read_cr2(), read_cr3());
}

static void __noreturn fatal_exception(const struct cpu_regs *r)
{
    unsigned v = (unsigned)r->vector;
    console_force_unlock();
    pr_err("*** CPU%u: exception %u (%s), error code %#lx\n", smp_processor_id(), v,
           v < 32 && exc_names[v] ? exc_names[v] : "?", r->error_code);
    if (v == 14)
        pr_err("page fault at %#lx: %s, %s, %s mode\n", read_cr2(),
               r->error_code & 1 ? "protection violation" : "not present",
               r->error_code & 2 ? "write" : (r->error_code & 16 ? "fetch" : "read"),
               r->error_code & 4 ? "user" : "supervisor");
    dump_regs(r);
    symbols_print_trace(r->rip, r->rbp);
    panic("fatal exception %u on CPU%u", v, smp_processor_id());
}

void trap_dispatch(struct cpu_regs *r);
uint64_t extable_fixup(uint64_t rip);
void pv_trap(struct cpu_regs *r);

void trap_dispatch(struct cpu_regs *r)
{
    unsigned v = (unsigned)r->vector;

    if (v < 32) {
        uint64_t fixup;
        if (r->cs & 3) {
            pv_trap(r);                 /* the guest's own fault: bounce it back */
            return;
        }
        if (v == 14 && (fixup = extable_fixup(r->rip)) != 0) {
            r->rip = fixup;             /* a guest pointer in copy_{from,to}_guest */
            return;
        }
        fatal_exception(r);
    }
    this_cpu()->irq_count++;
    if (irq_handlers[v]) {
        irq_handlers[v](r);
    } else if (v >= VEC_PIC_BASE && v < VEC_PIC_BASE + 16) {
        pr_warn("CPU%u: stray legacy PIC interrupt %u\n", smp_processor_id(), v - VEC_PIC_BASE);
        return;                         /* the PIC is masked; nothing to acknowledge */
    } else if (v != VEC_SPURIOUS) {
        pr_warn("CPU%u: unexpected interrupt vector %#x\n", smp_processor_id(), v);
    }
    if (v != VEC_SPURIOUS)
        lapic_eoi();
}
