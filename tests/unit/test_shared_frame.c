/* Host tests of frames the hypervisor writes into and shares with a domain
 * (domain_share_frame, mm/domain_mem.c): a domain's shared info page and the trace
 * rings dom0 maps. The hypervisor keeps writing such a frame whatever the domain does
 * with it, so the frame must never become a page table (a guest that could make its
 * shared info an L1 composed entries through event bits and mapped any machine frame),
 * a read-only share must never be mapped writable, and unsharing must free the frame
 * exactly once, now or at the last mapping's put. */

#include <hvlab/domain.h>
#include <hvlab/errno.h>
#include <hvlab/mm.h>
#include <hvlab/pv_mm.h>

#include "pv_fixture.h"

/* L4[0] -> L3[0] -> L2[0] -> L1, pinned: a minimal live address space of d. */
struct space {
    struct page_info *l4, *l3, *l2, *l1;
};

static void build_space(struct domain *d, struct space *s)
{
    s->l4 = frame(d);
    s->l3 = frame(d);
    s->l2 = frame(d);
    s->l1 = frame(d);
    tab(s->l4)[0] = pte(s->l3, RW);
    tab(s->l3)[0] = pte(s->l2, RW);
    tab(s->l2)[0] = pte(s->l1, RW);
    CHECK_EQ(pv_pin_table(d, mfn(s->l4), 4), 0);
}

static struct page_info *share(struct domain *d, bool writable)
{
    struct page_info *pg = alloc_frames(0, 0, MEMF_ZERO);

    domain_share_frame(pg, d, writable);
    if (writable)
        d->shared_info = page_to_virt(pg);      /* so the invariant checker knows it */
    return pg;
}

static void unshare(struct domain *d, struct page_info *pg)
{
    if (d->shared_info == page_to_virt(pg))
        d->shared_info = NULL;
    domain_unshare_frame(pg);
}

/* Mapped writable by its domain like the shared info page, then unmapped: it is
 * still the domain's, but no table of any level, pinned or referenced, may use it. */
static void test_never_a_table(void)
{
    struct domain *d = &doms[1];
    unsigned long free0;
    struct page_info *si;
    struct space s;

    if (!setup())
        return;
    free0 = frames_free_all();
    build_space(d, &s);
    si = share(d, true);
    CHECK_EQ(pv_mmu_update(d, d, slot_ma(s.l1, 9), pte(si, RW | PTE_NX)), 0);
    CHECK_EQ(si->type_info, PGT_writable | 2);
    CHECK_EQ(page_refcount(si), 2);
    CHECK(invariants(d));
    CHECK_EQ(pv_mmu_update(d, d, slot_ma(s.l1, 9), 0), 0);     /* the attack's first step */
    for (unsigned level = 1; level <= 4; level++)
        CHECK_EQ(pv_pin_table(d, mfn(si), level), -EBUSY);
    CHECK_EQ(pv_mmu_update(d, d, slot_ma(s.l2, 1), pte(si, RW)), -EBUSY);     /* as an L1 */
    CHECK_EQ(pv_mmu_update(d, d, slot_ma(s.l3, 1), pte(si, RW)), -EBUSY);     /* as an L2 */
    CHECK_EQ(pv_mmu_update(d, d, slot_ma(s.l4, 1), pte(si, RW)), -EBUSY);     /* as an L3 */
    CHECK_EQ(pv_set_base(d, mfn(si), 0), -EBUSY);                            /* as an L4 */
    CHECK_EQ(domain_free_frame(d, si), -EBUSY);         /* and not given back either */
    CHECK_EQ(si->type_info, PGT_writable | 1);
    CHECK_EQ(page_refcount(si), 1);
    CHECK(invariants(d));
    unshare(d, si);
    CHECK_EQ(pv_unpin_table(d, mfn(s.l4)), 0);
    domain_relinquish_memory(d);
    CHECK_EQ(frames_free_all(), free0);
    CHECK(all_idle());
}

/* A read-only share (a trace ring page for dom0): mapped read-only, never writable,
 * never a table, even by the privileged domain. */
static void test_read_only_share(void)
{
    struct domain *d0 = &doms[0], *owner = &doms[2];
    struct page_info *ro;
    struct space s;

    if (!setup())
        return;
    build_space(d0, &s);
    ro = share(owner, false);
    CHECK_EQ(pv_mmu_update(d0, owner, slot_ma(s.l1, 3), pte(ro, RW)), -EBUSY);
    CHECK_EQ(pv_mmu_update(d0, owner, slot_ma(s.l1, 3), pte(ro, GUEST)), 0);
    CHECK_EQ(page_refcount(ro), 2);
    CHECK_EQ(ro->type_info, PGT_none | 1);
    CHECK_EQ(pv_pin_table(owner, mfn(ro), 1), -EBUSY);
    CHECK_EQ(pv_mmu_update(d0, owner, slot_ma(s.l1, 3), 0), 0);
    CHECK_EQ(page_refcount(ro), 1);
    unshare(owner, ro);
    CHECK(invariants(d0));
}

/* Unsharing while another domain still maps the frame: an orphan until that mapping
 * goes, then freed once. */
static void test_unshare_while_mapped(void)
{
    struct domain *d0 = &doms[0], *du = &doms[1];
    unsigned long free0;
    struct page_info *si;
    struct space s;

    if (!setup())
        return;
    build_space(d0, &s);
    free0 = frames_free_all();
    si = share(du, true);
    CHECK_EQ(pv_mmu_update(d0, du, slot_ma(s.l1, 7), pte(si, RW)), 0);
    unshare(du, si);
    CHECK_EQ(mm_orphan_frames(), 1);
    CHECK_EQ(frames_free_all(), free0 - 1);
    CHECK_EQ(pv_mmu_update(d0, d0, slot_ma(s.l1, 7), 0), 0);
    CHECK_EQ(mm_orphan_frames(), 0);
    CHECK_EQ(frames_free_all(), free0);
    CHECK(invariants(d0));
}

static const struct unit_case cases[] = {
    { "never_a_table", test_never_a_table },
    { "read_only_share", test_read_only_share },
    { "unshare_while_mapped", test_unshare_while_mapped },
};
UNIT_MAIN(cases)
