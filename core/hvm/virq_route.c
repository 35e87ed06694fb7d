/* Per-domain interrupt routing: ISA IRQs to the PIC and the IOAPIC, the APIC bus
 * between LAPICs (IPIs, IOAPIC messages), EOIs back to the IOAPIC, and the PIC's
 * output to the vCPU that takes it.
 *
 * Design: the controllers never name each other; they call the router, which knows
 * the wiring of a PC: ISA IRQ n reaches PIC input n and IOAPIC pin n, except IRQ 0,
 * which reaches pin 2 (the MADT interrupt source override the builder writes); the
 * PIC's INTR output reaches vCPU 0's LINT0 and IOAPIC pin 0 (virtual wire, either
 * way). Destinations are matched per the SDM: physical by APIC ID, logical by LDR
 * (flat or cluster per DFR in xAPIC mode, cluster/bitmap in x2APIC mode), 0xFF
 * (0xFFFFFFFF for x2APIC) broadcast. Lowest priority picks the matching LAPIC with
 * the lowest PPR, the lowest APIC ID among equals: deterministic, so runs repeat.
 * Locking: none; the glue serialises every call on one domain's controllers.
 * Limitations: no SMI; ExtINT from the PIC is offered before the LAPIC's vectors. */
#include <hvlab/errno.h>
#include <hvlab/hvm/vintc.h>

static void sink_set_level(void *ctx, unsigned isa_irq, bool level)
{
    virq_set_isa_irq(ctx, isa_irq, level);
}

int virq_route_init(struct virq_route *r, struct vlapic *lapics, struct vioapic *ioapic,
                    struct vpic *pic, const struct virq_config *cfg)
{
    const struct vintc_cpu_ops *ops = cfg ? cfg->cpu_ops : NULL;

    if (!cfg || cfg->nr_vcpus == 0 || cfg->nr_vcpus > VINTC_MAX_VCPUS ||
        cfg->tsc_khz == 0 || !ops || !ops->kick || !ops->init || !ops->sipi ||
        !lapics || !ioapic || !pic)
        return -EINVAL;
    r->lapic = lapics;
    r->nr_vcpus = cfg->nr_vcpus;
    r->ioapic = ioapic;
    r->pic = pic;
    r->cpu = ops;
    r->cpu_ctx = cfg->cpu_ctx;
    r->base_ok = cfg->base_ok;
    r->sink.set_level = sink_set_level;
    r->sink.ctx = r;
    r->pic_out = false;
    for (unsigned i = 0; i < cfg->nr_vcpus; i++)
        vlapic_init(&lapics[i], r, i, cfg->tsc_khz);
    vioapic_init(ioapic, r, cfg->ioapic_id);
    vpic_init(pic, r);
    return 0;
}

void virq_set_isa_irq(struct virq_route *r, unsigned isa_irq, bool level)
{
    if (isa_irq >= 16 || isa_irq == 2)
        return;     /* IRQ 2 is the cascade inside the PIC pair: no device has it */
    vpic_set_irq(r->pic, isa_irq, level);
    vioapic_set_line(r->ioapic, isa_irq == 0 ? 2 : isa_irq, level);
}

void virq_set_gsi(struct virq_route *r, unsigned gsi, bool level)
{
    if (gsi >= 16 && gsi < VIOAPIC_PINS)
        vioapic_set_line(r->ioapic, gsi, level);
}

bool vlapic_match_dest(const struct vlapic *l, const struct vintc_msg *m)
{
    uint32_t broadcast = m->x2apic ? 0xFFFFFFFF : 0xFF;
    uint32_t d = m->dest, ld;

    if (!vlapic_hw_enabled(l))
        return false;
    if (d == broadcast)
        return true;
    if (!m->logical)
        return d == l->vcpu;
    if (vlapic_x2apic(l))   /* cluster in 31:16, member bitmap in 15:0 */
        return (d >> 16) == (l->ldr >> 16) && (d & l->ldr & 0xFFFF);
    d &= 0xFF;
    ld = l->ldr >> 24;
    if ((l->dfr >> 28) == 0xF)  /* flat: one bit per APIC */
        return d & ld;
    return (d >> 4) == (ld >> 4) && (d & ld & 0xF);   /* cluster: 4 + 4 bits */
}

