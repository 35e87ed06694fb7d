/* lmbench-style microbenchmarks, one source for every mode (PV, HVM, native: the HVM
 * image booted by QEMU with no hypervisor): what differs between modes is behind
 * guest_mode.h and map_page (guest.h); this file has no #ifdef per mode.
 * Command line: cases=a,b,... (default: all, in the order below); iters=N (every
 * case; default per case); mem_mb=M (the memory loops' array, default 16);
 * as_pages=P (pages an address space maps, default 64).
 * Each case prints one line:
 *   result bench=micro case=NAME mode=M iters=N ns=T ns_per_op=P
 * with T the guest time (guest_now_ns: under QEMU -icount an instruction count) the
 * N operations took and P = T/N with two decimals; for timer, T is the sum of the
 * latencies from each deadline to the handler having run, and the line also has
 * early=K early_max_ns=E: events whose handler ran before the deadline by the guest's
 * clock (they add 0; any at all means the guest's clock runs behind the hypervisor's
 * NOW(), a broken time ABI). A case the mode cannot run prints "... skipped=REASON",
 * one that fails "... FAILED=REASON" (exit 1).
 * docs/microbenchmarks.md says what each case measures in each mode. */
#include <guest.h>
#include <guest_mode.h>

#include "work.h"

#define MICRO_PT_VA    0x0000008000000000ULL   /* 512 GiB: ptupdate's page */
#define MICRO_FAULT_VA 0x0000008040000000ULL   /* +1 GiB: demand-zero pages */
#define MICRO_MEM_VA   0x0000008080000000ULL   /* +2 GiB: mem4k's 4 KiB alias */
#define FAULT_BATCH    64
#define TIMER_DELAY_NS 20000
#define RTC_INDEX      0x70
#define RTC_DATA       0x71
#define LARGE_PAGE     (2ull << 20)

struct result {
    uint64_t iters, ns;
    uint64_t early, early_max_ns;   /* timer: events seen before their deadline */
    const char *skipped;        /* the mode cannot run the case: why */
    char failed[96];            /* it went wrong: how */
};

typedef void (*case_fn)(struct result *r);

static uint64_t arg_iters;      /* iters=, 0: each case's default */

/* ---- null: the cheapest call to the layer below ---- */
static void case_null(struct result *r)
{
    uint64_t t0 = guest_now_ns();

    for (uint64_t i = 0; i < r->iters; i++) {
        long rc = guest_null_call();

        if (rc < 0) {
            snprintf(r->failed, sizeof(r->failed), "null call: %ld (%s)", rc, errno_name(rc));
            return;
        }
    }
    r->ns = guest_now_ns() - t0;
}

/* ---- ptupdate: one PTE changed (alternating between two frames) and flushed ---- */
static void case_ptupdate(struct result *r)
{
    void *pg[2] = { alloc_page(), alloc_page() };
    uint64_t t0;
    int rc;

    if (!pg[0] || !pg[1]) {
        snprintf(r->failed, sizeof(r->failed), "out of pages");
        return;
    }
    rc = map_page(MICRO_PT_VA, virt_to_mfn(pg[0]), PTE_W);     /* creates the tables */
    t0 = guest_now_ns();
    for (uint64_t i = 0; rc == 0 && i < r->iters; i++)
        rc = map_page(MICRO_PT_VA, virt_to_mfn(pg[(i + 1) & 1]), PTE_W);
    r->ns = guest_now_ns() - t0;
    if (rc == 0)
        rc = unmap_page(MICRO_PT_VA);
    if (rc)
        snprintf(r->failed, sizeof(r->failed), "map_page: %d (%s)", rc, errno_name(rc));
    free_page(pg[0]);
    free_page(pg[1]);
}

/* ---- pagefault: first touches of unmapped pages; the #PF handler maps a zero page */
static void *fault_pages[FAULT_BATCH];
static int fault_error;

static bool fault_handler(struct guest_trap_frame *f)
{
    uint64_t va = f->bf.cr2 & ~(uint64_t)(PAGE_SIZE - 1);
    uint64_t idx = (va - MICRO_FAULT_VA) >> PAGE_SHIFT;
    void *pg;

    if (va < MICRO_FAULT_VA || idx >= FAULT_BATCH || fault_pages[idx] || (f->bf.error_code & 1))
        return false;                   /* not ours: the default handler crashes */
    pg = alloc_page();                  /* zeroed */
    if (!pg) {
        fault_error = -ENOMEM;
        return false;
    }
    fault_error = map_page(va, virt_to_mfn(pg), PTE_W);
    if (fault_error) {
        free_page(pg);
        return false;
    }
    fault_pages[idx] = pg;
    return true;
}

