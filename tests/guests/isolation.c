/* The isolation test guest: a domU that tries, one by one, what a PV guest must not
 * be able to do, and reports each case as
 *     isolation: <case> ok (<what happened>)
 *     isolation: <case> FAILED (<what happened instead>)
 * then "isolation: N passed, N failed"; main returns the failure count, so a failure
 * also shows as a crash shutdown. A case that could take the whole machine down
 * prints "isolation: <case>: trying" first, so a silent death names its cause. Run it as an unprivileged domain: the dom0-only
 * cases are skipped (and say so) in a privileged one.
 *
 * Faulting instructions live in small assembly stubs, each followed by a label; the
 * trap handler records the vector, error code and CR2 and resumes at the label, so
 * the stub returns normally. A stub that does not fault simply reaches its label
 * with the expectation still armed, which is reported as a failure.
 *
 * The SCHEDOP_iret cases with a hand-made frame (a RIP or RSP the hypervisor must not
 * load: IRETQ faults in ring 0 on a non-canonical RIP) run last, each after a
 * "trying" line: a hypervisor that accepts such a frame leaves this domain nothing
 * sane to run, and the last line printed names the case. */
#include "fault_stub.h"
#include "isolation.h"

/* ---- faults ---- */

static volatile struct {
    bool armed;
    bool catch_db;              /* count single-step #DBs (and clear TF) */
    unsigned db_traps;
    uint64_t resume;            /* where the handler resumes */
    uint64_t rflags_or;         /* bits the handler sets in the frame's RFLAGS */
    uint64_t vector, error, cr2, rip;
} fr;

static bool iso_trap(struct guest_trap_frame *f)
{
    if (f->bf.vector == 1 && fr.catch_db) {
        fr.db_traps++;
        f->bf.rflags &= ~(1ULL << 8);
        return true;
    }
    if (!fr.armed)
        return false;           /* not ours: the runtime's default (print, crash) */
    fr.armed = false;
    fr.vector = f->bf.vector;
    fr.error = f->bf.error_code;
    fr.cr2 = f->bf.cr2;
    fr.rip = f->bf.rip;
    f->bf.rip = fr.resume;
    f->bf.rflags |= fr.rflags_or;
    return true;
}

FAULT_STUB(stub_write, "movq $0x1234, (%rdi)");
FAULT_STUB(stub_read, "movq (%rdi), %rax");
FAULT_STUB(stub_jump, "jmp *%rdi");
FAULT_STUB(stub_cli, "cli");
FAULT_STUB(stub_sti, "sti");
FAULT_STUB(stub_hlt, "hlt");
FAULT_STUB(stub_read_cr3, "mov %cr3, %rax");
FAULT_STUB(stub_write_cr3, "mov %rdi, %cr3");
FAULT_STUB(stub_wrmsr, "mov $0xc0000082, %ecx; xor %eax, %eax; xor %edx, %edx; wrmsr");
FAULT_STUB(stub_rdmsr, "mov $0xc0000082, %ecx; rdmsr");
FAULT_STUB(stub_in, "mov $0x3f8, %edx; inb %dx, %al");
FAULT_STUB(stub_out, "mov $0xe9, %edx; mov $0x41, %al; outb %al, %dx");
FAULT_STUB(stub_lgdt, "lgdt (%rsp)");
FAULT_STUB(stub_iopl, "cli\n\t.globl stub_iopl_after\nstub_iopl_after: pushfq; popq %rax");
FAULT_STUB(stub_tf, "cli\n\t.globl stub_tf_after\nstub_tf_after: pushfq; popq %rax");
FAULT_STUB(stub_raw_iret, FAULT_STUB_IRET);

