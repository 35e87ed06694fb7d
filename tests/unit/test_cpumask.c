/* CPU masks (include/hvlab/smp.h), built with NR_CPUS=200 so that masks span several
 * 64-bit words and end inside one: for_each_cpu visits exactly the set pCPUs in order
 * and sees changes the body makes; cpumask_next and cpumask_weight agree with a
 * bit-by-bit reference on random masks. */
#include "unit.h"

#include <hvlab/smp.h>

static unsigned ref_weight(const cpumask_t *m)
{
    unsigned n = 0;
    for (unsigned c = 0; c < NR_CPUS; c++)
        n += cpumask_test(m, c);
    return n;
}

static unsigned ref_next(const cpumask_t *m, unsigned c)
{
    for (; c < NR_CPUS; c++)
        if (cpumask_test(m, c))
            return c;
    return NR_CPUS;
}

static void test_edges(void)
{
    cpumask_t m = { { 0 } };
    unsigned c, seen = 0;
    CHECK_EQ(NR_CPUS, 200);
    CHECK_EQ(cpumask_next(&m, 0), NR_CPUS);
    CHECK_EQ(cpumask_weight(&m), 0);
    for_each_cpu(c, &m)
        seen++;
    CHECK_EQ(seen, 0);
    for (unsigned b = 0; b < NR_CPUS; b += 63)  /* 0 63 126 189: in four words */
        cpumask_set(&m, b);
    cpumask_set(&m, NR_CPUS - 1);
    CHECK_EQ(cpumask_weight(&m), 5);
    CHECK_EQ(cpumask_next(&m, 1), 63);
    CHECK_EQ(cpumask_next(&m, 64), 126);
    CHECK_EQ(cpumask_next(&m, 190), NR_CPUS - 1);
    CHECK_EQ(cpumask_next(&m, NR_CPUS), NR_CPUS);
    m = (cpumask_t){ { 0 } };
    for (unsigned b = 0; b < 64; b++)
        cpumask_set(&m, b);
    CHECK_EQ(cpumask_weight(&m), 64);
}

/* The body clears the next pCPU and sets one further on: the walk sees both. */
static void test_body_changes_mask(void)
{
    cpumask_t m = { { 0 } };
    unsigned c, order[8], n = 0;
    cpumask_set(&m, 3);
    cpumask_set(&m, 70);
    cpumask_set(&m, 150);
    for_each_cpu(c, &m) {
        if (n < 8)
            order[n++] = c;
        if (c == 3) {
            cpumask_clear(&m, 70);
            cpumask_set(&m, 199);
        }
    }
    CHECK_EQ(n, 3);
    CHECK_EQ(order[0], 3);
    CHECK_EQ(order[1], 150);
    CHECK_EQ(order[2], 199);
}

static void test_random(void)
{
    uint64_t x = 0x2545f4914f6cdd1dull;
    unsigned bad = 0;
    for (unsigned round = 0; round < 2000; round++) {
        cpumask_t m = { { 0 } };
        unsigned density = round % 7, c, prev = 0, visits = 0;
        bool first = true;
        for (unsigned b = 0; b < NR_CPUS; b++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            if (x % 8 < density)
                cpumask_set(&m, b);
        }
        if (cpumask_weight(&m) != ref_weight(&m))
            bad++;
        for (unsigned s = 0; s <= NR_CPUS; s++)
            if (cpumask_next(&m, s) != ref_next(&m, s))
                bad++;
        for_each_cpu(c, &m) {
            if (!cpumask_test(&m, c) || (!first && c <= prev))
                bad++;
            first = false;
            prev = c;
            visits++;
        }
        if (visits != ref_weight(&m))
            bad++;
    }
    CHECK_EQ(bad, 0);
}

static const struct unit_case cases[] = {
    { "empty mask, word edges, last pCPU, full word", test_edges },
    { "for_each_cpu sees the body's changes", test_body_changes_mask },
    { "2000 random masks: next, weight, walk vs bit-by-bit", test_random },
};
UNIT_MAIN(cases)
