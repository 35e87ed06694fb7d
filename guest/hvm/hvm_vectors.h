/* Interrupt vectors of the HVM runtime (boot.S's stubs, plat_hvm.c's IDT). */
#ifndef GUEST_HVM_VECTORS_H
#define GUEST_HVM_VECTORS_H

#define HVM_EVENT_VECTOR    0xf3    /* event channels (HVMOP_set_evtchn_upcall_vector),
                                     * natively the LAPIC timer */
#define HVM_IPI_VECTOR      0xf2    /* natively: an event for another vCPU (a LAPIC
                                     * fixed IPI, native_evtchn.c) */
#define HVM_SPURIOUS_VECTOR 0xff    /* the LAPIC's spurious vector */

#endif
