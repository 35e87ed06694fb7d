/* pirqs: physical interrupt lines of devices dom0 drives, delivered as event
 * channels (public/physdev.h).
 *
 * A bound pirq's IOAPIC pin sends VEC_PIRQ_BASE + pirq to the BSP. The handler
 * raises the bound port; for a level-triggered line it first masks the pin, so the
 * line (still asserted until dom0 has serviced the device) cannot interrupt again
 * after the LAPIC EOI; PHYSDEVOP_eoi unmasks it, and if the device asserts again by
 * then the IOAPIC delivers at once. An edge-triggered line needs no EOI.
 *
 * The hypervisor's own lines are never given: IRQ 0 (the PIT; GSI 2 on a PC),
 * IRQ 2 (the cascade) and IRQ 4 (COM1, the hypervisor's console), nor any pirq whose
 * GSI is one of theirs.
 *
 * Locking: pirq_lock (interrupts off) guards the table. Order: a domain's event_lock,
 * then pirq_lock (bind and close come from event_channel.c holding the event_lock).
 * The handler takes only pirq_lock and raises the port with evtchn_set_pending,
 * which needs the binding stable: it is, since a port is unbound here (under
 * pirq_lock) before event_channel.c frees it. */
#include <hvlab/domain.h>
#include <hvlab/errno.h>
#include <hvlab/event.h>
#include <hvlab/guest_access.h>
#include <hvlab/irq.h>
#include <hvlab/percpu.h>
#include <hvlab/pirq.h>
#include <hvlab/printk.h>
#include <hvlab/smp.h>
#include <hvlab/spinlock.h>
#include <hvlab/topology.h>
#include <hvlab/trace.h>
#include <hvlab/acpi.h>
#include <hvlab/x86/ioapic.h>
#include <public/physdev.h>

struct pirq {
    struct domain *d;                   /* NULL: unbound */
    struct vcpu *v;
    evtchn_port_t port;
    unsigned gsi;
    bool level;
    bool awaiting_eoi;                  /* level: masked by the handler */
    uint64_t count;                     /* deliveries */
};

static spinlock_t pirq_lock = SPIN_LOCK_UNLOCKED;
static struct pirq pirqs[NR_PIRQS];
static const unsigned hv_irqs[] = { 0, 2, 4 };

static bool pirq_is_hypervisors(unsigned pirq)
{
    for (unsigned i = 0; i < sizeof(hv_irqs) / sizeof(hv_irqs[0]); i++)
        if (pirq == hv_irqs[i] || topo.isa_gsi[pirq] == topo.isa_gsi[hv_irqs[i]])
            return true;
    return false;
}

static void pirq_interrupt(struct cpu_regs *r)
{
    unsigned pirq = (unsigned)r->vector - VEC_PIRQ_BASE;
    struct pirq *p = &pirqs[pirq];
    unsigned long f;

    spin_lock_irqsave(&pirq_lock, f);
    if (p->level || !p->d) {
        ioapic_mask(p->gsi);            /* until PHYSDEVOP_eoi (or forever: unbound) */
        p->awaiting_eoi = p->d != NULL;
    }
    p->count++;
    if (p->d) {
        TRACE_VCPU(TRC_IO_PIRQ, p->v, (uint64_t)pirq << 8 | p->gsi, p->port);
        evtchn_set_pending(p->v, p->port);
    } else {
        TRACE(TRC_IO_PIRQ, TRACE_DOM_NONE, smp_processor_id(), (uint64_t)pirq << 8 | p->gsi, 0);
    }
    spin_unlock_irqrestore(&pirq_lock, f);
}

int pirq_bind(struct domain *d, unsigned pirq, struct vcpu *v, evtchn_port_t port)
{
    unsigned long f;
    int rc = 0;

    if (!d->is_privileged)
        return -EPERM;
    if (pirq >= NR_PIRQS || pirq_is_hypervisors(pirq))
        return -EINVAL;
    unsigned gsi = topo.isa_gsi[pirq];
    if (gsi >= ioapic_nr_pins())
        return -ENODEV;
    uint16_t fl = topo.isa_flags[pirq];
    bool level = (fl & 0xc) == ACPI_MPS_LEVEL;
    bool low = (fl & 0x3) == ACPI_MPS_ACTIVE_LOW;

    spin_lock_irqsave(&pirq_lock, f);
    for (unsigned i = 0; i < NR_PIRQS; i++)
        if (pirqs[i].d && (i == pirq || pirqs[i].gsi == gsi))
            rc = -EBUSY;
    if (!rc) {
        pirqs[pirq] = (struct pirq){ .d = d, .v = v, .port = port, .gsi = gsi,
                                     .level = level };
        irq_set_handler(VEC_PIRQ_BASE + pirq, pirq_interrupt);
        ioapic_route(gsi, VEC_PIRQ_BASE + pirq, level, low, per_cpu(0)->apic_id);
        ioapic_unmask(gsi);
    }
    spin_unlock_irqrestore(&pirq_lock, f);
    if (!rc)
        pr_info("d%u: pirq %u bound to port %u (GSI %u, %s, active %s)\n", d->domain_id,
                pirq, port, gsi, level ? "level" : "edge", low ? "low" : "high");
    return rc;
}

void pirq_unbind(struct domain *d, unsigned pirq)
{
    unsigned long f;

    if (pirq >= NR_PIRQS)
        return;
    spin_lock_irqsave(&pirq_lock, f);
    if (pirqs[pirq].d == d) {
        ioapic_mask(pirqs[pirq].gsi);
        pirqs[pirq].d = NULL;
        pirqs[pirq].v = NULL;
        pirqs[pirq].awaiting_eoi = false;
    }
    spin_unlock_irqrestore(&pirq_lock, f);
}

static long physdev_eoi(struct domain *d, uint64_t arg)
{
    struct physdev_eoi e;
    unsigned long f;
    long rc = -EINVAL;
    bool unmasked = false;

    if (copy_from_guest(&e, arg, sizeof(e)))
        return -EFAULT;
    if (e.irq >= NR_PIRQS)
        return -EINVAL;
    spin_lock_irqsave(&pirq_lock, f);
    struct pirq *p = &pirqs[e.irq];
    if (p->d == d) {
        rc = 0;
        if (p->awaiting_eoi) {
            p->awaiting_eoi = false;
            ioapic_unmask(p->gsi);
            unmasked = true;
        }
    }
    spin_unlock_irqrestore(&pirq_lock, f);
    if (!rc)
        TRACE_VCPU(TRC_IO_PIRQ_EOI, current, e.irq, unmasked);
    return rc;
}

static long physdev_status(struct domain *d, uint64_t arg)
{
    struct physdev_irq_status_query q;

    (void)d;
    if (copy_from_guest(&q, arg, sizeof(q)))
        return -EFAULT;
    if (q.irq >= NR_PIRQS)
        return -EINVAL;
    q.gsi = topo.isa_gsi[q.irq];
    q.flags = (topo.isa_flags[q.irq] & 0xc) == ACPI_MPS_LEVEL ? PHYSDEV_IRQ_NEEDS_EOI : 0;
    return copy_to_guest(arg, &q, sizeof(q)) ? -EFAULT : 0;
}

long do_physdev_op(unsigned cmd, uint64_t arg)
{
    struct domain *d = current->domain;

    if (!d->is_privileged)
        return -EPERM;
    switch (cmd) {
    case PHYSDEVOP_eoi:              return physdev_eoi(d, arg);
    case PHYSDEVOP_irq_status_query: return physdev_status(d, arg);
    default:                         return -ENOSYS;
    }
}
