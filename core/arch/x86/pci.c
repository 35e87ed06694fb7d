/* Just enough PCI to find a device on bus 0..255 by vendor/device ID and read a
 * memory BAR (configuration mechanism #1, ports 0xcf8/0xcfc). The firmware has
 * already assigned addresses; we only look. A device the hypervisor finds this way
 * is its own: dom0's filtered configuration access (core/arch/x86/ioport.c) hides it.
 *
 * Locking: pci_lock makes the address write and the data access one step, for the
 * hypervisor's own probes and for dom0's emulated accesses on any CPU. */
#include <hvlab/pci.h>
#include <hvlab/spinlock.h>
#include <hvlab/x86/regs.h>

#define PCI_MAX_CLAIMED 4

static spinlock_t pci_lock = SPIN_LOCK_UNLOCKED;
static uint32_t claimed[PCI_MAX_CLAIMED];       /* bus << 8 | dev << 3 | fn; guarded by pci_lock */
static unsigned nr_claimed;

static uint32_t pci_cf8(unsigned bus, unsigned dev, unsigned fn, unsigned off)
{
    return 0x80000000u | (bus << 16) | (dev << 11) | (fn << 8) | (off & 0xfc);
}

uint32_t pci_conf_read(uint32_t cf8, unsigned byte, unsigned size)
{
    unsigned long f;
    uint32_t v;

    spin_lock_irqsave(&pci_lock, f);
    outl(0xcf8, cf8);
    if (size == 1)
        v = inb((uint16_t)(0xcfc + byte));
    else if (size == 2)
        v = inw((uint16_t)(0xcfc + byte));
    else
        v = inl(0xcfc);
    spin_unlock_irqrestore(&pci_lock, f);
    return v;
}

void pci_conf_write(uint32_t cf8, unsigned byte, unsigned size, uint32_t v)
{
    unsigned long f;

    spin_lock_irqsave(&pci_lock, f);
    outl(0xcf8, cf8);
    if (size == 1)
        outb((uint16_t)(0xcfc + byte), (uint8_t)v);
    else if (size == 2)
        outw((uint16_t)(0xcfc + byte), (uint16_t)v);
    else
        outl(0xcfc, v);
    spin_unlock_irqrestore(&pci_lock, f);
}

static uint32_t pci_read32(unsigned bus, unsigned dev, unsigned fn, unsigned off)
{
    return pci_conf_read(pci_cf8(bus, dev, fn, off), 0, 4);
}

static void pci_write32(unsigned bus, unsigned dev, unsigned fn, unsigned off, uint32_t v)
{
    pci_conf_write(pci_cf8(bus, dev, fn, off), 0, 4, v);
}

bool pci_is_claimed(uint32_t bdf)
{
    unsigned long f;
    bool hit = false;

    spin_lock_irqsave(&pci_lock, f);
    for (unsigned i = 0; i < nr_claimed; i++)
        hit |= claimed[i] == bdf;
    spin_unlock_irqrestore(&pci_lock, f);
    return hit;
}

static void pci_claim(uint32_t bdf)
{
    unsigned long f;

    spin_lock_irqsave(&pci_lock, f);
    if (nr_claimed < PCI_MAX_CLAIMED)
        claimed[nr_claimed++] = bdf;
    spin_unlock_irqrestore(&pci_lock, f);
}

bool pci_find_bar(uint16_t vendor, uint16_t device, unsigned bar, paddr_t *base, uint64_t *size)
{
    for (unsigned bus = 0; bus < 256; bus++) {
        for (unsigned dev = 0; dev < 32; dev++) {
            uint32_t id = pci_read32(bus, dev, 0, 0);
            if (id != ((uint32_t)device << 16 | vendor))
                continue;
            unsigned off = 0x10 + 4 * bar;
            uint32_t lo = pci_read32(bus, dev, 0, off);
            uint64_t addr = lo & ~0xfULL;
            bool is64 = ((lo >> 1) & 3) == 2;
            if (is64)
                addr |= (uint64_t)pci_read32(bus, dev, 0, off + 4) << 32;
            /* Size: write all ones, read back the mask, restore. */
            pci_write32(bus, dev, 0, off, 0xffffffff);
            uint64_t mask = pci_read32(bus, dev, 0, off) & ~0xfULL;
            pci_write32(bus, dev, 0, off, lo);
            if (is64) {
                uint32_t hi = pci_read32(bus, dev, 0, off + 4);
                pci_write32(bus, dev, 0, off + 4, 0xffffffff);
                mask |= (uint64_t)pci_read32(bus, dev, 0, off + 4) << 32;
                pci_write32(bus, dev, 0, off + 4, hi);
            } else {
                mask |= 0xffffffff00000000ULL;
            }
            /* Memory decoding on, in case the firmware left it off. */
            pci_write32(bus, dev, 0, 4, pci_read32(bus, dev, 0, 4) | 2);
            *base = addr;
            *size = ~mask + 1;
            if (addr != 0)
                pci_claim(bus << 8 | dev << 3);
            return addr != 0;
        }
    }
    return false;
}
