/* Virtual local APIC, one per vCPU: state, priority, acceptance, EOI, IPIs and the
 * APIC base MSR. Register access is in vlapic_regs.c, the timer in vlapic_timer.c.
 *
 * Design: the architectural registers are kept as the xAPIC defines them; x2APIC
 * mode changes how ID and LDR read and which accesses fault. Priority follows the
 * SDM: PPR = TPR when TPR's class is at least the highest in-service class, else that
 * class; a vector is deliverable when its class is above PPR's.
 * Locking: none here; the glue serialises all calls on one domain's controllers.
 * Limitations: the ID is read-only; a software-disabled APIC drops incoming fixed
 * interrupts (INIT, SIPI and NMI still arrive); no SMI; no EOI-broadcast suppression
 * (the version register does not offer it); the APIC bus clock is VLAPIC_BUS_HZ. */
#include <hvlab/errno.h>
#include <hvlab/hvm/vintc.h>

#define LVT_MASKED      (1u << 16)
#define SVR_ENABLE      (1u << 8)
#define ESR_SEND_ILLEGAL 0x20
#define ESR_RECV_ILLEGAL 0x40
#define ICR_LOGICAL     (1u << 11)
#define ICR_ASSERT      (1u << 14)
#define ICR_LEVEL       (1u << 15)

static bool vec_test(const uint32_t *v, unsigned n) { return (v[n / 32] >> (n % 32)) & 1; }
static void vec_set(uint32_t *v, unsigned n) { v[n / 32] |= 1u << (n % 32); }
static void vec_clear(uint32_t *v, unsigned n) { v[n / 32] &= ~(1u << (n % 32)); }

static int vec_highest(const uint32_t *v)
{
    for (int i = 7; i >= 0; i--)
        if (v[i])
            return i * 32 + 31 - __builtin_clz(v[i]);
    return -1;
}

bool vlapic_hw_enabled(const struct vlapic *l) { return l->base & APIC_BASE_EN; }
bool vlapic_sw_enabled(const struct vlapic *l)
{
    return vlapic_hw_enabled(l) && (l->svr & SVR_ENABLE);
}
bool vlapic_x2apic(const struct vlapic *l)
{
    return vlapic_hw_enabled(l) && (l->base & APIC_BASE_EXTD);
}

uint64_t vlapic_mmio_base(const struct vlapic *l)
{
    if (!vlapic_hw_enabled(l) || vlapic_x2apic(l))
        return UINT64_MAX;
    return l->base & APIC_BASE_ADDR_MASK;
}

/* The LDR x2APIC mode derives from the ID: cluster in 31:16, one bit of 16. */
static uint32_t x2apic_ldr(unsigned id) { return ((id >> 4) << 16) | (1u << (id & 15)); }

void vlapic_init_reset(struct vlapic *l)
{
    l->tpr = 0;
    l->ldr = vlapic_x2apic(l) ? x2apic_ldr(l->vcpu) : 0;
    l->dfr = 0xFFFFFFFF;
    l->svr = 0xFF;
    l->esr = l->esr_pending = 0;
    l->icr_lo = l->icr_hi = 0;
    for (unsigned i = 0; i < VLAPIC_NR_LVT; i++)
        l->lvt[i] = LVT_MASKED;
    for (unsigned i = 0; i < 8; i++)
        l->irr[i] = l->isr[i] = l->tmr[i] = 0;
    l->nmi_pending = l->extint_pending = false;
    vlapic_timer_reset(l);
}

void vlapic_init(struct vlapic *l, struct virq_route *route, unsigned vcpu,
                 uint32_t tsc_khz)
{
    l->route = route;
    l->vcpu = vcpu;
    l->tsc_khz = tsc_khz;
    l->base = VLAPIC_DEFAULT_BASE | APIC_BASE_EN | (vcpu == 0 ? APIC_BASE_BSP : 0);
    vlapic_init_reset(l);
}

void vlapic_virtual_wire(struct vlapic *l)
{
    l->svr = SVR_ENABLE | 0xFF;
    l->lvt[VLAPIC_LVT_LINT0] = VINTC_DM_EXTINT << 8;
    l->lvt[VLAPIC_LVT_LINT1] = VINTC_DM_NMI << 8;
}

uint32_t vlapic_ppr(const struct vlapic *l)
{
    int isrv = vec_highest(l->isr);
    uint32_t isr_class = isrv < 0 ? 0 : (uint32_t)isrv & 0xF0;

    return (l->tpr & 0xF0) >= isr_class ? l->tpr & 0xFF : isr_class;
}

int vlapic_pending(const struct vlapic *l)
{
    int irrv = vec_highest(l->irr);

    if (irrv < 0 || ((uint32_t)irrv & 0xF0) <= (vlapic_ppr(l) & 0xF0))
        return -1;
    return irrv;
}

void vlapic_accept(struct vlapic *l, int vec)
{
    /* Only a vector the LAPIC holds: a stale one from the glue changes nothing. */
    if (vec < 16 || vec > 255 || !vec_test(l->irr, (unsigned)vec))
        return;
    vec_clear(l->irr, (unsigned)vec);
    vec_set(l->isr, (unsigned)vec);
}

bool vlapic_take_nmi(struct vlapic *l)
{
    bool nmi = l->nmi_pending;

    l->nmi_pending = false;
    return nmi;
}

