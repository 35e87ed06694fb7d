/* Virtual IOAPIC: 24 pins behind the IOREGSEL/IOWIN window at 0xFEC00000.
 *
 * Design: each pin keeps its electrical input level and its redirection entry. The
 * pin is asserted when the level differs from the polarity bit (active-low pins
 * assert at 0). An edge-triggered entry sends one message per rising assertion while
 * unmasked (a masked edge is lost, as on the 82093AA); a level-triggered fixed or
 * lowest-priority entry sends while asserted, unmasked and remote IRR clear, and
 * sets remote IRR once a LAPIC took it, which the LAPIC's EOI of that vector clears
 * (vioapic_eoi). The
 * messages go out through the router like any other APIC bus message.
 * Locking: none; the glue serialises calls per domain.
 * Limitations: version 0x11 (no EOI register); delivery status always reads 0 (a
 * message is delivered at once); SMI entries send nothing. */
#include <hvlab/errno.h>
#include <hvlab/hvm/vintc.h>

#define RTE_VECTOR   0xFFULL
#define RTE_DM_SHIFT 8
#define RTE_LOGICAL  (1ULL << 11)
#define RTE_POL_LOW  (1ULL << 13)
#define RTE_RIRR     (1ULL << 14)
#define RTE_LEVEL    (1ULL << 15)
#define RTE_MASK     (1ULL << 16)
#define RTE_DEST_SHIFT 56
/* Bits the guest writes: vector, delivery and destination mode, polarity, trigger,
 * mask, destination. Delivery status (12) and remote IRR (14) are read-only. */
#define RTE_WRITABLE 0xFF0000000001AFFFULL

#define IOAPIC_VERSION 0x11u

#define REG_ID       0x00
#define REG_VER      0x01
#define REG_ARB      0x02
#define REG_RTE_LO   0x10

void vioapic_init(struct vioapic *io, struct virq_route *route, uint8_t id)
{
    io->route = route;
    io->regsel = 0;
    io->id = id & 0xF;
    for (unsigned i = 0; i < VIOAPIC_PINS; i++) {
        io->pin[i].rte = RTE_MASK;
        io->pin[i].line = false;
    }
}

static bool asserted(const struct vioapic_pin *p)
{
    return p->line != !!(p->rte & RTE_POL_LOW);
}

static void send(struct vioapic *io, struct vioapic_pin *p)
{
    unsigned mode = (p->rte >> RTE_DM_SHIFT) & 7;
    struct vintc_msg m = {
        .dest = (uint32_t)(p->rte >> RTE_DEST_SHIFT),
        .vector = p->rte & RTE_VECTOR,
        .mode = (uint8_t)mode,
        .shorthand = VINTC_SH_NONE,
        .logical = p->rte & RTE_LOGICAL,
        .level = false,
        .assert = true,
        .x2apic = false,
    };

    /* Remote IRR exists for fixed and lowest-priority level entries only, and only
     * once a LAPIC took the message: otherwise no EOI would ever clear it. */
    m.level = (p->rte & RTE_LEVEL) && (mode == VINTC_DM_FIXED || mode == VINTC_DM_LOWEST);
    if (virq_deliver(io->route, &m) && m.level)
        p->rte |= RTE_RIRR;
}

/* A level entry sends while its pin is asserted and nothing is in flight. */
static void service_level(struct vioapic *io, struct vioapic_pin *p)
{
    if ((p->rte & RTE_LEVEL) && !(p->rte & RTE_MASK) && !(p->rte & RTE_RIRR) &&
        asserted(p))
        send(io, p);
}

void vioapic_set_line(struct vioapic *io, unsigned gsi, bool level)
{
    struct vioapic_pin *p;
    bool was;

    if (gsi >= VIOAPIC_PINS)
        return;
    p = &io->pin[gsi];
    was = asserted(p);
    p->line = level;
    if (p->rte & RTE_LEVEL)
        service_level(io, p);
    else if (!was && asserted(p) && !(p->rte & RTE_MASK))
        send(io, p);
}

void vioapic_eoi(struct vioapic *io, uint8_t vector)
{
    for (unsigned i = 0; i < VIOAPIC_PINS; i++) {
        struct vioapic_pin *p = &io->pin[i];

        if (!(p->rte & RTE_RIRR) || (p->rte & RTE_VECTOR) != vector)
            continue;
        p->rte &= ~RTE_RIRR;
        service_level(io, p);
    }
}

uint32_t vioapic_reg_read(const struct vioapic *io, uint32_t reg)
{
    if (reg >= REG_RTE_LO && reg < REG_RTE_LO + 2 * VIOAPIC_PINS) {
        uint64_t rte = io->pin[(reg - REG_RTE_LO) / 2].rte;
        return reg & 1 ? (uint32_t)(rte >> 32) : (uint32_t)rte;
    }
    switch (reg) {
    case REG_ID:  return io->id << 24;
    case REG_VER: return ((VIOAPIC_PINS - 1) << 16) | IOAPIC_VERSION;
    case REG_ARB: return io->id << 24;
    default:      return 0;
    }
}

void vioapic_reg_write(struct vioapic *io, uint32_t reg, uint32_t val)
{
    struct vioapic_pin *p;
    uint64_t half, keep;

    if (reg == REG_ID) {
        io->id = (val >> 24) & 0xF;
        return;
    }
    if (reg < REG_RTE_LO || reg >= REG_RTE_LO + 2 * VIOAPIC_PINS)
        return;     /* version, arbitration and reserved registers are read-only */
    p = &io->pin[(reg - REG_RTE_LO) / 2];
    half = reg & 1 ? (uint64_t)val << 32 : val;
    keep = reg & 1 ? 0xFFFFFFFFULL : 0xFFFFFFFF00000000ULL;
    p->rte = (p->rte & (keep | RTE_RIRR)) | (half & ~keep & RTE_WRITABLE);
    if (!(p->rte & RTE_LEVEL))
        p->rte &= ~RTE_RIRR;    /* an edge entry has no remote IRR */
    /* Unmasking a level entry whose pin is asserted sends it now. */
    service_level(io, p);
}

static int mmio_read(void *dev, uint64_t addr, unsigned size, uint64_t now, uint64_t *val)
{
    struct vioapic *io = dev;
    uint64_t off = addr - VIOAPIC_BASE;

    if (addr < VIOAPIC_BASE || off >= VIOAPIC_MMIO_LEN)
        return -ENODEV;
    if (off == 0x00)
        *val = io->regsel;
    else if (off == 0x10)
        *val = vioapic_reg_read(io, io->regsel);
    else
        *val = 0;
    if (size < 8)
        *val &= (1ULL << (size * 8)) - 1;
    return 0;
}

static int mmio_write(void *dev, uint64_t addr, unsigned size, uint64_t now, uint64_t val)
{
    struct vioapic *io = dev;
    uint64_t off = addr - VIOAPIC_BASE;

    if (addr < VIOAPIC_BASE || off >= VIOAPIC_MMIO_LEN)
        return -ENODEV;
    if (off == 0x00)
        io->regsel = val & 0xFF;
    else if (off == 0x10 && size >= 4)
        vioapic_reg_write(io, io->regsel, (uint32_t)val);
    return 0;
}

const struct hvm_io_ops vioapic_mmio_ops = { .read = mmio_read, .write = mmio_write };
