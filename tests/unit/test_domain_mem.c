/* Host tests of mm/domain_mem.c (with mm/pv_mm.c and the page allocator): frame
 * ownership and accounting, max_pages, freeing rules, and domain_relinquish_memory
 * returning every frame to the allocator whatever state the domain's page tables are
 * in, including frames still mapped by another domain (orphans).
 * The "RAM" is a 2 MiB mapping at a fixed low address (physical == virtual on the
 * host), split into two NUMA nodes of 1 MiB. */
#define _GNU_SOURCE
#include <sys/mman.h>

#include <hvlab/domain.h>
#include <hvlab/errno.h>
#include <hvlab/hypercall.h>
#include <hvlab/mm.h>
#include <hvlab/pv_mm.h>

#include "fake_machine.h"
#include "unit.h"

#define ARENA_SIZE  (2UL << 20)
#define NODE_FRAMES (ARENA_SIZE / PAGE_SIZE / 2)
#define M(x)        ((paddr_t)(x) << 20)
#define GUEST       (PTE_P | PTE_U)
#define RW          (PTE_P | PTE_U | PTE_W)

static paddr_t base;
static struct topology t;
static struct domain ctl, domu;
static struct vcpu vcpus[2];
static struct vcpu *vcpu_ptrs[2] = { &vcpus[0], &vcpus[1] };
static unsigned long start_free;
static char why[200];

static bool map_arena(void)
{
    static const paddr_t tries[] = { M(8), M(16), M(32), M(64), M(128), M(256) };

    base = fake_arena_map(ARENA_SIZE, tries, ARRAY_SIZE(tries));
    return base != 0;
}

static void domain_init(struct domain *d, domid_t id, bool privileged)
{
    fake_domain_init(d, id, privileged, 64);
}

/* Two nodes of 1 MiB; ctl (privileged, like dom0) and domU with two vCPUs. */
static bool setup(void)
{
    if (!map_arena()) {
        CHECK(!"arena");
        return false;
    }
    memset(&t, 0, sizeof(t));
    t.nr_nodes = 2;
    t.nr_mem_ranges = 2;
    t.mem[0] = (struct mem_range){ base, base + M(1), 0 };
    t.mem[1] = (struct mem_range){ base + M(1), base + M(2), 1 };
    t.distance[0][0] = t.distance[1][1] = 10;
    t.distance[0][1] = t.distance[1][0] = 20;
    frame_table_init(base + ARENA_SIZE, fake_early_alloc);
    page_alloc_init(&t);
    page_alloc_add_range(base, base + ARENA_SIZE);
    for (unsigned i = L4_GUEST_SLOTS; i < 512; i++)
        hv_l4_template[i] = ((0x100ULL + i) << PAGE_SHIFT) | PTE_P | PTE_W;
    domain_init(&ctl, 0, true);
    domain_init(&domu, 1, false);
    memset(vcpus, 0, sizeof(vcpus));
    domu.vcpus = vcpu_ptrs;
    domu.max_vcpus = 2;
    start_free = frames_free_all();
    CHECK_EQ(mm_orphan_frames(), 0);
    return true;
}

static struct page_info *frame(struct domain *d)
{
    struct page_info *pg = domain_alloc_frame(d, NUMA_NO_NODE, MEMF_ZERO);

    if (!pg) {
        printf("  out of frames\n");
        abort();
    }
    return pg;
}

static mfn_t mfn(const struct page_info *pg) { return page_to_mfn(pg); }
static uint64_t *tab(const struct page_info *pg) { return page_to_virt(pg); }
static uint64_t pte(const struct page_info *pg, uint64_t flags) { return page_to_paddr(pg) | flags; }
static uint64_t slot_ma(const struct page_info *pg, unsigned slot) { return page_to_paddr(pg) + slot * 8; }

