/* memtouch: the first touch of a domain's memory, for the memory policies' boot test
 * (tests/boot/test_mm_policy.py). Takes pages=N pages from the runtime's allocator
 * (default 1024), writes a pattern into each (the first write to each of them: under
 * memory_policy = "first-touch" an HVM domain gets its frame at that nested page
 * fault, on the node of the pCPU its vCPU runs on), then reads every page back.
 * Prints "memtouch: pages=N bad=M" (M pages read back wrong) and exits 0 when M is 0
 * and it got all N. */
#include <guest.h>

int main(const struct start_info *si)
{
    uint64_t want = guest_arg_uint("pages", 1024), got = 0, bad = 0;
    static uint64_t *page[8192];

    (void)si;
    if (want > sizeof(page) / sizeof(page[0]))
        want = sizeof(page) / sizeof(page[0]);
    for (; got < want && (page[got] = alloc_page()) != NULL; got++)
        for (unsigned i = 0; i < PAGE_SIZE / 8; i += 64)
            page[got][i] = got * 0x9e3779b97f4a7c15ull + i;
    for (uint64_t p = 0; p < got; p++)
        for (unsigned i = 0; i < PAGE_SIZE / 8; i += 64)
            bad += page[p][i] != p * 0x9e3779b97f4a7c15ull + i;
    printf("memtouch: pages=%llu bad=%llu\n", (unsigned long long)got,
           (unsigned long long)bad);
    return got == want && bad == 0 ? 0 : 1;
}
