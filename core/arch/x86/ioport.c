/* I/O ports of PV domains: the per-domain permission map, the hypervisor's own ports
 * no domain ever gets, DOMCTL_ioport_permission, and the emulation of a PV guest's
 * IN/OUT/INS/OUTS on #GP (include/hvlab/ioport.h says why #GP and not the TSS bitmap).
 *
 * PCI configuration mechanism #1 is not passed through, and only a privileged
 * domain (dom0) reaches it (a domU's access is a #GP): 0xcf8 (32-bit) is a
 * per-domain latch, and an access to 0xcfc-0xcff goes to the latched function under
 * pci_lock, unless it is the hypervisor's (pci_is_claimed: reads all ones, writes
 * dropped) or a write to a chipset bridge (class 06h but PCI-to-PCI: the host bridge,
 * the ISA bridge with its PIRQ routing, the ACPI PM function whose I/O base holds the
 * hypervisor's poweroff port: writes dropped), or a write that would put an I/O BAR
 * below 0x1000, over the hypervisor's ports (dropped). Other sizes on 0xcf8-0xcfb
 * (0xcf9 is the PIIX reset control) are refused.
 *
 * Locking: a domain's map changes only by domctl (under domctl_lock) while the
 * domain's vCPUs may read it: a byte store is atomic, and a vCPU that sees the old
 * bit for one access is the same as the access happening just before the change.
 * The latch is per domain (a guest racing its own vCPUs on it gets what hardware
 * would give it: someone's address). */
#include <hvlab/domain.h>
#include <hvlab/errno.h>
#include <hvlab/guest_access.h>
#include <hvlab/ioport.h>
#include <hvlab/lib.h>
#include <hvlab/pci.h>
#include <hvlab/printk.h>
#include <hvlab/topology.h>
#include <hvlab/trace.h>
#include <hvlab/xmalloc.h>
#include <hvlab/x86/emulate.h>
#include <hvlab/x86/regs.h>
#include <public/physdev.h>

#define PCI_CONF_ADDR 0xcf8
#define PCI_CONF_DATA 0xcfc
#define PCI_CLASS_BRIDGE 0x06
#define PCI_SUBCLASS_P2P 0x04
#define IO_MAX_REPS 1024                /* REP INS/OUTS iterations per trap */

struct domain_io {
    uint8_t map[IOPORT_MAP_BYTES];
    uint32_t cf8;                       /* the PCI configuration address latch */
};

/* Ports the hypervisor drives itself; the last entry (ACPI PM1a control) is filled
 * from the FADT at boot. PCI configuration is here too: never passed, always
 * emulated (above). */
static struct ioport_range hv_ports[] = {
    { 0x20, 0x21, "PIC master" },
    { 0x40, 0x43, "PIT" },
    { 0x61, 0x61, "PIT channel 2 gate (NMI status)" },
    { 0xa0, 0xa1, "PIC slave" },
    { 0xe9, 0xe9, "debug console" },
    { 0xf4, 0xf7, "debug exit" },
    { 0x3f8, 0x3ff, "COM1 (hypervisor console)" },
    { 0xcf8, 0xcff, "PCI configuration (filtered)" },
    { 0, 0, NULL },                     /* ACPI PM1a control, from the FADT */
};
static unsigned nr_hv_ports = ARRAY_SIZE(hv_ports) - 1;

void ioport_init(void)
{
    if (topo.pm1a_cnt_port) {
        hv_ports[nr_hv_ports] = (struct ioport_range){ topo.pm1a_cnt_port,
            (uint16_t)(topo.pm1a_cnt_port + 1), "ACPI PM1a control (poweroff)" };
        nr_hv_ports++;
    }
}

static struct domain_io *io_alloc(struct domain *d)
{
    if (!d->io)
        d->io = xzalloc(sizeof(*d->io));
    return d->io;
}

int ioport_grant_dom0(struct domain *d)
{
    struct domain_io *io = io_alloc(d);

    if (!io)
        return -ENOMEM;
    ioport_map_set(io->map, 0, 0x10000, true);
    for (unsigned i = 0; i < nr_hv_ports; i++)
        ioport_map_set(io->map, hv_ports[i].first, hv_ports[i].last - hv_ports[i].first + 1u,
                       false);
    return 0;
}

