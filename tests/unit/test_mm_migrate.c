/* Host tests of mm/migrate_plan.c, the memory mover's pure logic (the file the
 * hypervisor links): which node sets are refused and which node is named; frames
 * outside / free inside a set (the test that refuses a move before anything moves);
 * the batch's old -> new map (sorted insertion, bisection, the range shortcut, full
 * and duplicate refusals); the (from, to) groups of a batch's trace records. Tables of
 * named cases; a failure prints both values. */
#include <hvlab/errno.h>
#include <hvlab/mm_migrate.h>

#include "unit.h"

static void test_check_nodes(void)
{
    static const struct { const char *name; uint32_t nodes; unsigned nr; int rc; unsigned bad; } c[] = {
        { "one node of four", 1u << 2, 4, 0, 0 },
        { "two nodes", (1u << 2) | (1u << 3), 4, 0, 0 },
        { "every node", 0xf, 4, 0, 0 },
        { "node 9 of four", 1u << 9, 4, -EINVAL, 9 },
        { "node 4 of four, with node 2", (1u << 4) | (1u << 2), 4, -EINVAL, 4 },
        { "lowest missing node named", (1u << 7) | (1u << 5), 4, -EINVAL, 5 },
        { "empty set", 0, 4, -EINVAL, 4 },
        { "one-node machine, node 1", 1u << 1, 1, -EINVAL, 1 },
        { "eight nodes, node 7", 1u << 7, 8, 0, 0 },
        { "node 31 of 32", 1u << 31, 32, 0, 0 },
    };

    for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        unsigned bad = 0;
        int rc = migrate_check_nodes(c[i].nodes, c[i].nr, &bad), before = unit_failed_checks;

        CHECK_EQ(rc, c[i].rc);
        if (rc)
            CHECK_EQ(bad, c[i].bad);
        if (unit_failed_checks != before)
            printf("  in case \"%s\"\n", c[i].name);
    }
}

static void test_free_check(void)
{
    /* Frames of a domain per node, free frames per node: a move to `set` may start
     * only when free(set) >= outside(set). */
    static const struct {
        const char *name;
        unsigned long dom[4], free[4];
        uint32_t set;
        unsigned long outside, inside_free;
        bool goes;
    } c[] = {
        { "all on 0 to 2, room", { 6144, 0, 0, 0 }, { 1506, 3833, 32505, 32473 }, 1u << 2, 6144, 32505, true },
        { "all on 0 to 1, no room", { 6144, 0, 0, 0 }, { 1506, 3833, 32505, 32473 }, 1u << 1, 6144, 3833, false },
        { "exactly enough", { 100, 0, 0, 0 }, { 0, 100, 0, 0 }, 1u << 1, 100, 100, true },
        { "one short", { 101, 0, 0, 0 }, { 0, 100, 0, 0 }, 1u << 1, 101, 100, false },
        { "already there: nothing to move", { 0, 0, 50, 0 }, { 0, 0, 0, 0 }, 1u << 2, 0, 0, true },
        { "part on the set stays", { 10, 20, 30, 0 }, { 0, 5, 5, 0 }, (1u << 1) | (1u << 2), 10, 10, true },
        { "spread to two of four", { 40, 40, 0, 0 }, { 0, 0, 30, 30 }, (1u << 2) | (1u << 3), 80, 60, false },
    };

    for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        unsigned long out = migrate_outside(c[i].dom, 4, c[i].set);
        unsigned long in = migrate_inside(c[i].free, 4, c[i].set);
        int before = unit_failed_checks;

        CHECK_EQ(out, c[i].outside);
        CHECK_EQ(in, c[i].inside_free);
        CHECK_EQ(in >= out, c[i].goes);
        if (unit_failed_checks != before)
            printf("  in case \"%s\"\n", c[i].name);
    }
}

static void test_map(void)
{
    struct migrate_map m;
    /* Frames out of order, as a page list gives them after earlier moves. */
    static const mfn_t olds[] = { 0x1040, 0x1000, 0x1001, 0x2000, 0x0fff, 0x1003 };

    migrate_map_init(&m);
    CHECK_EQ(migrate_map_find(&m, 0x1000), -1);             /* empty */
    for (unsigned i = 0; i < 6; i++)
        CHECK_EQ(migrate_map_add(&m, olds[i], 0x9000 + i, i), 0);
    CHECK_EQ(m.n, 6);
    for (unsigned i = 1; i < m.n; i++)
        CHECK(m.old[i - 1] < m.old[i]);                     /* sorted for bisection */
    for (unsigned i = 0; i < 6; i++) {
        int k = migrate_map_find(&m, olds[i]);

        CHECK_EQ(k, (int)i);
        for (unsigned j = 0; j < m.n; j++)
            if (m.old[j] == olds[i])
                CHECK_EQ(m.new[j], 0x9000 + i);
    }
    static const mfn_t misses[] = { 0, 0x0ffe, 0x1002, 0x1041, 0x1fff, 0x2001, ~0ULL };
    for (unsigned i = 0; i < sizeof(misses) / sizeof(misses[0]); i++)
        CHECK_EQ(migrate_map_find(&m, misses[i]), -1);
    CHECK_EQ(migrate_map_add(&m, 0x1001, 0x7777, 9), -EEXIST);
    CHECK_EQ(migrate_map_find(&m, 0x1001), 2);              /* the first pair kept */

    migrate_map_init(&m);
    for (unsigned i = 0; i < MIGRATE_BATCH; i++)            /* descending: worst case */
        CHECK_EQ(migrate_map_add(&m, 5000 - i, i, i), 0);
    CHECK_EQ(migrate_map_add(&m, 1, 1, 1), -ENOSPC);
    for (unsigned i = 0; i < MIGRATE_BATCH; i++)
        CHECK_EQ(migrate_map_find(&m, 5000 - i), (int)i);
}

static void test_groups(void)
{
    struct migrate_groups g;

    migrate_groups_init(&g);
    CHECK_EQ(g.n, 0);
    for (unsigned i = 0; i < 40; i++)
        migrate_groups_add(&g, 0, 2);
    for (unsigned i = 0; i < 20; i++)
        migrate_groups_add(&g, 1, 2);
    for (unsigned i = 0; i < 4; i++)
        migrate_groups_add(&g, 0, 3);
    CHECK_EQ(g.n, 3);
    CHECK_EQ(g.g[0].from, 0);
    CHECK_EQ(g.g[0].to, 2);
    CHECK_EQ(g.g[0].frames, 40);
    CHECK_EQ(g.g[1].from, 1);
    CHECK_EQ(g.g[1].frames, 20);
    CHECK_EQ(g.g[2].to, 3);
    CHECK_EQ(g.g[2].frames, 4);
    /* A whole batch of distinct pairs fits (at most one pair per frame). */
    migrate_groups_init(&g);
    for (unsigned i = 0; i < MIGRATE_BATCH; i++)
        migrate_groups_add(&g, i % 8, i / 8);
    CHECK_EQ(g.n, MIGRATE_BATCH);
}

static const struct unit_case cases[] = {
    { "check_nodes", test_check_nodes },
    { "free_check", test_free_check },
    { "map", test_map },
    { "groups", test_groups },
};
UNIT_MAIN(cases)
