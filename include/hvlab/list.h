/* Intrusive doubly-linked circular list. */
#ifndef HVLAB_LIST_H
#define HVLAB_LIST_H

#include "lib.h"

struct list_head { struct list_head *next, *prev; };

#define LIST_HEAD_INIT(n) { &(n), &(n) }
static inline void list_init(struct list_head *h) { h->next = h->prev = h; }
static inline bool list_empty(const struct list_head *h) { return h->next == h; }

static inline void list__insert(struct list_head *n, struct list_head *prev,
                                struct list_head *next)
{
    next->prev = n; n->next = next; n->prev = prev; prev->next = n;
}
static inline void list_add(struct list_head *n, struct list_head *h) { list__insert(n, h, h->next); }
static inline void list_add_tail(struct list_head *n, struct list_head *h) { list__insert(n, h->prev, h); }
static inline void list_del(struct list_head *n)
{
    n->prev->next = n->next; n->next->prev = n->prev;
    n->next = n->prev = n;
}

/* Moves every entry of from, in order, to the end of h; from is left empty. */
static inline void list_splice_tail_init(struct list_head *from, struct list_head *h)
{
    if (list_empty(from))
        return;
    from->next->prev = h->prev;
    h->prev->next = from->next;
    from->prev->next = h;
    h->prev = from->prev;
    list_init(from);
}

#define list_entry(p, type, member) container_of(p, type, member)
#define list_first_entry(h, type, member) list_entry((h)->next, type, member)
#define list_for_each(p, h) for ((p) = (h)->next; (p) != (h); (p) = (p)->next)
#define list_for_each_safe(p, t, h) \
    for ((p) = (h)->next, (t) = (p)->next; (p) != (h); (p) = (t), (t) = (p)->next)

#endif
