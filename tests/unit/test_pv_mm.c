/* Host tests of mm/pv_mm.c (with mm/domain_mem.c and the page allocator): page types,
 * validation of guest page tables, mmu_update, pins, bases, foreign mappings, and a
 * the invariant checker itself (the random sequence is in test_pv_mm_random.c).
 * On the host physical == virtual (<hvlab/addr.h>): the "RAM" is a 2 MiB mapping at a
 * fixed low address, and the frame table covers everything below it (reserved). */

#include <hvlab/domain.h>
#include <hvlab/errno.h>
#include <hvlab/mm.h>
#include <hvlab/pv_mm.h>

#include "pv_fixture.h"

/* L4[0] -> L3[0] -> L2[0] -> L1; L1 maps data[0] and data[1] writable (slots 0, 1),
 * data[2] read-only (slot 2), data[3] writable twice (slots 3, 4). Not validated. */
struct tree {
    struct page_info *l4, *l3, *l2, *l1, *data[4];
};

static void build_tree(struct domain *d, struct tree *tr)
{
    tr->l4 = frame(d);
    tr->l3 = frame(d);
    tr->l2 = frame(d);
    tr->l1 = frame(d);
    for (unsigned i = 0; i < 4; i++)
        tr->data[i] = frame(d);
    tab(tr->l4)[0] = pte(tr->l3, RW);
    tab(tr->l3)[0] = pte(tr->l2, RW);
    tab(tr->l2)[0] = pte(tr->l1, RW);
    tab(tr->l1)[0] = pte(tr->data[0], RW);
    tab(tr->l1)[1] = pte(tr->data[1], RW | PTE_NX);
    tab(tr->l1)[2] = pte(tr->data[2], GUEST);
    tab(tr->l1)[3] = pte(tr->data[3], RW);
    tab(tr->l1)[4] = pte(tr->data[3], RW | PTE_A | PTE_D);
}

static void check_tree_counts(const struct tree *tr, bool pinned)
{
    CHECK_EQ(tr->l4->type_info, PGT_l4 | PGT_validated | (pinned ? PGT_pinned : 0) | 1);
    CHECK_EQ(tr->l3->type_info, PGT_l3 | PGT_validated | 1);
    CHECK_EQ(tr->l2->type_info, PGT_l2 | PGT_validated | 1);
    CHECK_EQ(tr->l1->type_info, PGT_l1 | PGT_validated | 1);
    CHECK_EQ(page_refcount(tr->l4), 1);
    CHECK_EQ(page_refcount(tr->l3), 1);
    CHECK_EQ(page_refcount(tr->l2), 1);
    CHECK_EQ(page_refcount(tr->l1), 1);
    CHECK_EQ(tr->data[0]->type_info, PGT_writable | 1);
    CHECK_EQ(tr->data[1]->type_info, PGT_writable | 1);
    CHECK_EQ(tr->data[2]->type_info, 0);
    CHECK_EQ(tr->data[3]->type_info, PGT_writable | 2);
    CHECK_EQ(page_refcount(tr->data[0]), 1);
    CHECK_EQ(page_refcount(tr->data[2]), 1);
    CHECK_EQ(page_refcount(tr->data[3]), 2);
}

/* The tree's frames have no references and no type, as before validation. */
static void check_tree_idle(const struct tree *tr)
{
    const struct page_info *all[] = { tr->l4, tr->l3, tr->l2, tr->l1, tr->data[0],
                                      tr->data[1], tr->data[2], tr->data[3] };

    for (unsigned i = 0; i < ARRAY_SIZE(all); i++) {
        CHECK_EQ(page_refcount(all[i]), 0);
        CHECK_EQ(all[i]->type_info, 0);
        CHECK_EQ(all[i]->count_info, PGC_allocated);
    }
}

/* ---- validation ---- */

static void test_validate_tree_counts(void)
{
    struct domain *d = &doms[1];
    struct tree tr;

    if (!setup())
        return;
    build_tree(d, &tr);
    CHECK(invariants(d));
    CHECK_EQ(pv_pin_table(d, mfn(tr.l4), 4), 0);
    check_tree_counts(&tr, true);
    CHECK(invariants(d));
}

static void test_unpin_releases_tree(void)
{
    struct domain *d = &doms[1];
    struct tree tr;

    if (!setup())
        return;
    build_tree(d, &tr);
    CHECK_EQ(pv_pin_table(d, mfn(tr.l4), 4), 0);
    CHECK_EQ(pv_unpin_table(d, mfn(tr.l4)), 0);
    check_tree_idle(&tr);
    CHECK(all_idle());
    CHECK(invariants(d));
    /* The entries are still there: pinning again validates the same tree. */
    CHECK_EQ(tab(tr.l1)[3], pte(tr.data[3], RW));
    CHECK_EQ(pv_pin_table(d, mfn(tr.l4), 4), 0);
    check_tree_counts(&tr, true);
    CHECK_EQ(pv_unpin_table(d, mfn(tr.l4)), 0);
    CHECK(all_idle());
}

