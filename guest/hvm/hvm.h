/* Internal to the HVM runtime (guest/hvm/): start-up, the devices it drives itself,
 * and the native answers to hypercalls. Guests see only guest.h. */
#ifndef GUEST_HVM_H
#define GUEST_HVM_H

#include "../platform.h"
#include "hvm_vectors.h"

/* Port I/O and MSRs (hvlab/x86/regs.h has them too, but also a local_irq_enable that
 * means CLI/STI, not the runtime's virtual flag). */
static inline void hw_outb(uint16_t port, uint8_t v) { asm volatile("outb %0,%1" :: "a"(v), "Nd"(port)); }
static inline void hw_outw(uint16_t port, uint16_t v) { asm volatile("outw %0,%1" :: "a"(v), "Nd"(port)); }
static inline void hw_outl(uint16_t port, uint32_t v) { asm volatile("outl %0,%1" :: "a"(v), "Nd"(port)); }
static inline uint8_t hw_inb(uint16_t port) { uint8_t v; asm volatile("inb %1,%0" : "=a"(v) : "Nd"(port)); return v; }
static inline void hw_cpuid(uint32_t leaf, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
    asm volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(0));
}

/* ---- hvm.c: start-up ---- */
void hvm_main(uint32_t magic, uint32_t info);     /* boot.S */

/* ---- hw.c: COM1, the PIT (for calibration), the local APIC ---- */
void uart_init(void);
void uart_write(const char *s, size_t n);
/* Counts TSC ticks and LAPIC timer ticks (divide by 1) over one PIT interval; kHz. */
void hw_calibrate(uint64_t *tsc_khz, uint64_t *lapic_khz);
void pic_mask_all(void);
void lapic_enable(void);                          /* software-enabled, spurious vector */
void lapic_eoi(void);
void lapic_timer_oneshot(uint32_t ticks);         /* 0 stops it; HVM_EVENT_VECTOR */
void lapic_timer_init(void);                      /* divide by 1, as calibrated */
unsigned lapic_id(void);
void lapic_send_ipi(unsigned apic_id, uint32_t icr_lo);   /* ICR: vector, mode, level */

/* ---- native.c: running with no hypervisor ---- */
bool hvm_detect_hypervisor(void);                 /* CPUID: "hvlabhvlabhv" */
void native_init(struct shared_info *si);         /* UART, clocks, time info */
void native_timer_fired(void);                    /* from the event vector */
void native_account_blocked(uint64_t ns);         /* plat_block: time halted */
void native_ap_init(struct guest_vcpu *v);        /* the starter, before SIPI */
/* native_evtchn.c: the event channels of a lone domain, with LAPIC IPIs to notify. */
long native_evtchn(unsigned cmd, void *arg);
void native_evtchn_timer_fired(void);             /* this vCPU's VIRQ_TIMER */
__noreturn void native_poweroff(unsigned reason);

/* ---- plat_hvm.c ---- */
void hvm_trap(struct guest_trap_frame *f);        /* boot.S's stubs */

#endif
