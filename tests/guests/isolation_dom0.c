/* The isolation tests' dom0 side: run as dom0 (booted as the only module), it passes
 * the hypervisor values from dom0's own hypercalls that must be refused however
 * privileged the caller, because loading them would fault in ring 0 on real hardware
 * or let a domain drain the machine: vCPU contexts through DOMCTL_setvcpucontext and
 * max_pages through createdomain and max_mem. Reports like isolation.c; main returns
 * the failure count, so a failure also shows as a dom0 crash. */
#include "isolation.h"

#define NR_VCPUS 8
#define TIB_PAGES (1ULL << 28)          /* 1 TiB of 4 KiB frames */

static long domctl(uint32_t cmd, hv_domid_t dom, struct domctl *op)
{
    op->cmd = cmd;
    op->interface_version = DOMCTL_INTERFACE_VERSION;
    op->domain = dom;
    return hv_domctl(op);
}

/* rc must be 0. */
static void expect_ok(const char *name, long rc)
{
    result(name, rc == 0, "returned %ld %s", rc, rc < 0 ? errno_name(rc) : "");
}

static void max_pages_cases(hv_domid_t dom)
{
    struct domctl op;

    memset(&op, 0, sizeof(op));
    memcpy(op.u.createdomain.name, "huge", 5);
    op.u.createdomain.max_vcpus = 1;
    op.u.createdomain.max_pages = TIB_PAGES;
    EXPECT("createdomain with max_pages of 1 TiB", domctl(DOMCTL_createdomain, 0, &op),
           ENOMEM);
    memset(&op, 0, sizeof(op));
    op.u.max_mem.max_pages = TIB_PAGES;
    EXPECT("max_mem of 1 TiB", domctl(DOMCTL_max_mem, dom, &op), ENOMEM);
    op.u.max_mem.max_pages = ~0ULL;
    EXPECT("max_mem of 2^64-1 frames", domctl(DOMCTL_max_mem, dom, &op), ENOMEM);
    op.u.max_mem.max_pages = 16;
    expect_ok("max_mem of 16 frames still accepted", domctl(DOMCTL_max_mem, dom, &op));
}

/* Each bad context goes to a vCPU of its own (1..), so one wrongly accepted (the vCPU
 * then has a context for good) cannot fail the next case for the wrong reason. */
static void context_cases(hv_domid_t dom, uint64_t l4_mfn)
{
    static const struct {
        const char *name;
        size_t off;
        uint64_t val;
    } bad[] = {
        { "setvcpucontext: non-canonical FS base",
          offsetof(struct vcpu_guest_context, fs_base), 0x8000000000000000ULL },
        { "setvcpucontext: non-canonical GS base",
          offsetof(struct vcpu_guest_context, gs_base), 0x0000800000000000ULL },
        { "setvcpucontext: non-canonical event callback",
          offsetof(struct vcpu_guest_context, event_callback), 0x0000800000000000ULL },
        { "setvcpucontext: RSP at the non-canonical guest end",
          offsetof(struct vcpu_guest_context, rsp), 0x0000800000000000ULL },
        { "setvcpucontext: non-canonical RIP",
          offsetof(struct vcpu_guest_context, rip), 0x0000800000000000ULL },
    };
    const struct vcpu_guest_context good = {
        .rip = GUEST_VIRT_BASE, .rsp = GUEST_VIRT_BASE + 0x10000, .rflags = 0x202,
        .cr3_mfn = l4_mfn, .event_callback = GUEST_VIRT_BASE + 0x100,
    };
    struct domctl op;

    _Static_assert(ARRAY_SIZE(bad) + 2 <= NR_VCPUS, "a vCPU per case");
    for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
        memset(&op, 0, sizeof(op));
        op.u.vcpucontext.vcpu = 1 + i;
        op.u.vcpucontext.ctx = good;
        memcpy((char *)&op.u.vcpucontext.ctx + bad[i].off, &bad[i].val, sizeof(uint64_t));
        EXPECT(bad[i].name, domctl(DOMCTL_setvcpucontext, dom, &op), EINVAL);
    }
    /* The same context with sane values is taken (the domain stays paused). */
    memset(&op, 0, sizeof(op));
    op.u.vcpucontext.vcpu = 1 + ARRAY_SIZE(bad);
    op.u.vcpucontext.ctx = good;
    op.u.vcpucontext.ctx.fs_base = 0xffff800000000000ULL;   /* canonical */
    expect_ok("setvcpucontext: a sane context is accepted",
              domctl(DOMCTL_setvcpucontext, dom, &op));
}

int main(const struct start_info *si)
{
    struct domctl op;
    uint64_t mfn = 0;
    struct xen_memory_reservation r = { .extent_start = (uintptr_t)&mfn, .nr_extents = 1 };
    hv_domid_t dom;
    long rc;

    printf("isolation: dom0 side, domain %u, %s\n", si->domid,
           guest_is_privileged() ? "privileged" : "unprivileged");
    if (!guest_is_privileged()) {
        result("dom0 cases", false, "this guest must run as dom0");
        return (int)report_summary();
    }
    /* A paused domain with one zeroed frame: an empty L4 validates, so contexts
     * naming it fail only for the value under test. */
    memset(&op, 0, sizeof(op));
    memcpy(op.u.createdomain.name, "ctx", 4);
    op.u.createdomain.max_vcpus = NR_VCPUS;
    op.u.createdomain.max_pages = 16;
    rc = domctl(DOMCTL_createdomain, 0, &op);
    dom = op.domain;
    r.domid = dom;
    if (rc < 0 || hv_memory_op(XENMEM_increase_reservation, &r) != 1) {
        result("dom0 cases", false, "cannot create the test domain: %ld %s", rc,
               errno_name(rc));
        return (int)report_summary();
    }
    max_pages_cases(dom);
    context_cases(dom, mfn);
    memset(&op, 0, sizeof(op));
    expect_ok("destroydomain of the test domain", domctl(DOMCTL_destroydomain, dom, &op));
    return (int)report_summary();
}
