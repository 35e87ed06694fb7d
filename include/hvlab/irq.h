/* Interrupt vectors owned by the hypervisor, and the handler table. Exceptions (0-31)
 * are handled in core/arch/x86/traps.c; 0x20-0x2f are where the legacy PIC is remapped
 * to, masked, so a stray PIC interrupt is recognisable. */
#ifndef HVLAB_IRQ_H
#define HVLAB_IRQ_H

#include <hvlab/x86/regs.h>

#define VEC_PIC_BASE     0x20
#define VEC_TIMER        0xf0   /* LAPIC one-shot timer: soft timers */
#define VEC_IPI_CALL     0xf1   /* on_cpus() function call */
#define VEC_IPI_KICK     0xf2   /* make a CPU look at its queues again */
#define VEC_SPURIOUS     0xff

typedef void (*irq_handler_t)(struct cpu_regs *regs);
void irq_set_handler(unsigned vector, irq_handler_t fn);

#endif
