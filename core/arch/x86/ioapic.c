/* IOAPIC: index register at +0x00, data window at +0x10; redirection entry n is
 * registers 0x10 + 2n (low: vector, delivery, polarity, trigger, mask) and
 * 0x11 + 2n (high: destination APIC id in bits 31:24).
 * Locking: ioapic_lock makes the index write and the data access one step. */
#include <hvlab/addr.h>
#include <hvlab/spinlock.h>
#include <hvlab/topology.h>
#include <hvlab/x86/ioapic.h>

#define IOAPIC_VER     0x01
#define RTE_MASKED     (1u << 16)
#define RTE_LEVEL      (1u << 15)
#define RTE_ACTIVE_LOW (1u << 13)

static spinlock_t ioapic_lock = SPIN_LOCK_UNLOCKED;
static unsigned nr_pins;

static volatile uint32_t *ioapic_reg(unsigned off)
{
    return (volatile uint32_t *)((uintptr_t)__va(topo.ioapic_base) + off);
}

static uint32_t ioapic_read(unsigned reg)
{
    *ioapic_reg(0) = reg;
    return *ioapic_reg(0x10);
}

static void ioapic_write(unsigned reg, uint32_t v)
{
    *ioapic_reg(0) = reg;
    *ioapic_reg(0x10) = v;
}

void ioapic_init(void)
{
    unsigned long f;

    if (!topo.ioapic_base)
        return;
    spin_lock_irqsave(&ioapic_lock, f);
    nr_pins = ((ioapic_read(IOAPIC_VER) >> 16) & 0xff) + 1;
    for (unsigned pin = 0; pin < nr_pins; pin++)
        ioapic_write(0x10 + 2 * pin, RTE_MASKED);
    spin_unlock_irqrestore(&ioapic_lock, f);
}

unsigned ioapic_nr_pins(void)
{
    return nr_pins;
}

void ioapic_route(unsigned pin, unsigned vector, bool level, bool active_low, uint32_t apic_id)
{
    unsigned long f;
    uint32_t lo = RTE_MASKED | (vector & 0xff) | (level ? RTE_LEVEL : 0) |
                  (active_low ? RTE_ACTIVE_LOW : 0);

    if (pin >= nr_pins)
        return;
    spin_lock_irqsave(&ioapic_lock, f);
    ioapic_write(0x10 + 2 * pin, RTE_MASKED);
    ioapic_write(0x11 + 2 * pin, apic_id << 24);
    ioapic_write(0x10 + 2 * pin, lo);
    spin_unlock_irqrestore(&ioapic_lock, f);
}

static void ioapic_set_mask(unsigned pin, bool masked)
{
    unsigned long f;

    if (pin >= nr_pins)
        return;
    spin_lock_irqsave(&ioapic_lock, f);
    uint32_t lo = ioapic_read(0x10 + 2 * pin);
    ioapic_write(0x10 + 2 * pin, masked ? lo | RTE_MASKED : lo & ~RTE_MASKED);
    spin_unlock_irqrestore(&ioapic_lock, f);
}

void ioapic_mask(unsigned pin) { ioapic_set_mask(pin, true); }
void ioapic_unmask(unsigned pin) { ioapic_set_mask(pin, false); }
