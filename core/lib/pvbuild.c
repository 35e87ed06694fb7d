/* The PV domain builder (see include/hvlab/pvbuild.h for the layout and contract).
 *
 * Design: the layout is arithmetic on nr_pages. The mapped set of VAs is the shared
 * info page plus [GUEST_VIRT_BASE, + nr_pages pages); at each paging level the tables
 * needed are one per region (2 MiB for an L1, 1 GiB for an L2, 512 GiB for an L3)
 * touched by that set: the contiguous run of regions of the guest range, plus the
 * shared info page's region when it lies below that run. Tables of a level are
 * stored in region order, so the table of any VA is found by arithmetic, and
 * populate never reads a page back: it writes each page once, whole, through
 * map_pfn, which may therefore reuse a single scratch mapping.
 * Limitations: one vCPU's boot stack; every guest page is RWX but the page tables
 * and modules (read-only); no superpages. */
#include <hvlab/errno.h>
#include <hvlab/lib.h>
#include <hvlab/pvbuild.h>

_Static_assert(GUEST_SHARED_INFO_VA < GUEST_VIRT_BASE,
               "the shared info page must lie below the guest's pfns");
_Static_assert(sizeof(struct start_info) <= PAGE_SIZE, "start_info is one page");

#define PT_ENTRIES   512
#define PT_NONLEAF   (PTE_P | PTE_W | PTE_U)
#define MAX_MFN      (PTE_ADDR_MASK >> PAGE_SHIFT)

/* Levels 1..4 (L1..L4); a level-k table covers the VAs with the same va >> shift. */
static const unsigned level_shift[5] = { 0, 21, 30, 39, 48 };

/* The tables of one level: regions [lo, hi] of the guest range, plus the shared info
 * page's region `si` in front when it is not among them (sep). */
struct pt_level {
    uint64_t lo, hi, si;
    bool sep;
    uint64_t first_pfn, count;
};

struct pt_plan {
    struct pt_level lv[5];      /* [1..4] */
};

static int report(const struct pvbuild_params *p, int err, const char *fmt, ...)
    __printf(3, 4);

static int report(const struct pvbuild_params *p, int err, const char *fmt, ...)
{
    char msg[160];
    va_list ap;

    va_start(ap, fmt);
    fmt_vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (p->report)
        p->report(p->report_arg, msg);
    return err;
}

static uint64_t pages_of(uint64_t bytes)
{
    return (bytes + PAGE_SIZE - 1) >> PAGE_SHIFT;
}

/* Fills plan for nr_pages (>= 1) with tables from pt_pfn on; returns their count. */
static uint64_t plan_tables(uint64_t nr_pages, uint64_t pt_pfn, struct pt_plan *plan)
{
    uint64_t end = GUEST_VIRT_BASE + (nr_pages << PAGE_SHIFT), pfn = pt_pfn;

    for (int k = 4; k >= 1; k--) {
        struct pt_level *lv = &plan->lv[k];
        unsigned s = level_shift[k];

        lv->lo = GUEST_VIRT_BASE >> s;
        lv->hi = (end - 1) >> s;
        lv->si = GUEST_SHARED_INFO_VA >> s;
        lv->sep = lv->si < lv->lo;
        lv->count = lv->hi - lv->lo + 1 + lv->sep;
        lv->first_pfn = pfn;
        pfn += lv->count;
    }
    return pfn - pt_pfn;
}

/* Region covered by the j-th table of a level. */
static uint64_t level_region(const struct pt_level *lv, uint64_t j)
{
    if (lv->sep)
        return j == 0 ? lv->si : lv->lo + j - 1;
    return lv->lo + j;
}

/* pfn of the level-k table that covers region r (r must be one of the level's). */
static uint64_t level_pfn(const struct pt_level *lv, uint64_t r)
{
    if (lv->sep)
        return lv->first_pfn + (r == lv->si ? 0 : r - lv->lo + 1);
    return lv->first_pfn + (r - lv->lo);
}

/* Computes the whole layout for nr_pages; returns first_free_pfn (may exceed it). */
static uint64_t plan_layout(const struct elf64_info *img, uint64_t nr_pages,
                            const struct pvbuild_params *p, struct pvbuild_layout *l,
                            struct pt_plan *plan)
{
    uint64_t pfn;

