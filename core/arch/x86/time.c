/* TSC calibration against PIT channel 2 and NOW(). Channel 2's gate is under software
 * control (port 0x61) and its output readable, so a countdown can be polled without
 * interrupts. Under -icount both the PIT and the TSC are virtual and the result is
 * exact and repeatable. */
#include <hvlab/printk.h>
#include <hvlab/time.h>
#include <hvlab/time_arith.h>
#include <hvlab/x86/apic.h>
#include <hvlab/x86/regs.h>

#define PIT_HZ 1193182u
#define CALIBRATE_MS 10u

uint64_t tsc_khz;

/* Under -icount every port read and RDTSC ends a translation block, and PAUSE leaves
 * QEMU's CPU loop: each costs QEMU microseconds, so polling them back to back made a
 * 4-CPU deterministic boot take seconds. A few hundred plain instructions between
 * polls cost nothing in accuracy (well under a microsecond) and run at full speed. */
void time_spin(void)
{
    for (int i = 0; i < 512; i++)
        __asm__ volatile("" ::: "memory");
}
static uint64_t tsc_boot;
static uint64_t ns_per_tsc_32;      /* ns per TSC tick, 32.32 fixed point */

static uint64_t tsc_ticks_in_pit_interval(unsigned ms)
{
    unsigned count = PIT_HZ * ms / 1000;
    outb(0x61, (inb(0x61) & ~0x02) | 0x01);   /* gate on, speaker off */
    outb(0x43, 0xb0);                         /* channel 2, lo/hi, mode 0 */
    outb(0x42, count & 0xff);
    outb(0x42, count >> 8);
    uint64_t start = rdtsc();
    while (!(inb(0x61) & 0x20))               /* OUT2 goes high at terminal count */
        time_spin();
    return rdtsc() - start;
}

void time_init(void)
{
    uint64_t ticks = tsc_ticks_in_pit_interval(CALIBRATE_MS);
    tsc_khz = ticks / CALIBRATE_MS;
    tsc_boot = rdtsc();
    ns_per_tsc_32 = (1000000ULL << 32) / tsc_khz;
    lapic_calibrate();
    pr_info("time: TSC %lu.%03lu MHz, LAPIC timer %lu.%03lu MHz (calibrated against the PIT)\n",
            tsc_khz / 1000, tsc_khz % 1000, lapic_timer_hz / 1000000,
            lapic_timer_hz / 1000 % 1000);
}

s_time_t NOW(void)
{
    return (s_time_t)time_tsc_to_ns(rdtsc() - tsc_boot, ns_per_tsc_32);
}

void time_info_sample(uint64_t *tsc, uint64_t *system_ns)
{
    /* One TSC read for both: system time exactly at the stamp, rounded up, so the
     * guest's extrapolation (rounded down) never falls behind NOW(). */
    *tsc = rdtsc();
    *system_ns = time_tsc_to_ns_up(*tsc - tsc_boot, ns_per_tsc_32);
}

uint64_t tsc_to_ns_mul32(void)
{
    return ns_per_tsc_32;
}

uint64_t ns_to_tsc(s_time_t ns)
{
    /* Split so the product fits 64 bits (no 128-bit division in a freestanding image). */
    uint64_t ms = (uint64_t)ns / 1000000u, rem = (uint64_t)ns % 1000000u;
    return ms * tsc_khz + rem * tsc_khz / 1000000u;
}

void udelay(unsigned long us)
{
    uint64_t start = rdtsc(), span = ns_to_tsc(MICROSECS(us));
    while (rdtsc() - start < span)
        time_spin();
}
