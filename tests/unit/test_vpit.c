/* The 8254 PIT (core/hvm/vpit.c) through its ports: counts read at given times in
 * every mode, channel 0's interrupts over 10 s (and after 5 hours) on the exact
 * period grid, latch and read-back, access modes, BCD, gate, and the channel-2
 * sequence Linux uses to calibrate the TSC. Expected times are computed here with
 * 128-bit arithmetic, independently of the device's split arithmetic. */
#include "vdev_fixture.h"

#define F 1193182u

/* The first ns at which tick t of the PIT clock has begun, and the tick at ns. */
static uint64_t tick_ns(uint64_t t)
{
    return (uint64_t)(((unsigned __int128)t * 1000000000u + F - 1) / F);
}

static uint64_t ns_tick(uint64_t ns)
{
    return (uint64_t)((unsigned __int128)ns * F / 1000000000u);
}

struct rig {
    struct hvm_io_bus bus;
    struct vpit pit;
    struct irq_log irq;
};

static void rig_init(struct rig *r, uint64_t now)
{
    struct hvm_irq_sink sink = irq_log_sink(&r->irq);

    hvm_io_bus_init(&r->bus);
    vpit_init(&r->pit, &sink, now);
    CHECK_EQ(vpit_register(&r->pit, &r->bus), 0);
}

/* Control word then an LSB/MSB count, as guests program a channel. */
static void program(struct rig *r, unsigned ch, uint8_t cw, uint16_t count, uint64_t now)
{
    outb(&r->bus, 0x43, now, cw);
    outb(&r->bus, 0x40 + ch, now, count & 0xff);
    outb(&r->bus, 0x40 + ch, now, count >> 8);
}

static uint16_t latched(struct rig *r, unsigned ch, uint64_t now)
{
    uint16_t lo, hi;

    outb(&r->bus, 0x43, now, (uint8_t)(ch << 6));
    lo = inb(&r->bus, 0x40 + ch, now);
    hi = inb(&r->bus, 0x40 + ch, now);
    return (uint16_t)(lo | hi << 8);
}

struct count_row { uint64_t d; uint16_t count; bool out; };

/* Program ch 0 at tick t0's start with cw/n, then check count and output at t0 + d. */
static void check_rows(uint8_t cw, uint16_t n, const struct count_row *rows, unsigned nr)
{
    const uint64_t t0 = 5000;
    struct rig r;

    rig_init(&r, 0);
    program(&r, 0, cw, n, tick_ns(t0));
    for (unsigned i = 0; i < nr; i++) {
        uint64_t now = tick_ns(t0 + rows[i].d);
        uint16_t got = latched(&r, 0, now);
        bool out = vpit_output(&r.pit, 0, now);
        if (got != rows[i].count || out != rows[i].out)
            printf("    cw %#x n %u, elapsed %" PRIu64 ": count %u out %d, want %u %d\n",
                   cw, n, rows[i].d, got, out, rows[i].count, rows[i].out);
        CHECK_EQ(got, rows[i].count);
        CHECK_EQ(out, rows[i].out);
    }
}

static void test_mode0(void)
{
    static const struct count_row rows[] = {
        { 0, 1000, 0 }, { 1, 999, 0 }, { 999, 1, 0 }, { 1000, 0, 1 },
        { 1001, 65535, 1 },         /* keeps counting down past 0, output stays high */
        { 1000 + 65536, 0, 1 },
    };
    check_rows(0x30, 1000, rows, ARRAY_SIZE(rows));
}

static void test_mode2(void)
{
    static const struct count_row rows[] = {
        { 0, 100, 1 }, { 1, 99, 1 }, { 98, 2, 1 }, { 99, 1, 0 },   /* low at count 1 */
        { 100, 100, 1 }, { 150, 50, 1 }, { 199, 1, 0 }, { 100 * 1000 + 7, 93, 1 },
    };
    check_rows(0x34, 100, rows, ARRAY_SIZE(rows));
}

static void test_mode3(void)
{
    static const struct count_row even[] = {   /* n = 6: 6 4 2 high, 6 4 2 low */
        { 0, 6, 1 }, { 1, 4, 1 }, { 2, 2, 1 }, { 3, 6, 0 }, { 4, 4, 0 }, { 5, 2, 0 },
        { 6, 6, 1 },
    };
    static const struct count_row odd[] = {    /* n = 5: high 3 ticks, low 2 */
        { 0, 5, 1 }, { 1, 4, 1 }, { 2, 2, 1 }, { 3, 5, 0 }, { 4, 2, 0 }, { 5, 5, 1 },
    };
    check_rows(0x36, 6, even, ARRAY_SIZE(even));
    check_rows(0x36, 5, odd, ARRAY_SIZE(odd));
}

