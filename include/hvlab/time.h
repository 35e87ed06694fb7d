/* Time: NOW() in nanoseconds since boot, from the TSC (calibrated against the PIT at
 * boot). In deterministic mode (-icount shift=0) the TSC counts instructions, so
 * "nanoseconds" are instructions: reports say so. */
#ifndef HVLAB_TIME_H
#define HVLAB_TIME_H

#include <hvlab/types.h>

#define MILLISECS(ms) ((s_time_t)(ms) * 1000000LL)
#define MICROSECS(us) ((s_time_t)(us) * 1000LL)

extern uint64_t tsc_khz;
s_time_t NOW(void);
uint64_t ns_to_tsc(s_time_t ns);
/* ns per TSC tick in 32.32 fixed point: what guests scale RDTSC with. */
uint64_t tsc_to_ns_mul32(void);
/* A (TSC, system time) pair for a guest's vcpu_time_info, from one TSC read: with
 * tsc_to_ns_mul32(), the guest's extrapolation from it is never behind NOW() and at
 * most 1 ns ahead. */
void time_info_sample(uint64_t *tsc, uint64_t *system_ns);
void time_init(void);                 /* BSP: calibrate TSC and LAPIC timer */
void udelay(unsigned long us);
/* A short pause for polling loops that read the clock or a port (see time.c). */
void time_spin(void);

#endif
