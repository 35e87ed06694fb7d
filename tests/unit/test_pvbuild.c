/* The PV domain builder and the ELF checker, on the host. Each case builds a small
 * ELF image in memory, lays out and populates a fake guest memory (pages with
 * scattered fake mfns, reached through one scratch page the way dom0's single foreign
 * mapping would be), then walks the page tables it produced in software. */
#include "unit.h"

#include <hvlab/elf64.h>
#include <hvlab/errno.h>
#include <hvlab/lib.h>
#include <hvlab/pvbuild.h>

#define PG 4096

/* ---- a tiny ELF image: text at GUEST_VIRT_BASE, data + bss two pages above ---- */

#define TEXT_VA   GUEST_VIRT_BASE
#define TEXT_SZ   0x1800
#define DATA_VA   (GUEST_VIRT_BASE + 0x2000)
#define DATA_FSZ  0x100
#define DATA_MSZ  0x3000
#define ENTRY_VA  (TEXT_VA + 0x10)
#define TEXT_OFF  0x1000
#define DATA_OFF  0x3000
#define ELF_LEN   (DATA_OFF + DATA_FSZ)

static uint64_t elf_buf[0x4000 / 8];     /* 8-byte aligned, like a module */
static size_t elf_len;

static uint8_t text_byte(uint64_t i) { return (uint8_t)(i * 7 + 1); }
static uint8_t data_byte(uint64_t i) { return (uint8_t)(0xd0 ^ i); }

static Elf64_Ehdr *ehdr(void) { return (Elf64_Ehdr *)elf_buf; }
static Elf64_Phdr *phdrs(void) { return (Elf64_Phdr *)((uint8_t *)elf_buf + ehdr()->e_phoff); }

static void make_elf(void)
{
    uint8_t *b = (uint8_t *)elf_buf;
    Elf64_Ehdr *eh = ehdr();
    Elf64_Phdr *ph;

    memset(elf_buf, 0, sizeof(elf_buf));
    memcpy(eh->e_ident, ELF_MAG, 4);
    eh->e_ident[4] = ELFCLASS64;
    eh->e_ident[5] = ELFDATA2LSB;
    eh->e_ident[6] = EV_CURRENT;
    eh->e_type = ET_EXEC;
    eh->e_machine = EM_X86_64;
    eh->e_version = EV_CURRENT;
    eh->e_entry = ENTRY_VA;
    eh->e_phoff = sizeof(Elf64_Ehdr);
    eh->e_ehsize = sizeof(Elf64_Ehdr);
    eh->e_phentsize = sizeof(Elf64_Phdr);
    eh->e_phnum = 3;
    ph = phdrs();
    ph[0] = (Elf64_Phdr){ PT_LOAD, PF_R | PF_X, TEXT_OFF, TEXT_VA, TEXT_VA, TEXT_SZ, TEXT_SZ, PG };
    ph[1] = (Elf64_Phdr){ 0x6474e551 /* GNU_STACK: ignored */, PF_R | PF_W, 0, 0, 0, 0, 0, 16 };
    ph[2] = (Elf64_Phdr){ PT_LOAD, PF_R | PF_W, DATA_OFF, DATA_VA, DATA_VA, DATA_FSZ, DATA_MSZ, PG };
    for (uint64_t i = 0; i < TEXT_SZ; i++)
        b[TEXT_OFF + i] = text_byte(i);
    for (uint64_t i = 0; i < DATA_FSZ; i++)
        b[DATA_OFF + i] = data_byte(i);
    elf_len = ELF_LEN;
}

/* ---- messages ---- */

static char last_msg[256];
static int nr_msgs;

static void report(void *arg, const char *why)
{
    (void)arg;
    snprintf(last_msg, sizeof(last_msg), "%s", why);
    nr_msgs++;
}

static struct pvbuild_params params(void)
{
    last_msg[0] = 0;
    nr_msgs = 0;
    return (struct pvbuild_params){ .domid = 7, .flags = 0, .nr_vcpus = 1,
                                    .cmdline = "ms=100 role=ping", .report = report };
}

/* ---- fake guest memory, reached through one scratch page ---- */

