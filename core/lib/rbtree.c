/* Red-black tree: see <hvlab/rbtree.h>.
 *
 * Design: the textbook algorithm with parent pointers and NULL leaves (black).
 * Invariants: the root is black, a red node has no red child, and every path from a
 * node down to a NULL leaf crosses the same number of black nodes; so the height is
 * at most 2 log2(n + 1). Insert descends by `less` (ties go right, which is what
 * makes equals FIFO), links a red leaf and repairs red-red upward with recolourings
 * and at most two rotations. Erase splices out the node or, with two children, its
 * successor (which takes the node's place and colour), then repairs a missing black
 * upward with at most three rotations. `first` and `last_rep` are kept by both; an
 * element that goes after the last (or before the first) is linked there without a
 * descent, which is where the descent would have taken it; any other before the root
 * starts from the first and climbs only as far as it must, and one at or after the
 * root descends from it (a climb from the first would reach the root, then descend).
 *
 * Equal keys: the tree holds one node per run of equal keys, its earliest (the rep);
 * the later ones wait in a ring behind it (next/prev, the rep first), so a queue with
 * many equal keys (credit clipped at its maximum, servers sharing a period) appends
 * to a ring in O(1) and its tree stays as small as its number of distinct keys.
 * Erasing a rep with a ring hands its place in the tree to the next in the ring.
 * In-place re-keying (see the header) can make two reps equal; insertion then goes
 * behind the last of them, so the order stays "after every equal".
 *
 * Locking: none; see the header.
 *
 * Limitations: no augmented data (subtree sizes etc.); a search by key is the
 * caller's descent over root/left/right, which meets only the reps. */
#include <hvlab/rbtree.h>

static bool rb_red(const struct rb_node *n) { return n && n->red; }

/* Makes `to` take `from`'s place under from's parent (to may be NULL). */
static void rb_replace(struct rb_tree *t, struct rb_node *from, struct rb_node *to)
{
    struct rb_node *p = from->parent;

    if (!p)
        t->root = to;
    else if (p->left == from)
        p->left = to;
    else
        p->right = to;
    if (to)
        to->parent = p;
}

/* x's right child takes x's place; x becomes its left child. */
static void rb_rotate_left(struct rb_tree *t, struct rb_node *x)
{
    struct rb_node *y = x->right;

    x->right = y->left;
    if (y->left)
        y->left->parent = x;
    rb_replace(t, x, y);
    y->left = x;
    x->parent = y;
}

static void rb_rotate_right(struct rb_tree *t, struct rb_node *x)
{
    struct rb_node *y = x->left;

    x->left = y->right;
    if (y->right)
        y->right->parent = x;
    rb_replace(t, x, y);
    y->right = x;
    x->parent = y;
}

/* z is red and may have a red parent: push the violation up until it is gone. */
static void rb_insert_repair(struct rb_tree *t, struct rb_node *z)
{
    struct rb_node *p, *g, *u;

    while ((p = z->parent) && p->red) {
        g = p->parent;                  /* p is red, so not the root */
        if (p == g->left) {
            u = g->right;
            if (rb_red(u)) {            /* red uncle: recolour, go up two */
                p->red = u->red = false;
                g->red = true;
                z = g;
                continue;
            }
            if (z == p->right) {        /* inner grandchild: make it outer */
                rb_rotate_left(t, p);
                z = p;
                p = z->parent;
            }
            p->red = false;
            g->red = true;
            rb_rotate_right(t, g);
        } else {
            u = g->left;
            if (rb_red(u)) {
                p->red = u->red = false;
                g->red = true;
                z = g;
                continue;
            }
            if (z == p->left) {
                rb_rotate_right(t, p);
                z = p;
                p = z->parent;
            }
            p->red = false;
            g->red = true;
            rb_rotate_left(t, g);
        }
    }
    t->root->red = false;
}

/* The next / previous rep in the tree. */
static struct rb_node *rb_tree_next(const struct rb_node *n)
{
    if (n->right) {
        n = n->right;
        while (n->left)
            n = n->left;
        return (struct rb_node *)n;
    }
    while (n->parent && n == n->parent->right)
        n = n->parent;
    return n->parent;
}

static struct rb_node *rb_tree_prev(const struct rb_node *n)
{
    if (n->left) {
        n = n->left;
        while (n->right)
            n = n->right;
        return (struct rb_node *)n;
    }
    while (n->parent && n == n->parent->left)
        n = n->parent;
    return n->parent;
}

static bool rb_equal(rb_less_fn *less, const struct rb_node *a, const struct rb_node *b)
{
    return !less(a, b) && !less(b, a);
}

void rb_insert(struct rb_tree *t, struct rb_node *n, rb_less_fn *less)
{
    struct rb_node **link = &t->root, *p = NULL, *pred = NULL, *f = t->first;
    bool leftmost = true, rightmost = true, descend = true;

    n->next = n->prev = n;
    if (t->last_rep && !less(n, t->last_rep)) {         /* at or after the last */
        pred = p = t->last_rep;
        link = &p->right;
        leftmost = descend = false;
    } else if (f && less(n, f)) {                       /* before the first */
        p = f;
        link = &p->left;
        rightmost = descend = false;
    } else if (f && !less(n, t->root)) {
        /* At or after the root: the climb below would go all the way up to it and then
         * down again, twice a descent from the root, which is what this is. */
    } else if (f) {
        /* From the first, up its ancestors (the left spine, the cache-warm end of a
         * queue) while n is not before them, then down from there: the same leaf as
         * a descent from the root, found in O(log d) for a place d from the front. */
        p = f;
        while (p->parent && !less(n, p->parent))
            p = p->parent;
        if (p->parent)
            rightmost = false;
        pred = p;
        link = &p->right;
        leftmost = false;
    }
    while (descend && *link) {
        p = *link;
        if (less(n, p)) {
            link = &p->left;
            rightmost = false;
        } else {
            pred = p;
            link = &p->right;
            leftmost = false;
        }
    }
    if (pred && rb_equal(less, pred, n)) {  /* behind its equals, in pred's ring */
        n->rep = false;
        n->prev = pred->prev;
        n->next = pred;
        pred->prev->next = n;
        pred->prev = n;
        return;
    }
    n->rep = true;
    n->parent = p;
    n->left = n->right = NULL;
    n->red = true;
    *link = n;
    if (leftmost)
        t->first = n;
    if (rightmost)
        t->last_rep = n;
    rb_insert_repair(t, n);
}

