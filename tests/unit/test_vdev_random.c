/* All platform devices on one bus under 200k random port accesses and timer
 * advances (fixed seeds, so a failure repeats), under ASan/UBSan: no access to a
 * registered port fails, no device reports an event at or before the time it was
 * last advanced to (the glue would re-arm a timer in the past forever), the PIT's IRQ 0 only pulses, the level lines the sink saw match
 * the devices' own view, and the UART's output is exactly the bytes written to THR
 * outside loopback and DLAB. */
#include "vdev_fixture.h"

struct plat {
    struct hvm_io_bus bus;
    struct vpit pit;
    struct vrtc rtc;
    struct vpmtimer pm;
    struct vuart uart;
    struct irq_log irq;
    uint64_t putc_count, shutdowns, resets;
};

static void plat_putc(void *ctx, uint8_t b)
{
    ((struct plat *)ctx)->putc_count++;
}

static void plat_shutdown(void *ctx, enum vpm_reason reason)
{
    ((struct plat *)ctx)->shutdowns++;
}

static void plat_reset(void *ctx)
{
    ((struct plat *)ctx)->resets++;
}

static uint64_t rng_state;

static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static const uint16_t ports[] = {
    0x40, 0x41, 0x42, 0x43, 0x61, 0x70, 0x71, 0x3f8, 0x3f9, 0x3fa, 0x3fb, 0x3fc, 0x3fd,
    0x3fe, 0x3ff, 0xb000, 0xb001, 0xb002, 0xb003, 0xb004, 0xb005, 0xb008, 0xcf9,
};

/* Values that reach interesting states more often than uniform bytes would. */
static uint8_t pick_value(uint16_t port)
{
    static const uint8_t cw[] = { 0x34, 0x36, 0x30, 0x38, 0xb0, 0xb2, 0xba, 0x00, 0xc2,
                                  0xde, 0x35, 0x14, 0x64 };
    static const uint8_t rtc_idx[] = { 0x0a, 0x0b, 0x0c, 0x0c, 0x0d, 0x00, 0x01, 0x04,
                                       0x05, 0x32, 0x80 | 0x0c };
    if (port == 0x43 && rnd() % 2)
        return cw[rnd() % ARRAY_SIZE(cw)];
    if (port == 0x70 && rnd() % 4)
        return rtc_idx[rnd() % ARRAY_SIZE(rtc_idx)];
    if ((port == 0xb004 || port == 0xb005) && rnd() % 8)
        return 0;                   /* keep SLP_EN rare */
    return (uint8_t)rnd();
}

static bool port_ok(struct plat *p, uint16_t port, unsigned size)
{
    for (unsigned i = 0; i < p->bus.nr; i++) {
        const struct hvm_io_range *r = &p->bus.range[i];
        if (port >= r->base && port + size <= r->base + r->len)
            return true;
    }
    return false;
}

