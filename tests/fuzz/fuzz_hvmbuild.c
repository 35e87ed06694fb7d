/* libFuzzer target: the HVM builder (core/lib/hvmbuild_*.c) on arbitrary bytes as the
 * kernel image, with the same bytes as one module (the initrd for a bzImage). The
 * input sits in a block of exactly its size (ASan flags any read past it). When the
 * image is recognised, it is laid out in 64 MiB with 2 vCPUs and populated through a
 * write callback that reads the first and last source byte of each write. Checks:
 * every write lies inside RAM and inside a region the layout claims (a kernel
 * segment, a module, the low structures, the ACPI tables); the entry point is inside
 * a segment; vCPU 0's info pointer is the info page. */
#include <stdlib.h>
#include <string.h>

#include <hvlab/errno.h>
#include <hvlab/hvmbuild.h>

#define MEM (64ULL << 20)

static uint8_t scratch[HVMBUILD_SCRATCH_BYTES];
static const struct hvmbuild_layout *cur;
static volatile uint8_t sink;

static bool inside(uint64_t a, uint64_t len, uint64_t base, uint64_t size)
{
    return a >= base && len <= size && a - base <= size - len;
}

static bool claimed(uint64_t gpa, uint64_t len, const struct hvmbuild_config *cfg)
{
    const struct hvmbuild_layout *l = cur;

    for (unsigned i = 0; i < l->nr_segs; i++)
        if (inside(gpa, len, l->seg[i].paddr, l->seg[i].memsz))
            return true;
    for (unsigned i = 0; i < cfg->nr_modules; i++)
        if (inside(gpa, len, l->module_gpa[i], cfg->modules[i].len))
            return true;
    return inside(gpa, len, HVMBUILD_LOW_BASE, HVMBUILD_LOW_END - HVMBUILD_LOW_BASE) ||
           inside(gpa, len, l->acpi_gpa, l->acpi_len);
}

static const struct hvmbuild_config *cur_cfg;

static int write_gpa(void *ctx, uint64_t gpa, const void *src, uint64_t len)
{
    uint8_t sum = 0;

    (void)ctx;
    if (!inside(gpa, len, 0, MEM) || !claimed(gpa, len, cur_cfg))
        abort();
    /* The ends of the source: ASan flags them if the range leaves its buffer. */
    if (src && len)
        sum = (uint8_t)(((const uint8_t *)src)[0] + ((const uint8_t *)src)[len - 1]);
    sink = sum;
    return 0;
}

static void report(void *arg, const char *why)
{
    (void)arg;
    (void)why;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *img = malloc(size ? size : 1);
    struct hvmbuild_module mod = { img, size, "fuzz.mod" };
    struct hvmbuild_config cfg = { .mem_bytes = MEM, .nr_vcpus = 2, .cmdline = "seed=1",
                                   .nr_modules = 1, .modules = &mod, .report = report };
    struct hvmbuild_image im;
    struct hvmbuild_layout l;
    struct hvmbuild_vcpu_state vs;
    bool in_seg = false;

    memcpy(img, data, size);
    if (hvmbuild_detect(img, size, "fuzz", &im, report, NULL) != 0 ||
        hvmbuild_layout(&im, &cfg, &l) != 0)
        goto out;
    for (unsigned i = 0; i < l.nr_segs; i++)
        in_seg |= l.entry >= l.seg[i].paddr && l.entry - l.seg[i].paddr < l.seg[i].memsz;
    if (!in_seg)
        abort();
    cur = &l;
    cur_cfg = &cfg;
    if (hvmbuild_populate(&l, &im, &cfg, write_gpa, NULL, scratch, &vs) != 0)
        abort();
    if (vs.rip != l.entry || (vs.rbx != HVMBUILD_INFO_GPA && vs.rsi != HVMBUILD_INFO_GPA))
        abort();
out:
    free(img);
    return 0;
}
