/* The hypercall fuzzer's generators: one random call per family, with arguments from
 * pools of good and boundary values (our arena, sandbox page-table frames, our own
 * page tables, frames that are not ours, hypervisor and non-canonical addresses,
 * huge counts and sizes).
 *
 * Containment: a call may change only what the fuzzer can lose. Out-pointers go to
 * the arena or to addresses we cannot write; page-table updates go to the sandbox
 * frames, our L4's sandbox slot, the window's L1, or targets that must be
 * refused (data frames, hypervisor slots); NEW_BASEPTR only to our own L4 or frames
 * that must be refused; the trap table and callbacks only to the runtime's own entry
 * or bad values; no shutdown, no SCHEDOP_block (our timer port may be closed by then),
 * no VCPUOP_down on vCPU 0. Everything else is fair game. The memory families live in
 * hcfuzz_mm.c. */
#include "hcfuzz.h"


void guest_bounce_entry(void);          /* the runtime's entry (guest/entry.S) */

/* Where vCPU 1 starts and takes events: it takes itself down again at once, without
 * touching memory, so whatever state the fuzzer gave it cannot hurt vCPU 0. */
void fz_park(void);
_Static_assert(VCPUOP_down == 2 && HYPERVISOR_vcpu_op == 24, "fz_park hard-codes them");
asm(".pushsection .text\n.globl fz_park\n.type fz_park, @function\nfz_park:\n\t"
    "mov $2, %edi; mov $1, %esi; mov $24, %eax\n\t"   /* VCPUOP_down, vCPU 1, vcpu_op */
    "syscall\n\tjmp fz_park\n.size fz_park, . - fz_park\n.popsection\n");

void *fz_alloc(uint64_t n)
{
    uint64_t off = (fz.arena_used + 7) & ~7ULL;

    if (off + n > FZ_ARENA_PAGES * PAGE_SIZE)
        off = 0;        /* cannot happen with today's generators; overlap is harmless */
    fz.arena_used = off + n;
    return fz.arena + off;
}

uint64_t fz_bad_ptr(void)
{
    const uint64_t end = (uint64_t)(uintptr_t)fz.arena + FZ_ARENA_PAGES * PAGE_SIZE;
    const uint64_t pool[] = {
        0, 8, 0x1000, HV_DIRECTMAP, HV_IMAGE, HV_IMAGE + 0x1234, NONCANON, ~0ULL,
        0xffff800000000000ULL, GUEST_VIRT_END - 8, GUEST_VIRT_END - 1,
        end - 4,                                /* crosses into the unmapped page */
        end,                                    /* the unmapped page itself */
        0x0000700000000000ULL,                  /* unmapped user address */
        0, /* replaced below: our L4 (read-only) */
    };
    uint64_t i = fz_below(ARRAY_SIZE(pool));

    return i == ARRAY_SIZE(pool) - 1 ? start_info->pt_base : pool[i];
}

uint64_t fz_kernel_ptr(void)
{
    const uint64_t pool[] = { HV_DIRECTMAP, HV_IMAGE, HV_IMAGE + 0x1234, NONCANON, ~0ULL,
                              0xffff800000000000ULL, 0xfffffffffffff000ULL };

    return FZ_PICK(pool);
}

uint64_t fz_ptr(void *good)
{
    return good && fz_chance(80) ? (uint64_t)(uintptr_t)good : fz_bad_ptr();
}

uint64_t fz_count(uint64_t sane_max)
{
    const uint64_t pool[] = { 0, 1, 2, 63, 64, 65, 511, 512, 513, 4096, 4097,
                              1ULL << 31, 1ULL << 32, 1ULL << 40, 1ULL << 63, ~0ULL };

    return fz_chance(70) ? fz_below(sane_max + 1) : FZ_PICK(pool);
}

static uint64_t deadline(void)
{
    uint64_t now = guest_now_ns();
    const uint64_t sane[] = { 0, 1, now, now - 1000, now + 1000, now + 100000,
                              now + 1000000, now + 1000000000ULL };
    const uint64_t huge[] = { 1ULL << 62, 1ULL << 63, 0x8000000000000001ULL, ~0ULL,
                              (uint64_t)-1000000, now + (1ULL << 62) };

    if (!(fz.skip & FZ_TIMER) && fz_chance(10))
        return FZ_PICK(huge);
    return FZ_PICK(sane);
}

static void gen_timer(struct fz_call *c)
{
    c->what = "set_timer_op";
    c->op = HYPERVISOR_set_timer_op;
    c->args[0] = deadline();
}