static void test_hv_slots_copied_and_cleared(void)
{
    struct domain *d = &doms[1];
    struct tree tr;
    uint64_t *l4;

    if (!setup())
        return;
    build_tree(d, &tr);
    l4 = tab(tr.l4);
    CHECK_EQ(pv_pin_table(d, mfn(tr.l4), 4), 0);
    CHECK(memcmp(&l4[256], &hv_l4_template[256], 256 * 8) == 0);
    CHECK_EQ(l4[255], 0);
    CHECK_EQ(pv_unpin_table(d, mfn(tr.l4)), 0);
    for (unsigned i = 256; i < 512; i++)
        CHECK_EQ(l4[i], 0);
    CHECK_EQ(l4[0], pte(tr.l3, RW));
}

static void test_failed_validation_rolls_back(void)
{
    struct domain *d = &doms[1];
    struct page_info *other;
    struct tree tr;

    if (!setup())
        return;
    other = frame(&doms[2]);
    build_tree(d, &tr);
    /* The bad entry is the last one reached: everything before it was validated. */
    tab(tr.l1)[511] = pte(other, GUEST);
    CHECK_EQ(pv_pin_table(d, mfn(tr.l4), 4), -EPERM);
    check_tree_idle(&tr);
    CHECK(!page_is_pinned(tr.l4));
    CHECK(all_idle());
    CHECK(invariants(d));
    for (unsigned i = 256; i < 512; i++)
        CHECK_EQ(tab(tr.l4)[i], 0);
    /* Failing in a second L4 slot after the first subtree was complete. */
    tab(tr.l1)[511] = 0;
    tab(tr.l4)[7] = pte(other, RW);
    CHECK_EQ(pv_pin_table(d, mfn(tr.l4), 4), -EPERM);
    check_tree_idle(&tr);
    CHECK(all_idle());
}

static void test_shared_subtables(void)
{
    struct domain *d = &doms[1];
    struct page_info *l4b;
    struct tree tr;

    if (!setup())
        return;
    build_tree(d, &tr);
    l4b = frame(d);
    tab(tr.l4)[1] = pte(tr.l3, RW);     /* the same L3 twice */
    tab(l4b)[5] = pte(tr.l3, RW);       /* and from a second L4 */
    CHECK_EQ(pv_pin_table(d, mfn(tr.l4), 4), 0);
    CHECK_EQ(pv_pin_table(d, mfn(l4b), 4), 0);
    CHECK_EQ(tr.l3->type_info, PGT_l3 | PGT_validated | 3);
    CHECK_EQ(page_refcount(tr.l3), 3);
    CHECK_EQ(tr.l2->type_info, PGT_l2 | PGT_validated | 1);     /* validated once */
    CHECK(invariants(d));
    CHECK_EQ(pv_unpin_table(d, mfn(tr.l4)), 0);
    CHECK_EQ(tr.l3->type_info, PGT_l3 | PGT_validated | 1);
    CHECK_EQ(tr.data[3]->type_info, PGT_writable | 2);
    CHECK(invariants(d));
    CHECK_EQ(pv_unpin_table(d, mfn(l4b)), 0);
    CHECK(all_idle());
}

/* ---- entry rules ---- */

static void test_foreign_frame_refused(void)
{
    struct domain *d = &doms[1];
    struct page_info *other;
    struct tree tr;

    if (!setup())
        return;
    build_tree(d, &tr);
    other = frame(&doms[2]);
    tab(tr.l1)[9] = pte(other, GUEST);
    CHECK_EQ(pv_pin_table(d, mfn(tr.l4), 4), -EPERM);
    CHECK(all_idle());
    tab(tr.l1)[9] = 0;
    CHECK_EQ(pv_pin_table(d, mfn(tr.l4), 4), 0);
    /* Live table: refused, and the entry is unchanged. */
    CHECK_EQ(pv_mmu_update(d, d, slot_ma(tr.l1, 9), pte(other, RW)), -EPERM);
    CHECK_EQ(pv_mmu_update(d, d, slot_ma(tr.l1, 2), pte(other, GUEST)), -EPERM);
    CHECK_EQ(tab(tr.l1)[2], pte(tr.data[2], GUEST));
    CHECK_EQ(page_refcount(other), 0);
    /* Another domain's table at a higher level: refused too. */
    CHECK_EQ(pv_mmu_update(d, d, slot_ma(tr.l2, 1), pte(other, RW)), -EPERM);
    CHECK(invariants(d));
    CHECK(invariants(&doms[2]));
}