static bool invariants(struct domain *d)
{
    bool ok = pv_check_invariants(d, why, sizeof(why));

    if (!ok)
        printf("  invariants of dom%u: %s\n", d->domain_id, why);
    return ok;
}

/* A validated tree L4 -> L3 -> L2 -> L1 -> data (data[0] writable, data[1] read-only),
 * pinned; returns the L4. */
struct tree {
    struct page_info *l4, *l3, *l2, *l1, *data[2];
};

static void build_pinned_tree(struct domain *d, struct tree *tr)
{
    tr->l4 = frame(d);
    tr->l3 = frame(d);
    tr->l2 = frame(d);
    tr->l1 = frame(d);
    tr->data[0] = frame(d);
    tr->data[1] = frame(d);
    tab(tr->l4)[0] = pte(tr->l3, RW);
    tab(tr->l3)[0] = pte(tr->l2, RW);
    tab(tr->l2)[0] = pte(tr->l1, RW);
    tab(tr->l1)[0] = pte(tr->data[0], RW);
    tab(tr->l1)[1] = pte(tr->data[1], GUEST);
    CHECK_EQ(pv_pin_table(d, mfn(tr->l4), 4), 0);
}

static void check_domain_empty(const struct domain *d)
{
    CHECK_EQ(d->tot_pages, 0);
    CHECK(list_empty(&d->page_list));
    for (unsigned n = 0; n < MAX_NUMNODES; n++)
        CHECK_EQ(d->node_pages[n], 0);
}

/* ---- allocation and accounting ---- */

static void test_alloc_accounting(void)
{
    struct page_info *a, *b, *c;
    unsigned seen = 0;
    struct list_head *p;

    if (!setup())
        return;
    a = domain_alloc_frame(&domu, 1, 0);
    b = domain_alloc_frame(&domu, 0, MEMF_EXACT_NODE);
    domu.home_node = 1;
    c = domain_alloc_frame(&domu, NUMA_NO_NODE, MEMF_ZERO);
    CHECK(a && b && c);
    if (!a || !b || !c)
        return;
    CHECK_EQ(a->node, 1);
    CHECK_EQ(b->node, 0);
    CHECK_EQ(c->node, 1);                               /* the home node */
    CHECK(a->owner == &domu && c->owner == &domu);
    CHECK_EQ(a->count_info, PGC_allocated);
    CHECK_EQ(page_refcount(a), 0);
    CHECK_EQ(a->type_info, 0);
    CHECK_EQ(domu.tot_pages, 3);
    CHECK_EQ(domu.node_pages[0], 1);
    CHECK_EQ(domu.node_pages[1], 2);
    list_for_each(p, &domu.page_list)
        seen++;
    CHECK_EQ(seen, 3);
    CHECK_EQ(frames_free(1), NODE_FRAMES - 2);
    CHECK(invariants(&domu));
    CHECK_EQ(domain_free_frame(&domu, a), 0);
    CHECK_EQ(domu.node_pages[1], 1);
    CHECK_EQ(frames_free(1), NODE_FRAMES - 1);
    CHECK(a->owner == NULL);
    CHECK(invariants(&domu));
    domain_relinquish_memory(&domu);
    CHECK_EQ(frames_free_all(), start_free);
}

static void test_max_pages_enforced(void)
{
    struct page_info *held[8];

    if (!setup())
        return;
    domu.max_pages = 8;
    for (unsigned i = 0; i < 8; i++)
        CHECK((held[i] = domain_alloc_frame(&domu, NUMA_NO_NODE, 0)) != NULL);
    CHECK(domain_alloc_frame(&domu, NUMA_NO_NODE, 0) == NULL);
    CHECK_EQ(domu.tot_pages, 8);
    CHECK_EQ(frames_free_all(), start_free - 8);
    CHECK_EQ(domain_free_frame(&domu, held[3]), 0);
    CHECK(domain_alloc_frame(&domu, NUMA_NO_NODE, 0) != NULL);
    CHECK(domain_alloc_frame(&domu, NUMA_NO_NODE, 0) == NULL);
    /* Node exhaustion with EXACT_NODE is NULL too, and accounts nothing. */
    domu.max_pages = 10000;
    ctl.max_pages = 10000;
    while (domain_alloc_frame(&ctl, 0, MEMF_EXACT_NODE))
        ;
    CHECK(domain_alloc_frame(&domu, 0, MEMF_EXACT_NODE) == NULL);
    CHECK_EQ(domu.tot_pages, 8);
    domain_relinquish_memory(&domu);
    domain_relinquish_memory(&ctl);
    CHECK_EQ(frames_free_all(), start_free);
}

