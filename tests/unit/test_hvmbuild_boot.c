/* The HVM builder end to end on the host: crafted images laid out and populated into
 * a fake guest memory, then the protocol's structures read back (multiboot_info,
 * hvm_start_info, the Linux zero page, page tables, GDT, ACPI through a legacy RSDP
 * scan) and the vCPU boot state checked. */
#include "unit.h"
#include "hvmbuild_fixture.h"

#include <hvlab/acpi.h>
#include <hvlab/errno.h>
#include <hvlab/hvmbuild_internal.h>
#include <hvlab/multiboot.h>
#include <public/domctl.h>

#define MiB (1ULL << 20)
#define POISON 0xcc

static uint8_t img[FX_CAP];
static uint8_t *mem;
static uint64_t mem_size;
static uint8_t scratch[HVMBUILD_SCRATCH_BYTES];
static char last_msg[512];
static int nr_msgs, nr_writes;
static uint64_t fail_gpa = UINT64_MAX;

static void report(void *arg, const char *msg)
{
    (void)arg;
    snprintf(last_msg, sizeof(last_msg), "%s", msg);
    nr_msgs++;
}

static int write_mem(void *ctx, uint64_t gpa, const void *src, uint64_t len)
{
    (void)ctx;
    nr_writes++;
    if (gpa > mem_size || len > mem_size - gpa) {
        printf("  write [0x%llx, +0x%llx) outside RAM\n", (unsigned long long)gpa,
               (unsigned long long)len);
        unit_failed_checks++;
        return -EFAULT;
    }
    if (gpa <= fail_gpa && fail_gpa < gpa + len)
        return -EFAULT;
    if (src)
        memcpy(mem + gpa, src, len);
    else
        memset(mem + gpa, 0, len);
    return 0;
}

static void fill_modules(void);

static void mem_reset(uint64_t size)
{
    fill_modules();
    free(mem);
    mem_size = size;
    mem = malloc(size);
    memset(mem, POISON, size);
    nr_msgs = nr_writes = 0;
    last_msg[0] = '\0';
    fail_gpa = UINT64_MAX;
}

static uint32_t rd32(uint64_t gpa) { uint32_t v; memcpy(&v, mem + gpa, 4); return v; }
static uint64_t rd64(uint64_t gpa) { uint64_t v; memcpy(&v, mem + gpa, 8); return v; }

/* Detect, lay out, populate: 0 or the first error. */
static int build(size_t len, const struct hvmbuild_config *cfg, struct hvmbuild_image *im,
                 struct hvmbuild_layout *l, struct hvmbuild_vcpu_state *vs)
{
    int rc = hvmbuild_detect(img, len, "guest.img", im, report, NULL);

    if (rc)
        return rc;
    if ((rc = hvmbuild_layout(im, cfg, l)))
        return rc;
    return hvmbuild_populate(l, im, cfg, write_mem, NULL, scratch, vs);
}

static uint8_t mod_a[5000], mod_b[100], initrd[0x3000];

static void fill_modules(void)
{
    for (size_t i = 0; i < sizeof(mod_a); i++)
        mod_a[i] = (uint8_t)(i ^ 0x5a);
    for (size_t i = 0; i < sizeof(mod_b); i++)
        mod_b[i] = (uint8_t)(i + 100);
    for (size_t i = 0; i < sizeof(initrd); i++)
        initrd[i] = (uint8_t)(i * 3);
}

static void check_segments(const struct hvmbuild_layout *l)
{
    for (unsigned s = 0; s < l->nr_segs; s++) {
        const struct hvmbuild_segment *g = &l->seg[s];
        uint64_t bad = 0;

        for (uint64_t i = 0; i < g->filesz; i++)
            bad += mem[g->paddr + i] != img[g->offset + i];
        for (uint64_t i = g->filesz; i < g->memsz; i++)
            bad += mem[g->paddr + i] != 0;
        CHECK_EQ(bad, 0);
    }
}

static const void *acpi_map(paddr_t pa, size_t len)
{
    return pa < mem_size && len <= mem_size - pa ? mem + pa : NULL;
}