static void test_mode4(void)
{
    static const struct count_row rows[] = {
        { 0, 50, 1 }, { 49, 1, 1 }, { 50, 0, 0 }, { 51, 65535, 1 }, { 500, 65086, 1 },
    };
    check_rows(0x38, 50, rows, ARRAY_SIZE(rows));
}

/* Channel 0 in mode 0: one interrupt, at the tick the count reaches 0, and no more. */
static void test_mode0_irq(void)
{
    struct rig r;
    uint64_t t0 = ns_tick(2000000) + 1, due = tick_ns(t0 + 1000);

    rig_init(&r, 0);
    program(&r, 0, 0x30, 1000, tick_ns(t0));
    CHECK_EQ(vpit_next_event(&r.pit), due);
    vpit_advance(&r.pit, due - 1);
    CHECK_EQ(r.irq.rises[0], 0);
    vpit_advance(&r.pit, due);
    CHECK_EQ(r.irq.rises[0], 1);
    CHECK_EQ(r.irq.level[0], 0);            /* a pulse: 1 then 0 */
    CHECK_EQ(r.irq.calls[0], 2);
    CHECK(vpit_next_event(&r.pit) == HVM_NO_EVENT);
    vpit_advance(&r.pit, due + 1000000000);
    CHECK_EQ(r.irq.rises[0], 1);
}

/* Periodic interrupts driven the way the glue drives them (advance at next_event):
 * edge k at exactly tick t0 + k*n, for every k over 10 s, in modes 2 and 3. */
static void periodic_grid(uint8_t cw, uint16_t count, uint64_t start_ns, uint64_t span_ns)
{
    const uint64_t n = count ? count : 65536;
    struct rig r;
    uint64_t t0 = ns_tick(start_ns), k = 0, ev, end = start_ns + span_ns;

    rig_init(&r, start_ns);
    program(&r, 0, cw, count, start_ns);
    while ((ev = vpit_next_event(&r.pit)) <= end) {
        uint64_t want = tick_ns(t0 + (k + 1) * n);
        if (ev != want) {
            printf("    cw %#x n %" PRIu64 ": edge %" PRIu64 " at %" PRIu64 ", want %" PRIu64 "\n",
                   cw, n, k + 1, ev, want);
            CHECK_EQ(ev, want);
            return;
        }
        vpit_advance(&r.pit, ev);
        k++;
    }
    CHECK_EQ(r.irq.rises[0], k);
    CHECK_EQ(k, ns_tick(end) - t0 > 0 ? (ns_tick(end) - t0) / n : 0);
}

static void test_periodic_10s(void)
{
    periodic_grid(0x34, 11932, 0, 10 * 1000000000ULL);         /* ~100 Hz, mode 2 */
    periodic_grid(0x34, 1193, 123456789, 10 * 1000000000ULL);  /* ~1000 Hz, odd start */
    periodic_grid(0x36, 0, 777, 10 * 1000000000ULL);           /* 18.2 Hz, mode 3 */
    periodic_grid(0x34, 11932, 5 * 3600 * 1000000000ULL, 1000000000ULL);  /* after 5 h */
}

/* The glue is late by 35 ms: one pulse for the missed periods, the next event stays
 * on the grid (no drift from late delivery). */
static void test_periodic_late(void)
{
    struct rig r;
    uint64_t t0 = ns_tick(1000), n = 11932;

    rig_init(&r, 0);
    program(&r, 0, 0x34, (uint16_t)n, 1000);
    vpit_advance(&r.pit, 35000000);
    CHECK_EQ(r.irq.rises[0], 1);
    CHECK_EQ(vpit_next_event(&r.pit), tick_ns(t0 + 4 * n));     /* 40 ms: period 4 */
}

/* A latched count stays while time passes; a second latch before it is read is
 * ignored; reading it in full releases it. */
