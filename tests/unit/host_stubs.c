/* What the hypervisor provides and host-built tests need: interrupt masking (no-op on
 * the host: tests are single-threaded) and panic (abort, so sanitizers show a trace). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

unsigned long local_irq_save(void) { return 0; }
void local_irq_restore(unsigned long flags) { (void)flags; }

void panic(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "panic: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    abort();
}

/* Tracing: off in host tests (trace_mask 0), so the emitters are never reached. */
#include <stdint.h>
struct vcpu;
uint32_t trace_mask;
void trace_emit(uint32_t event, uint16_t domid, uint16_t vcpuid, uint64_t d0, uint64_t d1)
{
    (void)event; (void)domid; (void)vcpuid; (void)d0; (void)d1;
}
void trace_emit_vcpu(uint32_t event, const struct vcpu *v, uint64_t d0, uint64_t d1)
{
    (void)event; (void)v; (void)d0; (void)d1;
}
