/* The Intel 8254 programmable interval timer of an HVM domain. See <hvlab/hvm/vdev.h>.
 *
 * Design: nothing ticks. Time is the PIT clock (1.193182 MHz) counted from ns 0,
 * hvm_ns_to_ticks(now); a running channel remembers the tick its count started at,
 * and its count and output at tick T are functions of the elapsed ticks d = T - start
 * and the mode (channel_count, channel_out). Channel 0's interrupts are the rising
 * edges of its output, at elapsed ticks that are multiples of the period (modes 2,
 * 3) or at one tick (modes 0, 1, 4, 5); vpit_advance delivers those in
 * (checked, T] as one pulse, and every port access advances first, so the guest
 * never sees a count from after an interrupt it has not been given.
 * Modes: all six. BCD counting is honoured (counts modulo 10000, read back in BCD).
 * Gate: channels 0 and 1 are wired high; channel 2's is port 0x61 bit 0. Gate low
 * pauses modes 0 and 4, stops modes 2 and 3 (output high, restart on the rising
 * edge), and a rising edge triggers modes 1 and 5.
 *
 * Locking: none (see vdev.h).
 *
 * Limitations: a count of 1 in modes 2 and 3 (illegal on the chip) counts as 2; a
 * new count written while mode 3 runs takes effect at the end of the whole period,
 * not of the half period; the one-clock delay between writing a count and counting
 * is not modelled; port 0x61 bit 4 (refresh) toggles every 15.085 us from ns 0. */
#include <hvlab/errno.h>
#include <hvlab/hvm/vdev.h>
#include <hvlab/lib.h>

#define NO_TICK UINT64_MAX
#define REFRESH_NS 15085

static uint32_t modulus(const struct vpit_channel *c)
{
    return c->bcd ? 10000 : 65536;
}

static uint16_t to_raw(const struct vpit_channel *c, uint32_t v)
{
    v %= modulus(c);
    if (!c->bcd)
        return (uint16_t)v;
    return (uint16_t)((v / 1000) << 12 | (v / 100 % 10) << 8 | (v / 10 % 10) << 4 | v % 10);
}

/* The count register as a number of ticks: 0 is the largest count. BCD digits above
 * 9 are taken at face value (the chip's behaviour with them is undefined). */
static uint32_t from_raw(const struct vpit_channel *c, uint16_t raw)
{
    uint32_t v = raw;

    if (c->bcd)
        v = (raw >> 12) * 1000 + (raw >> 8 & 15) * 100 + (raw >> 4 & 15) * 10 + (raw & 15);
    if (v == 0)
        v = modulus(c);
    if ((c->mode == 2 || c->mode == 3) && v == 1)
        v = 2;
    return v;
}

static bool periodic(const struct vpit_channel *c)
{
    return c->mode == 2 || c->mode == 3;
}

/* Elapsed ticks at which the output rises, for the one-shot modes. */
static uint64_t oneshot_edge(const struct vpit_channel *c)
{
    return c->mode == 4 || c->mode == 5 ? (uint64_t)c->n + 1 : c->n;
}

static uint32_t mode3_count(uint32_t n, uint64_t d)
{
    uint32_t high = (n + 1) / 2, p = (uint32_t)(d % n);

    /* Even n: n, n-2, ..., 2 in each half. Odd n: the high half loses 1 on its
     * first clock and the low half 3, then both count down by 2 to 2. */
    if (n % 2 == 0)
        return n - 2 * (p < high ? p : p - high);
    if (p < high)
        return p == 0 ? n : n + 1 - 2 * p;
    p -= high;
    return p == 0 ? n : n - 1 - 2 * p;
}

static uint32_t running_count(const struct vpit_channel *c, uint64_t d)
{
    switch (c->mode) {
    case 2:
        return c->n - (uint32_t)(d % c->n);
    case 3:
        return mode3_count(c->n, d);
    default:    /* 0, 1, 4, 5: down from n, wrapping past 0 */
        return (uint32_t)((c->n + modulus(c) - d % modulus(c)) % modulus(c));
    }
}

static bool running_out(const struct vpit_channel *c, uint64_t d)
{
    switch (c->mode) {
    case 0: return d >= c->n;
    case 1: return d >= c->n;
    case 2: return d % c->n != c->n - 1u;
    case 3: return d % c->n < (c->n + 1) / 2;
    default: return d != c->n;      /* 4, 5: low for the one tick at terminal count */
    }
}

/* Elapsed ticks (from start) at tick T; T never precedes start while running. */
static uint64_t elapsed(const struct vpit_channel *c, uint64_t t)
{
    return t > c->start ? t - c->start : 0;
}

/* Apply a count written during a periodic count once its period has ended. */
static void channel_sync(struct vpit_channel *c, uint64_t t)
{
    if (c->pending && t >= c->pending_at) {
        c->start = c->pending_at;
        c->n = c->pending_n;
        c->pending = false;
        c->null_count = false;
    }
}

