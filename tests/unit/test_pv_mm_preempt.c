/* Host tests of the preemptible whole-tree (de)validation of mm/pv_mm.c (issue 9):
 * pins, unpins and bases reach a preemption point every HYPERCALL_PREEMPT_BATCH
 * entries with page_lock free; at every point the counts are consistent (the
 * invariant checker counts a partial table's entries [0, pt_done)); a bad entry in a
 * later batch undoes the earlier ones exactly; another vCPU reaching a partial table
 * is refused; a domain destroyed while its vCPU is stopped at a point for good (the
 * point never returns: longjmp here) gives every frame back.
 * The fake hypercall_preempt (fake_machine.c) runs a hook "as another vCPU". */
#include <setjmp.h>

#include <hvlab/domain.h>
#include <hvlab/errno.h>
#include <hvlab/hypercall.h>
#include <hvlab/mm.h>
#include <hvlab/pv_mm.h>

#include "pv_fixture.h"

#define NL1 3

/* L4[0] -> L3[0] -> L2[0..NL1-1] -> NL1 full L1s; L1 slot i maps data[i % 8],
 * writable for data[0..3]. NL1 * 512 + 3 entries: many batches. Not validated. */
struct big {
    struct page_info *l4, *l3, *l2, *l1[NL1], *data[8];
};

static void build_big(struct domain *d, struct big *b)
{
    b->l4 = frame(d);
    b->l3 = frame(d);
    b->l2 = frame(d);
    for (unsigned i = 0; i < 8; i++)
        b->data[i] = frame(d);
    tab(b->l4)[0] = pte(b->l3, RW);
    tab(b->l3)[0] = pte(b->l2, RW);
    for (unsigned j = 0; j < NL1; j++) {
        b->l1[j] = frame(d);
        tab(b->l2)[j] = pte(b->l1[j], RW);
        for (unsigned i = 0; i < 512; i++)
            tab(b->l1[j])[i] = pte(b->data[i % 8], (i % 8) < 4 ? RW : GUEST);
    }
}

static struct domain *hd;               /* the hook's domain */
static unsigned long points, lock_held, bad_invariants, partial_seen;
static unsigned long die_at;            /* the point at which the vCPU stops for good */
static jmp_buf stopped;
static void (*extra)(void);             /* what "another vCPU" does at each point */
static bool skip_invariants;            /* extra takes a reference the checker cannot see */

static void count_partial(void)
{
    struct list_head *p;

    list_for_each(p, &hd->page_list) {
        uint32_t x = list_entry(p, struct page_info, list)->type_info;
        uint32_t t = x & PGT_type_mask;

        partial_seen += t >= PGT_l1 && t <= PGT_l4 && (x & PGT_count_mask) &&
                        !(x & PGT_validated);
    }
}

static void hook(void)
{
    points++;
    lock_held += spin_is_locked(&hd->page_lock);
    bad_invariants += !skip_invariants && !invariants(hd);
    count_partial();
    if (extra)
        extra();
    if (die_at && points == die_at) {
        /* The domain is destroyed while this vCPU waits here; it never resumes. */
        fake_preempt_hook = NULL;
        domain_relinquish_memory(hd);
        longjmp(stopped, 1);
    }
}

static void arm(struct domain *d)
{
    hd = d;
    points = lock_held = bad_invariants = partial_seen = 0;
    die_at = 0;
    extra = NULL;
    skip_invariants = false;
    fake_preempt_hook = hook;
}

static void check_big_validated(const struct big *b)
{
    CHECK_EQ(b->l4->type_info, PGT_l4 | PGT_validated | PGT_pinned | 1);
    CHECK_EQ(b->l3->type_info, PGT_l3 | PGT_validated | 1);
    CHECK_EQ(b->l2->type_info, PGT_l2 | PGT_validated | 1);
    for (unsigned j = 0; j < NL1; j++)
        CHECK_EQ(b->l1[j]->type_info, PGT_l1 | PGT_validated | 1);
    CHECK_EQ(b->data[0]->type_info, PGT_writable | NL1 * 64);
    CHECK_EQ(page_refcount(b->data[0]), NL1 * 64);
    CHECK_EQ(b->data[7]->type_info, 0);
    CHECK_EQ(page_refcount(b->data[7]), NL1 * 64);
}

/* Pin, then unpin: points all along, lock free there, consistent counts at each,
 * the result that of the one-step validation. */
