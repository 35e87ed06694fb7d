/* Just enough PCI to find a device on bus 0..255 by vendor/device ID and read a
 * memory BAR (configuration mechanism #1, ports 0xcf8/0xcfc). The firmware has
 * already assigned addresses; we only look. */
#include <hvlab/pci.h>
#include <hvlab/x86/regs.h>

static uint32_t pci_read32(unsigned bus, unsigned dev, unsigned fn, unsigned off)
{
    outl(0xcf8, 0x80000000u | (bus << 16) | (dev << 11) | (fn << 8) | (off & 0xfc));
    return inl(0xcfc);
}

static void pci_write32(unsigned bus, unsigned dev, unsigned fn, unsigned off, uint32_t v)
{
    outl(0xcf8, 0x80000000u | (bus << 16) | (dev << 11) | (fn << 8) | (off & 0xfc));
    outl(0xcfc, v);
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
            return addr != 0;
        }
    }
    return false;
}
