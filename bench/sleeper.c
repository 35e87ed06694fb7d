/* Timer wake-up latency: wakes every P us for N periods (absolute deadlines, so
 * lateness does not accumulate) and measures how late each wake-up was: the guest's
 * clock right after sleep_until returns, minus the deadline asked for.
 * Command line: period_us=P (default 1000), periods=N (default 100).
 * Result: "result bench=sleeper dom=D periods=N period_us=P lat_avg_ns=A
 * lat_max_ns=M lat_min_ns=m" */
#include <guest.h>

int main(const struct start_info *si)
{
    uint64_t period_us = guest_arg_uint("period_us", 1000);
    uint64_t periods = guest_arg_uint("periods", 100);
    uint64_t sum = 0, max = 0, min = UINT64_MAX;
    struct periodic p;

    if (!periods || !period_us) {
        printf("sleeper: periods and period_us must be > 0\n");
        return 1;
    }
    periodic_start(&p, period_us * 1000);
    for (uint64_t i = 0; i < periods; i++) {
        uint64_t deadline = periodic_wait(&p);
        uint64_t lat = guest_now_ns() - deadline;

        sum += lat;
        max = MAX(max, lat);
        min = MIN(min, lat);
    }
    printf("result bench=sleeper dom=%u periods=%llu period_us=%llu lat_avg_ns=%llu "
           "lat_max_ns=%llu lat_min_ns=%llu\n", si->domid, (unsigned long long)periods,
           (unsigned long long)period_us, (unsigned long long)(sum / periods),
           (unsigned long long)max, (unsigned long long)min);
    return 0;
}
