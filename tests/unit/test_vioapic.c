/* Virtual IOAPIC (core/hvm/vioapic.c) through its MMIO window, with the router's
 * ISA wiring: registers, edge and level delivery, remote IRR and EOI, polarity,
 * masking, destinations, ExtINT and NMI entries. */
#include "unit.h"
#include "vintc_fixture.h"

#include <hvlab/lib.h>

#define RTE_LO(pin) (0x10 + 2 * (pin))
#define RTE_HI(pin) (0x11 + 2 * (pin))
#define LOGICAL     (1u << 11)
#define POL_LOW     (1u << 13)
#define RIRR        (1u << 14)
#define LEVEL       (1u << 15)
#define MASK        (1u << 16)
#define DM(m)       ((uint32_t)(m) << 8)

static void route(unsigned pin, uint32_t lo, uint8_t dest)
{
    fx_ioapic_write(RTE_HI(pin), (uint32_t)dest << 24);
    fx_ioapic_write(RTE_LO(pin), lo);
}

static void setup(unsigned n)
{
    fx_setup(n);
    for (unsigned i = 0; i < n; i++)
        fx_enable(i);
}

static void test_registers(void)
{
    uint64_t v;

    setup(1);
    CHECK_EQ(fx_ioapic_read(0x01), 0x00170011);         /* 24 entries, version 0x11 */
    CHECK_EQ(fx_ioapic_read(0x00), 8u << 24);            /* ID from the config */
    fx_ioapic_write(0x00, 0x0F000000 | 0xFF);
    CHECK_EQ(fx_ioapic_read(0x00), 0x0F000000);
    fx_ioapic_write(0x01, 0);                            /* version: read-only */
    CHECK_EQ(fx_ioapic_read(0x01), 0x00170011);
    for (unsigned pin = 0; pin < VIOAPIC_PINS; pin++) {
        CHECK_EQ(fx_ioapic_read(RTE_LO(pin)), MASK);
        CHECK_EQ(fx_ioapic_read(RTE_HI(pin)), 0);
    }
    fx_ioapic_write(RTE_LO(7), 0xFFFFFFFF);              /* RO bits stay 0 */
    CHECK_EQ(fx_ioapic_read(RTE_LO(7)), 0x1AFFF);
    fx_ioapic_write(RTE_HI(7), 0xFFFFFFFF);
    CHECK_EQ(fx_ioapic_read(RTE_HI(7)), 0xFF000000u);
    CHECK_EQ(fx_ioapic_read(RTE_LO(24)), 0);             /* past the last pin */
    /* IOREGSEL reads back; other offsets read 0; outside the window: no device. */
    vioapic_mmio_ops.write(&fx.io, VIOAPIC_BASE, 4, 0, 0x12);
    vioapic_mmio_ops.read(&fx.io, VIOAPIC_BASE, 4, 0, &v);
    CHECK_EQ(v, 0x12);
    vioapic_mmio_ops.read(&fx.io, VIOAPIC_BASE + 0x20, 4, 0, &v);
    CHECK_EQ(v, 0);
    CHECK(vioapic_mmio_ops.read(&fx.io, VIOAPIC_BASE + 0x1000, 4, 0, &v) != 0);
}

/* Edge: one message per rising edge while unmasked; a masked edge is lost. */
static void test_edge_delivery(void)
{
    struct vlapic *l;

    setup(2);
    l = &fx.lapic[1];
    route(4, 0x34, 1);                                   /* COM1: ISA IRQ 4 */
    fx.r.sink.set_level(fx.r.sink.ctx, 4, true);
    CHECK_EQ(vlapic_pending(l), 0x34);
    CHECK(!fx_tmr(1, 0x34));
    CHECK_EQ(fx.kicks[1], 1);
    vlapic_accept(l, 0x34);
    fx.r.sink.set_level(fx.r.sink.ctx, 4, true);         /* still high: no edge */
    CHECK_EQ(vlapic_pending(l), -1);
    fx_lapic_write(1, 0xB0, 0, 0);
    CHECK_EQ(fx_ioapic_read(RTE_LO(4)) & RIRR, 0);       /* edge: no remote IRR */
    fx.r.sink.set_level(fx.r.sink.ctx, 4, false);
    fx.r.sink.set_level(fx.r.sink.ctx, 4, true);
    CHECK_EQ(vlapic_pending(l), 0x34);
    vlapic_accept(l, 0x34);
    fx_lapic_write(1, 0xB0, 0, 0);
    route(4, MASK | 0x34, 1);
    fx.r.sink.set_level(fx.r.sink.ctx, 4, false);
    fx.r.sink.set_level(fx.r.sink.ctx, 4, true);
    route(4, 0x34, 1);                                   /* unmasked after the edge */
    CHECK_EQ(vlapic_pending(l), -1);
}

