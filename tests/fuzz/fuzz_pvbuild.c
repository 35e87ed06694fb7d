/* libFuzzer target: the ELF checker and the PV domain builder (core/lib/elf64.c,
 * core/lib/pvbuild.c) on arbitrary bytes as the kernel image, with the same bytes as
 * one boot module. The input sits in a block of exactly its size (ASan flags any read
 * past it). When the image is accepted and fits in MAX_PAGES frames, the domain is
 * laid out at its minimum size and populated through one scratch page, reused for
 * every pfn as a caller's single mapping would be (ASan flags a write past a page).
 * Checks: a layout at min_pages succeeds; populate touches only pfns below
 * first_free_pfn and succeeds; vCPU 0 starts at the ELF entry with its stack and
 * start_info inside the domain's pseudo-physical mapping. */
#include <stdlib.h>
#include <string.h>

#include <hvlab/errno.h>
#include <hvlab/pvbuild.h>

#define MAX_PAGES 2048

struct scratch {
    uint8_t *page;
    uint64_t limit;             /* pfns at or above this must not be touched */
};

static void *map_pfn(void *ctx, uint64_t pfn)
{
    struct scratch *s = ctx;

    if (pfn >= s->limit)
        abort();
    return s->page;
}

static void report(void *arg, const char *why)
{
    (void)arg;
    (void)why;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *elf = malloc(size ? size : 1);
    struct pvbuild_module mod = { .data = elf, .len = size, .cmdline = "fuzz.mod" };
    struct pvbuild_params p = { .domid = 7, .nr_vcpus = 1, .cmdline = "seed=1",
                                .nr_modules = 1, .modules = &mod, .report = report };
    struct pvbuild_layout l;
    struct vcpu_guest_context vc;
    struct scratch s;
    uint64_t *mfns;
    int rc;

    memcpy(elf, data, size);
    rc = pvbuild_layout(elf, size, 0, &p, &l);
    if (rc != -ENOMEM || l.min_pages == 0 || l.min_pages > MAX_PAGES)
        goto out;
    uint64_t n = l.min_pages;
    if (pvbuild_layout(elf, size, n, &p, &l) != 0 || l.first_free_pfn > n)
        abort();
    mfns = malloc(n * sizeof(*mfns));
    for (uint64_t i = 0; i < n; i++)
        mfns[i] = 0x10000 + i;
    s.page = malloc(PAGE_SIZE);
    s.limit = l.first_free_pfn;
    rc = pvbuild_populate(&l, elf, size, mfns, map_pfn, &s, &p, &vc);
    if (rc != 0 || vc.rip != l.entry || vc.rsp <= pvbuild_pfn_va(0) ||
        vc.rsp > pvbuild_pfn_va(n) || vc.rsi != pvbuild_pfn_va(l.start_info_pfn) ||
        vc.cr3_mfn != mfns[l.pt_pfn])
        abort();
    free(s.page);
    free(mfns);
out:
    free(elf);
    return 0;
}
