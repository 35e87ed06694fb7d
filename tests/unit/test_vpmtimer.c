/* The ACPI PM timer and PM1 registers (core/hvm/vpmtimer.c) through their ports:
 * the count at given times (exact, no drift over hours), the 32-bit wrap, TMR_STS
 * and the SCI, PM1_EN, SLP_EN poweroff and sleep, the reset port and the power
 * button. Expected counts are computed here with 128-bit arithmetic. */
#include "vdev_fixture.h"

#define HZ 3579545u
#define SEC 1000000000ULL

static uint64_t tick_ns(uint64_t t)
{
    return (uint64_t)(((unsigned __int128)t * SEC + HZ - 1) / HZ);
}

static uint64_t ns_tick(uint64_t ns)
{
    return (uint64_t)((unsigned __int128)ns * HZ / SEC);
}

struct rig {
    struct hvm_io_bus bus;
    struct vpmtimer pm;
    struct irq_log irq;
    unsigned poweroffs, sleeps, resets;
};

static void on_shutdown(void *ctx, enum vpm_reason reason)
{
    struct rig *r = ctx;

    if (reason == VPM_POWEROFF)
        r->poweroffs++;
    else
        r->sleeps++;
}

static void on_reset(void *ctx)
{
    ((struct rig *)ctx)->resets++;
}

static void rig_init(struct rig *r, uint64_t now)
{
    struct hvm_irq_sink sink = irq_log_sink(&r->irq);
    struct vpm_power_ops power = { .shutdown = on_shutdown, .reset = on_reset, .ctx = r };

    r->poweroffs = r->sleeps = r->resets = 0;
    hvm_io_bus_init(&r->bus);
    vpmtimer_init(&r->pm, &sink, &power, VPM_S5_SLP_TYP, now);
    CHECK_EQ(vpmtimer_register(&r->pm, &r->bus), 0);
}

static uint32_t tmr(struct rig *r, uint64_t now)
{
    return (uint32_t)io_read(&r->bus, 0xb008, 4, now);
}

static void test_count(void)
{
    const uint64_t start = 777777777;       /* the domain started here */
    const uint64_t t0 = ns_tick(start);
    static const uint64_t at[] = {
        0, 1, 279, 280, 1000000, 123456789, SEC, 10 * SEC, 3600 * SEC,
        10 * 3600 * SEC, 100 * 3600 * SEC,
    };
    struct rig r;

    rig_init(&r, start);
    for (unsigned i = 0; i < ARRAY_SIZE(at); i++) {
        uint32_t want = (uint32_t)(ns_tick(start + at[i]) - t0), got = tmr(&r, start + at[i]);
        if (got != want)
            printf("    %" PRIu64 " ns after start: %#x, want %#x\n", at[i], got, want);
        CHECK_EQ(got, want);
    }
    /* Time never runs backwards: an earlier now reads what the latest did. */
    CHECK_EQ(tmr(&r, start + SEC), (uint32_t)(ns_tick(start + 100 * 3600 * SEC) - t0));
}

static void test_exact_second(void)
{
    struct rig r;

    rig_init(&r, 0);
    CHECK_EQ(tmr(&r, 0), 0);
    CHECK_EQ(tmr(&r, SEC), HZ);             /* exactly 3579545 per second */
    CHECK_EQ(tmr(&r, 2 * SEC - 1), 2 * HZ - 1);
    CHECK_EQ(tmr(&r, 2 * SEC), 2 * HZ);
}

static void test_wrap(void)
{
    const uint64_t start = 5 * SEC, t0 = ns_tick(start);
    const uint64_t wrap = tick_ns(t0 + (1ULL << 32));   /* 1199.86 s later */
    struct rig r;

    rig_init(&r, start);
    CHECK_EQ(tmr(&r, wrap - 1), 0xffffffffu);
    CHECK_EQ(tmr(&r, wrap), 0);
    CHECK_EQ(tmr(&r, tick_ns(t0 + (1ULL << 32) + 12345)), 12345);
    /* Byte and word reads of the same register at one now agree. */
    CHECK_EQ(io_read(&r.bus, 0xb008, 2, wrap + SEC), (uint16_t)(HZ));
    CHECK_EQ(inb(&r.bus, 0xb00a, wrap + SEC), (uint8_t)(HZ >> 16));
    io_write(&r.bus, 0xb008, 4, wrap + SEC, 0);            /* read-only */
    CHECK_EQ(tmr(&r, wrap + SEC), HZ);
}

/* TMR_STS each time bit 31 changes; with TMR_EN an SCI, at that exact ns. */
static void test_tmr_sts(void)
{
    const uint64_t half = tick_ns(1ULL << 31);
    struct rig r;

    rig_init(&r, 0);
    CHECK(vpmtimer_next_event(&r.pm) == HVM_NO_EVENT);      /* TMR_EN off */
    io_write(&r.bus, 0xb002, 2, 0, 0x0001);
    CHECK_EQ(io_read(&r.bus, 0xb002, 2, 0), 0x0001);
    CHECK_EQ(vpmtimer_next_event(&r.pm), half);
    vpmtimer_advance(&r.pm, half - 1);
    CHECK_EQ(r.irq.level[9], 0);
    vpmtimer_advance(&r.pm, half);
    CHECK_EQ(r.irq.level[9], 1);
    CHECK_EQ(io_read(&r.bus, 0xb000, 2, half), 0x0001);
    CHECK(vpmtimer_next_event(&r.pm) == HVM_NO_EVENT);      /* until cleared */
    io_write(&r.bus, 0xb000, 2, half + 10, 0x0001);         /* write 1 to clear */
    CHECK_EQ(r.irq.level[9], 0);
    CHECK_EQ(io_read(&r.bus, 0xb000, 2, half + 10), 0);
    CHECK_EQ(vpmtimer_next_event(&r.pm), tick_ns(2ULL << 31));
    /* Without TMR_EN the status still sets, without an SCI. */
    io_write(&r.bus, 0xb002, 2, half + 20, 0);
    CHECK_EQ(io_read(&r.bus, 0xb000, 2, tick_ns(2ULL << 31)), 0x0001);
    CHECK_EQ(r.irq.rises[9], 1);
}