void ioport_domain_free(struct domain *d)
{
    xfree(d->io);
    d->io = NULL;
}

long ioport_domctl(struct domain *d, const struct domctl_ioport_permission *p)
{
    const struct ioport_range *hit;

    if (d->is_hvm)
        return -ENODEV;
    if (p->nr_ports == 0 || p->first_port > 0xffff || p->nr_ports > 0x10000 - p->first_port)
        return -EINVAL;
    if ((hit = ioport_ranges_hit(hv_ports, nr_hv_ports, p->first_port, p->nr_ports))) {
        pr_warn("d%u: ports %#x+%u refused to d%u: %#x-%#x are the hypervisor's (%s)\n",
                current->domain->domain_id, p->first_port, p->nr_ports, d->domain_id,
                hit->first, hit->last, hit->what);
        return -EPERM;
    }
    if (!io_alloc(d))
        return -ENOMEM;
    ioport_map_set(d->io->map, p->first_port, p->nr_ports, p->allow);
    TRACE(TRC_IO_PORT_GRANT, d->domain_id, 0, (uint64_t)p->first_port << 32 | p->nr_ports,
          p->allow ? 1 : 0);
    return 0;
}

/* ---- emulation ---- */

struct io_emul {
    struct domain *d;
    uint64_t rip;
};

static void io_refuse(struct x86_emul_ctx *c, uint32_t ev, uint64_t d0)
{
    struct io_emul *e = c->priv;

    TRACE_VCPU(ev, current, d0, e->rip);
    c->fault = (struct x86_fault){ .vector = X86_EXC_GP, .has_error_code = true };
}

/* The PCI configuration function latched in cf8, or -1 if the latch is disabled. */
static int pci_latched_bdf(uint32_t cf8)
{
    return cf8 & 0x80000000u ? (int)((cf8 >> 8) & 0xffff) : -1;
}

static bool pci_chipset(uint32_t cf8)
{
    uint32_t class = pci_conf_read((cf8 & 0xffffff00u) | 0x08, 0, 4);   /* class, rev */

    return (class >> 24) == PCI_CLASS_BRIDGE && ((class >> 16) & 0xff) != PCI_SUBCLASS_P2P;
}

/* A write that would move an I/O BAR into the ISA range (below 0x1000), where every
 * port the hypervisor drives lives (PIC, PIT, COM1, debug exit, ACPI PM, PCI
 * configuration): the device would answer there instead of, or besides, the
 * hypervisor's. Sizing (all ones) stays allowed; so do memory BARs. */
static bool pci_bar_into_isa(uint32_t cf8, unsigned byte, unsigned size, uint32_t v)
{
    unsigned reg = cf8 & 0xfc;
    uint32_t base = cf8 & 0xffffff00u;

    if (reg < 0x10 || reg > 0x24 || (pci_conf_read(base | 0x0c, 2, 1) & 0x7f) != 0)
        return false;                   /* not a BAR of a type-0 header */
    if (!(pci_conf_read(cf8, 0, 4) & 1))
        return false;                   /* a memory BAR */
    if (byte != 0 || size != 4)
        return true;                    /* part of an I/O BAR: refused whole */
    return v != 0xffffffffu && (v & ~3u) < 0x1000;
}

