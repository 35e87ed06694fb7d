/* Host tests of the grant-table bookkeeping (core/grant_table.c, grant_table_map.c)
 * on the PV MMU's fake machine: the real grant code, pv_mm, domain memory and nested
 * page tables; fakes only for the heap (calloc), domain references (counted) and TLB
 * flushes (counted). Each case checks statuses, the GTF bits the granter sees, every frame's
 * reference and type counts, and that every frame comes back. */

#include <hvlab/domain.h>
#include <hvlab/errno.h>
#include <hvlab/grant_table.h>
#include <hvlab/mm.h>
#include <hvlab/p2m.h>
#include <hvlab/pv_mm.h>
#include <hvlab/xmalloc.h>

#include "pv_fixture.h"

/* ---- fakes ---- */

static unsigned flushes;
static int holds[3];                    /* domain references taken by the grant code */

void *xzalloc(size_t size) { return calloc(1, size); }
void *xzalloc_array(size_t n, size_t size) { return calloc(n, size); }
void xfree(void *p) { free(p); }
void gnttab_flush_tlbs(struct domain *d) { (void)d; flushes++; }
void domain_hold(struct domain *d) { holds[d - doms]++; }
void domain_put(struct domain *d) { holds[d - doms]--; }

/* ---- helpers ---- */

#define GR (&doms[1])                   /* the granter */
#define MP (&doms[2])                   /* the mapper */

static unsigned long free0;

static bool fresh(void)
{
    if (!setup())
        return false;
    flushes = 0;
    memset(holds, 0, sizeof(holds));
    free0 = frames_free_all();
    return true;
}

static struct grant_entry *entry(struct domain *d, grant_ref_t ref)
{
    struct grant_entry *t = page_to_virt(d->grant_table->frames[ref / GNTTAB_ENTRIES_PER_FRAME]);

    return &t[ref % GNTTAB_ENTRIES_PER_FRAME];
}

/* What the guest library does: domid and frame, then the flags. */
static void grant(struct domain *d, grant_ref_t ref, hv_domid_t to, uint64_t frame, bool ro)
{
    struct grant_entry *e = entry(d, ref);

    e->domid = to;
    e->frame = (uint32_t)frame;
    e->flags = GTF_permit_access | (ro ? GTF_readonly : 0);
}

/* The granter's end-access: the library's compare-and-swap. */
static int end_access(struct domain *d, grant_ref_t ref)
{
    uint16_t fl = entry(d, ref)->flags;

    if (fl & (GTF_reading | GTF_writing))
        return -EBUSY;
    entry(d, ref)->flags = 0;
    return 0;
}

static int map_dev(grant_ref_t ref, bool ro, grant_handle_t *h, uint64_t *ma)
{
    bool flush;
    uint64_t unused;

    return gnttab_map(MP, GR, 0, GNTMAP_device_map | (ro ? GNTMAP_readonly : 0), ref, 0, h,
                      ma ? ma : &unused, &flush);
}

static int unmap(uint64_t host_addr, grant_handle_t h)
{
    hv_domid_t rd;
    grant_ref_t ref;

    return gnttab_unmap(MP, host_addr, h, &rd, &ref);
}

/* L4[0] -> L3[0] -> L2[0] -> L1, pinned: VAs 0..2 MiB of d have an L1. */
static struct page_info *space(struct domain *d, struct page_info **l1)
{
    struct page_info *l4 = frame(d), *l3 = frame(d), *l2 = frame(d);

    *l1 = frame(d);
    tab(l4)[0] = pte(l3, RW);
    tab(l3)[0] = pte(l2, RW);
    tab(l2)[0] = pte(*l1, RW);
    CHECK_EQ(pv_pin_table(d, mfn(l4), 4), 0);
    return l4;
}

/* Every domain's memory and table gone: every frame back, nothing referenced. */
static void teardown(void)
{
    for (unsigned i = 0; i < 3; i++) {
        gnttab_release_mappings(&doms[i]);
        domain_relinquish_memory(&doms[i]);
    }
    for (unsigned i = 0; i < 3; i++) {
        CHECK_EQ(holds[i], 0);
        gnttab_domain_free(&doms[i]);
        if (doms[i].is_hvm)
            p2m_teardown(&doms[i].p2m);
    }
    CHECK_EQ(mm_orphan_frames(), 0);
    CHECK_EQ(frames_free_all(), free0);
    CHECK(all_idle());
}