/* dom0's max_pages: never above the machine's frames (512 here), never below what
 * the domain holds; a refused value leaves the old one. */
static void test_set_max_pages(void)
{
    static const struct { uint64_t max; int rc; uint64_t after; } rows[] = {
        { 8, 0, 8 },
        { 2 * NODE_FRAMES, 0, 2 * NODE_FRAMES },        /* the whole machine: allowed */
        { 2 * NODE_FRAMES + 1, -ENOMEM, 2 * NODE_FRAMES },
        { 1ULL << 28, -ENOMEM, 2 * NODE_FRAMES },       /* 1 TiB of 4 KiB frames */
        { ~0ULL, -ENOMEM, 2 * NODE_FRAMES },
        { 3, -EINVAL, 2 * NODE_FRAMES },                /* below the 4 it holds */
        { 4, 0, 4 },
    };

    if (!setup())
        return;
    CHECK_EQ(frames_total_all(), 2 * NODE_FRAMES);
    domu.max_pages = 4;
    for (unsigned i = 0; i < 4; i++)
        CHECK(domain_alloc_frame(&domu, NUMA_NO_NODE, 0) != NULL);
    for (unsigned i = 0; i < ARRAY_SIZE(rows); i++) {
        int rc = domain_set_max_pages(&domu, rows[i].max);
        if (rc != rows[i].rc || domu.max_pages != rows[i].after)
            printf("    row %u: max %#llx\n", i, (unsigned long long)rows[i].max);
        CHECK_EQ(rc, rows[i].rc);
        CHECK_EQ(domu.max_pages, rows[i].after);
    }
    CHECK(domain_alloc_frame(&domu, NUMA_NO_NODE, 0) == NULL);
    CHECK_EQ(domu.tot_pages, 4);
    domain_relinquish_memory(&domu);
    CHECK_EQ(frames_free_all(), start_free);
}

static void test_free_frame_rules(void)
{
    struct page_info *other, *x;
    struct tree tr;

    if (!setup())
        return;
    build_pinned_tree(&domu, &tr);
    other = frame(&ctl);
    x = frame(&domu);
    CHECK_EQ(domain_free_frame(&domu, other), -EINVAL);         /* not ours */
    CHECK_EQ(domain_free_frame(&domu, mfn_to_page(1)), -EINVAL); /* reserved */
    CHECK_EQ(domain_free_frame(&domu, tr.data[0]), -EBUSY);     /* mapped writable */
    CHECK_EQ(domain_free_frame(&domu, tr.data[1]), -EBUSY);     /* mapped read-only */
    CHECK_EQ(domain_free_frame(&domu, tr.l2), -EBUSY);          /* a table */
    CHECK_EQ(domain_free_frame(&domu, tr.l4), -EBUSY);          /* pinned */
    CHECK_EQ(pv_set_base(&domu, mfn(x), 0), 0);                 /* a (trivial) base */
    vcpus[0].arch.guest_l4_mfn = mfn(x);
    CHECK_EQ(domain_free_frame(&domu, x), -EBUSY);
    CHECK(invariants(&domu));
    CHECK_EQ(pv_set_base(&domu, 0, mfn(x)), 0);
    vcpus[0].arch.guest_l4_mfn = 0;
    CHECK_EQ(domain_free_frame(&domu, x), 0);
    CHECK_EQ(domain_free_frame(&domu, x), -EINVAL);             /* twice */
    CHECK_EQ(pv_unpin_table(&domu, mfn(tr.l4)), 0);
    CHECK_EQ(domain_free_frame(&domu, tr.data[0]), 0);
    CHECK_EQ(domain_free_frame(&domu, tr.l2), 0);
    CHECK_EQ(domu.tot_pages, 4);
    CHECK(invariants(&domu));
    domain_relinquish_memory(&domu);
    domain_relinquish_memory(&ctl);
    CHECK_EQ(frames_free_all(), start_free);
}