static void gen_vcpu_op(struct fz_call *c)
{
    const unsigned cmds[] = { VCPUOP_initialise, VCPUOP_up, VCPUOP_down, VCPUOP_is_up,
                              VCPUOP_get_runstate_info, VCPUOP_set_singleshot_timer,
                              VCPUOP_stop_singleshot_timer, 5, 99 };
    const unsigned vcpus[] = { 0, 0, 0, 1, 1, 1, 2, 31, 32, 99, 0xffffffffu };
    unsigned cmd = FZ_PICK(cmds), vcpu = FZ_PICK(vcpus);
    void *arg = fz_alloc(sizeof(struct vcpu_guest_context));

    if (cmd == VCPUOP_down && vcpu == 0)
        vcpu = 1;                           /* not ourselves */
    if (cmd == VCPUOP_set_singleshot_timer)
        *(uint64_t *)arg = deadline();
    if (cmd == VCPUOP_initialise) {
        /* Only vCPU 1 (of our 2) can take a context: it must start in fz_park, on a
         * stack we can spare, on our own L4; anything else must be refused. */
        struct vcpu_guest_context *g = arg;
        bool canon = !(fz.skip & FZ_CANON) && fz_chance(20);

        *g = (struct vcpu_guest_context){
            .rip = fz_chance(70) ? (uintptr_t)fz_park : fz_kernel_ptr(),
            .rsp = fz_chance(70) ? (uint64_t)(uintptr_t)fz.arena + PAGE_SIZE : fz_kernel_ptr(),
            /* Never TF: vCPU 1 has no trap table, so its first instruction would
             * crash the fuzzer with a #DB the hypervisor rightly bounces to it. */
            .rflags = fz_chance(50) ? 0x202 : fz_rand() & ~0x100ULL,
            .cr3_mfn = fz_chance(70) ? fz.l4_mfn : fz.max_mfn + 1 + fz_below(4),
            .fs_base = fz_chance(50) ? 0 : fz_rand() & (NONCANON - 1),
            .gs_base = fz_chance(50) ? 0 : fz_rand() & (NONCANON - 1),
            .event_callback = fz_chance(70) ? (uintptr_t)fz_park : fz_kernel_ptr(),
        };
        if (fz_chance(5))
            g->cr3_mfn = virt_to_mfn(fz.arena);        /* writable: refused */
        if (canon) {
            const uint64_t nc = NONCANON + (fz_rand() & 0xffff);

            switch (fz_below(3)) {
            case 0: g->fs_base = nc; break;
            case 1: g->gs_base = nc; break;
            default: g->rsp = nc; break;
            }
        }
    }
    c->what = "vcpu_op";
    c->op = HYPERVISOR_vcpu_op;
    c->args[0] = fz_chance(95) ? cmd : fz_rand();
    c->args[1] = vcpu;
    c->args[2] = fz_ptr(arg);
}

static uint32_t port(void)
{
    const uint32_t pool[] = { 0, NR_EVENT_CHANNELS - 1, NR_EVENT_CHANNELS, 65535, ~0u };

    return fz_chance(85) ? (uint32_t)fz_below(24) : FZ_PICK(pool);
}

static hv_domid_t domid(void)
{
    const hv_domid_t pool[] = { DOMID_SELF, 0, 1, 2, 3, DOMID_XEN, DOMID_INVALID, 0x7ff1,
                                999, 0xffff };

    return fz_chance(60) ? DOMID_SELF : FZ_PICK(pool);
}

static void gen_evtchn(struct fz_call *c)
{
    const unsigned cmds[] = { EVTCHNOP_bind_interdomain, EVTCHNOP_bind_virq, EVTCHNOP_close,
                              EVTCHNOP_send, EVTCHNOP_send, EVTCHNOP_status,
                              EVTCHNOP_alloc_unbound, EVTCHNOP_unmask, 2, 7, 99 };
    unsigned cmd = FZ_PICK(cmds);
    uint32_t *a = fz_alloc(sizeof(struct evtchn_status));

    a[0] = (uint32_t)fz_rand();
    a[1] = (uint32_t)fz_rand();
    a[2] = (uint32_t)fz_rand();
    a[3] = (uint32_t)fz_rand();
    switch (cmd) {
    case EVTCHNOP_bind_interdomain:
        *(struct evtchn_bind_interdomain *)a =
            (struct evtchn_bind_interdomain){ .remote_dom = domid(), .remote_port = port() };
        break;
    case EVTCHNOP_bind_virq:
        *(struct evtchn_bind_virq *)a = (struct evtchn_bind_virq){
            .virq = (uint32_t)(fz_chance(80) ? fz_below(NR_VIRQS + 1) : fz_rand()),
            .vcpu = (uint32_t)(fz_chance(80) ? 0 : fz_below(40)) };
        break;
    case EVTCHNOP_alloc_unbound:
        *(struct evtchn_alloc_unbound *)a =
            (struct evtchn_alloc_unbound){ .dom = domid(), .remote_dom = domid() };
        break;
    case EVTCHNOP_status:
        *(struct evtchn_status *)a = (struct evtchn_status){ .dom = domid(), .port = port() };
        break;
    default:        /* close, send, unmask: a port first */
        a[0] = port();
        break;
    }
    c->what = "event_channel_op";
    c->op = HYPERVISOR_event_channel_op;
    c->args[0] = fz_chance(95) ? cmd : fz_rand();
    c->args[1] = fz_ptr(a);
}