/* ---- cases ---- */

static void test_table_frames(void)
{
    if (!fresh())
        return;
    CHECK_EQ(gnttab_nr_frames(GR), 0);
    CHECK_EQ(gnttab_grow(GR, 0), -EINVAL);
    CHECK_EQ(gnttab_grow(GR, GNTTAB_MAX_FRAMES + 1), -EINVAL);
    CHECK_EQ(gnttab_grow(GR, 1), 0);
    CHECK_EQ(gnttab_grow(GR, 1), 0);            /* never shrinks, never doubles */
    CHECK_EQ(gnttab_nr_frames(GR), 1);
    CHECK_EQ(gnttab_grow(GR, 3), 0);
    CHECK_EQ(gnttab_nr_frames(GR), 3);
    CHECK_EQ(frames_free_all(), free0 - 3);
    for (unsigned i = 0; i < 3; i++) {
        struct page_info *pg = mfn_to_page(gnttab_frame_mfn(GR, i));

        /* Shared with the granter like its shared info: never one of its tables. */
        CHECK(pg->owner == GR);
        CHECK_EQ(pg->type_info, PGT_writable | 1);
        CHECK_EQ(pv_pin_table(GR, page_to_mfn(pg), 1), -EBUSY);
        CHECK_EQ(domain_free_frame(GR, pg), -EBUSY);    /* the hypervisor holds it */
    }
    teardown();
}

/* A device mapping pins the grant: GTF bits, a reference and a writable type on the
 * frame; the granter cannot end it; the unmap undoes all of it. */
static void test_device_map(void)
{
    struct page_info *f;
    grant_handle_t h;
    uint64_t ma;

    if (!fresh())
        return;
    f = frame(GR);
    CHECK_EQ(gnttab_grow(GR, 1), 0);
    grant(GR, 8, MP->domain_id, mfn(f), false);
    h = 77;
    CHECK_EQ(map_dev(GNTTAB_ENTRIES_PER_FRAME, false, &h, &ma), GNTST_bad_gntref);
    CHECK_EQ(h, 77);                            /* a failed map gives no handle */
    CHECK_EQ(map_dev(8, false, &h, &ma), GNTST_okay);
    CHECK_EQ(ma, page_to_paddr(f));
    CHECK_EQ(entry(GR, 8)->flags, GTF_permit_access | GTF_reading | GTF_writing);
    CHECK_EQ(page_refcount(f), 1);
    CHECK_EQ(f->type_info, PGT_writable | 1);
    CHECK_EQ(holds[1], 1);
    CHECK_EQ(gnttab_maptrack_used(MP), 1);
    CHECK_EQ(end_access(GR, 8), -EBUSY);
    CHECK_EQ(domain_free_frame(GR, f), -EBUSY); /* nor give the frame back */
    CHECK_EQ(pv_pin_table(GR, mfn(f), 1), -EBUSY);     /* nor make it a table */
    CHECK_EQ(unmap(0, h), GNTST_okay);
    CHECK_EQ(entry(GR, 8)->flags, GTF_permit_access);
    CHECK_EQ(page_refcount(f), 0);
    CHECK_EQ(f->type_info, 0);
    CHECK_EQ(holds[1], 0);
    CHECK_EQ(gnttab_maptrack_used(MP), 0);
    CHECK_EQ(unmap(0, h), GNTST_bad_handle);
    CHECK_EQ(flushes, 0);                       /* nothing was mapped to flush */
    CHECK_EQ(end_access(GR, 8), 0);
    CHECK_EQ(map_dev(8, true, &h, NULL), GNTST_bad_gntref);    /* ended */
    teardown();
}

