/* Overflow-free deadline arithmetic. See <hvlab/time_arith.h>.
 *
 * Design: differences are taken in unsigned arithmetic only once the order of the two
 * operands is known, so they are exact; sums saturate at INT64_MAX; the LAPIC scaling
 * uses a 128-bit product (ns < 2^64, ticks_per_ns_32 < 2^64), so it cannot wrap.
 *
 * Locking: none; pure functions. */
#include <hvlab/time_arith.h>

s_time_t timer_deadline_clamp(s_time_t deadline, s_time_t now)
{
    if (deadline <= now)
        return now;
    if (timer_ns_until(deadline, now) <= (uint64_t)TIMER_MAX_AHEAD_NS)
        return deadline;
    return now > INT64_MAX - TIMER_MAX_AHEAD_NS ? INT64_MAX : now + TIMER_MAX_AHEAD_NS;
}

uint64_t timer_ns_until(s_time_t expires, s_time_t now)
{
    /* expires > now: the unsigned difference is exact, even from INT64_MIN to INT64_MAX. */
    return expires <= now ? 0 : (uint64_t)expires - (uint64_t)now;
}

uint32_t timer_ns_to_ticks(uint64_t ns, uint64_t ticks_per_ns_32)
{
    unsigned __int128 ticks = ((unsigned __int128)ns * ticks_per_ns_32) >> 32;

    if (ticks == 0)
        return 1;
    return ticks > 0xffffffffu ? 0xffffffffu : (uint32_t)ticks;
}

uint64_t time_tsc_to_ns(uint64_t ticks, uint64_t ns_per_tick_32)
{
    return (uint64_t)(((unsigned __int128)ticks * ns_per_tick_32) >> 32);
}

uint64_t time_tsc_to_ns_up(uint64_t ticks, uint64_t ns_per_tick_32)
{
    unsigned __int128 p = (unsigned __int128)ticks * ns_per_tick_32;

    return (uint64_t)(p >> 32) + ((uint32_t)p != 0);
}
