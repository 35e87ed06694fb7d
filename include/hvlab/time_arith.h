/* Overflow-free arithmetic on deadlines (core/lib/time_arith.c). Deadlines reach the
 * hypervisor from guests as raw 64-bit values (set_timer_op, VCPUOP timers,
 * SCHEDOP_poll); the timer code subtracts NOW() from them and scales the result into
 * a 32-bit LAPIC count. Every step here saturates instead of wrapping, so no value a
 * guest passes can turn into a bogus count on a pCPU that other domains share. */
#ifndef HVLAB_TIME_ARITH_H
#define HVLAB_TIME_ARITH_H

#include "types.h"

/* The furthest ahead a guest deadline may lie: one day. A later one fires then (the
 * guest sees an early timer event, which every guest must tolerate anyway). */
#define TIMER_MAX_AHEAD_NS (86400LL * 1000000000LL)

/* A guest deadline made safe: one at or before now fires now (returns now); one more
 * than TIMER_MAX_AHEAD_NS ahead becomes now + TIMER_MAX_AHEAD_NS (saturated). */
s_time_t timer_deadline_clamp(s_time_t deadline, s_time_t now);
/* Nanoseconds from now until expires; 0 when expires is not in the future. */
uint64_t timer_ns_until(s_time_t expires, s_time_t now);
/* LAPIC timer count for ns at ticks_per_ns_32 (ticks per ns, 32.32 fixed point): at
 * least 1 (0 would stop the timer), at most 0xffffffff (a far deadline takes an early
 * shot, and the queue re-arms when it finds nothing due). */
uint32_t timer_ns_to_ticks(uint64_t ns, uint64_t ticks_per_ns_32);

/* TSC ticks to ns at ns_per_tick_32 (32.32 fixed point), rounded down: NOW() and the
 * guests' extrapolation (public/hvlab.h vcpu_time_info) both use this rounding. */
uint64_t time_tsc_to_ns(uint64_t ticks, uint64_t ns_per_tick_32);
/* The same rounded up: the system time published with a TSC stamp. A guest adds
 * time_tsc_to_ns(tsc - stamp) to it; with the published time rounded down too, the
 * two roundings could put the sum 1 ns behind NOW(), which the time ABI forbids. */
uint64_t time_tsc_to_ns_up(uint64_t ticks, uint64_t ns_per_tick_32);

#endif