static void case_pagefault(struct result *r)
{
    uint64_t done = 0, before = trap_count(14);

    trap_set_handler(14, fault_handler);
    while (done < r->iters) {
        unsigned n = (unsigned)MIN(r->iters - done, (uint64_t)FAULT_BATCH);
        uint64_t t0 = guest_now_ns();

        for (unsigned i = 0; i < n; i++)
            *(volatile uint8_t *)(uintptr_t)(MICRO_FAULT_VA + ((uint64_t)i << PAGE_SHIFT)) = 1;
        r->ns += guest_now_ns() - t0;
        for (unsigned i = 0; i < n; i++) {      /* untimed: back to unmapped */
            int rc = unmap_page(MICRO_FAULT_VA + ((uint64_t)i << PAGE_SHIFT));

            if (rc) {
                snprintf(r->failed, sizeof(r->failed), "unmap_page: %d (%s)", rc,
                         errno_name(rc));
                trap_set_handler(14, NULL);
                return;
            }
            free_page(fault_pages[i]);
            fault_pages[i] = NULL;
        }
        done += n;
    }
    trap_set_handler(14, NULL);
    if (trap_count(14) - before != r->iters)
        snprintf(r->failed, sizeof(r->failed), "%llu page faults for %llu touches",
                 (unsigned long long)(trap_count(14) - before), (unsigned long long)r->iters);
}

/* ---- timer: a one-shot TIMER_DELAY_NS ahead; latency from its deadline to the end
 * of its handler, seen by a loop polling the handler's count ---- */
static void case_timer(struct result *r)
{
    for (uint64_t i = 0; i < r->iters; i++) {
        uint64_t seen = __atomic_load_n(&timer_events, __ATOMIC_ACQUIRE);
        uint64_t deadline = guest_now_ns() + TIMER_DELAY_NS, now, count;

        timer_set_deadline(deadline);
        /* The count first, then the clock: a clock read taken before the count could
         * be from before the interrupt that ran the handler (the event lands between
         * the two reads), up to the hypervisor's whole path to the timer earlier. */
        do {
            count = __atomic_load_n(&timer_events, __ATOMIC_ACQUIRE);
            now = guest_now_ns();
            if (now > deadline + 1000000000ull) {
                snprintf(r->failed, sizeof(r->failed), "no timer event 1 s after its deadline");
                return;
            }
        } while (count == seen);
        if (now < deadline) {           /* the guest's clock behind the hypervisor's */
            r->early++;
            r->early_max_ns = MAX(r->early_max_ns, deadline - now);
        } else {
            r->ns += now - deadline;
        }
    }
}

/* ---- ipi: vCPU 1 sends an event that vCPU 0 handles; vCPU 1 waits for the handler's
 * acknowledgement in memory. One op: send, delivery, handler, acknowledgement seen. */
static volatile uint64_t ipi_acks;
static volatile bool ipi_done;
static int ipi_port;
static struct result *ipi_result;

static void ipi_handler(evtchn_port_t port, void *arg)
{
    (void)port, (void)arg;
    __atomic_fetch_add(&ipi_acks, 1, __ATOMIC_RELEASE);
}

static void ipi_sender(unsigned id, void *arg)
{
    struct result *r = ipi_result;
    uint64_t t0 = guest_now_ns();

    (void)id, (void)arg;
    for (uint64_t i = 0; i < r->iters; i++) {
        int rc = evtchn_send((evtchn_port_t)ipi_port);

        if (rc) {
            snprintf(r->failed, sizeof(r->failed), "evtchn_send: %d (%s)", rc, errno_name(rc));
            break;
        }
        while (__atomic_load_n(&ipi_acks, __ATOMIC_ACQUIRE) < i + 1)
            asm volatile("pause");
    }
    r->ns = guest_now_ns() - t0;
    __atomic_store_n(&ipi_done, true, __ATOMIC_RELEASE);
}