static int pci_io(struct x86_emul_ctx *c, uint16_t port, unsigned size, uint32_t *val,
                  bool write)
{
    struct domain *d = ((struct io_emul *)c->priv)->d;
    struct domain_io *io = d->io;
    unsigned byte = port & 3;

    if (!d->is_privileged || !io) {     /* configuration space is dom0's alone */
        io_refuse(c, TRC_IO_PORT_DENY, (uint64_t)port << 16 | size << 1 | write);
        return X86EMUL_EXCEPTION;
    }
    if (port < PCI_CONF_DATA) {
        if (port != PCI_CONF_ADDR || size != 4) {
            io_refuse(c, TRC_IO_PORT_DENY, (uint64_t)port << 16 | size << 1 | write);
            return X86EMUL_EXCEPTION;
        }
        if (write)
            io->cf8 = *val & 0x80fffffcu;       /* reserved bits read as zero */
        else
            *val = io->cf8;
        return X86EMUL_OKAY;
    }
    if (byte + size > 4) {                      /* crosses 0xcff: not a config access */
        io_refuse(c, TRC_IO_PORT_DENY, (uint64_t)port << 16 | size << 1 | write);
        return X86EMUL_EXCEPTION;
    }
    int bdf = pci_latched_bdf(io->cf8);
    uint64_t what = (uint64_t)io->cf8 << 8 | byte << 4 | size << 1 | write;
    if (bdf < 0 || pci_is_claimed((uint32_t)bdf) ||
        (write && (pci_chipset(io->cf8) || pci_bar_into_isa(io->cf8, byte, size, *val)))) {
        if (bdf >= 0)
            TRACE_VCPU(TRC_IO_PCI_DENY, current, what, ((struct io_emul *)c->priv)->rip);
        if (!write)
            *val = size == 4 ? 0xffffffffu : (1u << (size * 8)) - 1;
        return X86EMUL_OKAY;                    /* as an absent function answers */
    }
    if (write)
        pci_conf_write(io->cf8, byte, size, *val);
    else
        *val = pci_conf_read(io->cf8, byte, size);
    return X86EMUL_OKAY;
}

static bool is_pci_port(uint16_t port, unsigned size)
{
    return port + size > PCI_CONF_ADDR && port <= PCI_CONF_DATA + 3;
}

static int io_in(struct x86_emul_ctx *c, uint16_t port, unsigned size, uint32_t *val)
{
    struct domain *d = ((struct io_emul *)c->priv)->d;

    if (is_pci_port(port, size))
        return pci_io(c, port, size, val, false);
    if (!ioport_map_allows(d->io ? d->io->map : NULL, port, size)) {
        io_refuse(c, TRC_IO_PORT_DENY, (uint64_t)port << 16 | size << 1);
        return X86EMUL_EXCEPTION;
    }
    *val = size == 1 ? inb(port) : size == 2 ? inw(port) : inl(port);
    return X86EMUL_OKAY;
}

static int io_out(struct x86_emul_ctx *c, uint16_t port, unsigned size, uint32_t val)
{
    struct domain *d = ((struct io_emul *)c->priv)->d;

    if (is_pci_port(port, size))
        return pci_io(c, port, size, &val, true);
    if (!ioport_map_allows(d->io ? d->io->map : NULL, port, size)) {
        io_refuse(c, TRC_IO_PORT_DENY, (uint64_t)port << 16 | size << 1 | 1);
        return X86EMUL_EXCEPTION;
    }
    if (size == 1)
        outb(port, (uint8_t)val);
    else if (size == 2)
        outw(port, (uint16_t)val);
    else
        outl(port, val);
    return X86EMUL_OKAY;
}

/* INS/OUTS memory: the guest's own addresses, live on its page tables; a fault is
 * the guest's #PF (bounced as a #GP here: the access is not made). */
static int mem_read(struct x86_emul_ctx *c, uint64_t la, void *buf, unsigned size)
{
    if (copy_from_guest(buf, la, size)) {
        c->fault = (struct x86_fault){ .vector = X86_EXC_GP, .has_error_code = true };
        return X86EMUL_EXCEPTION;
    }
    return X86EMUL_OKAY;
}

static int mem_write(struct x86_emul_ctx *c, uint64_t la, const void *buf, unsigned size)
{
    if (copy_to_guest(la, buf, size)) {
        c->fault = (struct x86_fault){ .vector = X86_EXC_GP, .has_error_code = true };
        return X86EMUL_EXCEPTION;
    }
    return X86EMUL_OKAY;
}

static const struct x86_emul_ops io_ops = {
    .read = mem_read, .write = mem_write, .io_in = io_in, .io_out = io_out,
};

