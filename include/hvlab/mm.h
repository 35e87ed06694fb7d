/* Physical memory: the frame table (one struct page_info per 4 KiB machine frame), the
 * per-node buddy zones (mm/buddy.c) and the node-aware page allocator on top of them
 * (mm/page_alloc.c). The boot allocator that precedes them is <hvlab/bootmem.h>. */
#ifndef HVLAB_MM_H
#define HVLAB_MM_H

#include "addr.h"
#include "list.h"
#include "spinlock.h"
#include "topology.h"
#include "types.h"

#define MAX_ORDER 18                /* largest block: 2^18 frames = 1 GiB */

/* page_info.flags: exactly one of FREE, ALLOC, RESERVED is set. HEAD marks the first
 * frame of a free block; only a head's order is meaningful. */
#define PGF_FREE     0x01           /* inside a block on some zone's free list */
#define PGF_HEAD     0x02           /* first frame of that free block */
#define PGF_ALLOC    0x04           /* handed out by zone_alloc() */
#define PGF_RESERVED 0x08           /* never given to a zone: firmware, image, holes */

/* One per machine frame. The list, order and FREE/HEAD flags belong to the zone of
 * `node` and are guarded by that zone's lock. owner, count_info and type_info belong
 * to whoever allocated the frame (free frames have all three 0): for a guest frame,
 * the owning domain, its reference count and its PV page type (mm/pv_mm.c, where the
 * rules for changing them are written). While allocated, `list` links the frame into
 * its owner's page list. */
struct page_info {
    struct list_head list;          /* free: zone free list (heads); owned: domain list */
    void *owner;                    /* allocated: owning domain, NULL for the hypervisor */
    uint32_t count_info;            /* allocated: general references (mappings, pins) */
    uint32_t type_info;             /* PV page type and its count, see mm/pv_mm.c */
    uint8_t order;                  /* free head: block size is 2^order frames */
    uint8_t flags;                  /* PGF_* */
    uint8_t node;                   /* zone the frame was given to (0 while reserved) */
    uint8_t pad;
    uint16_t pt_done;               /* a PV table being (de)validated: entries 0..pt_done-1
                                     * hold their references (mm/pv_mm.c) */
    uint8_t pad2[2];
};
_Static_assert(sizeof(struct page_info) <= 40, "page_info must stay small");

extern struct page_info *frame_table;
extern mfn_t max_mfn;               /* frame_table has max_mfn entries */

static inline struct page_info *mfn_to_page(mfn_t mfn) { return frame_table + mfn; }
static inline mfn_t page_to_mfn(const struct page_info *pg) { return (mfn_t)(pg - frame_table); }
static inline paddr_t page_to_paddr(const struct page_info *pg)
{
    return (paddr_t)page_to_mfn(pg) << PAGE_SHIFT;
}
static inline void *page_to_virt(const struct page_info *pg) { return __va(page_to_paddr(pg)); }
static inline struct page_info *virt_to_page(const void *va)
{
    return mfn_to_page(__pa(va) >> PAGE_SHIFT);
}

/* Allocate the frame table for [0, max_addr) with early_alloc (which must not fail) and
 * flag every frame reserved: only frames later given to a zone ever become free. */
void frame_table_init(paddr_t max_addr, void *(*early_alloc)(size_t bytes));

/* ---- mm/buddy.c: one buddy allocator per NUMA node ---- */

struct zone {
    spinlock_t lock;                /* irqsave; guards everything below and the
                                     * list/order/flags of this zone's frames */
    struct list_head free_list[MAX_ORDER + 1];  /* free blocks, by order */
    unsigned long nr_free;          /* frames on the free lists */
    unsigned long total;            /* frames ever given by zone_add_free() */
    unsigned node;                  /* constant after zone_init() */
};

void zone_init(struct zone *z, unsigned node);
/* Give reserved frames [start, start+nr) to the zone; they merge with free neighbours. */
void zone_add_free(struct zone *z, mfn_t start, unsigned long nr);
/* A naturally aligned block of 2^order frames, flagged allocated; NULL if none. */
struct page_info *zone_alloc(struct zone *z, unsigned order);
/* Free 2^order allocated frames starting at pg (aligned to the order, may be part of a
 * larger allocation). Panics if any frame is not allocated from this zone. */
void zone_free(struct zone *z, struct page_info *pg, unsigned order);

/* ---- mm/page_alloc.c: the node layer ---- */

#define MEMF_EXACT_NODE  (1u << 0)  /* never fall back to another node: NULL instead */
#define MEMF_ZERO        (1u << 1)  /* zero the frames through the direct map */

/* Zones for t->nr_nodes nodes, each with its fallback order: itself, then the other
 * nodes by t->distance ascending, ties by node index. t must outlive the allocator. */
void page_alloc_init(const struct topology *t);
/* Free RAM [start, end) (page-aligned inward) for the zones, split at node boundaries. */
void page_alloc_add_range(paddr_t start, paddr_t end);

/* node: the preferred node, or NUMA_NO_NODE for "any" (starts at node 0; EXACT_NODE is
 * then meaningless and ignored). NULL when nothing fits. */
struct page_info *alloc_frames(unsigned order, unsigned node, unsigned memflags);
void free_frames(struct page_info *pg, unsigned order);

/* The same, as direct-map addresses. free_heap_pages(NULL, ...) does nothing. */
void *alloc_heap_pages(unsigned order, unsigned node, unsigned memflags);
void free_heap_pages(void *va, unsigned order);

/* The topology page_alloc_init() was given (memory policies read nodes and distances). */
const struct topology *page_alloc_topology(void);
unsigned long frames_free(unsigned node);
unsigned long frames_total(unsigned node);
unsigned long frames_free_all(void);
unsigned long frames_total_all(void);   /* every frame the zones were given: the machine */

/* Since boot: frames allocated from `node`, and allocations that preferred `node` but
 * were served by another one. */
void page_alloc_stats(unsigned node, unsigned long *allocs, unsigned long *fallbacks);

#endif
