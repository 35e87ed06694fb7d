/* Virtual local APIC (core/hvm/vlapic*.c, virq_route.c): registers, priority and EOI
 * ordering, IPIs and their destinations, INIT/SIPI, x2APIC MSRs and the APIC base
 * MSR rules. The timer has its own file (test_vlapic_timer.c). */
#include "unit.h"
#include "vintc_fixture.h"

#include <hvlab/errno.h>
#include <hvlab/lib.h>

#define ICR_FIXED(v)    (v)
#define ICR_LOGICAL     (1u << 11)
#define ICR_ASSERT      (1u << 14)
#define ICR_LEVEL       (1u << 15)
#define ICR_SH(s)       ((uint32_t)(s) << 18)
#define ICR_DM(m)       ((uint32_t)(m) << 8)

static void test_reset_state(void)
{
    uint64_t base;

    fx_setup(2);
    CHECK_EQ(fx_lapic_read(1, 0x20, 0), 1u << 24);
    CHECK_EQ(fx_lapic_read(0, 0x30, 0), 0x00050014);
    CHECK_EQ(fx_lapic_read(0, 0xF0, 0), 0xFF);
    CHECK_EQ(fx_lapic_read(0, 0xE0, 0), 0xFFFFFFFFu);
    for (unsigned off = 0x320; off <= 0x370; off += 0x10)
        CHECK_EQ(fx_lapic_read(0, off, 0), 0x10000);
    CHECK_EQ(fx_msr_read(0, MSR_APIC_BASE, &base), 0);
    CHECK_EQ(base, 0xFEE00900ULL);      /* enabled, BSP */
    CHECK_EQ(fx_msr_read(1, MSR_APIC_BASE, &base), 0);
    CHECK_EQ(base, 0xFEE00800ULL);
    CHECK_EQ(vlapic_pending(&fx.lapic[0]), -1);
}

static void test_register_rw(void)
{
    uint64_t v = 0;

    fx_setup(2);
    fx_enable(0);
    fx_lapic_write(0, 0x80, 0x1234, 0);
    CHECK_EQ(fx_lapic_read(0, 0x80, 0), 0x34);          /* TPR: 8 bits */
    fx_lapic_write(0, 0xD0, 0x12345678, 0);
    CHECK_EQ(fx_lapic_read(0, 0xD0, 0), 0x12000000);    /* LDR: 31:24 */
    fx_lapic_write(0, 0xE0, 0x00000000, 0);
    CHECK_EQ(fx_lapic_read(0, 0xE0, 0), 0x0FFFFFFF);    /* DFR: model bits only */
    fx_lapic_write(0, 0x310, 0xFFFFFFFF, 0);
    CHECK_EQ(fx_lapic_read(0, 0x310, 0), 0xFF000000u);
    fx_lapic_write(0, 0x3E0, 0xFF, 0);
    CHECK_EQ(fx_lapic_read(0, 0x3E0, 0), 0xB);
    fx_lapic_write(0, 0x350, 0xFFFFFFFF, 0);            /* LINT0: remote IRR is RO */
    CHECK_EQ(fx_lapic_read(0, 0x350, 0), 0x1A7FF);
    fx_lapic_write(0, 0x20, 0x05000000, 0);             /* ID: read-only */
    CHECK_EQ(fx_lapic_read(0, 0x20, 0), 0);
    /* A byte read of the ID's top byte, as some guests do. */
    fx_setup(4);
    CHECK_EQ(vlapic_mmio_ops.read(&fx.lapic[3], VLAPIC_DEFAULT_BASE + 0x23, 1, 0, &v), 0);
    CHECK_EQ(v, 3);
    CHECK_EQ(vlapic_mmio_ops.read(&fx.lapic[3], VLAPIC_DEFAULT_BASE + 0x1000, 4, 0, &v),
             -ENODEV);
}

