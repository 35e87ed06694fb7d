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
