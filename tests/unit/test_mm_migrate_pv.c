/* Host test of the PV memory mover (mm/migrate_pv.c with mm/migrate_batch.c, the real
 * page-type code mm/pv_mm.c, the allocator and the policies) on a fake machine of two
 * nodes of 256 frames. A PV guest on node 0, built by hand as the builder does: an
 * L4/L3/L2/L1 tree (pinned L4, the vCPU's base) mapping 150 pfns at GUEST_VIRT_BASE,
 * start_info at pfn 3 and its pfn->mfn list at pfn 4, the store page at pfn 5. dom0
 * maps pfn 10 (a foreign mapping) and the guest's grant table names pfn 20. Moved to
 * node 1: every frame but those four moves (page tables with their validation),
 * in batches of at most 64; every reference and type count recomputed from all page
 * tables is right for both domains (pv_check_invariants); every pfn still maps the
 * same bytes; the list names what the tables map; the vCPU's base moved. A node that
 * fills up mid-way stops the move with -ENOMEM, keeping what moved, consistent; a
 * guest without start_info is refused before anything moves. */
#define _GNU_SOURCE
#include <hvlab/domain.h>
#include <hvlab/errno.h>
#include <hvlab/grant_table.h>
#include <hvlab/mm.h>
#include <hvlab/mm_migrate.h>
#include <hvlab/mm_policy.h>
#include <hvlab/printk.h>
#include <hvlab/pv_mm.h>
#include <public/grant_table.h>

#include "fake_machine.h"
#include "unit.h"

#define NODES       2
#define NODE_FRAMES 256
#define NPFN        150
#define SI_PFN      3
#define LIST_PFN    4
#define STORE_PFN   5
#define FOREIGN_PFN 10
#define GRANT_PFN   20
#define RW          (PTE_P | PTE_U | PTE_W)

static paddr_t base;
static struct topology t;
static struct domain d0, dom1, other;
static struct vcpu vz, v1;
static struct vcpu *vzs[1] = { &vz }, *v1s[1] = { &v1 };
static struct page_info *pfn[NPFN], *gt_frame;
static char why[200];

/* ---- doubles of what the mover reaches outside mm/ ---- */
void printk(enum log_level lvl, const char *fmt, ...)
{
    (void)lvl;
    (void)fmt;
}
unsigned gnttab_nr_frames(const struct domain *d)
{
    return d == &dom1 && gt_frame ? 1 : 0;
}
mfn_t gnttab_frame_mfn(const struct domain *d, unsigned idx)
{
    (void)d;
    (void)idx;
    return page_to_mfn(gt_frame);
}
unsigned long flushes;
void gnttab_flush_tlbs(struct domain *d)
{
    (void)d;
    flushes++;
}

static uint8_t flat_distance(unsigned n, unsigned m)
{
    return n == m ? 10 : 20;
}

static bool setup(void)
{
    if (!(base = fake_numa_machine(&t, NODES, NODE_FRAMES, flat_distance))) {
        CHECK(!"arena");
        return false;
    }
    for (unsigned i = 0; i < 512; i++)
        hv_l4_template[i] = i < L4_GUEST_SLOTS ? 0 : ((0x100ULL + i) << PAGE_SHIFT) | PTE_P | PTE_W;
    fake_domain_init(&d0, 0, true, 64);
    fake_domain_init(&dom1, 1, false, 512);
    fake_domain_init(&other, 2, false, 512);
    memset(&vz, 0, sizeof(vz));
    memset(&v1, 0, sizeof(v1));
    vz.domain = &d0;
    v1.domain = &dom1;
    d0.max_vcpus = dom1.max_vcpus = 1;
    d0.vcpus = vzs;
    dom1.vcpus = v1s;
    gt_frame = NULL;
    flushes = 0;
    return true;
}

static struct page_info *on_node(struct domain *d, unsigned node)
{
    struct page_info *pg = domain_alloc_frame(d, node, MEMF_EXACT_NODE | MEMF_ZERO);

    if (!pg) {
        printf("  out of frames on node %u\n", node);
        abort();
    }
    return pg;
}

static unsigned idx(uint64_t va, unsigned level)
{
    return (va >> (PAGE_SHIFT + 9 * (level - 1))) & 511;
}

/* A four-level tree of d's mapping `n` frames at va (writable unless ro), pinned and
 * made vCPU v's base: its L4. */
static struct page_info *build_tables(struct domain *d, struct vcpu *v, uint64_t va,
                                      struct page_info **pgs, unsigned n, int ro)
{
    struct page_info *l[5];

