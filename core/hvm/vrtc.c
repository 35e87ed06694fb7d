/* The MC146818 real-time clock and CMOS RAM of an HVM domain. See <hvlab/hvm/vdev.h>.
 *
 * Design: the clock is a count of seconds since 1970, never a set of registers to
 * tick. The divider chain started at div_ns; update cycle k (k >= 1) begins at
 * div_ns + k s, holds UIP from 244 us before that until it ends 1984 us later, and
 * when it ends the time has gained a second (the update-ended and alarm flags are
 * raised then). While updates run the time is sec_offset + (updates ended by now);
 * while SET is on or the divider is held in reset it is `held`, as fields (Linux
 * writes year, month, day in turn: Jan 31 -> Feb 31 must not become Mar 3 before
 * the day is written). The time registers
 * are computed on every read, in the format register B asks for at that moment
 * (BCD or binary, 12 or 24 hours); a write converts the field back and moves the
 * clock. Flags PF, UF and AF are accounted lazily over (flags_ns, now]; IRQ 8
 * follows IRQF, which holds until register C is read (or the enable bit is cleared),
 * as on the chip.
 *
 * Locking: none (see vdev.h).
 *
 * Limitations: a time field written with a value the clock cannot hold (minute 75,
 * BCD digit A, day 0) is ignored; a day past the month's end (Feb 30) moves into
 * the next month once the clock runs; the daylight-saving bit is stored but never applied; DV values other than
 * 11x (divider reset) all run at 32.768 kHz; the square-wave output is not modelled;
 * port 0x70 reads 0xff (write-only on the chip); no second CMOS bank (0x72/0x73). */
#include <hvlab/errno.h>
#include <hvlab/hvm/vdev.h>
#include <hvlab/lib.h>

#define NS HVM_NS_PER_SEC
#define DAY 86400
#define DIV_HZ 32768u
#define FIRST_UPDATE_AFTER_RESET (NS / 2)

enum { R_SEC, R_SEC_ALARM, R_MIN, R_MIN_ALARM, R_HOUR, R_HOUR_ALARM, R_WDAY, R_MDAY,
       R_MONTH, R_YEAR, R_A, R_B, R_C, R_D };

#define A_UIP   0x80
#define A_RESET 0x60        /* DV = 11x: divider held in reset */
#define B_SET   0x80
#define B_PIE   0x40
#define B_AIE   0x20
#define B_UIE   0x10
#define B_DM    0x04        /* binary, not BCD */
#define B_24H   0x02
#define C_IRQF  0x80
#define C_PF    0x40
#define C_AF    0x20
#define C_UF    0x10
#define D_VRT   0x80

/* ---- register formats ---- */

static bool bcd_mode(const struct vrtc *rtc)
{
    return !(rtc->cmos[R_B] & B_DM);
}

static uint8_t encode(const struct vrtc *rtc, unsigned v, bool hour)
{
    bool pm = false;

    if (hour && !(rtc->cmos[R_B] & B_24H)) {
        pm = v >= 12;
        v = v % 12 ? v % 12 : 12;
    }
    if (bcd_mode(rtc))
        v = (v / 10) << 4 | v % 10;
    return (uint8_t)(v | (pm ? 0x80 : 0));
}

/* A register value as a number; -1 when it is not one (a BCD digit above 9, hour
 * 0 or 13 in 12-hour mode). Range checks are the caller's. */
static int decode(const struct vrtc *rtc, uint8_t v, bool hour)
{
    bool twelve = hour && !(rtc->cmos[R_B] & B_24H), pm = twelve && (v & 0x80);
    int x;

    if (twelve)
        v &= 0x7f;
    if (bcd_mode(rtc)) {
        if ((v >> 4) > 9 || (v & 15) > 9)
            return -1;
        x = (v >> 4) * 10 + (v & 15);
    } else {
        x = v;
    }
    if (twelve) {
        if (x < 1 || x > 12)
            return -1;
        x = x % 12 + (pm ? 12 : 0);
    }
    return x;
}