static void test_free_and_hypervisor_frames_refused(void)
{
    struct domain *d = &doms[1];
    struct page_info *hv, *freed;
    struct tree tr;

    if (!setup())
        return;
    build_tree(d, &tr);
    CHECK_EQ(pv_pin_table(d, mfn(tr.l4), 4), 0);
    hv = alloc_frames(0, 0, 0);                         /* the hypervisor's own */
    freed = frame(d);
    CHECK_EQ(domain_free_frame(d, freed), 0);
    CHECK_EQ(pv_mmu_update(d, d, slot_ma(tr.l1, 9), pte(hv, GUEST)), -EINVAL);
    CHECK_EQ(pv_mmu_update(d, d, slot_ma(tr.l1, 9), pte(freed, RW)), -EINVAL);
    CHECK_EQ(pv_mmu_update(d, d, slot_ma(tr.l1, 9), (max_mfn << PAGE_SHIFT) | GUEST), -EINVAL);
    CHECK_EQ(pv_mmu_update(d, d, slot_ma(tr.l1, 9), 0x1000 | GUEST), -EINVAL); /* reserved */
    CHECK_EQ(pv_mmu_update(d, d, slot_ma(tr.l2, 9), pte(hv, RW)), -EINVAL);
    CHECK_EQ(pv_mmu_update(d, d, slot_ma(tr.l4, 9), pte(freed, RW)), -EINVAL);
    CHECK_EQ(hv->count_info, 0);
    CHECK_EQ(freed->count_info, 0);
    CHECK_EQ(tab(tr.l1)[9], 0);
    CHECK(invariants(d));
    free_frames(hv, 0);
}

static void test_pt_frame_not_writable_live(void)
{
    struct domain *d = &doms[1];
    struct tree tr;

    if (!setup())
        return;
    build_tree(d, &tr);
    CHECK_EQ(pv_pin_table(d, mfn(tr.l4), 4), 0);
    /* Each table of the tree, and the L1 mapping itself. */
    CHECK_EQ(pv_mmu_update(d, d, slot_ma(tr.l1, 9), pte(tr.l2, RW)), -EBUSY);
    CHECK_EQ(pv_mmu_update(d, d, slot_ma(tr.l1, 9), pte(tr.l4, RW)), -EBUSY);
    CHECK_EQ(pv_mmu_update(d, d, slot_ma(tr.l1, 9), pte(tr.l1, RW)), -EBUSY);
    CHECK_EQ(tab(tr.l1)[9], 0);
    /* Read-only is how a guest reads its tables. */
    CHECK_EQ(pv_mmu_update(d, d, slot_ma(tr.l1, 9), pte(tr.l1, GUEST)), 0);
    CHECK_EQ(page_refcount(tr.l1), 2);
    CHECK_EQ(tr.l1->type_info, PGT_l1 | PGT_validated | 1);
    /* Turning the read-only mapping of a table writable: refused, old entry kept. */
    CHECK_EQ(pv_mmu_update(d, d, slot_ma(tr.l1, 9), pte(tr.l1, RW)), -EBUSY);
    CHECK_EQ(tab(tr.l1)[9], pte(tr.l1, GUEST));
    CHECK(invariants(d));
}

static void test_pt_frame_not_writable_in_validation(void)
{
    struct domain *d = &doms[1];
    struct tree tr;

    if (!setup())
        return;
    build_tree(d, &tr);
    tab(tr.l1)[9] = pte(tr.l3, RW);
    CHECK_EQ(pv_pin_table(d, mfn(tr.l4), 4), -EBUSY);
    CHECK(all_idle());
    tab(tr.l1)[9] = pte(tr.l1, RW);                     /* itself */
    CHECK_EQ(pv_pin_table(d, mfn(tr.l4), 4), -EBUSY);
    CHECK(all_idle());
    tab(tr.l1)[9] = pte(tr.l1, GUEST);
    CHECK_EQ(pv_pin_table(d, mfn(tr.l4), 4), 0);
    CHECK(invariants(d));
}

static void test_writable_frame_not_table(void)
{
    struct domain *d = &doms[1];
    struct page_info *x;
    struct tree tr;

    if (!setup())
        return;
    build_tree(d, &tr);
    x = frame(d);
    CHECK_EQ(pv_pin_table(d, mfn(tr.l4), 4), 0);
    CHECK_EQ(pv_mmu_update(d, d, slot_ma(tr.l1, 9), pte(x, RW)), 0);
    CHECK_EQ(x->type_info, PGT_writable | 1);
    CHECK_EQ(pv_mmu_update(d, d, slot_ma(tr.l2, 1), pte(x, RW)), -EBUSY);   /* as an L1 */
    CHECK_EQ(pv_pin_table(d, mfn(x), 1), -EBUSY);
    CHECK_EQ(pv_set_base(d, mfn(x), 0), -EBUSY);
    CHECK_EQ(tab(tr.l2)[1], 0);
    CHECK_EQ(x->type_info, PGT_writable | 1);
    /* Once the writable mapping is gone it may become a table. */
    CHECK_EQ(pv_mmu_update(d, d, slot_ma(tr.l1, 9), pte(x, GUEST)), 0);
    CHECK_EQ(x->type_info, 0);
    CHECK_EQ(pv_mmu_update(d, d, slot_ma(tr.l2, 1), pte(x, RW)), 0);
    CHECK_EQ(x->type_info, PGT_l1 | PGT_validated | 1);
    CHECK_EQ(page_refcount(x), 2);
    CHECK(invariants(d));
}

