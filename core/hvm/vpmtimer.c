/* The ACPI PM timer, PM1a event/control registers and the reset port of an HVM
 * domain. See <hvlab/hvm/vdev.h> for the ports and what the FADT must say.
 *
 * Design: the timer is the 3.579545 MHz clock counted from ns 0 (hvm_ns_to_ticks,
 * exact over any span), minus the tick at init, so it reads 0 when the domain
 * starts; 32 bits wide (FADT TMR_VAL_EXT): it wraps every 1199.86 s. TMR_STS is set
 * each time bit 31 of the count changes, accounted lazily up to `checked_tick`. The
 * SCI (IRQ 9, a level line) is asserted while a status bit and its enable bit are
 * both set. The machine is always in ACPI mode (SCI_EN reads 1, there is no SMI
 * command port), so an OS finds no legacy mode to leave. Writing PM1a_CNT with SLP_EN
 * set ends the domain through power.shutdown: VPM_POWEROFF when SLP_TYP is the S5
 * value given at init, VPM_SLEEP otherwise. Writing the reset port (0xcf9) with
 * RST_CPU (bit 2) set calls power.reset.
 *
 * Locking: none (see vdev.h).
 *
 * Limitations: no GPE block, no sleep states other than S5 (the DSDT offers none), no
 * global lock (GBL_RLS is ignored: there is no firmware to signal); of the status
 * bits only TMR_STS and PWRBTN_STS (vpmtimer_power_button) are ever set. */
#include <hvlab/errno.h>
#include <hvlab/hvm/vdev.h>
#include <hvlab/lib.h>

#define STS_TMR         0x0001
#define STS_PWRBTN      0x0100
#define EN_WRITABLE     0x0721      /* TMR, GBL, PWRBTN, SLPBTN, RTC enables */
#define CNT_SCI_EN      0x0001
#define CNT_BM_RLD      0x0002
#define CNT_SLP_TYP     0x1c00
#define CNT_SLP_EN      0x2000
#define RESET_RST_CPU   0x04
#define RESET_KEPT      0x0a        /* SYS_RST and FULL_RST read back */
#define TMR_SHIFT       (VPM_TMR_BITS - 1)      /* TMR_STS: the top bit changed */

static uint64_t tick_at(const struct vpmtimer *pm, uint64_t now)
{
    uint64_t t = hvm_ns_to_ticks(now, VPM_TMR_HZ);

    return t < pm->checked_tick ? pm->checked_tick : t;
}

static void irq_update(struct vpmtimer *pm)
{
    bool level = (pm->sts & pm->en) && (pm->cnt & CNT_SCI_EN);

    if (level != pm->line) {
        pm->line = level;
        pm->irq.set_level(pm->irq.ctx, VPM_SCI_IRQ, level);
    }
}

void vpmtimer_advance(struct vpmtimer *pm, uint64_t now)
{
    uint64_t t = tick_at(pm, now);

    if ((t - pm->start_tick) >> TMR_SHIFT != (pm->checked_tick - pm->start_tick) >> TMR_SHIFT)
        pm->sts |= STS_TMR;
    pm->checked_tick = t;
    irq_update(pm);
}

uint64_t vpmtimer_next_event(const struct vpmtimer *pm)
{
    uint64_t half;

    if (!(pm->en & STS_TMR) || (pm->sts & STS_TMR))
        return HVM_NO_EVENT;
    half = ((pm->checked_tick - pm->start_tick) >> TMR_SHIFT) + 1;
    return hvm_ticks_to_ns(pm->start_tick + (half << TMR_SHIFT), VPM_TMR_HZ);
}

uint32_t vpmtimer_read_counter(const struct vpmtimer *pm, uint64_t now)
{
    uint64_t rel = tick_at(pm, now) - pm->start_tick;

    return (uint32_t)(rel & (~0ULL >> (64 - VPM_TMR_BITS)));
}

void vpmtimer_power_button(struct vpmtimer *pm, uint64_t now)
{
    vpmtimer_advance(pm, now);
    pm->sts |= STS_PWRBTN;
    irq_update(pm);
}

