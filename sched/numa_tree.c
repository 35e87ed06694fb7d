/* numa's ordered queues (policy: sched/numa.c): a treap of nodes ordered by key, FIFO
 * among equal keys, with its first node cached. Insert and remove are O(log n)
 * expected, first is O(1), next is O(1) amortised over an in-order walk; a runqueue of
 * 4096 vCPUs then costs a wake about as much as one of 16 (a sorted list cost O(n)).
 *
 * Why a treap: it stays balanced by random priorities instead of case analysis, so it
 * is short enough to read at once. The priorities come from a per-tree xorshift
 * generator, so the same sequence of operations builds the same tree (deterministic
 * runs stay deterministic); the order of the nodes never depends on them.
 * Locking: the caller's (the runqueue lock, for numa). */
#include "numa.h"

void numa_tree_init(struct numa_tree *t)
{
    *t = (struct numa_tree){ .root = NULL, .first = NULL, .seed = 0x9e3779b9u };
}

static uint32_t numa_tree_prio(struct numa_tree *t)
{
    uint32_t x = t->seed;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return t->seed = x;
}

/* Point whatever pointed at `old` (its parent's link, or the root) at `new`. */
static void numa_tree_relink(struct numa_tree *t, struct numa_tnode *old,
                             struct numa_tnode *new)
{
    struct numa_tnode *p = old->parent;
    if (!p)
        t->root = new;
    else if (p->left == old)
        p->left = new;
    else
        p->right = new;
    if (new)
        new->parent = p;
}

/* Lift x above its parent, keeping the in-order sequence. */
static void numa_tree_rotate_up(struct numa_tree *t, struct numa_tnode *x)
{
    struct numa_tnode *p = x->parent;
    numa_tree_relink(t, p, x);
    if (p->left == x) {
        p->left = x->right;
        if (x->right)
            x->right->parent = p;
        x->right = p;
    } else {
        p->right = x->left;
        if (x->left)
            x->left->parent = p;
        x->left = p;
    }
    p->parent = x;
}

/* n goes after every node whose key is <= key (FIFO among equals). */
void numa_tree_insert(struct numa_tree *t, struct numa_tnode *n, s_time_t key)
{
    struct numa_tnode **link = &t->root, *parent = NULL;
    bool leftmost = true;

    while (*link) {
        parent = *link;
        if (key < parent->key) {
            link = &parent->left;
        } else {
            link = &parent->right;
            leftmost = false;
        }
    }
    *n = (struct numa_tnode){ .parent = parent, .key = key, .prio = numa_tree_prio(t) };
    *link = n;
    if (leftmost)
        t->first = n;
    while (n->parent && n->prio > n->parent->prio)
        numa_tree_rotate_up(t, n);
}

void numa_tree_remove(struct numa_tree *t, struct numa_tnode *n)
{
    if (t->first == n)
        t->first = numa_tree_next(n);
    while (n->left && n->right)         /* sink n below its higher-priority child */
        numa_tree_rotate_up(t, n->left->prio > n->right->prio ? n->left : n->right);
    numa_tree_relink(t, n, n->left ? n->left : n->right);
    n->parent = n->left = n->right = NULL;
}

/* The node after n in key order; NULL after the last. */
struct numa_tnode *numa_tree_next(const struct numa_tnode *n)
{
    if (n->right) {
        n = n->right;
        while (n->left)
            n = n->left;
        return (struct numa_tnode *)n;
    }
    while (n->parent && n->parent->right == n)
        n = n->parent;
    return n->parent;
}
