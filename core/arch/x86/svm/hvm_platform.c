/* The platform devices of an HVM domain, wired (include/hvlab/x86/hvm_platform.h).
 *
 * One lock per domain serialises every call into its devices: a port or MMIO exit of
 * any of its vCPUs, a device timer, an IPI or an IOAPIC message (they write another
 * vCPU's LAPIC). The lock is taken with interrupts off, since the device timers run
 * in interrupt context. What the devices ask of the hypervisor while it is held
 * (kick a vCPU, power off, start a vCPU) is either safe under it (vcpu_kick: the
 * scheduler never calls back in here) or recorded and done after the unlock
 * (plat_unlock): shutting a domain down or bringing up a vCPU takes other locks and
 * may deschedule the caller.
 *
 * Power: the PM block's S5 (SLP_EN with the \_S5 value) powers the domain off through
 * the normal shutdown path (SHUTDOWN_poweroff); another sleep state (the DSDT offers
 * none) crashes it; the reset port (0xcf9) reboots it (SHUTDOWN_reboot: the toolstack
 * decides what a reboot means, as for a PV guest's SCHEDOP_shutdown). */
#include <hvlab/hvmbuild.h>
#include <hvlab/domain.h>
#include <hvlab/errno.h>
#include <hvlab/hypercall.h>
#include <hvlab/lib.h>
#include <hvlab/sched.h>
#include <hvlab/time.h>
#include <hvlab/timer.h>
#include <hvlab/xmalloc.h>
#include <hvlab/x86/hvm_platform.h>
#include "hvm_platform_priv.h"
#include <hvlab/x86/svm.h>
#include <public/sched.h>

/* ---- soft timers ---- */

static uint64_t dev_next_event(struct hvm_platform *p, const struct hvm_dev_timer *t)
{
    switch (t->kind) {
    case HVM_T_PIT:
        return vpit_next_event(&p->pit);
    case HVM_T_RTC:
        return vrtc_next_event(&p->rtc);
    case HVM_T_PM:
        return vpmtimer_next_event(&p->pm);
    default:
        return vlapic_next_event(&p->lapic[t->vcpu]);
    }
}

static void dev_advance(struct hvm_platform *p, const struct hvm_dev_timer *t, uint64_t now)
{
    switch (t->kind) {
    case HVM_T_PIT:
        vpit_advance(&p->pit, now);
        break;
    case HVM_T_RTC:
        vrtc_advance(&p->rtc, now);
        break;
    case HVM_T_PM:
        vpmtimer_advance(&p->pm, now);
        break;
    default:
        vlapic_advance(&p->lapic[t->vcpu], now);
    }
}

/* Lock held: the timer at the device's next event, never sooner than the floor after
 * its last firing when the device re-fires by itself (the bus devices, a periodic
 * LAPIC timer). A LAPIC one-shot or TSC deadline is armed by a guest write (an exit)
 * each time, so the guest's own exits bound its rate, and it fires on time: the floor
 * made a one-shot 15 us ahead fire 35-50 us late when the previous one had just fired
 * (issue 12). Left alone when already set there (most exits change nothing). */
static void dev_rearm(struct hvm_platform *p, struct hvm_dev_timer *t)
{
    uint64_t next = dev_next_event(p, t);

    if (next == HVM_NO_EVENT) {
        if (timer_pending(&t->timer))
            timer_stop(&t->timer);
        return;
    }
    s_time_t at = next > (uint64_t)INT64_MAX ? INT64_MAX : (s_time_t)next;
    bool by_itself = t->kind != HVM_T_LAPIC || vlapic_timer_periodic(&p->lapic[t->vcpu]);
    if (by_itself && at < t->last_fire + HVM_TIMER_FLOOR_NS)
        at = t->last_fire + HVM_TIMER_FLOOR_NS;
    if (timer_pending(&t->timer) && t->timer.expires == at)
        return;
    timer_set(&t->timer, at);
}

static void plat_unlock(struct hvm_platform *p, unsigned long flags);

