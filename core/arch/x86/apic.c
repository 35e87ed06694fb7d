/* Local APIC in xAPIC mode (memory-mapped, reached through the direct map), the
 * legacy 8259 PIC (remapped and masked: SeaBIOS leaves it on vectors 8-15, where the
 * PIT would look like a double fault), IPIs and the one-shot LAPIC timer. */
#include <hvlab/addr.h>
#include <hvlab/irq.h>
#include <hvlab/percpu.h>
#include <hvlab/printk.h>
#include <hvlab/smp.h>
#include <hvlab/time.h>
#include <hvlab/time_arith.h>
#include <hvlab/topology.h>
#include <hvlab/x86/apic.h>

#define LAPIC_ID      0x020
#define LAPIC_EOI     0x0b0
#define LAPIC_SVR     0x0f0
#define LAPIC_ICR_LO  0x300
#define LAPIC_ICR_HI  0x310
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_TIMER_INIT 0x380
#define LAPIC_TIMER_CUR  0x390
#define LAPIC_TIMER_DIV  0x3e0
#define ICR_BUSY      (1u << 12)
#define LVT_MASKED    (1u << 16)

uint64_t lapic_timer_hz;
static uint64_t ticks_per_ns_32;   /* LAPIC timer ticks per ns, 32.32 fixed point */

static volatile uint32_t *lapic_reg(unsigned off)
{
    return (volatile uint32_t *)((uintptr_t)__va(topo.lapic_base) + off);
}
static uint32_t lapic_read(unsigned off) { return *lapic_reg(off); }
static void lapic_write(unsigned off, uint32_t v) { *lapic_reg(off) = v; }

void pic_disable(void)
{
    /* ICW1-4: remap to VEC_PIC_BASE.., cascade, 8086 mode; then mask every line. */
    outb(0x20, 0x11); outb(0xa0, 0x11);
    outb(0x21, VEC_PIC_BASE); outb(0xa1, VEC_PIC_BASE + 8);
    outb(0x21, 4); outb(0xa1, 2);
    outb(0x21, 1); outb(0xa1, 1);
    outb(0x21, 0xff); outb(0xa1, 0xff);
}

uint32_t lapic_id(void) { return lapic_read(LAPIC_ID) >> 24; }
void lapic_eoi(void) { lapic_write(LAPIC_EOI, 0); }

void lapic_init_cpu(void)
{
    wrmsr(MSR_APIC_BASE, rdmsr(MSR_APIC_BASE) | (1 << 11));    /* global enable */
    lapic_write(LAPIC_SVR, 0x100 | VEC_SPURIOUS);              /* software enable */
    lapic_write(LAPIC_TIMER_DIV, 0xb);                         /* divide by 1 */
    lapic_write(LAPIC_LVT_TIMER, LVT_MASKED | VEC_TIMER);
}

void lapic_send_ipi(uint32_t apic_id, uint32_t icr_low)
{
    while (lapic_read(LAPIC_ICR_LO) & ICR_BUSY)
        cpu_relax();
    lapic_write(LAPIC_ICR_HI, apic_id << 24);
    lapic_write(LAPIC_ICR_LO, icr_low);
}

void ipi_send_one(unsigned cpu, unsigned vector)
{
    unsigned long f = local_irq_save();
    lapic_send_ipi(per_cpu(cpu)->apic_id, ICR_ASSERT | vector);
    local_irq_restore(f);
}

void ipi_send_mask(const cpumask_t *mask, unsigned vector)
{
    unsigned c;
    for_each_cpu(c, mask)
        ipi_send_one(c, vector);
}

void ipi_send_all_but_self(unsigned vector)
{
    unsigned long f = local_irq_save();
    while (lapic_read(LAPIC_ICR_LO) & ICR_BUSY)
        cpu_relax();
    lapic_write(LAPIC_ICR_LO, (3u << 18) | ICR_ASSERT | vector);   /* shorthand */
    local_irq_restore(f);
}

/* Count LAPIC timer ticks over 10 ms of TSC time. */
void lapic_calibrate(void)
{
    lapic_write(LAPIC_LVT_TIMER, LVT_MASKED | VEC_TIMER);
    lapic_write(LAPIC_TIMER_INIT, 0xffffffff);
    uint64_t start = rdtsc(), span = ns_to_tsc(MILLISECS(10));
    while (rdtsc() - start < span)
        time_spin();
    uint32_t ticks = 0xffffffff - lapic_read(LAPIC_TIMER_CUR);
    lapic_write(LAPIC_TIMER_INIT, 0);
    lapic_timer_hz = (uint64_t)ticks * 100;
    ticks_per_ns_32 = (lapic_timer_hz << 32) / 1000000000u;
}

void lapic_timer_oneshot_ns(uint64_t ns)
{
    lapic_write(LAPIC_LVT_TIMER, VEC_TIMER);   /* one-shot, unmasked */
    lapic_write(LAPIC_TIMER_INIT, timer_ns_to_ticks(ns, ticks_per_ns_32));
}