/* The RSDP by the legacy scan of 0xE0000-0xFFFFF, then the MADT's vCPUs. */
static void check_acpi(unsigned nr_vcpus, uint64_t want_rsdp)
{
    long off = acpi_find_rsdp(mem + 0xe0000, 0x20000);
    static struct topology t;
    const struct acpi_header *madt;

    CHECK_EQ(off, want_rsdp - 0xe0000);
    if (off < 0)
        return;
    madt = acpi_find_table((const void *)(mem + 0xe0000 + off), "APIC", 0, acpi_map);
    CHECK(madt != NULL);
    if (madt) {
        CHECK_EQ(acpi_parse_madt(madt, &t), 0);
        CHECK_EQ(t.nr_cpus, nr_vcpus);
    }
}

static void multiboot_info(void)
{
    struct fx_elf e = { .entry = 0x100010, .nsegs = 2,
                        .seg = { { 0x100000, 0, 0x800, 0x2000 }, { 0x200000, 0, 0x100, 0x1000 } },
                        .mb = true, .mb_flags = 0x3 };
    struct hvmbuild_module mods[2] = { { mod_a, sizeof(mod_a), "mod-a arg" },
                                       { mod_b, sizeof(mod_b), NULL } };
    struct hvmbuild_config cfg = { .mem_bytes = 64 * MiB, .nr_vcpus = 2,
                                   .cmdline = "console=com1 x=1", .nr_modules = 2,
                                   .modules = mods, .report = report };
    struct hvmbuild_image im;
    struct hvmbuild_layout l;
    struct hvmbuild_vcpu_state vs;
    const struct multiboot_info *mbi;
    const struct multiboot_mod *mm;
    size_t len = fx_make_elf(img, &e);

    mem_reset(64 * MiB);
    CHECK_EQ(build(len, &cfg, &im, &l, &vs), 0);
    CHECK_EQ(nr_msgs, 0);
    CHECK_EQ(vs.mode, HVMBUILD_BOOT_PROT32);
    CHECK_EQ(vs.rip, 0x100010);
    CHECK_EQ(vs.rax, MULTIBOOT_LOADER_MAGIC);
    CHECK_EQ(vs.rbx, HVMBUILD_INFO_GPA);
    check_segments(&l);
    /* svm loads CS = HVM_BOOT_SEL_CODE32 and the data selectors = HVM_BOOT_SEL_DATA
     * in PROT32 with GDTR = gdt_base: those descriptors must be 32-bit code and data
     * (svm once loaded DS = 0x10, this GDT's 64-bit code). */
    CHECK_EQ(vs.gdt_base, HVMBUILD_GDT_GPA);
    CHECK_EQ(rd64(vs.gdt_base + HVM_BOOT_SEL_CODE32), 0x00cf9a000000ffffULL);
    CHECK_EQ(rd64(vs.gdt_base + HVM_BOOT_SEL_DATA), 0x00cf92000000ffffULL);
    CHECK_EQ(rd64(vs.gdt_base + HVM_BOOT_SEL_CODE64), 0x00af9a000000ffffULL);
    mbi = (const void *)(mem + vs.rbx);
    CHECK_EQ(mbi->flags & (MBI_FLAG_MEM | MBI_FLAG_CMDLINE | MBI_FLAG_MODS | MBI_FLAG_MMAP),
             MBI_FLAG_MEM | MBI_FLAG_CMDLINE | MBI_FLAG_MODS | MBI_FLAG_MMAP);
    CHECK_EQ(mbi->mem_lower, 0x9f000 / 1024);
    CHECK_EQ(mbi->mem_upper, (64 * MiB - MiB) / 1024);
    CHECK_STREQ((const char *)mem + mbi->cmdline, "console=com1 x=1");
    CHECK_EQ(mbi->mods_count, 2);
    mm = (const void *)(mem + mbi->mods_addr);
    for (unsigned i = 0; i < 2; i++) {
        CHECK_EQ(mm[i].mod_start % 4096, 0);
        CHECK_EQ(mm[i].mod_end - mm[i].mod_start, mods[i].len);
        CHECK(mm[i].mod_start >= l.kernel_hi && mm[i].mod_end <= 64 * MiB);
        CHECK(memcmp(mem + mm[i].mod_start, mods[i].data, mods[i].len) == 0);
    }
    CHECK_STREQ((const char *)mem + mm[0].string, "mod-a arg");
    CHECK_STREQ((const char *)mem + mm[1].string, "");
    CHECK(mm[0].mod_end <= mm[1].mod_start || mm[1].mod_end <= mm[0].mod_start);
    CHECK_EQ(mbi->mmap_length, l.nr_e820 * 24);
    for (unsigned i = 0; i < l.nr_e820; i++) {
        const struct multiboot_mmap *m = (const void *)(mem + mbi->mmap_addr + 24 * i);
        CHECK_EQ(m->size, 20);
        CHECK_EQ(m->addr, l.e820[i].addr);
        CHECK_EQ(m->len, l.e820[i].size);
        CHECK_EQ(m->type, l.e820[i].type);
    }
    check_acpi(2, HVMBUILD_ACPI_GPA);
    CHECK_EQ(mem[0x50000], POISON);     /* memory nobody claims is left alone */
    CHECK_EQ(mem[0x500], POISON);
}