struct fake {
    uint64_t nr;
    uint8_t (*mem)[PG];
    uint64_t *mfns;
    uint8_t scratch[PG];
    int64_t cur;                /* pfn in scratch, -1 none */
    uint64_t maps, out_of_range;
    bool fail;                  /* map_pfn returns NULL */
};

static uint64_t fake_mfn(uint64_t pfn) { return 0x800000 - 3 * pfn; }  /* scattered */

static void fake_flush(struct fake *f)
{
    if (f->cur >= 0)
        memcpy(f->mem[f->cur], f->scratch, PG);
    f->cur = -1;
}

static void *fake_map(void *ctx, uint64_t pfn)
{
    struct fake *f = ctx;

    if (f->fail)
        return NULL;
    fake_flush(f);
    f->maps++;
    if (pfn >= f->nr) {
        f->out_of_range++;
        return NULL;
    }
    memcpy(f->scratch, f->mem[pfn], PG);
    memset(f->mem[pfn], 0x5a, PG);      /* a write through a stale pointer shows */
    f->cur = (int64_t)pfn;
    return f->scratch;
}

static void fake_init(struct fake *f, uint64_t nr)
{
    f->nr = nr;
    f->mem = malloc(nr * PG);
    f->mfns = malloc(nr * sizeof(uint64_t));
    memset(f->mem, 0xaa, nr * PG);      /* garbage: zeroing must be done by pvbuild */
    for (uint64_t p = 0; p < nr; p++)
        f->mfns[p] = fake_mfn(p);
    f->cur = -1;
    f->maps = f->out_of_range = 0;
    f->fail = false;
}

static void fake_free(struct fake *f)
{
    free(f->mem);
    free(f->mfns);
}

static int64_t fake_pfn_of(const struct fake *f, uint64_t mfn)
{
    for (uint64_t p = 0; p < f->nr; p++)
        if (f->mfns[p] == mfn)
            return (int64_t)p;
    return -1;
}

/* Translates va through the tables at cr3_mfn like the MMU; NULL if not mapped.
 * *leaf gets the L1 entry. */
static uint8_t *fake_walk(const struct fake *f, uint64_t cr3_mfn, uint64_t va,
                          uint64_t *leaf)
{
    uint64_t mfn = cr3_mfn;

    for (int k = 4; k >= 1; k--) {
        int64_t pfn = fake_pfn_of(f, mfn);
        uint64_t e;

        if (pfn < 0)
            return NULL;
        e = ((uint64_t *)f->mem[pfn])[(va >> (12 + 9 * (k - 1))) & 511];
        if (!(e & PTE_P))
            return NULL;
        mfn = (e & PTE_ADDR_MASK) >> 12;
        if (k == 1) {
            *leaf = e;
            pfn = fake_pfn_of(f, mfn);
            return pfn < 0 ? NULL : f->mem[pfn] + (va & (PG - 1));
        }
    }
    return NULL;
}

/* Lays out and populates nr pages; returns the populate result. */
static int build(struct fake *f, uint64_t nr, const struct pvbuild_params *p,
                 struct pvbuild_layout *l, struct vcpu_guest_context *vc)
{
    int rc;

    fake_init(f, nr);
    rc = pvbuild_layout(elf_buf, elf_len, nr, p, l);
    if (rc)
        return rc;
    rc = pvbuild_populate(l, elf_buf, elf_len, f->mfns, fake_map, f, p, vc);
    fake_flush(f);
    return rc;
}

/* ---- the page-table audit ---- */

struct audit {
    const struct fake *f;
    const struct pvbuild_layout *l;
    uint64_t leaves, tables, bad_leaf, bad_table, superpages, si_l1_seen;
    uint8_t *table_seen;        /* per pfn */
};