    memset(l, 0, sizeof(*l));
    l->nr_pages = nr_pages;
    l->entry = img->entry;
    l->image_pages = pages_of(img->vend - GUEST_VIRT_BASE);
    pfn = l->image_pages;
    l->start_info_pfn = pfn++;
    l->mfn_list_pfn = pfn;
    l->mfn_list_pages = pages_of(nr_pages * sizeof(uint64_t));
    pfn += l->mfn_list_pages;
    l->pt_pfn = pfn;
    l->nr_pt_frames = plan_tables(nr_pages, pfn, plan);
    l->nr_l3 = plan->lv[3].count;
    l->nr_l2 = plan->lv[2].count;
    l->nr_l1 = plan->lv[1].count;
    pfn += l->nr_pt_frames;
    for (unsigned i = 0; i < p->nr_modules; i++) {
        l->module_pfn[i] = pfn;
        l->module_pages[i] = pages_of(p->modules[i].len);
        pfn += l->module_pages[i];
    }
    l->stack_pfn = pfn;
    l->stack_pages = PVBUILD_STACK_PAGES;
    pfn += l->stack_pages;
    if (p->store)
        l->store_pfn = pfn++;
    l->first_free_pfn = pfn;
    l->shared_info_l1_pfn = level_pfn(&plan->lv[1], GUEST_SHARED_INFO_VA >> level_shift[1]);
    l->shared_info_l1_index = (GUEST_SHARED_INFO_VA >> PAGE_SHIFT) % PT_ENTRIES;
    return pfn;
}

static int check_params(const struct pvbuild_params *p)
{
    if (p->cmdline && strlen(p->cmdline) >= sizeof(((struct start_info *)0)->cmdline))
        return report(p, -E2BIG, "command line longer than %zu bytes",
                      sizeof(((struct start_info *)0)->cmdline) - 1);
    if (p->nr_modules > START_INFO_MAX_MODULES)
        return report(p, -E2BIG, "%u modules (at most %u)", p->nr_modules,
                      START_INFO_MAX_MODULES);
    for (unsigned i = 0; i < p->nr_modules; i++) {
        const struct pvbuild_module *m = &p->modules[i];

        if (m->cmdline && strlen(m->cmdline) >= sizeof(((struct start_module *)0)->cmdline))
            return report(p, -E2BIG, "module %u: command line longer than %zu bytes", i,
                          sizeof(((struct start_module *)0)->cmdline) - 1);
        if (m->len && !m->data)
            return report(p, -EINVAL, "module %u: no data", i);
        if (m->len > GUEST_FOREIGN_VA)
            return report(p, -E2BIG, "module %u: too large", i);
    }
    return 0;
}

static void elf_report(void *arg, const char *why)
{
    const struct pvbuild_params *p = arg;

    report(p, 0, "bad ELF: %s", why);
}

/* Everything layout and populate both need: the image checked, the plan made. */
static int plan(const void *elf, size_t len, uint64_t nr_pages,
                const struct pvbuild_params *p, struct pvbuild_layout *l,
                struct pt_plan *pl)
{
    const uint64_t max_pages = (GUEST_FOREIGN_VA - GUEST_VIRT_BASE) >> PAGE_SHIFT;
    struct elf64_info img;
    uint64_t need, n;
    int rc;

    rc = elf64_check(elf, len, GUEST_VIRT_BASE, GUEST_VIRT_END, &img, elf_report,
                     (void *)p);
    if (rc)
        return rc;
    rc = check_params(p);
    if (rc)
        return rc;
    if (nr_pages > max_pages)
        return report(p, -EINVAL, "%llu pages: more than the guest area holds (%llu)",
                      (unsigned long long)nr_pages, (unsigned long long)max_pages);
    /* The least fixpoint of "pages needed for n pages" (monotone in n). */
    for (n = 1;; n = need) {
        need = plan_layout(&img, n, p, l, pl);
        if (need <= n || need > max_pages)
            break;
    }
    need = l->first_free_pfn;
    plan_layout(&img, nr_pages ? nr_pages : 1, p, l, pl);
    l->nr_pages = nr_pages;
    l->min_pages = need;
    if (nr_pages < need)
        return report(p, -ENOMEM, "%llu pages are too few: the image, start_info, "
                      "page tables and stack need %llu", (unsigned long long)nr_pages,
                      (unsigned long long)need);
    return 0;
}

int pvbuild_layout(const void *elf, size_t len, uint64_t nr_pages,
                   const struct pvbuild_params *p, struct pvbuild_layout *out)
{
    struct pt_plan pl;

    return plan(elf, len, nr_pages, p, out, &pl);
}

/* ---- populate ---- */

struct writer {
    const struct pvbuild_layout *l;
    const uint64_t *mfns;
    pvbuild_map_fn map_pfn;
    void *ctx;
    const struct pvbuild_params *p;
};

