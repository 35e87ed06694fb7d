/* The hypercall fuzzer guest: an unprivileged domU that makes random hypercalls with
 * random and boundary arguments (hcfuzz_ops.c) and must neither take the machine down
 * nor disturb its neighbours. Run next to a bystander (tests/scenarios/fuzz/).
 *
 * Command line (the cfg's extra = "..."):
 *   seed=N       the sequence (default 1); calls=M how many (default 10000)
 *   skip=A,B     leave out classes that reached issue 8's (fixed) defects: shinfo (the
 *                shared-info frame as a page-table or mapping value), timer (deadlines
 *                >= 2^62 or negative), canon (non-canonical FS/GS base or RSP in a vCPU
 *                context, VCPUOP_initialise of vCPU 1);
 *                skip=none (the default) leaves nothing out
 *   progress=P   a progress line every P calls (default 1000)
 *   trace=K      print every call from index K on (its family and arguments)
 *
 * Output: "fuzz: start seed=N calls=M skip=...", then every P calls
 *   "fuzz: seed=N call=K ok=A refused=B faults=F probes=R"
 * and at the end "fuzz: done seed=N calls=M ok=A refused=B faults=F probes=R tsc=T"
 * (T: TSC ticks for the run; instructions under icount, the whole machine's).
 * Oracles, at every progress line and at the end: our code and read-only data are
 * unchanged, and every present entry in our sandbox frames and window L1 maps a frame
 * of ours or one the hypervisor shares with us: shared info, our grant table
 * (check_tables); after every poll: it did not outlast its timeout by a
 * second (check_poll). A fault nobody expected prints
 * "fuzz: FAILED seed=N call=K ..." with the replay arguments, then the runtime prints
 * the registers and crashes the domain. If the hypervisor kills the domain instead,
 * the last progress line bounds the call: replay with trace= set to it.
 *
 * Faults: a call may make our own probes (reads of random addresses) or an iret frame
 * of ours fault; each such instruction sits in a stub with a resume label, and the trap
 * handler, armed just before, resumes there (as in isolation.c). */
#include "fault_stub.h"
#include "hcfuzz.h"

#include <public/grant_table.h>

struct fz_env fz;
static uint64_t rng_state;
static uint64_t cur_call;
static const char *cur_what = "setup";

static struct {
    uint64_t ok, refused, faults, probes;
} st;

/* Per family (fz_call.what), printed at the end: which calls ever succeed. */
static struct family_stat {
    const char *what;
    uint64_t ok, refused;
} families[24];

static void count_family(const char *what, long rc)
{
    for (unsigned i = 0; i < ARRAY_SIZE(families); i++) {
        struct family_stat *f = &families[i];

        if (f->what && strcmp(f->what, what) != 0)
            continue;
        f->what = what;
        if (rc < 0)
            f->refused++;
        else
            f->ok++;
        return;
    }
}

