/* A domain's interrupt controllers for the vintc host tests: the real vlapic,
 * vioapic, vpic and virq_route files over fake vCPU ops that record every kick,
 * INIT and SIPI. Accessors go through the same entry points the glue uses (the MMIO
 * and port ops tables, the MSR functions). */
#ifndef HVLAB_VINTC_FIXTURE_H
#define HVLAB_VINTC_FIXTURE_H

#include <hvlab/hvm/vintc.h>

#define FX_VCPUS 32
#define FX_TSC_KHZ 2000000u     /* a 2 GHz guest TSC: 2 ticks per ns */

struct fx {
    struct virq_route r;
    struct vlapic lapic[FX_VCPUS];
    struct vioapic io;
    struct vpic pic;
    unsigned kicks[FX_VCPUS], inits[FX_VCPUS];
    unsigned nsipi;
    struct { unsigned vcpu; uint8_t vector; } sipi[16];
    uint64_t allowed_base;      /* the one relocation base_ok accepts (0: none) */
};
extern struct fx fx;

/* Fresh controllers for nr vCPUs; no LAPIC software-enabled yet. */
void fx_setup(unsigned nr);
/* Software-enables vCPU v's LAPIC (SVR 0x1FF) through MMIO. */
void fx_enable(unsigned v);
uint32_t fx_lapic_read(unsigned v, unsigned off, uint64_t now);
void fx_lapic_write(unsigned v, unsigned off, uint32_t val, uint64_t now);
int fx_msr_read(unsigned v, uint32_t msr, uint64_t *val);
int fx_msr_write(unsigned v, uint32_t msr, uint64_t val);
uint32_t fx_ioapic_read(uint32_t reg);
void fx_ioapic_write(uint32_t reg, uint32_t val);
uint8_t fx_inb(unsigned port);
void fx_outb(unsigned port, uint8_t val);
/* IRR/ISR/TMR bit of vector on vCPU v, read back through the registers. */
bool fx_irr(unsigned v, unsigned vec);
bool fx_isr(unsigned v, unsigned vec);
bool fx_tmr(unsigned v, unsigned vec);
/* A fixed IPI from vCPU `from`, through its ICR (xAPIC). */
void fx_ipi(unsigned from, uint32_t icr_lo, uint8_t dest);

#endif
