/* The hypervisor heap.
 *
 * Design: sizes up to XM_MAX_SMALL are rounded up to a power-of-two class (16..2048).
 * Each class owns single pages; a page starts with a struct xm_page header followed by
 * equal slots, the free ones linked through their first word. Pages with at least one
 * free slot sit on the class's partial list; a page whose slots are all free again goes
 * straight back to the page allocator. Larger sizes take a whole buddy block of the
 * smallest order that fits size plus the header. Either way the header sits at the
 * start of the page holding the pointer, which is how xfree() tells them apart.
 *
 * Locking: xm_lock (irqsave) guards the partial lists, every small page's header and
 * free slots, and the statistics. It is never held across a call into the page
 * allocator, so it nests inside nothing and nothing nests inside it.
 *
 * Limitations: a double free panics when the page is still held: always for classes
 * with several slots per page, not for large blocks or 2048-byte objects, whose page
 * has gone back already. Class 2048 gets one slot per page (the header takes the rest).
 */
#include <hvlab/lib.h>
#include <hvlab/list.h>
#include <hvlab/mm.h>
#include <hvlab/panic.h>
#include <hvlab/spinlock.h>
#include <hvlab/xmalloc.h>

#define XM_MIN_SHIFT   4
#define XM_NR_CLASSES  8                            /* 16 << 7 = 2048 */
#define XM_MAX_SMALL   (16UL << (XM_NR_CLASSES - 1))
#define XM_MAGIC_SMALL 0x786d5331u
#define XM_MAGIC_LARGE 0x786d4c31u
#define XM_POISON      0xf4eef4eef4eef4eeULL        /* second word of a free slot */

struct xm_page {
    uint32_t magic;             /* XM_MAGIC_*; cleared when the page goes back */
    uint16_t nr_free;           /* small: free slots */
    uint8_t cls;                /* small: class index; large: buddy order */
    uint8_t pad;
    struct xm_slot *free;       /* small: free slots */
    struct list_head link;      /* small: on partial[cls] while 0 < nr_free */
};

struct xm_slot {
    struct xm_slot *next;
    uint64_t poison;
};

#define XM_HDR ALIGN_UP(sizeof(struct xm_page), (size_t)XMALLOC_ALIGN)
_Static_assert(XM_HDR + XM_MAX_SMALL <= PAGE_SIZE, "largest class must fit a page");

static spinlock_t xm_lock = SPIN_LOCK_UNLOCKED;
static struct list_head partial[XM_NR_CLASSES] = {
    LIST_HEAD_INIT(partial[0]), LIST_HEAD_INIT(partial[1]), LIST_HEAD_INIT(partial[2]),
    LIST_HEAD_INIT(partial[3]), LIST_HEAD_INIT(partial[4]), LIST_HEAD_INIT(partial[5]),
    LIST_HEAD_INIT(partial[6]), LIST_HEAD_INIT(partial[7]),
};
static size_t stat_in_use, stat_pages;

static size_t class_size(unsigned c) { return (size_t)1 << (c + XM_MIN_SHIFT); }
static unsigned class_slots(unsigned c) { return (PAGE_SIZE - XM_HDR) / class_size(c); }

static unsigned class_of(size_t size)
{
    unsigned c = 0;

    while (class_size(c) < size)
        c++;
    return c;
}

static struct xm_slot *slot_at(struct xm_page *pg, unsigned i)
{
    return (struct xm_slot *)((char *)pg + XM_HDR + i * class_size(pg->cls));
}

static void small_page_init(struct xm_page *pg, unsigned c)
{
    unsigned n = class_slots(c);

    pg->magic = XM_MAGIC_SMALL;
    pg->cls = (uint8_t)c;
    pg->nr_free = (uint16_t)n;
    /* Linked in address order, so that a fresh page fills front to back. */
    pg->free = NULL;
    for (unsigned i = n; i-- > 0;) {
        struct xm_slot *s = slot_at(pg, i);

        s->next = pg->free;
        s->poison = XM_POISON;
        pg->free = s;
    }
}

static void *small_alloc(unsigned c)
{
    struct xm_page *pg;
    struct xm_slot *s;
    unsigned long flags;

    spin_lock_irqsave(&xm_lock, flags);
    if (list_empty(&partial[c])) {
        spin_unlock_irqrestore(&xm_lock, flags);
        pg = alloc_heap_pages(0, NUMA_NO_NODE, 0);
        if (!pg)
            return NULL;
        small_page_init(pg, c);
        spin_lock_irqsave(&xm_lock, flags);
        list_add(&pg->link, &partial[c]);
        stat_pages++;
    }
    pg = list_first_entry(&partial[c], struct xm_page, link);
    s = pg->free;
    pg->free = s->next;
    s->poison = 0;
    if (--pg->nr_free == 0)
        list_del(&pg->link);
    stat_in_use += class_size(c);
    spin_unlock_irqrestore(&xm_lock, flags);
    return s;
}