static void dev_timer_fn(void *data)
{
    struct hvm_dev_timer *t = data;
    struct hvm_platform *p = t->plat;
    unsigned long flags;
    s_time_t now = NOW();

    spin_lock_irqsave(&p->lock, flags);
    if (p->dying) {
        spin_unlock_irqrestore(&p->lock, flags);
        return;
    }
    t->last_fire = now;
    dev_advance(p, t, (uint64_t)now);
    dev_rearm(p, t);
    plat_unlock(p, flags);
}

static void dev_timer_init(struct hvm_platform *p, struct hvm_dev_timer *t, unsigned kind,
                           unsigned vcpu, unsigned cpu)
{
    t->plat = p;
    t->kind = (uint8_t)kind;
    t->vcpu = (uint16_t)vcpu;
    t->last_fire = INT64_MIN / 2;
    timer_init(&t->timer, dev_timer_fn, t, cpu);
}

/* Lock held: after a call into the bus, whose devices may have changed their next
 * event (and the accessing vCPU's LAPIC, for a LAPIC access). */
static void rearm_bus_devices(struct hvm_platform *p)
{
    dev_rearm(p, &p->pit_t);
    dev_rearm(p, &p->rtc_t);
    dev_rearm(p, &p->pm_t);
}

/* ---- what the devices call (lock held) ---- */

static void irq_set_level(void *ctx, unsigned isa_irq, bool level)
{
    struct hvm_platform *p = ctx;
    virq_set_isa_irq(&p->route, isa_irq, level);
}

static void uart_putc(void *ctx, uint8_t byte)
{
    struct hvm_platform *p = ctx;
    console_guest_write(p->d, (const char *)&byte, 1);
}

static void pm_shutdown(void *ctx, enum vpm_reason reason)
{
    struct hvm_platform *p = ctx;
    p->power = 1 + (reason == VPM_POWEROFF ? SHUTDOWN_poweroff : SHUTDOWN_crash);
}

static void pm_reset(void *ctx)
{
    struct hvm_platform *p = ctx;
    p->power = 1 + SHUTDOWN_reboot;
}

static void cpu_kick(void *ctx, unsigned vcpu)
{
    struct hvm_platform *p = ctx;
    if (vcpu < p->nr_vcpus && p->d->vcpus[vcpu]) {
        __atomic_store_n(&p->start[vcpu].check, true, __ATOMIC_SEQ_CST);
        vcpu_kick(p->d->vcpus[vcpu]);
    }
}

static void cpu_init(void *ctx, unsigned vcpu)
{
    struct hvm_platform *p = ctx;
    if (vcpu < p->nr_vcpus) {
        p->start[vcpu].init = true;
        p->start[vcpu].sipi = -1;
    }
}

static void cpu_sipi(void *ctx, unsigned vcpu, uint8_t vector)
{
    struct hvm_platform *p = ctx;
    /* Only after INIT (a second SIPI, as MP start-up sends, finds it started). */
    if (vcpu < p->nr_vcpus && p->start[vcpu].init && p->start[vcpu].sipi < 0) {
        p->start[vcpu].sipi = vector;
        p->start_work = true;
    }
}

/* The xAPIC window stays where it is: moving it onto RAM or onto another device
 * would let the guest alias memory it does not own through the emulator. */
static bool lapic_base_ok(void *ctx, unsigned vcpu, uint64_t base)
{
    (void)ctx;
    (void)vcpu;
    return base == VLAPIC_DEFAULT_BASE;
}

static const struct vintc_cpu_ops plat_cpu_ops = { cpu_kick, cpu_init, cpu_sipi };
static const struct vpm_power_ops *plat_power_ops(struct hvm_platform *p, struct vpm_power_ops *o)
{
    *o = (struct vpm_power_ops){ pm_shutdown, pm_reset, p };
    return o;
}