static uint16_t channel_count(const struct vpit_channel *c, uint64_t t)
{
    if (c->paused)
        return to_raw(c, running_count(c, c->paused_at));
    if (!c->running)
        return c->held;
    return to_raw(c, running_count(c, elapsed(c, t)));
}

static bool channel_out(const struct vpit_channel *c, uint64_t t)
{
    if (c->paused)
        return running_out(c, c->paused_at);
    if (!c->running)
        return c->held_out;
    return running_out(c, elapsed(c, t));
}

/* The first tick after t at which the output rises, NO_TICK if none. */
static uint64_t next_edge(const struct vpit_channel *c, uint64_t t)
{
    uint64_t d, e;

    if (!c->running || c->paused)
        return NO_TICK;
    d = t < c->start ? 0 : t - c->start;
    if (periodic(c))
        e = (d / c->n + 1) * c->n;
    else if ((e = oneshot_edge(c)) <= d)
        return NO_TICK;
    if (c->pending && c->pending_at < c->start + e)
        return c->pending_at;
    return c->start + e;
}

static uint64_t now_tick(const struct vpit *pit, uint64_t now)
{
    uint64_t t = hvm_ns_to_ticks(now, VPIT_HZ);

    return t < pit->checked ? pit->checked : t;
}

void vpit_advance(struct vpit *pit, uint64_t now)
{
    uint64_t t = now_tick(pit, now);
    uint64_t edge = next_edge(&pit->ch[0], pit->checked);

    if (edge != NO_TICK && edge <= t) {
        pit->irq.set_level(pit->irq.ctx, VPIT_IRQ, true);
        pit->irq.set_level(pit->irq.ctx, VPIT_IRQ, false);
    }
    for (unsigned i = 0; i < 3; i++)
        channel_sync(&pit->ch[i], t);
    pit->checked = t;
}

uint64_t vpit_next_event(const struct vpit *pit)
{
    uint64_t edge = next_edge(&pit->ch[0], pit->checked);

    return edge == NO_TICK ? HVM_NO_EVENT : hvm_ticks_to_ns(edge, VPIT_HZ);
}

/* Start counting n from tick t (a load, or a trigger in modes 1, 5). */
static void channel_start(struct vpit_channel *c, uint64_t t)
{
    c->n = from_raw(c, c->cr);
    c->start = t;
    c->pending = false;
    c->null_count = false;
    c->paused = !c->gate && (c->mode == 0 || c->mode == 4);
    c->paused_at = 0;
    c->running = !c->paused && (c->gate || c->mode == 1 || c->mode == 5);
}

static void channel_stop(struct vpit_channel *c, uint64_t t, bool out)
{
    c->held = channel_count(c, t);
    c->held_out = out;
    c->running = false;
    c->paused = false;
    c->pending = false;
}

/* A complete count was written. */
static void channel_load(struct vpit_channel *c, uint64_t t)
{
    bool first = !c->loaded;

    c->loaded = true;
    c->null_count = true;
    switch (c->mode) {
    case 1:
    case 5:
        return;     /* waits for a gate trigger */
    case 2:
    case 3:
        if (!first && c->running) {
            c->pending_n = from_raw(c, c->cr);
            c->pending_at = c->start + (elapsed(c, t) / c->n + 1) * c->n;
            c->pending = true;
            return;
        }
        if (c->gate)
            channel_start(c, t);
        return;
    default:
        channel_start(c, t);
    }
}

static void channel_set_gate(struct vpit_channel *c, uint64_t t, bool gate)
{
    bool rising = gate && !c->gate;

    if (gate == c->gate)
        return;
    c->gate = gate;
    if (!c->loaded)
        return;
    switch (c->mode) {
    case 0:
    case 4:
        if (!gate && c->running) {
            c->paused_at = elapsed(c, t);
            c->paused = true;
            c->running = false;
        } else if (gate && c->paused) {
            c->start = t - c->paused_at;
            c->paused = false;
            c->running = true;
        }
        return;
    case 2:
    case 3:
        if (!gate) {
            channel_sync(c, t);
            channel_stop(c, t, true);
        } else {
            channel_start(c, t);
        }
        return;
    default:    /* 1, 5 */
        if (rising)
            channel_start(c, t);
    }
}

static void latch_count(struct vpit_channel *c, uint64_t t)
{
    if (c->count_latched)
        return;     /* a second latch before the first is read is ignored */
    c->latch = channel_count(c, t);
    c->count_latched = true;
}

static void latch_status(struct vpit_channel *c, uint64_t t)
{
    if (c->status_latched)
        return;
    c->status = (uint8_t)(channel_out(c, t) << 7 | c->null_count << 6 | c->access << 4 |
                          c->mode << 1 | c->bcd);
    c->status_latched = true;
}

