/* Virtual LAPIC timer: one-shot, periodic and TSC-deadline, on time passed in.
 *
 * Design: the count runs at VLAPIC_BUS_HZ (1 ns per tick) divided by the divide
 * configuration. A running count is (tmr_load, tmr_count): at tmr_load it held
 * tmr_count, and it reaches 0 at tmr_next = tmr_load + tmr_count * divider. The
 * current count is computed from `now` on every read, so nothing ticks. A periodic
 * timer reloads at the instant it reached 0 (the scheduled tmr_next, not the late
 * `now` of vlapic_advance), so periods never drift; periods missed by a late advance
 * collapse into the one IRR bit, as they would in hardware. TSC-deadline compares the
 * guest TSC, which is `now` scaled by tsc_khz: the deadline in TSC units becomes the
 * first ns at which the TSC reaches it.
 * Locking: none; the glue serialises calls per domain and arms one soft timer from
 * vlapic_next_event after every call that may change it.
 * Limitations: a divide change mid-count restarts the remaining count at the new
 * rate from `now` (the fraction of a tick already elapsed is dropped). */
#include <hvlab/hvm/vintc.h>

#define NS_PER_MS 1000000ULL

static unsigned timer_mode(const struct vlapic *l)
{
    return (l->lvt[VLAPIC_LVT_TIMER] >> 17) & 3;
}

/* Divide configuration bits 3,1,0: 000 = /2 ... 110 = /128, 111 = /1. */
static uint64_t divider(uint32_t dcr)
{
    unsigned v = (dcr & 3) | ((dcr >> 1) & 4);

    return v == 7 ? 1 : 2ULL << v;
}

uint64_t vlapic_tsc(const struct vlapic *l, uint64_t now)
{
    uint64_t ms = now / NS_PER_MS, rest = now % NS_PER_MS, whole;

    if (ms > UINT64_MAX / l->tsc_khz)
        return UINT64_MAX;
    whole = ms * l->tsc_khz;
    rest = rest * l->tsc_khz / NS_PER_MS;
    return whole > UINT64_MAX - rest ? UINT64_MAX : whole + rest;
}

uint64_t vlapic_tsc_to_ns(const struct vlapic *l, uint64_t tsc)
{
    const uint64_t far = UINT64_MAX - 1;
    uint64_t q = tsc / l->tsc_khz, r = tsc % l->tsc_khz, whole, part;

    if (q > far / NS_PER_MS)
        return far;
    whole = q * NS_PER_MS;
    part = (r * NS_PER_MS + l->tsc_khz - 1) / l->tsc_khz;   /* round up: not early */
    return whole > far - part ? far : whole + part;
}

uint64_t vlapic_next_event(const struct vlapic *l) { return l->tmr_next; }

bool vlapic_timer_periodic(const struct vlapic *l)
{
    return timer_mode(l) == VLAPIC_TIMER_PERIODIC;
}

void vlapic_timer_reset(struct vlapic *l)
{
    l->tmr_initial = l->tmr_dcr = l->tmr_count = 0;
    l->tmr_load = 0;
    l->tmr_next = HVM_NO_EVENT;
    l->tsc_deadline = 0;
}

static void timer_stop(struct vlapic *l)
{
    l->tmr_count = 0;
    l->tmr_next = HVM_NO_EVENT;
}

static void timer_fire(struct vlapic *l)
{
    uint32_t lvt = l->lvt[VLAPIC_LVT_TIMER];

    /* A masked timer still counts: only the interrupt is held back. */
    if (!(lvt & (1u << 16)))
        vlapic_set_irr(l, lvt & 0xFF, false);
}

void vlapic_advance(struct vlapic *l, uint64_t now)
{
    uint64_t due = l->tmr_next, period;

    if (due == HVM_NO_EVENT || now < due)
        return;
    timer_fire(l);
    if (timer_mode(l) == VLAPIC_TIMER_TSCDL) {
        l->tsc_deadline = 0;    /* reads 0 once it has fired */
        timer_stop(l);
        return;
    }
    if (timer_mode(l) != VLAPIC_TIMER_PERIODIC || l->tmr_initial == 0) {
        timer_stop(l);
        return;
    }
    period = (uint64_t)l->tmr_initial * divider(l->tmr_dcr);
    l->tmr_count = l->tmr_initial;
    l->tmr_load = due + (now - due) / period * period;
    l->tmr_next = l->tmr_load + period;
}

uint32_t vlapic_timer_current(const struct vlapic *l, uint64_t now)
{
    uint64_t ticks;

    if (timer_mode(l) == VLAPIC_TIMER_TSCDL || l->tmr_count == 0)
        return 0;
    if (now < l->tmr_load)
        return l->tmr_count;
    ticks = (now - l->tmr_load) / divider(l->tmr_dcr);
    if (ticks < l->tmr_count)
        return l->tmr_count - (uint32_t)ticks;
    if (timer_mode(l) != VLAPIC_TIMER_PERIODIC || l->tmr_initial == 0)
        return 0;
    /* Reloads the glue has not advanced through yet: the count they would show. */
    ticks -= l->tmr_count;
    return l->tmr_initial - (uint32_t)(ticks % l->tmr_initial);
}

void vlapic_timer_write_initial(struct vlapic *l, uint32_t val, uint64_t now)
{
    if (timer_mode(l) == VLAPIC_TIMER_TSCDL)
        return;     /* the SDM: ignored in TSC-deadline mode */
    l->tmr_initial = val;
    if (val == 0) {
        timer_stop(l);
        return;
    }
    l->tmr_count = val;
    l->tmr_load = now;
    l->tmr_next = now + (uint64_t)val * divider(l->tmr_dcr);
}

void vlapic_timer_write_dcr(struct vlapic *l, uint32_t val, uint64_t now)
{
    uint32_t left;

    val &= 0xB;
    if (l->tmr_next == HVM_NO_EVENT || timer_mode(l) == VLAPIC_TIMER_TSCDL) {
        l->tmr_dcr = val;
        return;
    }
    left = vlapic_timer_current(l, now);
    l->tmr_dcr = val;
    if (left == 0)
        return;     /* already due: vlapic_advance fires it at the old instant */
    l->tmr_count = left;
    l->tmr_load = now;
    l->tmr_next = now + (uint64_t)left * divider(val);
}

void vlapic_timer_write_lvt(struct vlapic *l, uint32_t val, uint64_t now)
{
    unsigned old = timer_mode(l), new = (val >> 17) & 3;

    l->lvt[VLAPIC_LVT_TIMER] = val;
    /* Entering or leaving TSC-deadline mode disarms the timer (SDM 10.5.4.1). */
    if (old != new && (old == VLAPIC_TIMER_TSCDL || new == VLAPIC_TIMER_TSCDL)) {
        l->tmr_initial = 0;
        l->tsc_deadline = 0;
        timer_stop(l);
    }
}

uint64_t vlapic_tsc_deadline_read(const struct vlapic *l)
{
    return timer_mode(l) == VLAPIC_TIMER_TSCDL ? l->tsc_deadline : 0;
}

void vlapic_tsc_deadline_write(struct vlapic *l, uint64_t tsc, uint64_t now)
{
    if (timer_mode(l) != VLAPIC_TIMER_TSCDL)
        return;     /* the SDM: ignored in the other modes */
    l->tsc_deadline = tsc;
    if (tsc == 0) {
        timer_stop(l);
        return;
    }
    l->tmr_next = vlapic_tsc_to_ns(l, tsc);
    vlapic_advance(l, now);     /* a deadline already past fires now */
}