/* Unlock, then do what the devices asked for while it was held. */
static void plat_unlock(struct hvm_platform *p, unsigned long flags)
{
    unsigned power = p->power;
    bool start = p->start_work;

    p->power = 0;
    p->start_work = false;
    spin_unlock_irqrestore(&p->lock, flags);
    if (power == 1 + SHUTDOWN_crash)
        domain_crash(p->d, "the guest entered an ACPI sleep state the DSDT does not offer");
    else if (power)
        domain_shutdown(p->d, power - 1);
    if (start)
        hvm_platform_start_vcpus(p->d);
}

/* ---- creation and teardown ---- */

int hvm_platform_create(struct domain *d)
{
    struct hvm_platform *p = xzalloc(sizeof(*p));
    struct vpm_power_ops power;
    s_time_t now = NOW();
    int rc;

    if (!p)
        return -ENOMEM;
    d->hvm_plat = p;
    p->d = d;
    p->nr_vcpus = d->max_vcpus;
    p->lapic = xzalloc_array(p->nr_vcpus, sizeof(*p->lapic));
    p->lapic_t = xzalloc_array(p->nr_vcpus, sizeof(*p->lapic_t));
    p->start = xzalloc_array(p->nr_vcpus, sizeof(*p->start));
    if (!p->lapic || !p->lapic_t || !p->start)
        return -ENOMEM;
    spin_lock_init(&p->lock);

    struct virq_config cfg = {
        .nr_vcpus = p->nr_vcpus, .tsc_khz = (uint32_t)tsc_khz, .cpu_ops = &plat_cpu_ops,
        .cpu_ctx = p, .base_ok = lapic_base_ok, .ioapic_id = hvmbuild_ioapic_id(p->nr_vcpus),
    };
    if ((rc = virq_route_init(&p->route, p->lapic, &p->ioapic, &p->pic, &cfg)) < 0)
        return rc;
    /* What firmware leaves on the BSP: the PIC reaches vCPU 0 (virtual wire). */
    vlapic_virtual_wire(&p->lapic[0]);

    struct hvm_irq_sink sink = { irq_set_level, p };
    hvm_io_bus_init(&p->bus);
    vpit_init(&p->pit, &sink, (uint64_t)now);
    vrtc_init(&p->rtc, HVM_RTC_EPOCH + (uint64_t)now / HVM_NS_PER_SEC, &sink, (uint64_t)now);
    vrtc_set_memory(&p->rtc, (uint64_t)d->max_pages << PAGE_SHIFT);
    vpmtimer_init(&p->pm, &sink, plat_power_ops(p, &power), VPM_S5_SLP_TYP, (uint64_t)now);
    vuart_init(&p->uart, VUART_COM1_BASE, VUART_COM1_IRQ, &sink, uart_putc, p);
    if ((rc = vpit_register(&p->pit, &p->bus)) < 0 ||
        (rc = vrtc_register(&p->rtc, &p->bus)) < 0 ||
        (rc = vpmtimer_register(&p->pm, &p->bus)) < 0 ||
        (rc = vuart_register(&p->uart, &p->bus)) < 0 ||
        (rc = hvm_io_register(&p->bus, HVM_IO_PORT, 0x20, 2, &vpic_io_ops, &p->pic)) < 0 ||
        (rc = hvm_io_register(&p->bus, HVM_IO_PORT, 0xa0, 2, &vpic_io_ops, &p->pic)) < 0 ||
        (rc = hvm_io_register(&p->bus, HVM_IO_PORT, 0x4d0, 2, &vpic_io_ops, &p->pic)) < 0 ||
        (rc = hvm_io_register(&p->bus, HVM_IO_MMIO, VIOAPIC_BASE, VIOAPIC_MMIO_LEN,
                              &vioapic_mmio_ops, &p->ioapic)) < 0)
        return rc;

    /* Every timer on the pCPU vCPU 0 starts on (any pCPU works for the bus devices:
     * a firing kicks the vCPU wherever it runs); a LAPIC's timer then follows its
     * vCPU (hvm_platform_follow), so teardown waits on every pCPU (plat_free_fn). */
    unsigned cpu = d->vcpus[0] ? d->vcpus[0]->processor : 0;
    p->timer_cpu = cpu;
    dev_timer_init(p, &p->pit_t, HVM_T_PIT, 0, cpu);
    dev_timer_init(p, &p->rtc_t, HVM_T_RTC, 0, cpu);
    dev_timer_init(p, &p->pm_t, HVM_T_PM, 0, cpu);
    for (unsigned i = 0; i < p->nr_vcpus; i++) {
        dev_timer_init(p, &p->lapic_t[i], HVM_T_LAPIC, i, cpu);
        p->start[i].sipi = -1;
        p->start[i].check = true;
    }
    p->timers_ready = true;
    unsigned long flags;
    spin_lock_irqsave(&p->lock, flags);
    rearm_bus_devices(p);
    spin_unlock_irqrestore(&p->lock, flags);
    return 0;
}