    for (unsigned lv = 1; lv <= 4; lv++)
        l[lv] = on_node(d, 0);
    for (unsigned lv = 4; lv > 1; lv--)
        ((uint64_t *)page_to_virt(l[lv]))[idx(va, lv)] = page_to_paddr(l[lv - 1]) | RW;
    for (unsigned i = 0; i < n; i++)
        ((uint64_t *)page_to_virt(l[1]))[idx(va, 1) + i] =
            page_to_paddr(pgs[i]) | ((int)i == ro ? (PTE_P | PTE_U) : RW);
    CHECK_EQ(pv_pin_table(d, page_to_mfn(l[4]), 4), 0);
    CHECK_EQ(pv_set_base(d, page_to_mfn(l[4]), 0), 0);
    v->arch.guest_l4_mfn = page_to_mfn(l[4]);
    return l[4];
}

/* The frame d's vCPU base maps at va, by walking its tables as the CPU does. */
static mfn_t walk(struct domain *d, uint64_t va)
{
    mfn_t m = d->vcpus[0]->arch.guest_l4_mfn;

    for (unsigned lv = 4; lv >= 1; lv--) {
        uint64_t e = ((const uint64_t *)page_to_virt(mfn_to_page(m)))[idx(va, lv)];

        if (!(e & PTE_P))
            return 0;
        m = (e & PTE_ADDR_MASK) >> PAGE_SHIFT;
    }
    return m;
}

static uint64_t pfn_va(unsigned p)
{
    return GUEST_VIRT_BASE + (uint64_t)p * PAGE_SIZE;
}

/* The guest of the header; with_si false: no start_info. */
static void build_guest(bool with_si)
{
    struct page_info *d0data;

    for (unsigned p = 0; p < NPFN; p++) {
        pfn[p] = on_node(&dom1, 0);
        uint64_t *w = page_to_virt(pfn[p]);
        for (unsigned i = 0; i < 512; i++)
            w[i] = (uint64_t)p << 32 | i;
    }
    if (with_si) {
        struct start_info *si = page_to_virt(pfn[SI_PFN]);
        uint64_t *list = page_to_virt(pfn[LIST_PFN]);

        memset(si, 0, sizeof(*si));
        memcpy(si->magic, START_INFO_MAGIC, sizeof(START_INFO_MAGIC));
        si->domid = 1;
        si->virt_base = GUEST_VIRT_BASE;
        si->mfn_list = pfn_va(LIST_PFN);
        si->nr_pages = NPFN;
        si->store_mfn = page_to_mfn(pfn[STORE_PFN]);
        for (unsigned p = 0; p < NPFN; p++)
            list[p] = page_to_mfn(pfn[p]);
    }
    build_tables(&dom1, &v1, GUEST_VIRT_BASE, pfn, NPFN, SI_PFN);
    /* dom0 maps the guest's pfn 10 writable (a backend's mapping) */
    d0data = on_node(&d0, 0);
    build_tables(&d0, &vz, GUEST_VIRT_BASE, &d0data, 1, -1);
    uint64_t l1e;
    CHECK_EQ(pv_lookup_l1e(&d0, vz.arch.guest_l4_mfn, GUEST_VIRT_BASE + PAGE_SIZE, &l1e), 0);
    CHECK_EQ(pv_mmu_update(&d0, &dom1, l1e, page_to_paddr(pfn[FOREIGN_PFN]) | RW), 0);
    /* the guest's grant table names pfn 20 */
    gt_frame = alloc_frames(0, 0, MEMF_ZERO);
    struct grant_entry *g = page_to_virt(gt_frame);
    g[0].flags = GTF_permit_access;
    g[0].domid = 0;
    g[0].frame = (uint32_t)page_to_mfn(pfn[GRANT_PFN]);
    CHECK(pv_check_invariants(&dom1, why, sizeof(why)));
}

static void to_node1(struct domain *d)
{
    struct domctl_memory_policy io = { .name = "local", .nodes = 1u << 1 };

    CHECK_EQ(mm_policy_set(d, &io, why, sizeof(why)), 0);
}