uint64_t fz_rand(void)
{
    /* splitmix64: one multiply-xorshift step per value; any state is a good state. */
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Call i's stream depends on (seed, i) only. */
static void rng_for_call(uint64_t i)
{
    rng_state = fz.seed * 0xd1342543de82ef95ULL + i;
    rng_state = fz_rand();
}

/* ---- faults we expect ---- */

static volatile struct {
    bool armed;
    uint64_t resume;
} fr;

static bool fz_trap(struct guest_trap_frame *f)
{
    if (!fr.armed) {
        printf("fuzz: FAILED seed=%llu call=%llu (%s): unexpected %s at rip %#llx cr2 %#llx;"
               " replay: seed=%llu calls=%llu trace=%llu\n",
               (unsigned long long)fz.seed, (unsigned long long)cur_call, cur_what,
               trap_name((unsigned)f->bf.vector), (unsigned long long)f->bf.rip,
               (unsigned long long)f->bf.cr2, (unsigned long long)fz.seed,
               (unsigned long long)cur_call + 1, (unsigned long long)cur_call);
        return false;           /* the runtime prints the registers and crashes */
    }
    fr.armed = false;
    st.faults++;
    f->bf.rip = fr.resume;
    /* A random iret frame may have left these set: our C code assumes them clear. */
    f->bf.rflags &= ~(0x100ULL | 0x400ULL | 0x40000ULL);       /* TF, DF, AC */
    return true;
}

FAULT_STUB(fz_stub_read, "movq (%rdi), %rax");
/* SCHEDOP_iret with a frame of our own (fault_stub.h): returns the hypercall's result
 * if refused, else 0. */
FAULT_STUB(fz_stub_iret, FAULT_STUB_IRET);

static long run_call(const struct fz_call *c)
{
    long rc;

    if (c->raw_iret) {
        uint64_t rip = c->args[0] == fz.iret_resume ? (uint64_t)(uintptr_t)fz_stub_iret_resume
                                                    : c->args[0];

        fr.resume = (uint64_t)(uintptr_t)fz_stub_iret_resume;
        fr.armed = true;
        rc = (long)fz_stub_iret(rip, c->args[1], c->args[2]);
        fr.armed = false;
        return rc;
    }
    return hypercall5(c->op, c->args[0], c->args[1], c->args[2], c->args[3], c->args[4]);
}

/* With trace=: the page-table requests behind an mmu_update or mmuext_op. */
static void trace_entries(const struct fz_call *c)
{
    const uint64_t *p = (const uint64_t *)(uintptr_t)c->args[0];
    uint64_t n = MIN(c->args[1], 8);

    if (c->op != HYPERVISOR_mmu_update && c->op != HYPERVISOR_mmuext_op)
        return;
    if (c->args[0] < (uintptr_t)fz.arena ||
        c->args[0] > (uintptr_t)fz.arena + FZ_ARENA_PAGES * PAGE_SIZE - n * 16)
        return;
    for (uint64_t k = 0; k < n; k++)
        printf("fuzz:   [%llu] %#llx %#llx\n", (unsigned long long)k,
               (unsigned long long)p[2 * k], (unsigned long long)p[2 * k + 1]);
}

/* With trace=: after each call, a read of the unmapped page after the arena must
 * still come back to our #PF handler (a call that took it away is the last traced). */
static void check_traps(void)
{
    fr.resume = (uint64_t)(uintptr_t)fz_stub_read_resume;
    fr.armed = true;
    fz_stub_read((uintptr_t)fz.arena + FZ_ARENA_PAGES * PAGE_SIZE, 0, 0);
    if (fr.armed) {
        fr.armed = false;
        printf("fuzz: FAILED seed=%llu call=%llu (%s): the page after the arena is mapped\n",
               (unsigned long long)fz.seed, (unsigned long long)cur_call, cur_what);
    }
    st.faults--;                /* ours, not the call's */
}

static void probe(uint64_t i)
{
    uint64_t va = fz_probe_addr();

    cur_what = "probe";
    if (i >= fz.trace_from)
        printf("fuzz: call %llu probe read %#llx\n", (unsigned long long)i,
               (unsigned long long)va);
    fr.resume = (uint64_t)(uintptr_t)fz_stub_read_resume;
    fr.armed = true;
    fz_stub_read(va, 0, 0);
    fr.armed = false;
    st.probes++;
}

/* ---- set-up: the arena, the sandbox frames and the window (see hcfuzz.h) ---- */

static uint64_t l1e_of(uint64_t va)
{
    const uint64_t *e;
    uint64_t ma;

    return pt_l1e(va, false, &e, &ma) == 0 ? *e : 0;
}

/* The sandbox starts as a tree, so that calls find page tables to change from the
 * first one: sandbox 2 (L3) in our L4's sandbox slot, sandbox 1 (L2) in its slot 0,
 * sandbox 0 (L1) in that one's slot 0, each pinned. */
static int sandbox_tree(void)
{
    struct mmuext_op pin[3];
    const uint64_t flags = PTE_P | PTE_U | PTE_W;
    struct mmu_update u[3] = {
        { fz.sandbox_mfn[1] << PAGE_SHIFT, (fz.sandbox_mfn[0] << PAGE_SHIFT) | flags },
        { fz.sandbox_mfn[2] << PAGE_SHIFT, (fz.sandbox_mfn[1] << PAGE_SHIFT) | flags },
        { fz.l4_maddr + 8 * FZ_SANDBOX_L4_SLOT, (fz.sandbox_mfn[2] << PAGE_SHIFT) | flags },
    };
    long rc;

    for (unsigned i = 0; i < 3; i++)
        pin[i] = (struct mmuext_op){ .cmd = MMUEXT_PIN_L1_TABLE + i, .arg = fz.sandbox_mfn[i] };
    if ((rc = hv_mmuext_op(pin, 3, NULL, DOMID_SELF)) < 0 ||
        (rc = hv_mmu_update(u, 3, NULL, DOMID_SELF)) < 0)
        return (int)rc;
    return 0;
}

/* Our grant table's frames: the hypervisor's frames that GNTTABOP_setup_table with
 * DOMID_SELF shares with us writable (domain_share_frame) so that we may map our
 * table by machine frame number, as a PV kernel maps its own. They are no page of
 * our reservation (mfn_to_pfn does not know them), and where the heap puts them
 * depends on what the other domains allocated meanwhile: often right next to our
 * frames, i.e. the frame the generators pass as "not ours" (max_mfn + 1, min_mfn - 1),
 * which a mapping call then rightly takes. setup_table at the table's size or less
 * grows nothing and returns the frames: 0 or a GNTST_ status (or -errno). */
static long own_grant_frames(unsigned nr, uint64_t mfns[GNTTAB_MAX_FRAMES])
{
    struct gnttab_setup_table s = { .dom = DOMID_SELF, .nr_frames = nr,
                                    .frame_list = (uintptr_t)mfns };
    long rc = hypercall5(HYPERVISOR_grant_table_op, GNTTABOP_setup_table, (uintptr_t)&s, 1,
                         0, 0);

    return rc < 0 ? rc : s.status;
}

static int setup(const struct start_info *si)
{
    uint8_t *arena = alloc_pages(FZ_ARENA_PAGES + 1), *sandbox = alloc_pages(8);
    uint64_t gt[GNTTAB_MAX_FRAMES];
    const uint64_t *e;
    uint64_t ma;
    long rc;

    if (!arena || !sandbox)
        return -ENOMEM;
    fz.arena = arena;
    /* The page after the arena: unmapped, so that pointers may cross into it. */
    rc = hv_update_va_mapping((uintptr_t)arena + FZ_ARENA_PAGES * PAGE_SIZE, 0, UVMF_INVLPG);
    if (rc < 0)
        return (int)rc;
    for (unsigned i = 0; i < 8; i++) {
        uint64_t va = (uintptr_t)sandbox + i * PAGE_SIZE;

        fz.sandbox_va[i] = va;
        fz.sandbox_mfn[i] = virt_to_mfn((void *)(uintptr_t)va);
        /* Read-only, so that each may become a page table. */
        rc = hv_update_va_mapping(va, (fz.sandbox_mfn[i] << PAGE_SHIFT) | PTE_P | PTE_U,
                                  UVMF_INVLPG);
        if (rc < 0)
            return (int)rc;
    }
    fz.window_va = (uint64_t)FZ_WINDOW_L4_SLOT << 39;
    if ((rc = map_page(fz.window_va, virt_to_mfn(arena), 0)) < 0 ||
        (rc = pt_l1e(fz.window_va, false, &e, &ma)) < 0)
        return (int)rc;
    fz.window_l1_maddr = ma & ~(PAGE_SIZE - 1);
    fz.l4_mfn = virt_to_mfn((void *)(uintptr_t)si->pt_base);
    fz.l4_maddr = fz.l4_mfn << PAGE_SHIFT;
    fz.code_mfn = virt_to_mfn((void *)(uintptr_t)fz_stub_read);
    fz.data_mfn = virt_to_mfn(si);
    fz.shinfo_mfn = (l1e_of(GUEST_SHARED_INFO_VA) & PTE_ADDR_MASK) >> PAGE_SHIFT;
    /* A grant table of ours from the start, so that its first frame is in the pools
     * (any_mfn) whatever the heap does; the calls grow it to up to 4 frames. */
    if ((rc = own_grant_frames(1, gt)) != 0)
        return rc < 0 ? (int)rc : -EIO;
    fz.gnttab_mfn = gt[0];
    fz.min_mfn = ~0ULL;
    for (uint64_t p = 0; p < si->nr_pages; p++) {
        fz.min_mfn = MIN(fz.min_mfn, pfn_to_mfn(p));
        fz.max_mfn = MAX(fz.max_mfn, pfn_to_mfn(p));
    }
    fz.iret_resume = (uint64_t)(uintptr_t)fz_stub_iret_resume;
    return sandbox_tree();
}

/* Our code and read-only data, summed: no hypercall may write into them, whatever
 * pointer it was given (checked at every progress line and at the end). */
static uint64_t text_sum(void)
{
    extern const char __image_start[], __text_end[];
    const uint64_t *p = (const uint64_t *)(uintptr_t)__image_start;
    uint64_t sum = 0;

    for (; (const char *)p + 8 <= __text_end; p++)
        sum = (sum ^ *p) * 0x100000001b3ULL;
    return sum;
}

static void check_text(uint64_t want)
{
    if (text_sum() != want)
        guest_crash("fuzz: FAILED seed=%llu call=%llu: our code or read-only data changed",
                    (unsigned long long)fz.seed, (unsigned long long)cur_call);
}

/* Our grant table's frames now (*n of them): query_size, then setup_table at exactly
 * that size. */
static void grant_frames(uint64_t mfns[GNTTAB_MAX_FRAMES], unsigned *n)
{
    struct gnttab_query_size q = { .dom = DOMID_SELF };
    long rc;

    rc = hypercall5(HYPERVISOR_grant_table_op, GNTTABOP_query_size, (uintptr_t)&q, 1, 0, 0);
    if (rc < 0 || q.status != GNTST_okay || q.nr_frames == 0 ||
        q.nr_frames > GNTTAB_MAX_FRAMES || (rc = own_grant_frames(q.nr_frames, mfns)) != 0)
        guest_crash("fuzz: FAILED seed=%llu call=%llu: our own grant table: query_size rc "
                    "%ld status %d, %u frames (1..%u since set-up)", (unsigned long long)fz.seed,
                    (unsigned long long)cur_call, rc, q.status, q.nr_frames, GNTTAB_MAX_FRAMES);
    *n = q.nr_frames;
}

/* The hypervisor's frames shared with us: the shared-info frame and our grant
 * table's. Each carries the hypervisor's permanent writable type reference
 * (domain_share_frame), so it can never be a page table, whatever level the sandbox
 * frame holding an entry to it is. */
static bool shared_with_us(uint64_t mfn, const uint64_t *gt, unsigned n)
{
    if (mfn == fz.shinfo_mfn)
        return true;
    for (unsigned k = 0; k < n; k++)
        if (gt[k] == mfn)
            return true;
    return false;
}

/* Every present entry the hypervisor let us write into our sandbox frames and the
 * window's L1 (read through our read-only mappings of them) must map one of our own
 * frames or one the hypervisor shares with us (shared_with_us): anything else is a
 * way out. Nobody grants us anything (hcfuzz_gnttab.c), so no entry may map a peer's
 * frame, not even through a grant. Slots 256..511 of a sandbox frame are skipped:
 * pinned as an L4, the hypervisor's entries live there. */
static void check_tables(void)
{
    uint64_t l1_pfn = mfn_to_pfn(fz.window_l1_maddr >> PAGE_SHIFT);
    uint64_t gt[GNTTAB_MAX_FRAMES];
    unsigned n_gt;

    grant_frames(gt, &n_gt);

    for (unsigned f = 0; f <= ARRAY_SIZE(fz.sandbox_va); f++) {
        const uint64_t *t;
        unsigned slots = 256;

        if (f < ARRAY_SIZE(fz.sandbox_va)) {
            t = (const uint64_t *)(uintptr_t)fz.sandbox_va[f];
        } else {
            if (l1_pfn == ~0ULL)
                break;
            t = pfn_to_virt(l1_pfn);
            slots = 512;
        }
        for (unsigned i = 0; i < slots; i++) {
            uint64_t e = t[i], mfn = (e & PTE_ADDR_MASK) >> PAGE_SHIFT;

            if ((e & PTE_P) && mfn_to_pfn(mfn) == ~0ULL && !shared_with_us(mfn, gt, n_gt))
                guest_crash("fuzz: FAILED seed=%llu call=%llu: %s %u slot %u holds %#llx, "
                            "a frame that is not ours", (unsigned long long)fz.seed,
                            (unsigned long long)cur_call,
                            f < ARRAY_SIZE(fz.sandbox_va) ? "sandbox frame" : "window L1",
                            f, i, (unsigned long long)e);
        }
    }
}

/* A poll's timeout is at most 200 us away (hcfuzz_ops.c): one that lasts a second
 * means our timers fire late, and so, likely, do everyone's on this pCPU. */
static void check_poll(const struct fz_call *c, uint64_t took_ns)
{
    if (c->op == HYPERVISOR_sched_op && c->args[0] == SCHEDOP_poll && !c->raw_iret &&
        took_ns > 1000000000ULL)
        guest_crash("fuzz: FAILED seed=%llu call=%llu (sched_op poll): a poll with a "
                    "timeout of at most 200 us took %llu ms; replay: seed=%llu calls=%llu "
                    "trace=%llu", (unsigned long long)fz.seed, (unsigned long long)cur_call,
                    (unsigned long long)(took_ns / 1000000), (unsigned long long)fz.seed,
                    (unsigned long long)cur_call + 1, (unsigned long long)cur_call);
}

static unsigned parse_skip(void)
{
    static const struct { const char *name; unsigned bit; } classes[] = {
        { "shinfo", FZ_SHINFO }, { "timer", FZ_TIMER }, { "canon", FZ_CANON },
    };
    char buf[64], *p = buf;
    unsigned skip = 0;

    if (!guest_arg("skip", buf, sizeof(buf)))
        return 0;
    while (*p) {
        char *end = p;
        bool known = false;

        while (*end && *end != ',')
            end++;
        char sep = *end;
        *end = 0;
        for (unsigned i = 0; i < ARRAY_SIZE(classes); i++)
            if (strcmp(p, classes[i].name) == 0) {
                skip |= classes[i].bit;
                known = true;
            }
        if (!known && strcmp(p, "none") != 0 && *p)
            guest_crash("fuzz: unknown class '%s' in skip= (shinfo, timer, canon, none)", p);
        p = sep ? end + 1 : end;
    }
    return skip;
}

int main(const struct start_info *si)
{
    uint64_t calls = guest_arg_uint("calls", 10000), every = guest_arg_uint("progress", 1000);
    uint64_t t0, text0, t_call;
    int rc;

    fz.seed = guest_arg_uint("seed", 1);
    fz.skip = parse_skip();
    fz.trace_from = guest_arg_uint("trace", ~0ULL);
    for (unsigned v = 0; v < 32; v++)
        trap_set_handler(v, fz_trap);
    if ((rc = setup(si)) < 0) {
        printf("fuzz: set-up failed: %d %s\n", rc, errno_name(rc));
        return 1;
    }
    printf("fuzz: start seed=%llu calls=%llu skip=%s%s%s domain %u mfns %#llx-%#llx\n",
           (unsigned long long)fz.seed, (unsigned long long)calls,
           fz.skip & FZ_SHINFO ? "shinfo," : "", fz.skip & FZ_TIMER ? "timer," : "",
           fz.skip & FZ_CANON ? "canon," : "", si->domid, (unsigned long long)fz.min_mfn,
           (unsigned long long)fz.max_mfn);
    text0 = text_sum();
    t0 = rdtsc();
    for (uint64_t i = 0; i < calls; i++) {
        struct fz_call c;
        long r;

        cur_call = i;
        if (i && every && i % every == 0) {
            check_text(text0);
            check_tables();
            printf("fuzz: seed=%llu call=%llu ok=%llu refused=%llu faults=%llu probes=%llu\n",
                   (unsigned long long)fz.seed, (unsigned long long)i,
                   (unsigned long long)st.ok, (unsigned long long)st.refused,
                   (unsigned long long)st.faults, (unsigned long long)st.probes);
        }
        rng_for_call(i);
        if (fz_chance(3)) {
            probe(i);
            continue;
        }
        fz_gen_call(&c);
        cur_what = c.what;
        if (i >= fz.trace_from)
            printf("fuzz: call %llu %s op=%llu args %#llx %#llx %#llx %#llx %#llx\n",
                   (unsigned long long)i, c.what, (unsigned long long)c.op,
                   (unsigned long long)c.args[0], (unsigned long long)c.args[1],
                   (unsigned long long)c.args[2], (unsigned long long)c.args[3],
                   (unsigned long long)c.args[4]);
        if (i >= fz.trace_from)
            trace_entries(&c);
        t_call = guest_now_ns();
        r = run_call(&c);
        check_poll(&c, guest_now_ns() - t_call);
        if (i >= fz.trace_from) {
            printf("fuzz:   -> %ld %s\n", r, r < 0 ? errno_name(r) : "");
            check_traps();
        }
        if (r < 0)
            st.refused++;
        else
            st.ok++;
        count_family(c.what, r);
    }
    check_text(text0);
    check_tables();
    for (unsigned i = 0; i < ARRAY_SIZE(families) && families[i].what; i++)
        printf("fuzz: family %s ok=%llu refused=%llu\n", families[i].what,
               (unsigned long long)families[i].ok, (unsigned long long)families[i].refused);
    printf("fuzz: done seed=%llu calls=%llu ok=%llu refused=%llu faults=%llu probes=%llu "
           "tsc=%llu\n", (unsigned long long)fz.seed, (unsigned long long)calls,
           (unsigned long long)st.ok, (unsigned long long)st.refused,
           (unsigned long long)st.faults, (unsigned long long)st.probes,
           (unsigned long long)(rdtsc() - t0));
    return 0;
}