/* The page of pfn, zeroed; NULL (after a message) if it cannot be mapped. */
static uint64_t *page(const struct writer *w, uint64_t pfn)
{
    void *pg;

    if (pfn >= w->l->first_free_pfn) {
        report(w->p, 0, "internal error: pfn %llu outside the layout",
               (unsigned long long)pfn);
        return NULL;
    }
    pg = w->map_pfn(w->ctx, pfn);
    if (!pg) {
        report(w->p, 0, "cannot map pfn %llu", (unsigned long long)pfn);
        return NULL;
    }
    return memset(pg, 0, PAGE_SIZE);
}

static bool pfn_in(uint64_t pfn, uint64_t first, uint64_t count)
{
    return pfn >= first && pfn - first < count;
}

static uint64_t leaf_flags(const struct pvbuild_layout *l, uint64_t pfn)
{
    if (pfn_in(pfn, l->pt_pfn, l->nr_pt_frames))
        return PTE_P | PTE_U;
    for (unsigned i = 0; i < START_INFO_MAX_MODULES; i++)
        if (pfn_in(pfn, l->module_pfn[i], l->module_pages[i]))
            return PTE_P | PTE_U;
    return PTE_P | PTE_W | PTE_U;
}

static int write_image(const struct writer *w, const void *elf)
{
    struct elf64_segment seg;

    for (uint64_t pfn = 0; pfn < w->l->image_pages; pfn++) {
        uint64_t va = pvbuild_pfn_va(pfn);
        uint8_t *pg = (uint8_t *)page(w, pfn);

        if (!pg)
            return -EFAULT;
        for (unsigned i = 0; elf64_segment(elf, i, &seg) == 0; i++) {
            uint64_t from = MAX(va, seg.vaddr);
            uint64_t to = MIN(va + PAGE_SIZE, seg.vaddr + seg.filesz);

            if (from < to)
                memcpy(pg + (from - va),
                       (const uint8_t *)elf + seg.offset + (from - seg.vaddr), to - from);
        }
    }
    return 0;
}

static int write_start_info(const struct writer *w)
{
    const struct pvbuild_layout *l = w->l;
    const struct pvbuild_params *p = w->p;
    struct start_info *si = (struct start_info *)page(w, l->start_info_pfn);

    if (!si)
        return -EFAULT;
    memcpy(si->magic, START_INFO_MAGIC, sizeof(START_INFO_MAGIC));
    si->domid = p->domid;
    si->flags = p->flags;
    si->nr_pages = l->nr_pages;
    si->virt_base = GUEST_VIRT_BASE;
    si->mfn_list = pvbuild_pfn_va(l->mfn_list_pfn);
    si->pt_base = pvbuild_pfn_va(l->pt_pfn);
    si->nr_pt_frames = l->nr_pt_frames;
    si->shared_info = GUEST_SHARED_INFO_VA;
    si->stack_top = pvbuild_pfn_va(l->stack_pfn + l->stack_pages);
    si->first_free_pfn = l->first_free_pfn;
    if (l->store_pfn) {
        si->store_mfn = w->mfns[l->store_pfn];
        si->store_evtchn = p->store_evtchn;
    }
    si->nr_vcpus = p->nr_vcpus ? p->nr_vcpus : 1;
    si->nr_modules = p->nr_modules;
    for (unsigned i = 0; i < p->nr_modules; i++) {
        si->modules[i].va = pvbuild_pfn_va(l->module_pfn[i]);
        si->modules[i].len = p->modules[i].len;
        if (p->modules[i].cmdline)
            memcpy(si->modules[i].cmdline, p->modules[i].cmdline,
                   strlen(p->modules[i].cmdline));
    }
    if (p->cmdline)
        memcpy(si->cmdline, p->cmdline, strlen(p->cmdline));
    return 0;
}

static int write_mfn_list(const struct writer *w)
{
    const struct pvbuild_layout *l = w->l;

    for (uint64_t i = 0; i < l->mfn_list_pages; i++) {
        uint64_t *pg = page(w, l->mfn_list_pfn + i);
        uint64_t first = i * PT_ENTRIES, n = MIN((uint64_t)PT_ENTRIES, l->nr_pages - first);

        if (!pg)
            return -EFAULT;
        memcpy(pg, w->mfns + first, n * sizeof(uint64_t));
    }
    return 0;
}