/* PPR from TPR and the highest in-service class; pending needs a class above it. */
static void test_priority_ppr(void)
{
    static const struct { uint8_t tpr, in_service, request; uint32_t ppr; int pending; }
    rows[] = {
        { 0x00, 0, 0x45, 0x00, 0x45 },
        { 0x40, 0, 0x45, 0x40, -1 },     /* same class as TPR: held */
        { 0x3F, 0, 0x45, 0x3F, 0x45 },
        { 0x50, 0, 0x45, 0x50, -1 },
        { 0x10, 0x61, 0x65, 0x60, -1 },  /* same class as in service: held */
        { 0x10, 0x61, 0x71, 0x60, 0x71 },
        { 0x75, 0x61, 0x81, 0x75, 0x81 },
        { 0x75, 0x61, 0x7F, 0x75, -1 },
    };

    for (unsigned i = 0; i < ARRAY_SIZE(rows); i++) {
        struct vlapic *l;

        fx_setup(1);
        fx_enable(0);
        l = &fx.lapic[0];
        if (rows[i].in_service) {
            vlapic_set_irr(l, rows[i].in_service, false);
            vlapic_accept(l, rows[i].in_service);
        }
        fx_lapic_write(0, 0x80, rows[i].tpr, 0);
        vlapic_set_irr(l, rows[i].request, false);
        if (fx_lapic_read(0, 0xA0, 0) != rows[i].ppr ||
            vlapic_pending(l) != rows[i].pending)
            printf("    row %u\n", i);
        CHECK_EQ(fx_lapic_read(0, 0xA0, 0), rows[i].ppr);
        CHECK_EQ(vlapic_pending(l), rows[i].pending);
    }
}

/* Nested interrupts: a higher class interrupts a lower one in service; EOI retires
 * the highest in service first, and what it held back becomes deliverable. */
static void test_nested_eoi_order(void)
{
    struct vlapic *l;

    fx_setup(1);
    fx_enable(0);
    l = &fx.lapic[0];
    vlapic_set_irr(l, 0x40, false);
    CHECK_EQ(vlapic_pending(l), 0x40);
    vlapic_accept(l, 0x40);
    CHECK(fx_isr(0, 0x40) && !fx_irr(0, 0x40));
    vlapic_set_irr(l, 0x80, false);
    CHECK_EQ(vlapic_pending(l), 0x80);              /* nests */
    vlapic_accept(l, 0x80);
    vlapic_set_irr(l, 0x50, false);
    vlapic_set_irr(l, 0x42, false);
    CHECK_EQ(vlapic_pending(l), -1);                /* PPR 0x80 */
    CHECK_EQ(fx_lapic_read(0, 0xA0, 0), 0x80);
    fx_lapic_write(0, 0xB0, 0, 0);                  /* EOI: 0x80 */
    CHECK(!fx_isr(0, 0x80) && fx_isr(0, 0x40));
    CHECK_EQ(vlapic_pending(l), 0x50);              /* above 0x40's class */
    vlapic_accept(l, 0x50);
    fx_lapic_write(0, 0xB0, 0, 0);                  /* EOI: 0x50 */
    CHECK(!fx_isr(0, 0x50) && fx_isr(0, 0x40));
    CHECK_EQ(vlapic_pending(l), -1);                /* 0x42: same class as 0x40 */
    fx_lapic_write(0, 0xB0, 0, 0);                  /* EOI: 0x40 */
    CHECK_EQ(vlapic_pending(l), 0x42);
    vlapic_accept(l, 0x42);
    fx_lapic_write(0, 0xB0, 0, 0);
    for (unsigned off = 0x100; off < 0x180; off += 0x10)
        CHECK_EQ(fx_lapic_read(0, off, 0), 0);
    fx_lapic_write(0, 0xB0, 0, 0);                  /* EOI with nothing in service */
    CHECK_EQ(vlapic_pending(l), -1);
    vlapic_accept(l, 0x99);                         /* not requested: no effect */
    CHECK(!fx_isr(0, 0x99));
}

static void test_illegal_vectors(void)
{
    fx_setup(2);
    fx_enable(0);
    fx_enable(1);
    fx_lapic_write(0, 0x370, 0xEE, 0);              /* LVT error: vector 0xEE */
    fx_ipi(0, ICR_FIXED(0x05), 1);                  /* send illegal vector */
    CHECK(!fx_irr(1, 0x05));
    CHECK_EQ(fx_lapic_read(0, 0x280, 0), 0);        /* not latched until ESR write */
    fx_lapic_write(0, 0x280, 0, 0);
    CHECK_EQ(fx_lapic_read(0, 0x280, 0), 0x20);
    CHECK(fx_irr(0, 0xEE));                         /* error interrupt raised */
    fx_lapic_write(0, 0x280, 0, 0);
    CHECK_EQ(fx_lapic_read(0, 0x280, 0), 0);
    /* An IOAPIC message with vector 3 is a receive error at the target. */
    fx_ioapic_write(0x10 + 2 * 5, 0x03);
    fx_ioapic_write(0x11 + 2 * 5, 1u << 24);
    vioapic_set_line(&fx.io, 5, true);
    fx_lapic_write(1, 0x280, 0, 0);
    CHECK_EQ(fx_lapic_read(1, 0x280, 0), 0x40);
}