/* Two read-only and one writable mapping of one grant: the bits follow the counts. */
static void test_pins_count(void)
{
    struct page_info *f;
    grant_handle_t a, b, c;

    if (!fresh())
        return;
    f = frame(GR);
    CHECK_EQ(gnttab_grow(GR, 1), 0);
    grant(GR, 9, MP->domain_id, mfn(f), false);
    CHECK_EQ(map_dev(9, true, &a, NULL), GNTST_okay);
    CHECK_EQ(entry(GR, 9)->flags, GTF_permit_access | GTF_reading);
    CHECK_EQ(f->type_info, 0);                  /* read-only: no writable type */
    CHECK_EQ(map_dev(9, false, &b, NULL), GNTST_okay);
    CHECK_EQ(map_dev(9, true, &c, NULL), GNTST_okay);
    CHECK_EQ(page_refcount(f), 3);
    CHECK_EQ(unmap(0, b), GNTST_okay);
    CHECK_EQ(entry(GR, 9)->flags, GTF_permit_access | GTF_reading);
    CHECK_EQ(unmap(0, a), GNTST_okay);
    CHECK_EQ(entry(GR, 9)->flags, GTF_permit_access | GTF_reading);
    CHECK_EQ(unmap(0, c), GNTST_okay);
    CHECK_EQ(entry(GR, 9)->flags, GTF_permit_access);
    teardown();
}

/* Every bad grant gets its status and leaves the entry and the frame as they were. */
static void test_bad_grants(void)
{
    struct page_info *f, *foreign, *l4, *l1;
    grant_handle_t h;

    if (!fresh())
        return;
    f = frame(GR);
    foreign = frame(&doms[0]);
    CHECK_EQ(map_dev(8, true, &h, NULL), GNTST_bad_gntref);     /* no table at all */
    CHECK_EQ(gnttab_grow(GR, 1), 0);
    l4 = space(GR, &l1);
    grant(GR, 8, MP->domain_id, mfn(f), true);                  /* read-only */
    grant(GR, 9, 0, mfn(f), false);                             /* to dom0 */
    grant(GR, 10, MP->domain_id, mfn(foreign), false);          /* not the granter's */
    grant(GR, 11, MP->domain_id, max_mfn + 5, false);           /* not a frame */
    grant(GR, 12, MP->domain_id, mfn(l1), false);               /* a page table */
    grant(GR, 13, MP->domain_id, mfn(f), false);
    entry(GR, 13)->flags = GTF_permit_access | 2;               /* unknown type */
    CHECK_EQ(map_dev(8, false, &h, NULL), GNTST_bad_gntref);
    CHECK_EQ(map_dev(9, true, &h, NULL), GNTST_bad_gntref);
    CHECK_EQ(map_dev(10, true, &h, NULL), GNTST_bad_page);
    CHECK_EQ(map_dev(11, true, &h, NULL), GNTST_bad_page);
    CHECK_EQ(map_dev(12, false, &h, NULL), GNTST_bad_page);
    CHECK_EQ(map_dev(13, true, &h, NULL), GNTST_bad_gntref);
    CHECK_EQ(map_dev(14, true, &h, NULL), GNTST_bad_gntref);    /* never granted */
    CHECK_EQ(map_dev(GNTTAB_ENTRIES_PER_FRAME, true, &h, NULL), GNTST_bad_gntref);
    CHECK_EQ(map_dev(~0u, true, &h, NULL), GNTST_bad_gntref);
    CHECK_EQ(entry(GR, 8)->flags, GTF_permit_access | GTF_readonly);
    CHECK_EQ(entry(GR, 10)->flags, GTF_permit_access);          /* the claim undone */
    CHECK_EQ(entry(GR, 12)->flags, GTF_permit_access);
    CHECK_EQ(page_refcount(foreign), 0);
    CHECK_EQ(page_type(l1), PGT_l1);
    CHECK_EQ(map_dev(12, true, &h, NULL), GNTST_okay);          /* reading a table: fine */
    CHECK_EQ(unmap(0, h), GNTST_okay);
    CHECK_EQ(gnttab_maptrack_used(MP), 0);
    CHECK_EQ(holds[1], 0);
    {
        bool flush;
        uint64_t ma;

        CHECK_EQ(gnttab_map(MP, MP, 0, GNTMAP_device_map, 8, 0, &h, &ma, &flush),
                 GNTST_bad_domain);
        CHECK_EQ(gnttab_map(MP, GR, 0, 0, 8, 0, &h, &ma, &flush), GNTST_general_error);
        CHECK_EQ(gnttab_map(MP, GR, 0, GNTMAP_device_map | 8, 8, 0, &h, &ma, &flush),
                 GNTST_general_error);
        CHECK_EQ(gnttab_map(MP, GR, 4096, GNTMAP_device_map | GNTMAP_readonly, 8, 0, &h, &ma,
                            &flush), GNTST_bad_virt_addr);
    }
    CHECK_EQ(pv_unpin_table(GR, mfn(l4)), 0);
    teardown();
}