static void case_ipi(struct result *r)
{
    const char *limit = guest_smp_limit();
    int a, rc;

    if (limit) {
        r->skipped = limit;
        return;
    }
    if (smp_nr_vcpus() < 2) {
        r->skipped = "the domain has one vCPU (vcpus = 2 needed)";
        return;
    }
    a = evtchn_alloc_unbound((hv_domid_t)guest_domid(), ipi_handler, NULL);
    ipi_port = a < 0 ? a : evtchn_bind_interdomain((hv_domid_t)guest_domid(),
                                                   (evtchn_port_t)a, NULL, NULL);
    if (ipi_port < 0) {
        snprintf(r->failed, sizeof(r->failed), "loopback event channel: %d (%s)",
                 ipi_port, errno_name(ipi_port));
        return;
    }
    ipi_result = r;
    rc = vcpu_start(1, ipi_sender, NULL);
    if (rc) {
        snprintf(r->failed, sizeof(r->failed), "vcpu_start: %d (%s)", rc, errno_name(rc));
        return;
    }
    while (!__atomic_load_n(&ipi_done, __ATOMIC_ACQUIRE))
        asm volatile("pause");          /* events on: the handler runs here */
    vcpu_join(1);
    evtchn_close((evtchn_port_t)ipi_port);
    evtchn_close((evtchn_port_t)a);
}

/* ---- ioport: reads of the RTC's data port (seconds register) ---- */
static void case_ioport(struct result *r)
{
    uint8_t v;
    uint64_t t0;

    if (guest_port_out8(RTC_INDEX, 0x00) == -ENOSYS) {
        r->skipped = "no I/O ports in a PV domU (nothing emulated)";
        return;
    }
    t0 = guest_now_ns();
    for (uint64_t i = 0; i < r->iters; i++)
        guest_port_in8(RTC_DATA, &v);
    r->ns = guest_now_ns() - t0;
    if (v >= 0x60 && v != 0xff)         /* BCD seconds 0x00..0x59 */
        snprintf(r->failed, sizeof(r->failed), "RTC seconds read %#x", v);
}

/* ---- forkas: an address space of as_pages pages built and torn down ---- */
static void case_forkas(struct result *r)
{
    unsigned n = (unsigned)MIN(guest_arg_uint("as_pages", 64), 512ull);
    void **pages = alloc_page();
    uint64_t t0;
    int rc = 0;

    for (unsigned i = 0; pages && i < n; i++)
        if (!(pages[i] = alloc_page()))
            pages = NULL;               /* leaked: the case fails anyway */
    if (!pages) {
        snprintf(r->failed, sizeof(r->failed), "out of pages");
        return;
    }
    t0 = guest_now_ns();
    for (uint64_t i = 0; rc == 0 && i < r->iters; i++) {
        struct guest_as as;

        rc = guest_as_build(&as, pages, n);
        if (rc == 0)
            rc = guest_as_destroy(&as);
    }
    r->ns = guest_now_ns() - t0;
    if (rc)
        snprintf(r->failed, sizeof(r->failed), "address space: %d (%s)", rc, errno_name(rc));
    for (unsigned i = 0; i < n; i++)
        free_page(pages[i]);
    free_page(pages);
}

/* ---- cpu: 100 steps of the benchmarks' LCG per op (bench/work.h) ---- */
static void case_cpu(struct result *r)
{
    volatile uint64_t x = 1;
    uint64_t t0 = guest_now_ns();

    for (uint64_t i = 0; i < r->iters; i++)
        work_steps(&x, 100);
    r->ns = guest_now_ns() - t0;
}

/* ---- mem4k, mem2m: random 8-byte reads and writes over mem_mb MiB ---- */
static void mem_loop(struct result *r, uint64_t *a, uint64_t words)
{
    uint64_t idx = 12345, sum = 0, t0 = guest_now_ns();

    for (uint64_t i = 0; i < r->iters; i++) {
        idx = idx * 6364136223846793005ULL + 1442695040888963407ULL;
        sum += a[(idx >> 20) % words]++;
    }
    r->ns = guest_now_ns() - t0;
    asm volatile("" :: "r"(sum));
}

static uint64_t mem_pages(void)
{
    return guest_arg_uint("mem_mb", 16) << (20 - PAGE_SHIFT);
}