static void test_sw_disabled(void)
{
    fx_setup(2);
    fx_ipi(0, ICR_FIXED(0x50), 1);                  /* vCPU 1 software-disabled */
    CHECK(!fx_irr(1, 0x50));
    CHECK_EQ(fx.kicks[1], 0);
    fx_lapic_write(1, 0x320, 0x30, 0);              /* cannot unmask an LVT */
    CHECK_EQ(fx_lapic_read(1, 0x320, 0), 0x10030);
    fx_enable(1);
    fx_lapic_write(1, 0x320, 0x30, 0);
    CHECK_EQ(fx_lapic_read(1, 0x320, 0), 0x30);
    fx_lapic_write(1, 0xF0, 0xFF, 0);               /* disabling masks every LVT */
    CHECK_EQ(fx_lapic_read(1, 0x320, 0), 0x10030);
    fx_ipi(0, ICR_DM(VINTC_DM_NMI), 1);             /* NMI still arrives */
    CHECK(vlapic_take_nmi(&fx.lapic[1]));
    CHECK(!vlapic_take_nmi(&fx.lapic[1]));
}

static void setup_enabled(unsigned n)
{
    fx_setup(n);
    for (unsigned i = 0; i < n; i++)
        fx_enable(i);
}

/* Which vCPUs of 4 receive an IPI from vCPU 1, by destination and shorthand. */
static void test_ipi_destinations(void)
{
    static const struct {
        const char *name; uint32_t icr; uint8_t dest; uint8_t dfr_model;
        uint8_t ldr[4]; unsigned want;  /* bit i: vCPU i received */
    } rows[] = {
        { "physical 2", 0, 2, 0xF, {0}, 0x4 },
        { "physical 7 (absent)", 0, 7, 0xF, {0}, 0x0 },
        { "physical broadcast", 0, 0xFF, 0xF, {0}, 0xF },
        { "self", ICR_SH(VINTC_SH_SELF), 0, 0xF, {0}, 0x2 },
        { "all", ICR_SH(VINTC_SH_ALL), 0, 0xF, {0}, 0xF },
        { "all but self", ICR_SH(VINTC_SH_OTHERS), 0, 0xF, {0}, 0xD },
        { "flat 0x06", ICR_LOGICAL, 0x06, 0xF, {0x01, 0x02, 0x04, 0x08}, 0x6 },
        { "flat 0x10 (none)", ICR_LOGICAL, 0x10, 0xF, {0x01, 0x02, 0x04, 0x08}, 0x0 },
        { "flat unset LDR", ICR_LOGICAL, 0x01, 0xF, {0, 0, 0, 0}, 0x0 },
        { "flat broadcast", ICR_LOGICAL, 0xFF, 0xF, {0, 0, 0, 0}, 0xF },
        { "cluster 1:0b0011", ICR_LOGICAL, 0x13, 0x0, {0x11, 0x12, 0x21, 0x14}, 0x3 },
        { "cluster 2:0b0001", ICR_LOGICAL, 0x21, 0x0, {0x11, 0x12, 0x21, 0x14}, 0x4 },
        { "cluster 3 (none)", ICR_LOGICAL, 0x3F, 0x0, {0x11, 0x12, 0x21, 0x14}, 0x0 },
    };

    for (unsigned i = 0; i < ARRAY_SIZE(rows); i++) {
        unsigned got = 0, kicks = 0;

        setup_enabled(4);
        for (unsigned v = 0; v < 4; v++) {
            fx_lapic_write(v, 0xE0, (uint32_t)rows[i].dfr_model << 28, 0);
            fx_lapic_write(v, 0xD0, (uint32_t)rows[i].ldr[v] << 24, 0);
        }
        fx_ipi(1, rows[i].icr | 0x61, rows[i].dest);
        for (unsigned v = 0; v < 4; v++) {
            got |= fx_irr(v, 0x61) << v;
            kicks += fx.kicks[v];
        }
        if (got != rows[i].want)
            printf("    %s: got %#x want %#x\n", rows[i].name, got, rows[i].want);
        CHECK_EQ(got, rows[i].want);
        CHECK_EQ(kicks, __builtin_popcount(rows[i].want));
    }
}

