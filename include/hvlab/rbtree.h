/* Ordered set: an intrusive red-black tree, for the policies' run queues.
 * The caller embeds a struct rb_node in each element and passes an order (a "less"
 * function on nodes); insert, erase and finding the first are O(log n) or better, and
 * walking in order from any node costs O(1) amortized per step. Nothing allocates.
 *
 * Order: an element goes after every element it is not less than, so equal ones keep
 * their insertion order (FIFO), as a sorted list with "insert after equals" would.
 * A caller may change keys of queued elements in place only in a way that keeps the
 * in-order sequence sorted (e.g. raising every key by the same non-decreasing
 * function); anything else must erase, change, insert.
 *
 * Locking: none here; the caller holds whatever guards its tree. */
#ifndef HVLAB_RBTREE_H
#define HVLAB_RBTREE_H

#include "lib.h"

/* Only one element of each run of equal keys (its first, the "rep") is linked into
 * the tree; the others wait in a ring behind it, in order (rbtree.c: Design). */
struct rb_node {
    struct rb_node *parent, *left, *right;  /* tree links: reps only */
    struct rb_node *next, *prev;            /* ring of equals, rep first */
    bool red, rep;
};

struct rb_tree {
    struct rb_node *root;
    struct rb_node *first;          /* leftmost rep: the first element */
    struct rb_node *last_rep;       /* rightmost rep: its ring ends with the last */
};

/* True if a goes strictly before b. Must be a strict weak order on the keys. */
typedef bool rb_less_fn(const struct rb_node *a, const struct rb_node *b);

#define rb_entry(p, type, member) container_of(p, type, member)

static inline void rb_init(struct rb_tree *t) { t->root = t->first = t->last_rep = NULL; }
static inline bool rb_empty(const struct rb_tree *t) { return !t->root; }
static inline struct rb_node *rb_first(const struct rb_tree *t) { return t->first; }
static inline struct rb_node *rb_last(const struct rb_tree *t)
{
    return t->last_rep ? t->last_rep->prev : NULL;
}

/* --- rbtree.c --- */
/* Links n (not in any tree) after its equals. O(1) plus the repair (O(1) amortized)
 * when n goes first or last, as a queue's newest deadline usually does; else
 * O(log d) for its place d among the distinct keys, counted from the first, when it
 * goes before the root, and O(log n) from the root when not. */
void rb_insert(struct rb_tree *t, struct rb_node *n, rb_less_fn *less);
/* Unlinks n, which must be in t. O(1) if n has equals. */
void rb_erase(struct rb_tree *t, struct rb_node *n);
/* The first element n in order for which before(n, key) is false; NULL if none.
 * before must hold for a prefix of the order only (n's key lies before key), as a
 * lower-bound search needs. O(log d) for the distinct keys d. */
typedef bool rb_before_fn(const struct rb_node *n, const void *key);
struct rb_node *rb_first_from(const struct rb_tree *t, rb_before_fn *before, const void *key);
/* The element after / before n in order; NULL at the end. */
struct rb_node *rb_next(const struct rb_node *n);
struct rb_node *rb_prev(const struct rb_node *n);

#endif
