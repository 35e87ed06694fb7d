/* The page allocator, the same for every platform: pages [first_free, end) of the
 * guest's memory, reached through pfn_to_virt (guest.h).
 * Design: a free list threaded through freed pages, in front of a bump pointer;
 * alloc_pages(n) takes only from the bump pointer so the run is contiguous.
 * Locking: mm_lock guards the bump pointer and the free list; it is taken with events
 * disabled, so event handlers may allocate too (mm.c's pt_lock is taken before it). */
#include <guest.h>

static uint64_t first_free_pfn, bump_pfn, end_pfn, limit_pfn;
static uint64_t free_head = ~0ULL;      /* pfn of the first freed page */
static uint64_t nr_freed;
static spinlock_t mm_lock = SPINLOCK_INIT;

void pages_init(uint64_t first_free, uint64_t end)
{
    first_free_pfn = bump_pfn = first_free;
    end_pfn = limit_pfn = end;
}

void *alloc_pages(uint64_t n)
{
    unsigned long flags = spin_lock_irqsave(&mm_lock);
    void *va = NULL;

    if (n && bump_pfn <= end_pfn && end_pfn - bump_pfn >= n) {
        va = pfn_to_virt(bump_pfn);
        bump_pfn += n;
    }
    spin_unlock_irqrestore(&mm_lock, flags);
    if (va)
        memset(va, 0, n << PAGE_SHIFT);
    return va;
}

void *alloc_page(void)
{
    unsigned long flags = spin_lock_irqsave(&mm_lock);
    uint64_t *va = NULL;

    if (free_head != ~0ULL) {
        va = pfn_to_virt(free_head);
        free_head = *va;
        nr_freed--;
    }
    spin_unlock_irqrestore(&mm_lock, flags);
    if (!va)
        return alloc_pages(1);
    memset(va, 0, PAGE_SIZE);
    return va;
}

void free_page(void *va)
{
    uint64_t pfn = virt_to_pfn(va);
    unsigned long flags;

    if (pfn == ~0ULL || pfn < first_free_pfn)
        guest_crash("mm: free_page(%p): not an allocated page", va);
    flags = spin_lock_irqsave(&mm_lock);
    *(uint64_t *)pfn_to_virt(pfn) = free_head;
    free_head = pfn;
    nr_freed++;
    spin_unlock_irqrestore(&mm_lock, flags);
}

uint64_t free_pages_count(void)
{
    return end_pfn - bump_pfn + nr_freed;
}

/* vnuma (guest/vnuma.c): [at, end) leaves for the per-vnode pools. With the balloon:
 * pages it took from the top before the split lie at or above the new end (the pools
 * stop at old_end, the end then), and every page it can give back is one it took, so
 * a give that grows the bump range never reaches into a pool; the balloon only ever
 * takes from and gives to this allocator, never the pools. */
uint64_t pages_split(uint64_t at, uint64_t *old_end)
{
    unsigned long flags = spin_lock_irqsave(&mm_lock);

    *old_end = end_pfn;
    if (at < bump_pfn)
        at = bump_pfn;
    if (at < end_pfn)
        end_pfn = at;
    at = end_pfn;
    spin_unlock_irqrestore(&mm_lock, flags);
    return at;
}

/* The balloon (guest/balloon.c) takes pages out for good: from the free list first,
 * then from the top of the bump range, so alloc_pages keeps its contiguous run as long
 * as it can. A page given back at the top grows the bump range again. */
uint64_t pages_balloon_take(void)
{
    unsigned long flags = spin_lock_irqsave(&mm_lock);
    uint64_t pfn = ~0ULL;

    if (free_head != ~0ULL) {
        pfn = free_head;
        free_head = *(uint64_t *)pfn_to_virt(pfn);
        nr_freed--;
    } else if (end_pfn > bump_pfn) {
        pfn = --end_pfn;
    }
    spin_unlock_irqrestore(&mm_lock, flags);
    return pfn;
}

void pages_balloon_give(uint64_t pfn)
{
    unsigned long flags = spin_lock_irqsave(&mm_lock);

    if (pfn == end_pfn && end_pfn < limit_pfn) {
        end_pfn++;
    } else {
        *(uint64_t *)pfn_to_virt(pfn) = free_head;
        free_head = pfn;
        nr_freed++;
    }
    spin_unlock_irqrestore(&mm_lock, flags);
}

uint64_t pages_limit_pfn(void)
{
    return limit_pfn;
}