static void gen_sched_op(struct fz_call *c)
{
    c->what = "sched_op";
    c->op = HYPERVISOR_sched_op;
    switch (fz_below(6)) {
    case 0: {           /* poll: a short, bounded wait on a few ports */
        uint32_t *ports = fz_alloc(4 * sizeof(uint32_t));
        struct sched_poll *p = fz_alloc(sizeof(*p));

        for (unsigned i = 0; i < 4; i++)
            ports[i] = port();
        *p = (struct sched_poll){ .ports = fz_ptr(ports),
                                  .nr_ports = (uint32_t)(fz_chance(80) ? fz_below(5) : fz_count(4)),
                                  .timeout_ns = (int64_t)(guest_now_ns() + fz_below(200000)) };
        c->args[0] = SCHEDOP_poll;
        c->args[1] = fz_ptr(p);
        c->nomc = true;
        break;
    }
    case 1:             /* shutdown: only where the reason cannot be read */
        c->args[0] = SCHEDOP_shutdown;
        c->args[1] = fz_chance(20) ? 0 : fz_kernel_ptr();
        break;
    case 2: {           /* our own iret frame, through the stub */
        /* A RIP or RSP outside our half ends the domain (pv_iret): not here. */
        const uint64_t rips[] = { fz.iret_resume, fz.iret_resume, 0, 0x700000000000ULL };

        c->what = "sched_op iret";
        c->raw_iret = true;
        c->nomc = true;
        c->args[0] = FZ_PICK(rips);
        c->args[1] = 0;
        /* Not TF, DF, AC: our C code after the stub assumes them clear. */
        c->args[2] = fz_chance(50) ? 0x202 : (fz_rand() & ~0x40500ULL);
        break;
    }
    case 3:
        c->args[0] = SCHEDOP_yield;
        break;
    default:
        c->args[0] = fz_chance(80) ? 5 + fz_below(10) : fz_rand();     /* unknown */
        c->args[1] = fz_ptr(fz_alloc(64));
        break;
    }
}

static void gen_misc(struct fz_call *c)
{
    switch (fz_below(9)) {
    case 0: {
        char *s = fz_alloc(16);

        memset(s, '\n', 16);       /* any length ends its line: the log stays parseable */
        c->what = "console_io";
        c->op = HYPERVISOR_console_io;
        c->args[0] = fz_chance(90) ? fz_below(3) : fz_rand();
        /* Only newlines reach the console, or nothing: the log stays readable. */
        c->args[1] = fz_chance(90) ? fz_below(17)
                                   : FZ_PICK(((uint64_t[]){ CONSOLEIO_MAX + 1, 1ULL << 32,
                                                            ~0ULL }));
        c->args[2] = fz_chance(80) ? (uint64_t)(uintptr_t)s : fz_kernel_ptr();
        break;
    }
    case 1: {           /* the runtime's own table again, or a bad one */
        struct trap_info *t = fz_alloc(5 * sizeof(*t));

        /* Address 0 removes a handler, a user address installs one: only ours. */
        for (unsigned i = 0; i < 4; i++)
            t[i] = (struct trap_info){ .vector = (uint8_t)(fz_chance(80) ? 14 : fz_rand()),
                                       .address = (uintptr_t)guest_bounce_entry };
        if (fz_chance(30))
            t[fz_below(4)].address = fz_kernel_ptr();
        t[fz_chance(50) ? 3 : fz_below(4)] = (struct trap_info){ .vector = TRAP_TABLE_END };
        t[4] = (struct trap_info){ .vector = TRAP_TABLE_END };
        c->what = "set_trap_table";
        c->op = HYPERVISOR_set_trap_table;
        /* Not NULL (may mean "no table") nor our L4 (its entries would read as a
         * table of handlers at user addresses). */
        c->args[0] = fz_chance(80) ? (uint64_t)(uintptr_t)t : fz_kernel_ptr();
        break;
    }
    case 2:
        c->what = "set_callbacks";
        c->op = HYPERVISOR_set_callbacks;
        c->args[0] = fz_chance(50) ? (uintptr_t)guest_bounce_entry : fz_kernel_ptr();
        c->args[1] = fz_chance(50) ? 0 : fz_kernel_ptr();
        break;
    case 3: case 4: {   /* privileged: every command must be refused to a domU */
        uint32_t *op = fz_alloc(256);

        for (unsigned i = 0; i < 64; i++)
            op[i] = (uint32_t)fz_rand();
        op[0] = (uint32_t)fz_below(40);
        op[1] = fz_chance(80) ? (fz_below(2) ? DOMCTL_INTERFACE_VERSION
                                              : SYSCTL_INTERFACE_VERSION) : op[1];
        c->what = fz_below(2) ? "domctl" : "sysctl";
        c->op = c->what[0] == 'd' ? HYPERVISOR_domctl : HYPERVISOR_sysctl;
        c->args[0] = fz_ptr(op);
        break;
    }
    case 5:
        c->what = "trace_op";
        c->op = HYPERVISOR_trace_op;
        c->args[0] = fz_below(12);
        c->args[1] = fz_ptr(fz_alloc(64));
        c->args[2] = fz_count(64);
        break;
    case 6:
        c->what = "version";
        c->op = HYPERVISOR_version;
        c->args[0] = fz_rand();
        break;
    default: {          /* numbers no handler has */
        const uint64_t nrs[] = { 2, 3, 5, 11, 16, 47, NR_HYPERCALLS, 255, 1ULL << 32, ~0ULL };

        c->what = "unassigned";
        c->op = FZ_PICK(nrs);
        for (unsigned i = 0; i < 5; i++)
            c->args[i] = fz_rand();
        break;
    }
    }
}