static void test_latch(void)
{
    struct rig r;
    uint64_t t0 = 100;

    rig_init(&r, 0);
    program(&r, 0, 0x34, 1000, tick_ns(t0));
    outb(&r.bus, 0x43, tick_ns(t0 + 10), 0x00);
    outb(&r.bus, 0x43, tick_ns(t0 + 20), 0x00);         /* ignored */
    CHECK_EQ(inb(&r.bus, 0x40, tick_ns(t0 + 30)), 990 & 0xff);
    CHECK_EQ(inb(&r.bus, 0x40, tick_ns(t0 + 800)), 990 >> 8);  /* live: 200 */
    CHECK_EQ(latched(&r, 0, tick_ns(t0 + 850)), 150);
    /* Unlatched reads follow the flip-flop: LSB at one time, MSB at another. */
    CHECK_EQ(inb(&r.bus, 0x40, tick_ns(t0 + 860)), 140);
    CHECK_EQ(inb(&r.bus, 0x40, tick_ns(t0 + 1700)), 300 >> 8);
}

/* Read-back: status then count, for two channels at once; the status byte holds
 * output, null count, access, mode and BCD. */
static void test_readback(void)
{
    struct rig r;
    uint64_t t0 = 1000;

    rig_init(&r, 0);
    outb(&r.bus, 0x43, tick_ns(t0), 0xb0);              /* ch 2: lohi, mode 0 */
    program(&r, 0, 0x34, 200, tick_ns(t0));
    /* Channel 2 has a control word but no count yet: null count, output low. */
    outb(&r.bus, 0x43, tick_ns(t0 + 5), 0xc0 | 0x08 | 0x02);  /* status + count, ch 0, 2 */
    CHECK_EQ(inb(&r.bus, 0x40, tick_ns(t0 + 9)), 0x80 | 0x30 | 2 << 1);
    CHECK_EQ(inb(&r.bus, 0x40, tick_ns(t0 + 9)), 195);
    CHECK_EQ(inb(&r.bus, 0x40, tick_ns(t0 + 9)), 0);
    CHECK_EQ(inb(&r.bus, 0x42, tick_ns(t0 + 9)), 0x40 | 0x30 | 0 << 1);
    /* Status only (bit 5 set): the count is read live afterwards. */
    outb(&r.bus, 0x43, tick_ns(t0 + 199), 0xe0 | 0x02);
    CHECK_EQ(inb(&r.bus, 0x40, tick_ns(t0 + 199)), 0x00 | 0x30 | 2 << 1);   /* low at 1 */
    CHECK_EQ(inb(&r.bus, 0x40, tick_ns(t0 + 199)), 1);
    CHECK_EQ(inb(&r.bus, 0x40, tick_ns(t0 + 199)), 0);
    /* Count only, then a plain latch before reading: the first latch wins. */
    outb(&r.bus, 0x43, tick_ns(t0 + 210), 0xd0 | 0x02);
    outb(&r.bus, 0x43, tick_ns(t0 + 220), 0x00);
    CHECK_EQ(inb(&r.bus, 0x40, tick_ns(t0 + 300)), 190);
    CHECK_EQ(inb(&r.bus, 0x40, tick_ns(t0 + 300)), 0);
    /* Loading the count clears null count. */
    outb(&r.bus, 0x42, tick_ns(t0 + 400), 0x10);
    outb(&r.bus, 0x42, tick_ns(t0 + 400), 0x00);
    outb(&r.bus, 0x43, tick_ns(t0 + 401), 0xe0 | 0x08);
    CHECK_EQ(inb(&r.bus, 0x42, tick_ns(t0 + 401)), 0x30);
}

/* LSB-only and MSB-only access: one byte written, the other is 0; one byte read. */
static void test_access_modes(void)
{
    struct rig r;

    rig_init(&r, 0);
    outb(&r.bus, 0x43, tick_ns(10), 0x14);              /* ch 0, LSB only, mode 2 */
    outb(&r.bus, 0x40, tick_ns(10), 200);
    CHECK_EQ(inb(&r.bus, 0x40, tick_ns(60)), 150);
    CHECK_EQ(inb(&r.bus, 0x40, tick_ns(70)), 140);      /* no flip-flop */
    outb(&r.bus, 0x43, tick_ns(100), 0x64);             /* ch 1, MSB only, mode 2 */
    outb(&r.bus, 0x41, tick_ns(100), 0x02);             /* 512 */
    CHECK_EQ(vpit_count(&r.pit, 1, tick_ns(100 + 256)), 256);
    CHECK_EQ(inb(&r.bus, 0x41, tick_ns(100 + 256)), 1);
    CHECK_EQ(inb(&r.bus, 0x43, tick_ns(200)), 0xff);    /* write-only */
}