/* The subtree at x (possibly NULL, child of xp) is one black short: repair upward. */
static void rb_erase_repair(struct rb_tree *t, struct rb_node *x, struct rb_node *xp)
{
    struct rb_node *w;

    while (x != t->root && !rb_red(x)) {
        if (x == xp->left) {
            w = xp->right;              /* not NULL: its side has a black more */
            if (w->red) {               /* make the sibling black */
                w->red = false;
                xp->red = true;
                rb_rotate_left(t, xp);
                w = xp->right;
            }
            if (!rb_red(w->left) && !rb_red(w->right)) {
                w->red = true;          /* both sides short: move the deficit up */
                x = xp;
                xp = x->parent;
                continue;
            }
            if (!rb_red(w->right)) {    /* near nephew red: make it the far one */
                w->left->red = false;
                w->red = true;
                rb_rotate_right(t, w);
                w = xp->right;
            }
            w->red = xp->red;
            xp->red = false;
            w->right->red = false;
            rb_rotate_left(t, xp);
        } else {
            w = xp->left;
            if (w->red) {
                w->red = false;
                xp->red = true;
                rb_rotate_right(t, xp);
                w = xp->left;
            }
            if (!rb_red(w->left) && !rb_red(w->right)) {
                w->red = true;
                x = xp;
                xp = x->parent;
                continue;
            }
            if (!rb_red(w->left)) {
                w->right->red = false;
                w->red = true;
                rb_rotate_left(t, w);
                w = xp->left;
            }
            w->red = xp->red;
            xp->red = false;
            w->left->red = false;
            rb_rotate_right(t, xp);
        }
        x = t->root;
        break;
    }
    if (x)
        x->red = false;
}

/* The next in z's ring (d) takes z's place in the tree. */
static void rb_hand_over(struct rb_tree *t, struct rb_node *z, struct rb_node *d)
{
    d->rep = true;
    d->red = z->red;
    d->left = z->left;
    d->right = z->right;
    if (d->left)
        d->left->parent = d;
    if (d->right)
        d->right->parent = d;
    rb_replace(t, z, d);
    if (t->first == z)
        t->first = d;
    if (t->last_rep == z)
        t->last_rep = d;
}

/* Takes the rep z, alone in its ring, out of the tree. */
static void rb_erase_rep(struct rb_tree *t, struct rb_node *z)
{
    struct rb_node *x, *xp, *y;
    bool black_removed;

    if (t->first == z)
        t->first = rb_tree_next(z);
    if (t->last_rep == z)
        t->last_rep = rb_tree_prev(z);
    if (!z->left || !z->right) {        /* at most one child: splice z out */
        x = z->left ? z->left : z->right;
        xp = z->parent;
        black_removed = !z->red;
        rb_replace(t, z, x);
    } else {                            /* its successor y takes its place */
        y = z->right;
        while (y->left)
            y = y->left;
        black_removed = !y->red;
        x = y->right;
        if (y->parent == z) {
            xp = y;
        } else {
            xp = y->parent;
            rb_replace(t, y, x);
            y->right = z->right;
            y->right->parent = y;
        }
        rb_replace(t, z, y);
        y->left = z->left;
        y->left->parent = y;
        y->red = z->red;
    }
    z->parent = z->left = z->right = NULL;
    if (black_removed)
        rb_erase_repair(t, x, xp);
}

void rb_erase(struct rb_tree *t, struct rb_node *z)
{
    struct rb_node *d = z->next;

    if (z->rep && d == z) {
        rb_erase_rep(t, z);
        return;
    }
    if (z->rep)
        rb_hand_over(t, z, d);
    z->prev->next = d;
    d->prev = z->prev;
    z->next = z->prev = z;
    z->rep = false;
    z->parent = z->left = z->right = NULL;
}

struct rb_node *rb_next(const struct rb_node *n)
{
    struct rb_node *s;

    if (!n->next->rep)
        return n->next;             /* the next in its ring */
    s = rb_tree_next(n->next);      /* n ends its ring: n->next is the ring's rep */
    return s;
}

struct rb_node *rb_prev(const struct rb_node *n)
{
    struct rb_node *p;

    if (!n->rep)
        return n->prev;
    p = rb_tree_prev(n);
    return p ? p->prev : NULL;      /* the last of the previous ring */
}

/* Descends over the reps: each is the first of its equals, so the one found is the
 * first element of its key. */
struct rb_node *rb_first_from(const struct rb_tree *t, rb_before_fn *before, const void *key)
{
    struct rb_node *n = t->root, *found = NULL;

    while (n) {
        if (before(n, key)) {
            n = n->right;
        } else {
            found = n;
            n = n->left;
        }
    }
    return found;
}