static void gen_multicall(struct fz_call *c);

/* Families, weighted by how much state they can reach. */
static void (*const families[])(struct fz_call *) = {
    fz_gen_mmu_update, fz_gen_mmu_update, fz_gen_mmu_update, fz_gen_mmuext_op, fz_gen_mmuext_op,
    fz_gen_update_va_mapping, fz_gen_update_va_mapping, fz_gen_memory_op, fz_gen_memory_op,
    gen_timer, gen_vcpu_op, gen_evtchn, gen_evtchn, gen_evtchn, gen_sched_op,
    gen_misc, gen_misc, gen_multicall,
    fz_gen_gnttab,                      /* grant tables (issue 11): hcfuzz_gnttab.c */
};

static void gen_multicall(struct fz_call *c)
{
    uint64_t n = fz_chance(90) ? 1 + fz_below(4) : fz_count(4);
    /* Room for every entry a call may read: a stale entry of op 0 and argument 0
     * would be set_trap_table(NULL), which drops our handlers. */
    struct multicall_entry *mc = fz_alloc(MULTICALL_MAX * sizeof(*mc));

    for (unsigned i = 0; i < 4; i++) {
        struct fz_call sub;

        do {
            void (*gen)(struct fz_call *) = FZ_PICK(families);

            sub = (struct fz_call){ 0 };
            if (gen != gen_multicall)
                gen(&sub);
        } while (sub.nomc || sub.op == HYPERVISOR_multicall || !sub.what);
        mc[i] = (struct multicall_entry){ .op = sub.op, .result = (int64_t)fz_rand() };
        memcpy(mc[i].args, sub.args, sizeof(mc[i].args));
    }
    for (unsigned i = 4; i < MULTICALL_MAX; i++)
        mc[i] = (struct multicall_entry){ .op = HYPERVISOR_version };
    if (fz_chance(5))       /* nested: must be refused */
        mc[fz_below(4)].op = HYPERVISOR_multicall;
    c->what = "multicall";
    c->op = HYPERVISOR_multicall;
    c->args[0] = fz_ptr(mc);
    c->args[1] = n;
}

void fz_gen_call(struct fz_call *c)
{
    *c = (struct fz_call){ 0 };
    fz.arena_used = 0;
    FZ_PICK(families)(c);
}

uint64_t fz_probe_addr(void)
{
    switch (fz_below(4)) {
    case 0:
        return fz.window_va + fz_below(512) * PAGE_SIZE + fz_below(PAGE_SIZE / 8) * 8;
    case 1:
        return ((uint64_t)FZ_SANDBOX_L4_SLOT << 39) + (fz_rand() & ((1ULL << 39) - 8));
    case 2:
        return fz_rand() & ~7ULL;
    default:
        return fz_bad_ptr() & ~7ULL;
    }
}
