/* The device model's PCI host bridge: configuration mechanism #1 (ports 0xCF8, the
 * 32-bit address register, and 0xCFC-0xCFF, the data window) with one function on
 * bus 0, the host bridge at 00:00.0, which reads as an Intel 440FX (8086:1237, class
 * 06 00 00) like the one QEMU's pc machine has. Every other bus/device/function
 * reads all ones (no device), as firmware and OS probes expect. The legacy ATA disk
 * is not a PCI function (no IDE controller function): it sits at the ISA ports a
 * PC's primary channel has. The byte port 0xCF9 is the hypervisor's reset control:
 * only 32-bit accesses at 0xCF8 are the address register (PCI's rule too).
 *
 * Writes: the command register's I/O, memory and bus-master bits are kept; the
 * rest of the bridge's header is read-only. */
#include "dm.h"

#define PCI_ADDR_PORT 0xcf8
#define PCI_DATA_PORT 0xcfc
#define PCI_ENABLE    0x80000000u

struct dm_pci {
    uint32_t addr;                      /* the last dword written to 0xCF8 */
    uint8_t cfg[256];                   /* 00:00.0 */
};

static struct dm_pci pcis[DM_MAX];     /* by dm_index */

static void put32(uint8_t *c, unsigned off, uint32_t v)
{
    for (unsigned i = 0; i < 4; i++)
        c[off + i] = (uint8_t)(v >> (8 * i));
}

static void pci_bridge_init(struct dm_pci *p)
{
    memset(p, 0, sizeof(*p));
    put32(p->cfg, 0x00, 0x12378086);    /* device 1237, vendor 8086 */
    put32(p->cfg, 0x04, 0x00000006);    /* status 0; command: memory, bus master */
    put32(p->cfg, 0x08, 0x06000002);    /* class 06 (bridge) 00 (host), rev 02 */
    put32(p->cfg, 0x0c, 0x00000000);    /* header type 0, single function */
}

/* The selected register of 00:00.0 (offset), or -1 for an absent function. */
static int pci_selected(const struct dm_pci *p, unsigned port_off)
{
    uint32_t a = p->addr;

    if (!(a & PCI_ENABLE) || (a & 0x00ffff00u) != 0)     /* bus 0, device 0, function 0 */
        return -1;
    return (int)((a & 0xfc) + port_off);
}

static uint32_t pci_read(void *dev, uint16_t port, unsigned size)
{
    struct dm_pci *p = dev;

    if (port == PCI_ADDR_PORT)
        return size == 4 ? p->addr : 0xffffffffu;
    int off = pci_selected(p, port - PCI_DATA_PORT);
    if (off < 0 || off + size > 256)
        return 0xffffffffu;
    uint32_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= (uint32_t)p->cfg[off + i] << (8 * i);
    return v;
}

static void pci_write(void *dev, uint16_t port, unsigned size, uint32_t val)
{
    struct dm_pci *p = dev;

    if (port == PCI_ADDR_PORT) {
        if (size == 4)
            p->addr = val;
        return;
    }
    int off = pci_selected(p, port - PCI_DATA_PORT);
    for (unsigned i = 0; off >= 0 && i < size; i++)
        if (off + i == 0x04)
            p->cfg[4] = (uint8_t)(val >> (8 * i)) & 0x07;   /* I/O, memory, bus master */
}

static const struct dm_port_ops pci_ops = { NULL, pci_read, pci_write, NULL, NULL };

static int dm_pci_attach(struct dm *dm, const char *who, const char *target, bool readonly)
{
    struct dm_pci *p = &pcis[dm_index(dm)];
    int rc;

    pci_bridge_init(p);
    /* 0xCF8 as one byte: a 32-bit access starts there; 0xCF9 stays the reset port. */
    if ((rc = dm_port_register(dm, PCI_ADDR_PORT, 1, &pci_ops, p)) < 0 ||
        (rc = dm_port_register(dm, PCI_DATA_PORT, 4, &pci_ops, p)) < 0)
        return rc;
    return 0;
}

static void dm_pci_detach(struct dm *dm)
{
    (void)dm;                           /* nothing held: the state is static */
}

DM_DEVICE(pci, dm_pci_attach, dm_pci_detach);
