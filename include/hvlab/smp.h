/* SMP: CPU masks, bring-up, IPIs and cross-CPU function calls. */
#ifndef HVLAB_SMP_H
#define HVLAB_SMP_H

#include <hvlab/types.h>

typedef struct { uint64_t bits; } cpumask_t;   /* NR_CPUS <= 64 */

static inline void cpumask_set(cpumask_t *m, unsigned c) { m->bits |= 1ULL << c; }
static inline void cpumask_clear(cpumask_t *m, unsigned c) { m->bits &= ~(1ULL << c); }
static inline bool cpumask_test(const cpumask_t *m, unsigned c) { return m->bits >> c & 1; }
static inline unsigned cpumask_weight(const cpumask_t *m)
{
    /* No POPCNT in the baseline ISA, and no libgcc in the image: count by hand. */
    unsigned n = 0;
    for (uint64_t b = m->bits; b; b &= b - 1)
        n++;
    return n;
}
#define for_each_cpu(c, m) \
    for ((c) = 0; (c) < NR_CPUS; (c)++) if (cpumask_test((m), (c)))

extern cpumask_t cpu_online_map;
extern unsigned nr_cpus_online;

void smp_boot_aps(unsigned maxcpus);          /* BSP: INIT-SIPI-SIPI each AP in turn */
void smp_ap_start(void);                      /* AP entry from boot.S */

/* Run fn(arg) on every CPU in mask (including this one, if set) and wait until all
 * have returned. Interrupts must be enabled on the caller (an IPI could otherwise
 * deadlock against a CPU calling on_cpus at the same time). */
void on_cpus(const cpumask_t *mask, void (*fn)(void *), void *arg);

/* core/arch/x86/apic.c */
void ipi_send_one(unsigned cpu, unsigned vector);
void ipi_send_mask(const cpumask_t *mask, unsigned vector);
void ipi_send_all_but_self(unsigned vector);

#endif