static void test_ps_bit_refused(void)
{
    struct domain *d = &doms[1];
    struct tree tr;

    if (!setup())
        return;
    build_tree(d, &tr);
    tab(tr.l2)[3] = pte(tr.data[0], RW | PTE_PS);       /* a 2 MiB page */
    CHECK_EQ(pv_pin_table(d, mfn(tr.l4), 4), -EINVAL);
    CHECK(all_idle());
    tab(tr.l2)[3] = 0;
    CHECK_EQ(pv_pin_table(d, mfn(tr.l4), 4), 0);
    CHECK_EQ(pv_mmu_update(d, d, slot_ma(tr.l2, 3), pte(tr.data[0], RW | PTE_PS)), -EINVAL);
    CHECK_EQ(pv_mmu_update(d, d, slot_ma(tr.l3, 3), pte(tr.data[0], RW | PTE_PS)), -EINVAL);
    CHECK_EQ(pv_mmu_update(d, d, slot_ma(tr.l1, 9), pte(tr.data[0], GUEST | PTE_PS)), -EINVAL);
    CHECK(invariants(d));
}

static void test_user_and_reserved_bits_refused(void)
{
    struct domain *d = &doms[1];
    struct tree tr;

    if (!setup())
        return;
    build_tree(d, &tr);
    CHECK_EQ(pv_pin_table(d, mfn(tr.l4), 4), 0);
    CHECK_EQ(pv_mmu_update(d, d, slot_ma(tr.l1, 9), pte(tr.data[0], PTE_P | PTE_W)), -EINVAL);
    CHECK_EQ(pv_mmu_update(d, d, slot_ma(tr.l1, 9), pte(tr.data[0], GUEST) | (1ULL << 52)), -EINVAL);
    CHECK_EQ(pv_mmu_update(d, d, slot_ma(tr.l1, 9), pte(tr.data[0], GUEST) | (1ULL << 62)), -EINVAL);
    CHECK_EQ(pv_mmu_update(d, d, slot_ma(tr.l3, 9), pte(tr.l2, PTE_P | PTE_W)), -EINVAL);
    /* Bits that real hardware would honour across domains (include/public/hvlab.h). */
    CHECK_EQ(pv_mmu_update(d, d, slot_ma(tr.l1, 9), pte(tr.data[0], GUEST | PTE_G)), -EINVAL);
    CHECK_EQ(pv_mmu_update(d, d, slot_ma(tr.l1, 9), pte(tr.data[0], GUEST | PTE_PCD)), -EINVAL);
    CHECK_EQ(pv_mmu_update(d, d, slot_ma(tr.l1, 9), pte(tr.data[0], GUEST | PTE_PWT)), -EINVAL);
    CHECK_EQ(pv_mmu_update(d, d, slot_ma(tr.l2, 9), pte(tr.l1, RW | PTE_G)), -EINVAL);
    /* Not present: anything goes and nothing is referenced. */
    CHECK_EQ(pv_mmu_update(d, d, slot_ma(tr.l1, 9), 0xdeadbeef000ULL | PTE_W), 0);
    CHECK_EQ(pv_mmu_update(d, d, slot_ma(tr.l1, 10), pte(tr.data[2], GUEST | PTE_NX | 0xe00)), 0);
    CHECK_EQ(page_refcount(tr.data[2]), 2);
    CHECK(invariants(d));
}

static void test_l4_hypervisor_slots_refused(void)
{
    struct domain *d = &doms[1];
    struct page_info *l3b;
    struct tree tr;

    if (!setup())
        return;
    build_tree(d, &tr);
    l3b = frame(d);
    tab(tr.l4)[300] = pte(l3b, RW);
    CHECK_EQ(pv_pin_table(d, mfn(tr.l4), 4), -EPERM);
    CHECK(all_idle());
    tab(tr.l4)[300] = 0;
    tab(tr.l4)[511] = 1;                                /* not even a non-present value */
    CHECK_EQ(pv_pin_table(d, mfn(tr.l4), 4), -EPERM);
    tab(tr.l4)[511] = 0;
    CHECK_EQ(pv_pin_table(d, mfn(tr.l4), 4), 0);
    CHECK_EQ(pv_mmu_update(d, d, slot_ma(tr.l4, 256), pte(l3b, RW)), -EPERM);
    CHECK_EQ(pv_mmu_update(d, d, slot_ma(tr.l4, 511), 0), -EPERM);
    CHECK_EQ(tab(tr.l4)[511], hv_l4_template[511]);
    CHECK_EQ(pv_mmu_update(d, d, slot_ma(tr.l4, 255), pte(l3b, RW)), 0);
    CHECK(invariants(d));
}