/* Runs stub(arg) expecting an exception on `vector` (and CR2 == cr2 unless ~0). */
static void expect_fault(const char *name, uint64_t (*stub)(uint64_t, uint64_t, uint64_t), const char *resume,
                         uint64_t arg, unsigned vector, uint64_t cr2)
{
    fr.vector = fr.error = fr.cr2 = fr.rip = 0;
    fr.resume = (uint64_t)(uintptr_t)resume;
    fr.armed = true;
    stub(arg, 0, 0);
    if (fr.armed) {
        fr.armed = false;
        result(name, false, "no fault: the instruction ran");
    } else if (fr.vector != vector || (cr2 != ~0ULL && fr.cr2 != cr2)) {
        result(name, false, "vector %llu (%s) error %#llx cr2 %#llx, expected %s%s",
               (unsigned long long)fr.vector, trap_name(fr.vector),
               (unsigned long long)fr.error, (unsigned long long)fr.cr2, trap_name(vector),
               cr2 != ~0ULL ? " at that address" : "");
    } else {
        result(name, true, "%s error %#llx cr2 %#llx rip %#llx", trap_name(vector),
               (unsigned long long)fr.error, (unsigned long long)fr.cr2,
               (unsigned long long)fr.rip);
    }
}

#define FAULT(name, stub, arg, vector, cr2) \
    expect_fault(name, stub, stub##_resume, (uint64_t)(arg), vector, cr2)

static void fault_cases(void)
{
    const uint64_t directmap = 0xffff830000000000ULL, image = 0xffffffff80000000ULL;
    uint64_t flags;

    FAULT("write hypervisor direct map", stub_write, directmap, 14, directmap);
    FAULT("write hypervisor image", stub_write, image, 14, image);
    FAULT("read hypervisor image", stub_read, image, 14, image);
    FAULT("jump into hypervisor image", stub_jump, image, 14, image);
    FAULT("write own L4 (read-only)", stub_write, start_info->pt_base, 14,
          start_info->pt_base);
    FAULT("write unmapped page 0", stub_write, 0, 14, 0);
    FAULT("cli", stub_cli, 0, 13, ~0ULL);
    FAULT("sti", stub_sti, 0, 13, ~0ULL);
    FAULT("hlt", stub_hlt, 0, 13, ~0ULL);
    FAULT("mov %cr3, %rax", stub_read_cr3, 0, 13, ~0ULL);
    FAULT("mov %rdi, %cr3", stub_write_cr3, start_info->pt_base, 13, ~0ULL);
    FAULT("wrmsr LSTAR", stub_wrmsr, 0, 13, ~0ULL);
    FAULT("rdmsr LSTAR", stub_rdmsr, 0, 13, ~0ULL);
    FAULT("in from COM1", stub_in, 0, 13, ~0ULL);
    FAULT("out to port 0xe9", stub_out, 0, 13, ~0ULL);
    FAULT("lgdt", stub_lgdt, 0, 13, ~0ULL);

    /* A bounce frame asking for IOPL 3 must not get it. */
    extern const char stub_iopl_after[];
    fr.rflags_or = 3ULL << 12;
    fr.resume = (uint64_t)(uintptr_t)stub_iopl_after;
    fr.armed = true;
    flags = stub_iopl(0, 0, 0);
    fr.rflags_or = 0;
    if (fr.armed) {
        fr.armed = false;
        result("iret cannot raise IOPL", false, "cli did not fault");
    } else {
        result("iret cannot raise IOPL", ((flags >> 12) & 3) == 0, "RFLAGS %#llx after an "
               "iret frame with IOPL 3", (unsigned long long)flags);
    }

    /* TF is ring 3's to set (POPF can), so an iret frame may carry it: the next
     * instruction single-steps into our #DB handler, which must not itself be
     * single-stepped (that once repeated until the stack ran out). */
    extern const char stub_tf_after[];
    fr.rflags_or = 1ULL << 8;
    fr.resume = (uint64_t)(uintptr_t)stub_tf_after;
    fr.db_traps = 0;
    fr.catch_db = true;
    fr.armed = true;
    flags = stub_tf(0, 0, 0);
    fr.catch_db = false;
    fr.rflags_or = 0;
    if (fr.armed) {
        fr.armed = false;
        result("iret with TF: one single-step trap", false, "cli did not fault");
    } else {
        /* Where the trap lands (before or after PUSHFQ) differs between CPUs and
         * QEMU, so RFLAGS is only shown; one trap, and we are still alive. */
        result("iret with TF: one single-step trap", fr.db_traps == 1,
               "RFLAGS %#llx and %u single-step traps after an iret frame with TF",
               (unsigned long long)flags, fr.db_traps);
    }
}

/* One iret frame the hypervisor must refuse with -EINVAL, leaving us where we were
 * (docs/security.md: a bad frame is an error to the caller, not a crash). */
static void iret_refused(const char *name, uint64_t rip, uint64_t rsp)
{
    long rc;

    printf("isolation: %s: trying\n", name);
    fr.vector = fr.error = fr.cr2 = fr.rip = 0;
    fr.resume = (uint64_t)(uintptr_t)stub_raw_iret_resume;
    fr.armed = true;
    rc = (long)stub_raw_iret(rip, rsp, 0);
    if (fr.armed) {
        fr.armed = false;
        EXPECT(name, rc, EINVAL);
    } else {
        result(name, false, "%s bounced instead, error %#llx rip %#llx", trap_name(fr.vector),
               (unsigned long long)fr.error, (unsigned long long)fr.rip);
    }
}

/* Last: on a hypervisor that loads these frames, this domain cannot go on. */
static void iret_cases(void)
{
    iret_refused("iret to a non-canonical RIP", 0x0000800000000000ULL, 0);
    iret_refused("iret to a hypervisor RIP", 0xffffffff80000000ULL, 0);
    iret_refused("iret with a non-canonical RSP", (uintptr_t)stub_raw_iret_resume,
                 0x0000800000000000ULL);
}

/* ---- memory and page tables ---- */

static bool own_mfn(uint64_t mfn)
{
    return mfn_to_pfn(mfn) != ~0ULL;
}

/* update_va_mapping of scratch to mfn must fail and leave the mapping alone. */
static void expect_no_map(const char *name, uint64_t scratch, uint64_t mfn, uint64_t flags)
{
    uint64_t before = l1e_of(scratch);
    long rc = hv_update_va_mapping(scratch, (mfn << PAGE_SHIFT) | PTE_P | PTE_U | flags,
                                   UVMF_INVLPG);
    uint64_t after = l1e_of(scratch);

    if (own_mfn(mfn)) {
        result(name, false, "test error: mfn %#llx is ours", (unsigned long long)mfn);
        return;
    }
    if (rc >= 0 || after != before)
        result(name, false, "returned %ld, entry %#llx -> %#llx", rc,
               (unsigned long long)before, (unsigned long long)after);
    else
        result(name, true, "%ld %s, entry unchanged", rc, errno_name(rc));
}

static void mm_cases(void)
{
    const struct start_info *si = start_info;
    uint64_t *scratch = alloc_page(), *data = alloc_page();
    uint64_t sva = (uintptr_t)scratch, l4_mfn = virt_to_mfn((void *)(uintptr_t)si->pt_base);
    uint64_t l1_mfn = pfn_to_mfn(virt_to_pfn((void *)(uintptr_t)si->pt_base) +
                                 si->nr_pt_frames - 1);
    uint64_t min = ~0ULL, max = 0, done = 0, ma;
    const uint64_t *e;
    struct mmu_update u;
    struct mmuext_op op;

    if (!scratch || !data) {
        result("memory cases", false, "no free pages for the test");
        return;
    }
    for (uint64_t p = 0; p < si->nr_pages; p++) {
        min = MIN(min, pfn_to_mfn(p));
        max = MAX(max, pfn_to_mfn(p));
    }
    /* The shared info frame is ours too, though not in the pfn list: step over it. */
    uint64_t shinfo = (l1e_of(GUEST_SHARED_INFO_VA) & PTE_ADDR_MASK) >> PAGE_SHIFT;
    if (max + 1 == shinfo)
        max++;
    if (min - 1 == shinfo)
        min--;
    expect_no_map("map frame 0 (not ours)", sva, 0, PTE_W);
    expect_no_map("map frame 0 read-only (not ours)", sva, 0, 0);
    expect_no_map("map frame 0x100 (hypervisor image)", sva, 0x100, PTE_W);
    expect_no_map("map the frame above ours", sva, max + 1, PTE_W);
    if (min > 0)
        expect_no_map("map the frame below ours", sva, min - 1, PTE_W);
    expect_no_map("map frame 1<<30 (beyond RAM)", sva, 1ULL << 30, PTE_W);

    EXPECT_ERR("map own L4 writable at its VA",
               hv_update_va_mapping(si->pt_base, (l4_mfn << PAGE_SHIFT) | PTE_P | PTE_U | PTE_W,
                                    UVMF_INVLPG));
    EXPECT_ERR("map own L4 writable elsewhere",
               hv_update_va_mapping(sva, (l4_mfn << PAGE_SHIFT) | PTE_P | PTE_U | PTE_W,
                                    UVMF_INVLPG));
    EXPECT_ERR("map own L1 writable elsewhere",
               hv_update_va_mapping(sva, (l1_mfn << PAGE_SHIFT) | PTE_P | PTE_U | PTE_W,
                                    UVMF_INVLPG));
    result("page tables still read-only", !(l1e_of(si->pt_base) & PTE_W) &&
           (l1e_of(sva) & PTE_ADDR_MASK) == virt_to_maddr(scratch),
           "L4 entry %#llx, scratch entry %#llx", (unsigned long long)l1e_of(si->pt_base),
           (unsigned long long)l1e_of(sva));
    EXPECT_ERR("update_va_mapping of a hypervisor VA",
               hv_update_va_mapping(0xffff830000000000ULL,
                                    (virt_to_mfn(data) << PAGE_SHIFT) | PTE_P | PTE_U, 0));

    /* mmu_update: entries only in our own page tables, only sane values. */
    u.ptr = virt_to_maddr(data) | MMU_NORMAL_PT_UPDATE;
    u.val = 0;
    EXPECT_ERR("mmu_update into a data page", hv_mmu_update(&u, 1, &done, DOMID_SELF));
    u.ptr = 0x1000 | MMU_NORMAL_PT_UPDATE;
    EXPECT_ERR("mmu_update into frame 1 (not ours)", hv_mmu_update(&u, 1, &done, DOMID_SELF));
    u.ptr = (si->pt_base ? virt_to_maddr((void *)(uintptr_t)si->pt_base) : 0) + 256 * 8;
    u.val = (virt_to_mfn(data) << PAGE_SHIFT) | PTE_P | PTE_U | PTE_W;
    EXPECT_ERR("mmu_update of L4 slot 256 (hypervisor's)",
               hv_mmu_update(&u, 1, &done, DOMID_SELF));
    if (pt_l1e(sva, false, &e, &ma) == 0) {
        u.ptr = ma | MMU_NORMAL_PT_UPDATE;
        u.val = (l4_mfn << PAGE_SHIFT) | PTE_P | PTE_U | PTE_W;
        EXPECT_ERR("mmu_update: L1 entry mapping our L4 writable",
                   hv_mmu_update(&u, 1, &done, DOMID_SELF));
        u.val = (virt_to_mfn(data) << PAGE_SHIFT) | PTE_P | PTE_U | PTE_W;
        if (!guest_is_privileged())
            EXPECT("mmu_update: foreign mapping as a domU",
                   hv_mmu_update(&u, 1, &done, 0), EPERM, EINVAL, ESRCH);
    }
    /* A superpage in the first L2, at the last 2 MiB below 1 GiB (unused). */
    {
        const uint64_t *l4 = (const uint64_t *)(uintptr_t)si->pt_base;
        const uint64_t *l3 = pfn_to_virt(mfn_to_pfn((l4[0] & PTE_ADDR_MASK) >> PAGE_SHIFT));
        const uint64_t *l2 = pfn_to_virt(mfn_to_pfn((l3[0] & PTE_ADDR_MASK) >> PAGE_SHIFT));

        u.ptr = virt_to_maddr(&l2[511]) | MMU_NORMAL_PT_UPDATE;
        u.val = ((virt_to_mfn(data) & ~511ULL) << PAGE_SHIFT) | PTE_P | PTE_U | PTE_W | PTE_PS;
        EXPECT_ERR("mmu_update: a 2 MiB superpage", hv_mmu_update(&u, 1, &done, DOMID_SELF));
    }
    op = (struct mmuext_op){ .cmd = MMUEXT_NEW_BASEPTR, .arg = virt_to_mfn(data) };
    EXPECT_ERR("new_baseptr to a writable data page", hv_mmuext_op(&op, 1, &done, DOMID_SELF));
    /* Frame 0 once meant "no page tables" to the hypervisor: CR3 = 0, machine reset. */
    printf("isolation: new_baseptr to frame 0 (not ours): trying\n");
    op = (struct mmuext_op){ .cmd = MMUEXT_NEW_BASEPTR, .arg = 0 };
    EXPECT_ERR("new_baseptr to frame 0 (not ours)", hv_mmuext_op(&op, 1, &done, DOMID_SELF));
    op = (struct mmuext_op){ .cmd = MMUEXT_PIN_L1_TABLE, .arg = virt_to_mfn(data) };
    EXPECT_ERR("pin a writable data page as L1", hv_mmuext_op(&op, 1, &done, DOMID_SELF));
    /* Our data page must still be ours and writable. */
    data[0] = 42;
    result("data page intact", data[0] == 42 && (l1e_of((uintptr_t)data) & PTE_W),
           "entry %#llx", (unsigned long long)l1e_of((uintptr_t)data));
}

/* ---- hypercalls: privilege, pointers, counts, numbers ---- */

static void privilege_cases(void)
{
    struct domctl dc = { .cmd = DOMCTL_getdomaininfo,
                         .interface_version = DOMCTL_INTERFACE_VERSION, .domain = 0 };
    struct sysctl sc = { .cmd = SYSCTL_physinfo, .interface_version = SYSCTL_INTERFACE_VERSION };
    struct evtchn_alloc_unbound au = { .dom = 0, .remote_dom = DOMID_SELF };
    uint64_t mfn = 0;
    struct xen_memory_reservation mr = { .extent_start = (uintptr_t)&mfn, .nr_extents = 1,
                                         .domid = 0 };
    char c;

    if (guest_is_privileged()) {
        printf("isolation: dom0-only cases skipped (this domain is privileged)\n");
        return;
    }
    EXPECT("domctl getdomaininfo", hv_domctl(&dc), EPERM);
    dc.cmd = DOMCTL_destroydomain;
    EXPECT("domctl destroydomain dom0", hv_domctl(&dc), EPERM);
    EXPECT("sysctl physinfo", hv_sysctl(&sc), EPERM);
    EXPECT("console_io read", hv_console_io(CONSOLEIO_read, 1, &c), EPERM);
    EXPECT("memory_op for dom0", hv_memory_op(XENMEM_increase_reservation, &mr), EPERM);
    EXPECT("alloc_unbound in dom0", hv_event_channel_op(EVTCHNOP_alloc_unbound, &au), EPERM);
}

static void pointer_cases(void)
{
    const uint64_t hv = 0xffff830000000000ULL, unmapped = 0x0000700000000000ULL;
    struct vcpu_runstate_info *ro = (void *)(uintptr_t)start_info->pt_base;

    EXPECT("console_io write NULL", hv_console_io(CONSOLEIO_write, 16, NULL), EFAULT);
    EXPECT("console_io write hypervisor address",
           hv_console_io(CONSOLEIO_write, 16, (void *)hv), EFAULT);
    EXPECT("console_io write unmapped", hv_console_io(CONSOLEIO_write, 16, (void *)unmapped),
           EFAULT);
    EXPECT("console_io buffer crossing the guest end",
           hv_console_io(CONSOLEIO_write, 0x1000, (void *)(GUEST_VIRT_END - 0x800)), EFAULT);
    EXPECT("event_channel_op NULL", hv_event_channel_op(EVTCHNOP_alloc_unbound, NULL), EFAULT);
    EXPECT("event_channel_op hypervisor address",
           hv_event_channel_op(EVTCHNOP_send, (void *)hv), EFAULT);
    EXPECT("sched_op poll NULL", hv_sched_op(SCHEDOP_poll, NULL), EFAULT);
    EXPECT("sched_op shutdown NULL", hv_sched_op(SCHEDOP_shutdown, NULL), EFAULT);
    EXPECT("vcpu_op runstate into a read-only page",
           hv_vcpu_op(VCPUOP_get_runstate_info, 0, ro), EFAULT);
    EXPECT("vcpu_op runstate to hypervisor address",
           hv_vcpu_op(VCPUOP_get_runstate_info, 0, (void *)hv), EFAULT);
    EXPECT("mmu_update NULL", hv_mmu_update(NULL, 1, NULL, DOMID_SELF), EFAULT);
    EXPECT("mmuext_op NULL", hv_mmuext_op(NULL, 1, NULL, DOMID_SELF), EFAULT);
    EXPECT("multicall NULL", hv_multicall(NULL, 1), EFAULT);
    EXPECT("memory_op NULL", hv_memory_op(XENMEM_increase_reservation, NULL), EFAULT);
    EXPECT("memory_op current_reservation into hypervisor",
           hv_memory_op(XENMEM_current_reservation, (void *)hv), EFAULT);
    EXPECT("set_trap_table hypervisor address",
           hv_set_trap_table((const struct trap_info *)hv), EFAULT);
}

static void count_cases(void)
{
    static struct multicall_entry mc[2];
    static struct trap_info tt[300];
    struct mmu_update u = { 0, 0 };
    struct mmuext_op op = { .cmd = MMUEXT_TLB_FLUSH_LOCAL };
    evtchn_port_t port = 1;
    struct sched_poll poll = { .ports = (uintptr_t)&port, .nr_ports = 0xffffffffu };
    const uint64_t huge = 1ULL << 40;

    EXPECT("mmu_update count 1<<40", hv_mmu_update(&u, huge, NULL, DOMID_SELF), E2BIG, EINVAL,
           EFAULT);
    EXPECT("mmuext_op count 1<<40", hv_mmuext_op(&op, huge, NULL, DOMID_SELF), E2BIG, EINVAL,
           EFAULT);
    EXPECT("multicall count 1<<40", hv_multicall(mc, huge), E2BIG, EINVAL, EFAULT);
    EXPECT("multicall count ~0", hv_multicall(mc, ~0ULL), E2BIG, EINVAL, EFAULT);
    EXPECT("console_io count 1<<40", hv_console_io(CONSOLEIO_write, huge, "x"), E2BIG, EINVAL,
           EFAULT);
    EXPECT("console_io count ~0", hv_console_io(CONSOLEIO_write, ~0ULL, "x"), E2BIG, EINVAL,
           EFAULT);
    EXPECT("sched_op poll nr_ports ~0", hv_sched_op(SCHEDOP_poll, &poll), E2BIG, EINVAL,
           EFAULT);

    /* Multicall entries that must not run. */
    mc[0] = (struct multicall_entry){ .op = HYPERVISOR_multicall,
                                      .args = { (uintptr_t)&mc[1], 1 } };
    mc[1] = (struct multicall_entry){ .op = HYPERVISOR_sched_op, .args = { SCHEDOP_iret } };
    {
        long rc = hv_multicall(mc, 2);

        result("multicall: nested multicall and iret refused",
               rc == 0 && mc[0].result < 0 && mc[1].result < 0,
               "returned %ld, entries %lld %lld", rc, (long long)mc[0].result,
               (long long)mc[1].result);
    }
    /* A trap table with no end marker (300 copies of our own #GP entry). */
    for (unsigned i = 0; i < ARRAY_SIZE(tt); i++) {
        extern void guest_bounce_entry(void);

        tt[i] = (struct trap_info){ .vector = 13,
                                    .address = (uintptr_t)guest_bounce_entry };
    }
    EXPECT("set_trap_table without an end marker", hv_set_trap_table(tt), E2BIG, EINVAL);
    tt[0] = (struct trap_info){ .vector = 40, .address = tt[1].address };
    EXPECT("set_trap_table vector 40", hv_set_trap_table(tt), EINVAL);
    tt[0] = (struct trap_info){ .vector = 14, .address = 0xffffffff80000000ULL };
    EXPECT("set_trap_table hypervisor handler", hv_set_trap_table(tt), EINVAL);
    EXPECT("set_callbacks hypervisor address", hv_set_callbacks(0xffffffff80000000ULL, 0),
           EINVAL);
}

static void number_cases(void)
{
    struct evtchn_send send = { .port = NR_EVENT_CHANNELS + 7 };
    struct evtchn_unmask unmask = { .port = 0xffffffffu };
    struct evtchn_bind_virq bv = { .virq = 99, .vcpu = 0 };
    struct evtchn_bind_interdomain bi = { .remote_dom = 999, .remote_port = 1 };

    EXPECT("hypercall 2 (unassigned)", hypercall5(2, 0, 0, 0, 0, 0), ENOSYS);
    EXPECT("hypercall 47", hypercall5(47, 0, 0, 0, 0, 0), ENOSYS);
    EXPECT("hypercall NR_HYPERCALLS", hypercall5(NR_HYPERCALLS, 0, 0, 0, 0, 0), ENOSYS);
    EXPECT("hypercall 1<<32", hypercall5(1ULL << 32, 0, 0, 0, 0, 0), ENOSYS);
    EXPECT("hypercall ~0", hypercall5(~0ULL, 0, 0, 0, 0, 0), ENOSYS);
    EXPECT("sched_op command 99", hv_sched_op(99, NULL), ENOSYS, EINVAL);
    EXPECT("event_channel_op command 99", hv_event_channel_op(99, &send), ENOSYS, EINVAL);
    EXPECT("evtchn send to port 1031", hv_event_channel_op(EVTCHNOP_send, &send), EINVAL,
           ENOENT);
    EXPECT("evtchn unmask port ~0", hv_event_channel_op(EVTCHNOP_unmask, &unmask), EINVAL,
           ENOENT);
    EXPECT("evtchn bind_virq 99", hv_event_channel_op(EVTCHNOP_bind_virq, &bv), EINVAL);
    bv = (struct evtchn_bind_virq){ .virq = VIRQ_TIMER, .vcpu = 99 };
    EXPECT("evtchn bind_virq vCPU 99", hv_event_channel_op(EVTCHNOP_bind_virq, &bv), EINVAL,
           ENOENT, ESRCH);
    EXPECT("evtchn bind to domain 999", hv_event_channel_op(EVTCHNOP_bind_interdomain, &bi),
           ESRCH, EINVAL, ENOENT);
    EXPECT("vcpu_op on vCPU 99", hv_vcpu_op(VCPUOP_is_up, 99, NULL), EINVAL, ENOENT, ESRCH);
}

int main(const struct start_info *si)
{
    for (unsigned v = 0; v < 32; v++)
        trap_set_handler(v, iso_trap);
    printf("isolation: domain %u, %llu pages, %s\n", si->domid,
           (unsigned long long)si->nr_pages,
           guest_is_privileged() ? "privileged" : "unprivileged");
    fault_cases();
    mm_cases();
    privilege_cases();
    pointer_cases();
    count_cases();
    number_cases();
    value_cases();
    iret_cases();
    return (int)report_summary();
}
