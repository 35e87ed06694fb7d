/* The MC146818 RTC/CMOS (core/hvm/vrtc.c) through ports 0x70/0x71: the time at a
 * given now in BCD and binary, 12 and 24 hours; setting it; calendar edges; the UIP
 * window; periodic interrupts at every rate on the exact 32.768 kHz grid over 10 s;
 * alarm and update-ended interrupts; register C; NMI mask; CMOS RAM and the memory
 * bytes the builder sets. Dates were checked with Python's datetime. */
#include "vdev_fixture.h"

#define SEC 1000000000ULL
#define UPD 1984000ULL          /* update cycle length: the second changes at its end */
#define T0 1700000000ULL        /* 2023-11-14 22:13:20 UTC, a Tuesday */

struct rig {
    struct hvm_io_bus bus;
    struct vrtc rtc;
    struct irq_log irq;
};

static void rig_init(struct rig *r, uint64_t wall, uint64_t now)
{
    struct hvm_irq_sink sink = irq_log_sink(&r->irq);

    hvm_io_bus_init(&r->bus);
    vrtc_init(&r->rtc, wall, &sink, now);
    CHECK_EQ(vrtc_register(&r->rtc, &r->bus), 0);
}

static uint8_t cmos_read(struct rig *r, uint8_t idx, uint64_t now)
{
    outb(&r->bus, 0x70, now, idx);
    return inb(&r->bus, 0x71, now);
}

static void cmos_write(struct rig *r, uint8_t idx, uint8_t v, uint64_t now)
{
    outb(&r->bus, 0x70, now, idx);
    outb(&r->bus, 0x71, now, v);
}

struct reg_row { uint64_t now; uint8_t idx, want; };

static void check_regs(struct rig *r, const char *what, const struct reg_row *rows, unsigned nr)
{
    for (unsigned i = 0; i < nr; i++) {
        uint8_t got = cmos_read(r, rows[i].idx, rows[i].now);
        if (got != rows[i].want)
            printf("    %s: reg %#x at %" PRIu64 " ns: %#x, want %#x\n", what, rows[i].idx,
                   rows[i].now, got, rows[i].want);
        CHECK_EQ(got, rows[i].want);
    }
}

static void test_time_bcd(void)
{
    static const struct reg_row rows[] = {
        { 0, 0, 0x20 }, { 0, 2, 0x13 }, { 0, 4, 0x22 }, { 0, 6, 0x03 }, { 0, 7, 0x14 },
        { 0, 8, 0x11 }, { 0, 9, 0x23 }, { 0, 0x32, 0x20 }, { 0, 0x0d, 0x80 },
        { 0, 0x0a, 0x26 }, { 0, 0x0b, 0x02 },
        { 39 * SEC + UPD - 1, 0, 0x58 },        /* 38 updates ended */
        { 39 * SEC + UPD, 0, 0x59 },
        { 40 * SEC + UPD, 0, 0x00 }, { 40 * SEC + UPD, 2, 0x14 },
        /* 2 h later: midnight, Wednesday 15th */
        { 6400 * SEC + UPD, 4, 0x00 }, { 6400 * SEC + UPD, 7, 0x15 }, { 6400 * SEC + UPD, 6, 0x04 },
        /* 5 hours of now, no drift: 22:13:20 + 18000 s = 03:13:20 */
        { 18000 * SEC + UPD, 0, 0x20 }, { 18000 * SEC + UPD, 2, 0x13 }, { 18000 * SEC + UPD, 4, 0x03 },
    };
    struct rig r;

    rig_init(&r, T0, 0);
    check_regs(&r, "bcd 24h", rows, ARRAY_SIZE(rows));
    CHECK_EQ(vrtc_time(&r.rtc, 18000 * SEC + UPD), T0 + 18000);
}