/* The regs file order is the encoding order; struct cpu_regs is the push order. */
static uint64_t *gpr_slot(struct cpu_regs *r, unsigned i)
{
    uint64_t *slots[16] = { &r->rax, &r->rcx, &r->rdx, &r->rbx, &r->rsp, &r->rbp,
                            &r->rsi, &r->rdi, &r->r8, &r->r9, &r->r10, &r->r11,
                            &r->r12, &r->r13, &r->r14, &r->r15 };
    return slots[i];
}

/* The common forms, IN/OUT with an imm8 or DX port and an optional 66 prefix
 * (what drivers use), without the general decoder: 1 done, 0 refused, -1 not one of
 * them. A permitted read costs dom0 about 414 instructions round trip this way,
 * 1608 through x86_decode + x86_emulate (docs/native-disk.md). */
static int io_fast(struct cpu_regs *r, const uint8_t *b, size_t n, struct x86_emul_ctx *c)
{
    unsigned len = 0, size = 4;
    uint16_t port;

    if (n >= 1 && b[0] == 0x66) {
        size = 2;
        len = 1;
    }
    if (n < len + 1)
        return -1;
    uint8_t op = b[len++];
    if (op >= 0xe4 && op <= 0xe7) {
        if (n < len + 1)
            return -1;
        port = b[len++];
    } else if (op >= 0xec && op <= 0xef) {
        port = (uint16_t)r->rdx;
    } else {
        return -1;
    }
    if (!(op & 1))
        size = 1;
    bool out = op & 2;
    uint32_t v = (uint32_t)r->rax;
    int rc = out ? io_out(c, port, size, v) : io_in(c, port, size, &v);
    if (rc != X86EMUL_OKAY)
        return 0;
    if (!out) {                         /* as hardware: AL/AX keep the rest, EAX zero-extends */
        if (size == 4)
            r->rax = v;
        else if (size == 2)
            r->rax = (r->rax & ~0xffffull) | (v & 0xffff);
        else
            r->rax = (r->rax & ~0xffull) | (v & 0xff);
    }
    r->rip += len;
    return 1;
}

bool ioport_pv_emulate(struct cpu_regs *r)
{
    struct vcpu *v = current;
    uint8_t bytes[X86_MAX_INSN_LEN];
    size_t n = 0;
    struct io_emul e = { v->domain, r->rip };
    struct x86_regs xr = { .rip = r->rip, .rflags = r->rflags };
    struct x86_emul_ctx c = { .regs = &xr, .ops = &io_ops, .priv = &e,
                              .max_reps = IO_MAX_REPS };

    if (r->error_code != 0 || v->domain->is_hvm)
        return false;
    /* Whole if the 15 bytes are mapped; else byte by byte, so an instruction ending
     * just before an unmapped page still decodes. */
    if (copy_from_guest(bytes, r->rip, sizeof(bytes)) == 0)
        n = sizeof(bytes);
    else
        while (n < sizeof(bytes) && copy_from_guest(&bytes[n], r->rip + n, 1) == 0)
            n++;
    xr.mode = (r->cs & ~3ul) == SEL_USER32_CS ? X86_MODE_32 : X86_MODE_64;
    int fast = io_fast(r, bytes, n, &c);
    if (fast >= 0)
        return fast;
    if (x86_decode(bytes, n, xr.mode, &c.insn) != 0)
        return false;
    if (c.insn.op != X86_OP_IN && c.insn.op != X86_OP_OUT && c.insn.op != X86_OP_INS &&
        c.insn.op != X86_OP_OUTS)
        return false;                   /* CLI, HLT, ...: the guest's own #GP */
    if (c.insn.prefixes & X86_PFX_SEG)
        return false;                   /* FS/GS bases are not in this register file */
    for (unsigned i = 0; i < 16; i++)
        xr.gpr[i] = *gpr_slot(r, i);
    int rc = x86_emulate_insn(&c);
    if (rc != X86EMUL_OKAY && rc != X86EMUL_RETRY)
        return false;                   /* refused: traced, the #GP goes to the guest */
    for (unsigned i = 0; i < 16; i++)
        *gpr_slot(r, i) = xr.gpr[i];
    r->rip = xr.rip;                    /* RETRY: unchanged, the rest of a REP next trap */
    return true;
}