/* PV host mapping: an L1 entry of the mapper with its own references, refused where
 * there is no L1 or the entry is in use, flushed at the unmap. */
static void test_pv_host_map(void)
{
    struct page_info *f, *l4, *l1, *own;
    grant_handle_t h, h2;
    bool flush;
    uint64_t ma;

    if (!fresh())
        return;
    f = frame(GR);
    own = frame(MP);
    l4 = space(MP, &l1);
    CHECK_EQ(gnttab_grow(GR, 1), 0);
    grant(GR, 8, MP->domain_id, mfn(f), false);
    CHECK_EQ(pv_mmu_update(MP, MP, slot_ma(l1, 6), pte(own, RW)), 0);
    CHECK_EQ(gnttab_map(MP, GR, 5 * PAGE_SIZE, GNTMAP_host_map, 8, mfn(l4), &h, &ma, &flush),
             GNTST_okay);
    CHECK_EQ(tab(l1)[5], pte(f, RW | PTE_NX));
    CHECK_EQ(page_refcount(f), 2);              /* the pin and the entry */
    CHECK_EQ(f->type_info, PGT_writable | 2);
    CHECK_EQ(gnttab_map(MP, GR, 6 * PAGE_SIZE, GNTMAP_host_map, 8, mfn(l4), &h2, &ma, &flush),
             GNTST_bad_virt_addr);              /* slot 6 is in use */
    CHECK_EQ(gnttab_map(MP, GR, 1ULL << 30, GNTMAP_host_map, 8, mfn(l4), &h2, &ma, &flush),
             GNTST_bad_virt_addr);              /* no L1 there */
    CHECK_EQ(gnttab_map(MP, GR, 7 * PAGE_SIZE, GNTMAP_host_map, 8, 0, &h2, &ma, &flush),
             GNTST_bad_virt_addr);              /* no page tables at all */
    CHECK_EQ(gnttab_map(MP, GR, GUEST_VIRT_END, GNTMAP_host_map, 8, mfn(l4), &h2, &ma, &flush),
             GNTST_bad_virt_addr);
    CHECK_EQ(page_refcount(f), 2);
    CHECK_EQ(unmap(4 * PAGE_SIZE, h), GNTST_bad_virt_addr);    /* not where it is */
    CHECK_EQ(tab(l1)[5], pte(f, RW | PTE_NX));
    CHECK_EQ(unmap(5 * PAGE_SIZE, h), GNTST_okay);
    CHECK_EQ(tab(l1)[5], 0);
    CHECK_EQ(flushes, 1);
    CHECK_EQ(page_refcount(f), 0);
    CHECK_EQ(f->type_info, 0);
    /* A read-only map; the mapper then clears the entry itself: the unmap still
     * releases the pin, and nothing is dropped twice. */
    CHECK_EQ(gnttab_map(MP, GR, 5 * PAGE_SIZE, GNTMAP_host_map | GNTMAP_readonly, 8, mfn(l4),
                        &h, &ma, &flush), GNTST_okay);
    CHECK_EQ(tab(l1)[5], pte(f, GUEST | PTE_NX));
    CHECK_EQ(pv_mmu_update(MP, MP, slot_ma(l1, 5), 0), 0);
    CHECK_EQ(page_refcount(f), 1);
    CHECK_EQ(unmap(5 * PAGE_SIZE, h), GNTST_okay);
    CHECK_EQ(page_refcount(f), 0);
    CHECK_EQ(entry(GR, 8)->flags, GTF_permit_access);
    CHECK_EQ(pv_mmu_update(MP, MP, slot_ma(l1, 6), 0), 0);
    CHECK_EQ(pv_unpin_table(MP, mfn(l4)), 0);
    teardown();
}

