/* Red-black tree (core/lib/rbtree.c): fixed cases for each operation, then long random
 * runs against a reference model (an array kept in the order a sorted list with
 * "insert after equals" would have). After every operation the whole tree is checked:
 * the red-black rules, parent links, the rings of equal keys behind each tree node,
 * the cached first and last, and the exact in-order and reverse sequences against
 * the model, so a wrong turn, a lost FIFO tie, a broken ring hand-over or a broken
 * rotation shows at the operation that caused it. */
#include "unit.h"

#include <hvlab/lib.h>
#include <hvlab/rbtree.h>

#define NR 256

struct item {
    struct rb_node node;
    int key;
    bool in;
};

static struct rb_tree tree;
static struct item items[NR];
static unsigned model[NR], model_nr;   /* indices into items, in expected order */

static bool item_less(const struct rb_node *a, const struct rb_node *b)
{
    return rb_entry(a, struct item, node)->key < rb_entry(b, struct item, node)->key;
}

static unsigned idx(const struct rb_node *n) { return (unsigned)(rb_entry(n, struct item, node) - items); }

static void reset(void)
{
    rb_init(&tree);
    memset(items, 0, sizeof(items));
    model_nr = 0;
}

static void add(unsigned i, int key)
{
    unsigned pos = 0;

    items[i].key = key;
    items[i].in = true;
    rb_insert(&tree, &items[i].node, item_less);
    while (pos < model_nr && items[model[pos]].key <= key)
        pos++;
    memmove(&model[pos + 1], &model[pos], (model_nr - pos) * sizeof(model[0]));
    model[pos] = i;
    model_nr++;
}

static void del(unsigned i)
{
    unsigned pos = 0;

    rb_erase(&tree, &items[i].node);
    items[i].in = false;
    while (model[pos] != i)
        pos++;
    memmove(&model[pos], &model[pos + 1], (model_nr - pos - 1) * sizeof(model[0]));
    model_nr--;
}

/* n's ring: reps only in the tree, the rest behind it with equal keys, links both
 * ways. Adds the ring's size to *elems. */
static bool ring_ok(const struct rb_node *n, unsigned *elems)
{
    const struct rb_node *m = n;
    int key = rb_entry(n, struct item, node)->key;

    do {
        (*elems)++;
        if (m->next->prev != m || (m != n && (m->rep || rb_entry(m, struct item, node)->key != key))) {
            printf("    ring of item %u: bad link, rep flag or key at item %u\n", idx(n), idx(m));
            return false;
        }
        m = m->next;
    } while (m != n && *elems <= NR);
    return m == n;
}

/* Black nodes on every path from n down to a leaf, or -1 after reporting a broken rule;
 * counts the reps in *count and all elements in *elems. */
static int black_height(const struct rb_node *n, const struct rb_node *parent, unsigned *count,
                        unsigned *elems)
{
    int l, r;

    if (!n)
        return 1;
    (*count)++;
    if (!n->rep || !ring_ok(n, elems)) {
        printf("    item %u: in the tree but not a rep, or a broken ring\n", idx(n));
        return -1;
    }
    if (n->parent != parent) {
        printf("    item %u: parent link is wrong\n", idx(n));
        return -1;
    }
    if (n->red && ((n->left && n->left->red) || (n->right && n->right->red))) {
        printf("    item %u: red with a red child\n", idx(n));
        return -1;
    }
    if ((l = black_height(n->left, n, count, elems)) < 0 ||
        (r = black_height(n->right, n, count, elems)) < 0)
        return -1;
    if (l != r) {
        printf("    item %u: black heights %d left, %d right\n", idx(n), l, r);
        return -1;
    }
    return l + !n->red;
}

/* 2 log2(n + 1), rounded up: the red-black height bound. */
static unsigned height_bound(unsigned n)
{
    unsigned b = 0;
    while ((1ull << b) < (uint64_t)n + 1)
        b++;
    return 2 * b;
}

static unsigned height(const struct rb_node *n)
{
    return n ? 1 + MAX(height(n->left), height(n->right)) : 0;
}