static bool on_free_list(const struct xm_page *pg, const struct xm_slot *s)
{
    for (const struct xm_slot *f = pg->free; f; f = f->next)
        if (f == s)
            return true;
    return false;
}

static void small_free(struct xm_page *pg, struct xm_slot *s)
{
    size_t off = (size_t)((char *)s - (char *)pg) - XM_HDR;
    unsigned c = pg->cls;
    bool empty = false;
    unsigned long flags;

    ASSERT(c < XM_NR_CLASSES);
    if (off % class_size(c) || off / class_size(c) >= class_slots(c))
        panic("xfree(%p): not the start of a heap object", (void *)s);
    spin_lock_irqsave(&xm_lock, flags);
    if (s->poison == XM_POISON && on_free_list(pg, s))
        panic("xfree(%p): double free", (void *)s);
    s->next = pg->free;
    s->poison = XM_POISON;
    pg->free = s;
    stat_in_use -= class_size(c);
    if (pg->nr_free++ == 0)
        list_add(&pg->link, &partial[c]);
    if (pg->nr_free == class_slots(c)) {
        list_del(&pg->link);
        pg->magic = 0;
        stat_pages--;
        empty = true;
    }
    spin_unlock_irqrestore(&xm_lock, flags);
    if (empty)
        free_heap_pages(pg, 0);
}

static void *large_alloc(size_t size)
{
    struct xm_page *pg;
    unsigned long flags;
    unsigned order = 0;

    if (size > (PAGE_SIZE << MAX_ORDER) - XM_HDR)
        return NULL;
    while ((PAGE_SIZE << order) - XM_HDR < size)
        order++;
    pg = alloc_heap_pages(order, NUMA_NO_NODE, 0);
    if (!pg)
        return NULL;
    pg->magic = XM_MAGIC_LARGE;
    pg->cls = (uint8_t)order;
    pg->nr_free = 0;
    pg->free = NULL;
    spin_lock_irqsave(&xm_lock, flags);
    stat_in_use += PAGE_SIZE << order;
    stat_pages += 1UL << order;
    spin_unlock_irqrestore(&xm_lock, flags);
    return (char *)pg + XM_HDR;
}

static void large_free(struct xm_page *pg, void *p)
{
    unsigned order = pg->cls;
    unsigned long flags;

    if ((char *)p != (char *)pg + XM_HDR || order > MAX_ORDER)
        panic("xfree(%p): not the start of a heap object", p);
    pg->magic = 0;
    spin_lock_irqsave(&xm_lock, flags);
    stat_in_use -= PAGE_SIZE << order;
    stat_pages -= 1UL << order;
    spin_unlock_irqrestore(&xm_lock, flags);
    free_heap_pages(pg, order);
}

void *xmalloc(size_t size)
{
    /* Zero bytes still get a unique pointer that xfree() accepts. */
    if (size <= XM_MAX_SMALL)
        return small_alloc(class_of(size ? size : 1));
    return large_alloc(size);
}

void *xzalloc(size_t size)
{
    void *p = xmalloc(size);

    if (p)
        memset(p, 0, size);
    return p;
}

void *xmalloc_array(size_t n, size_t size)
{
    size_t bytes;

    if (__builtin_mul_overflow(n, size, &bytes))
        return NULL;
    return xmalloc(bytes);
}

void *xzalloc_array(size_t n, size_t size)
{
    size_t bytes;

    if (__builtin_mul_overflow(n, size, &bytes))
        return NULL;
    return xzalloc(bytes);
}

void xfree(void *p)
{
    struct xm_page *pg;

    if (!p)
        return;
    pg = (struct xm_page *)ALIGN_DOWN((uintptr_t)p, PAGE_SIZE);
    if (pg->magic == XM_MAGIC_SMALL)
        small_free(pg, p);
    else if (pg->magic == XM_MAGIC_LARGE)
        large_free(pg, p);
    else
        panic("xfree(%p): not a heap pointer, or freed twice", p);
}

void xmalloc_stats(size_t *in_use, size_t *pages)
{
    unsigned long flags;

    spin_lock_irqsave(&xm_lock, flags);
    if (in_use)
        *in_use = stat_in_use;
    if (pages)
        *pages = stat_pages;
    spin_unlock_irqrestore(&xm_lock, flags);
}