static void control_word(struct vpit *pit, uint64_t t, uint8_t v)
{
    struct vpit_channel *c;

    if ((v >> 6) == 3) {    /* read-back: bit 5 clear latches counts, bit 4 status */
        for (unsigned i = 0; i < 3; i++) {
            if (!(v & (2u << i)))
                continue;
            if (!(v & 0x10))
                latch_status(&pit->ch[i], t);
            if (!(v & 0x20))
                latch_count(&pit->ch[i], t);
        }
        return;
    }
    c = &pit->ch[v >> 6];
    if ((v & 0x30) == 0) {
        latch_count(c, t);
        return;
    }
    channel_stop(c, t, ((v >> 1) & 7) != 0);    /* mode 0 starts low, others high */
    c->access = (v >> 4) & 3;
    c->mode = (v >> 1) & 7;
    if (c->mode > 5)
        c->mode -= 4;       /* 6, 7 are aliases of 2, 3 */
    c->bcd = v & 1;
    c->held_out = c->mode != 0;
    c->loaded = false;
    c->null_count = true;
    c->wr_msb_next = c->rd_msb_next = false;
    c->count_latched = c->status_latched = false;
}

static void count_write(struct vpit_channel *c, uint64_t t, uint8_t v)
{
    switch (c->access) {
    case 1:
        c->cr = v;
        break;
    case 2:
        c->cr = (uint16_t)(v << 8);
        break;
    default:
        if (!c->wr_msb_next) {
            c->wr_lsb = v;
            c->wr_msb_next = true;
            /* Mode 0: the first byte stops the count (its output goes low). */
            if (c->mode == 0 && (c->running || c->paused))
                channel_stop(c, t, false);
            return;
        }
        c->cr = (uint16_t)(c->wr_lsb | v << 8);
        c->wr_msb_next = false;
    }
    channel_load(c, t);
}

/* One byte of the count: access 3 alternates LSB, MSB; a latch is released once
 * read in full. */
static uint8_t count_read(struct vpit_channel *c, uint64_t t)
{
    uint16_t v = c->count_latched ? c->latch : channel_count(c, t);
    bool msb = c->access == 2 || (c->access == 3 && c->rd_msb_next);

    if (c->access == 3)
        c->rd_msb_next = !c->rd_msb_next;
    if (c->count_latched && (c->access != 3 || msb))
        c->count_latched = false;
    return msb ? (uint8_t)(v >> 8) : (uint8_t)v;
}

static uint8_t pit_read_byte(void *dev, uint64_t port, uint64_t now)
{
    struct vpit *pit = dev;
    uint64_t t = pit->checked;
    struct vpit_channel *c;

    if (port == VPIT_PORT_61)
        return (uint8_t)(pit->port61 | ((now / REFRESH_NS) & 1) << 4 |
                         channel_out(&pit->ch[2], t) << 5);
    if (port == VPIT_PORT_BASE + 3)
        return 0xff;        /* the control word register is write-only */
    c = &pit->ch[port - VPIT_PORT_BASE];
    if (c->status_latched) {
        c->status_latched = false;
        return c->status;
    }
    return count_read(c, t);
}

static void pit_write_byte(void *dev, uint64_t port, uint64_t now, uint8_t v)
{
    struct vpit *pit = dev;
    uint64_t t = pit->checked;

    if (port == VPIT_PORT_61) {
        pit->port61 = v & 0x0f;
        channel_set_gate(&pit->ch[2], t, v & 1);
    } else if (port == VPIT_PORT_BASE + 3) {
        control_word(pit, t, v);
    } else {
        count_write(&pit->ch[port - VPIT_PORT_BASE], t, v);
    }
}

static int pit_io_read(void *dev, uint64_t addr, unsigned size, uint64_t now, uint64_t *val)
{
    vpit_advance(dev, now);
    hvm_io_bytes_read(dev, addr, size, now, val, pit_read_byte);
    return 0;
}

static int pit_io_write(void *dev, uint64_t addr, unsigned size, uint64_t now, uint64_t val)
{
    vpit_advance(dev, now);
    hvm_io_bytes_write(dev, addr, size, now, val, pit_write_byte);
    return 0;
}

static const struct hvm_io_ops vpit_io_ops = { .read = pit_io_read, .write = pit_io_write };

void vpit_init(struct vpit *pit, const struct hvm_irq_sink *irq, uint64_t now)
{
    memset(pit, 0, sizeof(*pit));
    pit->irq = *irq;
    pit->checked = hvm_ns_to_ticks(now, VPIT_HZ);
    for (unsigned i = 0; i < 3; i++) {
        struct vpit_channel *c = &pit->ch[i];
        c->mode = 3;
        c->access = 3;
        c->held_out = true;
        c->gate = i != 2;
    }
}

int vpit_register(struct vpit *pit, struct hvm_io_bus *bus)
{
    int rc = hvm_io_register(bus, HVM_IO_PORT, VPIT_PORT_BASE, 4, &vpit_io_ops, pit);

    return rc ? rc : hvm_io_register(bus, HVM_IO_PORT, VPIT_PORT_61, 1, &vpit_io_ops, pit);
}

bool vpit_output(struct vpit *pit, unsigned channel, uint64_t now)
{
    vpit_advance(pit, now);
    return channel_out(&pit->ch[channel], pit->checked);
}

uint16_t vpit_count(struct vpit *pit, unsigned channel, uint64_t now)
{
    vpit_advance(pit, now);
    return channel_count(&pit->ch[channel], pit->checked);
}