static void test_time_formats(void)
{
    static const struct { uint8_t b; uint64_t wall; uint8_t sec, hour; } rows[] = {
        { 0x06, T0, 20, 22 },                   /* binary 24h */
        { 0x04, T0, 20, 0x80 | 10 },            /* binary 12h: 10 PM */
        { 0x00, T0, 0x20, 0x80 | 0x10 },        /* BCD 12h */
        { 0x04, T0 + 2 * 3600 - 80, 0, 12 },    /* midnight is 12 AM */
        { 0x00, T0 + 14 * 3600 - 80, 0, 0x80 | 0x12 },  /* noon is 12 PM */
        { 0x00, T0 + 3 * 3600 - 80, 0, 0x01 },  /* 1 AM */
    };
    for (unsigned i = 0; i < ARRAY_SIZE(rows); i++) {
        struct rig r;
        uint8_t s, h;

        rig_init(&r, rows[i].wall, 0);
        cmos_write(&r, 0x0b, rows[i].b, 0);
        s = cmos_read(&r, 0, 10);
        h = cmos_read(&r, 4, 10);
        if (s != rows[i].sec || h != rows[i].hour)
            printf("    row %u (B %#x): sec %#x hour %#x, want %#x %#x\n", i, rows[i].b,
                   s, h, rows[i].sec, rows[i].hour);
        CHECK_EQ(s, rows[i].sec);
        CHECK_EQ(h, rows[i].hour);
    }
}

/* Set the clock as Linux does (SET, fields, SET off), then watch it roll over. */
static void set_time(struct rig *r, uint64_t now, uint8_t cent, uint8_t yr, uint8_t mon,
                     uint8_t mday, uint8_t h, uint8_t m, uint8_t s)
{
    uint8_t b = cmos_read(r, 0x0b, now);

    cmos_write(r, 0x0b, b | 0x80, now);
    cmos_write(r, 0x32, cent, now);
    cmos_write(r, 9, yr, now);
    cmos_write(r, 8, mon, now);
    cmos_write(r, 7, mday, now);
    cmos_write(r, 4, h, now);
    cmos_write(r, 2, m, now);
    cmos_write(r, 0, s, now);
    cmos_write(r, 0x0b, b, now);
}

static void test_set_and_calendar(void)
{
    static const struct {
        const char *name; uint8_t c, y, mo, d;      /* set to <date> 23:59:59 ... */
        uint8_t wc, wy, wmo, wd, wwday;             /* ... one update later */
    } rows[] = {
        { "century",       0x20, 0x99, 0x12, 0x31, 0x21, 0x00, 0x01, 0x01, 0x06 },
        { "leap 2000",     0x20, 0x00, 0x02, 0x28, 0x20, 0x00, 0x02, 0x29, 0x03 },
        { "no leap 2100",  0x21, 0x00, 0x02, 0x28, 0x21, 0x00, 0x03, 0x01, 0x02 },
        { "leap 2024",     0x20, 0x24, 0x02, 0x29, 0x20, 0x24, 0x03, 0x01, 0x06 },
        { "month end",     0x20, 0x26, 0x04, 0x30, 0x20, 0x26, 0x05, 0x01, 0x06 },
    };
    for (unsigned i = 0; i < ARRAY_SIZE(rows); i++) {
        struct rig r;
        uint64_t now = 3 * SEC + SEC / 2;
        uint8_t got[5];

        rig_init(&r, T0, 0);
        set_time(&r, now, rows[i].c, rows[i].y, rows[i].mo, rows[i].d, 0x23, 0x59, 0x59);
        CHECK_EQ(cmos_read(&r, 0, now), 0x59);
        now = 4 * SEC + UPD;                    /* the next update has ended */
        got[0] = cmos_read(&r, 0x32, now);
        got[1] = cmos_read(&r, 9, now);
        got[2] = cmos_read(&r, 8, now);
        got[3] = cmos_read(&r, 7, now);
        got[4] = cmos_read(&r, 6, now);
        if (got[0] != rows[i].wc || got[1] != rows[i].wy || got[2] != rows[i].wmo ||
            got[3] != rows[i].wd || got[4] != rows[i].wwday)
            printf("    %s: %02x%02x-%02x-%02x wday %x, want %02x%02x-%02x-%02x wday %x\n",
                   rows[i].name, got[0], got[1], got[2], got[3], got[4], rows[i].wc,
                   rows[i].wy, rows[i].wmo, rows[i].wd, rows[i].wwday);
        CHECK_EQ(got[0], rows[i].wc);
        CHECK_EQ(got[1], rows[i].wy);
        CHECK_EQ(got[2], rows[i].wmo);
        CHECK_EQ(got[3], rows[i].wd);
        CHECK_EQ(got[4], rows[i].wwday);
        CHECK_EQ(cmos_read(&r, 4, now), 0x00);
    }
}

/* While SET is on the clock stands still; invalid values are ignored; the weekday
 * keeps a guest-written offset. */