static void audit_table(struct audit *a, uint64_t mfn, int k, uint64_t va_base)
{
    int64_t pfn = fake_pfn_of(a->f, mfn);
    const uint64_t *t;

    if (pfn < 0 || !(pfn >= (int64_t)a->l->pt_pfn &&
                     pfn < (int64_t)(a->l->pt_pfn + a->l->nr_pt_frames)) ||
        a->table_seen[pfn]++) {
        a->bad_table++;     /* not a page-table frame, or reached twice */
        return;
    }
    a->tables++;
    if (k == 1 && va_base == (GUEST_SHARED_INFO_VA & ~((1ULL << 21) - 1))) {
        CHECK_EQ(pfn, a->l->shared_info_l1_pfn);
        a->si_l1_seen++;
    }
    t = (const uint64_t *)a->f->mem[pfn];
    for (unsigned i = 0; i < 512; i++) {
        uint64_t e = t[i], va = va_base + ((uint64_t)i << (12 + 9 * (k - 1)));
        int64_t target;

        if (k == 4 && i >= 256) {
            CHECK_EQ(e, 0);             /* the hypervisor's half */
            continue;
        }
        if (!(e & PTE_P)) {
            CHECK_EQ(e, 0);
            continue;
        }
        if (e & PTE_PS)
            a->superpages++;
        if (k > 1) {
            CHECK_EQ(e & ~PTE_ADDR_MASK, PTE_P | PTE_W | PTE_U);
            audit_table(a, (e & PTE_ADDR_MASK) >> 12, k - 1, va);
            continue;
        }
        a->leaves++;
        target = fake_pfn_of(a->f, (e & PTE_ADDR_MASK) >> 12);
        /* Leaf: only pfn p at GUEST_VIRT_BASE + p pages. */
        if (va < GUEST_VIRT_BASE || target < 0 ||
            (uint64_t)target != (va - GUEST_VIRT_BASE) / PG)
            a->bad_leaf++;
    }
}

static bool is_readonly_pfn(const struct pvbuild_layout *l, uint64_t pfn)
{
    if (pfn >= l->pt_pfn && pfn < l->pt_pfn + l->nr_pt_frames)
        return true;
    for (unsigned i = 0; i < START_INFO_MAX_MODULES; i++)
        if (pfn >= l->module_pfn[i] && pfn < l->module_pfn[i] + l->module_pages[i])
            return true;
    return false;
}

