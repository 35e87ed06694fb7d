/* The CPU work the benchmarks burn: one step of a 64-bit LCG on a volatile, so the
 * compiler can neither drop nor batch it. Inline, so every benchmark runs the same
 * instructions per step as cpuloop always has. */
#ifndef BENCH_WORK_H
#define BENCH_WORK_H

#include <guest.h>

static inline void work_steps(volatile uint64_t *x, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++)
        *x = *x * 6364136223846793005ULL + 1442695040888963407ULL;
}

#endif
