/* Virtual local APIC registers: the xAPIC MMIO window and the x2APIC MSRs over one
 * register file (vlapic.c keeps the state).
 *
 * Design: vlapic_reg_read/write implement each register once, at its xAPIC offset;
 * the MMIO accessors map bytes onto the 32-bit registers, the MSR accessors add the
 * x2APIC rules (MSR 0x800 + offset/16, ICR as one 64-bit register, SELF_IPI, #GP for
 * absent, read-only or write-only registers and for reserved bits).
 * Locking: none; the glue serialises calls per domain.
 * Limitations: MMIO writes narrower than 32 bits or off a register's first dword are
 * dropped (the SDM leaves them undefined); xAPIC APR reads as computed from TPR, IRR
 * and ISR; RRD reads 0. */
#include <hvlab/errno.h>
#include <hvlab/hvm/vintc.h>

#define REG_ID      0x020
#define REG_VERSION 0x030
#define REG_TPR     0x080
#define REG_APR     0x090
#define REG_PPR     0x0A0
#define REG_EOI     0x0B0
#define REG_RRD     0x0C0
#define REG_LDR     0x0D0
#define REG_DFR     0x0E0
#define REG_SVR     0x0F0
#define REG_ISR     0x100
#define REG_TMR     0x180
#define REG_IRR     0x200
#define REG_ESR     0x280
#define REG_ICR_LO  0x300
#define REG_ICR_HI  0x310
#define REG_LVT0    0x320   /* timer; thermal, perf, LINT0, LINT1, error follow */
#define REG_TMICT   0x380
#define REG_TMCCT   0x390
#define REG_TDCR    0x3E0
#define REG_SELF_IPI 0x3F0  /* x2APIC only */

/* Version 0x14 (integrated APIC), highest LVT entry 5: six LVTs, no CMCI. */
#define VLAPIC_VERSION 0x00050014u

/* Writable bits of each LVT (vector, delivery mode, polarity, trigger, mask, timer
 * mode); bits 12 (delivery status) and 14 (remote IRR) are read-only. */
static const uint32_t lvt_writable[VLAPIC_NR_LVT] = {
    0x000700FF, 0x000107FF, 0x000107FF, 0x0001A7FF, 0x0001A7FF, 0x000100FF,
};
#define LVT_READONLY 0x00005000u

static int vec_highest8(const uint32_t *v)
{
    for (int i = 7; i >= 0; i--)
        if (v[i])
            return i * 32 + 31 - __builtin_clz(v[i]);
    return -1;
}

/* Arbitration priority (xAPIC only): the PPR rule with IRR's class counted too. */
static uint32_t apr(const struct vlapic *l)
{
    int irrv = vec_highest8(l->irr), isrv = vec_highest8(l->isr);
    int top = irrv > isrv ? irrv : isrv;
    uint32_t cls = top < 0 ? 0 : (uint32_t)top & 0xF0;

    return (l->tpr & 0xF0) >= cls ? l->tpr & 0xFF : cls;
}

uint32_t vlapic_reg_read(struct vlapic *l, unsigned off, uint64_t now)
{
    if (off >= REG_ISR && off < REG_ESR) {
        const uint32_t *bits = off < REG_TMR ? l->isr : off < REG_IRR ? l->tmr : l->irr;
        return bits[(off & 0x7F) >> 4];
    }
    if (off >= REG_LVT0 && off < REG_TMICT)
        return l->lvt[(off - REG_LVT0) >> 4];
    switch (off) {
    case REG_ID:      return vlapic_x2apic(l) ? l->vcpu : l->vcpu << 24;
    case REG_VERSION: return VLAPIC_VERSION;
    case REG_TPR:     return l->tpr;
    case REG_APR:     return apr(l);
    case REG_PPR:     return vlapic_ppr(l);
    case REG_LDR:     return l->ldr;
    case REG_DFR:     return l->dfr;
    case REG_SVR:     return l->svr;
    case REG_ESR:     return l->esr;
    case REG_ICR_LO:  return l->icr_lo;
    case REG_ICR_HI:  return l->icr_hi;
    case REG_TMICT:   return l->tmr_initial;
    case REG_TMCCT:   return vlapic_timer_current(l, now);
    case REG_TDCR:    return l->tmr_dcr;
    default:          return 0;     /* EOI (write-only), RRD, reserved */
    }
}

static void write_lvt(struct vlapic *l, unsigned idx, uint32_t val, uint64_t now)
{
    val &= lvt_writable[idx];
    if (!vlapic_sw_enabled(l))
        val |= 1u << 16;    /* a software-disabled APIC keeps every LVT masked */
    if (idx == VLAPIC_LVT_TIMER) {
        vlapic_timer_write_lvt(l, val, now);
        return;
    }
    l->lvt[idx] = val | (l->lvt[idx] & LVT_READONLY);
}