static void test_set_holds(void)
{
    struct rig r;

    rig_init(&r, T0, 0);
    cmos_write(&r, 0x0b, 0x82, SEC / 2);
    CHECK_EQ(cmos_read(&r, 0x0a, SEC - 100000) & 0x80, 0);   /* no UIP under SET */
    CHECK_EQ(cmos_read(&r, 0, 10 * SEC), 0x20);             /* frozen */
    cmos_write(&r, 2, 0x75, 10 * SEC);                      /* minute 75: ignored */
    cmos_write(&r, 2, 0x3a, 10 * SEC);                      /* not BCD: ignored */
    CHECK_EQ(cmos_read(&r, 2, 10 * SEC), 0x13);
    cmos_write(&r, 6, 0x07, 10 * SEC);                      /* call it Saturday */
    cmos_write(&r, 0x0b, 0x02, 10 * SEC + SEC / 4);
    CHECK_EQ(cmos_read(&r, 0, 11 * SEC + UPD - 1), 0x20);
    CHECK_EQ(cmos_read(&r, 0, 11 * SEC + UPD), 0x21);       /* runs again */
    CHECK_EQ(cmos_read(&r, 7, 6420 * SEC), 0x15);
    CHECK_EQ(cmos_read(&r, 6, 6420 * SEC), 0x01);           /* next day: Sunday */
}

/* Linux writes year, month, day in turn under SET: from Jan 31, setting February
 * then day 10 must give Feb 10 (not Mar 3, then Mar 10). */
static void test_set_order(void)
{
    struct rig r;

    rig_init(&r, 1738281600ULL, 0);                         /* 2025-01-31 00:00:00 */
    CHECK_EQ(cmos_read(&r, 7, 0), 0x31);
    cmos_write(&r, 0x0b, 0x82, 0);
    cmos_write(&r, 8, 0x02, 0);
    CHECK_EQ(cmos_read(&r, 7, 0), 0x31);                    /* as written, for now */
    cmos_write(&r, 7, 0x10, 0);
    cmos_write(&r, 0x0b, 0x02, 0);
    CHECK_EQ(cmos_read(&r, 8, 1), 0x02);
    CHECK_EQ(cmos_read(&r, 7, 1), 0x10);
    CHECK_EQ(vrtc_time(&r.rtc, 1), 1739145600LL);           /* 2025-02-10 */
    /* Feb 30 left standing becomes Mar 2 when the clock runs. */
    cmos_write(&r, 0x0b, 0x82, 2);
    cmos_write(&r, 7, 0x30, 2);
    cmos_write(&r, 0x0b, 0x02, 2);
    CHECK_EQ(cmos_read(&r, 8, 3), 0x03);
    CHECK_EQ(cmos_read(&r, 7, 3), 0x02);
}

static void test_uip(void)
{
    static const struct { uint64_t now; bool uip; } rows[] = {
        { 1000, 0 }, { SEC / 2, 0 },
        { SEC - 244001, 0 }, { SEC - 244000, 1 }, { SEC, 1 },
        { SEC + UPD - 1, 1 }, { SEC + UPD, 0 },
        { 3600 * SEC - 244000, 1 }, { 3600 * SEC + UPD, 0 },
    };
    struct rig r;

    rig_init(&r, T0, 0);
    for (unsigned i = 0; i < ARRAY_SIZE(rows); i++) {
        bool got = cmos_read(&r, 0x0a, rows[i].now) & 0x80;
        if (got != rows[i].uip)
            printf("    at %" PRIu64 " ns: UIP %d, want %d\n", rows[i].now, got, rows[i].uip);
        CHECK_EQ(got, rows[i].uip);
    }
}

/* Periodic interrupt at rate rs with PIE, the guest reading C in its handler: edge
 * k at exactly ceil(k * period * 1e9 / 32768) ns; count over span. */