static void pvh_start_info(void)
{
    struct fx_elf e = { .is64 = true, .entry = 0xffffffff81000000ULL, .nsegs = 1,
                        .seg = { { 0x100000, 0, 0x800, 0x2000 } },
                        .pvh_desc_len = 8, .pvh_entry = 0x100040 };
    struct hvmbuild_module mods[1] = { { mod_b, sizeof(mod_b), "initrd" } };
    struct hvmbuild_config cfg = { .mem_bytes = 32 * MiB, .nr_vcpus = 4, .cmdline = "quiet",
                                   .nr_modules = 1, .modules = mods, .report = report };
    struct hvmbuild_image im;
    struct hvmbuild_layout l;
    struct hvmbuild_vcpu_state vs;
    const struct hvm_start_info *si;
    const struct hvm_modlist_entry *ml;
    size_t len = fx_make_elf(img, &e);

    mem_reset(32 * MiB);
    CHECK_EQ(build(len, &cfg, &im, &l, &vs), 0);
    CHECK_EQ(vs.mode, HVMBUILD_BOOT_PROT32);
    CHECK_EQ(vs.rip, 0x100040);
    CHECK_EQ(vs.rbx, HVMBUILD_INFO_GPA);
    check_segments(&l);
    si = (const void *)(mem + vs.rbx);
    CHECK_EQ(si->magic, HVM_START_MAGIC);
    CHECK_EQ(si->version, 1);
    CHECK_EQ(si->rsdp_paddr, HVMBUILD_ACPI_GPA);
    CHECK_STREQ((const char *)mem + si->cmdline_paddr, "quiet");
    CHECK_EQ(si->memmap_entries, l.nr_e820);
    for (unsigned i = 0; i < si->memmap_entries; i++) {
        const struct hvm_memmap_table_entry *m = (const void *)(mem + si->memmap_paddr + 24 * i);
        CHECK_EQ(m->addr, l.e820[i].addr);
        CHECK_EQ(m->size, l.e820[i].size);
        CHECK_EQ(m->type, l.e820[i].type);
    }
    CHECK_EQ(si->nr_modules, 1);
    ml = (const void *)(mem + si->modlist_paddr);
    CHECK_EQ(ml->size, sizeof(mod_b));
    CHECK(memcmp(mem + ml->paddr, mod_b, sizeof(mod_b)) == 0);
    CHECK_STREQ((const char *)mem + ml->cmdline_paddr, "initrd");
    check_acpi(4, si->rsdp_paddr);
}

/* Walks the identity map at cr3 for va: the physical address, or ~0 if unmapped. */
static uint64_t walk(uint64_t cr3, uint64_t va)
{
    uint64_t e = rd64(cr3 + ((va >> 39) & 511) * 8);

    if (!(e & 1))
        return ~0ULL;
    e = rd64((e & ~0xfffULL) + ((va >> 30) & 511) * 8);
    if (!(e & 1))
        return ~0ULL;
    e = rd64((e & ~0xfffULL) + ((va >> 21) & 511) * 8);
    if (!(e & 1) || !(e & 0x80))
        return ~0ULL;
    return (e & ~0x1fffffULL) + (va & 0x1fffff);
}

