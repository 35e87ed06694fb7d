/* numa's ordered queue (sched/numa_tree.c): fixed cases, then a long random run of
 * inserts and removes against a reference model (an array kept in insertion order and
 * stably sorted by key), with many equal keys. After every operation the tree is
 * checked whole: in-order walk = the model (so FIFO among equal keys holds), the
 * cached first, parent links, key order and the priority heap. */
#include "unit.h"

#include "../../sched/numa.h"

#define CAP 512

static struct numa_tree t;
static struct numa_tnode nodes[CAP];
static unsigned model[CAP], model_n;    /* node indices in queue order */
static bool in_tree[CAP];

/* c, n's left (or right) child if any, links back to n, keeps key order and does not
 * outrank n. */
static bool child_ok(const struct numa_tnode *n, const struct numa_tnode *c, bool left)
{
    if (!c || (c->parent == n && (left ? c->key <= n->key : c->key >= n->key) &&
               c->prio <= n->prio))
        return true;
    printf("    node %td: bad %s child %td\n", n - nodes, left ? "left" : "right", c - nodes);
    return false;
}

/* Returns true if the subtree under n is sound; counts its nodes into *count. */
static bool subtree_ok(const struct numa_tnode *n, unsigned *count)
{
    if (!n)
        return true;
    ++*count;
    return child_ok(n, n->left, true) && child_ok(n, n->right, false) &&
           subtree_ok(n->left, count) && subtree_ok(n->right, count);
}

/* The tree holds exactly the model, in its order. */
static bool tree_ok(void)
{
    unsigned count = 0, i = 0;
    const struct numa_tnode *n;

    if (t.root && t.root->parent) {
        printf("    the root has a parent\n");
        return false;
    }
    if (!subtree_ok(t.root, &count))
        return false;
    if (count != model_n) {
        printf("    %u nodes in the tree, %u in the model\n", count, model_n);
        return false;
    }
    if (t.first != (model_n ? &nodes[model[0]] : NULL)) {
        printf("    first is %td, the model's first %d\n", t.first ? t.first - nodes : -1,
               model_n ? (int)model[0] : -1);
        return false;
    }
    numa_tree_for_each(n, &t) {
        if (i >= model_n || n != &nodes[model[i]]) {
            printf("    walk position %u: node %td, model %d\n", i, n - nodes,
                   i < model_n ? (int)model[i] : -1);
            return false;
        }
        i++;
    }
    return i == model_n;
}

static void insert(unsigned idx, s_time_t key)
{
    unsigned pos = model_n;
    numa_tree_insert(&t, &nodes[idx], key);
    while (pos > 0 && nodes[model[pos - 1]].key > key)   /* after every key <= its own */
        pos--;
    memmove(&model[pos + 1], &model[pos], (model_n - pos) * sizeof(model[0]));
    model[pos] = idx;
    model_n++;
    in_tree[idx] = true;
}

static void remove_idx(unsigned idx)
{
    unsigned pos = 0;
    numa_tree_remove(&t, &nodes[idx]);
    while (model[pos] != idx)
        pos++;
    memmove(&model[pos], &model[pos + 1], (model_n - pos - 1) * sizeof(model[0]));
    model_n--;
    in_tree[idx] = false;
}

static void reset(void)
{
    numa_tree_init(&t);
    memset(nodes, 0, sizeof(nodes));
    memset(in_tree, 0, sizeof(in_tree));
    model_n = 0;
}

static void test_empty(void)
{
    reset();
    CHECK(t.first == NULL && t.root == NULL);
    CHECK(tree_ok());
}

static void test_fifo_equal_keys(void)
{
    reset();
    insert(0, 5);
    insert(1, 5);
    insert(2, 3);
    insert(3, 5);
    insert(4, 3);
    CHECK(tree_ok());           /* 2 4 0 1 3 */
    CHECK_EQ(t.first - nodes, 2);
    remove_idx(2);
    CHECK_EQ(t.first - nodes, 4);
    remove_idx(1);
    CHECK(tree_ok());
    insert(1, 5);               /* re-queued: behind 0 and 3 */
    CHECK(tree_ok());
    while (model_n)
        remove_idx(model[0]);
    CHECK(tree_ok() && t.root == NULL);
}

static void test_sorted_inputs(void)
{
    reset();
    for (unsigned i = 0; i < CAP; i++)
        insert(i, (s_time_t)i);                 /* every insert at the end */
    CHECK(tree_ok());
    for (unsigned i = 0; i < CAP; i += 2)
        remove_idx(i);
    CHECK(tree_ok());
    reset();
    for (unsigned i = 0; i < CAP; i++)
        insert(i, -(s_time_t)i);                /* every insert a new first */
    CHECK(tree_ok());
}

static void test_random(void)
{
    uint64_t x = 88172645463325252ull;
    unsigned bad = 0;
    reset();
    for (unsigned step = 0; step < 20000 && !bad; step++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        unsigned idx = (unsigned)(x % CAP);
        if (in_tree[idx])
            remove_idx(idx);
        else
            insert(idx, (s_time_t)(x >> 32) % 64 - 32);    /* many equal, some negative */
        if (!tree_ok()) {
            printf("    after step %u\n", step);
            bad++;
        }
    }
    CHECK_EQ(bad, 0);
}

static const struct unit_case cases[] = {
    { "empty tree", test_empty },
    { "FIFO among equal keys, cached first, re-insert", test_fifo_equal_keys },
    { "ascending and descending inserts, every other removed", test_sorted_inputs },
    { "20k random inserts/removes vs reference model", test_random },
};
UNIT_MAIN(cases)