/* Lowest priority goes to one LAPIC: the lowest PPR, the lowest ID among equals. */
static void test_ipi_lowest_priority(void)
{
    static const struct { uint8_t tpr[4]; uint8_t dest; unsigned want; } rows[] = {
        { { 0x00, 0x00, 0x00, 0x00 }, 0x0F, 0 },
        { { 0x20, 0x00, 0x10, 0x00 }, 0x0F, 1 },
        { { 0x20, 0x30, 0x10, 0x40 }, 0x0F, 2 },
        { { 0x20, 0x30, 0x10, 0x40 }, 0x0B, 0 },    /* vCPU 2 not named */
        { { 0x00, 0x00, 0x00, 0x00 }, 0x0C, 2 },
    };

    for (unsigned i = 0; i < ARRAY_SIZE(rows); i++) {
        setup_enabled(4);
        for (unsigned v = 0; v < 4; v++) {
            fx_lapic_write(v, 0xD0, (1u << v) << 24, 0);
            fx_lapic_write(v, 0x80, rows[i].tpr[v], 0);
        }
        fx_ipi(3, ICR_DM(VINTC_DM_LOWEST) | ICR_LOGICAL | 0x71, rows[i].dest);
        for (unsigned v = 0; v < 4; v++) {
            if (fx_irr(v, 0x71) != (v == rows[i].want))
                printf("    row %u: vCPU %u irr %d\n", i, v, fx_irr(v, 0x71));
            CHECK_EQ(fx_irr(v, 0x71), v == rows[i].want);
        }
    }
}

static void test_init_sipi(void)
{
    setup_enabled(4);
    fx_lapic_write(2, 0x80, 0x30, 0);
    /* Linux's sequence: INIT assert (level), INIT de-assert, SIPI, SIPI. */
    fx_ipi(0, ICR_DM(VINTC_DM_INIT) | ICR_LEVEL | ICR_ASSERT, 2);
    CHECK_EQ(fx.inits[2], 1);
    CHECK_EQ(fx_lapic_read(2, 0x80, 0), 0);             /* LAPIC reset by INIT */
    CHECK_EQ(fx_lapic_read(2, 0xF0, 0), 0xFF);
    CHECK_EQ(fx_lapic_read(2, 0x20, 0), 2u << 24);       /* ID kept */
    fx_ipi(0, ICR_DM(VINTC_DM_INIT) | ICR_LEVEL, 2);     /* de-assert: ignored */
    CHECK_EQ(fx.inits[2], 1);
    fx_ipi(0, ICR_DM(VINTC_DM_SIPI) | 0x9F, 2);
    fx_ipi(0, ICR_DM(VINTC_DM_SIPI) | 0x9F, 2);
    CHECK_EQ(fx.nsipi, 2);
    CHECK_EQ(fx.sipi[0].vcpu, 2);
    CHECK_EQ(fx.sipi[0].vector, 0x9F);
    /* INIT and SIPI to a vCPU the domain does not have reach nobody. */
    fx_ipi(0, ICR_DM(VINTC_DM_INIT) | ICR_ASSERT, 9);
    fx_ipi(0, ICR_DM(VINTC_DM_SIPI) | 0x10, 9);
    CHECK_EQ(fx.inits[0] + fx.inits[1] + fx.inits[2] + fx.inits[3], 1);
    CHECK_EQ(fx.nsipi, 2);
    /* All but self: the APs of a 4-vCPU guest. */
    fx_ipi(0, ICR_DM(VINTC_DM_INIT) | ICR_ASSERT | ICR_SH(VINTC_SH_OTHERS), 0);
    CHECK_EQ(fx.inits[0], 0);
    CHECK_EQ(fx.inits[1] + fx.inits[2] + fx.inits[3], 4);
}

