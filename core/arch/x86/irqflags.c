/* Interrupt masking for the irqsave lock variants (declared in spinlock.h). */
#include <hvlab/spinlock.h>

unsigned long local_irq_save(void)
{
    unsigned long f;
    __asm__ volatile("pushf; pop %0; cli" : "=r"(f) :: "memory");
    return f;
}

void local_irq_restore(unsigned long flags)
{
    if (flags & (1UL << 9))
        __asm__ volatile("sti" ::: "memory");
}