static void test_pm1_registers(void)
{
    struct rig r;

    rig_init(&r, 0);
    CHECK_EQ(io_read(&r.bus, 0xb004, 2, 0), 0x0001);        /* SCI_EN: ACPI mode */
    io_write(&r.bus, 0xb002, 2, 0, 0xffff);
    CHECK_EQ(io_read(&r.bus, 0xb002, 2, 0), 0x0721);        /* only real enables */
    io_write(&r.bus, 0xb000, 2, 0, 0xffff);                 /* Linux clears all status */
    CHECK_EQ(io_read(&r.bus, 0xb000, 2, 0), 0);
    io_write(&r.bus, 0xb004, 2, 0, 0x0002);                 /* SCI_EN cannot be cleared */
    CHECK_EQ(io_read(&r.bus, 0xb004, 2, 0), 0x0003);
    CHECK_EQ(io_read(&r.bus, 0xb006, 2, 0), 0xffff);        /* nothing there */
    CHECK_EQ(io_read(&r.bus, 0xb000, 4, 0), 0x07210000u);   /* STS and EN at once */
}

/* Linux's S5: SLP_TYP written first, then SLP_TYP | SLP_EN; sleep types it does
 * not have are reported as such. */
static void test_sleep(void)
{
    static const struct { const char *name; uint16_t v1, v2; unsigned off, sl; } rows[] = {
        { "S5 in two writes", VPM_S5_SLP_TYP << 10 | 1, VPM_S5_SLP_TYP << 10 | 0x2001, 1, 0 },
        { "S5 in one write",  0, VPM_S5_SLP_TYP << 10 | 0x2000, 1, 0 },
        { "S3: no such state", 0, 1 << 10 | 0x2000, 0, 1 },
        { "SLP_TYP alone",    VPM_S5_SLP_TYP << 10, VPM_S5_SLP_TYP << 10 | 1, 0, 0 },
    };
    for (unsigned i = 0; i < ARRAY_SIZE(rows); i++) {
        struct rig r;

        rig_init(&r, 0);
        io_write(&r.bus, 0xb004, 2, 10, rows[i].v1);
        io_write(&r.bus, 0xb004, 2, 20, rows[i].v2);
        if (r.poweroffs != rows[i].off || r.sleeps != rows[i].sl)
            printf("    %s: %u poweroffs %u sleeps, want %u %u\n", rows[i].name,
                   r.poweroffs, r.sleeps, rows[i].off, rows[i].sl);
        CHECK_EQ(r.poweroffs, rows[i].off);
        CHECK_EQ(r.sleeps, rows[i].sl);
        CHECK_EQ(io_read(&r.bus, 0xb004, 2, 30) & 0x2000, 0);   /* SLP_EN reads 0 */
    }
}

static void test_reset_port(void)
{
    struct rig r;

    rig_init(&r, 0);
    outb(&r.bus, 0xcf9, 0, 0x02);                           /* SYS_RST alone: armed */
    CHECK_EQ(r.resets, 0);
    CHECK_EQ(inb(&r.bus, 0xcf9, 0), 0x02);
    outb(&r.bus, 0xcf9, 0, VPM_RESET_VALUE);                /* the FADT's reset value */
    CHECK_EQ(r.resets, 1);
    CHECK_EQ(r.poweroffs, 0);
}

static void test_power_button(void)
{
    struct rig r;

    rig_init(&r, 0);
    vpmtimer_power_button(&r.pm, 100);
    CHECK_EQ(io_read(&r.bus, 0xb000, 2, 200), 0x0100);
    CHECK_EQ(r.irq.level[9], 0);                            /* not enabled */
    io_write(&r.bus, 0xb002, 2, 300, 0x0100);
    CHECK_EQ(r.irq.level[9], 1);
    io_write(&r.bus, 0xb000, 2, 400, 0x0100);
    CHECK_EQ(r.irq.level[9], 0);
    CHECK_EQ(r.irq.rises[9], 1);
}

static const struct unit_case cases[] = {
    { "count at given now, no drift over 100 h", test_count },
    { "3579545 ticks per second exactly", test_exact_second },
    { "32-bit wrap at 2^32 ticks, read-only, byte reads", test_wrap },
    { "TMR_STS at bit 31 changes, SCI with TMR_EN", test_tmr_sts },
    { "PM1 status/enable/control registers", test_pm1_registers },
    { "SLP_EN: poweroff on S5, sleep otherwise", test_sleep },
    { "reset port 0xcf9", test_reset_port },
    { "power button: status, SCI when enabled", test_power_button },
};
UNIT_MAIN(cases)
