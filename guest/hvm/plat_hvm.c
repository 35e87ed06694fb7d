/* The HVM platform (guest/platform.h), natively too: the guest's own IDT routes
 * exceptions to traps.c and the event vector to the event channels; halting is
 * `sti; hlt`.
 *
 * Events: under hvlab the hypervisor raises HVM_EVENT_VECTOR (registered with
 * HVMOP_set_evtchn_upcall_vector) as a vLAPIC interrupt while evtchn_upcall_pending
 * is set (core/arch/x86/svm/svm_intr.c), so the handler EOIs it as natively, and an
 * event raised again before that EOI comes once more after it; natively the LAPIC
 * timer fires it (EOI'd) and native.c raises the vCPU's VIRQ_TIMER port, and a
 * port raised for another vCPU (or itself) comes as HVM_IPI_VECTOR, a LAPIC fixed
 * IPI (native_evtchn.c), whose handler is the same but for the timer. RFLAGS.IF stays set outside handlers: the runtime's
 * "interrupts off" is the vcpu_info's evtchn_upcall_mask as in PV, so the vector
 * handler returns at once when it finds the mask set, leaving evtchn_upcall_pending
 * for local_irq_enable (or plat_block) to see.
 * Secondary vCPUs: smp_hvm.c (INIT/SIPI); each loads this IDT and runs
 * plat_events_init for itself. */
#include "hvm.h"

struct idt_entry {
    uint16_t off_lo, sel;
    uint8_t ist, type;
    uint16_t off_mid;
    uint32_t off_hi, zero;
};

extern char hvm_trap_stubs[], hvm_event_stub[], hvm_ipi_stub[], hvm_spurious_stub[];   /* boot.S */
static struct idt_entry idt[256] __attribute__((aligned(16)));

static void idt_set(unsigned vec, const void *fn)
{
    uint64_t a = (uintptr_t)fn;

    idt[vec] = (struct idt_entry){
        .off_lo = (uint16_t)a, .sel = 0x08, .ist = 0, .type = 0x8e,   /* interrupt gate */
        .off_mid = (uint16_t)(a >> 16), .off_hi = (uint32_t)(a >> 32),
    };
}

void plat_traps_init(void)
{
    struct { uint16_t limit; uint64_t base; } __attribute__((packed)) d = {
        sizeof(idt) - 1, (uintptr_t)idt,
    };

    for (unsigned v = 0; v < 32; v++)
        idt_set(v, hvm_trap_stubs + 16 * v);
    idt_set(HVM_EVENT_VECTOR, hvm_event_stub);
    idt_set(HVM_IPI_VECTOR, hvm_ipi_stub);
    idt_set(HVM_SPURIOUS_VECTOR, hvm_spurious_stub);
    asm volatile("lidt %0" :: "m"(d));
}

static void event_interrupt(unsigned vector)
{
    lapic_eoi();
    if (hvm_native && vector == HVM_EVENT_VECTOR)
        native_timer_fired();
    if (!__atomic_load_n(&this_vcpu_info()->evtchn_upcall_mask, __ATOMIC_SEQ_CST))
        evtchn_do_upcall();
}

void hvm_trap(struct guest_trap_frame *f)
{
    if (f->bf.vector == HVM_EVENT_VECTOR || f->bf.vector == HVM_IPI_VECTOR)
        event_interrupt((unsigned)f->bf.vector);
    else
        guest_bounce_dispatch(f);
}

void plat_events_init(void)
{
    lapic_enable();
    if (!hvm_native) {
        struct hvm_evtchn_upcall_vector op = { .vcpu = smp_vcpu_id(),
                                               .vector = HVM_EVENT_VECTOR };
        long rc = _hc(HYPERVISOR_hvm_op, HVMOP_set_evtchn_upcall_vector, &op, 0, 0, 0);

        if (rc < 0)
            guest_crash("events: HVMOP_set_evtchn_upcall_vector failed: %ld (%s)", rc,
                        errno_name(rc));
    }
    asm volatile("sti" ::: "memory");
}

/* With IF clear, unmask and look: an event that came while masked is pending now
 * and is handled without sleeping; one that comes later is held until STI, whose
 * one-instruction shadow puts it after HLT has begun, so HLT wakes for it. */
void plat_block(void)
{
    struct vcpu_info *vi = this_vcpu_info();
    uint64_t t0 = hvm_native ? guest_now_ns() : 0;

    asm volatile("cli" ::: "memory");
    __atomic_store_n(&vi->evtchn_upcall_mask, 0, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&vi->evtchn_upcall_pending, __ATOMIC_SEQ_CST))
        asm volatile("sti" ::: "memory");
    else
        asm volatile("sti; hlt" ::: "memory");
    if (hvm_native)
        native_account_blocked(guest_now_ns() - t0);
    local_irq_enable();
}