/* APIC base MSR transitions (EN, EXTD): 00 off, 10 xAPIC, 11 x2APIC, 01 invalid. */
static void test_base_transitions(void)
{
    static const struct { unsigned from, to; int rc; } rows[] = {
        { 2, 3, 0 }, { 2, 0, 0 }, { 3, 0, 0 }, { 0, 2, 0 },
        { 3, 2, -EINVAL },      /* x2APIC straight to xAPIC */
        { 0, 3, -EINVAL },      /* off straight to x2APIC */
        { 2, 1, -EINVAL }, { 0, 1, -EINVAL }, { 3, 1, -EINVAL },
        { 3, 3, 0 }, { 2, 2, 0 },
    };
    const uint64_t bits[4] = { 0, APIC_BASE_EXTD, APIC_BASE_EN,
                               APIC_BASE_EN | APIC_BASE_EXTD };

    for (unsigned i = 0; i < ARRAY_SIZE(rows); i++) {
        uint64_t from = VLAPIC_DEFAULT_BASE | bits[rows[i].from], got;
        int rc;

        fx_setup(2);
        fx.lapic[1].base = from;
        rc = fx_msr_write(1, MSR_APIC_BASE, VLAPIC_DEFAULT_BASE | bits[rows[i].to]);
        if (rc != rows[i].rc)
            printf("    %u -> %u\n", rows[i].from, rows[i].to);
        CHECK_EQ(rc, rows[i].rc);
        fx_msr_read(1, MSR_APIC_BASE, &got);
        CHECK_EQ(got, rc ? from : (VLAPIC_DEFAULT_BASE | bits[rows[i].to]));
    }
    fx_setup(1);        /* reserved bits; BSP stays the machine's */
    CHECK_EQ(fx_msr_write(0, MSR_APIC_BASE, 0xFEE00800ULL | 1), -EINVAL);
    CHECK_EQ(fx_msr_write(0, MSR_APIC_BASE, 0xFEE00800ULL | (1ULL << 60)), -EINVAL);
    CHECK_EQ(fx_msr_write(0, MSR_APIC_BASE, 0xFEE00800ULL), 0);
    CHECK_EQ(fx.lapic[0].base, 0xFEE00900ULL);
}

static void test_base_disable_and_move(void)
{
    uint64_t v;

    fx_setup(2);
    fx_enable(1);
    fx_lapic_write(1, 0x80, 0x20, 0);
    CHECK_EQ(fx_msr_write(1, MSR_APIC_BASE, VLAPIC_DEFAULT_BASE), 0);    /* off */
    CHECK_EQ(vlapic_mmio_ops.read(&fx.lapic[1], VLAPIC_DEFAULT_BASE + 0x80, 4, 0, &v),
             -ENODEV);
    fx_ipi(0, ICR_DM(VINTC_DM_NMI), 1);
    CHECK(!vlapic_take_nmi(&fx.lapic[1]));          /* a disabled APIC hears nothing */
    CHECK_EQ(fx_msr_write(1, MSR_APIC_BASE, VLAPIC_DEFAULT_BASE | APIC_BASE_EN), 0);
    CHECK_EQ(fx_lapic_read(1, 0x80, 0), 0);         /* back in its reset state */
    CHECK_EQ(fx_lapic_read(1, 0xF0, 0), 0xFF);
    /* Moving the window: only where the glue's base_ok allows. */
    CHECK_EQ(fx_msr_write(1, MSR_APIC_BASE, 0x100000 | APIC_BASE_EN), -EINVAL);
    CHECK_EQ(vlapic_mmio_base(&fx.lapic[1]), VLAPIC_DEFAULT_BASE);
    fx.allowed_base = 0xFED00000;
    CHECK_EQ(fx_msr_write(1, MSR_APIC_BASE, 0xFED00000 | APIC_BASE_EN), 0);
    CHECK_EQ(vlapic_mmio_base(&fx.lapic[1]), 0xFED00000);
    CHECK_EQ(vlapic_mmio_ops.read(&fx.lapic[1], 0xFED00020, 4, 0, &v), 0);
    CHECK_EQ(v, 1u << 24);
    CHECK_EQ(vlapic_mmio_ops.read(&fx.lapic[1], VLAPIC_DEFAULT_BASE + 0x20, 4, 0, &v),
             -ENODEV);
}