/* Every device timer stopped, no handler left on another pCPU: -1, or the pCPU (this
 * one) whose handler of theirs is running, the caller inside it. */
static int plat_kill_timers(struct hvm_platform *p)
{
    struct timer *all[3] = { &p->pit_t.timer, &p->rtc_t.timer, &p->pm_t.timer };
    int inside = -1;

    for (unsigned i = 0; i < 3 + p->nr_vcpus; i++) {
        struct timer *t = i < 3 ? all[i] : &p->lapic_t[i - 3].timer;
        if (!timer_kill(t))
            inside = t->cpu;
    }
    return inside;
}

static void plat_free(struct hvm_platform *p)
{
    xfree(p->lapic);
    xfree(p->lapic_t);
    xfree(p->start);
    xfree(p);
}

/* On the pCPU whose device timer handler destroyed the platform, after that handler
 * returned (handlers on one pCPU run one after another; none re-arms once `dying` is
 * set, and the other pCPUs' ran to the end in timer_kill). */
static void plat_free_fn(void *data)
{
    struct hvm_platform *p = data;
    plat_free(p);
}

void hvm_platform_follow(struct vcpu *v, unsigned cpu)
{
    struct hvm_platform *p = v->domain->hvm_plat;

    if (!p || !p->timers_ready || v->vcpu_id >= p->nr_vcpus)
        return;
    struct timer *t = &p->lapic_t[v->vcpu_id].timer;
    if (__atomic_load_n(&t->cpu, __ATOMIC_RELAXED) != cpu)
        timer_migrate(t, cpu);
}

/* timer_kill waits for a handler running on another pCPU (a vLAPIC's timer may be
 * on any: hvm_platform_follow), so the platform is freed now, unless this pCPU is
 * inside one of its handlers: then a timer here frees it after that returns. */
void hvm_platform_destroy(struct domain *d)
{
    struct hvm_platform *p = d->hvm_plat;
    unsigned long flags;

    if (!p)
        return;
    d->hvm_plat = NULL;
    if (!p->timers_ready) {             /* creation failed before any timer was set */
        plat_free(p);
        return;
    }
    spin_lock_irqsave(&p->lock, flags);
    p->dying = true;
    spin_unlock_irqrestore(&p->lock, flags);
    int inside = plat_kill_timers(p);
    if (inside < 0) {
        plat_free(p);
        return;
    }
    timer_init(&p->free_timer, plat_free_fn, p, (unsigned)inside);
    timer_set(&p->free_timer, NOW());
}

size_t hvm_platform_console_input(struct domain *d, const uint8_t *bytes, size_t len)
{
    struct hvm_platform *p = d->hvm_plat;
    unsigned long flags;
    size_t taken;

    if (!p)
        return 0;
    spin_lock_irqsave(&p->lock, flags);
    /* Only what fits: a typist's extra bytes wait (the caller retries), they are not
     * an overrun of the guest's making. vuart_input raises IRQ 4 if enabled. */
    taken = vuart_input(&p->uart, bytes, MIN(len, vuart_rx_room(&p->uart)));
    plat_unlock(p, flags);
    return taken;
}

