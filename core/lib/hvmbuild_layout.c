/* The HVM builder's layout and population (see include/hvlab/hvmbuild.h).
 *
 * Design: hvmbuild_layout() is pure arithmetic that refuses every bad config before
 * the toolstack allocates the domain; hvmbuild_populate() then assembles the low
 * structures (GDT, page tables, the protocol's info page, memory map, strings) and
 * the ACPI tables in the caller's scratch buffer and writes each region to the guest
 * once, with the kernel's segments and the modules written straight from the
 * caller's buffers. Modules go at the top of RAM (below initrd_addr_max for Linux),
 * highest first, so the kernel keeps the low memory it asks for. */
#include <hvlab/errno.h>
#include <hvlab/hvmbuild_internal.h>
#include <hvlab/lib.h>
#include <hvlab/multiboot.h>
#include <public/domctl.h>

#define GDT_ENTRIES     4
#define SZ_2M           (2ULL << 20)
#define SZ_1G           (1ULL << 30)
#define LINUX_INITRD_MAX_DEFAULT 0x37ffffffu  /* protocols before 2.03 */

static int refuse(const struct hvmbuild_config *cfg, const struct hvmbuild_image *img, int err,
                  const char *fmt, ...) __printf(4, 5);

static int refuse(const struct hvmbuild_config *cfg, const struct hvmbuild_image *img, int err,
                  const char *fmt, ...)
{
    char msg[HVMBUILD_WHY_LEN + 64];
    va_list ap;
    int n;

    n = fmt_snprintf(msg, sizeof(msg), "%s: ", img->name ? img->name : "kernel");
    va_start(ap, fmt);
    fmt_vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
    va_end(ap);
    if (cfg->report)
        cfg->report(cfg->report_arg, msg);
    return err;
}

static unsigned config_vcpus(const struct hvmbuild_config *cfg)
{
    return cfg->nr_vcpus ? cfg->nr_vcpus : 1;
}

static int check_strings(const struct hvmbuild_image *img, const struct hvmbuild_config *cfg)
{
    size_t cl = cfg->cmdline ? strlen(cfg->cmdline) : 0, mods = 0;

    if (cl >= HVMBUILD_CMDLINE_MAX)
        return refuse(cfg, img, -E2BIG, "command line of %zu bytes (at most %u)", cl,
                      HVMBUILD_CMDLINE_MAX - 1);
    if (img->proto == HVMBUILD_LINUX64 && img->lx.cmdline_size && cl > img->lx.cmdline_size)
        return refuse(cfg, img, -E2BIG, "command line of %zu bytes, the kernel takes at most "
                      "%u", cl, img->lx.cmdline_size);
    if (cfg->loader_name && strlen(cfg->loader_name) >= HVMBUILD_LOADER_MAX)
        return refuse(cfg, img, -E2BIG, "boot loader name of %zu bytes (at most %u)",
                      strlen(cfg->loader_name), HVMBUILD_LOADER_MAX - 1);
    if (cfg->nr_modules > HVMBUILD_MAX_MODULES)
        return refuse(cfg, img, -E2BIG, "%u modules (at most %u)", cfg->nr_modules,
                      HVMBUILD_MAX_MODULES);
    if (img->proto == HVMBUILD_LINUX64 && cfg->nr_modules > 1)
        return refuse(cfg, img, -E2BIG, "%u modules, a Linux kernel takes one (the initrd)",
                      cfg->nr_modules);
    for (unsigned i = 0; i < cfg->nr_modules; i++)
        mods += (cfg->modules[i].cmdline ? strlen(cfg->modules[i].cmdline) : 0) + 1;
    if (mods > HVMBUILD_MODCMD_MAX)
        return refuse(cfg, img, -E2BIG, "module strings of %zu bytes in all (at most %u)",
                      mods, HVMBUILD_MODCMD_MAX);
    return 0;
}

