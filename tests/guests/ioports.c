/* The ioports test guest: a PV domU next to dom0's physical disk (pdisk). Without a
 * grant it must not reach the disk's ports, PCI configuration, the hypervisor's ports
 * or a physical interrupt line; with a grant (DOMCTL_ioport_permission, given by
 * `xl ioport-permit`) it reads the granted ports and still nothing else.
 * Command line: port=<the disk's I/O BAR> granted=<0|1>.
 * Prints "isolation: <case> ok|FAILED (...)" per case, then the summary
 * (isolation_report.c); main returns the failure count. */
#include "isolation.h"
#include <blkdev.h>
#include <public/event_channel.h>
#include <public/physdev.h>

static volatile unsigned probe_len;
static volatile bool probe_gp;

static bool gp_handler(struct guest_trap_frame *f)
{
    if (!probe_len)
        return false;
    probe_gp = true;
    f->bf.rip += probe_len;
    return true;
}

/* inl from port: true if it raised #GP. */
static bool probe_inl(uint16_t port, uint32_t *v)
{
    *v = 0xffffffff;
    probe_gp = false;
    probe_len = 1;
    asm volatile(".byte 0xed" : "+a"(*v) : "d"(port) : "memory");
    probe_len = 0;
    return probe_gp;
}

static bool probe_outl(uint16_t port, uint32_t v)
{
    probe_gp = false;
    probe_len = 1;
    asm volatile(".byte 0xef" :: "a"(v), "d"(port) : "memory");
    probe_len = 0;
    return probe_gp;
}

/* rep insl: n dwords from port into buf (the general decoder's path); true on #GP. */
static bool probe_rep_insl(uint16_t port, uint32_t *buf, uint64_t n)
{
    probe_gp = false;
    probe_len = 2;
    asm volatile(".byte 0xf3, 0x6d" : "+D"(buf), "+c"(n) : "d"(port) : "memory");
    probe_len = 0;
    return probe_gp;
}

static bool probe_inb(uint16_t port)
{
    uint8_t v = 0;

    probe_gp = false;
    probe_len = 1;
    asm volatile(".byte 0xec" : "+a"(v) : "d"(port) : "memory");
    probe_len = 0;
    return probe_gp;
}

/* The imm8 forms: inb $0x40 (PIT) and inb $0x80 (POST diagnostics). */
static bool probe_inb_imm_pit(void)
{
    uint8_t v = 0;

    probe_gp = false;
    probe_len = 2;
    asm volatile(".byte 0xe4, 0x40" : "+a"(v) :: "memory");
    probe_len = 0;
    return probe_gp;
}

static bool probe_inb_imm_post(void)
{
    uint8_t v = 0;

    probe_gp = false;
    probe_len = 2;
    asm volatile(".byte 0xe4, 0x80" : "+a"(v) :: "memory");
    probe_len = 0;
    return probe_gp;
}

int main(const struct start_info *si)
{
    uint16_t port = (uint16_t)guest_arg_uint("port", 0xc000);
    bool granted = guest_arg_uint("granted", 0) != 0;
    uint32_t v;

    printf("isolation: ioports, domain %u, disk ports at %#x, %s\n", si->domid, port,
           granted ? "granted" : "not granted");
    if (granted)
        sleep_ns(20000000);             /* the scenario grants while we start (20 ms) */
    /* Probing for disks (every driver, virtio-blk's PCI scan among them) in a PV
     * domU must find nothing and fault nowhere (no #GP handler is set yet). */
    int ndisks = blkdev_probe_all();
    result("blkdev_probe_all harmless in a domU", ndisks == 0 && !blkdev_find(NULL),
           "%d disks", ndisks);
    trap_set_handler(13, gp_handler);

    bool gp = probe_inl(port, &v);     /* virtio: device features, read-only */
    if (granted)
        result("granted port readable", !gp && v != 0xffffffff, "#GP %d, value %#x", gp, v);
    else
        result("disk port refused", gp, "#GP %d, value %#x", gp, v);
    uint32_t buf[4] = { 0, 0, 0, 0 };
    gp = probe_rep_insl(port, buf, 4);
    if (granted)
        result("rep insl from a granted port", !gp && buf[0] == v && buf[3] == v,
               "#GP %d, %#x %#x", gp, buf[0], buf[3]);
    else
        result("rep insl from the disk refused", gp && buf[0] == 0, "#GP %d, %#x", gp, buf[0]);
    gp = probe_inb((uint16_t)(port + 0x40));
    result("port past the grant refused", gp, "#GP %d", gp);
    gp = probe_outl(0xcf8, 0x80000000u);
    result("PCI configuration address refused", gp, "#GP %d", gp);
    gp = probe_inl(0xcfc, &v);
    result("PCI configuration data refused", gp, "#GP %d, value %#x", gp, v);
    gp = probe_inb(0x40);
    result("PIT refused", gp, "#GP %d", gp);
    gp = probe_inb_imm_pit();
    result("PIT refused (inb $imm8)", gp, "#GP %d", gp);
    gp = probe_inb_imm_post();
    if (granted)
        result("granted port 0x80 readable (inb $imm8)", !gp, "#GP %d", gp);
    else
        result("port 0x80 refused (inb $imm8)", gp, "#GP %d", gp);
    gp = probe_inb(0x3f8);
    result("COM1 refused", gp, "#GP %d", gp);
    gp = probe_outl(0xf4, 0x55);
    result("debug exit refused", gp, "#GP %d (the machine lives on)", gp);

    struct evtchn_bind_pirq b = { .pirq = 10 };
    EXPECT("bind_pirq 10", hv_event_channel_op(EVTCHNOP_bind_pirq, &b), EPERM);
    b.pirq = 11;
    EXPECT("bind_pirq 11", hv_event_channel_op(EVTCHNOP_bind_pirq, &b), EPERM);
    struct physdev_eoi e = { .irq = 10 };
    EXPECT("physdev eoi", _hc(HYPERVISOR_physdev_op, PHYSDEVOP_eoi, &e, 0, 0, 0), EPERM);
    trap_set_handler(13, NULL);
    return (int)report_summary();
}
