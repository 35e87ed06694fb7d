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

void pci_cfg_write32(const struct pci_dev *d, unsigned off, uint32_t v)
{
    unsigned long f = spin_lock_irqsave(&pci_lock);
    outl(PCI_ADDR, cfg_addr(d, off));
    outl(PCI_DATA, v);
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

/* Depth-first over bus, bridges' secondary buses after, calling visit for every
 * function present until it returns true (then 0; -ENODEV when none did). */
typedef bool (*pci_visit_t)(struct pci_dev *d, void *arg);

static int pci_walk(unsigned bus, pci_visit_t visit, void *arg, unsigned depth)
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
            pci_fill(&d);
            if (visit(&d, arg))
                return 0;
            if ((hdr & 0x7f) == 1 && depth < 8) {       /* PCI-to-PCI bridge */
                unsigned sec = pci_cfg_read32(&d, 0x18) >> 8 & 0xff;
                if (sec > bus && pci_walk(sec, visit, arg, depth + 1) == 0)
                    return 0;
            }
            if (fn == 0 && !(hdr & 0x80))
                break;                          /* single-function device */
        }
    }
    return -ENODEV;
}

struct pci_find_arg {
    uint16_t vendor, device;
    unsigned index;
    struct pci_dev *out;
};

static bool pci_find_visit(struct pci_dev *d, void *arg)
{
    struct pci_find_arg *a = arg;

    if (d->vendor != a->vendor || d->device != a->device || a->index-- != 0)
        return false;
    *a->out = *d;
    return true;
}

bool pci_available(void)
{
#ifdef GUEST_HVM
    return true;                        /* natively real; under hvlab, the device model's */
#else
    return guest_is_privileged();       /* a PV domU's 0xcf8 is a #GP (ioport.c) */
#endif
}

int pci_find(uint16_t vendor, uint16_t device, unsigned index, struct pci_dev *out)
{
    struct pci_find_arg a = { vendor, device, index, out };

    if (!pci_available())
        return -ENODEV;
    return pci_walk(0, pci_find_visit, &a, 0);
}

struct pci_each_arg {
    void (*fn)(const struct pci_dev *d, void *arg);
    void *arg;
};

static bool pci_each_visit(struct pci_dev *d, void *arg)
{
    struct pci_each_arg *a = arg;

    a->fn(d, a->arg);
    return false;
}

void pci_for_each(void (*fn)(const struct pci_dev *d, void *arg), void *arg)
{
    struct pci_each_arg a = { fn, arg };

    if (pci_available())
        pci_walk(0, pci_each_visit, &a, 0);
}

uint16_t pci_io_bar_enable(const struct pci_dev *d, unsigned n)
{
    if (n >= 6 || !(d->bar[n] & 1))
        return 0;
    uint32_t cmd = pci_cfg_read32(d, 0x04) & 0xffff;
    pci_cfg_write16(d, 0x04, (uint16_t)(cmd | 0x1 | 0x4));     /* I/O space, bus master */
    return (uint16_t)(d->bar[n] & ~3u);
}

/* A line several devices share (PCI INTx: QEMU's pc machine routes four slots' INTA
 * over the links of IRQs 10 and 11) is bound once; its event calls every device's
 * handler, and each device's driver reads its own interrupt status and EOIs. An EOI
 * while another device still holds the level line only brings the event back. */
#define PCI_IRQ_SHARE 4

struct pci_irq {
    unsigned n;                         /* handlers; 0: not bound */
    evtchn_port_t port;
    struct { evtchn_handler_t h; void *arg; } hs[PCI_IRQ_SHARE];
};
static struct pci_irq pci_irqs[NR_PIRQS];       /* written with events off on vCPU 0 */

static void pci_irq_event(evtchn_port_t port, void *arg)
{
    struct pci_irq *l = arg;

    for (unsigned i = 0; i < l->n; i++)
        l->hs[i].h(port, l->hs[i].arg);
}

int pci_irq_bind(unsigned irq, evtchn_handler_t h, void *arg)
{
    struct pci_irq *l;
    long rc;

    if (irq >= NR_PIRQS)
        return -EINVAL;
    l = &pci_irqs[irq];
    if (l->n == PCI_IRQ_SHARE)
        return -ENOSPC;
    if (l->n) {
        unsigned long f = local_irq_save();
        l->hs[l->n].h = h;
        l->hs[l->n].arg = arg;
        l->n++;
        local_irq_restore(f);
        return (int)l->port;
    }
    struct evtchn_bind_pirq b = { .pirq = irq };
    if ((rc = hv_event_channel_op(EVTCHNOP_bind_pirq, &b)) < 0)
        return (int)rc;
    l->hs[0].h = h;
    l->hs[0].arg = arg;
    l->n = 1;
    l->port = b.port;
    if ((rc = evtchn_set_handler(b.port, pci_irq_event, l)) < 0 ||
        (rc = evtchn_unmask(b.port)) < 0)
        return (int)rc;
    return (int)b.port;
}

int pci_irq_eoi(unsigned irq)
{
    struct physdev_eoi e = { .irq = irq };

    return (int)_hc(HYPERVISOR_physdev_op, PHYSDEVOP_eoi, &e, 0, 0, 0);
}