/* Every check on a built guest of nr pages. */
static void audit_guest(struct fake *f, const struct pvbuild_layout *l,
                        const struct vcpu_guest_context *vc, const struct pvbuild_params *p)
{
    struct audit a = { .f = f, .l = l, .table_seen = calloc(f->nr, 1) };
    const struct start_info *si;
    uint64_t leaf = 0;
    uint8_t *b;

    CHECK_EQ(f->out_of_range, 0);
    audit_table(&a, vc->cr3_mfn, 4, 0);
    CHECK_EQ(a.bad_table, 0);
    CHECK_EQ(a.bad_leaf, 0);
    CHECK_EQ(a.superpages, 0);
    CHECK_EQ(a.leaves, f->nr);          /* every pfn, and nothing else */
    CHECK_EQ(a.tables, l->nr_pt_frames);
    CHECK_EQ(a.si_l1_seen, 1);
    CHECK_EQ(l->nr_pt_frames, 1 + l->nr_l3 + l->nr_l2 + l->nr_l1);
    free(a.table_seen);

    /* Each pfn at its VA with the right mfn and permissions. */
    for (uint64_t pfn = 0; pfn < f->nr; pfn++) {
        uint8_t *hp = fake_walk(f, vc->cr3_mfn, pvbuild_pfn_va(pfn), &leaf);

        CHECK(hp == f->mem[pfn]);
        CHECK_EQ((leaf & PTE_ADDR_MASK) >> 12, f->mfns[pfn]);
        CHECK(leaf & PTE_U);
        CHECK_EQ(!!(leaf & PTE_W), !is_readonly_pfn(l, pfn));
    }
    /* The shared info slot exists and is empty. */
    CHECK(fake_walk(f, vc->cr3_mfn, GUEST_SHARED_INFO_VA, &leaf) == NULL);
    CHECK_EQ(((uint64_t *)f->mem[l->shared_info_l1_pfn])[l->shared_info_l1_index], 0);
    CHECK_EQ(l->shared_info_l1_index, (GUEST_SHARED_INFO_VA >> 12) & 511);
    CHECK(fake_walk(f, vc->cr3_mfn, pvbuild_pfn_va(f->nr), &leaf) == NULL);

    /* The image: text, data, bss and the rest of its pages zero. */
    for (uint64_t va = GUEST_VIRT_BASE; va < pvbuild_pfn_va(l->image_pages); va++) {
        uint8_t want = 0;

        if (va - TEXT_VA < TEXT_SZ)
            want = text_byte(va - TEXT_VA);
        else if (va - DATA_VA < DATA_FSZ)
            want = data_byte(va - DATA_VA);
        b = fake_walk(f, vc->cr3_mfn, va, &leaf);
        if (!b || *b != want) {
            CHECK_EQ(b ? *b : -1, want);
            printf("    at va %#llx\n", (unsigned long long)va);
            break;
        }
    }
    CHECK_EQ(l->image_pages, (DATA_VA + DATA_MSZ - GUEST_VIRT_BASE) / PG);

    /* start_info, reached the way the guest does: through RSI. */
    si = (const struct start_info *)fake_walk(f, vc->cr3_mfn, vc->rsi, &leaf);
    CHECK(si != NULL);
    if (!si)
        return;
    CHECK_STREQ(si->magic, START_INFO_MAGIC);
    CHECK_EQ(si->domid, p->domid);
    CHECK_EQ(si->flags, p->flags);
    CHECK_EQ(si->nr_pages, f->nr);
    CHECK_EQ(si->virt_base, GUEST_VIRT_BASE);
    CHECK_EQ(si->pt_base, pvbuild_pfn_va(l->pt_pfn));
    CHECK_EQ(si->nr_pt_frames, l->nr_pt_frames);
    CHECK_EQ(si->shared_info, GUEST_SHARED_INFO_VA);
    CHECK_EQ(si->stack_top, vc->rsp);
    CHECK_EQ(si->first_free_pfn, l->first_free_pfn);
    CHECK_EQ(si->nr_vcpus, 1);
    CHECK_STREQ(si->cmdline, p->cmdline ? p->cmdline : "");
    CHECK_EQ(si->nr_modules, p->nr_modules);
    for (uint64_t pfn = 0; pfn < f->nr; pfn += 97) {
        uint64_t *m = (uint64_t *)fake_walk(f, vc->cr3_mfn, si->mfn_list + pfn * 8, &leaf);
        CHECK(m && *m == f->mfns[pfn]);
    }
    CHECK(fake_walk(f, vc->cr3_mfn, si->pt_base, &leaf) == f->mem[l->pt_pfn]);

    /* vCPU 0 and its stack. */
    CHECK_EQ(vc->rip, ENTRY_VA);
    CHECK_EQ(vc->rsp, pvbuild_pfn_va(l->stack_pfn + PVBUILD_STACK_PAGES));
    CHECK_EQ(vc->rsp % 16, 0);
    CHECK_EQ(vc->rsi, pvbuild_pfn_va(l->start_info_pfn));
    CHECK_EQ(vc->cr3_mfn, f->mfns[l->pt_pfn]);
    for (uint64_t pfn = l->stack_pfn; pfn < l->stack_pfn + l->stack_pages; pfn++)
        for (int i = 0; i < PG; i++)
            if (f->mem[pfn][i]) {
                CHECK_EQ(f->mem[pfn][i], 0);
                break;
            }
    /* Untouched: the free pfns keep the garbage. */
    for (uint64_t pfn = l->first_free_pfn; pfn < f->nr; pfn++)
        CHECK_EQ(f->mem[pfn][0], 0xaa);
}

/* ---- cases ---- */

static void test_small_guest(void)
{
    struct pvbuild_params p = params();
    struct pvbuild_layout l;
    struct vcpu_guest_context vc;
    struct fake f;

    make_elf();
    CHECK_EQ(build(&f, 1024, &p, &l, &vc), 0);
    /* 4 MiB at 4 MiB: two L1s, plus the shared info's; one L2, L3, L4. */
    CHECK_EQ(l.nr_l1, 3);
    CHECK_EQ(l.nr_l2, 1);
    CHECK_EQ(l.nr_l3, 1);
    CHECK_EQ(l.mfn_list_pages, 2);
    CHECK_EQ(l.start_info_pfn, l.image_pages);
    CHECK_EQ(l.mfn_list_pfn, l.start_info_pfn + 1);
    CHECK_EQ(l.pt_pfn, l.mfn_list_pfn + l.mfn_list_pages);
    CHECK_EQ(l.stack_pfn, l.pt_pfn + l.nr_pt_frames);
    CHECK_EQ(l.first_free_pfn, l.stack_pfn + PVBUILD_STACK_PAGES);
    CHECK_EQ(nr_msgs, 0);
    audit_guest(&f, &l, &vc, &p);
    fake_free(&f);
}