static void cnt_write(struct vpmtimer *pm, unsigned shift, uint8_t v)
{
    uint16_t val = (uint16_t)(v << shift), mask = (uint16_t)(0xff << shift);
    uint16_t kept = CNT_BM_RLD | CNT_SLP_TYP;

    pm->cnt = (uint16_t)((pm->cnt & ~(mask & kept)) | (val & kept) | CNT_SCI_EN);
    if (val & CNT_SLP_EN) {
        unsigned typ = (pm->cnt & CNT_SLP_TYP) >> 10;
        pm->power.shutdown(pm->power.ctx, typ == pm->s5_slp_typ ? VPM_POWEROFF : VPM_SLEEP);
    }
}

static uint8_t pm_read_byte(void *dev, uint64_t port, uint64_t now)
{
    struct vpmtimer *pm = dev;
    unsigned off = (unsigned)(port - VPM_PORT_BASE);

    if (port == VPM_RESET_PORT)
        return pm->reset_reg & RESET_KEPT;
    switch (off) {
    case 0: case 1:
        return (uint8_t)(pm->sts >> (8 * off));
    case 2: case 3:
        return (uint8_t)(pm->en >> (8 * (off - 2)));
    case 4: case 5:
        return (uint8_t)(pm->cnt >> (8 * (off - 4)));
    case 8: case 9: case 10: case 11:
        return (uint8_t)(vpmtimer_read_counter(pm, now) >> (8 * (off - 8)));
    default:
        return 0xff;        /* 6, 7: between PM1_CNT and PM_TMR, nothing */
    }
}

static void pm_write_byte(void *dev, uint64_t port, uint64_t now, uint8_t v)
{
    struct vpmtimer *pm = dev;
    unsigned off = (unsigned)(port - VPM_PORT_BASE);

    if (port == VPM_RESET_PORT) {
        pm->reset_reg = v;
        if (v & RESET_RST_CPU)
            pm->power.reset(pm->power.ctx);
        return;
    }
    switch (off) {
    case 0: case 1:             /* status: write 1 to clear */
        pm->sts &= (uint16_t)~(v << (8 * off));
        break;
    case 2: case 3: {
        unsigned shift = 8 * (off - 2);
        pm->en = (uint16_t)((pm->en & ~(0xff << shift)) | ((v << shift) & EN_WRITABLE));
        break;
    }
    case 4: case 5:
        cnt_write(pm, 8 * (off - 4), v);
        break;
    default:
        break;              /* the timer is read-only */
    }
    irq_update(pm);
}

static int pm_io_read(void *dev, uint64_t addr, unsigned size, uint64_t now, uint64_t *val)
{
    vpmtimer_advance(dev, now);
    hvm_io_bytes_read(dev, addr, size, now, val, pm_read_byte);
    return 0;
}

static int pm_io_write(void *dev, uint64_t addr, unsigned size, uint64_t now, uint64_t val)
{
    vpmtimer_advance(dev, now);
    hvm_io_bytes_write(dev, addr, size, now, val, pm_write_byte);
    return 0;
}

static const struct hvm_io_ops vpm_io_ops = { .read = pm_io_read, .write = pm_io_write };

void vpmtimer_init(struct vpmtimer *pm, const struct hvm_irq_sink *irq,
                   const struct vpm_power_ops *power, uint8_t s5_slp_typ, uint64_t now)
{
    memset(pm, 0, sizeof(*pm));
    pm->irq = *irq;
    pm->power = *power;
    pm->s5_slp_typ = s5_slp_typ & 7;
    pm->cnt = CNT_SCI_EN;
    pm->start_tick = pm->checked_tick = hvm_ns_to_ticks(now, VPM_TMR_HZ);
}

int vpmtimer_register(struct vpmtimer *pm, struct hvm_io_bus *bus)
{
    int rc = hvm_io_register(bus, HVM_IO_PORT, VPM_PORT_BASE, VPM_PORT_LEN, &vpm_io_ops, pm);

    return rc ? rc : hvm_io_register(bus, HVM_IO_PORT, VPM_RESET_PORT, 1, &vpm_io_ops, pm);
}