static int check_numa(const struct hvmbuild_image *img, const struct hvmbuild_config *cfg,
                      unsigned nr_vcpus)
{
    const struct hvmbuild_numa *numa = cfg->numa;
    uint64_t sum = 0;

    if (!numa || numa->nr_nodes <= 1)
        return 0;
    if (numa->nr_nodes > HVMBUILD_MAX_VNODES)
        return refuse(cfg, img, -E2BIG, "%u virtual NUMA nodes (at most %u)", numa->nr_nodes,
                      HVMBUILD_MAX_VNODES);
    for (unsigned n = 0; n < numa->nr_nodes; n++) {
        if (numa->mem_bytes[n] == 0 || (numa->mem_bytes[n] & (SZ_2M - 1)))
            return refuse(cfg, img, -EINVAL, "virtual node %u: memory 0x%llx is not a "
                          "non-zero multiple of 2 MiB", n,
                          (unsigned long long)numa->mem_bytes[n]);
        sum += numa->mem_bytes[n];
    }
    if (sum != cfg->mem_bytes)
        return refuse(cfg, img, -EINVAL, "virtual nodes hold %llu MiB, the domain has %llu",
                      (unsigned long long)(sum >> 20),
                      (unsigned long long)(cfg->mem_bytes >> 20));
    for (unsigned i = 0; i < nr_vcpus; i++)
        if (numa->vcpu_node[i] >= numa->nr_nodes)
            return refuse(cfg, img, -EINVAL, "vCPU %u on virtual node %u of %u", i,
                          numa->vcpu_node[i], numa->nr_nodes);
    return 0;
}

/* Modules from the top of RAM (or initrd_addr_max) down, page-aligned. */
static int place_modules(const struct hvmbuild_image *img, const struct hvmbuild_config *cfg,
                         struct hvmbuild_layout *l)
{
    uint64_t top = l->mem_bytes;

    if (img->proto == HVMBUILD_LINUX64) {
        uint32_t max = img->lx.initrd_addr_max ? img->lx.initrd_addr_max
                                                  : LINUX_INITRD_MAX_DEFAULT;
        top = MIN(top, ((uint64_t)max + 1) & PAGE_MASK);
    }
    for (unsigned i = 0; i < cfg->nr_modules; i++) {
        uint64_t len = cfg->modules[i].len;

        if (len > top || ALIGN_DOWN(top - len, PAGE_SIZE) < HVMBUILD_HOLE_END)
            return refuse(cfg, img, -ENOMEM, "%llu MiB of memory is too small for the "
                          "modules (module %u: %llu bytes)",
                          (unsigned long long)(l->mem_bytes >> 20), i,
                          (unsigned long long)len);
        top = ALIGN_DOWN(top - len, PAGE_SIZE);
        l->module_gpa[i] = top;
    }
    l->modules_lo = cfg->nr_modules ? top : l->mem_bytes;
    return 0;
}

static bool overlaps(uint64_t a, uint64_t a_end, uint64_t b, uint64_t b_end)
{
    return a < b_end && b < a_end;
}

static int check_segment(const struct hvmbuild_image *img, const struct hvmbuild_config *cfg,
                         const struct hvmbuild_layout *l, unsigned i)
{
    uint64_t a = l->seg[i].paddr, b = a + l->seg[i].memsz;

    if (b > l->mem_bytes || b < a)
        return refuse(cfg, img, -ENOMEM, "segment %u [0x%llx, 0x%llx) lies outside the "
                      "guest's RAM [0, 0x%llx)", i, (unsigned long long)a,
                      (unsigned long long)b, (unsigned long long)l->mem_bytes);
    if (overlaps(a, b, HVMBUILD_LOW_BASE, HVMBUILD_LOW_END))
        return refuse(cfg, img, -EINVAL, "segment %u [0x%llx, 0x%llx) overlaps the builder's "
                      "structures [0x%llx, 0x%llx)", i, (unsigned long long)a,
                      (unsigned long long)b, HVMBUILD_LOW_BASE, HVMBUILD_LOW_END);
    if (overlaps(a, b, HVMBUILD_HOLE_BASE, HVMBUILD_HOLE_END))
        return refuse(cfg, img, -EINVAL, "segment %u [0x%llx, 0x%llx) overlaps the reserved "
                      "legacy region [0x%llx, 0x%llx) (ACPI tables)", i, (unsigned long long)a,
                      (unsigned long long)b, HVMBUILD_HOLE_BASE, HVMBUILD_HOLE_END);
    if (b > l->modules_lo)
        return refuse(cfg, img, -ENOMEM, "%llu MiB of memory is too small for the kernel "
                      "(segment %u ends at 0x%llx) and the modules (from 0x%llx)",
                      (unsigned long long)(l->mem_bytes >> 20), i, (unsigned long long)b,
                      (unsigned long long)l->modules_lo);
    return 0;
}