static void test_x2apic_registers(void)
{
    uint64_t v = 0;

    fx_setup(20);
    CHECK_EQ(fx_msr_read(17, 0x802, &v), -EINVAL);      /* not in x2APIC mode yet */
    CHECK_EQ(fx_msr_write(17, MSR_APIC_BASE, VLAPIC_DEFAULT_BASE | APIC_BASE_EN |
                          APIC_BASE_EXTD), 0);
    CHECK_EQ(vlapic_mmio_ops.read(&fx.lapic[17], VLAPIC_DEFAULT_BASE + 0x20, 4, 0, &v),
             -ENODEV);                                  /* no MMIO in x2APIC mode */
    CHECK_EQ(fx_msr_read(17, 0x802, &v), 0);
    CHECK_EQ(v, 17);                                    /* ID: the whole register */
    CHECK_EQ(fx_msr_read(17, 0x80D, &v), 0);
    CHECK_EQ(v, (1u << 16) | (1u << 1));                /* LDR: cluster 1, bit 1 */
    CHECK_EQ(fx_msr_read(17, 0x803, &v), 0);
    CHECK_EQ(v, 0x00050014);
    CHECK_EQ(fx_msr_write(17, 0x80F, 0x1FF), 0);        /* SVR */
    CHECK_EQ(fx_msr_write(17, 0x808, 0x20), 0);         /* TPR */
    CHECK_EQ(fx_msr_read(17, 0x808, &v), 0);
    CHECK_EQ(v, 0x20);
    /* #GP: write-only, read-only, absent registers, reserved bits. */
    static const uint32_t no_read[] = { 0x80B, 0x83F, 0x809, 0x80C, 0x80E, 0x831, 0x82F,
                                        0x801, 0x8FF };
    for (unsigned i = 0; i < ARRAY_SIZE(no_read); i++)
        CHECK_EQ(fx_msr_read(17, no_read[i], &v), -EINVAL);
    static const struct { uint32_t msr; uint64_t val; } no_write[] = {
        { 0x802, 17 }, { 0x803, 0 }, { 0x80A, 0 }, { 0x80D, 0 }, { 0x80E, 0 },
        { 0x810, 0 }, { 0x820, 0 }, { 0x839, 0 }, { 0x80B, 1 }, { 0x828, 1 },
        { 0x808, 0x100 }, { 0x80F, 0x1000 }, { 0x83E, 0x4 }, { 0x83F, 0x100 },
        { 0x830, 1u << 12 }, { 0x832, 1u << 20 }, { 0x838, 1ULL << 32 }, { 0x831, 0 },
    };
    for (unsigned i = 0; i < ARRAY_SIZE(no_write); i++) {
        int rc = fx_msr_write(17, no_write[i].msr, no_write[i].val);
        if (rc != -EINVAL)
            printf("    write %#x = %#llx: rc %d\n", no_write[i].msr,
                   (unsigned long long)no_write[i].val, rc);
        CHECK_EQ(rc, -EINVAL);
    }
    CHECK_EQ(fx_msr_write(17, 0x80B, 0), 0);            /* EOI 0, ESR 0: fine */
    CHECK_EQ(fx_msr_write(17, 0x828, 0), 0);
    CHECK_EQ(fx_msr_read(17, 0x1000, &v), -EINVAL);     /* not an APIC MSR */
}