/* Level: remote IRR set on delivery, held until the LAPIC's EOI of the vector; an
 * input still asserted at EOI is delivered again. */
static void test_level_remote_irr(void)
{
    struct vlapic *l;

    setup(1);
    l = &fx.lapic[0];
    route(9, LEVEL | 0x39, 0);                           /* SCI: ISA IRQ 9, level */
    vioapic_set_line(&fx.io, 9, true);
    CHECK_EQ(vlapic_pending(l), 0x39);
    CHECK(fx_tmr(0, 0x39));
    CHECK(fx_ioapic_read(RTE_LO(9)) & RIRR);
    vlapic_accept(l, 0x39);
    vioapic_set_line(&fx.io, 9, true);                   /* in flight: nothing new */
    CHECK_EQ(vlapic_pending(l), -1);
    CHECK(!fx_irr(0, 0x39));
    fx_ioapic_write(RTE_LO(9), LEVEL | 0x39);            /* a rewrite keeps remote IRR */
    CHECK(fx_ioapic_read(RTE_LO(9)) & RIRR);
    fx_lapic_write(0, 0xB0, 0, 0);                       /* EOI, line still high */
    CHECK(fx_ioapic_read(RTE_LO(9)) & RIRR);             /* delivered again */
    CHECK_EQ(vlapic_pending(l), 0x39);
    vlapic_accept(l, 0x39);
    vioapic_set_line(&fx.io, 9, false);                  /* device quiet */
    fx_lapic_write(0, 0xB0, 0, 0);
    CHECK_EQ(fx_ioapic_read(RTE_LO(9)) & RIRR, 0);
    CHECK_EQ(vlapic_pending(l), -1);
    CHECK(!fx_tmr(0, 0x39));
    /* An EOI for another vector leaves remote IRR alone. */
    vioapic_set_line(&fx.io, 9, true);
    vlapic_accept(l, 0x39);
    vioapic_eoi(&fx.io, 0x38);
    CHECK(fx_ioapic_read(RTE_LO(9)) & RIRR);
    /* Switching the entry to edge clears remote IRR. */
    fx_ioapic_write(RTE_LO(9), 0x39);
    CHECK_EQ(fx_ioapic_read(RTE_LO(9)) & RIRR, 0);
}

/* A level message nobody accepts (the LAPIC is software-disabled, or the vCPU does
 * not exist) leaves remote IRR clear: no EOI would ever come to clear it. */
static void test_level_unaccepted(void)
{
    fx_setup(2);                                         /* both software-disabled */
    route(9, LEVEL | 0x39, 1);
    vioapic_set_line(&fx.io, 9, true);
    CHECK_EQ(fx_ioapic_read(RTE_LO(9)) & RIRR, 0);
    fx_enable(1);
    route(9, LEVEL | 0x39, 1);                           /* the guest's rewrite */
    CHECK(fx_ioapic_read(RTE_LO(9)) & RIRR);
    CHECK_EQ(vlapic_pending(&fx.lapic[1]), 0x39);
    route(10, LEVEL | 0x3A, 7);                          /* no vCPU 7 */
    vioapic_set_line(&fx.io, 10, true);
    CHECK_EQ(fx_ioapic_read(RTE_LO(10)) & RIRR, 0);
}

/* Unmasking a level entry whose input is asserted delivers it at once. */
static void test_level_unmask_delivers(void)
{
    setup(1);
    route(10, MASK | LEVEL | 0x4A, 0);
    vioapic_set_line(&fx.io, 10, true);
    CHECK_EQ(vlapic_pending(&fx.lapic[0]), -1);
    route(10, LEVEL | 0x4A, 0);
    CHECK_EQ(vlapic_pending(&fx.lapic[0]), 0x4A);
}

/* Polarity: an active-low input asserts at 0. */
static void test_polarity(void)
{
    static const struct { uint32_t pol; bool line; bool delivered; } rows[] = {
        { 0, false, false }, { 0, true, true },
        { POL_LOW, false, true }, { POL_LOW, true, false },
    };

    for (unsigned i = 0; i < ARRAY_SIZE(rows); i++) {
        setup(1);
        vioapic_set_line(&fx.io, 16, rows[i].line);
        route(16, LEVEL | rows[i].pol | 0x50, 0);
        CHECK_EQ(vlapic_pending(&fx.lapic[0]) == 0x50, rows[i].delivered);
    }
}