static void periodic(uint8_t rs, uint64_t period_ticks, uint64_t span)
{
    struct rig r;
    uint64_t k = 0, ev;

    rig_init(&r, T0, 0);
    cmos_write(&r, 0x0a, 0x20 | rs, 0);
    cmos_write(&r, 0x0b, 0x42, 0);
    while ((ev = vrtc_next_event(&r.rtc)) <= span) {
        uint64_t want = (uint64_t)(((unsigned __int128)(k + 1) * period_ticks * SEC + 32767) / 32768);
        if (ev != want) {
            printf("    rate %u: interrupt %" PRIu64 " at %" PRIu64 ", want %" PRIu64 "\n",
                   rs, k + 1, ev, want);
            CHECK_EQ(ev, want);
            return;
        }
        vrtc_advance(&r.rtc, ev);
        CHECK_EQ(r.irq.level[8], 1);
        CHECK_EQ(cmos_read(&r, 0x0c, ev) & 0xc0, 0xc0);     /* IRQF | PF (UF too, each s) */
        CHECK_EQ(r.irq.level[8], 0);
        k++;
    }
    CHECK_EQ(r.irq.rises[8], k);
    CHECK_EQ(k, span * 32768 / SEC / period_ticks);
}

static void test_periodic_rates(void)
{
    periodic(6, 32, 10 * SEC);          /* 1024 Hz, Linux's default, 10 s */
    periodic(15, 16384, 10 * SEC);      /* 2 Hz */
    periodic(3, 4, SEC);                /* 8192 Hz, the fastest */
    periodic(1, 128, SEC);              /* 256 Hz */
    periodic(2, 256, SEC);              /* 128 Hz */
    periodic(10, 512, 10 * SEC);        /* 64 Hz */
}

/* PF is set with PIE off (read by polling C), the line stays low, and IRQF holds
 * the line (one edge) until C is read. */
static void test_register_c(void)
{
    struct rig r;

    rig_init(&r, T0, 0);
    CHECK_EQ(cmos_read(&r, 0x0c, 500000), 0x00);
    CHECK_EQ(cmos_read(&r, 0x0c, 1500000), 0x40);            /* 1024 Hz tick passed */
    CHECK_EQ(cmos_read(&r, 0x0c, 1500001), 0x00);            /* read cleared it */
    CHECK(vrtc_next_event(&r.rtc) == HVM_NO_EVENT);
    CHECK_EQ(r.irq.calls[8], 0);
    cmos_write(&r, 0x0b, 0x42, 2000000);                     /* PIE: PF already set */
    CHECK_EQ(r.irq.level[8], 1);
    vrtc_advance(&r.rtc, 50000000);                          /* many ticks, no read */
    CHECK_EQ(r.irq.rises[8], 1);
    CHECK(vrtc_next_event(&r.rtc) == HVM_NO_EVENT);
    cmos_write(&r, 0x0b, 0x02, 50000001);                    /* PIE off: IRQF drops */
    CHECK_EQ(r.irq.level[8], 0);
    CHECK_EQ(cmos_read(&r, 0x0c, 50000002), 0x40);
    cmos_write(&r, 0x0c, 0xff, 50000003);                    /* read-only */
    cmos_write(&r, 0x0d, 0x00, 50000003);
    CHECK_EQ(cmos_read(&r, 0x0c, 50000003), 0x00);
    CHECK_EQ(cmos_read(&r, 0x0d, 50000003), 0x80);
}

static void test_update_ended(void)
{
    struct rig r;

    rig_init(&r, T0, 0);
    cmos_write(&r, 0x0b, 0x12, SEC / 2);                     /* UIE */
    for (uint64_t k = 1; k <= 5; k++) {
        CHECK_EQ(vrtc_next_event(&r.rtc), k * SEC + UPD);
        vrtc_advance(&r.rtc, k * SEC + UPD);
        CHECK_EQ(cmos_read(&r, 0x0c, k * SEC + UPD) & 0xb0, 0x90);  /* IRQF | UF, no AF */
    }
    CHECK_EQ(r.irq.rises[8], 5);
    cmos_write(&r, 0x0b, 0x92, 5 * SEC + SEC / 2);            /* SET clears UIE */
    CHECK_EQ(cmos_read(&r, 0x0b, 5 * SEC + SEC / 2), 0x82);
    CHECK(vrtc_next_event(&r.rtc) == HVM_NO_EVENT);
}