/* With a store page: one more pfn after the stack, zeroed, writable, its mfn and
 * port in start_info. */
static void test_store_page(void)
{
    struct pvbuild_params p = params();
    struct pvbuild_layout l;
    struct vcpu_guest_context vc;
    const struct start_info *si;
    struct fake f;

    make_elf();
    p.store = true;
    p.store_evtchn = 5;
    CHECK_EQ(build(&f, 1024, &p, &l, &vc), 0);
    CHECK_EQ(l.store_pfn, l.stack_pfn + PVBUILD_STACK_PAGES);
    CHECK_EQ(l.first_free_pfn, l.store_pfn + 1);
    si = (const struct start_info *)f.mem[l.start_info_pfn];
    CHECK_EQ(si->store_mfn, f.mfns[l.store_pfn]);
    CHECK_EQ(si->store_evtchn, 5);
    for (unsigned i = 0; i < PG; i++)
        if (f.mem[l.store_pfn][i])
            CHECK_EQ(f.mem[l.store_pfn][i], 0);
    audit_guest(&f, &l, &vc, &p);
    fake_free(&f);
    /* Without: none, and start_info says so. */
    p = params();
    CHECK_EQ(build(&f, 1024, &p, &l, &vc), 0);
    CHECK_EQ(l.store_pfn, 0);
    si = (const struct start_info *)f.mem[l.start_info_pfn];
    CHECK_EQ(si->store_mfn, 0);
    fake_free(&f);
}

/* Sizes around 2 MiB boundaries: the L1 count must follow exactly. */
static void test_odd_sizes(void)
{
    static const uint64_t sizes[] = { 511, 512, 513, 1023, 1536, 3001 };

    make_elf();
    for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++) {
        struct pvbuild_params p = params();
        struct pvbuild_layout l;
        struct vcpu_guest_context vc;
        struct fake f;
        uint64_t end = GUEST_VIRT_BASE + sizes[i] * PG;

        CHECK_EQ(build(&f, sizes[i], &p, &l, &vc), 0);
        CHECK_EQ(l.nr_l1, ((end - 1) >> 21) - (GUEST_VIRT_BASE >> 21) + 2);
        audit_guest(&f, &l, &vc, &p);
        fake_free(&f);
    }
}

static void test_modules_and_params(void)
{
    static uint8_t mod0[5000], mod1[PG];
    struct pvbuild_module mods[3] = {
        { mod0, sizeof(mod0), "cpuloop.elf ms=5" },
        { mod1, sizeof(mod1), NULL },
        { NULL, 0, "empty" },
    };
    struct pvbuild_params p = params();
    struct pvbuild_layout l;
    struct vcpu_guest_context vc;
    struct fake f;
    const struct start_info *si;
    uint64_t leaf;

    for (unsigned i = 0; i < sizeof(mod0); i++)
        mod0[i] = (uint8_t)(i * 13);
    memset(mod1, 0x11, sizeof(mod1));
    p.nr_modules = 3;
    p.modules = mods;
    p.flags = SIF_PRIVILEGED | SIF_INITDOMAIN;
    p.domid = 0;
    p.cmdline = NULL;
    make_elf();
    CHECK_EQ(build(&f, 2048, &p, &l, &vc), 0);
    CHECK_EQ(l.module_pages[0], 2);
    CHECK_EQ(l.module_pages[1], 1);
    CHECK_EQ(l.module_pages[2], 0);
    audit_guest(&f, &l, &vc, &p);
    si = (const struct start_info *)fake_walk(&f, vc.cr3_mfn, vc.rsi, &leaf);
    CHECK_EQ(si->modules[0].len, sizeof(mod0));
    CHECK_STREQ(si->modules[0].cmdline, "cpuloop.elf ms=5");
    CHECK_STREQ(si->modules[1].cmdline, "");
    CHECK_STREQ(si->modules[2].cmdline, "empty");
    for (uint64_t i = 0; i < sizeof(mod0); i += 111) {
        uint8_t *b = fake_walk(&f, vc.cr3_mfn, si->modules[0].va + i, &leaf);
        CHECK(b && *b == mod0[i]);
        CHECK(!(leaf & PTE_W));
    }
    CHECK(*fake_walk(&f, vc.cr3_mfn, si->modules[0].va + sizeof(mod0), &leaf) == 0);
    CHECK(*fake_walk(&f, vc.cr3_mfn, si->modules[1].va + PG - 1, &leaf) == 0x11);
    fake_free(&f);
}