static void test_maptrack_limit(void)
{
    static grant_handle_t hs[GNTTAB_MAPTRACK_MAX + 1];
    struct page_info *f;
    unsigned n = 0;

    if (!fresh())
        return;
    f = frame(GR);
    CHECK_EQ(gnttab_grow(GR, 1), 0);
    grant(GR, 8, MP->domain_id, mfn(f), true);
    while (n <= GNTTAB_MAPTRACK_MAX && map_dev(8, true, &hs[n], NULL) == GNTST_okay)
        n++;
    CHECK_EQ(n, GNTTAB_MAPTRACK_MAX);
    CHECK_EQ(map_dev(8, true, &hs[n], NULL), GNTST_no_space);
    CHECK_EQ(page_refcount(f), GNTTAB_MAPTRACK_MAX);
    CHECK_EQ(holds[1], GNTTAB_MAPTRACK_MAX);
    CHECK_EQ(unmap(0, GNTTAB_MAPTRACK_MAX), GNTST_bad_handle);
    while (n > 0)
        CHECK_EQ(unmap(0, hs[--n]), GNTST_okay);
    CHECK_EQ(page_refcount(f), 0);
    CHECK_EQ(entry(GR, 8)->flags, GTF_permit_access | GTF_readonly);
    teardown();
}

static struct gnttab_copy copy_op(uint16_t flags, uint64_t src, uint16_t soff, uint64_t dst,
                                  uint16_t doff, uint16_t len)
{
    struct gnttab_copy c = { .len = len, .flags = flags };

    c.source.u.gmfn = src;
    c.source.domid = (flags & GNTCOPY_source_gref) ? GR->domain_id : DOMID_SELF;
    c.source.offset = soff;
    c.dest.u.gmfn = dst;
    c.dest.domid = (flags & GNTCOPY_dest_gref) ? GR->domain_id : DOMID_SELF;
    c.dest.offset = doff;
    return c;
}

static void test_copy(void)
{
    struct page_info *rw, *ro, *mine, *l4, *l1;
    struct gnttab_copy c;

    if (!fresh())
        return;
    rw = frame(GR);
    ro = frame(GR);
    mine = frame(MP);
    l4 = space(MP, &l1);
    CHECK_EQ(gnttab_grow(GR, 1), 0);
    grant(GR, 8, MP->domain_id, mfn(rw), false);
    grant(GR, 9, MP->domain_id, mfn(ro), true);
    strcpy((char *)tab(ro) + 10, "from the granter");
    c = copy_op(GNTCOPY_source_gref, 9, 10, mfn(mine), 100, 17);
    CHECK_EQ(gnttab_copy_one(MP, GR, NULL, &c), GNTST_okay);
    CHECK(strcmp((char *)tab(mine) + 100, "from the granter") == 0);
    c = copy_op(GNTCOPY_dest_gref, mfn(mine), 100, 8, 4000, 17);
    CHECK_EQ(gnttab_copy_one(MP, NULL, GR, &c), GNTST_okay);
    CHECK(strcmp((char *)tab(rw) + 4000, "from the granter") == 0);
    c = copy_op(GNTCOPY_source_gref | GNTCOPY_dest_gref, 9, 10, 8, 0, 17);
    CHECK_EQ(gnttab_copy_one(MP, GR, GR, &c), GNTST_okay);
    CHECK(strcmp((char *)tab(rw), "from the granter") == 0);
    /* Refused, changing nothing. */
    c = copy_op(GNTCOPY_dest_gref, mfn(mine), 0, 9, 0, 4);
    CHECK_EQ(gnttab_copy_one(MP, NULL, GR, &c), GNTST_bad_gntref);      /* read-only */
    c = copy_op(GNTCOPY_source_gref, 9, 4000, mfn(mine), 0, 97);
    CHECK_EQ(gnttab_copy_one(MP, GR, NULL, &c), GNTST_bad_copy_arg);
    c = copy_op(GNTCOPY_source_gref, 9, 0, mfn(mine), 4095, 2);
    CHECK_EQ(gnttab_copy_one(MP, GR, NULL, &c), GNTST_bad_copy_arg);
    c = copy_op(GNTCOPY_source_gref | 4, 9, 0, mfn(mine), 0, 2);
    CHECK_EQ(gnttab_copy_one(MP, GR, NULL, &c), GNTST_bad_copy_arg);
    c = copy_op(GNTCOPY_source_gref, 9, 0, mfn(mine), 0, 2);
    CHECK_EQ(gnttab_copy_one(MP, NULL, NULL, &c), GNTST_bad_copy_arg); /* no granter */
    c = copy_op(0, mfn(rw), 0, mfn(mine), 0, 2);
    CHECK_EQ(gnttab_copy_one(MP, NULL, NULL, &c), GNTST_bad_page);      /* not ours */
    c = copy_op(0, mfn(mine), 0, mfn(l1), 0, 8);
    CHECK_EQ(gnttab_copy_one(MP, NULL, NULL, &c), GNTST_bad_page);      /* our table */
    c = copy_op(0, mfn(mine), 0, mfn(mine), 8, 8);
    c.source.domid = 5;
    CHECK_EQ(gnttab_copy_one(MP, NULL, NULL, &c), GNTST_bad_domain);
    c = copy_op(GNTCOPY_source_gref, 9, 0, mfn(mine), 0, 2);
    CHECK_EQ(gnttab_copy_one(MP, MP, NULL, &c), GNTST_bad_domain);     /* from ourselves */
    /* Nothing stays pinned after a copy. */
    CHECK_EQ(entry(GR, 8)->flags, GTF_permit_access);
    CHECK_EQ(entry(GR, 9)->flags, GTF_permit_access | GTF_readonly);
    CHECK_EQ(page_refcount(rw), 0);
    CHECK_EQ(page_refcount(mine), 0);
    CHECK_EQ(pv_unpin_table(MP, mfn(l4)), 0);
    teardown();
}