/* ---- relinquish ---- */

static void test_relinquish_returns_everything(void)
{
    struct page_info *l4b, *half, *w;
    struct tree tr;

    if (!setup())
        return;
    build_pinned_tree(&domu, &tr);
    /* A second L4 sharing the L3, as the base of both vCPUs. */
    l4b = frame(&domu);
    tab(l4b)[3] = pte(tr.l3, RW);
    CHECK_EQ(pv_set_base(&domu, mfn(l4b), 0), 0);
    CHECK_EQ(pv_set_base(&domu, mfn(l4b), 0), 0);
    vcpus[0].arch.guest_l4_mfn = vcpus[1].arch.guest_l4_mfn = mfn(l4b);
    /* A pinned L2 also referenced from the tree, more writable mappings, and a
     * half-built table (never validated) full of entries. */
    CHECK_EQ(pv_pin_table(&domu, mfn(tr.l2), 2), 0);
    w = frame(&domu);
    CHECK_EQ(pv_mmu_update(&domu, &domu, slot_ma(tr.l1, 7), pte(w, RW)), 0);
    CHECK_EQ(pv_mmu_update(&domu, &domu, slot_ma(tr.l1, 8), pte(w, RW)), 0);
    CHECK_EQ(pv_mmu_update(&domu, &domu, slot_ma(tr.l1, 9), pte(tr.l3, GUEST)), 0);
    half = frame(&domu);
    for (unsigned i = 0; i < 512; i++)
        tab(half)[i] = pte(tr.data[i % 2], RW);
    CHECK(invariants(&domu));
    CHECK_EQ(tr.l3->type_info, PGT_l3 | PGT_validated | 2);
    CHECK_EQ(l4b->type_info, PGT_l4 | PGT_validated | 2);
    domain_relinquish_memory(&domu);
    check_domain_empty(&domu);
    CHECK_EQ(frames_free_all(), start_free);
    CHECK_EQ(mm_orphan_frames(), 0);
    /* The bases' references are gone too: dropping one again is refused. */
    CHECK_EQ(pv_set_base(&domu, 0, vcpus[0].arch.guest_l4_mfn), -EINVAL);
    CHECK_EQ(domu.max_pages, 0);
    CHECK(domain_alloc_frame(&domu, NUMA_NO_NODE, 0) == NULL);
    domain_relinquish_memory(&domu);                    /* again: nothing to do */
    CHECK_EQ(frames_free_all(), start_free);
}