/* Large guests: only the arithmetic (no memory behind them). */
static void test_large_layouts(void)
{
    struct pvbuild_params p = params();
    struct pvbuild_layout l;
    uint64_t n = (1ULL << 18) + 1000;          /* crosses the first 1 GiB */

    make_elf();
    CHECK_EQ(pvbuild_layout(elf_buf, elf_len, n, &p, &l), 0);
    CHECK_EQ(l.nr_l2, 2);
    CHECK_EQ(l.nr_l3, 1);
    CHECK_EQ(l.nr_l1, ((GUEST_VIRT_BASE + n * PG - 1) >> 21) - 2 + 2);
    CHECK_EQ(l.mfn_list_pages, (n * 8 + PG - 1) / PG);
    n = 1ULL << 27;                             /* 512 GiB: a second L3 */
    CHECK_EQ(pvbuild_layout(elf_buf, elf_len, n, &p, &l), 0);
    CHECK_EQ(l.nr_l3, 2);
    CHECK_EQ(l.nr_l2, 513);
    CHECK_EQ(l.shared_info_l1_pfn, l.pt_pfn + 1 + l.nr_l3 + l.nr_l2);
    CHECK_EQ(pvbuild_layout(elf_buf, elf_len, 1ULL << 40, &p, &l), -EINVAL);
    CHECK(strstr(last_msg, "more than the guest area") != NULL);
}

static void test_too_small(void)
{
    struct pvbuild_params p = params();
    struct pvbuild_layout l;
    uint64_t min;

    make_elf();
    CHECK_EQ(pvbuild_layout(elf_buf, elf_len, 8, &p, &l), -ENOMEM);
    CHECK(strstr(last_msg, "too few") != NULL);
    min = l.min_pages;
    CHECK(min > 8);
    CHECK_EQ(pvbuild_layout(elf_buf, elf_len, min - 1, &p, &l), -ENOMEM);
    CHECK_EQ(pvbuild_layout(elf_buf, elf_len, 0, &p, &l), -ENOMEM);
    CHECK_EQ(pvbuild_layout(elf_buf, elf_len, min, &p, &l), 0);
    CHECK_EQ(l.first_free_pfn, min);
    CHECK_EQ(l.min_pages, min);
    /* Exactly full still builds and audits. */
    {
        struct vcpu_guest_context vc;
        struct fake f;

        CHECK_EQ(build(&f, min, &p, &l, &vc), 0);
        audit_guest(&f, &l, &vc, &p);
        fake_free(&f);
    }
}

static void test_populate_refuses(void)
{
    struct pvbuild_params p = params();
    struct pvbuild_layout l, bad;
    struct vcpu_guest_context vc;
    struct fake f;

    make_elf();
    fake_init(&f, 600);
    CHECK_EQ(pvbuild_layout(elf_buf, elf_len, 600, &p, &l), 0);
    bad = l;
    bad.stack_pfn += 1000;                      /* would write past the guest */
    CHECK_EQ(pvbuild_populate(&bad, elf_buf, elf_len, f.mfns, fake_map, &f, &p, &vc), -EINVAL);
    CHECK(strstr(last_msg, "layout does not match") != NULL);
    CHECK_EQ(f.maps, 0);
    f.mfns[5] = 1ULL << 41;
    CHECK_EQ(pvbuild_populate(&l, elf_buf, elf_len, f.mfns, fake_map, &f, &p, &vc), -EINVAL);
    CHECK(strstr(last_msg, "too large") != NULL);
    f.mfns[5] = fake_mfn(5);
    f.fail = true;
    CHECK_EQ(pvbuild_populate(&l, elf_buf, elf_len, f.mfns, fake_map, &f, &p, &vc), -EFAULT);
    CHECK(strstr(last_msg, "cannot map pfn 0") != NULL);
    fake_free(&f);
}