/* The array through an alias of 4 KiB pages, whatever the mode maps its RAM with. */
static void case_mem4k(struct result *r)
{
    uint64_t n = mem_pages();
    uint8_t *buf = alloc_pages(n);
    int rc = 0;

    if (!buf) {
        snprintf(r->failed, sizeof(r->failed), "cannot allocate %llu pages",
                 (unsigned long long)n);
        return;
    }
    for (uint64_t i = 0; rc == 0 && i < n; i++)
        rc = map_page(MICRO_MEM_VA + (i << PAGE_SHIFT),
                      virt_to_mfn(buf + (i << PAGE_SHIFT)), PTE_W);
    if (rc == 0)
        mem_loop(r, (uint64_t *)(uintptr_t)MICRO_MEM_VA, n << (PAGE_SHIFT - 3));
    else
        snprintf(r->failed, sizeof(r->failed), "map_page: %d (%s)", rc, errno_name(rc));
    for (uint64_t i = 0; i < n; i++)
        unmap_page(MICRO_MEM_VA + (i << PAGE_SHIFT));
    for (uint64_t i = 0; i < n; i++)
        free_page(buf + (i << PAGE_SHIFT));
}

/* The array where the runtime maps RAM with 2 MiB pages, 2 MiB-aligned. */
static void case_mem2m(struct result *r)
{
    uint64_t n = mem_pages(), extra = LARGE_PAGE >> PAGE_SHIFT;
    uint8_t *buf;

    if (!guest_has_large_pages()) {
        r->skipped = "no 2 MiB pages for a PV guest";
        return;
    }
    buf = alloc_pages(n + extra);
    if (!buf) {
        snprintf(r->failed, sizeof(r->failed), "cannot allocate %llu pages",
                 (unsigned long long)(n + extra));
        return;
    }
    mem_loop(r, (uint64_t *)(((uintptr_t)buf + LARGE_PAGE - 1) & ~(LARGE_PAGE - 1)),
             n << (PAGE_SHIFT - 3));
    for (uint64_t i = 0; i < n + extra; i++)
        free_page(buf + (i << PAGE_SHIFT));
}

static const struct {
    const char *name;
    case_fn fn;
    uint64_t iters;             /* default */
} cases[] = {
    { "null", case_null, 10000 },
    { "ptupdate", case_ptupdate, 2000 },
    { "pagefault", case_pagefault, 1000 },
    { "timer", case_timer, 100 },
    { "ipi", case_ipi, 1000 },
    { "ioport", case_ioport, 1000 },
    { "forkas", case_forkas, 100 },
    { "cpu", case_cpu, 1000 },
    { "mem4k", case_mem4k, 100000 },
    { "mem2m", case_mem2m, 100000 },
};

/* Runs case i; false if it failed. */
static bool run_case(unsigned i)
{
    static struct result r;
    char early[64];
    const char *mode = guest_mode_name();

    memset(&r, 0, sizeof(r));
    r.iters = arg_iters ? arg_iters : cases[i].iters;
    cases[i].fn(&r);
    if (r.skipped) {
        printf("result bench=micro case=%s mode=%s skipped=\"%s\"\n", cases[i].name, mode,
               r.skipped);
        return true;
    }
    if (r.failed[0]) {
        printf("result bench=micro case=%s mode=%s FAILED=\"%s\"\n", cases[i].name, mode,
               r.failed);
        return false;
    }
    snprintf(early, sizeof(early), " early=%llu early_max_ns=%llu",
             (unsigned long long)r.early, (unsigned long long)r.early_max_ns);
    printf("result bench=micro case=%s mode=%s iters=%llu ns=%llu ns_per_op=%llu.%02llu%s\n",
           cases[i].name, mode, (unsigned long long)r.iters, (unsigned long long)r.ns,
           (unsigned long long)(r.ns / r.iters),
           (unsigned long long)(r.ns * 100 / r.iters % 100),
           cases[i].fn == case_timer ? early : "");
    return true;
}

int main(const struct start_info *si)
{
    char list[256], *p, *next;
    bool ok = true;

    (void)si;
    arg_iters = guest_arg_uint("iters", 0);
    if (!guest_arg("cases", list, sizeof(list))) {
        for (unsigned i = 0; i < ARRAY_SIZE(cases); i++)
            ok &= run_case(i);
        return ok ? 0 : 1;
    }
    for (p = list; p && *p; p = next) {
        unsigned i;

        next = strchr(p, ',');
        if (next)
            *next++ = '\0';
        for (i = 0; i < ARRAY_SIZE(cases); i++)
            if (!strcmp(p, cases[i].name))
                break;
        if (i == ARRAY_SIZE(cases)) {
            printf("micro: unknown case \"%s\" (cases=", p);
            for (i = 0; i < ARRAY_SIZE(cases); i++)
                printf("%s%s", i ? "," : "", cases[i].name);
            printf(")\n");
            return 2;
        }
        ok &= run_case(i);
    }
    return ok ? 0 : 1;
}
