/* The frame table and the buddy allocator of one zone (one zone per NUMA node).
 *
 * Design: a free block of 2^k frames is naturally aligned (its first mfn is a multiple
 * of 2^k) and sits on free_list[k]; only its first frame carries PGF_HEAD and the
 * order, every frame of it carries PGF_FREE. Allocation takes the smallest block that
 * fits and splits it, putting the unused halves back. Freeing merges a block with its
 * buddy (mfn ^ 2^k) while the buddy is a free head of the same order in the same zone:
 * frames of different nodes can be neighbours, and a frame's node field tells whose
 * free list a head is on. Frames never given to a zone stay PGF_RESERVED and so never
 * look like a free buddy.
 *
 * Locking: zone->lock (irqsave) guards the zone's free lists and counters and the
 * list/order/flags/node of every frame given to the zone. The frame table itself is
 * set up once at boot, before any other CPU runs.
 *
 * Limitations: marking a block allocated or free touches every frame of it (O(2^k)),
 * which is what lets a wrong or double free be caught at any frame, not just a head.
 */
#include <hvlab/lib.h>
#include <hvlab/mm.h>
#include <hvlab/panic.h>

struct page_info *frame_table;
mfn_t max_mfn;

void frame_table_init(paddr_t max_addr, void *(*early_alloc)(size_t bytes))
{
    mfn_t n = (max_addr + PAGE_SIZE - 1) >> PAGE_SHIFT;
    struct page_info *ft = early_alloc(n * sizeof(*ft));

    if (!ft)
        panic("frame table: no memory for %lu frames", (unsigned long)n);
    memset(ft, 0, n * sizeof(*ft));
    for (mfn_t i = 0; i < n; i++) {
        list_init(&ft[i].list);
        ft[i].flags = PGF_RESERVED;
    }
    frame_table = ft;
    max_mfn = n;
}

void zone_init(struct zone *z, unsigned node)
{
    spin_lock_init(&z->lock);
    for (unsigned k = 0; k <= MAX_ORDER; k++)
        list_init(&z->free_list[k]);
    z->nr_free = 0;
    z->total = 0;
    z->node = node;
}

static bool is_free_head(const struct zone *z, mfn_t mfn, unsigned order)
{
    const struct page_info *pg;

    if (mfn >= max_mfn)
        return false;
    pg = mfn_to_page(mfn);
    return pg->flags == (PGF_FREE | PGF_HEAD) && pg->order == order && pg->node == z->node;
}

/* Frames [mfn, mfn+2^order) are already PGF_FREE; link them in as one block, merging
 * with free buddies as far as possible. Called with z->lock held. */
static void insert_block(struct zone *z, mfn_t mfn, unsigned order)
{
    struct page_info *pg;

    while (order < MAX_ORDER) {
        mfn_t buddy = mfn ^ (1UL << order);

        if (!is_free_head(z, buddy, order))
            break;
        list_del(&mfn_to_page(buddy)->list);
        /* The higher of the two heads becomes an interior frame of the merged block. */
        mfn_to_page(mfn | (1UL << order))->flags = PGF_FREE;
        mfn &= ~(1UL << order);
        order++;
    }
    pg = mfn_to_page(mfn);
    pg->flags = PGF_FREE | PGF_HEAD;
    pg->order = order;
    list_add(&pg->list, &z->free_list[order]);
}

void zone_add_free(struct zone *z, mfn_t start, unsigned long nr)
{
    unsigned long flags;

    ASSERT(start + nr <= max_mfn && start + nr >= start);
    spin_lock_irqsave(&z->lock, flags);
    for (mfn_t m = start; m < start + nr; m++) {
        struct page_info *pg = mfn_to_page(m);

        /* Giving a frame twice would put it on two free lists. */
        ASSERT(pg->flags == PGF_RESERVED);
        pg->flags = PGF_FREE;
        pg->node = (uint8_t)z->node;
    }
    z->nr_free += nr;
    z->total += nr;
    while (nr) {
        unsigned order = MAX_ORDER;

        while ((start & ((1UL << order) - 1)) || (1UL << order) > nr)
            order--;
        insert_block(z, start, order);
        start += 1UL << order;
        nr -= 1UL << order;
    }
    spin_unlock_irqrestore(&z->lock, flags);
}

struct page_info *zone_alloc(struct zone *z, unsigned order)
{
    struct page_info *pg = NULL;
    unsigned long flags;
    unsigned k;

    if (order > MAX_ORDER)
        return NULL;
    spin_lock_irqsave(&z->lock, flags);
    for (k = order; k <= MAX_ORDER; k++)
        if (!list_empty(&z->free_list[k]))
            break;
    if (k <= MAX_ORDER) {
        mfn_t mfn;

        pg = list_first_entry(&z->free_list[k], struct page_info, list);
        list_del(&pg->list);
        mfn = page_to_mfn(pg);
        /* Keep the low half, give back the high half, until the block fits. */
        while (k > order) {
            struct page_info *half;

            k--;
            half = mfn_to_page(mfn + (1UL << k));
            half->flags = PGF_FREE | PGF_HEAD;
            half->order = (uint8_t)k;
            list_add(&half->list, &z->free_list[k]);
        }
        for (unsigned long i = 0; i < (1UL << order); i++) {
            pg[i].flags = PGF_ALLOC;
            pg[i].owner = NULL;
            pg[i].count_info = 0;
            pg[i].type_info = 0;
        }
        pg->order = (uint8_t)order;
        z->nr_free -= 1UL << order;
    }
    spin_unlock_irqrestore(&z->lock, flags);
    return pg;
}

void zone_free(struct zone *z, struct page_info *pg, unsigned order)
{
    mfn_t mfn = page_to_mfn(pg);
    unsigned long flags;

    ASSERT(order <= MAX_ORDER);
    ASSERT((mfn & ((1UL << order) - 1)) == 0);
    ASSERT(mfn + (1UL << order) <= max_mfn);
    spin_lock_irqsave(&z->lock, flags);
    for (unsigned long i = 0; i < (1UL << order); i++) {
        /* Catches double frees, frees of reserved frames and frees to the wrong zone. */
        ASSERT(pg[i].flags == PGF_ALLOC);
        ASSERT(pg[i].node == z->node);
        pg[i].flags = PGF_FREE;
        pg[i].owner = NULL;
        pg[i].count_info = 0;
        pg[i].type_info = 0;
    }
    insert_block(z, mfn, order);
    z->nr_free += 1UL << order;
    spin_unlock_irqrestore(&z->lock, flags);
}