static void test_recursive_l4_refused(void)
{
    struct domain *d = &doms[1];
    struct tree tr;

    if (!setup())
        return;
    build_tree(d, &tr);
    tab(tr.l4)[1] = pte(tr.l4, RW);                     /* itself as an L3 */
    CHECK_EQ(pv_pin_table(d, mfn(tr.l4), 4), -EBUSY);
    CHECK(all_idle());
    tab(tr.l4)[1] = 0;
    tab(tr.l3)[1] = pte(tr.l4, RW);                     /* loop through a lower level */
    CHECK_EQ(pv_pin_table(d, mfn(tr.l4), 4), -EBUSY);
    CHECK(all_idle());
    tab(tr.l3)[1] = 0;
    CHECK_EQ(pv_pin_table(d, mfn(tr.l4), 4), 0);
    CHECK_EQ(pv_mmu_update(d, d, slot_ma(tr.l4, 1), pte(tr.l4, RW)), -EBUSY);
    CHECK_EQ(pv_mmu_update(d, d, slot_ma(tr.l4, 1), pte(tr.l4, GUEST)), -EBUSY);
    CHECK_EQ(pv_mmu_update(d, d, slot_ma(tr.l2, 1), pte(tr.l2, GUEST)), -EBUSY);
    CHECK_EQ(pv_mmu_update(d, d, slot_ma(tr.l3, 1), pte(tr.l4, GUEST)), -EBUSY);
    check_tree_counts(&tr, true);
    CHECK(invariants(d));
}

/* ---- updates ---- */

static void test_replace_entry_releases_old(void)
{
    struct domain *d = &doms[1];
    struct tree tr;

    if (!setup())
        return;
    build_tree(d, &tr);
    CHECK_EQ(pv_pin_table(d, mfn(tr.l4), 4), 0);
    /* data[0] writable -> data[2] read-only */
    CHECK_EQ(pv_mmu_update(d, d, slot_ma(tr.l1, 0), pte(tr.data[2], GUEST)), 0);
    CHECK_EQ(tr.data[0]->type_info, 0);
    CHECK_EQ(page_refcount(tr.data[0]), 0);
    CHECK_EQ(page_refcount(tr.data[2]), 2);
    /* Dropping W keeps the reference, drops the type reference. */
    CHECK_EQ(pv_mmu_update(d, d, slot_ma(tr.l1, 3), pte(tr.data[3], GUEST)), 0);
    CHECK_EQ(tr.data[3]->type_info, PGT_writable | 1);
    CHECK_EQ(page_refcount(tr.data[3]), 2);
    /* Replacing an entry by itself changes nothing. */
    CHECK_EQ(pv_mmu_update(d, d, slot_ma(tr.l2, 0), pte(tr.l1, RW)), 0);
    CHECK_EQ(tr.l1->type_info, PGT_l1 | PGT_validated | 1);
    CHECK_EQ(pv_mmu_update(d, d, slot_ma(tr.l1, 4), 0), 0);
    CHECK_EQ(tr.data[3]->type_info, 0);
    CHECK_EQ(page_refcount(tr.data[3]), 1);
    CHECK(invariants(d));
}

static void test_replace_table_entry_devalidates_subtree(void)
{
    struct domain *d = &doms[1];
    struct page_info *l1b, *x;
    struct tree tr;

    if (!setup())
        return;
    build_tree(d, &tr);
    l1b = frame(d);
    x = frame(d);
    tab(l1b)[0] = pte(x, RW);
    CHECK_EQ(pv_pin_table(d, mfn(tr.l4), 4), 0);
    CHECK_EQ(pv_mmu_update(d, d, slot_ma(tr.l2, 0), pte(l1b, RW)), 0);
    CHECK_EQ(tr.l1->type_info, 0);
    CHECK_EQ(page_refcount(tr.l1), 0);
    for (unsigned i = 0; i < 4; i++) {
        CHECK_EQ(tr.data[i]->type_info, 0);
        CHECK_EQ(page_refcount(tr.data[i]), 0);
    }
    CHECK_EQ(l1b->type_info, PGT_l1 | PGT_validated | 1);
    CHECK_EQ(x->type_info, PGT_writable | 1);
    /* The old L1 may now be mapped writable: it is no table any more. */
    CHECK_EQ(pv_mmu_update(d, d, slot_ma(l1b, 1), pte(tr.l1, RW)), 0);
    /* Cutting the tree at the L4 releases all below. */
    CHECK_EQ(pv_mmu_update(d, d, slot_ma(tr.l4, 0), 0), 0);
    CHECK_EQ(tr.l3->type_info, 0);
    CHECK_EQ(l1b->type_info, 0);
    CHECK_EQ(tr.l1->type_info, 0);
    CHECK_EQ(x->count_info, PGC_allocated);
    CHECK(invariants(d));
}