static void test_bad_params(void)
{
    char longline[300];
    struct pvbuild_params p = params();
    struct pvbuild_layout l;
    struct pvbuild_module m = { NULL, 10, NULL };

    make_elf();
    memset(longline, 'x', sizeof(longline) - 1);
    longline[sizeof(longline) - 1] = 0;
    p.cmdline = longline;
    CHECK_EQ(pvbuild_layout(elf_buf, elf_len, 1000, &p, &l), -E2BIG);
    CHECK(strstr(last_msg, "command line") != NULL);
    p = params();
    p.nr_modules = START_INFO_MAX_MODULES + 1;
    p.modules = &m;
    CHECK_EQ(pvbuild_layout(elf_buf, elf_len, 1000, &p, &l), -E2BIG);
    p.nr_modules = 1;
    CHECK_EQ(pvbuild_layout(elf_buf, elf_len, 1000, &p, &l), -EINVAL);
    CHECK(strstr(last_msg, "module 0") != NULL);
}

/* ---- corrupt images: each mutation must be refused with a message ---- */

static void m_truncated_header(void) { elf_len = 40; }
static void m_truncated_phdrs(void) { elf_len = sizeof(Elf64_Ehdr) + 10; }
static void m_truncated_segment(void) { elf_len = DATA_OFF + 10; }
static void m_magic(void) { ehdr()->e_ident[1] = 'X'; }
static void m_class32(void) { ehdr()->e_ident[4] = 1; }
static void m_big_endian(void) { ehdr()->e_ident[5] = 2; }
static void m_machine(void) { ehdr()->e_machine = 3; /* i386 */ }
static void m_dyn(void) { ehdr()->e_type = 3; }
static void m_phoff_oob(void) { ehdr()->e_phoff = 0x100000; }
static void m_phoff_wrap(void) { ehdr()->e_phoff = UINT64_MAX - 8; }
static void m_phentsize(void) { ehdr()->e_phentsize = 32; }
static void m_phnum0(void) { ehdr()->e_phnum = 0; }
static void m_phnum_huge(void) { ehdr()->e_phnum = 65535; }
static void m_offset_oob(void) { phdrs()[0].p_offset = 0x100000; }
static void m_filesz_wrap(void) { phdrs()[0].p_filesz = UINT64_MAX; phdrs()[0].p_memsz = UINT64_MAX; }
static void m_memsz_small(void) { phdrs()[2].p_memsz = 0x10; }
static void m_below_guest(void) { phdrs()[0].p_vaddr = 0x1000; }
static void m_above_guest(void) { phdrs()[2].p_vaddr = GUEST_VIRT_END - 0x1000; }
static void m_hv_addr(void) { phdrs()[2].p_vaddr = 0xffffffff80000000ULL; }
static void m_vaddr_wrap(void) { phdrs()[2].p_vaddr = GUEST_VIRT_BASE; phdrs()[2].p_memsz = UINT64_MAX - 0x100; }
static void m_overlap(void) { phdrs()[2].p_vaddr = TEXT_VA + 0x1000; }
static void m_no_load(void) { phdrs()[0].p_type = 4; phdrs()[2].p_type = 4; }
static void m_entry_outside(void) { ehdr()->e_entry = 0x100; }
static void m_entry_in_data(void) { ehdr()->e_entry = DATA_VA + 4; }