static void test_move(void)
{
    if (!setup())
        return;
    build_guest(true);
    to_node1(&dom1);
    unsigned long free0 = frames_free(0), preempts = fake_preempt_calls;
    struct migrate_run run = { .d = &dom1, .set = 1u << 1, .toucher = 1,
                               .max_pages = dom1.max_pages, .check = true };
    mfn_t base_before = v1.arch.guest_l4_mfn;

    CHECK_EQ(migrate_pv_find_list(&dom1), 0);
    CHECK_EQ(migrate_pv(&run), 0);
    if (!pv_check_invariants(&dom1, why, sizeof(why)))
        printf("  dom1: %s\n", why);
    CHECK(pv_check_invariants(&dom1, why, sizeof(why)));
    if (!pv_check_invariants(&d0, why, sizeof(why)))
        printf("  d0: %s\n", why);
    CHECK(pv_check_invariants(&d0, why, sizeof(why)));
    CHECK_EQ(run.moved, NPFN + 4 - 4);              /* 150 data + 4 tables, 4 stay */
    CHECK_EQ(run.held, 4);                          /* start_info, store, foreign, grant */
    CHECK_EQ(dom1.node_pages[0], 4);
    CHECK_EQ(dom1.node_pages[1], NPFN);
    CHECK_EQ(dom1.tot_pages, NPFN + 4);
    CHECK_EQ(dom1.max_pages, 512);                  /* the room is given back */
    CHECK_EQ(run.batches, 3);                       /* 152 candidates: 64, 64, 24 */
    CHECK_EQ(fake_preempt_calls - preempts, 3);
    CHECK_EQ(flushes, 3);
    CHECK_EQ(frames_free(0), free0 + run.moved);
    CHECK(v1.arch.guest_l4_mfn != base_before);
    CHECK_EQ(mfn_to_page(v1.arch.guest_l4_mfn)->node, 1);
    CHECK(page_is_pinned(mfn_to_page(v1.arch.guest_l4_mfn)));
    CHECK_EQ(page_type(mfn_to_page(v1.arch.guest_l4_mfn)), PGT_l4);
    const uint64_t *list = page_to_virt(mfn_to_page(walk(&dom1, pfn_va(LIST_PFN))));
    unsigned wrong_bytes = 0, wrong_list = 0, stayed = 0;
    for (unsigned p = 0; p < NPFN; p++) {
        mfn_t m = walk(&dom1, pfn_va(p));
        const uint64_t *w = page_to_virt(mfn_to_page(m));

        for (unsigned i = 0; i < 512 && p != SI_PFN && p != LIST_PFN; i++)
            wrong_bytes += w[i] != ((uint64_t)p << 32 | i);
        wrong_list += list[p] != m;
        stayed += m == page_to_mfn(pfn[p]);
    }
    CHECK_EQ(wrong_bytes, 0);
    CHECK_EQ(wrong_list, 0);
    CHECK_EQ(stayed, 4);
    CHECK_EQ(walk(&dom1, pfn_va(FOREIGN_PFN)), page_to_mfn(pfn[FOREIGN_PFN]));
    CHECK_EQ(walk(&dom1, pfn_va(GRANT_PFN)), page_to_mfn(pfn[GRANT_PFN]));
    CHECK_EQ(walk(&dom1, pfn_va(SI_PFN)), page_to_mfn(pfn[SI_PFN]));
}

static void test_node_fills(void)
{
    if (!setup())
        return;
    build_guest(true);
    to_node1(&dom1);
    /* Another domain takes node 1 but for 40 frames: the move stops, consistent. */
    while (frames_free(1) > 40)
        on_node(&other, 1);
    struct migrate_run run = { .d = &dom1, .set = 1u << 1, .toucher = 1,
                               .max_pages = dom1.max_pages };

    CHECK_EQ(migrate_pv_find_list(&dom1), 0);
    CHECK_EQ(migrate_pv(&run), -ENOMEM);
    CHECK(run.moved > 0 && run.moved <= 40);
    CHECK_EQ(dom1.node_pages[1], run.moved);
    CHECK_EQ(dom1.node_pages[0], NPFN + 4 - run.moved);
    CHECK_EQ(dom1.max_pages, 512);
    if (!pv_check_invariants(&dom1, why, sizeof(why)))
        printf("  dom1: %s\n", why);
    CHECK(pv_check_invariants(&dom1, why, sizeof(why)));
    CHECK(pv_check_invariants(&d0, why, sizeof(why)));
    const uint64_t *list = page_to_virt(mfn_to_page(walk(&dom1, pfn_va(LIST_PFN))));
    unsigned wrong = 0;
    for (unsigned p = 0; p < NPFN; p++) {
        mfn_t m = walk(&dom1, pfn_va(p));

        wrong += list[p] != m || (p != SI_PFN && p != LIST_PFN &&
                                  ((const uint64_t *)page_to_virt(mfn_to_page(m)))[7] !=
                                  ((uint64_t)p << 32 | 7));
    }
    CHECK_EQ(wrong, 0);
}

static void test_no_start_info(void)
{
    if (!setup())
        return;
    build_guest(false);
    to_node1(&dom1);
    struct migrate_run run = { .d = &dom1, .set = 1u << 1, .toucher = 1,
                               .max_pages = dom1.max_pages };

    CHECK_EQ(migrate_pv_find_list(&dom1), -ENOENT);
    CHECK_EQ(migrate_pv(&run), -ENOENT);
    CHECK_EQ(run.moved, 0);
    CHECK_EQ(dom1.node_pages[1], 0);
    CHECK_EQ(frames_free(1), NODE_FRAMES);
    CHECK(pv_check_invariants(&dom1, why, sizeof(why)));
}

static const struct unit_case cases[] = {
    { "move_to_node1", test_move },
    { "node_fills_midway", test_node_fills },
    { "no_start_info", test_no_start_info },
};
UNIT_MAIN(cases)