/* The granter dies with a grant mapped: its frame becomes an orphan that nobody can
 * be given, and goes back only at the unmap; its table at its last reference. */
static void test_granter_dies(void)
{
    struct page_info *f, *l4, *l1;
    grant_handle_t h, hd;
    bool flush;
    uint64_t ma;

    if (!fresh())
        return;
    f = frame(GR);
    l4 = space(MP, &l1);
    CHECK_EQ(gnttab_grow(GR, 1), 0);
    grant(GR, 8, MP->domain_id, mfn(f), false);
    CHECK_EQ(gnttab_map(MP, GR, 3 * PAGE_SIZE, GNTMAP_host_map, 8, mfn(l4), &h, &ma, &flush),
             GNTST_okay);
    CHECK_EQ(map_dev(8, false, &hd, NULL), GNTST_okay);
    domain_relinquish_memory(GR);               /* destroyed */
    CHECK_EQ(mm_orphan_frames(), 1);
    CHECK(f->owner == NULL && !(f->count_info & PGC_allocated));
    CHECK_EQ(holds[1], 2);                      /* the granter's struct stays */
    strcpy((char *)tab(f), "still there");
    CHECK_EQ(unmap(0, hd), GNTST_okay);
    CHECK_EQ(mm_orphan_frames(), 1);
    CHECK_EQ(unmap(3 * PAGE_SIZE, h), GNTST_okay);
    CHECK_EQ(mm_orphan_frames(), 0);            /* freed by the last unmap */
    CHECK_EQ(holds[1], 0);
    CHECK_EQ(pv_unpin_table(MP, mfn(l4)), 0);
    teardown();
}

/* The mapper dies with grants mapped: released at its destruction, the granter can
 * end them and every frame comes back. */
static void test_mapper_dies(void)
{
    struct page_info *f, *l4, *l1;
    grant_handle_t h, hd;
    bool flush;
    uint64_t ma;

    if (!fresh())
        return;
    f = frame(GR);
    l4 = space(MP, &l1);
    (void)l4;
    CHECK_EQ(gnttab_grow(GR, 1), 0);
    grant(GR, 8, MP->domain_id, mfn(f), false);
    CHECK_EQ(gnttab_map(MP, GR, 3 * PAGE_SIZE, GNTMAP_host_map, 8, mfn(l4), &h, &ma, &flush),
             GNTST_okay);
    CHECK_EQ(map_dev(8, true, &hd, NULL), GNTST_okay);
    gnttab_release_mappings(MP);
    CHECK_EQ(gnttab_maptrack_used(MP), 0);
    CHECK_EQ(holds[1], 0);
    CHECK_EQ(entry(GR, 8)->flags, GTF_permit_access);
    CHECK_EQ(page_refcount(f), 1);              /* the mapper's L1 entry, until ... */
    domain_relinquish_memory(MP);
    CHECK_EQ(page_refcount(f), 0);              /* ... its tables go */
    CHECK_EQ(f->type_info, 0);
    CHECK_EQ(end_access(GR, 8), 0);
    teardown();
}