static void test_mmu_update_bad_ptr(void)
{
    struct domain *d = &doms[1];
    struct page_info *other;
    struct tree tr, tr2;

    if (!setup())
        return;
    build_tree(d, &tr);
    build_tree(&doms[2], &tr2);
    other = tr2.l1;
    CHECK_EQ(pv_pin_table(d, mfn(tr.l4), 4), 0);
    CHECK_EQ(pv_pin_table(&doms[2], mfn(tr2.l4), 4), 0);
    CHECK_EQ(pv_mmu_update(d, d, slot_ma(tr.l1, 9) + 4, 0), -EINVAL);       /* unaligned */
    CHECK_EQ(pv_mmu_update(d, d, slot_ma(tr.data[0], 9), 0), -EINVAL);      /* not a table */
    CHECK_EQ(pv_mmu_update(d, d, slot_ma(other, 9), 0), -EPERM);            /* not ours */
    CHECK_EQ(pv_mmu_update(d, d, (paddr_t)max_mfn << PAGE_SHIFT, 0), -EFAULT);
    CHECK_EQ(pv_mmu_update(d, d, 8, 0), -EPERM);                            /* reserved frame */
    /* A table not validated (no type) is not writable through mmu_update either. */
    CHECK_EQ(pv_unpin_table(d, mfn(tr.l4)), 0);
    CHECK_EQ(pv_mmu_update(d, d, slot_ma(tr.l1, 9), 0), -EINVAL);
    CHECK(invariants(d));
    CHECK(invariants(&doms[2]));
}

/* ---- pins, bases, lookups ---- */

static void test_pin_rules(void)
{
    struct domain *d = &doms[1];
    struct tree tr;

    if (!setup())
        return;
    build_tree(d, &tr);
    CHECK_EQ(pv_pin_table(d, mfn(tr.l4), 4), 0);
    CHECK_EQ(pv_pin_table(d, mfn(tr.l4), 4), -EBUSY);
    CHECK_EQ(pv_pin_table(d, mfn(tr.l3), 3), 0);        /* a lower table may be pinned too */
    CHECK_EQ(tr.l3->type_info, PGT_l3 | PGT_validated | PGT_pinned | 2);
    CHECK_EQ(pv_pin_table(d, mfn(tr.l2), 3), -EBUSY);   /* wrong level: type conflict */
    CHECK_EQ(pv_pin_table(d, mfn(tr.l2), 0), -EINVAL);
    CHECK_EQ(pv_pin_table(d, mfn(tr.l2), 5), -EINVAL);
    CHECK_EQ(pv_pin_table(&doms[2], mfn(tr.l2), 2), -EPERM);
    CHECK_EQ(pv_unpin_table(&doms[2], mfn(tr.l4)), -EPERM);
    CHECK_EQ(pv_unpin_table(d, mfn(tr.l2)), -EINVAL);
    CHECK(invariants(d));
    CHECK_EQ(pv_unpin_table(d, mfn(tr.l4)), 0);
    /* The pinned L3 keeps its subtree alive. */
    CHECK_EQ(tr.l3->type_info, PGT_l3 | PGT_validated | PGT_pinned | 1);
    CHECK_EQ(tr.data[3]->type_info, PGT_writable | 2);
    CHECK_EQ(tr.l4->type_info, 0);
    CHECK(invariants(d));
    CHECK_EQ(pv_unpin_table(d, mfn(tr.l3)), 0);
    CHECK_EQ(pv_unpin_table(d, mfn(tr.l3)), -EINVAL);
    CHECK(all_idle());
}

static void test_set_base(void)
{
    struct domain *d = &doms[1];
    struct page_info *l4b;
    struct tree tr;

    if (!setup())
        return;
    build_tree(d, &tr);
    l4b = frame(d);
    tab(l4b)[0] = pte(tr.l3, RW);
    d->vcpus = vcpu_ptrs;
    d->max_vcpus = 1;
    CHECK_EQ(pv_set_base(d, mfn(tr.l4), 0), 0);         /* validates the whole tree */
    vcpu0.arch.guest_l4_mfn = mfn(tr.l4);
    check_tree_counts(&tr, false);
    CHECK(invariants(d));
    CHECK_EQ(pv_set_base(d, mfn(l4b), mfn(tr.l4)), 0);
    vcpu0.arch.guest_l4_mfn = mfn(l4b);
    CHECK_EQ(tr.l4->type_info, 0);
    CHECK_EQ(tr.l3->type_info, PGT_l3 | PGT_validated | 1);
    CHECK(invariants(d));
    CHECK_EQ(pv_set_base(d, mfn(tr.l3), mfn(l4b)), -EBUSY);    /* an L3 is no L4 */
    CHECK_EQ(pv_set_base(d, mfn(tr.l4), mfn(tr.l4)), -EINVAL); /* old is no base */
    CHECK_EQ(pv_set_base(&doms[2], mfn(tr.l4), 0), -EPERM);
    CHECK_EQ(l4b->type_info, PGT_l4 | PGT_validated | 1);
    CHECK(invariants(d));
    CHECK_EQ(pv_set_base(d, 0, mfn(l4b)), 0);
    vcpu0.arch.guest_l4_mfn = 0;
    CHECK(all_idle());
    d->vcpus = NULL;
    d->max_vcpus = 0;
}