static int place_kernel(const struct hvmbuild_image *img, const struct hvmbuild_config *cfg,
                        struct hvmbuild_layout *l)
{
    bool in_seg = false;
    int rc;

    l->nr_segs = img->nr_segs;
    memcpy(l->seg, img->seg, sizeof(l->seg));
    l->entry = img->entry;
    if (img->proto == HVMBUILD_LINUX64) {
        uint64_t load;
        if (hvmbuild_linux_place(&img->lx, l->modules_lo, &load))
            return refuse(cfg, img, -ENOMEM, "%llu MiB of memory is too small for the kernel "
                          "(init_size %u at 0x%llx%s)%s",
                          (unsigned long long)(l->mem_bytes >> 20), img->lx.init_size,
                          (unsigned long long)img->lx.pref_address,
                          img->lx.relocatable ? " or relocated" : ", not relocatable",
                          cfg->nr_modules ? " and the initrd" : "");
        l->seg[0].paddr = load;
        l->entry = load + img->entry;
    }
    if (l->entry >= l->mem_bytes)
        return refuse(cfg, img, -EINVAL, "entry point 0x%llx outside the guest's RAM "
                      "[0, 0x%llx)", (unsigned long long)l->entry,
                      (unsigned long long)l->mem_bytes);
    l->kernel_lo = UINT64_MAX;
    for (unsigned i = 0; i < l->nr_segs; i++) {
        if ((rc = check_segment(img, cfg, l, i)))
            return rc;
        l->kernel_lo = MIN(l->kernel_lo, l->seg[i].paddr);
        l->kernel_hi = MAX(l->kernel_hi, l->seg[i].paddr + l->seg[i].memsz);
        in_seg |= l->entry >= l->seg[i].paddr && l->entry < l->seg[i].paddr + l->seg[i].memsz;
    }
    if (!in_seg)
        return refuse(cfg, img, -EINVAL, "entry point 0x%llx is not inside any loaded "
                      "segment", (unsigned long long)l->entry);
    return 0;
}

int hvmbuild_layout(const struct hvmbuild_image *img, const struct hvmbuild_config *cfg,
                    struct hvmbuild_layout *out)
{
    struct hvmbuild_acpi_params ap;
    unsigned nr_vcpus = config_vcpus(cfg);
    int rc, n;

