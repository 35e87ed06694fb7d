/* Timer queue: binary min-heap ordered by (expires, seq). See <hvlab/timerq.h>.
 *
 * Design: heap[i]'s children are heap[2i+1] and heap[2i+2]; every move of a timer in
 * the array updates its heap_idx, which is what makes remove O(log n) instead of a
 * search. The seq tie-break makes the order total, so equal deadlines pop FIFO and
 * the heap's shape never decides which of two timers fires first.
 *
 * Locking: none; see the header.
 *
 * Limitations: fixed capacity chosen by the caller; no resizing. */
#include <hvlab/errno.h>
#include <hvlab/timerq.h>

static bool timer_before(const struct timer *a, const struct timer *b)
{
    if (a->expires != b->expires)
        return a->expires < b->expires;
    return a->seq < b->seq;
}

static void heap_place(struct timerq *q, uint32_t i, struct timer *t)
{
    q->heap[i] = t;
    t->heap_idx = (int32_t)i;
}

/* Moves t, destined for slot i, up past later parents; places it. */
static void sift_up(struct timerq *q, uint32_t i, struct timer *t)
{
    while (i > 0) {
        uint32_t parent = (i - 1) / 2;
        if (!timer_before(t, q->heap[parent]))
            break;
        heap_place(q, i, q->heap[parent]);
        i = parent;
    }
    heap_place(q, i, t);
}

/* Moves t, destined for slot i, down past earlier children; places it. */
static void sift_down(struct timerq *q, uint32_t i, struct timer *t)
{
    for (;;) {
        uint32_t child = 2 * i + 1;
        if (child >= q->nr)
            break;
        if (child + 1 < q->nr && timer_before(q->heap[child + 1], q->heap[child]))
            child++;
        if (!timer_before(q->heap[child], t))
            break;
        heap_place(q, i, q->heap[child]);
        i = child;
    }
    heap_place(q, i, t);
}

int timerq_init(struct timerq *q, struct timer **storage, uint32_t cap)
{
    /* heap_idx is an int32_t. */
    if (!storage || cap == 0 || cap > INT32_MAX)
        return -EINVAL;
    q->heap = storage;
    q->nr = 0;
    q->cap = cap;
    q->next_seq = 0;
    return 0;
}

int timerq_add(struct timerq *q, struct timer *t)
{
    if (timer_is_queued(t))
        return -EEXIST;
    if (q->nr == q->cap)
        return -ENOSPC;
    t->seq = q->next_seq++;
    q->nr++;
    sift_up(q, q->nr - 1, t);
    return 0;
}

bool timerq_remove(struct timerq *q, struct timer *t)
{
    uint32_t i;
    struct timer *last;

    /* The slot check refuses a timer queued on some other queue. */
    if (!timer_is_queued(t) || (uint32_t)t->heap_idx >= q->nr ||
        q->heap[t->heap_idx] != t)
        return false;
    i = (uint32_t)t->heap_idx;
    last = q->heap[--q->nr];
    t->heap_idx = -1;
    if (last == t)
        return true;
    /* The last timer fills the hole; it may belong above or below it. */
    if (i > 0 && timer_before(last, q->heap[(i - 1) / 2]))
        sift_up(q, i, last);
    else
        sift_down(q, i, last);
    return true;
}

struct timer *timerq_first(const struct timerq *q)
{
    return q->nr ? q->heap[0] : NULL;
}

struct timer *timerq_pop_expired(struct timerq *q, s_time_t now)
{
    struct timer *t = timerq_first(q);

    if (!t || t->expires > now)
        return NULL;
    timerq_remove(q, t);
    return t;
}

void timer_init(struct timer *t, void (*fn)(void *), void *data, unsigned cpu)
{
    t->expires = 0;
    t->fn = fn;
    t->data = data;
    t->cpu = (uint16_t)cpu;
    t->heap_idx = -1;
    t->seq = 0;
}