static void test_lookup_l1e(void)
{
    struct domain *d = &doms[1];
    uint64_t ma = 0;
    struct tree tr;

    if (!setup())
        return;
    build_tree(d, &tr);
    CHECK_EQ(pv_lookup_l1e(d, mfn(tr.l4), 0x3000, &ma), -EINVAL);    /* not validated */
    CHECK_EQ(pv_pin_table(d, mfn(tr.l4), 4), 0);
    CHECK_EQ(pv_lookup_l1e(d, mfn(tr.l4), 0x3000, &ma), 0);
    CHECK_EQ(ma, slot_ma(tr.l1, 3));
    CHECK_EQ(pv_lookup_l1e(d, mfn(tr.l4), 0x1ff123, &ma), 0);
    CHECK_EQ(ma, slot_ma(tr.l1, 511));
    CHECK_EQ(pv_lookup_l1e(d, mfn(tr.l4), 0x200000, &ma), -EINVAL);  /* L2 slot 1 empty */
    CHECK_EQ(pv_lookup_l1e(d, mfn(tr.l4), 1ULL << 39, &ma), -EINVAL);
    CHECK_EQ(pv_lookup_l1e(d, mfn(tr.l4), 0xffff830000000000ULL, &ma), -EINVAL);
    CHECK_EQ(pv_lookup_l1e(d, mfn(tr.l4), GUEST_VIRT_END, &ma), -EINVAL);
    CHECK_EQ(pv_lookup_l1e(d, mfn(tr.l3), 0x3000, &ma), -EINVAL);    /* not an L4 */
    CHECK_EQ(pv_lookup_l1e(&doms[2], mfn(tr.l4), 0x3000, &ma), -EINVAL);
    /* The found address works with mmu_update (update_va_mapping's path). */
    CHECK_EQ(pv_lookup_l1e(d, mfn(tr.l4), 0x9000, &ma), 0);
    CHECK_EQ(pv_mmu_update(d, d, ma, pte(tr.data[1], GUEST)), 0);
    CHECK_EQ(page_refcount(tr.data[1]), 2);
    CHECK(invariants(d));
}

/* ---- foreign mappings ---- */

static void test_foreign_mapping(void)
{
    struct domain *d0 = &doms[0], *du = &doms[1], *d2 = &doms[2];
    struct tree t0, tu;

    if (!setup())
        return;
    build_tree(d0, &t0);
    build_tree(du, &tu);
    CHECK_EQ(pv_pin_table(d0, mfn(t0.l4), 4), 0);
    CHECK_EQ(pv_pin_table(du, mfn(tu.l4), 4), 0);
    /* dom0 maps a domU data frame writable and domU's L1 read-only. */
    CHECK_EQ(pv_mmu_update(d0, du, slot_ma(t0.l1, 9), pte(tu.data[2], RW)), 0);
    CHECK_EQ(pv_mmu_update(d0, du, slot_ma(t0.l1, 10), pte(tu.l1, GUEST)), 0);
    CHECK_EQ(tu.data[2]->type_info, PGT_writable | 1);
    CHECK_EQ(page_refcount(tu.data[2]), 2);
    CHECK_EQ(page_refcount(tu.l1), 2);
    /* Still no writable mapping of a table, foreign or not. */
    CHECK_EQ(pv_mmu_update(d0, du, slot_ma(t0.l1, 11), pte(tu.l1, RW)), -EBUSY);
    /* ... and no frame of anyone else but pg_owner, nor foreign tables above L1. */
    CHECK_EQ(pv_mmu_update(d0, du, slot_ma(t0.l1, 11), pte(frame(d2), GUEST)), -EPERM);
    CHECK_EQ(pv_mmu_update(d0, du, slot_ma(t0.l2, 11), pte(tu.l1, RW)), -EPERM);
    /* domU cannot turn the frame dom0 maps writable into a table. */
    CHECK_EQ(pv_mmu_update(du, du, slot_ma(tu.l2, 5), pte(tu.data[2], RW)), -EBUSY);
    CHECK(invariants(d0));
    CHECK(invariants(du));
    /* Unprivileged: refused outright, whatever the entry. */
    CHECK_EQ(pv_mmu_update(du, d0, slot_ma(tu.l1, 9), pte(t0.data[2], GUEST)), -EPERM);
    CHECK_EQ(pv_mmu_update(du, d2, slot_ma(tu.l1, 9), 0), -EPERM);
    /* A privileged L1 with foreign entries validates again after being dropped. */
    CHECK_EQ(pv_unpin_table(d0, mfn(t0.l4)), 0);
    CHECK_EQ(page_refcount(tu.data[2]), 1);
    CHECK_EQ(tu.data[2]->type_info, 0);
    CHECK_EQ(pv_pin_table(d0, mfn(t0.l4), 4), 0);
    CHECK_EQ(tu.data[2]->type_info, PGT_writable | 1);
    CHECK(invariants(du));
    /* An unprivileged domain's L1 with such an entry does not validate. */
    CHECK_EQ(pv_unpin_table(du, mfn(tu.l4)), 0);
    tab(tu.l1)[20] = pte(t0.data[2], GUEST);
    CHECK_EQ(pv_pin_table(du, mfn(tu.l4), 4), -EPERM);
    CHECK(invariants(du));
    CHECK(invariants(d0));
}