static void linux_zero_page(void)
{
    struct fx_bz z = fx_bz_default();
    struct hvmbuild_module rd = { initrd, sizeof(initrd), NULL };
    struct hvmbuild_config cfg = { .mem_bytes = 64 * MiB, .nr_vcpus = 2,
                                   .cmdline = "console=ttyS0 tsc_early_khz=1000000",
                                   .nr_modules = 1, .modules = &rd, .report = report };
    struct hvmbuild_image im;
    struct hvmbuild_layout l;
    struct hvmbuild_vcpu_state vs;
    const uint8_t *bp;
    uint64_t gdt_code, gdt_data, rd_gpa;
    size_t len;

    z.initrd_addr_max = 48 * MiB - 1;
    len = fx_make_bzimage(img, &z);
    mem_reset(64 * MiB);
    CHECK_EQ(build(len, &cfg, &im, &l, &vs), 0);
    CHECK_EQ(vs.mode, HVMBUILD_BOOT_LONG64);
    CHECK_EQ(l.seg[0].paddr, 0x1000000);
    CHECK_EQ(vs.rip, 0x1000000 + 0x200);
    CHECK_EQ(vs.rsi, HVMBUILD_INFO_GPA);
    CHECK_EQ(vs.cr3, HVMBUILD_PT_GPA);
    CHECK_EQ(vs.gdt_base, HVMBUILD_GDT_GPA);
    check_segments(&l);
    bp = mem + vs.rsi;
    CHECK(memcmp(bp + 0x202, "HdrS", 4) == 0);
    CHECK_EQ(bp[0x1f1], 4);                             /* setup_sects copied */
    CHECK_EQ(bp[0x210], 0xff);                          /* type_of_loader */
    CHECK_EQ(bp[0x211] & LINUX_LOADED_HIGH, LINUX_LOADED_HIGH);
    CHECK_EQ(rd32(vs.rsi + 0x228), HVMBUILD_CMDLINE_GPA);
    CHECK_STREQ((const char *)mem + rd32(vs.rsi + 0x228), "console=ttyS0 tsc_early_khz=1000000");
    rd_gpa = rd32(vs.rsi + 0x218) | (uint64_t)rd32(vs.rsi + 0xc0) << 32;
    CHECK_EQ(rd_gpa, l.module_gpa[0]);
    CHECK_EQ(rd32(vs.rsi + 0x21c), sizeof(initrd));
    CHECK(rd_gpa + sizeof(initrd) <= 48 * MiB);         /* below initrd_addr_max */
    CHECK(rd_gpa >= l.kernel_hi);
    CHECK(memcmp(mem + rd_gpa, initrd, sizeof(initrd)) == 0);
    CHECK_EQ(rd64(vs.rsi + 0x70), HVMBUILD_ACPI_GPA);   /* acpi_rsdp_addr */
    CHECK_EQ(bp[0x1e8], l.nr_e820);
    CHECK(memcmp(bp + 0x2d0, l.e820, l.nr_e820 * 20) == 0);
    CHECK_EQ(walk(vs.cr3, 0), 0);
    CHECK_EQ(walk(vs.cr3, 0x1000200), 0x1000200);
    CHECK_EQ(walk(vs.cr3, 0x3fffffff), 0x3fffffff);
    CHECK_EQ(walk(vs.cr3, 0xfee00000), 0xfee00000);
    CHECK_EQ(walk(vs.cr3, 0x100000000ULL), ~0ULL);      /* only the first 4 GiB */
    gdt_code = rd64(vs.gdt_base + 0x10);
    gdt_data = rd64(vs.gdt_base + 0x18);
    CHECK_EQ((gdt_code >> 53) & 1, 1);                  /* L: 64-bit code */
    CHECK_EQ((gdt_code >> 47) & 1, 1);                  /* present */
    CHECK_EQ((gdt_code >> 43) & 1, 1);                  /* code */
    CHECK_EQ((gdt_data >> 43) & 1, 0);                  /* data */
    CHECK_EQ((gdt_data >> 41) & 1, 1);                  /* writable */
    CHECK(vs.gdt_limit >= 0x1f);
    check_acpi(2, HVMBUILD_ACPI_GPA);
}

