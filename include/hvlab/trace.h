/* Emitting trace records (core/trace.c). Each call site costs one load and one
 * predictable branch while its class is off: the mask is 0 when tracing is stopped.
 * Records go into the current pCPU's ring, with interrupts masked around the write
 * (interrupt handlers trace too). */
#ifndef HVLAB_TRACE_H
#define HVLAB_TRACE_H

#include <hvlab/lib.h>
#include <public/trace.h>

struct vcpu;
extern uint32_t trace_mask;             /* enabled classes; 0 while stopped */

void trace_emit(uint32_t event, uint16_t domid, uint16_t vcpuid, uint64_t d0, uint64_t d1);
void trace_emit_vcpu(uint32_t event, const struct vcpu *v, uint64_t d0, uint64_t d1);

static inline bool trace_on(uint32_t event)
{
    return unlikely(__atomic_load_n(&trace_mask, __ATOMIC_RELAXED) & (1u << TRC_CLASS(event)));
}

#define TRACE(ev, dom, vcpu, d0, d1) \
    do { if (trace_on(ev)) trace_emit((ev), (dom), (vcpu), (d0), (d1)); } while (0)
#define TRACE_VCPU(ev, v, d0, d1) \
    do { if (trace_on(ev)) trace_emit_vcpu((ev), (v), (d0), (d1)); } while (0)

void trace_init(void);                  /* BSP, after memory and SMP */
long do_trace_op(uint64_t cmd, uint64_t arg);

#endif
