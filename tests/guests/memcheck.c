/* memcheck: a domain that keeps computing over its memory while dom0 moves that
 * memory to other NUMA nodes (xl mem-migrate; tests/boot/test_mm_migrate.py).
 * Takes pages=N pages (default 2048) and, for ms=M milliseconds of guest time (default
 * 300) or until the hypervisor's clock reads until_ms=U ms since boot (so that domains
 * created one after another all run past the same instant), runs rounds, sleeping
 * gap_ms=G ms (default 0) after each (so that a test machine is not busy all along): each round checks every 64th word of every page against the value
 * the previous round wrote and writes the next one; a word read back wrong counts in
 * `bad`. At the end the sum of the last round's words is computed twice, from memory
 * and from the formula, and (PV) every page's pfn->mfn list entry is compared with the
 * machine frame its L1 entry maps (the guest reads its own page tables): after a move
 * both must have followed.
 * Prints "memcheck: pages=N rounds=R bad=B sum=S expected=E" and, PV,
 * "memcheck: list pages=N mismatched=M"; exits 0 when all agree. */
#include <guest.h>

#define STRIDE 64                       /* words between two checked ones */

static uint64_t value(uint64_t page, unsigned word, uint64_t round)
{
    return (page * 0x9e3779b97f4a7c15ull) ^ (word * 0xbf58476d1ce4e5b9ull) ^ round;
}

static uint64_t *page[8192];

int main(const struct start_info *si)
{
    uint64_t want = guest_arg_uint("pages", 2048), ms = guest_arg_uint("ms", 300);
    uint64_t until_ms = guest_arg_uint("until_ms", 0), gap_ms = guest_arg_uint("gap_ms", 0);
    uint64_t got = 0, bad = 0, round = 0, sum = 0, expected = 0, deadline;

    (void)si;
    if (want > sizeof(page) / sizeof(page[0]))
        want = sizeof(page) / sizeof(page[0]);
    for (; got < want && (page[got] = alloc_page()) != NULL; got++)
        for (unsigned i = 0; i < PAGE_SIZE / 8; i += STRIDE)
            page[got][i] = value(got, i, 0);
    deadline = until_ms ? until_ms * 1000000ull : guest_now_ns() + ms * 1000000ull;
    do {
        round++;
        for (uint64_t p = 0; p < got; p++)
            for (unsigned i = 0; i < PAGE_SIZE / 8; i += STRIDE) {
                bad += page[p][i] != value(p, i, round - 1);
                page[p][i] = value(p, i, round);
            }
        if (gap_ms)
            sleep_ns(gap_ms * 1000000ull);
    } while (guest_now_ns() < deadline);
    for (uint64_t p = 0; p < got; p++)
        for (unsigned i = 0; i < PAGE_SIZE / 8; i += STRIDE) {
            sum += page[p][i];
            expected += value(p, i, round);
        }
    printf("memcheck: pages=%llu rounds=%llu bad=%llu sum=%#llx expected=%#llx\n",
           (unsigned long long)got, (unsigned long long)round, (unsigned long long)bad,
           (unsigned long long)sum, (unsigned long long)expected);
#ifndef GUEST_HVM
    uint64_t mismatched = 0;

    for (uint64_t p = 0; p < got; p++) {
        const uint64_t *e;
        uint64_t ma;

        if (pt_l1e((uint64_t)(uintptr_t)page[p], false, &e, &ma) != 0 ||
            ((*e & PTE_ADDR_MASK) >> PAGE_SHIFT) != virt_to_mfn(page[p]))
            mismatched++;
    }
    printf("memcheck: list pages=%llu mismatched=%llu\n", (unsigned long long)got,
           (unsigned long long)mismatched);
    if (mismatched)
        return 1;
#endif
    return got == want && bad == 0 && sum == expected ? 0 : 1;
}
