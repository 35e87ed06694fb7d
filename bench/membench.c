/* A memory benchmark, one source for PV and HVM (docs/numa-experiment.md): a
 * STREAM-like triad for bandwidth and a pointer chase for latency, both over buffers
 * larger than the TLB reach, so that where the memory lies (which NUMA node, under
 * which memory policy) shows in the cost model's counts.
 *
 * Command line: kib=K (the triad's three arrays' size each, default 4096);
 * chase_kib=C (the chase's buffer, default K); passes=P (triad passes, default 1); hops=H
 * (chase hops, default one full cycle: C KiB / 64 lines); seed=S (the chase's
 * permutation, default 1); cases=triad,chase (default both); start_ms=S: first sleep
 * until S ms after boot (the hypervisor's clock), so that domains created one after
 * another run at the same time (as cpuloop's start_ms).
 *
 * triad: a[i] = b[i] + 3 * c[i] over n = K KiB / 8 64-bit integers (the guest runtime
 * has no SSE: -mgeneral-regs-only), with b[i] = i and c[i] = 2i + 1, P times; sum is
 * the sum of a (mod 2^64), 7 n (n - 1) / 2 + 3 n whatever P. bytes = P * n * 24 (two
 * loads and a store of 8 bytes per element, as STREAM counts).
 * chase: m = C KiB / 64 lines of 64 bytes; line i holds the address of line p[i],
 * p a random cyclic permutation (Sattolo's algorithm driven by the 64-bit LCG of
 * work.h from seed S: for i = m-1 down to 1, x = LCG(x), j = (x >> 33) % i, swap p[i]
 * and p[j]), so one cycle visits every line in an order the prefetcher and the TLB
 * cannot follow. From line 0, H hops; sum is the sum of the line numbers reached
 * (mod 2^64), end the last: after exactly m hops, end = 0 and sum = m (m - 1) / 2.
 *
 * Each case prints one line (ns: the guest clock, guest_now_ns; under QEMU -icount
 * shift=0 one instruction per ns):
 *   result bench=membench case=triad mode=M vnode=V bytes=B iters=N ns=T
 *          bytes_per_us=X sum=S
 *   result bench=membench case=chase mode=M vnode=V bytes=B iters=H ns=T
 *          ns_per_iter=X.YY sum=S end=E
 * iters: elements written (triad), hops (chase); bytes: the triad's bytes moved, the
 * chase's 8 per hop. vnode: the guest's virtual NUMA node the buffers were taken from
 * (docs/vnuma.md: with a vnuma layout, from the pool of the running vCPU's vnode;
 * without one, 0 and the runtime's pages, as every other benchmark).
 * Exit status 0, or 1 with "membench: ..." when the buffers cannot be allocated. */
#include <guest.h>
#include <guest_mode.h>
#include <guest_vnuma.h>

#define LINE 64
#define LCG_MUL 6364136223846793005ULL
#define LCG_ADD 1442695040888963407ULL

static unsigned buf_vnode;      /* the vnode the buffers came from */
static bool buf_fallback;       /* a vnode pool could not give contiguous pages */

/* n contiguous pages of the running vCPU's vnode when the guest has a vNUMA layout
 * (taken page by page from that vnode's pool, which hands out its pages in order),
 * else alloc_pages(n). When the pool cannot give n contiguous pages, the pages taken
 * go back and the runtime's pages are used: the line still names the vnode asked for,
 * and a "membench: ..." line says so. */
static uint8_t *buf_alloc(uint64_t n)
{
    const struct guest_vnuma *t = vnuma_topology();
    uint8_t *first = NULL;
    uint64_t k;

    if (!t->nr_vnodes)
        return alloc_pages(n);
    buf_vnode = vnuma_vnode_of_vcpu(smp_vcpu_id());
    for (k = 0; k < n; k++) {
        uint8_t *pg = vnuma_alloc_page(buf_vnode);

        if (!pg)
            break;
        if (!first)
            first = pg;
        if (pg != first + (k << PAGE_SHIFT)) {
            vnuma_free_page(pg);
            break;
        }
    }
    if (k == n)
        return first;
    while (k--)
        vnuma_free_page(first + (k << PAGE_SHIFT));
    if (!buf_fallback)
        printf("membench: vnode %u cannot give %llu contiguous pages: buffers from the "
               "runtime's pages\n", buf_vnode, (unsigned long long)n);
    buf_fallback = true;
    return alloc_pages(n);
}