void vlapic_reg_write(struct vlapic *l, unsigned off, uint32_t val, uint64_t now)
{
    if (off >= REG_LVT0 && off < REG_TMICT) {
        write_lvt(l, (off - REG_LVT0) >> 4, val, now);
        return;
    }
    switch (off) {
    case REG_TPR: l->tpr = val & 0xFF; break;
    case REG_EOI: vlapic_eoi(l); break;
    case REG_LDR: if (!vlapic_x2apic(l)) l->ldr = val & 0xFF000000; break;
    case REG_DFR: if (!vlapic_x2apic(l)) l->dfr = val | 0x0FFFFFFF; break;
    case REG_SVR:
        l->svr = val & 0x3FF;
        if (!(l->svr & (1u << 8)))
            for (unsigned i = 0; i < VLAPIC_NR_LVT; i++)
                l->lvt[i] |= 1u << 16;
        break;
    case REG_ESR:
        /* A write latches the errors seen since the last one into the readable ESR. */
        l->esr = l->esr_pending;
        l->esr_pending = 0;
        break;
    case REG_ICR_LO:
        l->icr_lo = val & 0x000CCFFF;
        vlapic_send_ipi(l, l->icr_lo, l->icr_hi >> 24);
        break;
    case REG_ICR_HI: l->icr_hi = val & 0xFF000000; break;
    case REG_TMICT: vlapic_timer_write_initial(l, val, now); break;
    case REG_TDCR: vlapic_timer_write_dcr(l, val, now); break;
    default: break;     /* read-only and reserved registers ignore writes */
    }
}

static int mmio_read(void *dev, uint64_t addr, unsigned size, uint64_t now, uint64_t *val)
{
    struct vlapic *l = dev;
    uint64_t base = vlapic_mmio_base(l), off = addr - base;
    unsigned byte = off & 0xF;
    uint64_t reg;

    if (base == UINT64_MAX || addr < base || off >= VLAPIC_MMIO_LEN)
        return -ENODEV;
    reg = byte < 4 ? vlapic_reg_read(l, off & ~0xFu, now) >> (byte * 8) : 0;
    *val = size >= 8 ? reg : reg & ((1ULL << (size * 8)) - 1);
    return 0;
}

static int mmio_write(void *dev, uint64_t addr, unsigned size, uint64_t now, uint64_t val)
{
    struct vlapic *l = dev;
    uint64_t base = vlapic_mmio_base(l), off = addr - base;

    if (base == UINT64_MAX || addr < base || off >= VLAPIC_MMIO_LEN)
        return -ENODEV;
    if ((off & 0xF) == 0 && size >= 4)
        vlapic_reg_write(l, off, (uint32_t)val, now);
    return 0;
}

const struct hvm_io_ops vlapic_mmio_ops = { .read = mmio_read, .write = mmio_write };

/* The x2APIC registers a read may name; everything else in 0x800-0x8FF is #GP. */
static bool x2_readable(unsigned off)
{
    if (off >= REG_ISR && off < REG_ESR)
        return true;
    if (off >= REG_LVT0 && off <= REG_TMCCT)
        return true;
    switch (off) {
    case REG_ID: case REG_VERSION: case REG_TPR: case REG_PPR: case REG_LDR:
    case REG_SVR: case REG_ESR: case REG_ICR_LO: case REG_TDCR:
        return true;
    default:
        return false;
    }
}

/* Bits an x2APIC write may set, per register; 0 for registers that refuse writes. */
static uint64_t x2_writable(unsigned off)
{
    if (off >= REG_LVT0 && off < REG_TMICT)
        return lvt_writable[(off - REG_LVT0) >> 4] | LVT_READONLY;
    switch (off) {
    case REG_TPR:      return 0xFF;
    case REG_SVR:      return 0x3FF;
    case REG_ICR_LO:   return 0xFFFFFFFF000CCFFFULL;
    case REG_TMICT:    return 0xFFFFFFFF;
    case REG_TDCR:     return 0xB;
    case REG_SELF_IPI: return 0xFF;
    default:           return 0;
    }
}

int vlapic_msr_read(struct vlapic *l, uint32_t msr, uint64_t now, uint64_t *val)
{
    unsigned off = (msr - MSR_X2APIC_FIRST) << 4;

    if (msr == MSR_APIC_BASE) {
        *val = l->base;
        return 0;
    }
    if (msr == MSR_TSC_DEADLINE) {
        *val = vlapic_tsc_deadline_read(l);
        return 0;
    }
    if (msr < MSR_X2APIC_FIRST || msr > MSR_X2APIC_LAST || !vlapic_x2apic(l) ||
        !x2_readable(off))
        return -EINVAL;
    *val = vlapic_reg_read(l, off, now);
    if (off == REG_ICR_LO)
        *val |= (uint64_t)l->icr_hi << 32;
    return 0;
}

int vlapic_msr_write(struct vlapic *l, uint32_t msr, uint64_t now, uint64_t val)
{
    unsigned off = (msr - MSR_X2APIC_FIRST) << 4;

    if (msr == MSR_APIC_BASE)
        return vlapic_set_base(l, val);
    if (msr == MSR_TSC_DEADLINE) {
        vlapic_tsc_deadline_write(l, val, now);
        return 0;
    }
    if (msr < MSR_X2APIC_FIRST || msr > MSR_X2APIC_LAST || !vlapic_x2apic(l))
        return -EINVAL;
    /* EOI and ESR take only 0; the rest only their defined bits. */
    if (off == REG_EOI || off == REG_ESR) {
        if (val)
            return -EINVAL;
    } else if (!x2_writable(off) || (val & ~x2_writable(off))) {
        return -EINVAL;
    }
    switch (off) {
    case REG_ICR_LO:
        l->icr_lo = (uint32_t)val;
        l->icr_hi = (uint32_t)(val >> 32);
        vlapic_send_ipi(l, l->icr_lo, l->icr_hi);
        break;
    case REG_SELF_IPI:
        /* A fixed edge IPI to self: a vector below 16 is a send error as from ICR. */
        vlapic_send_ipi(l, (uint32_t)val | (VINTC_SH_SELF << 18), l->vcpu);
        break;
    default:
        vlapic_reg_write(l, off, (uint32_t)val, now);
        break;
    }
    return 0;
}
