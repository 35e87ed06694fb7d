/* Isolation cases for guest values the hypervisor loads in ring 0 or computes with:
 * timer deadlines at the edges of the 64-bit range, vCPU contexts with values real
 * hardware faults on (QEMU does not, so only the hypervisor's refusal can show), and
 * memory reservations beyond the domain's allowance or with wrapping arrays. */
#include "isolation.h"

/* ---- timers ---- */

/* A deadline far in the past (negative as a signed value) must fire now. It once
 * wrapped in the LAPIC arithmetic into a 4.3 s shot that every timer of the pCPU,
 * other domains' too, waited behind. */
static void timer_case(const char *name, uint64_t deadline)
{
    /* "Now" plus scheduling latency: the timer may wake us while a neighbour holds
     * the pCPU for the rest of its time slice (up to tens of ms). The bug it
     * catches waited 4.3 s. */
    const uint64_t limit_ns = 500000000;
    uint64_t events = timer_events, start = guest_now_ns(), waited;

    printf("isolation: %s: trying\n", name);
    local_irq_disable();
    timer_set_deadline(deadline);
    while (__atomic_load_n(&timer_events, __ATOMIC_RELAXED) == events) {
        guest_block();
        local_irq_disable();
    }
    local_irq_enable();
    waited = guest_now_ns() - start;
    result(name, waited < limit_ns, "VIRQ_TIMER after %llu ns (limit %llu)",
           (unsigned long long)waited, (unsigned long long)limit_ns);
}

static void timer_cases(void)
{
    timer_case("set_timer_op(0x8000000000000001) fires at once", 0x8000000000000001ULL);
    timer_case("set_timer_op(1) (long past) fires at once", 1);
    /* Absurdly far, then an ordinary deadline: the ordinary one still fires. */
    timer_set_deadline(0x7fffffffffffffffULL);
    timer_case("set_timer_op 1 ms ahead after one at INT64_MAX",
               guest_now_ns() + 1000000);
}

/* ---- vCPU contexts ---- */

/* A context the hypervisor must accept; each case spoils one field and offers it to
 * a vCPU of its own (vCPUs 1..7), so a context wrongly taken (the vCPU then has one
 * for good) cannot make the next case fail for the wrong reason. */
static void good_context(struct vcpu_guest_context *c, void *stack)
{
    extern void guest_bounce_entry(void);

    memset(c, 0, sizeof(*c));
    c->rip = (uintptr_t)guest_bounce_entry;     /* never run: the vCPU stays down */
    c->rsp = (uintptr_t)stack + PAGE_SIZE;
    c->rflags = 0x202;
    c->cr3_mfn = virt_to_mfn((const void *)(uintptr_t)start_info->pt_base);
    c->event_callback = (uintptr_t)guest_bounce_entry;
}

static void context_cases(void)
{
    static const struct {
        const char *name;
        size_t off;
        uint64_t val;
    } bad[] = {
        { "VCPUOP_initialise: non-canonical FS base",
          offsetof(struct vcpu_guest_context, fs_base), 0x8000000000000000ULL },
        { "VCPUOP_initialise: non-canonical GS base",
          offsetof(struct vcpu_guest_context, gs_base), 0x0000800000000000ULL },
        { "VCPUOP_initialise: non-canonical event callback",
          offsetof(struct vcpu_guest_context, event_callback), 0x0000800000000000ULL },
        { "VCPUOP_initialise: hypervisor event callback",
          offsetof(struct vcpu_guest_context, event_callback), 0xffffffff80000000ULL },
        { "VCPUOP_initialise: RSP at the non-canonical guest end",
          offsetof(struct vcpu_guest_context, rsp), 0x0000800000000000ULL },
        { "VCPUOP_initialise: non-canonical RIP",
          offsetof(struct vcpu_guest_context, rip), 0x0000800000000000ULL },
    };
    struct vcpu_guest_context c;
    void *stack = alloc_page();

    if (smp_nr_vcpus() < ARRAY_SIZE(bad) + 2 || !stack) {
        result("vCPU context cases", false, "need %u vCPUs (vcpus in iso.cfg) and a page: "
               "%u vCPUs", (unsigned)ARRAY_SIZE(bad) + 2, smp_nr_vcpus());
        return;
    }
    for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
        good_context(&c, stack);
        memcpy((char *)&c + bad[i].off, &bad[i].val, sizeof(uint64_t));
        EXPECT(bad[i].name, hv_vcpu_op(VCPUOP_initialise, 1 + i, &c), EINVAL);
    }
    /* The checks refuse only what faults: this one is taken (the vCPU stays down). */
    good_context(&c, stack);
    c.fs_base = 0xffff800000000000ULL;      /* canonical: harmless to load */
    {
        long rc = hv_vcpu_op(VCPUOP_initialise, 1 + ARRAY_SIZE(bad), &c);
        result("VCPUOP_initialise: a sane context is accepted", rc == 0, "returned %ld %s",
               rc, rc < 0 ? errno_name(rc) : "");
    }
}

/* ---- memory reservations ---- */

static void reservation_cases(void)
{
    static uint64_t mfns[64];
    hv_domid_t self = DOMID_SELF;
    long cur = hv_memory_op(XENMEM_current_reservation, &self);
    long max = hv_memory_op(XENMEM_maximum_reservation, &self);
    struct xen_memory_reservation r = { .extent_start = (uintptr_t)mfns,
                                        .nr_extents = ARRAY_SIZE(mfns), .domid = DOMID_SELF };
    long got, after;

    got = hv_memory_op(XENMEM_increase_reservation, &r);
    after = hv_memory_op(XENMEM_current_reservation, &self);
    result("increase_reservation stops at max_pages",
           cur >= 0 && max >= cur && after <= max && (got < 0 || got <= max - cur),
           "pages %ld -> %ld, max %ld, got %ld", cur, after, max, got);
    if (got > 0) {
        r.nr_extents = (uint64_t)got;
        hv_memory_op(XENMEM_decrease_reservation, &r);
    }
    /* An MFN array whose end wraps past 2^64: refused before anything is allocated. */
    r = (struct xen_memory_reservation){ .extent_start = 0xfffffffffffffff8ULL,
                                         .nr_extents = 2, .domid = DOMID_SELF };
    EXPECT("increase_reservation with a wrapping MFN array",
           hv_memory_op(XENMEM_increase_reservation, &r), EFAULT);
    r = (struct xen_memory_reservation){ .extent_start = GUEST_VIRT_END - 8,
                                         .nr_extents = 2, .domid = DOMID_SELF };
    EXPECT("increase_reservation with an MFN array past the guest end",
           hv_memory_op(XENMEM_increase_reservation, &r), EFAULT);
}

void value_cases(void)
{
    timer_cases();
    context_cases();
    reservation_cases();
}