static bool run_triad(uint64_t kib, uint64_t passes)
{
    uint64_t n = kib * 1024 / 8, pages = kib / 4, sum = 0, t0, ns;
    uint64_t *a = (uint64_t *)buf_alloc(pages);
    uint64_t *b = (uint64_t *)buf_alloc(pages);
    uint64_t *c = (uint64_t *)buf_alloc(pages);
    const uint64_t s = 3;

    if (!a || !b || !c) {
        printf("membench: cannot allocate 3 x %llu pages for the triad\n",
               (unsigned long long)pages);
        return false;
    }
    for (uint64_t i = 0; i < n; i++) {
        b[i] = i;
        c[i] = 2 * i + 1;
    }
    t0 = guest_now_ns();
    for (uint64_t p = 0; p < passes; p++)
        for (uint64_t i = 0; i < n; i++)
            a[i] = b[i] + s * c[i];
    ns = guest_now_ns() - t0;
    for (uint64_t i = 0; i < n; i++)
        sum += a[i];
    printf("result bench=membench case=triad mode=%s vnode=%u bytes=%llu iters=%llu "
           "ns=%llu bytes_per_us=%llu sum=%#llx\n", guest_mode_name(), buf_vnode,
           (unsigned long long)(passes * n * 24), (unsigned long long)(passes * n),
           (unsigned long long)ns,
           (unsigned long long)(ns ? passes * n * 24 * 1000 / ns : 0),
           (unsigned long long)sum);
    return true;
}

static bool run_chase(uint64_t kib, uint64_t hops, uint64_t seed)
{
    uint64_t m = kib * 1024 / LINE, x = seed, sum = 0, t0, ns, end;
    uint8_t *buf = buf_alloc(kib / 4);
    uint8_t *const *cur;

    if (!buf) {
        printf("membench: cannot allocate %llu pages for the chase\n",
               (unsigned long long)(kib / 4));
        return false;
    }
    /* The permutation as line numbers in each line's first word, then made addresses. */
    for (uint64_t i = 0; i < m; i++)
        *(uint64_t *)(buf + i * LINE) = i;
    for (uint64_t i = m - 1; i > 0; i--) {
        uint64_t *pi = (uint64_t *)(buf + i * LINE), j, *pj, tmp;

        x = x * LCG_MUL + LCG_ADD;
        j = (x >> 33) % i;
        pj = (uint64_t *)(buf + j * LINE);
        tmp = *pi;
        *pi = *pj;
        *pj = tmp;
    }
    for (uint64_t i = 0; i < m; i++) {
        uint64_t *w = (uint64_t *)(buf + i * LINE);
        *w = (uint64_t)(uintptr_t)(buf + *w * LINE);
    }
    if (!hops)
        hops = m;
    cur = (uint8_t *const *)buf;
    t0 = guest_now_ns();
    for (uint64_t h = 0; h < hops; h++) {
        cur = (uint8_t *const *)*cur;
        sum += (uint64_t)((const uint8_t *)cur - buf) / LINE;
    }
    ns = guest_now_ns() - t0;
    end = (uint64_t)((const uint8_t *)cur - buf) / LINE;
    printf("result bench=membench case=chase mode=%s vnode=%u bytes=%llu iters=%llu "
           "ns=%llu ns_per_iter=%llu.%02llu sum=%#llx end=%llu\n", guest_mode_name(),
           buf_vnode, (unsigned long long)(hops * 8), (unsigned long long)hops,
           (unsigned long long)ns, (unsigned long long)(ns / hops),
           (unsigned long long)(ns * 100 / hops % 100), (unsigned long long)sum,
           (unsigned long long)end);
    return true;
}

/* Whether the comma-separated list names name; an unknown name sets *bad. */
static bool case_listed(const char *list, const char *name, bool *bad)
{
    bool found = false;

    while (*list) {
        const char *end = strchr(list, ',');
        size_t len = end ? (size_t)(end - list) : strlen(list);

        if (len == strlen(name) && !memcmp(list, name, len))
            found = true;
        else if (!(len == 5 && (!memcmp(list, "triad", 5) || !memcmp(list, "chase", 5))))
            *bad = true;
        list += len + (end ? 1 : 0);
    }
    return found;
}

int main(const struct start_info *si)
{
    uint64_t kib = guest_arg_uint("kib", 4096), passes = guest_arg_uint("passes", 1);
    uint64_t chase_kib = guest_arg_uint("chase_kib", kib);
    uint64_t hops = guest_arg_uint("hops", 0), seed = guest_arg_uint("seed", 1);
    uint64_t start_ms = guest_arg_uint("start_ms", 0);
    char cases[32] = "triad,chase";
    bool ok = true, bad = false, triad, chase;

    (void)si;
    guest_arg("cases", cases, sizeof(cases));
    triad = case_listed(cases, "triad", &bad);
    chase = case_listed(cases, "chase", &bad);
    if (kib < 8 || kib % 4 || chase_kib < 8 || chase_kib % 4 || passes < 1 || bad) {
        printf("membench: kib=%llu chase_kib=%llu passes=%llu cases=%s: sizes must be "
               "multiples of 4, at least 8; passes at least 1; cases among triad,chase\n",
               (unsigned long long)kib, (unsigned long long)chase_kib,
               (unsigned long long)passes, cases);
        return 1;
    }
    if (start_ms && guest_now_ns() < start_ms * 1000000)
        sleep_until(start_ms * 1000000);
    if (triad)
        ok &= run_triad(kib, passes);
    if (chase)
        ok &= run_chase(chase_kib, hops, seed);
    return ok ? 0 : 1;
}