/* HVM on both sides: the granter's entry holds a gfn, the mapper's gfn is pointed at
 * the frame in its nested table and gets its own frame back at the unmap. */
static void test_hvm(void)
{
    struct page_info *f, *own, *got;
    grant_handle_t h, h2;
    bool flush = false;
    mfn_t m;
    uint64_t ma;
    unsigned fl;

    if (!fresh())
        return;
    for (unsigned i = 1; i <= 2; i++) {
        doms[i].is_hvm = true;
        CHECK_EQ(p2m_init(&doms[i].p2m, 0), 0);
    }
    f = frame(GR);
    own = frame(MP);
    CHECK_EQ(p2m_map(&GR->p2m, 0x10, mfn(f), P2M_ORDER_4K, P2M_WRITE), 0);
    CHECK_EQ(p2m_map(&MP->p2m, 0x20, mfn(own), P2M_ORDER_4K, P2M_WRITE), 0);
    CHECK_EQ(gnttab_grow(GR, 1), 0);
    grant(GR, 8, MP->domain_id, 0x10, true);    /* a gfn */
    grant(GR, 9, MP->domain_id, 0x11, false);   /* a gfn with nothing there */
    CHECK_EQ(gnttab_map(MP, GR, 0x20ULL << PAGE_SHIFT, GNTMAP_host_map | GNTMAP_readonly, 8, 0,
                        &h, &ma, &flush), GNTST_okay);
    CHECK(flush);
    CHECK_EQ(ma, page_to_paddr(f));
    CHECK_EQ(p2m_lookup(&MP->p2m, 0x20, &m, &fl, NULL), 0);
    CHECK_EQ(m, mfn(f));
    CHECK_EQ(fl, 0);                            /* read-only in the nested table */
    got = mfn_to_page(m);
    CHECK_EQ(page_refcount(got), 1);
    CHECK_EQ(gnttab_map(MP, GR, 0x20ULL << PAGE_SHIFT, GNTMAP_host_map | GNTMAP_readonly, 8, 0,
                        &h2, &ma, &flush), GNTST_bad_virt_addr);    /* not our RAM now */
    CHECK_EQ(gnttab_map(MP, GR, 0x30ULL << PAGE_SHIFT, GNTMAP_host_map | GNTMAP_readonly, 8, 0,
                        &h2, &ma, &flush), GNTST_bad_virt_addr);    /* no RAM there */
    CHECK_EQ(map_dev(9, true, &h2, NULL), GNTST_bad_page);
    CHECK_EQ(unmap(0x20ULL << PAGE_SHIFT, h), GNTST_okay);
    CHECK_EQ(p2m_lookup(&MP->p2m, 0x20, &m, &fl, NULL), 0);
    CHECK_EQ(m, mfn(own));
    CHECK_EQ(fl, P2M_WRITE);
    CHECK_EQ(page_refcount(f), 0);
    CHECK_EQ(flushes, 1);
    teardown();
}

/* HVM deaths: an HVM granter destroyed while a PV mapper maps its frame (found
 * through its nested table), then an HVM mapper destroyed while it maps one (its
 * nested table goes first, then the release). */