static void test_pin_unpin_preemptible(void)
{
    struct domain *d = &doms[1];
    struct big b;
    unsigned long entries = 2 + NL1 + NL1 * 512;   /* every present entry is a step */

    if (!setup())
        return;
    build_big(d, &b);
    arm(d);
    CHECK_EQ(pv_pin_table(d, mfn(b.l4), 4), 0);
    fake_preempt_hook = NULL;
    printf("  pin: %lu points, %lu partial tables seen there\n", points, partial_seen);
    CHECK(points >= entries / HYPERCALL_PREEMPT_BATCH - 1);
    CHECK_EQ(lock_held, 0);
    CHECK_EQ(bad_invariants, 0);
    CHECK(partial_seen >= points);      /* a whole chain is partial at each */
    check_big_validated(&b);
    CHECK(invariants(d));
    arm(d);
    CHECK_EQ(pv_unpin_table(d, mfn(b.l4)), 0);
    fake_preempt_hook = NULL;
    printf("  unpin: %lu points\n", points);
    CHECK(points >= entries / HYPERCALL_PREEMPT_BATCH - 1);
    CHECK_EQ(lock_held, 0);
    CHECK_EQ(bad_invariants, 0);
    CHECK(invariants(d));
    CHECK(all_idle());
}

/* Bad entries found in the last batch (the last L1's last slot) and in the middle:
 * refused as the one-step validation refused them, every earlier batch undone. */
static void test_bad_entry_late_undoes_all(void)
{
    static const struct { const char *name; unsigned l1, slot; uint64_t flags; } cases[] = {
        { "PS bit, last slot", NL1 - 1, 511, RW | PTE_PS },
        { "not user, middle", 1, 300, PTE_P | PTE_W },
        { "global, first L1 end", 0, 511, GUEST | PTE_G },
    };

    for (unsigned c = 0; c < ARRAY_SIZE(cases); c++) {
        struct domain *d = &doms[1];
        struct big b;
        int rc;

        if (!setup())
            return;
        build_big(d, &b);
        tab(b.l1[cases[c].l1])[cases[c].slot] = pte(b.data[1], cases[c].flags);
        arm(d);
        rc = pv_pin_table(d, mfn(b.l4), 4);
        fake_preempt_hook = NULL;
        printf("  %s: rc %d after %lu points\n", cases[c].name, rc, points);
        CHECK_EQ(rc, -EINVAL);
        CHECK(points > 0);
        CHECK_EQ(lock_held, 0);
        CHECK_EQ(bad_invariants, 0);
        CHECK(all_idle());
        CHECK(invariants(d));
        CHECK_EQ(tab(b.l4)[511], 0);    /* no hypervisor slot left behind */
    }
}

/* A frame the walk has not reached yet changes meanwhile: dom0 maps a future L1
 * writable at a point. The walk fails there (-EBUSY) and undoes everything. */
static struct big *race_big;

static void map_future_l1_writable(void)
{
    struct page_info *l1 = race_big->l1[NL1 - 1];

    if (points == 2 && get_page(l1, &doms[1]) == 0 && get_page_type(l1, PGT_writable) != 0)
        put_page(l1);
}

static void test_frame_changed_meanwhile(void)
{
    struct domain *d = &doms[1];
    struct big b;

    if (!setup())
        return;
    build_big(d, &b);
    race_big = &b;
    arm(d);
    extra = map_future_l1_writable;
    skip_invariants = true;
    CHECK_EQ(pv_pin_table(d, mfn(b.l4), 4), -EBUSY);
    fake_preempt_hook = NULL;
    CHECK_EQ(b.l1[NL1 - 1]->type_info, PGT_writable | 1);     /* dom0's, still there */
    put_page_type(b.l1[NL1 - 1]);
    put_page(b.l1[NL1 - 1]);
    CHECK(all_idle());
    CHECK(invariants(d));
}

/* Another vCPU of the domain reaches a partial table at a point: refused, nothing
 * changed; the first operation then completes. */
static unsigned long refusals, refusal_wrong;

