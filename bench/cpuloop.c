/* CPU-bound work for a fixed span of guest time (the hypervisor's NOW(), so time
 * spent descheduled counts: the iteration count shows the CPU share it got).
 * Command line: ms=N (default 1000).
 * Result: "result bench=cpuloop dom=D iters=N ms=M ns=T" (T: the exact span). */
#include <guest.h>

#define CHUNK 1000      /* iterations between clock reads */

int main(const struct start_info *si)
{
    uint64_t ms = guest_arg_uint("ms", 1000);
    uint64_t start = guest_now_ns(), end = start + ms * 1000000, now, iters = 0;
    volatile uint64_t x = 1;    /* the work must not be optimised away */

    do {
        for (unsigned i = 0; i < CHUNK; i++)
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        iters += CHUNK;
        now = guest_now_ns();
    } while (now < end);
    printf("result bench=cpuloop dom=%u iters=%llu ms=%llu ns=%llu\n", si->domid,
           (unsigned long long)iters, (unsigned long long)ms,
           (unsigned long long)(now - start));
    return 0;
}