static void test_hvm_deaths(void)
{
    struct page_info *f, *own, *l4, *l1;
    grant_handle_t h;
    bool flush;
    uint64_t ma;

    if (!fresh())
        return;
    GR->is_hvm = true;
    CHECK_EQ(p2m_init(&GR->p2m, 0), 0);
    f = frame(GR);
    CHECK_EQ(p2m_map(&GR->p2m, 0x40, mfn(f), P2M_ORDER_4K, P2M_WRITE), 0);
    CHECK_EQ(gnttab_grow(GR, 1), 0);
    grant(GR, 8, MP->domain_id, 0x40, false);
    l4 = space(MP, &l1);
    CHECK_EQ(gnttab_map(MP, GR, 2 * PAGE_SIZE, GNTMAP_host_map, 8, mfn(l4), &h, &ma, &flush),
             GNTST_okay);
    CHECK_EQ(tab(l1)[2], pte(f, RW | PTE_NX));
    p2m_teardown(&GR->p2m);                     /* destroyed: nested table, then memory */
    domain_relinquish_memory(GR);
    CHECK_EQ(mm_orphan_frames(), 1);
    {
        grant_handle_t h2;

        CHECK_EQ(map_dev(8, true, &h2, NULL), GNTST_bad_page);   /* an orphan now */
    }
    CHECK_EQ(unmap(2 * PAGE_SIZE, h), GNTST_okay);
    CHECK_EQ(mm_orphan_frames(), 0);
    CHECK_EQ(pv_unpin_table(MP, mfn(l4)), 0);
    GR->is_hvm = false;
    teardown();

    if (!fresh())
        return;
    MP->is_hvm = true;
    CHECK_EQ(p2m_init(&MP->p2m, 0), 0);
    f = frame(GR);
    own = frame(MP);
    CHECK_EQ(p2m_map(&MP->p2m, 0x20, mfn(own), P2M_ORDER_4K, P2M_WRITE), 0);
    CHECK_EQ(gnttab_grow(GR, 1), 0);
    grant(GR, 8, MP->domain_id, mfn(f), false);
    CHECK_EQ(gnttab_map(MP, GR, 0x20ULL << PAGE_SHIFT, GNTMAP_host_map, 8, 0, &h, &ma, &flush),
             GNTST_okay);
    CHECK_EQ(page_refcount(f), 1);
    CHECK_EQ(f->type_info, PGT_writable | 1);
    p2m_teardown(&MP->p2m);                     /* destroyed: nested table, release, memory */
    gnttab_release_mappings(MP);
    CHECK_EQ(page_refcount(f), 0);
    CHECK_EQ(f->type_info, 0);
    CHECK_EQ(entry(GR, 8)->flags, GTF_permit_access);
    CHECK_EQ(holds[1], 0);
    MP->is_hvm = false;
    teardown();
}

/* The granter changes its entry while it is mapped: the frame stays the one pinned
 * first, a regrant to another domain is refused while in use, and the granter's own
 * scribbles over the GTF bits are corrected at the unmap. */
static void test_granter_changes_entry(void)
{
    struct page_info *f, *g2;
    grant_handle_t h, h2;
    uint64_t ma;

    if (!fresh())
        return;
    f = frame(GR);
    g2 = frame(GR);
    CHECK_EQ(gnttab_grow(GR, 1), 0);
    grant(GR, 8, MP->domain_id, mfn(f), false);
    CHECK_EQ(map_dev(8, false, &h, NULL), GNTST_okay);
    entry(GR, 8)->frame = (uint32_t)mfn(g2);
    CHECK_EQ(map_dev(8, false, &h2, &ma), GNTST_okay);
    CHECK_EQ(ma, page_to_paddr(f));             /* the pinned frame */
    CHECK_EQ(unmap(0, h2), GNTST_okay);
    entry(GR, 8)->domid = 0;                    /* regranted under the mapping */
    CHECK_EQ(map_dev(8, false, &h2, NULL), GNTST_bad_gntref);
    {
        bool flush;

        CHECK_EQ(gnttab_map(&doms[0], GR, 0, GNTMAP_device_map | GNTMAP_readonly, 8, 0, &h2,
                            &ma, &flush), GNTST_bad_gntref);    /* still the mapper's */
    }
    CHECK_EQ(entry(GR, 8)->flags, GTF_permit_access | GTF_reading | GTF_writing);
    CHECK_EQ(page_refcount(f), 1);
    entry(GR, 8)->domid = MP->domain_id;
    entry(GR, 8)->flags = GTF_permit_access;    /* the granter wipes the bits */
    CHECK_EQ(unmap(0, h), GNTST_okay);
    CHECK_EQ(entry(GR, 8)->flags, GTF_permit_access);
    CHECK_EQ(page_refcount(f), 0);
    CHECK_EQ(f->type_info, 0);
    CHECK_EQ(page_refcount(g2), 0);
    teardown();
}

static const struct unit_case cases[] = {
    { "table_frames", test_table_frames },
    { "device_map", test_device_map },
    { "pins_count", test_pins_count },
    { "bad_grants", test_bad_grants },
    { "pv_host_map", test_pv_host_map },
    { "maptrack_limit", test_maptrack_limit },
    { "copy", test_copy },
    { "granter_dies", test_granter_dies },
    { "mapper_dies", test_mapper_dies },
    { "hvm", test_hvm },
    { "hvm_deaths", test_hvm_deaths },
    { "granter_changes_entry", test_granter_changes_entry },
};
UNIT_MAIN(cases)