/* ---- the clock ---- */

static bool div_running(const struct vrtc *rtc)
{
    return (rtc->cmos[R_A] & A_RESET) != A_RESET;
}

static bool updating(const struct vrtc *rtc)
{
    return div_running(rtc) && !(rtc->cmos[R_B] & B_SET);
}

/* Update cycles ended in (div_ns, now]. */
static uint64_t updates(const struct vrtc *rtc, uint64_t now)
{
    uint64_t d = now - rtc->div_ns;

    return d >= NS + VRTC_UPDATE_NS ? (d - VRTC_UPDATE_NS) / NS : 0;
}

static uint64_t update_end_ns(const struct vrtc *rtc, uint64_t k)
{
    return rtc->div_ns + k * NS + VRTC_UPDATE_NS;
}

/* The time shown at now, as fields. */
static void clock_get(const struct vrtc *rtc, uint64_t now, struct vrtc_civil *c)
{
    const struct vrtc_date *h = &rtc->held;

    if (updating(rtc)) {
        vrtc_cal_split(rtc->sec_offset + (int64_t)updates(rtc, now), rtc->wday_delta, c);
        return;
    }
    *c = (struct vrtc_civil){ .year = h->year, .month = h->month, .mday = h->mday,
                         .hour = h->hour, .min = h->min, .sec = h->sec };
    c->wday = vrtc_cal_wday(vrtc_cal_days(h->year, h->month, h->mday), rtc->wday_delta);
}

static int64_t clock_at(const struct vrtc *rtc, uint64_t now)
{
    struct vrtc_civil c;

    if (updating(rtc))
        return rtc->sec_offset + (int64_t)updates(rtc, now);
    clock_get(rtc, now, &c);
    return vrtc_cal_join(&c);
}

static void hold(struct vrtc *rtc, const struct vrtc_civil *c)
{
    rtc->held = (struct vrtc_date){
        .year = (int32_t)c->year, .month = (uint8_t)c->month, .mday = (uint8_t)c->mday,
        .hour = (uint8_t)c->hour, .min = (uint8_t)c->min, .sec = (uint8_t)c->sec,
    };
}

static void clock_put(struct vrtc *rtc, uint64_t now, const struct vrtc_civil *c)
{
    if (updating(rtc))
        rtc->sec_offset = vrtc_cal_join(c) - (int64_t)updates(rtc, now);
    else
        hold(rtc, c);
}

static bool uip(const struct vrtc *rtc, uint64_t now)
{
    uint64_t d = now - rtc->div_ns, off = d % NS;

    if (!updating(rtc))
        return false;
    return off >= NS - VRTC_UIP_LEAD_NS || (d >= NS && off < VRTC_UPDATE_NS);
}

/* Periodic interrupt period in divider ticks (32.768 kHz), 0 when off. Rates 1 and
 * 2 are 256 and 128 Hz with a 32.768 kHz time base, like rates 8 and 9. */
static uint64_t period_ticks(const struct vrtc *rtc)
{
    unsigned rs = rtc->cmos[R_A] & 15;

    if (rs == 0 || !div_running(rtc))
        return 0;
    return 1ULL << (rs < 3 ? rs + 6 : rs - 1);
}

static uint64_t div_ticks(const struct vrtc *rtc, uint64_t now)
{
    return hvm_ns_to_ticks(now - rtc->div_ns, DIV_HZ);
}

/* ---- alarm ---- */

/* An alarm register: -1 don't care (11xxxxxx), -2 matches nothing, else the value. */
static int alarm_field(const struct vrtc *rtc, unsigned idx, int limit)
{
    uint8_t v = rtc->cmos[idx];
    int x;

    if ((v & 0xc0) == 0xc0)
        return -1;
    x = decode(rtc, v, idx == R_HOUR_ALARM);
    return x >= 0 && x < limit ? x : -2;
}

/* Seconds from second-of-day s0 to the first second at or after it whose time
 * matches the alarm, -1 if none ever does. Earlier hours and minutes are skipped
 * whole, so this takes at most a few thousand steps. */