bool hvm_platform_present(const struct vcpu *v)
{
    return v->domain->hvm_plat != NULL;
}

/* ---- accesses from the guest ---- */

/* Lock held: v's own access may have made a held interrupt deliverable. */
static void mark_check(struct hvm_platform *p, const struct vcpu *v)
{
    if (v->vcpu_id < p->nr_vcpus)
        __atomic_store_n(&p->start[v->vcpu_id].check, true, __ATOMIC_SEQ_CST);
}

int hvm_platform_port(struct vcpu *v, uint16_t port, unsigned size, bool write,
                      uint64_t *val)
{
    struct hvm_platform *p = v->domain->hvm_plat;
    unsigned long flags;

    if (!p)
        return -ENODEV;
    spin_lock_irqsave(&p->lock, flags);
    int rc = hvm_io_dispatch(&p->bus, HVM_IO_PORT, port, size, write, (uint64_t)NOW(), val);
    /* Only the timed device the port belongs to can have a new next event (the
     * UART and the PICs have no timer): re-arming all three cost 66 instructions
     * more per RTC access. */
    if (port - VPIT_PORT_BASE < 4 || port == VPIT_PORT_61)
        dev_rearm(p, &p->pit_t);
    else if (port - VRTC_PORT_BASE < 2)
        dev_rearm(p, &p->rtc_t);
    else if (port - VPM_PORT_BASE < VPM_PORT_LEN || port == VPM_RESET_PORT)
        dev_rearm(p, &p->pm_t);
    mark_check(p, v);
    plat_unlock(p, flags);
    return rc < 0 ? -ENODEV : 0;
}

int hvm_platform_mmio(struct vcpu *v, uint64_t gpa, unsigned size, bool write,
                      uint64_t *val)
{
    struct hvm_platform *p = v->domain->hvm_plat;
    unsigned long flags;
    int rc;

    if (!p || v->vcpu_id >= p->nr_vcpus)
        return -ENODEV;
    spin_lock_irqsave(&p->lock, flags);
    uint64_t now = (uint64_t)NOW();
    struct vlapic *l = &p->lapic[v->vcpu_id];
    uint64_t base = vlapic_mmio_base(l);
    if (base != UINT64_MAX && gpa - base < VLAPIC_MMIO_LEN) {
        if ((gpa & (size - 1)) || size > 4)
            rc = -EINVAL;                       /* the bus's rule, kept for the LAPIC */
        else if (write)
            rc = vlapic_mmio_ops.write(l, gpa, size, now, *val);
        else
            rc = vlapic_mmio_ops.read(l, gpa, size, now, val);
        dev_rearm(p, &p->lapic_t[v->vcpu_id]);
    } else {
        rc = hvm_io_dispatch(&p->bus, HVM_IO_MMIO, gpa, size, write, now, val);
        rearm_bus_devices(p);
    }
    mark_check(p, v);
    plat_unlock(p, flags);
    return rc < 0 ? -ENODEV : 0;
}

/* The bus's ranges are fixed once the domain is built: read without the lock. */
bool hvm_platform_port_claimed(const struct vcpu *v, uint16_t port)
{
    const struct hvm_platform *p = v->domain->hvm_plat;

    return p && hvm_io_claimed(&p->bus, HVM_IO_PORT, port);
}

int hvm_platform_set_isa_irq(struct domain *d, unsigned isa_irq, bool level)
{
    struct hvm_platform *p = d->hvm_plat;
    unsigned long flags;

    if (!p)
        return -ENODEV;
    spin_lock_irqsave(&p->lock, flags);
    virq_set_isa_irq(&p->route, isa_irq, level);    /* kicks the vCPU it targets */
    plat_unlock(p, flags);
    return 0;
}

bool hvm_platform_window(uint64_t gpa)
{
    return gpa - VLAPIC_DEFAULT_BASE < VLAPIC_MMIO_LEN || gpa - VIOAPIC_BASE < VIOAPIC_MMIO_LEN;
}