/* The PC wiring: ISA IRQ 0 reaches pin 2, IRQ 2 nothing, the rest their own pin;
 * GSIs 16-23 only through virq_set_gsi. */
static void test_isa_wiring(void)
{
    static const struct { unsigned isa, pin; } rows[] = {
        { 0, 2 }, { 1, 1 }, { 4, 4 }, { 8, 8 }, { 9, 9 }, { 15, 15 },
    };

    for (unsigned i = 0; i < ARRAY_SIZE(rows); i++) {
        setup(1);
        for (unsigned pin = 0; pin < 16; pin++)
            route(pin, 0x20 + pin, 0);
        virq_set_isa_irq(&fx.r, rows[i].isa, true);
        CHECK_EQ(vlapic_pending(&fx.lapic[0]), 0x20 + (int)rows[i].pin);
    }
    setup(1);
    for (unsigned pin = 0; pin < VIOAPIC_PINS; pin++)
        route(pin, 0x20 + pin, 0);
    virq_set_isa_irq(&fx.r, 2, true);
    virq_set_isa_irq(&fx.r, 16, true);
    virq_set_gsi(&fx.r, 5, true);                        /* an ISA pin: refused */
    CHECK_EQ(vlapic_pending(&fx.lapic[0]), -1);
    virq_set_gsi(&fx.r, 19, true);
    CHECK_EQ(vlapic_pending(&fx.lapic[0]), 0x20 + 19);
}

/* Destinations of IOAPIC messages: physical, logical flat, lowest priority. */
static void test_destinations(void)
{
    setup(4);
    for (unsigned v = 0; v < 4; v++)
        fx_lapic_write(v, 0xD0, (1u << v) << 24, 0);
    route(5, 0x45, 3);
    vioapic_set_line(&fx.io, 5, true);
    CHECK_EQ(vlapic_pending(&fx.lapic[3]), 0x45);
    route(6, LOGICAL | 0x46, 0x05);
    vioapic_set_line(&fx.io, 6, true);
    CHECK_EQ(vlapic_pending(&fx.lapic[0]), 0x46);
    CHECK_EQ(vlapic_pending(&fx.lapic[2]), 0x46);
    CHECK_EQ(vlapic_pending(&fx.lapic[1]), -1);
    fx_lapic_write(1, 0x80, 0x30, 0);                    /* vCPU 1 busier */
    route(7, LOGICAL | DM(VINTC_DM_LOWEST) | 0x57, 0x06);
    vioapic_set_line(&fx.io, 7, true);
    CHECK_EQ(vlapic_pending(&fx.lapic[2]), 0x57);
    CHECK(!fx_irr(1, 0x57));
    route(11, 0x5B, 9);                                  /* no such vCPU */
    vioapic_set_line(&fx.io, 11, true);
    for (unsigned v = 0; v < 4; v++)
        CHECK(!fx_irr(v, 0x5B));
}

/* NMI and ExtINT entries: the PIC's vector through pin 0 (virtual wire, via IOAPIC). */
static void test_nmi_and_extint(void)
{
    bool extint;

    setup(2);
    route(3, DM(VINTC_DM_NMI), 1);
    vioapic_set_line(&fx.io, 3, true);
    CHECK(vlapic_take_nmi(&fx.lapic[1]));
    /* PIC programmed (vectors 0x20/0x28), IRQ 1 unmasked; pin 0 ExtINT to vCPU 1. */
    route(0, DM(VINTC_DM_EXTINT), 1);
    fx_outb(0x20, 0x11); fx_outb(0x21, 0x20); fx_outb(0x21, 0x04); fx_outb(0x21, 0x01);
    fx_outb(0x21, 0xFD);
    virq_set_isa_irq(&fx.r, 1, true);
    CHECK_EQ(virq_pending(&fx.r, 1, &extint), 0x21);
    CHECK(extint);
    CHECK_EQ(virq_accept(&fx.r, 1, 0x21, true), 0x21);
    CHECK(!fx.lapic[1].extint_pending);
    CHECK_EQ(virq_pending(&fx.r, 1, &extint), -1);
}

static const struct unit_case cases[] = {
    { "registers", test_registers },
    { "edge_delivery", test_edge_delivery },
    { "level_remote_irr", test_level_remote_irr },
    { "level_unmask_delivers", test_level_unmask_delivers },
    { "level_unaccepted", test_level_unaccepted },
    { "polarity", test_polarity },
    { "isa_wiring", test_isa_wiring },
    { "destinations", test_destinations },
    { "nmi_and_extint", test_nmi_and_extint },
};
UNIT_MAIN(cases)
