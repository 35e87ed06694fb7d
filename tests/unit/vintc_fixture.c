/* The vintc test fixture (see vintc_fixture.h). */
#include "unit.h"
#include "vintc_fixture.h"

struct fx fx;

static void fake_kick(void *ctx, unsigned vcpu) { ((struct fx *)ctx)->kicks[vcpu]++; }
static void fake_init(void *ctx, unsigned vcpu) { ((struct fx *)ctx)->inits[vcpu]++; }
static void fake_sipi(void *ctx, unsigned vcpu, uint8_t vector)
{
    struct fx *f = ctx;

    if (f->nsipi < 16) {
        f->sipi[f->nsipi].vcpu = vcpu;
        f->sipi[f->nsipi].vector = vector;
    }
    f->nsipi++;
}

static bool fake_base_ok(void *ctx, unsigned vcpu, uint64_t base)
{
    return ((struct fx *)ctx)->allowed_base && base == ((struct fx *)ctx)->allowed_base;
}

static const struct vintc_cpu_ops fake_ops = {
    .kick = fake_kick, .init = fake_init, .sipi = fake_sipi,
};

void fx_setup(unsigned nr)
{
    struct virq_config cfg = {
        .nr_vcpus = nr, .tsc_khz = FX_TSC_KHZ, .cpu_ops = &fake_ops, .cpu_ctx = &fx,
        .base_ok = fake_base_ok, .ioapic_id = 8,
    };
    int rc;

    memset(&fx, 0, sizeof(fx));
    rc = virq_route_init(&fx.r, fx.lapic, &fx.io, &fx.pic, &cfg);
    if (rc != 0) {
        printf("  fx_setup: virq_route_init returned %d\n", rc);
        abort();
    }
}

void fx_enable(unsigned v) { fx_lapic_write(v, 0xF0, 0x1FF, 0); }

uint32_t fx_lapic_read(unsigned v, unsigned off, uint64_t now)
{
    uint64_t val = 0;
    int rc = vlapic_mmio_ops.read(&fx.lapic[v], VLAPIC_DEFAULT_BASE + off, 4, now, &val);

    if (rc != 0)
        printf("  lapic read vcpu %u off %#x: rc %d\n", v, off, rc);
    return (uint32_t)val;
}

void fx_lapic_write(unsigned v, unsigned off, uint32_t val, uint64_t now)
{
    int rc = vlapic_mmio_ops.write(&fx.lapic[v], VLAPIC_DEFAULT_BASE + off, 4, now, val);

    if (rc != 0)
        printf("  lapic write vcpu %u off %#x: rc %d\n", v, off, rc);
}

int fx_msr_read(unsigned v, uint32_t msr, uint64_t *val)
{
    return vlapic_msr_read(&fx.lapic[v], msr, 0, val);
}

int fx_msr_write(unsigned v, uint32_t msr, uint64_t val)
{
    return vlapic_msr_write(&fx.lapic[v], msr, 0, val);
}

uint32_t fx_ioapic_read(uint32_t reg)
{
    uint64_t val = 0;

    vioapic_mmio_ops.write(&fx.io, VIOAPIC_BASE, 4, 0, reg);
    vioapic_mmio_ops.read(&fx.io, VIOAPIC_BASE + 0x10, 4, 0, &val);
    return (uint32_t)val;
}

void fx_ioapic_write(uint32_t reg, uint32_t val)
{
    vioapic_mmio_ops.write(&fx.io, VIOAPIC_BASE, 4, 0, reg);
    vioapic_mmio_ops.write(&fx.io, VIOAPIC_BASE + 0x10, 4, 0, val);
}

uint8_t fx_inb(unsigned port)
{
    uint64_t val = 0;

    if (vpic_io_ops.read(&fx.pic, port, 1, 0, &val) != 0)
        printf("  inb %#x: not a PIC port\n", port);
    return (uint8_t)val;
}

void fx_outb(unsigned port, uint8_t val)
{
    if (vpic_io_ops.write(&fx.pic, port, 1, 0, val) != 0)
        printf("  outb %#x: not a PIC port\n", port);
}

static bool reg_bit(unsigned v, unsigned base, unsigned vec)
{
    return (fx_lapic_read(v, base + (vec / 32) * 0x10, 0) >> (vec % 32)) & 1;
}

bool fx_irr(unsigned v, unsigned vec) { return reg_bit(v, 0x200, vec); }
bool fx_isr(unsigned v, unsigned vec) { return reg_bit(v, 0x100, vec); }
bool fx_tmr(unsigned v, unsigned vec) { return reg_bit(v, 0x180, vec); }

void fx_ipi(unsigned from, uint32_t icr_lo, uint8_t dest)
{
    fx_lapic_write(from, 0x310, (uint32_t)dest << 24, 0);
    fx_lapic_write(from, 0x300, icr_lo, 0);
}
