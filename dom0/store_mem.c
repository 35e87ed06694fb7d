/* The store's allocator in dom0 (store_tree.h: store_mem_alloc/free): the guest
 * runtime has pages only, and the tree makes many small objects (nodes, values,
 * watches) of sizes up to a page. Power-of-two size classes from 32 bytes to a page,
 * each a free list carved from whole pages.
 * Limitations: pages are never given back (the runtime does not get contiguous runs
 * back anyway); a class keeps what it freed for its own later use. */
#include <guest.h>
#include "store_tree.h"

#define STORE_MEM_MIN_SHIFT 5
#define STORE_MEM_CLASSES   (PAGE_SHIFT - STORE_MEM_MIN_SHIFT + 1)

struct free_chunk { struct free_chunk *next; };

static struct free_chunk *free_list[STORE_MEM_CLASSES];

static int size_class(size_t size)
{
    for (int c = 0; c < STORE_MEM_CLASSES; c++)
        if (size <= (1ul << (c + STORE_MEM_MIN_SHIFT)))
            return c;
    return -1;
}

void *store_mem_alloc(size_t size)
{
    int c = size_class(size);
    struct free_chunk *f;

    if (c < 0)
        return NULL;
    if (!free_list[c]) {
        size_t chunk = 1ul << (c + STORE_MEM_MIN_SHIFT);
        char *page = alloc_page();

        if (!page)
            return NULL;
        for (size_t off = 0; off < PAGE_SIZE; off += chunk) {
            f = (struct free_chunk *)(page + off);
            f->next = free_list[c];
            free_list[c] = f;
        }
    }
    f = free_list[c];
    free_list[c] = f->next;
    return f;
}

void store_mem_free(void *p, size_t size)
{
    int c = size_class(size);
    struct free_chunk *f = p;

    f->next = free_list[c];
    free_list[c] = f;
}