static void run(uint64_t seed, unsigned steps)
{
    struct plat p;
    struct hvm_irq_sink sink = irq_log_sink(&p.irq);
    struct vpm_power_ops power = { .shutdown = plat_shutdown, .reset = plat_reset, .ctx = &p };
    uint64_t now = 1000 + seed, expect_out = 0;
    unsigned failures = 0;

    rng_state = seed * 0x9e3779b97f4a7c15ULL + 1;
    p.putc_count = p.shutdowns = p.resets = 0;
    hvm_io_bus_init(&p.bus);
    vpit_init(&p.pit, &sink, now);
    vrtc_init(&p.rtc, 1700000000, &sink, now);
    vpmtimer_init(&p.pm, &sink, &power, VPM_S5_SLP_TYP, now);
    vuart_init(&p.uart, VUART_COM1_BASE, VUART_COM1_IRQ, &sink, plat_putc, &p);
    CHECK_EQ(vpit_register(&p.pit, &p.bus), 0);
    CHECK_EQ(vrtc_register(&p.rtc, &p.bus), 0);
    CHECK_EQ(vpmtimer_register(&p.pm, &p.bus), 0);
    CHECK_EQ(vuart_register(&p.uart, &p.bus), 0);
    for (unsigned i = 0; i < steps && failures < 5; i++) {
        uint64_t ev[3] = { vpit_next_event(&p.pit), vrtc_next_event(&p.rtc),
                           vpmtimer_next_event(&p.pm) };
        unsigned what = (unsigned)(rnd() % 16);

        /* Each device's own "now": the last time it was advanced to. */
        bool past[3] = {
            ev[0] != HVM_NO_EVENT && hvm_ns_to_ticks(ev[0], VPIT_HZ) <= p.pit.checked,
            ev[1] != HVM_NO_EVENT && ev[1] <= p.rtc.flags_ns,
            ev[2] != HVM_NO_EVENT && hvm_ns_to_ticks(ev[2], VPM_TMR_HZ) <= p.pm.checked_tick,
        };

        for (unsigned d = 0; d < 3; d++)
            if (past[d]) {
                printf("    seed %" PRIu64 " step %u: device %u event %" PRIu64
                       " not after its last advance\n", seed, i, d, ev[d]);
                failures++;
            }
        /* Time moves by up to ~2 ms, sometimes straight to the next event. */
        if (what == 0 && ev[0] != HVM_NO_EVENT)
            now = ev[0];
        else if (what == 1 && ev[1] != HVM_NO_EVENT)
            now = ev[1];
        else
            now += rnd() % 2000000;
        if (what < 3) {
            vpit_advance(&p.pit, now);
            vrtc_advance(&p.rtc, now);
            vpmtimer_advance(&p.pm, now);
        } else if (what == 4 && rnd() % 64 == 0) {
            vpmtimer_power_button(&p.pm, now);
        } else if (what == 3) {
            uint8_t buf[8];
            size_t n = rnd() % 8;
            for (size_t j = 0; j < n; j++)
                buf[j] = (uint8_t)rnd();
            vuart_input(&p.uart, buf, n);
        } else {
            uint16_t port = ports[rnd() % ARRAY_SIZE(ports)];
            unsigned size = rnd() % 4 ? 1 : (rnd() % 2 ? 2 : 4);
            bool write = rnd() % 2;
            uint64_t v = write ? pick_value(port) | (rnd() << 8) : 0;
            int rc;

            /* THR is the first byte of any access at the base, seen before the
             * access's later bytes change LCR or MCR. */
            if (write && port == VUART_COM1_BASE && !(p.uart.lcr & 0x80) &&
                !(p.uart.mcr & 0x10))
                expect_out++;
            rc = hvm_io_dispatch(&p.bus, HVM_IO_PORT, port, size, write, now, &v);
            if (rc != (port_ok(&p, port, size) ? 0 : -ENODEV)) {
                printf("    seed %" PRIu64 " step %u: port %#x size %u rc %d\n", seed, i,
                       port, size, rc);
                failures++;
            }
        }
        if (p.irq.level[0] || p.irq.level[8] != p.rtc.line || p.irq.level[9] != p.pm.line ||
            p.irq.level[4] != p.uart.line) {
            printf("    seed %" PRIu64 " step %u: sink levels 0:%d 4:%d 8:%d 9:%d\n", seed,
                   i, p.irq.level[0], p.irq.level[4], p.irq.level[8], p.irq.level[9]);
            failures++;
        }
    }
    CHECK_EQ(failures, 0);
    CHECK_EQ(p.putc_count, expect_out);
    if (getenv("VDEV_RANDOM_STATS"))
        printf("    seed %" PRIu64 ": %" PRIu64 " ns, IRQ rises 0:%u 4:%u 8:%u 9:%u, %" PRIu64
               " bytes out, %" PRIu64 " shutdowns, %" PRIu64 " resets\n", seed, now,
               p.irq.rises[0], p.irq.rises[4], p.irq.rises[8], p.irq.rises[9],
               p.putc_count, p.shutdowns, p.resets);
}

static void test_random(void)
{
    for (uint64_t seed = 1; seed <= 4; seed++)
        run(seed, 50000);
}

static const struct unit_case cases[] = {
    { "200k random accesses and advances over all devices", test_random },
};
UNIT_MAIN(cases)