static void test_relinquish_orphans_foreign_mappings(void)
{
    struct tree t0, tu;

    if (!setup())
        return;
    build_pinned_tree(&ctl, &t0);
    build_pinned_tree(&domu, &tu);
    /* the privileged domain maps a domU frame writable, another read-only, and domU's L1 read-only. */
    CHECK_EQ(pv_mmu_update(&ctl, &domu, slot_ma(t0.l1, 10), pte(tu.data[1], RW)), 0);
    CHECK_EQ(pv_mmu_update(&ctl, &domu, slot_ma(t0.l1, 11), pte(tu.data[0], GUEST)), 0);
    CHECK_EQ(pv_mmu_update(&ctl, &domu, slot_ma(t0.l1, 12), pte(tu.l1, GUEST)), 0);
    CHECK(invariants(&domu));
    domain_relinquish_memory(&domu);
    check_domain_empty(&domu);
    CHECK_EQ(mm_orphan_frames(), 3);
    CHECK_EQ(frames_free_all(), start_free - 3 - ctl.tot_pages);
    CHECK(tu.data[1]->owner == NULL);
    CHECK_EQ(tu.data[1]->type_info, PGT_writable | 1);
    CHECK_EQ(tu.data[1]->count_info, 1);                /* one reference, not allocated */
    CHECK_EQ(tu.l1->type_info, 0);                      /* no table any more */
    /* Nobody can take a new reference on an orphan. */
    CHECK_EQ(get_page(tu.data[0], &domu), -EINVAL);
    CHECK_EQ(pv_mmu_update(&ctl, &domu, slot_ma(t0.l1, 13), pte(tu.data[0], GUEST)), -EINVAL);
    CHECK_EQ(pv_mmu_update(&ctl, &ctl, slot_ma(t0.l1, 13), pte(tu.data[0], GUEST)), -EINVAL);
    CHECK(invariants(&ctl));
    /* Unmapping frees: one by mmu_update, the rest when ctl's tree is devalidated. */
    CHECK_EQ(pv_mmu_update(&ctl, &ctl, slot_ma(t0.l1, 11), 0), 0);
    CHECK_EQ(mm_orphan_frames(), 2);
    CHECK_EQ(frames_free_all(), start_free - 2 - ctl.tot_pages);
    CHECK_EQ(pv_unpin_table(&ctl, mfn(t0.l4)), 0);
    CHECK_EQ(mm_orphan_frames(), 0);
    CHECK_EQ(frames_free_all(), start_free - ctl.tot_pages);
    domain_relinquish_memory(&ctl);
    CHECK_EQ(frames_free_all(), start_free);
}

static void test_relinquish_orphans_freed_by_relinquish(void)
{
    struct tree t0, tu;

    if (!setup())
        return;
    build_pinned_tree(&ctl, &t0);
    build_pinned_tree(&domu, &tu);
    CHECK_EQ(pv_mmu_update(&ctl, &domu, slot_ma(t0.l1, 10), pte(tu.data[1], RW)), 0);
    domain_relinquish_memory(&domu);
    CHECK_EQ(mm_orphan_frames(), 1);
    domain_relinquish_memory(&ctl);                    /* drops the last reference */
    CHECK_EQ(mm_orphan_frames(), 0);
    CHECK_EQ(frames_free_all(), start_free);
}

static void test_relinquish_privileged_drops_foreign_refs(void)
{
    struct tree t0, tu;

    if (!setup())
        return;
    build_pinned_tree(&ctl, &t0);
    build_pinned_tree(&domu, &tu);
    CHECK_EQ(pv_mmu_update(&ctl, &domu, slot_ma(t0.l1, 10), pte(tu.data[1], RW)), 0);
    CHECK_EQ(pv_mmu_update(&ctl, &domu, slot_ma(t0.l1, 11), pte(tu.l2, GUEST)), 0);
    domain_relinquish_memory(&ctl);
    CHECK_EQ(mm_orphan_frames(), 0);
    CHECK_EQ(page_refcount(tu.data[1]), 1);             /* domU's own mapping */
    CHECK_EQ(tu.data[1]->type_info, 0);
    CHECK_EQ(page_refcount(tu.l2), 1);
    CHECK(invariants(&domu));
    /* domU carries on: its frames are its own again. */
    CHECK_EQ(pv_mmu_update(&domu, &domu, slot_ma(tu.l1, 1), pte(tu.data[1], RW)), 0);
    CHECK_EQ(frames_free_all(), start_free - domu.tot_pages);
    domain_relinquish_memory(&domu);
    CHECK_EQ(frames_free_all(), start_free);
}

/* The shared info page is not part of the reservation: relinquishing drops the
 * domain's own mapping of it and leaves it to domain_destroy (domain_unshare_frame). */
