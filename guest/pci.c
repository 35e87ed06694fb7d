/* PCI configuration access and interrupt binding for the guest runtime (pci.h). */
#include <pci.h>
#include <public/event_channel.h>
#include <public/physdev.h>

#define PCI_ADDR 0xcf8
#define PCI_DATA 0xcfc

static spinlock_t pci_lock = SPINLOCK_INIT;     /* the address latch and the data access */

static uint32_t cfg_addr(const struct pci_dev *d, unsigned off)
{
    return 0x80000000u | (uint32_t)d->bus << 16 | (uint32_t)d->dev << 11 |
           (uint32_t)d->fn << 8 | (off & 0xfc);
}

uint32_t pci_cfg_read32(const struct pci_dev *d, unsigned off)
{
    unsigned long f = spin_lock_irqsave(&pci_lock);
    outl(PCI_ADDR, cfg_addr(d, off));
    uint32_t v = inl(PCI_DATA);
    spin_unlock_irqrestore(&pci_lock, f);
    return v;
}

void pci_cfg_write16(const struct pci_dev *d, unsigned off, uint16_t v)
{
    unsigned long f = spin_lock_irqsave(&pci_lock);
    outl(PCI_ADDR, cfg_addr(d, off));
    outw((uint16_t)(PCI_DATA + (off & 2)), v);
    spin_unlock_irqrestore(&pci_lock, f);
}

static void pci_fill(struct pci_dev *d)
{
    uint32_t id = pci_cfg_read32(d, 0);
    uint32_t irq = pci_cfg_read32(d, 0x3c);

    d->vendor = (uint16_t)id;
    d->device = (uint16_t)(id >> 16);
    d->irq_line = (uint8_t)irq;
    d->irq_pin = (uint8_t)(irq >> 8);
    for (unsigned i = 0; i < 6; i++)
        d->bar[i] = pci_cfg_read32(d, 0x10 + 4 * i);
}

/* Depth-first over bus, bridges' secondary buses after; *index counts matches. */
static int pci_scan(unsigned bus, uint16_t vendor, uint16_t device, unsigned *index,
                    struct pci_dev *out, unsigned depth)
{
    for (unsigned dev = 0; dev < 32; dev++) {
        for (unsigned fn = 0; fn < 8; fn++) {
            struct pci_dev d = { .bus = (uint8_t)bus, .dev = (uint8_t)dev, .fn = (uint8_t)fn };
            uint32_t id = pci_cfg_read32(&d, 0);
            if ((id & 0xffff) == 0xffff) {
                if (fn == 0)
                    break;                      /* no device here */
                continue;
            }
            uint32_t hdr = pci_cfg_read32(&d, 0x0c) >> 16 & 0xff;
            if ((id & 0xffff) == vendor && id >> 16 == device && (*index)-- == 0) {
                pci_fill(&d);
                *out = d;
                return 0;
            }
            if ((hdr & 0x7f) == 1 && depth < 8) {       /* PCI-to-PCI bridge */
                unsigned sec = pci_cfg_read32(&d, 0x18) >> 8 & 0xff;
                if (sec > bus && pci_scan(sec, vendor, device, index, out, depth + 1) == 0)
                    return 0;
            }
            if (fn == 0 && !(hdr & 0x80))
                break;                          /* single-function device */
        }
    }
    return -ENODEV;
}

int pci_find(uint16_t vendor, uint16_t device, unsigned index, struct pci_dev *out)
{
    return pci_scan(0, vendor, device, &index, out, 0);
}

uint16_t pci_io_bar_enable(const struct pci_dev *d, unsigned n)
{
    if (n >= 6 || !(d->bar[n] & 1))
        return 0;
    uint32_t cmd = pci_cfg_read32(d, 0x04) & 0xffff;
    pci_cfg_write16(d, 0x04, (uint16_t)(cmd | 0x1 | 0x4));     /* I/O space, bus master */
    return (uint16_t)(d->bar[n] & ~3u);
}

int pci_irq_bind(unsigned irq, evtchn_handler_t h, void *arg)
{
    struct evtchn_bind_pirq b = { .pirq = irq };
    long rc = hv_event_channel_op(EVTCHNOP_bind_pirq, &b);

    if (rc < 0)
        return (int)rc;
    if ((rc = evtchn_set_handler(b.port, h, arg)) < 0 || (rc = evtchn_unmask(b.port)) < 0)
        return (int)rc;
    return (int)b.port;
}

int pci_irq_eoi(unsigned irq)
{
    struct physdev_eoi e = { .irq = irq };

    return (int)_hc(HYPERVISOR_physdev_op, PHYSDEVOP_eoi, &e, 0, 0, 0);
}