/* BCD: the count is decimal, read back in BCD; 0 means 10000. */
static void test_bcd(void)
{
    struct rig r;

    rig_init(&r, 0);
    program(&r, 0, 0x35, 0x0100, tick_ns(10));          /* mode 2, BCD, 100 */
    CHECK_EQ(latched(&r, 0, tick_ns(11)), 0x0099);
    CHECK_EQ(latched(&r, 0, tick_ns(10 + 55)), 0x0045);
    CHECK_EQ(latched(&r, 0, tick_ns(10 + 100)), 0x0100);
    program(&r, 0, 0x31, 0x0000, tick_ns(1000));        /* mode 0, BCD, 10000 */
    CHECK_EQ(latched(&r, 0, tick_ns(1001)), 0x9999);
    CHECK_EQ(vpit_next_event(&r.pit), tick_ns(1000 + 10000));
    program(&r, 0, 0x31, 0x0005, tick_ns(20000));      /* wraps to 9999, not 65535 */
    CHECK_EQ(latched(&r, 0, tick_ns(20006)), 0x9999);
}

/* Mode 4 as Linux's oneshot PIT clockevent uses it (control word 0x38, then a count
 * per event): the interrupt comes one tick after the count reaches 0, once; a new
 * count restarts it. */
static void test_mode4_irq(void)
{
    struct rig r;

    rig_init(&r, 0);
    outb(&r.bus, 0x43, tick_ns(100), 0x38);
    outb(&r.bus, 0x40, tick_ns(100), 50);
    CHECK(vpit_next_event(&r.pit) == HVM_NO_EVENT);     /* LSB alone: not loaded */
    outb(&r.bus, 0x40, tick_ns(100), 0);
    CHECK_EQ(vpit_next_event(&r.pit), tick_ns(151));
    vpit_advance(&r.pit, tick_ns(151));
    CHECK_EQ(r.irq.rises[0], 1);
    CHECK(vpit_next_event(&r.pit) == HVM_NO_EVENT);
    outb(&r.bus, 0x40, tick_ns(300), 0x10);
    outb(&r.bus, 0x40, tick_ns(300), 0x27);             /* 10000 */
    CHECK_EQ(vpit_next_event(&r.pit), tick_ns(10301));
}

/* A new count written during mode 2 takes effect when the current period ends. */
static void test_mode2_reload(void)
{
    struct rig r;
    uint64_t t0 = 100;

    rig_init(&r, 0);
    program(&r, 0, 0x34, 1000, tick_ns(t0));
    outb(&r.bus, 0x40, tick_ns(t0 + 300), 500 & 0xff);
    outb(&r.bus, 0x40, tick_ns(t0 + 300), 500 >> 8);
    CHECK_EQ(latched(&r, 0, tick_ns(t0 + 400)), 600);   /* old period continues */
    CHECK_EQ(vpit_next_event(&r.pit), tick_ns(t0 + 1000));
    vpit_advance(&r.pit, tick_ns(t0 + 1000));
    CHECK_EQ(r.irq.rises[0], 1);
    CHECK_EQ(vpit_next_event(&r.pit), tick_ns(t0 + 1500));
    CHECK_EQ(latched(&r, 0, tick_ns(t0 + 1100)), 400);
}

/* Mode 0, LSB then MSB: the first byte stops the count and drops the output. */
static void test_mode0_rewrite(void)
{
    struct rig r;

    rig_init(&r, 0);
    program(&r, 0, 0x30, 100, tick_ns(0));
    outb(&r.bus, 0x40, tick_ns(50), 30);
    CHECK(vpit_next_event(&r.pit) == HVM_NO_EVENT);
    CHECK_EQ(vpit_count(&r.pit, 0, tick_ns(500)), 50);  /* held */
    outb(&r.bus, 0x40, tick_ns(500), 0);
    CHECK_EQ(vpit_next_event(&r.pit), tick_ns(530));
    CHECK_EQ(vpit_output(&r.pit, 0, tick_ns(529)), 0);
    CHECK_EQ(vpit_output(&r.pit, 0, tick_ns(530)), 1);
}

/* Linux's calibration loop: gate on through 0x61, channel 2 mode 0, poll 0x61 bit 5
 * until the count expires: it rises exactly n ticks after the count is written. */
static void test_tsc_calibration(void)
{
    struct rig r;
    const uint16_t n = 59659;           /* 50 ms */
    uint64_t t0 = ns_tick(987654321) + 1, now = tick_ns(t0);
    uint8_t v;

    rig_init(&r, 0);
    v = inb(&r.bus, 0x61, now);
    CHECK_EQ(v & 0x01, 0);              /* gate 2 off at power-on */
    outb(&r.bus, 0x61, now, (v & ~0x02) | 0x01);
    program(&r, 2, 0xb0, n, now);
    CHECK_EQ(inb(&r.bus, 0x61, tick_ns(t0 + n) - 1) & 0x20, 0);
    CHECK_EQ(inb(&r.bus, 0x61, tick_ns(t0 + n)) & 0x21, 0x21);
    CHECK_EQ(r.irq.calls[0], 0);        /* channel 2 raises no interrupt */
}