static void test_relinquish_leaves_shared_info(void)
{
    struct page_info *si;
    struct tree tr;

    if (!setup())
        return;
    build_pinned_tree(&domu, &tr);
    si = alloc_frames(0, 0, MEMF_ZERO);
    domain_share_frame(si, &domu, true);
    domu.shared_info = page_to_virt(si);
    CHECK_EQ(pv_mmu_update(&domu, &domu, slot_ma(tr.l1, 5), pte(si, RW)), 0);
    CHECK(invariants(&domu));
    domain_relinquish_memory(&domu);
    CHECK_EQ(si->count_info, PGC_allocated | 1);        /* only the hypervisor's hold */
    CHECK_EQ(si->type_info, PGT_writable | 1);
    CHECK_EQ(frames_free_all(), start_free - 1);
    domu.shared_info = NULL;
    domain_unshare_frame(si);
    CHECK_EQ(mm_orphan_frames(), 0);
    CHECK_EQ(frames_free_all(), start_free);
}

/* A domain that used a lot of memory in every state: the allocator gets it all back. */
static void test_relinquish_big_random_domain(void)
{
    enum { N = 200 };
    struct page_info *f[N];
    uint64_t seed = 0x2545f4914f6cdd1dULL;
    unsigned pinned = 0;

    if (!setup())
        return;
    domu.max_pages = N;
    for (unsigned i = 0; i < N; i++)
        f[i] = frame(&domu);
    /* Random entries everywhere, then try to pin random frames at random levels:
     * some validate, most do not; either way nothing may leak. */
    for (unsigned i = 0; i < 4000; i++) {
        seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
        tab(f[seed % N])[(seed >> 8) % 8] = pte(f[(seed >> 20) % N], (seed >> 40) % 3 ? GUEST : RW);
    }
    for (unsigned i = 0; i < 400; i++) {
        seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
        pinned += pv_pin_table(&domu, mfn(f[seed % N]), 1 + (seed >> 32) % 4) == 0;
    }
    CHECK(pinned > 10);
    CHECK(invariants(&domu));
    domain_relinquish_memory(&domu);
    check_domain_empty(&domu);
    CHECK_EQ(frames_free_all(), start_free);
}

/* Issue 9: the teardown reaches a preemption point between batches, with page_lock
 * free there, and no batch releases more than HYPERCALL_PREEMPT_BATCH frames. What
 * another vCPU does at a point (dom0 freeing one of the dying domain's frames, as a
 * decrease_reservation with a reference taken before the destroy could) loses
 * nothing: every frame still comes back once. */
static unsigned long hook_calls, hook_lock_held, hook_max_batch, hook_last_pages, hook_freed;

static void relinquish_hook(void)
{
    hook_calls++;
    hook_lock_held += spin_is_locked(&domu.page_lock);
    if (hook_last_pages > domu.tot_pages &&
        hook_last_pages - domu.tot_pages > hook_max_batch)
        hook_max_batch = hook_last_pages - domu.tot_pages;
    /* Another vCPU frees the frame at the tail of whichever list it is on now. */
    if (!list_empty(&domu.page_list)) {
        struct page_info *pg = list_entry(domu.page_list.prev, struct page_info, list);
        hook_freed += domain_free_frame(&domu, pg) == 0;
    }
    hook_last_pages = domu.tot_pages;
}