static bool names(const struct virq_route *r, const struct vintc_msg *m, unsigned i)
{
    switch (m->shorthand) {
    case VINTC_SH_SELF:   return i == m->source;
    case VINTC_SH_ALL:    return vlapic_hw_enabled(&r->lapic[i]);
    case VINTC_SH_OTHERS: return i != m->source && vlapic_hw_enabled(&r->lapic[i]);
    default:              return vlapic_match_dest(&r->lapic[i], m);
    }
}

/* Returns whether the LAPIC took it (INIT and SIPI always reach the vCPU). */
static bool deliver_one(struct virq_route *r, unsigned i, const struct vintc_msg *m)
{
    struct vlapic *l = &r->lapic[i];

    switch (m->mode) {
    case VINTC_DM_INIT:
        /* INIT resets the LAPIC too (ID and base kept); the glue resets the vCPU. */
        vlapic_init_reset(l);
        r->cpu->init(r->cpu_ctx, i);
        return true;
    case VINTC_DM_SIPI:
        r->cpu->sipi(r->cpu_ctx, i, m->vector);
        return true;
    default:
        if (!vlapic_receive(l, m))
            return false;
        r->cpu->kick(r->cpu_ctx, i);
        return true;
    }
}

/* Lowest priority: the enabled LAPIC named with the lowest PPR, lowest ID on ties. */
static int lowest_priority(const struct virq_route *r, const struct vintc_msg *m)
{
    int best = -1;
    uint32_t best_ppr = 0;

    for (unsigned i = 0; i < r->nr_vcpus; i++) {
        const struct vlapic *l = &r->lapic[i];
        uint32_t ppr = vlapic_ppr(l);

        if (!names(r, m, i) || !vlapic_sw_enabled(l))
            continue;
        if (best < 0 || ppr < best_ppr) {
            best = (int)i;
            best_ppr = ppr;
        }
    }
    return best;
}

bool virq_deliver(struct virq_route *r, const struct vintc_msg *m)
{
    bool taken = false;

    if (m->mode == VINTC_DM_INIT && !m->assert)
        return false;   /* the legacy INIT level de-assert: no effect since the P4 */
    if (m->mode == VINTC_DM_SMI || m->mode == 3)
        return false;
    if (m->mode == VINTC_DM_LOWEST) {
        int i = lowest_priority(r, m);

        return i >= 0 && deliver_one(r, (unsigned)i, m);
    }
    for (unsigned i = 0; i < r->nr_vcpus; i++)
        if (names(r, m, i))
            taken |= deliver_one(r, i, m);
    return taken;
}

void virq_eoi(struct virq_route *r, uint8_t vector)
{
    vioapic_eoi(r->ioapic, vector);
}

void virq_pic_notify(struct virq_route *r)
{
    bool out = vpic_pending(r->pic) >= 0;

    if (out == r->pic_out)
        return;
    r->pic_out = out;
    vioapic_set_line(r->ioapic, 0, out);
    if (out && vlapic_accepts_pic(&r->lapic[0]))
        r->cpu->kick(r->cpu_ctx, 0);
}

int virq_pending(struct virq_route *r, unsigned vcpu, bool *extint)
{
    struct vlapic *l;

    *extint = false;
    if (vcpu >= r->nr_vcpus)
        return -1;
    l = &r->lapic[vcpu];
    if (l->extint_pending || (vcpu == 0 && vlapic_accepts_pic(l))) {
        int vec = vpic_pending(r->pic);

        if (vec >= 0) {
            *extint = true;
            return vec;
        }
    }
    if (!vlapic_hw_enabled(l))
        return -1;
    return vlapic_pending(l);
}

int virq_accept(struct virq_route *r, unsigned vcpu, int vec, bool extint)
{
    struct vlapic *l;

    if (vcpu >= r->nr_vcpus)
        return -1;
    l = &r->lapic[vcpu];
    if (!extint) {
        vlapic_accept(l, vec);
        return vec;
    }
    l->extint_pending = false;
    return vpic_accept(r->pic);
}