static void poke_partial(void)
{
    struct domain *d = &doms[1];
    int rc;

    uint32_t l3 = race_big->l3->type_info;

    if (race_big->l4->type_info & PGT_validated)
        return;
    if (!(l3 & PGT_validated)) {        /* partial at every point until it completes */
        rc = pv_pin_table(d, mfn(race_big->l3), 3);
        refusal_wrong += rc != -EBUSY;
        refusals++;
    }
    rc = pv_pin_table(d, mfn(race_big->l4), 4);
    refusal_wrong += rc != -EBUSY;
    rc = pv_set_base(d, mfn(race_big->l4), 0);
    refusal_wrong += rc != -EBUSY;
    rc = pv_mmu_update(d, d, slot_ma(race_big->l4, 1), 0);
    refusal_wrong += rc != -EINVAL;
    refusals += 3;
}

static void test_partial_table_busy(void)
{
    struct domain *d = &doms[1];
    struct big b;

    if (!setup())
        return;
    build_big(d, &b);
    race_big = &b;
    refusals = refusal_wrong = 0;
    arm(d);
    extra = poke_partial;
    CHECK_EQ(pv_pin_table(d, mfn(b.l4), 4), 0);
    fake_preempt_hook = NULL;
    CHECK(refusals > 0);
    CHECK_EQ(refusal_wrong, 0);
    CHECK_EQ(bad_invariants, 0);
    check_big_validated(&b);
    CHECK_EQ(pv_unpin_table(d, mfn(b.l4)), 0);
    CHECK(all_idle());
}

/* The domain is destroyed while its vCPU is stopped at a point of a pin, of the undo
 * of a failed pin, or of an unpin: the teardown finds every partial table and every
 * frame goes back. */
static void test_destroyed_at_a_point(void)
{
    static const struct { const char *name; unsigned long at; bool bad, unpin; } cases[] = {
        { "pin, first point", 1, false, false },
        { "pin, mid-L1", 9, false, false },
        { "pin, last L1", 3 * 8 - 1, false, false },
        { "failed pin's undo", 30, true, false },
        { "unpin, mid-L1", 12, false, true },
    };

    for (volatile unsigned c = 0; c < ARRAY_SIZE(cases); c++) {
        struct domain *d = &doms[1];
        unsigned long free0;
        struct big b;

        if (!setup())
            return;
        free0 = frames_free_all();
        build_big(d, &b);
        if (cases[c].bad)
            tab(b.l1[NL1 - 1])[511] = pte(b.data[0], RW | PTE_PS);
        if (cases[c].unpin)
            CHECK_EQ(pv_pin_table(d, mfn(b.l4), 4), 0);
        arm(d);
        die_at = cases[c].at;
        if (setjmp(stopped) == 0) {
            int rc = cases[c].unpin ? pv_unpin_table(d, mfn(b.l4)) :
                                      pv_pin_table(d, mfn(b.l4), 4);
            fake_preempt_hook = NULL;
            printf("  %s: completed (rc %d) after %lu points, before point %lu\n",
                   cases[c].name, rc, points, die_at);
            CHECK(!"the vCPU reached the point it stops at");
            continue;
        }
        printf("  %s: stopped at point %lu (%lu partial tables seen), destroyed\n",
               cases[c].name, points, partial_seen);
        CHECK_EQ(lock_held, 0);
        CHECK_EQ(bad_invariants, 0);
        CHECK_EQ(d->tot_pages, 0);
        CHECK_EQ(mm_orphan_frames(), 0);
        CHECK_EQ(frames_free_all(), free0);
        CHECK(all_idle());
    }
}

/* mmu_update linking a fresh subtree into a live L4 (a guest's one hypercall entry
 * that validates NL1 * 512 + 515 entries), then unlinking it: points all along with
 * the lock free and consistent counts, d's TLBs flushed before each point (the batch's
 * earlier entries and the unlinked subtree may be cached elsewhere). Before, both were
 * one step with interrupts off: ~6 ms for a 192 MiB tree. */