static int64_t alarm_wait(const struct vrtc *rtc, unsigned s0)
{
    int h = alarm_field(rtc, R_HOUR_ALARM, 24), m = alarm_field(rtc, R_MIN_ALARM, 60);
    int s = alarm_field(rtc, R_SEC_ALARM, 60);

    if (h == -2 || m == -2 || s == -2)
        return -1;
    for (unsigned day = 0; day < 2; day++) {
        for (int hh = 0; hh < 24; hh++) {
            if ((h >= 0 && hh != h) || (!day && (unsigned)(hh + 1) * 3600 <= s0))
                continue;
            for (int mm = 0; mm < 60; mm++) {
                unsigned base = day * DAY + (unsigned)hh * 3600 + (unsigned)mm * 60;
                if ((m >= 0 && mm != m) || base + 60 <= s0)
                    continue;
                for (int ss = 0; ss < 60; ss++)
                    if ((s < 0 || ss == s) && base + (unsigned)ss >= s0)
                        return base + (unsigned)ss - s0;
            }
        }
    }
    return -1;
}

/* The first update, of index >= k, whose new time matches the alarm; 0 if none. */
static uint64_t alarm_update(const struct vrtc *rtc, uint64_t k)
{
    int64_t t = rtc->sec_offset + (int64_t)k;
    int64_t wait = alarm_wait(rtc, vrtc_cal_sod(t));

    return wait < 0 ? 0 : k + (uint64_t)wait;
}

/* ---- flags and the interrupt line ---- */

static void flags_sync(struct vrtc *rtc, uint64_t now)
{
    uint64_t from = rtc->flags_ns, p = period_ticks(rtc);
    uint8_t f = 0;

    if (now <= from)
        return;
    if (p && div_ticks(rtc, now) / p > div_ticks(rtc, from) / p)
        f |= C_PF;
    if (updating(rtc)) {
        uint64_t k1 = updates(rtc, from) + 1, k2 = updates(rtc, now), a;
        if (k2 >= k1) {
            f |= C_UF;
            a = alarm_update(rtc, k1);
            if (a && a <= k2)
                f |= C_AF;
        }
    }
    rtc->cmos[R_C] |= f;
    rtc->flags_ns = now;
}

/* IRQF = PF.PIE + AF.AIE + UF.UIE (the datasheet's equation), and the line with it. */
static void irq_update(struct vrtc *rtc)
{
    bool irqf = rtc->cmos[R_C] & rtc->cmos[R_B] & (C_PF | C_AF | C_UF);

    rtc->cmos[R_C] = (uint8_t)((rtc->cmos[R_C] & ~C_IRQF) | (irqf ? C_IRQF : 0));
    if (irqf != rtc->line) {
        rtc->line = irqf;
        rtc->irq.set_level(rtc->irq.ctx, VRTC_IRQ, irqf);
    }
}

void vrtc_advance(struct vrtc *rtc, uint64_t now)
{
    flags_sync(rtc, now);
    irq_update(rtc);
}

