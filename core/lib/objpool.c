/* Object pool: see <hvlab/objpool.h>.
 *
 * Design: a chunk is one heap allocation a little under a page (the heap's own header
 * then fits in the page: mm/xmalloc.c gives it one page, not two): a header, then
 * slots of `size` bytes from the first cache-line boundary, the free ones linked
 * through their first word. Chunks with a free slot are on `chunks`, the full ones on
 * `full`; an allocation takes from the first partial chunk (the one an object was
 * last given back to), so a new chunk is taken only when every chunk is full. A chunk
 * left with no object in use goes back to the heap at once, unless it is the pool's
 * last.
 *
 * Locking: the pool's lock guards both chunk lists, every chunk header and the free
 * slots; xmalloc and xfree are called without it (an allocation may race with
 * another: both chunks are kept).
 *
 * Limitations: objects are found their chunk by a walk over the chunks (O(chunks) per
 * free: vCPUs are freed rarely); an object larger than a quarter page is refused. */
#include <hvlab/lib.h>
#include <hvlab/objpool.h>
#include <hvlab/panic.h>
#include <hvlab/xmalloc.h>

/* Leaves room for the heap's header in the chunk's page (mm/xmalloc.c). */
#define OBJPOOL_CHUNK_BYTES (PAGE_SIZE - 64)

struct objpool_slot {
    struct objpool_slot *next;
};

struct objpool_chunk {
    struct objpool_chunk *next;         /* in pool->chunks or pool->full */
    struct objpool_slot *free;
    char *base;                         /* the first slot */
    unsigned nr_used;
};

/* The list a chunk with these counts belongs on. */
static struct objpool_chunk **objpool_list(struct objpool *p, const struct objpool_chunk *c)
{
    return c->free ? &p->chunks : &p->full;
}

void objpool_init(struct objpool *p, size_t size)
{
    size_t room = OBJPOOL_CHUNK_BYTES - sizeof(struct objpool_chunk) -
                  (OBJPOOL_ALIGN - XMALLOC_ALIGN);

    ASSERT(size && size <= PAGE_SIZE / 4);
    spin_lock_init(&p->lock);
    p->size = (MAX(size, sizeof(struct objpool_slot)) + OBJPOOL_ALIGN - 1) &
              ~(size_t)(OBJPOOL_ALIGN - 1);
    p->per_chunk = (unsigned)(room / p->size);
    p->nr_chunks = 0;
    p->chunks = p->full = NULL;
}

/* A new chunk, every slot free; NULL when out of memory. */
static struct objpool_chunk *objpool_chunk_new(struct objpool *p)
{
    struct objpool_chunk *c = xmalloc(OBJPOOL_CHUNK_BYTES);
    uintptr_t first;

    if (!c)
        return NULL;
    first = ((uintptr_t)(c + 1) + OBJPOOL_ALIGN - 1) & ~(uintptr_t)(OBJPOOL_ALIGN - 1);
    c->base = (char *)first;
    c->nr_used = 0;
    c->free = NULL;
    for (unsigned i = p->per_chunk; i-- > 0;) {     /* slot 0 first on the list */
        struct objpool_slot *s = (struct objpool_slot *)(c->base + i * p->size);
        s->next = c->free;
        c->free = s;
    }
    return c;
}

void *objpool_zalloc(struct objpool *p)
{
    struct objpool_chunk *c, *spare = NULL;
    struct objpool_slot *s;
    unsigned long flags;

    for (;;) {
        spin_lock_irqsave(&p->lock, flags);
        if (!p->chunks && spare) {      /* still none free: ours goes in */
            spare->next = NULL;
            p->chunks = spare;
            p->nr_chunks++;
            spare = NULL;
        }
        if ((c = p->chunks) != NULL)
            break;
        spin_unlock_irqrestore(&p->lock, flags);
        if (!(spare = objpool_chunk_new(p)))
            return NULL;
    }
    s = c->free;
    c->free = s->next;
    c->nr_used++;
    if (!c->free) {                     /* full: off the partial list */
        p->chunks = c->next;
        c->next = p->full;
        p->full = c;
    }
    spin_unlock_irqrestore(&p->lock, flags);
    xfree(spare);                       /* another CPU's chunk came first */
    memset(s, 0, p->size);
    return s;
}

/* Unlinks c from *l, if it is there; true if it was. */
static bool objpool_unlink(struct objpool_chunk **l, struct objpool_chunk *c)
{
    for (; *l; l = &(*l)->next)
        if (*l == c) {
            *l = c->next;
            return true;
        }
    return false;
}

/* The chunk of p holding obj, on either list; panics if none does. */
static struct objpool_chunk *objpool_owner(struct objpool *p, const void *obj)
{
    const char *o = obj;
    for (int full = 0; full < 2; full++)
        for (struct objpool_chunk *c = full ? p->full : p->chunks; c; c = c->next)
            if (o >= c->base && o < c->base + (size_t)p->per_chunk * p->size) {
                if ((size_t)(o - c->base) % p->size)
                    panic("objpool_free: %p is inside a slot, not at its start", obj);
                return c;
            }
    panic("objpool_free: %p is not from this pool", obj);
}

void objpool_free(struct objpool *p, void *obj)
{
    struct objpool_slot *s = obj;
    struct objpool_chunk *c, *gone = NULL;
    unsigned long flags;

    if (!obj)
        return;
    spin_lock_irqsave(&p->lock, flags);
    c = objpool_owner(p, obj);
    objpool_unlink(objpool_list(p, c), c);
    s->next = c->free;
    c->free = s;
    c->nr_used--;
    if (!c->nr_used && p->nr_chunks > 1) {
        p->nr_chunks--;
        gone = c;
    } else {
        c->next = p->chunks;            /* it has a free slot now */
        p->chunks = c;
    }
    spin_unlock_irqrestore(&p->lock, flags);
    xfree(gone);
}

void objpool_destroy(struct objpool *p)
{
    struct objpool_chunk *c;
    ASSERT(!p->full);
    while ((c = p->chunks) != NULL) {
        ASSERT(!c->nr_used);
        p->chunks = c->next;
        xfree(c);
    }
    p->nr_chunks = 0;
}