static void test_relinquish_preemptible(void)
{
    enum { N = 200 };
    struct page_info *f[N];
    struct tree tr;

    if (!setup())
        return;
    domu.max_pages = N + 6;
    build_pinned_tree(&domu, &tr);
    for (unsigned i = 0; i < N; i++)
        f[i] = frame(&domu);
    (void)f;
    hook_calls = hook_lock_held = hook_max_batch = hook_freed = 0;
    hook_last_pages = domu.tot_pages;
    fake_preempt_calls = 0;
    fake_preempt_hook = relinquish_hook;
    domain_relinquish_memory(&domu);
    fake_preempt_hook = NULL;
    printf("  %lu preemption points, %lu frames freed there, largest batch %lu frames\n",
           hook_calls, hook_freed, hook_max_batch);
    CHECK(hook_calls >= (N + 6) / HYPERCALL_PREEMPT_BATCH);
    CHECK_EQ(hook_lock_held, 0);
    CHECK(hook_freed > 0);
    CHECK(hook_max_batch <= HYPERCALL_PREEMPT_BATCH);
    check_domain_empty(&domu);
    CHECK_EQ(mm_orphan_frames(), 0);
    CHECK_EQ(frames_free_all(), start_free);
}

/* An HVM domain's frames are all mapped by its nested table (gfn i -> frame i): freeing
 * one (dom0's decrease_reservation) would leave the guest a window on a frame the
 * allocator gives to someone else. Refused; destroy still returns them all. */
static void test_free_frame_refused_for_hvm(void)
{
    struct page_info *x;

    if (!setup())
        return;
    domu.is_hvm = true;
    x = frame(&domu);
    CHECK_EQ(domain_free_frame(&domu, x), -EBUSY);
    CHECK_EQ(domu.tot_pages, 1);
    CHECK(x->owner == &domu);
    domain_relinquish_memory(&domu);
    check_domain_empty(&domu);
    CHECK_EQ(frames_free_all(), start_free);
    domu.is_hvm = false;
}

/* HVM ballooning's half of free_frame (core/memop_hvm.c), page_lock held: the same
 * rules as free_frame for a PV domain, and the caller frees the frame. */
static void test_take_frame_locked(void)
{
    struct page_info *x, *y, *other;
    unsigned long flags;

    if (!setup())
        return;
    domu.is_hvm = true;
    x = frame(&domu);
    y = frame(&domu);
    other = frame(&ctl);
    CHECK_EQ(get_page(y, &domu), 0);    /* a reference: shared or granted */
    spin_lock_irqsave(&domu.page_lock, flags);
    CHECK_EQ(domain_take_frame_locked(&domu, other), -EINVAL);
    CHECK_EQ(domain_take_frame_locked(&domu, y), -EBUSY);
    CHECK_EQ(domain_take_frame_locked(&domu, x), 0);
    spin_unlock_irqrestore(&domu.page_lock, flags);
    CHECK_EQ(domu.tot_pages, 1);
    CHECK(x->owner == NULL && x->count_info == 0);
    CHECK(y->owner == &domu);
    free_frames(x, 0);
    put_page(y);
    domain_relinquish_memory(&domu);
    domain_relinquish_memory(&ctl);
    check_domain_empty(&domu);
    CHECK_EQ(frames_free_all(), start_free);
    domu.is_hvm = false;
}

static const struct unit_case cases[] = {
    { "take_frame_locked (HVM ballooning)", test_take_frame_locked },
    { "alloc_accounting", test_alloc_accounting },
    { "max_pages_enforced", test_max_pages_enforced },
    { "set_max_pages: bounded by the machine and by tot_pages", test_set_max_pages },
    { "free_frame_rules", test_free_frame_rules },
    { "free_frame refused for HVM domains", test_free_frame_refused_for_hvm },
    { "relinquish_returns_everything", test_relinquish_returns_everything },
    { "relinquish_orphans_foreign_mappings", test_relinquish_orphans_foreign_mappings },
    { "relinquish_orphans_freed_by_relinquish", test_relinquish_orphans_freed_by_relinquish },
    { "relinquish_privileged_drops_foreign_refs", test_relinquish_privileged_drops_foreign_refs },
    { "relinquish_leaves_shared_info", test_relinquish_leaves_shared_info },
    { "relinquish_big_random_domain", test_relinquish_big_random_domain },
    { "relinquish_preemptible", test_relinquish_preemptible },
};
UNIT_MAIN(cases)
