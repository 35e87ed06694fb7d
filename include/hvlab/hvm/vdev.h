/* Virtual devices of an HVM domain: pure state machines, time passed in (ns of the
 * hypervisor's NOW()), never a clock read or a lock of their own. A device with a
 * timer exposes X_next_event() (absolute ns, HVM_NO_EVENT when none) and X_advance()
 * which fires what is due; the glue arms one soft timer per device. */
#ifndef HVLAB_HVM_VDEV_H
#define HVLAB_HVM_VDEV_H

#include <hvlab/types.h>

#define HVM_NO_EVENT UINT64_MAX

/* Interrupt lines out: PIT -> ISA IRQ 0, RTC -> IRQ 8, UART (COM1) -> IRQ 4, PM timer
 * SCI -> IRQ 9. An edge is set_level(1) then set_level(0). */
struct hvm_irq_sink {
    void (*set_level)(void *ctx, unsigned isa_irq, bool level);  /* edge: 1 then 0 */
    void *ctx;
};

#endif