    memset(out, 0, sizeof(*out));
    out->mem_bytes = cfg->mem_bytes;
    out->nr_vcpus = nr_vcpus;
    out->proto = img->proto;
    if (nr_vcpus > HVMBUILD_MAX_VCPUS)
        return refuse(cfg, img, -E2BIG, "%u vCPUs: the MADT describes at most %u (8-bit "
                      "xAPIC ids, 0xFF is broadcast)", nr_vcpus, HVMBUILD_MAX_VCPUS);
    if (cfg->mem_bytes < HVMBUILD_MIN_MEM || cfg->mem_bytes > HVMBUILD_MAX_MEM ||
        (cfg->mem_bytes & (PAGE_SIZE - 1)))
        return refuse(cfg, img, -ENOMEM, "memory 0x%llx bytes: must be whole pages from "
                      "%llu MiB to 0x%llx (below the IOAPIC window)",
                      (unsigned long long)cfg->mem_bytes, HVMBUILD_MIN_MEM >> 20,
                      HVMBUILD_MAX_MEM);
    if ((rc = check_strings(img, cfg)) || (rc = check_numa(img, cfg, nr_vcpus)))
        return rc;
    ap = (struct hvmbuild_acpi_params){ nr_vcpus, cfg->numa };
    out->acpi_gpa = HVMBUILD_ACPI_GPA;
    out->acpi_len = hvmbuild_acpi_size(&ap);
    if (out->acpi_len > HVMBUILD_ACPI_MAX)
        return refuse(cfg, img, -E2BIG, "ACPI tables of %llu bytes do not fit in %llu",
                      (unsigned long long)out->acpi_len, HVMBUILD_ACPI_MAX);
    n = hvmbuild_e820(cfg->mem_bytes, out->acpi_gpa, ALIGN_UP(out->acpi_len, PAGE_SIZE),
                      out->e820, HVMBUILD_E820_MAX);
    if (n < 0)
        return refuse(cfg, img, n, "cannot build the E820 map (error %d)", n);
    out->nr_e820 = (unsigned)n;
    if ((rc = place_modules(img, cfg, out)) || (rc = place_kernel(img, cfg, out)))
        return rc;
    return 0;
}

/* ---- the shared low structures ---- */

void hvmbuild_gdt(uint8_t *low)
{
    static const uint64_t gdt[GDT_ENTRIES] = {
        [HVM_BOOT_SEL_CODE32 / 8] = 0x00cf9a000000ffffULL,  /* flat 32-bit code */
        [HVM_BOOT_SEL_CODE64 / 8] = 0x00af9a000000ffffULL,  /* Linux's __BOOT_CS */
        [HVM_BOOT_SEL_DATA / 8]   = 0x00cf92000000ffffULL,  /* flat data, __BOOT_DS */
    };
    memcpy(low + HVMBUILD_GDT_GPA, gdt, sizeof(gdt));
}

void hvmbuild_pagetables(uint8_t *low)
{
    uint64_t pml4 = HVMBUILD_PT_GPA, pdpt = pml4 + PAGE_SIZE, pd = pdpt + PAGE_SIZE;
    uint64_t e;

    memset(low + pml4, 0, HVMBUILD_PT_PAGES * PAGE_SIZE);
    e = pdpt | PTE_P | PTE_W;
    memcpy(low + pml4, &e, 8);
    for (uint64_t g = 0; g < 4; g++) {
        e = (pd + g * PAGE_SIZE) | PTE_P | PTE_W;
        memcpy(low + pdpt + g * 8, &e, 8);
        for (uint64_t i = 0; i < 512; i++) {
            e = (g * SZ_1G + i * SZ_2M) | PTE_P | PTE_W | PTE_PS;
            memcpy(low + pd + g * PAGE_SIZE + i * 8, &e, 8);
        }
    }
}

void hvmbuild_strings(const struct hvmbuild_config *cfg, uint8_t *low, uint64_t *mod_cmd)
{
    const char *cl = cfg->cmdline ? cfg->cmdline : "";
    uint64_t at = HVMBUILD_MODCMD_GPA;

    memset(low + HVMBUILD_CMDLINE_GPA, 0, HVMBUILD_CMDLINE_MAX);
    memcpy(low + HVMBUILD_CMDLINE_GPA, cl, strlen(cl));
    memset(low + HVMBUILD_MODCMD_GPA, 0, HVMBUILD_MODCMD_MAX);
    for (unsigned i = 0; i < cfg->nr_modules; i++) {
        const char *s = cfg->modules[i].cmdline ? cfg->modules[i].cmdline : "";
        size_t n = strlen(s) + 1;
        memcpy(low + at, s, n);
        mod_cmd[i] = at;
        at += n;
    }
}

/* ---- populate ---- */