/* Channel 2 gate: mode 0 pauses while low; modes 1 and 5 are triggered by the
 * rising edge; mode 2 restarts from n on it. */
static void test_gate(void)
{
    struct rig r;

    rig_init(&r, 0);
    outb(&r.bus, 0x61, tick_ns(0), 0x01);
    program(&r, 2, 0xb0, 100, tick_ns(0));
    outb(&r.bus, 0x61, tick_ns(40), 0x00);              /* pause at 60 left */
    CHECK_EQ(vpit_count(&r.pit, 2, tick_ns(1000)), 60);
    outb(&r.bus, 0x61, tick_ns(1000), 0x01);
    CHECK_EQ(vpit_count(&r.pit, 2, tick_ns(1050)), 10);
    CHECK_EQ(vpit_output(&r.pit, 2, tick_ns(1059)), 0);
    CHECK_EQ(vpit_output(&r.pit, 2, tick_ns(1060)), 1);

    program(&r, 2, 0xb2, 100, tick_ns(2000));           /* mode 1: waits */
    CHECK_EQ(vpit_output(&r.pit, 2, tick_ns(2500)), 1);
    outb(&r.bus, 0x61, tick_ns(2500), 0x00);
    outb(&r.bus, 0x61, tick_ns(2600), 0x01);            /* trigger */
    CHECK_EQ(vpit_count(&r.pit, 2, tick_ns(2650)), 50);
    CHECK_EQ(vpit_output(&r.pit, 2, tick_ns(2699)), 0);
    CHECK_EQ(vpit_output(&r.pit, 2, tick_ns(2700)), 1);
    outb(&r.bus, 0x61, tick_ns(2800), 0x00);
    outb(&r.bus, 0x61, tick_ns(2810), 0x01);            /* retrigger */
    CHECK_EQ(vpit_output(&r.pit, 2, tick_ns(2850)), 0);

    program(&r, 2, 0xba, 20, tick_ns(2900));            /* mode 5: strobe on trigger */
    outb(&r.bus, 0x61, tick_ns(2900), 0x00);
    outb(&r.bus, 0x61, tick_ns(2910), 0x01);
    CHECK_EQ(vpit_output(&r.pit, 2, tick_ns(2929)), 1);
    CHECK_EQ(vpit_output(&r.pit, 2, tick_ns(2930)), 0);         /* low for one tick */
    CHECK_EQ(vpit_output(&r.pit, 2, tick_ns(2931)), 1);

    program(&r, 2, 0xb4, 100, tick_ns(3000));           /* mode 2, gate high */
    outb(&r.bus, 0x61, tick_ns(3030), 0x00);            /* stops: output high */
    CHECK_EQ(vpit_count(&r.pit, 2, tick_ns(3500)), 70);
    outb(&r.bus, 0x61, tick_ns(3500), 0x01);            /* restarts from n */
    CHECK_EQ(vpit_count(&r.pit, 2, tick_ns(3510)), 90);
}

static const struct unit_case cases[] = {
    { "mode 0: counts down through 0, output rises at 0", test_mode0 },
    { "mode 2: n..1, output low at 1, reload", test_mode2 },
    { "mode 3: square wave, even and odd counts", test_mode3 },
    { "mode 4: one-tick strobe at 0", test_mode4 },
    { "mode 0: one IRQ 0 pulse at terminal count", test_mode0_irq },
    { "periodic IRQ 0 on the exact grid over 10 s and after 5 h", test_periodic_10s },
    { "late advance: one pulse, grid kept", test_periodic_late },
    { "counter latch: held, second ignored, released", test_latch },
    { "read-back: status and count, null count", test_readback },
    { "LSB-only and MSB-only access, port 0x43 reads 0xff", test_access_modes },
    { "BCD counting", test_bcd },
    { "mode 4: oneshot IRQ one tick after 0", test_mode4_irq },
    { "mode 2: new count at the end of the period", test_mode2_reload },
    { "mode 0: first byte of a new count stops it", test_mode0_rewrite },
    { "TSC calibration through port 0x61", test_tsc_calibration },
    { "channel 2 gate: pause, trigger (modes 1, 5), restart", test_gate },
};
UNIT_MAIN(cases)
