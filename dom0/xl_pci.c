/* xl pci-list, pci-read, pci-write: PCI configuration space as dom0 sees it through
 * the hypervisor's filter (the hypervisor's own functions absent, chipset bridges
 * read-only: docs/security.md), in the style of lspci and setpci.
 *   pci-list                           bus:dev.fn vendor:device class irq
 *   pci-read <bb:dd.f> <offset>        32-bit, offset a multiple of 4 below 256
 *   pci-write <bb:dd.f> <offset> <value> */
#include "dom0.h"
#include "strutil.h"
#include "xl.h"
#include <pci.h>

static void list_one(const struct pci_dev *d, void *arg)
{
    uint32_t class = pci_cfg_read32(d, 0x08) >> 8;

    (*(unsigned *)arg)++;
    printf("%02x:%02x.%u %04x:%04x class %06x irq %u\n", d->bus, d->dev, d->fn, d->vendor,
           d->device, class, d->irq_pin ? d->irq_line : 0);
}

int xl_pci_list(int argc, char **argv)
{
    unsigned n = 0;

    (void)argc;
    (void)argv;
    pci_for_each(list_one, &n);
    printf("pci-list: %u function%s\n", n, n == 1 ? "" : "s");
    return 0;
}

static int parse_bdf_off(char **argv, struct pci_dev *d, unsigned *off)
{
    uint64_t b, dv, f, o;
    const char *s = argv[1];

    if (strlen(s) != 7 || s[2] != ':' || s[5] != '.' || str_to_u64(s, 2, false, &b) ||
        str_to_u64(s + 3, 2, false, &dv) || str_to_u64(s + 6, 1, false, &f) || dv > 31 ||
        f > 7) {
        printf("%s: '%s': expected bb:dd.f (decimal digits, device < 32, function < 8)\n",
               argv[0], s);
        return -EINVAL;
    }
    if (str_to_u64(argv[2], strlen(argv[2]), true, &o) || o > 252 || o % 4) {
        printf("%s: offset '%s': a multiple of 4 below 256\n", argv[0], argv[2]);
        return -EINVAL;
    }
    *d = (struct pci_dev){ .bus = (uint8_t)b, .dev = (uint8_t)dv, .fn = (uint8_t)f };
    *off = (unsigned)o;
    return 0;
}

int xl_pci_read(int argc, char **argv)
{
    struct pci_dev d;
    unsigned off;

    (void)argc;
    if (parse_bdf_off(argv, &d, &off) < 0)
        return -EINVAL;
    printf("pci-read: %s %#x: 0x%08x\n", argv[1], off, pci_cfg_read32(&d, off));
    return 0;
}

int xl_pci_write(int argc, char **argv)
{
    struct pci_dev d;
    unsigned off;
    uint64_t v;

    (void)argc;
    if (parse_bdf_off(argv, &d, &off) < 0)
        return -EINVAL;
    if (str_to_u64(argv[3], strlen(argv[3]), true, &v) || v > 0xffffffffull) {
        printf("%s: value '%s': 32 bits\n", argv[0], argv[3]);
        return -EINVAL;
    }
    pci_cfg_write32(&d, off, (uint32_t)v);
    printf("pci-write: %s %#x: wrote 0x%08x, reads 0x%08x\n", argv[1], off, (uint32_t)v,
           pci_cfg_read32(&d, off));
    return 0;
}