static int put(const struct hvmbuild_config *cfg, const struct hvmbuild_image *img,
               hvmbuild_write_fn write, void *ctx, uint64_t gpa, const void *src, uint64_t len)
{
    int rc;

    if (len == 0)
        return 0;
    rc = write(ctx, gpa, src, len);
    if (rc)
        return refuse(cfg, img, rc, "writing guest memory [0x%llx, 0x%llx) failed (error %d)",
                      (unsigned long long)gpa, (unsigned long long)(gpa + len), rc);
    return 0;
}

static void boot_state(const struct hvmbuild_layout *l, struct hvmbuild_vcpu_state *vs)
{
    memset(vs, 0, sizeof(*vs));
    vs->rip = l->entry;
    vs->gdt_base = HVMBUILD_GDT_GPA;
    vs->gdt_limit = GDT_ENTRIES * 8 - 1;
    switch (l->proto) {
    case HVMBUILD_MULTIBOOT:
        vs->mode = HVMBUILD_BOOT_PROT32;
        vs->rax = MULTIBOOT_LOADER_MAGIC;
        vs->rbx = HVMBUILD_INFO_GPA;
        break;
    case HVMBUILD_PVH:
        vs->mode = HVMBUILD_BOOT_PROT32;
        vs->rbx = HVMBUILD_INFO_GPA;
        break;
    case HVMBUILD_LINUX64:
        vs->mode = HVMBUILD_BOOT_LONG64;
        vs->rsi = HVMBUILD_INFO_GPA;
        vs->cr3 = HVMBUILD_PT_GPA;
        break;
    }
}

int hvmbuild_populate(const struct hvmbuild_layout *l, const struct hvmbuild_image *img,
                      const struct hvmbuild_config *cfg, hvmbuild_write_fn write, void *ctx,
                      void *scratch, struct hvmbuild_vcpu_state *vs)
{
    uint8_t *low = scratch, *acpi = low + HVMBUILD_LOW_END;
    const uint8_t *data = img->data;
    struct hvmbuild_acpi_params ap = { l->nr_vcpus, cfg->numa };
    struct hvmbuild_acpi_info ai;
    int rc;

    for (unsigned i = 0; i < l->nr_segs; i++) {
        const struct hvmbuild_segment *s = &l->seg[i];
        if ((rc = put(cfg, img, write, ctx, s->paddr, data + s->offset, s->filesz)) ||
            (rc = put(cfg, img, write, ctx, s->paddr + s->filesz, NULL, s->memsz - s->filesz)))
            return rc;
    }
    for (unsigned i = 0; i < cfg->nr_modules; i++)
        if ((rc = put(cfg, img, write, ctx, l->module_gpa[i], cfg->modules[i].data,
                      cfg->modules[i].len)))
            return rc;
    if ((rc = hvmbuild_acpi_build(&ap, acpi, HVMBUILD_ACPI_MAX, l->acpi_gpa, &ai)))
        return refuse(cfg, img, rc, "cannot build the ACPI tables (error %d)", rc);
    if ((rc = put(cfg, img, write, ctx, l->acpi_gpa, acpi, ai.len)))
        return rc;

    memset(low, 0, HVMBUILD_LOW_END);
    hvmbuild_gdt(low);
    hvmbuild_pagetables(low);
    switch (l->proto) {
    case HVMBUILD_MULTIBOOT:
        hvmbuild_mb_info(l, cfg, low);
        break;
    case HVMBUILD_PVH:
        hvmbuild_pvh_start_info(l, cfg, ai.rsdp_gpa, low);
        break;
    case HVMBUILD_LINUX64:
        hvmbuild_linux_zero_page(l, img, cfg, ai.rsdp_gpa, low);
        break;
    }
    if ((rc = put(cfg, img, write, ctx, HVMBUILD_LOW_BASE, low + HVMBUILD_LOW_BASE,
                  HVMBUILD_LOW_END - HVMBUILD_LOW_BASE)))
        return rc;
    boot_state(l, vs);
    return 0;
}