static const struct bad_elf {
    const char *name;
    void (*mutate)(void);
    int err;
    const char *msg;            /* expected in the message */
} bad_elves[] = {
    { "truncated header", m_truncated_header, -EINVAL, "too short" },
    { "truncated phdrs", m_truncated_phdrs, -EINVAL, "program header table" },
    { "truncated segment", m_truncated_segment, -EINVAL, "past the end of the file" },
    { "magic", m_magic, -EINVAL, "magic" },
    { "class", m_class32, -EINVAL, "64-bit" },
    { "endianness", m_big_endian, -EINVAL, "little-endian" },
    { "machine", m_machine, -EINVAL, "x86-64" },
    { "type", m_dyn, -EINVAL, "executable" },
    { "phdr table out of bounds", m_phoff_oob, -EINVAL, "program header table" },
    { "phdr offset wraps", m_phoff_wrap, -EINVAL, "program header table" },
    { "phentsize", m_phentsize, -EINVAL, "program header size" },
    { "no phdrs", m_phnum0, -EINVAL, "no program headers" },
    { "too many phdrs", m_phnum_huge, -E2BIG, "program headers" },
    { "segment offset out of bounds", m_offset_oob, -EINVAL, "segment 0" },
    { "segment size wraps", m_filesz_wrap, -EINVAL, "segment 0" },
    { "memsz < filesz", m_memsz_small, -EINVAL, "memsz" },
    { "segment below guest", m_below_guest, -EINVAL, "outside the guest range" },
    { "segment above guest", m_above_guest, -EINVAL, "outside the guest range" },
    { "segment in hypervisor", m_hv_addr, -EINVAL, "outside the guest range" },
    { "segment end wraps", m_vaddr_wrap, -EINVAL, "outside the guest range" },
    { "overlapping segments", m_overlap, -EINVAL, "overlap" },
    { "no PT_LOAD", m_no_load, -EINVAL, "no loadable segment" },
    { "entry outside", m_entry_outside, -EINVAL, "entry point" },
    { "entry not executable", m_entry_in_data, -EINVAL, "entry point" },
};

static void test_bad_elves(void)
{
    for (unsigned i = 0; i < ARRAY_SIZE(bad_elves); i++) {
        const struct bad_elf *c = &bad_elves[i];
        struct pvbuild_params p = params();
        struct pvbuild_layout l;
        int rc;

        make_elf();
        c->mutate();
        rc = pvbuild_layout(elf_buf, elf_len, 1024, &p, &l);
        if (rc != c->err || nr_msgs != 1 || !strstr(last_msg, c->msg) ||
            strncmp(last_msg, "bad ELF: ", 9) != 0) {
            printf("  case \"%s\": rc %d (want %d), %d messages, last \"%s\" "
                   "(want \"bad ELF: ...%s...\")\n", c->name, rc, c->err, nr_msgs,
                   last_msg, c->msg);
            unit_failed_checks++;
        }
    }
}

static void test_elf_info(void)
{
    struct elf64_info info;
    struct elf64_segment seg;

    make_elf();
    CHECK_EQ(elf64_check(elf_buf, elf_len, GUEST_VIRT_BASE, GUEST_VIRT_END, &info,
                         NULL, NULL), 0);
    CHECK_EQ(info.entry, ENTRY_VA);
    CHECK_EQ(info.vstart, TEXT_VA);
    CHECK_EQ(info.vend, DATA_VA + DATA_MSZ);
    CHECK_EQ(info.nr_load, 2);
    CHECK_EQ(elf64_segment(elf_buf, 1, &seg), 0);
    CHECK_EQ(seg.vaddr, DATA_VA);
    CHECK_EQ(seg.filesz, DATA_FSZ);
    CHECK_EQ(seg.memsz, DATA_MSZ);
    CHECK_EQ(seg.flags, PF_R | PF_W);
    CHECK_EQ(elf64_segment(elf_buf, 2, &seg), -ENOENT);
}

static const struct unit_case cases[] = {
    { "small guest", test_small_guest },
    { "store page", test_store_page },
    { "sizes around 2 MiB boundaries", test_odd_sizes },
    { "modules and params", test_modules_and_params },
    { "large layouts", test_large_layouts },
    { "too small", test_too_small },
    { "populate refuses", test_populate_refuses },
    { "bad params", test_bad_params },
    { "bad ELF images", test_bad_elves },
    { "ELF info", test_elf_info },
};

UNIT_MAIN(cases)