int hvm_platform_msr(struct vcpu *v, uint32_t msr, bool write, uint64_t *val)
{
    struct hvm_platform *p = v->domain->hvm_plat;
    unsigned long flags;

    if (!p || !(msr == MSR_APIC_BASE || msr == MSR_TSC_DEADLINE ||
                (msr >= MSR_X2APIC_FIRST && msr <= MSR_X2APIC_LAST)))
        return -ENODEV;
    spin_lock_irqsave(&p->lock, flags);
    uint64_t now = (uint64_t)NOW();
    struct vlapic *l = &p->lapic[v->vcpu_id];
    int rc;
    if (msr == MSR_TSC_DEADLINE) {
        /* The guest's TSC (RDTSC: host TSC + offset) and the vLAPIC's (NOW() scaled)
         * count at the same rate from different origins: convert by the distance
         * from each one's now. */
        uint64_t g_now = __builtin_ia32_rdtsc() + v->arch.svm->vmcb->ctl.tsc_offset;
        uint64_t l_now = vlapic_tsc(l, now);
        if (write) {
            uint64_t t = *val;
            if (t)
                t = t >= g_now ? l_now + (t - g_now)
                               : (l_now > g_now - t ? l_now - (g_now - t) : 1);
            vlapic_tsc_deadline_write(l, t, now);
        } else {
            uint64_t t = vlapic_tsc_deadline_read(l);
            *val = t ? t - l_now + g_now : 0;
        }
        rc = 0;
    } else if (write) {
        rc = vlapic_msr_write(l, msr, now, *val);
    } else {
        rc = vlapic_msr_read(l, msr, now, val);
    }
    dev_rearm(p, &p->lapic_t[v->vcpu_id]);
    mark_check(p, v);
    plat_unlock(p, flags);
    return rc < 0 ? -EINVAL : 0;
}

/* ---- interrupts to the vCPU ---- */

int hvm_platform_pending(struct vcpu *v, bool *extint)
{
    struct hvm_platform *p = v->domain->hvm_plat;
    unsigned long flags;

    *extint = false;
    if (!p || v->vcpu_id >= p->nr_vcpus ||
        !__atomic_load_n(&p->start[v->vcpu_id].check, __ATOMIC_SEQ_CST))
        return -1;
    spin_lock_irqsave(&p->lock, flags);
    int vec = virq_pending(&p->route, v->vcpu_id, extint);
    if (vec < 0)
        __atomic_store_n(&p->start[v->vcpu_id].check, false, __ATOMIC_SEQ_CST);
    spin_unlock_irqrestore(&p->lock, flags);
    return vec;
}

int hvm_platform_accept(struct vcpu *v, int vec, bool extint)
{
    struct hvm_platform *p = v->domain->hvm_plat;
    unsigned long flags;

    spin_lock_irqsave(&p->lock, flags);
    vec = virq_accept(&p->route, v->vcpu_id, vec, extint);
    rearm_bus_devices(p);                   /* INTA may change the PIC's output */
    mark_check(p, v);                       /* another request may wait behind it */
    spin_unlock_irqrestore(&p->lock, flags);
    return vec;
}

static bool vec_in(const uint32_t *bits, uint8_t vec)
{
    return bits[vec / 32] & (1u << (vec % 32));
}

/* The event-channel upcall is an edge (svm_intr.c, upcall_check): one request per
 * edge of evtchn_upcall_pending. One raised while the vector is in service is
 * delivered again after its EOI (the guest may have scanned its ports already). */
void hvm_platform_upcall(struct vcpu *v, uint8_t vector)
{
    struct hvm_platform *p = v->domain->hvm_plat;
    unsigned long flags;

    if (!p)
        return;
    spin_lock_irqsave(&p->lock, flags);
    struct vlapic *l = &p->lapic[v->vcpu_id];
    if (!vec_in(l->irr, vector))
        vlapic_set_irr(l, vector, false);
    spin_unlock_irqrestore(&p->lock, flags);
}