static void test_alarm(void)
{
    static const struct {
        const char *name; uint8_t b, h, m, s; uint64_t at;  /* update index it fires at */
    } rows[] = {
        { "exact, BCD",          0x22, 0x22, 0x13, 0x25, 5 },
        { "exact, binary",       0x26, 22, 13, 30, 10 },
        { "12h, 10 PM",          0x20, 0x80 | 0x10, 0x14, 0x00, 40 },
        { "any second",          0x22, 0x22, 0x13, 0xc0, 1 },
        { "any hour, minute 14", 0x22, 0xff, 0x14, 0x05, 45 },
        { "tomorrow 22:13:10",   0x22, 0x22, 0x13, 0x10, 86390 },
        { "hour 0x24 never",     0x22, 0x24, 0x13, 0x25, 0 },
    };
    for (unsigned i = 0; i < ARRAY_SIZE(rows); i++) {
        struct rig r;
        uint64_t ev, want = rows[i].at ? rows[i].at * SEC + UPD : HVM_NO_EVENT;

        rig_init(&r, T0, 0);
        cmos_write(&r, 0x0b, rows[i].b & ~0x20, 0);
        cmos_write(&r, 5, rows[i].h, 0);
        cmos_write(&r, 3, rows[i].m, 0);
        cmos_write(&r, 1, rows[i].s, 0);
        cmos_write(&r, 0x0b, rows[i].b, 0);
        ev = vrtc_next_event(&r.rtc);
        if (ev != want)
            printf("    %s: alarm at %" PRIu64 ", want %" PRIu64 "\n", rows[i].name, ev, want);
        CHECK(ev == want);
        if (!rows[i].at)
            continue;
        vrtc_advance(&r.rtc, want - 1);
        CHECK_EQ(r.irq.rises[8], 0);
        vrtc_advance(&r.rtc, want);
        CHECK_EQ(r.irq.rises[8], 1);
        CHECK_EQ(cmos_read(&r, 0x0c, want) & 0xa0, 0xa0);   /* IRQF | AF */
    }
}

/* Divider reset (DV = 11x) stops the clock; releasing it, the first update comes
 * 500 ms later. */
static void test_divider_reset(void)
{
    struct rig r;

    rig_init(&r, T0, 0);
    cmos_write(&r, 0x0a, 0x76, 2 * SEC + UPD);                /* 22:13:22, held */
    CHECK_EQ(cmos_read(&r, 0, 9 * SEC), 0x22);
    CHECK_EQ(cmos_read(&r, 0x0a, 9 * SEC + SEC - 100), 0x76); /* no UIP */
    cmos_write(&r, 0x0a, 0x26, 20 * SEC);
    CHECK_EQ(cmos_read(&r, 0x0a, 20 * SEC + SEC / 2 - 244001) & 0x80, 0);
    CHECK_EQ(cmos_read(&r, 0x0a, 20 * SEC + SEC / 2 - 244000) & 0x80, 0x80);
    CHECK_EQ(cmos_read(&r, 0, 20 * SEC + SEC / 2 + UPD - 1), 0x22);
    CHECK_EQ(cmos_read(&r, 0, 20 * SEC + SEC / 2 + UPD), 0x23);
}

static void test_index_nmi_ram(void)
{
    struct rig r;

    rig_init(&r, T0, 0);
    CHECK_EQ(vrtc_nmi_masked(&r.rtc), 0);
    outb(&r.bus, 0x70, 0, 0x80 | 0x40);
    CHECK_EQ(vrtc_nmi_masked(&r.rtc), 1);
    outb(&r.bus, 0x71, 0, 0x5a);
    CHECK_EQ(inb(&r.bus, 0x70, 0), 0xff);                     /* write-only */
    outb(&r.bus, 0x70, 0, 0x40);
    CHECK_EQ(vrtc_nmi_masked(&r.rtc), 0);
    CHECK_EQ(inb(&r.bus, 0x71, 0), 0x5a);
    for (unsigned i = 0x0e; i < 0x80; i++)
        if (i != 0x32)
            cmos_write(&r, (uint8_t)i, (uint8_t)(i ^ 0xa5), 0);
    for (unsigned i = 0x0e; i < 0x80; i++)
        if (i != 0x32 && cmos_read(&r, (uint8_t)i, 0) != (i ^ 0xa5)) {
            printf("    CMOS byte %#x lost\n", i);
            CHECK(0);
        }
    /* A word access at 0x70 writes the index and then the data byte. */
    io_write(&r.bus, 0x70, 2, 0, 0x7750);
    CHECK_EQ(cmos_read(&r, 0x50, 0), 0x77);
}