/* Entries of the level-k table covering region r: the child tables, or the pfns. */
static void fill_table(const struct writer *w, const struct pt_plan *pl, int k,
                       uint64_t r, uint64_t *t)
{
    const struct pvbuild_layout *l = w->l;

    if (k > 1) {
        const struct pt_level *c = &pl->lv[k - 1];
        uint64_t first = MAX(c->lo, r * PT_ENTRIES);
        uint64_t last = MIN(c->hi, r * PT_ENTRIES + PT_ENTRIES - 1);

        for (uint64_t cr = first; cr <= last; cr++)
            t[cr % PT_ENTRIES] = (w->mfns[level_pfn(c, cr)] << PAGE_SHIFT) | PT_NONLEAF;
        if (c->sep && c->si / PT_ENTRIES == r)
            t[c->si % PT_ENTRIES] = (w->mfns[level_pfn(c, c->si)] << PAGE_SHIFT) | PT_NONLEAF;
        return;
    }
    /* An L1: the pfns whose VA falls in region r (none for the shared info's own). */
    uint64_t va_lo = MAX(r << level_shift[1], GUEST_VIRT_BASE);
    uint64_t va_hi = MIN((r + 1) << level_shift[1], pvbuild_pfn_va(l->nr_pages));

    for (uint64_t va = va_lo; va < va_hi; va += PAGE_SIZE) {
        uint64_t pfn = (va - GUEST_VIRT_BASE) >> PAGE_SHIFT;

        t[(va >> PAGE_SHIFT) % PT_ENTRIES] = (w->mfns[pfn] << PAGE_SHIFT) | leaf_flags(l, pfn);
    }
}

static int write_page_tables(const struct writer *w, const struct pt_plan *pl)
{
    for (int k = 4; k >= 1; k--) {
        const struct pt_level *lv = &pl->lv[k];

        for (uint64_t j = 0; j < lv->count; j++) {
            uint64_t *t = page(w, lv->first_pfn + j);

            if (!t)
                return -EFAULT;
            fill_table(w, pl, k, level_region(lv, j), t);
        }
    }
    return 0;
}

static int write_modules(const struct writer *w)
{
    const struct pvbuild_layout *l = w->l;

    for (unsigned i = 0; i < w->p->nr_modules; i++) {
        const struct pvbuild_module *m = &w->p->modules[i];

        for (uint64_t j = 0; j < l->module_pages[i]; j++) {
            uint8_t *pg = (uint8_t *)page(w, l->module_pfn[i] + j);
            uint64_t off = j << PAGE_SHIFT;

            if (!pg)
                return -EFAULT;
            memcpy(pg, (const uint8_t *)m->data + off, MIN(PAGE_SIZE, m->len - off));
        }
    }
    return 0;
}

static int write_stack(const struct writer *w)
{
    for (uint64_t j = 0; j < w->l->stack_pages; j++)
        if (!page(w, w->l->stack_pfn + j))
            return -EFAULT;
    /* The store page: zero, both rings empty. */
    if (w->l->store_pfn && !page(w, w->l->store_pfn))
        return -EFAULT;
    return 0;
}

int pvbuild_populate(const struct pvbuild_layout *l, const void *elf, size_t len,
                     const uint64_t *mfns, pvbuild_map_fn map_pfn, void *ctx,
                     const struct pvbuild_params *p, struct vcpu_guest_context *vc)
{
    struct writer w = { l, mfns, map_pfn, ctx, p };
    struct pvbuild_layout check;
    struct pt_plan pl;
    int rc;

    /* Trust nothing in *l: it must be what this image and these params give. */
    rc = plan(elf, len, l->nr_pages, p, &check, &pl);
    if (rc)
        return rc;
    if (memcmp(&check, l, sizeof(check)) != 0)
        return report(p, -EINVAL, "layout does not match the image and parameters");
    for (uint64_t pfn = 0; pfn < l->nr_pages; pfn++)
        if (mfns[pfn] > MAX_MFN)
            return report(p, -EINVAL, "pfn %llu: mfn %#llx too large",
                          (unsigned long long)pfn, (unsigned long long)mfns[pfn]);
    if ((rc = write_image(&w, elf)) || (rc = write_start_info(&w)) ||
        (rc = write_mfn_list(&w)) || (rc = write_page_tables(&w, &pl)) ||
        (rc = write_modules(&w)) || (rc = write_stack(&w)))
        return rc;
    memset(vc, 0, sizeof(*vc));
    vc->rip = l->entry;
    vc->rsp = pvbuild_pfn_va(l->stack_pfn + l->stack_pages);
    vc->rsi = pvbuild_pfn_va(l->start_info_pfn);
    vc->rflags = 0x202;         /* IF, and the always-one bit 1 */
    vc->cr3_mfn = mfns[l->pt_pfn];
    return 0;
}