bool vlapic_accepts_pic(const struct vlapic *l)
{
    uint32_t lint0 = l->lvt[VLAPIC_LVT_LINT0];

    if (!vlapic_hw_enabled(l))
        return true;
    return vlapic_sw_enabled(l) && !(lint0 & LVT_MASKED) &&
           ((lint0 >> 8) & 7) == VINTC_DM_EXTINT;
}

void vlapic_eoi(struct vlapic *l)
{
    int isrv = vec_highest(l->isr);

    if (isrv < 0)
        return;
    vec_clear(l->isr, (unsigned)isrv);
    /* A level-triggered vector came from the IOAPIC, whose remote IRR waits for it. */
    if (vec_test(l->tmr, (unsigned)isrv)) {
        vec_clear(l->tmr, (unsigned)isrv);
        virq_eoi(l->route, (uint8_t)isrv);
    }
}

void vlapic_error(struct vlapic *l, uint32_t esr_bit)
{
    uint32_t lvt = l->lvt[VLAPIC_LVT_ERROR];
    uint8_t vec = lvt & 0xFF;

    l->esr_pending |= esr_bit;
    /* An error vector below 16 would raise another error: record, deliver nothing. */
    if ((lvt & LVT_MASKED) || vec < 16)
        return;
    vec_set(l->irr, vec);
    vec_clear(l->tmr, vec);
    l->route->cpu->kick(l->route->cpu_ctx, l->vcpu);
}

static bool set_irr_quiet(struct vlapic *l, uint8_t vector, bool level)
{
    if (vector < 16) {
        vlapic_error(l, ESR_RECV_ILLEGAL);
        return false;
    }
    vec_set(l->irr, vector);
    if (level)
        vec_set(l->tmr, vector);
    else
        vec_clear(l->tmr, vector);
    return true;
}

void vlapic_set_irr(struct vlapic *l, uint8_t vector, bool level)
{
    if (set_irr_quiet(l, vector, level))
        l->route->cpu->kick(l->route->cpu_ctx, l->vcpu);
}

bool vlapic_receive(struct vlapic *l, const struct vintc_msg *m)
{
    if (!vlapic_hw_enabled(l))
        return false;
    switch (m->mode) {
    case VINTC_DM_FIXED:
    case VINTC_DM_LOWEST:
        if (!vlapic_sw_enabled(l))
            return false;
        return set_irr_quiet(l, m->vector, m->level);
    case VINTC_DM_NMI:
        l->nmi_pending = true;
        return true;
    case VINTC_DM_EXTINT:
        l->extint_pending = true;
        return true;
    default:
        return false;
    }
}

void vlapic_send_ipi(struct vlapic *l, uint32_t icr_lo, uint32_t dest)
{
    struct vintc_msg m = {
        .dest = dest,
        .vector = icr_lo & 0xFF,
        .mode = (icr_lo >> 8) & 7,
        .shorthand = (icr_lo >> 18) & 3,
        .logical = icr_lo & ICR_LOGICAL,
        .level = false,     /* only the IOAPIC sets TMR: an IPI's EOI goes nowhere */
        .assert = (icr_lo & ICR_ASSERT) || !(icr_lo & ICR_LEVEL),
        .x2apic = vlapic_x2apic(l),
        .source = l->vcpu,
    };

    if ((m.mode == VINTC_DM_FIXED || m.mode == VINTC_DM_LOWEST) && m.vector < 16) {
        vlapic_error(l, ESR_SEND_ILLEGAL);
        return;
    }
    virq_deliver(l->route, &m);
}

/* Which (EN, EXTD) transitions the architecture allows: disabled, xAPIC and x2APIC
 * go to disabled or up one step; x2APIC never drops straight to xAPIC; EXTD alone is
 * invalid. */
static bool base_transition_ok(uint64_t old, uint64_t new)
{
    bool old_en = old & APIC_BASE_EN, old_x2 = old_en && (old & APIC_BASE_EXTD);
    bool new_en = new & APIC_BASE_EN, new_x2 = new & APIC_BASE_EXTD;

    if (new_x2 && !new_en)
        return false;
    if (old_x2 && new_en && !new_x2)
        return false;
    if (!old_en && new_x2)
        return false;
    return true;
}

int vlapic_set_base(struct vlapic *l, uint64_t val)
{
    const uint64_t valid = APIC_BASE_BSP | APIC_BASE_EXTD | APIC_BASE_EN |
                           APIC_BASE_ADDR_MASK;
    uint64_t addr = val & APIC_BASE_ADDR_MASK;
    bool was_en = vlapic_hw_enabled(l), was_x2 = vlapic_x2apic(l);
    struct virq_route *r = l->route;

    if ((val & ~valid) || !base_transition_ok(l->base, val))
        return -EINVAL;
    if (addr != (l->base & APIC_BASE_ADDR_MASK) &&
        !(r->base_ok && r->base_ok(r->cpu_ctx, l->vcpu, addr)))
        return -EINVAL;
    /* BSP is the machine's, not the guest's to change. */
    l->base = (val & ~APIC_BASE_BSP) | (l->base & APIC_BASE_BSP);
    if (was_en && !vlapic_hw_enabled(l))
        vlapic_init_reset(l);
    else if (!was_x2 && vlapic_x2apic(l))
        l->ldr = x2apic_ldr(l->vcpu);
    return 0;
}