static uint64_t earlier(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

uint64_t vrtc_next_event(const struct vrtc *rtc)
{
    uint8_t en = rtc->cmos[R_B];
    uint64_t best = HVM_NO_EVENT, p = period_ticks(rtc);

    if (rtc->cmos[R_C] & C_IRQF)
        return HVM_NO_EVENT;        /* the line stays up until C is read */
    if ((en & B_PIE) && p) {
        uint64_t k = div_ticks(rtc, rtc->flags_ns) / p + 1;
        best = rtc->div_ns + hvm_ticks_to_ns(k * p, DIV_HZ);
    }
    if (updating(rtc) && (en & (B_UIE | B_AIE))) {
        uint64_t k1 = updates(rtc, rtc->flags_ns) + 1, a;
        if (en & B_UIE)
            best = earlier(best, update_end_ns(rtc, k1));
        if ((en & B_AIE) && (a = alarm_update(rtc, k1)))
            best = earlier(best, update_end_ns(rtc, a));
    }
    return best;
}

/* ---- registers ---- */

/* Register A or B changes what runs; keep the time across it. */
static void control_write(struct vrtc *rtc, uint64_t now, unsigned idx, uint8_t v)
{
    bool was_div = div_running(rtc), was = updating(rtc);
    struct vrtc_civil c;

    clock_get(rtc, now, &c);

    if (idx == R_A) {
        rtc->cmos[R_A] = v & ~A_UIP;
    } else {
        if (v & B_SET)
            v &= ~B_UIE;            /* SET clears UIE (MC146818 datasheet) */
        rtc->cmos[R_B] = v;
    }
    if (!was_div && div_running(rtc))
        rtc->div_ns = now - FIRST_UPDATE_AFTER_RESET;   /* first update in 500 ms */
    if (was && !updating(rtc))
        hold(rtc, &c);
    else if (!was && updating(rtc))
        rtc->sec_offset = vrtc_cal_join(&c) - (int64_t)updates(rtc, now);
    irq_update(rtc);
}

static uint8_t time_read(struct vrtc *rtc, uint64_t now, unsigned idx)
{
    struct vrtc_civil c;

    clock_get(rtc, now, &c);
    switch (idx) {
    case R_SEC:   return encode(rtc, c.sec, false);
    case R_MIN:   return encode(rtc, c.min, false);
    case R_HOUR:  return encode(rtc, c.hour, true);
    case R_WDAY:  return encode(rtc, c.wday, false);
    case R_MDAY:  return encode(rtc, c.mday, false);
    case R_MONTH: return encode(rtc, c.month, false);
    case R_YEAR:  return encode(rtc, (unsigned)(c.year % 100), false);
    default:      return encode(rtc, (unsigned)(c.year / 100 % 100), false);  /* century */
    }
}

static void time_write(struct vrtc *rtc, uint64_t now, unsigned idx, uint8_t v)
{
    int x = decode(rtc, v, idx == R_HOUR);
    struct vrtc_civil c;

    clock_get(rtc, now, &c);
    switch (idx) {
    case R_SEC:   if (x < 0 || x > 59) return; c.sec = (unsigned)x; break;
    case R_MIN:   if (x < 0 || x > 59) return; c.min = (unsigned)x; break;
    case R_HOUR:  if (x < 0 || x > 23) return; c.hour = (unsigned)x; break;
    case R_MDAY:  if (x < 1 || x > 31) return; c.mday = (unsigned)x; break;
    case R_MONTH: if (x < 1 || x > 12) return; c.month = (unsigned)x; break;
    case R_YEAR:  if (x < 0 || x > 99) return; c.year = c.year / 100 * 100 + x; break;
    case R_WDAY:
        if (x < 1 || x > 7)
            return;
        /* The chip counts the weekday on its own: keep the guest's offset to ours. */
        rtc->wday_delta = (uint8_t)((rtc->wday_delta + 7 + (unsigned)x - c.wday) % 7);
        return;
    default:      if (x < 0 || x > 99) return; c.year = x * 100 + c.year % 100; break;
    }
    clock_put(rtc, now, &c);
}

static bool is_time(unsigned idx)
{
    return (idx <= R_YEAR && idx != R_SEC_ALARM && idx != R_MIN_ALARM &&
            idx != R_HOUR_ALARM) || idx == VRTC_CENTURY_INDEX;
}

static uint8_t rtc_read_byte(void *dev, uint64_t port, uint64_t now)
{
    struct vrtc *rtc = dev;
    unsigned idx = rtc->index;
    uint8_t v;

    now = rtc->flags_ns;            /* advanced (and clamped) by the caller */
    if (port == VRTC_PORT_BASE)
        return 0xff;
    if (is_time(idx))
        return time_read(rtc, now, idx);
    switch (idx) {
    case R_A:
        return (uint8_t)(rtc->cmos[R_A] | (uip(rtc, now) ? A_UIP : 0));
    case R_C:
        v = rtc->cmos[R_C];
        rtc->cmos[R_C] = 0;
        irq_update(rtc);
        return v;
    case R_D:
        return D_VRT;
    default:
        return rtc->cmos[idx];
    }
}

static void rtc_write_byte(void *dev, uint64_t port, uint64_t now, uint8_t v)
{
    struct vrtc *rtc = dev;
    unsigned idx = rtc->index;

    now = rtc->flags_ns;
    if (port == VRTC_PORT_BASE) {
        rtc->index = v & 0x7f;
        rtc->nmi_masked = v & 0x80;
    } else if (is_time(idx)) {
        time_write(rtc, now, idx, v);
    } else if (idx == R_A || idx == R_B) {
        control_write(rtc, now, idx, v);
    } else if (idx != R_C && idx != R_D) {
        rtc->cmos[idx] = v;         /* alarms (next checked from now on) and RAM */
    }
}

static int rtc_io_read(void *dev, uint64_t addr, unsigned size, uint64_t now, uint64_t *val)
{
    vrtc_advance(dev, now);
    hvm_io_bytes_read(dev, addr, size, now, val, rtc_read_byte);
    return 0;
}

static int rtc_io_write(void *dev, uint64_t addr, unsigned size, uint64_t now, uint64_t val)
{
    vrtc_advance(dev, now);
    hvm_io_bytes_write(dev, addr, size, now, val, rtc_write_byte);
    return 0;
}

static const struct hvm_io_ops vrtc_io_ops = { .read = rtc_io_read, .write = rtc_io_write };

void vrtc_init(struct vrtc *rtc, uint64_t wall_sec, const struct hvm_irq_sink *irq,
               uint64_t now)
{
    memset(rtc, 0, sizeof(*rtc));
    rtc->irq = *irq;
    rtc->cmos[R_A] = 0x26;
    rtc->cmos[R_B] = B_24H;
    rtc->div_ns = rtc->flags_ns = now;
    rtc->sec_offset = (int64_t)wall_sec;
}

static void cmos_put16(struct vrtc *rtc, unsigned idx, uint64_t v)
{
    rtc->cmos[idx] = (uint8_t)v;
    rtc->cmos[idx + 1] = (uint8_t)(v >> 8);
}

void vrtc_set_memory(struct vrtc *rtc, uint64_t ram)
{
    uint64_t ext = ram > MiB(1) ? MIN((ram - MiB(1)) / KiB(1), 0xffffu) : 0;
    uint64_t above16 = ram > MiB(16) ? MIN((MIN(ram, GiB(4)) - MiB(16)) / KiB(64), 0xffffu) : 0;
    uint64_t above4g = ram > GiB(4) ? MIN((ram - GiB(4)) / KiB(64), 0xffffffu) : 0;
    unsigned sum = 0;

    cmos_put16(rtc, 0x15, 640);
    cmos_put16(rtc, 0x17, ext);
    cmos_put16(rtc, 0x30, ext);
    cmos_put16(rtc, 0x34, above16);
    cmos_put16(rtc, 0x5b, above4g);
    rtc->cmos[0x5d] = (uint8_t)(above4g >> 16);
    for (unsigned i = 0x10; i <= 0x2d; i++)
        sum += rtc->cmos[i];
    rtc->cmos[0x2e] = (uint8_t)(sum >> 8);      /* the checksum is big-endian */
    rtc->cmos[0x2f] = (uint8_t)sum;
}

int vrtc_register(struct vrtc *rtc, struct hvm_io_bus *bus)
{
    return hvm_io_register(bus, HVM_IO_PORT, VRTC_PORT_BASE, 2, &vrtc_io_ops, rtc);
}

int64_t vrtc_time(const struct vrtc *rtc, uint64_t now)
{
    return clock_at(rtc, now < rtc->flags_ns ? rtc->flags_ns : now);
}

bool vrtc_nmi_masked(const struct vrtc *rtc)
{
    return rtc->nmi_masked;
}