/* The tree is a red-black tree holding exactly the model's items in the model's order. */
static bool tree_ok(void)
{
    unsigned count = 0, elems = 0, k = 0;
    const struct rb_node *n;

    if (tree.root && (tree.root->red || tree.root->parent)) {
        printf("    root is red or has a parent\n");
        return false;
    }
    if (black_height(tree.root, NULL, &count, &elems) < 0)
        return false;
    if (elems != model_nr) {
        printf("    %u elements in the tree, %u in the model\n", elems, model_nr);
        return false;
    }
    if (height(tree.root) > height_bound(count)) {
        printf("    height %u for %u nodes\n", height(tree.root), count);
        return false;
    }
    const struct rb_node *l = tree.root, *f = tree.root;
    while (l && l->right)
        l = l->right;
    while (f && f->left)
        f = f->left;
    if (rb_first(&tree) != f || tree.last_rep != l) {
        printf("    cached first or last is not the leftmost or rightmost node\n");
        return false;
    }
    if (rb_first(&tree) != (model_nr ? &items[model[0]].node : NULL) ||
        rb_last(&tree) != (model_nr ? &items[model[model_nr - 1]].node : NULL)) {
        printf("    first or last is not the model's\n");
        return false;
    }
    for (n = rb_first(&tree); n; n = rb_next(n), k++)
        if (k >= model_nr || idx(n) != model[k]) {
            printf("    in order, position %u: item %u, model %u\n", k, idx(n),
                   k < model_nr ? model[k] : ~0u);
            return false;
        }
    for (n = rb_last(&tree); n; n = rb_prev(n))
        if (idx(n) != model[--k]) {
            printf("    in reverse, position %u: item %u, model %u\n", k, idx(n), model[k]);
            return false;
        }
    return true;
}

static void test_empty(void)
{
    reset();
    CHECK(rb_empty(&tree));
    CHECK(rb_first(&tree) == NULL);
    CHECK(rb_last(&tree) == NULL);
    add(0, 5);
    CHECK(!rb_empty(&tree));
    CHECK(rb_first(&tree) == &items[0].node && rb_last(&tree) == &items[0].node);
    CHECK(rb_next(&items[0].node) == NULL && rb_prev(&items[0].node) == NULL);
    del(0);
    CHECK(rb_empty(&tree));
    CHECK(rb_first(&tree) == NULL);
    CHECK(tree_ok());
}

static void test_order(void)
{
    static const int keys[] = { 50, 10, 40, -5, 30, 20, 0, 1000, 25 };
    static const int sorted[] = { -5, 0, 10, 20, 25, 30, 40, 50, 1000 };
    const struct rb_node *n;
    unsigned k = 0;

    reset();
    for (unsigned i = 0; i < ARRAY_SIZE(keys); i++) {
        add(i, keys[i]);
        CHECK(tree_ok());
    }
    for (n = rb_first(&tree); n; n = rb_next(n), k++)
        CHECK_EQ(rb_entry(n, struct item, node)->key, sorted[k]);
    CHECK_EQ(k, ARRAY_SIZE(sorted));
}

/* Equal keys come out in insertion order, and a re-inserted one goes behind them. */
static void test_fifo(void)
{
    reset();
    for (unsigned i = 0; i < 40; i++)   /* interleaved, so the shape cannot hide it */
        add(i, i % 2 ? 100 : 200);
    CHECK(tree_ok());
    for (unsigned i = 1; i < 40; i += 2) {
        CHECK_EQ(idx(rb_first(&tree)), i);
        del(i);
    }
    for (unsigned i = 0; i < 40; i += 2) {
        CHECK_EQ(idx(rb_first(&tree)), i);
        del(i);
    }
    add(0, 7);
    add(1, 7);
    del(0);
    add(0, 7);
    CHECK_EQ(idx(rb_first(&tree)), 1);
    CHECK_EQ(idx(rb_last(&tree)), 0);
    CHECK(tree_ok());
}