static void test_x2apic_ipis(void)
{
    uint64_t v;

    fx_setup(20);
    for (unsigned i = 0; i < 20; i++) {
        fx_msr_write(i, MSR_APIC_BASE, VLAPIC_DEFAULT_BASE | APIC_BASE_EN | APIC_BASE_EXTD);
        fx_msr_write(i, 0x80F, 0x1FF);
    }
    /* ICR is one 64-bit MSR, destination in 63:32. */
    CHECK_EQ(fx_msr_write(0, 0x830, (18ULL << 32) | 0x55), 0);
    CHECK(vlapic_pending(&fx.lapic[18]) == 0x55);
    CHECK_EQ(fx_msr_read(0, 0x830, &v), 0);
    CHECK_EQ(v, (18ULL << 32) | 0x55);
    /* Logical: cluster 1 (IDs 16-31), members 16 and 19. */
    CHECK_EQ(fx_msr_write(0, 0x830, ((1ULL << 16 | 0x9) << 32) | ICR_LOGICAL | 0x66), 0);
    for (unsigned i = 0; i < 20; i++)
        CHECK_EQ(vlapic_pending(&fx.lapic[i]) == 0x66, i == 16 || i == 19);
    /* Broadcast 0xFFFFFFFF; 0xFF is an ordinary ID in x2APIC mode. */
    CHECK_EQ(fx_msr_write(0, 0x830, (0xFFULL << 32) | 0x77), 0);
    for (unsigned i = 0; i < 20; i++)
        CHECK(vlapic_pending(&fx.lapic[i]) != 0x77);
    CHECK_EQ(fx_msr_write(0, 0x830, (0xFFFFFFFFULL << 32) | 0x77), 0);
    for (unsigned i = 0; i < 20; i++)
        CHECK_EQ(vlapic_pending(&fx.lapic[i]), 0x77);
    /* SELF_IPI: a fixed edge vector to self; an illegal one is a send error. */
    CHECK_EQ(fx_msr_write(5, 0x83F, 0x88), 0);
    CHECK_EQ(vlapic_pending(&fx.lapic[5]), 0x88);
    CHECK_EQ(fx_msr_write(5, 0x83F, 0x08), 0);
    CHECK_EQ(fx_msr_write(5, 0x828, 0), 0);
    CHECK_EQ(fx_msr_read(5, 0x828, &v), 0);
    CHECK_EQ(v, 0x20);
}

/* Bad configurations are refused before anything is touched. */
static void nop_kick(void *c, unsigned v) { (void)c; (void)v; }
static void nop_init(void *c, unsigned v) { (void)c; (void)v; }
static void nop_sipi(void *c, unsigned v, uint8_t x) { (void)c; (void)v; (void)x; }

static void test_route_init_checks(void)
{
    static const struct vintc_cpu_ops ok = { nop_kick, nop_init, nop_sipi };
    static const struct vintc_cpu_ops no_sipi = { nop_kick, nop_init, NULL };
    static const struct { const char *name; unsigned nr; uint32_t khz;
                          const struct vintc_cpu_ops *ops; int rc; } rows[] = {
        { "good", 2, 1000, &ok, 0 },
        { "max vCPUs", VINTC_MAX_VCPUS, 1000, &ok, 0 },
        { "no vCPUs", 0, 1000, &ok, -EINVAL },
        { "too many vCPUs", VINTC_MAX_VCPUS + 1, 1000, &ok, -EINVAL },
        { "no TSC rate", 2, 0, &ok, -EINVAL },
        { "no ops", 2, 1000, NULL, -EINVAL },
        { "op missing", 2, 1000, &no_sipi, -EINVAL },
    };
    static struct vlapic lapics[VINTC_MAX_VCPUS];
    struct virq_route r;
    struct vioapic io;
    struct vpic pic;

    for (unsigned i = 0; i < ARRAY_SIZE(rows); i++) {
        struct virq_config cfg = { .nr_vcpus = rows[i].nr, .tsc_khz = rows[i].khz,
                                   .cpu_ops = rows[i].ops };
        int rc = virq_route_init(&r, lapics, &io, &pic, &cfg);

        if (rc != rows[i].rc)
            printf("    %s: rc %d\n", rows[i].name, rc);
        CHECK_EQ(rc, rows[i].rc);
    }
    CHECK_EQ(virq_route_init(&r, lapics, &io, &pic, NULL), -EINVAL);
}

static const struct unit_case cases[] = {
    { "reset_state", test_reset_state },
    { "register_rw", test_register_rw },
    { "priority_ppr", test_priority_ppr },
    { "nested_eoi_order", test_nested_eoi_order },
    { "illegal_vectors", test_illegal_vectors },
    { "sw_disabled", test_sw_disabled },
    { "ipi_destinations", test_ipi_destinations },
    { "ipi_lowest_priority", test_ipi_lowest_priority },
    { "init_sipi", test_init_sipi },
    { "base_transitions", test_base_transitions },
    { "base_disable_and_move", test_base_disable_and_move },
    { "x2apic_registers", test_x2apic_registers },
    { "x2apic_ipis", test_x2apic_ipis },
    { "route_init_checks", test_route_init_checks },
};
UNIT_MAIN(cases)