/* pref_address (16 MiB) does not fit in 16 MiB of RAM: the relocatable kernel goes to
 * the first 2 MiB boundary above 1 MiB. */
static void linux_relocated(void)
{
    struct fx_bz z = fx_bz_default();
    struct hvmbuild_config cfg = { .mem_bytes = 16 * MiB, .report = report };
    struct hvmbuild_image im;
    struct hvmbuild_layout l;
    struct hvmbuild_vcpu_state vs;
    size_t len = fx_make_bzimage(img, &z);

    mem_reset(16 * MiB);
    CHECK_EQ(build(len, &cfg, &im, &l, &vs), 0);
    CHECK_EQ(l.seg[0].paddr, 2 * MiB);
    CHECK_EQ(vs.rip, 2 * MiB + 0x200);
    check_segments(&l);
    CHECK_EQ(mem[HVMBUILD_INFO_GPA + 0x218], 0);        /* no initrd */
}

static void numa_srat_in_guest(void)
{
    struct fx_elf e = { .entry = 0x100000, .nsegs = 1, .seg = { { 0x100000, 0, 0x10, 0x10 } },
                        .mb = true };
    struct hvmbuild_numa numa = { .nr_nodes = 2, .mem_bytes = { 16 * MiB, 16 * MiB },
                                  .vcpu_node = { 0, 1 } };
    struct hvmbuild_config cfg = { .mem_bytes = 32 * MiB, .nr_vcpus = 2, .numa = &numa,
                                   .report = report };
    struct hvmbuild_image im;
    struct hvmbuild_layout l;
    struct hvmbuild_vcpu_state vs;
    size_t len = fx_make_elf(img, &e);
    static struct topology t;
    const struct acpi_rsdp *r;
    const struct acpi_header *madt, *srat;

    mem_reset(32 * MiB);
    CHECK_EQ(build(len, &cfg, &im, &l, &vs), 0);
    r = (const void *)(mem + HVMBUILD_ACPI_GPA);
    madt = acpi_find_table(r, "APIC", 0, acpi_map);
    srat = acpi_find_table(r, "SRAT", 0, acpi_map);
    CHECK(madt && srat);
    if (madt && srat) {
        CHECK_EQ(acpi_parse_madt(madt, &t), 0);
        CHECK_EQ(acpi_parse_srat(srat, &t), 0);
        CHECK_EQ(t.nr_nodes, 2);
        CHECK_EQ(t.cpu_node[1], 1);
    }
}

static void write_failure_reported(void)
{
    struct fx_elf e = { .entry = 0x100000, .nsegs = 1, .seg = { { 0x100000, 0, 0x10, 0x10 } },
                        .mb = true };
    struct hvmbuild_config cfg = { .mem_bytes = 8 * MiB, .report = report };
    struct hvmbuild_image im;
    struct hvmbuild_layout l;
    struct hvmbuild_vcpu_state vs;
    size_t len = fx_make_elf(img, &e);

    mem_reset(8 * MiB);
    fail_gpa = HVMBUILD_ACPI_GPA;
    CHECK_EQ(build(len, &cfg, &im, &l, &vs), -EFAULT);
    CHECK(strstr(last_msg, "guest.img: writing guest memory [0xe0000") != NULL);
}

static const struct unit_case cases[] = {
    { "multiboot_info_mmap_modules_acpi", multiboot_info },
    { "pvh_start_info_v1_memmap_modules_rsdp", pvh_start_info },
    { "linux_zero_page_pagetables_gdt_initrd", linux_zero_page },
    { "linux_relocated_when_pref_address_does_not_fit", linux_relocated },
    { "numa_srat_in_guest", numa_srat_in_guest },
    { "write_failure_reported", write_failure_reported },
};

UNIT_MAIN(cases)