/* Root, a leaf, a node with two children, in ascending and descending builds. */
static void test_erase(void)
{
    for (int dir = 0; dir < 2; dir++) {
        reset();
        for (unsigned i = 0; i < 31; i++)
            add(i, dir ? 31 - (int)i : (int)i);
        CHECK(tree_ok());
        del(idx(tree.root));
        CHECK(tree_ok());
        for (unsigned i = 0; i < 31; i++)
            if (items[i].in && !items[i].node.left && !items[i].node.right) {
                del(i);
                break;
            }
        CHECK(tree_ok());
        for (unsigned i = 0; i < 31; i++)
            if (items[i].in && items[i].node.left && items[i].node.right) {
                del(i);
                break;
            }
        CHECK(tree_ok());
        while (model_nr) {              /* pop the first until empty */
            del(idx(rb_first(&tree)));
            if (!tree_ok())
                break;
        }
    }
}

/* Sorted builds (each insert a new last, or a new first: no descent), every other
 * element erased from the deep tree, then put back into the gaps (each insert climbs
 * from the first): the case numa's own treap test held before numa used this tree. */
static void test_sorted_builds(void)
{
    for (int dir = 0; dir < 2; dir++) {
        reset();
        for (unsigned i = 0; i < NR; i++)
            add(i, dir ? -(int)i : (int)i);
        CHECK(tree_ok());
        for (unsigned i = 0; i < NR; i += 2)
            del(i);
        CHECK(tree_ok());
        for (unsigned i = 0; i < NR; i += 2)
            add(i, dir ? -(int)i : (int)i);
        CHECK(tree_ok());
    }
}

/* Raising every key by one non-decreasing function (credit2's refill: add, then clip)
 * leaves the tree valid for later inserts without re-sorting it. */
static void test_monotone_rekey(void)
{
    reset();
    for (unsigned i = 0; i < 64; i++)
        add(i, (int)(i * 37 % 64));
    for (unsigned i = 0; i < 64; i++)
        items[i].key = MIN(items[i].key + 20, 50);
    for (unsigned i = 64; i < 100; i++)
        add(i, (int)(i * 13 % 70));
    CHECK(tree_ok());
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static unsigned rnd(unsigned n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng % n);
}

static bool item_before(const struct rb_node *n, const void *key)
{
    return rb_entry(n, struct item, node)->key < *(const int *)key;
}

/* rb_first_from(key) is the model's first item whose key is at least key. */
static bool first_from_ok(int key)
{
    unsigned pos = 0;
    while (pos < model_nr && items[model[pos]].key < key)
        pos++;
    return rb_first_from(&tree, item_before, &key) == (pos < model_nr ? &items[model[pos]].node : NULL);
}

/* Random inserts, erases, pops and monotone re-keys: few distinct keys (many ties)
 * then many. */
static void test_random(void)
{
    static const int key_ranges[] = { 4, 1 << 20 };
    unsigned reported = 0;

    for (unsigned r = 0; r < ARRAY_SIZE(key_ranges); r++) {
        reset();
        for (unsigned op = 0; op < 30000 && reported < 3; op++) {
            unsigned kind = rnd(10), i = rnd(NR);
            int failed = unit_failed_checks;

            if (kind < 5 && !items[i].in) {
                add(i, (int)rnd((unsigned)key_ranges[r]));
            } else if (kind < 8 && items[i].in) {
                del(i);
            } else if (kind == 8 && model_nr) {
                del(idx(rb_first(&tree)));
            } else if (kind == 9 && op % 97 == 0) {
                int cap = key_ranges[r] / 2;
                for (unsigned k = 0; k < NR; k++)
                    if (items[k].in)
                        items[k].key = MIN(items[k].key + 1, cap);
            }
            CHECK(tree_ok());
            CHECK(first_from_ok((int)rnd((unsigned)key_ranges[r] + 2) - 1));
            if (unit_failed_checks != failed) {
                printf("    at op %u (kind %u, item %u, range %d)\n", op, kind, i, key_ranges[r]);
                reported++;
            }
        }
    }
}

static const struct unit_case cases[] = {
    { "empty tree, one item", test_empty },
    { "in-order walk is sorted", test_order },
    { "equal keys FIFO, re-insert goes last", test_fifo },
    { "erase root/leaf/two children, pop to empty", test_erase },
    { "sorted builds, every other erased, gaps refilled", test_sorted_builds },
    { "monotone re-key keeps the order valid", test_monotone_rekey },
    { "30k random ops x2 key ranges vs reference model, lower bounds", test_random },
};
UNIT_MAIN(cases)