static void test_mmu_update_preemptible(void)
{
    struct domain *d = &doms[1];
    struct big b;
    unsigned long entries = 1 + NL1 + NL1 * 512;   /* present entries under the L3 */

    if (!setup())
        return;
    build_big(d, &b);
    tab(b.l4)[0] = 0;                   /* live: an empty pinned L4 */
    CHECK_EQ(pv_pin_table(d, mfn(b.l4), 4), 0);
    arm(d);
    unsigned long flushes = fake_flush_calls;
    CHECK_EQ(pv_mmu_update(d, d, slot_ma(b.l4, 1), pte(b.l3, RW)), 0);
    fake_preempt_hook = NULL;
    printf("  link: %lu points, %lu flushes\n", points, fake_flush_calls - flushes);
    CHECK(points >= entries / HYPERCALL_PREEMPT_BATCH - 1);
    CHECK_EQ(fake_flush_calls - flushes, points);
    CHECK_EQ(lock_held, 0);
    CHECK_EQ(bad_invariants, 0);
    CHECK_EQ(b.l3->type_info, PGT_l3 | PGT_validated | 1);
    CHECK(invariants(d));
    arm(d);
    flushes = fake_flush_calls;
    CHECK_EQ(pv_mmu_update(d, d, slot_ma(b.l4, 1), 0), 0);
    fake_preempt_hook = NULL;
    printf("  unlink: %lu points, %lu flushes\n", points, fake_flush_calls - flushes);
    CHECK(points >= entries / HYPERCALL_PREEMPT_BATCH - 1);
    CHECK_EQ(fake_flush_calls - flushes, points);
    CHECK_EQ(lock_held, 0);
    CHECK_EQ(bad_invariants, 0);
    CHECK_EQ(b.l3->type_info, 0);
    CHECK(invariants(d));
    CHECK_EQ(pv_unpin_table(d, mfn(b.l4)), 0);
    CHECK(all_idle());
}

/* Another vCPU unpins the table being written while the entry's subtree is validated:
 * the entry is not written into a frame that is no longer a table, its references are
 * dropped again, and nothing stays typed. */
static struct page_info *unpin_me;
static void unpin_once(void)
{
    if (!unpin_me)
        return;
    void (*h)(void) = fake_preempt_hook;
    fake_preempt_hook = NULL;
    CHECK_EQ(pv_unpin_table(hd, mfn(unpin_me)), 0);
    fake_preempt_hook = h;
    unpin_me = NULL;
}

static void test_mmu_update_table_gone(void)
{
    struct domain *d = &doms[1];
    struct big b;

    if (!setup())
        return;
    build_big(d, &b);
    tab(b.l4)[0] = 0;
    CHECK_EQ(pv_pin_table(d, mfn(b.l4), 4), 0);
    arm(d);
    unpin_me = b.l4;
    extra = unpin_once;
    CHECK_EQ(pv_mmu_update(d, d, slot_ma(b.l4, 1), pte(b.l3, RW)), -EINVAL);
    fake_preempt_hook = NULL;
    CHECK(unpin_me == NULL);
    CHECK_EQ(bad_invariants, 0);
    CHECK_EQ(tab(b.l4)[1], 0);
    CHECK(invariants(d));
    CHECK(all_idle());
}

/* MMUEXT_NEW_BASEPTR away from a big tree: the new base taken, CR3 switched, then the
 * old base dropped by pv_put_base: its whole tree devalidated with points (before, one
 * step: the old base was still the vCPU's CR3). */
static void test_put_base_preemptible(void)
{
    struct domain *d = &doms[1];
    struct big b;
    unsigned long entries = 2 + NL1 + NL1 * 512;

    if (!setup())
        return;
    build_big(d, &b);
    struct page_info *empty = frame(d);
    CHECK_EQ(pv_set_base(d, mfn(b.l4), 0), 0);
    CHECK_EQ(pv_set_base(d, mfn(empty), 0), 0);
    arm(d);
    CHECK_EQ(pv_put_base(d, mfn(b.l4)), 0);
    fake_preempt_hook = NULL;
    printf("  old base dropped: %lu points\n", points);
    CHECK(points >= entries / HYPERCALL_PREEMPT_BATCH - 1);
    CHECK_EQ(lock_held, 0);
    CHECK_EQ(b.l4->type_info, 0);
    CHECK_EQ(pv_put_base(d, mfn(b.l4)), -EINVAL);      /* no longer an L4 */
    CHECK_EQ(pv_put_base(d, mfn(empty)), 0);
    CHECK(all_idle());
}

static const struct unit_case cases[] = {
    { "put_base_preemptible", test_put_base_preemptible },
    { "mmu_update_preemptible", test_mmu_update_preemptible },
    { "mmu_update_table_gone", test_mmu_update_table_gone },
    { "pin_unpin_preemptible", test_pin_unpin_preemptible },
    { "bad_entry_late_undoes_all", test_bad_entry_late_undoes_all },
    { "frame_changed_meanwhile", test_frame_changed_meanwhile },
    { "partial_table_busy", test_partial_table_busy },
    { "destroyed_at_a_point", test_destroyed_at_a_point },
};

UNIT_MAIN(cases)