/* ---- the invariant checker itself, and misuse ---- */

static void test_checker_detects_corruption(void)
{
    struct domain *d = &doms[1];
    struct tree tr;

    if (!setup())
        return;
    build_tree(d, &tr);
    CHECK_EQ(pv_pin_table(d, mfn(tr.l4), 4), 0);
    CHECK(invariants(d));
    tr.data[2]->count_info++;
    CHECK(!pv_check_invariants(d, why, sizeof(why)));
    CHECK(strstr(why, "references") != NULL);
    tr.data[2]->count_info--;
    tab(tr.l1)[7] = pte(tr.l2, RW);                     /* a write behind our back */
    CHECK(!pv_check_invariants(d, why, sizeof(why)));
    tab(tr.l1)[7] = 0;
    tab(tr.l4)[400] = 0;
    CHECK(!pv_check_invariants(d, why, sizeof(why)));
    tab(tr.l4)[400] = hv_l4_template[400];
    d->tot_pages++;
    CHECK(!pv_check_invariants(d, why, sizeof(why)));
    d->tot_pages--;
    CHECK(invariants(d));
}

static void do_put_page_unreferenced(void) { put_page(frame(&doms[1])); }
static void do_put_type_untyped(void)
{
    struct page_info *pg = frame(&doms[1]);

    get_page(pg, &doms[1]);
    put_page_type(pg);
}
static void do_table_type_unlocked(void)
{
    struct page_info *pg = frame(&doms[1]);

    get_page(pg, &doms[1]);
    get_page_type(pg, PGT_l1);
}

static void test_misuse_panics(void)
{
    if (!setup())
        return;
    CHECK(unit_panics(do_put_page_unreferenced));
    CHECK(unit_panics(do_put_type_untyped));
    CHECK(unit_panics(do_table_type_unlocked));
}

static const struct unit_case cases[] = {
    { "validate_tree_counts", test_validate_tree_counts },
    { "unpin_releases_tree", test_unpin_releases_tree },
    { "hv_slots_copied_and_cleared", test_hv_slots_copied_and_cleared },
    { "failed_validation_rolls_back", test_failed_validation_rolls_back },
    { "shared_subtables", test_shared_subtables },
    { "foreign_frame_refused", test_foreign_frame_refused },
    { "free_and_hypervisor_frames_refused", test_free_and_hypervisor_frames_refused },
    { "pt_frame_not_writable_live", test_pt_frame_not_writable_live },
    { "pt_frame_not_writable_in_validation", test_pt_frame_not_writable_in_validation },
    { "writable_frame_not_table", test_writable_frame_not_table },
    { "ps_bit_refused", test_ps_bit_refused },
    { "user_and_reserved_bits_refused", test_user_and_reserved_bits_refused },
    { "l4_hypervisor_slots_refused", test_l4_hypervisor_slots_refused },
    { "recursive_l4_refused", test_recursive_l4_refused },
    { "replace_entry_releases_old", test_replace_entry_releases_old },
    { "replace_table_entry_devalidates_subtree", test_replace_table_entry_devalidates_subtree },
    { "mmu_update_bad_ptr", test_mmu_update_bad_ptr },
    { "pin_rules", test_pin_rules },
    { "set_base", test_set_base },
    { "lookup_l1e", test_lookup_l1e },
    { "foreign_mapping", test_foreign_mapping },
    { "checker_detects_corruption", test_checker_detects_corruption },
    { "misuse_panics", test_misuse_panics },
};
UNIT_MAIN(cases)