static void test_memory_bytes(void)
{
    static const struct { uint64_t ram; uint16_t ext, above16; } rows[] = {
        { 8ULL << 20, 7168, 0 },
        { 64ULL << 20, 0xfc00, 768 },
        { 256ULL << 20, 0xffff, 3840 },
        { 3ULL << 30, 0xffff, 48896 },
    };
    for (unsigned i = 0; i < ARRAY_SIZE(rows); i++) {
        struct rig r;
        unsigned sum = 0;

        rig_init(&r, T0, 0);
        vrtc_set_memory(&r.rtc, rows[i].ram);
        CHECK_EQ(cmos_read(&r, 0x15, 0) | cmos_read(&r, 0x16, 0) << 8, 640);
        CHECK_EQ(cmos_read(&r, 0x17, 0) | cmos_read(&r, 0x18, 0) << 8, rows[i].ext);
        CHECK_EQ(cmos_read(&r, 0x30, 0) | cmos_read(&r, 0x31, 0) << 8, rows[i].ext);
        CHECK_EQ(cmos_read(&r, 0x34, 0) | cmos_read(&r, 0x35, 0) << 8, rows[i].above16);
        CHECK_EQ(cmos_read(&r, 0x5b, 0), 0);
        for (unsigned j = 0x10; j <= 0x2d; j++)
            sum += cmos_read(&r, (uint8_t)j, 0);
        CHECK_EQ(cmos_read(&r, 0x2e, 0) << 8 | cmos_read(&r, 0x2f, 0), sum);
    }
}

/* The calendar itself: anchors checked with Python, then every day from 1600 to 2400
 * follows the one before (month lengths, leap years by the 4/100/400 rule). */
static void test_calendar(void)
{
    static const struct { int64_t y; unsigned m, d; int64_t days; } anchors[] = {
        { 1970, 1, 1, 0 }, { 1900, 1, 1, -25567 }, { 2000, 3, 1, 11017 },
        { 2100, 1, 1, 47482 }, { 1600, 2, 29, -135081 }, { 2400, 12, 31, 157419 },
    };
    static const unsigned mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    int64_t day = vrtc_cal_days(1600, 1, 1), bad = 0;

    for (unsigned i = 0; i < ARRAY_SIZE(anchors); i++)
        CHECK_EQ(vrtc_cal_days(anchors[i].y, anchors[i].m, anchors[i].d), anchors[i].days);
    for (int64_t y = 1600; y <= 2400; y++) {
        bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        for (unsigned m = 1; m <= 12; m++) {
            unsigned n = mdays[m - 1] + (m == 2 && leap);
            for (unsigned d = 1; d <= n; d++, day++) {
                struct vrtc_civil c;
                int64_t t = day * 86400 + 45296;        /* 12:34:56 */
                vrtc_cal_split(t, 0, &c);
                if (vrtc_cal_days(y, m, d) != day || c.year != y || c.month != m ||
                    c.mday != d || c.hour != 12 || c.min != 34 || c.sec != 56 ||
                    vrtc_cal_join(&c) != t) {
                    if (bad++ < 5)
                        printf("    %" PRId64 "-%02u-%02u: day %" PRId64 " split %" PRId64
                               "-%02u-%02u\n", y, m, d, day, c.year, c.month, c.mday);
                }
            }
        }
    }
    CHECK_EQ(bad, 0);
    CHECK_EQ(vrtc_cal_wday(0, 0), 5);                   /* 1970-01-01: Thursday */
    CHECK_EQ(vrtc_cal_wday(-25567, 0), 2);              /* 1900-01-01: Monday */
    CHECK_EQ(vrtc_cal_sod(-1), 86399);
}

static const struct unit_case cases[] = {
    { "calendar: anchors and every day 1600-2400", test_calendar },
    { "time in BCD 24h at given now, seconds change at update end", test_time_bcd },
    { "binary and 12-hour formats", test_time_formats },
    { "set through SET: century, leap days, month ends", test_set_and_calendar },
    { "SET holds the clock, invalid fields ignored, weekday offset", test_set_holds },
    { "fields written one at a time under SET", test_set_order },
    { "UIP window: 244 us before to 1984 us after each update", test_uip },
    { "periodic interrupt rates on the exact grid", test_periodic_rates },
    { "register C: PF without PIE, IRQF holds the line, read clears", test_register_c },
    { "update-ended interrupts, SET clears UIE", test_update_ended },
    { "alarm: exact, 12h, don't-care, next day, invalid", test_alarm },
    { "divider reset holds, first update 500 ms after release", test_divider_reset },
    { "index port, NMI mask bit, CMOS RAM", test_index_nmi_ram },
    { "memory size bytes and checksum", test_memory_bytes },
};
UNIT_MAIN(cases)
