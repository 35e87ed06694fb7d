/* Local APIC (xAPIC, memory-mapped) and the legacy PIC. */
#ifndef HVLAB_X86_APIC_H
#define HVLAB_X86_APIC_H

#include <hvlab/types.h>

void pic_disable(void);
void lapic_init_cpu(void);                    /* each CPU: enable, spurious vector, timer */
uint32_t lapic_id(void);
void lapic_eoi(void);
void lapic_send_ipi(uint32_t apic_id, uint32_t icr_low);
void lapic_calibrate(void);                   /* BSP, after TSC calibration */
void lapic_timer_oneshot_ns(uint64_t ns);     /* fire VEC_TIMER in ns (1 tick .. 2^32-1 ticks) */
extern uint64_t lapic_timer_hz;

#define ICR_INIT      0x00000500
#define ICR_STARTUP   0x00000600
#define ICR_ASSERT    0x00004000
#define ICR_LEVEL     0x00008000

#endif
