/* The devices the HVM runtime drives itself: COM1 (the native console), the PIT's
 * channel 2 (a known 1.193182 MHz clock to calibrate against), the 8259 PICs (masked:
 * firmware leaves them on vectors 8-15, PLATFORM-FACTS), and the local APIC (EOI;
 * natively also its timer). Used natively, and for the LAPIC's EOI under hvlab. */
#include "hvm.h"

#define COM1            0x3f8
#define PIT_HZ          1193182u
#define PIT_CAL_COUNT   11932u          /* 10 ms */
#define LAPIC_BASE      0xfee00000UL    /* identity-mapped uncached (boot.S) */
#define LAPIC_ID        0x020
#define LAPIC_EOI       0x0b0
#define LAPIC_SVR       0x0f0
#define LAPIC_ICR_LO    0x300
#define LAPIC_ICR_HI    0x310
#define ICR_PENDING     (1u << 12)      /* delivery status: send pending */
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_TMICT     0x380
#define LAPIC_TMCCT     0x390
#define LAPIC_TDCR      0x3e0
#define LVT_MASKED      (1u << 16)

static inline void lapic_write(unsigned reg, uint32_t v)
{
    *(volatile uint32_t *)(LAPIC_BASE + reg) = v;
}

static inline uint32_t lapic_read(unsigned reg)
{
    return *(volatile uint32_t *)(LAPIC_BASE + reg);
}

void uart_init(void)
{
    hw_outb(COM1 + 1, 0x00);            /* no UART interrupts: output is polled */
    hw_outb(COM1 + 3, 0x80);            /* DLAB: divisor 1, 115200 baud */
    hw_outb(COM1 + 0, 0x01);
    hw_outb(COM1 + 1, 0x00);
    hw_outb(COM1 + 3, 0x03);            /* 8N1 */
    hw_outb(COM1 + 2, 0xc7);            /* FIFOs on and cleared */
    hw_outb(COM1 + 4, 0x03);            /* DTR, RTS */
}

void uart_write(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        while (!(hw_inb(COM1 + 5) & 0x20))      /* transmit holding register empty */
            ;
        hw_outb(COM1, (uint8_t)s[i]);
    }
}

void pic_mask_all(void)
{
    hw_outb(0x21, 0xff);
    hw_outb(0xa1, 0xff);
}

/* PIT channel 2, mode 0 (OUT rises when the count runs out), gated by port 0x61 bit
 * 0, OUT read back in bit 5. The LAPIC timer counts down from its maximum meanwhile. */
void hw_calibrate(uint64_t *tsc_khz, uint64_t *lapic_khz)
{
    uint64_t t0, t1;
    uint32_t left;

    lapic_write(LAPIC_TDCR, 0xb);       /* divide by 1 */
    lapic_write(LAPIC_LVT_TIMER, LVT_MASKED | HVM_EVENT_VECTOR);
    hw_outb(0x61, (hw_inb(0x61) & ~0x02) | 0x01);
    hw_outb(0x43, 0xb0);                /* channel 2, lo/hi byte, mode 0, binary */
    hw_outb(0x42, PIT_CAL_COUNT & 0xff);
    hw_outb(0x42, PIT_CAL_COUNT >> 8);
    t0 = rdtsc();
    lapic_write(LAPIC_TMICT, 0xffffffffu);
    while (!(hw_inb(0x61) & 0x20))
        ;
    t1 = rdtsc();
    left = lapic_read(LAPIC_TMCCT);
    lapic_write(LAPIC_TMICT, 0);
    *tsc_khz = (t1 - t0) * PIT_HZ / (PIT_CAL_COUNT * 1000ull);
    *lapic_khz = (uint64_t)(0xffffffffu - left) * PIT_HZ / (PIT_CAL_COUNT * 1000ull);
}

void lapic_enable(void)
{
    lapic_write(LAPIC_SVR, 0x100 | HVM_SPURIOUS_VECTOR);
}

/* A secondary's timer counts as the BSP's did when calibrated (divide by 1). */
void lapic_timer_init(void)
{
    lapic_write(LAPIC_TDCR, 0xb);
}

unsigned lapic_id(void)
{
    return lapic_read(LAPIC_ID) >> 24;
}

/* The high half first: writing the low half sends. Waits for a previous send to
 * leave (QEMU's and hvlab's LAPICs never keep one pending; hardware may). */
void lapic_send_ipi(unsigned apic_id, uint32_t icr_lo)
{
    while (lapic_read(LAPIC_ICR_LO) & ICR_PENDING)
        asm volatile("pause");
    lapic_write(LAPIC_ICR_HI, apic_id << 24);
    lapic_write(LAPIC_ICR_LO, icr_lo);
}

void lapic_eoi(void)
{
    lapic_write(LAPIC_EOI, 0);
}

void lapic_timer_oneshot(uint32_t ticks)
{
    lapic_write(LAPIC_LVT_TIMER, HVM_EVENT_VECTOR);     /* one-shot, unmasked */
    lapic_write(LAPIC_TMICT, ticks);
}
