/* Host tests of ASID generations: a vCPU keeps its ASID while nothing changes, a
 * new generation flushes once and renumbers everyone, a move between pCPUs flushes,
 * a dropped ASID (gen 0) is renewed without a flush, and no number is handed out
 * twice within a generation. */
#include <hvlab/x86/svm_asid.h>

#include "unit.h"

struct v { uint32_t asid; uint64_t gen; unsigned cpu; };

static bool get(struct svm_asid_pool *p, struct v *v)
{
    return svm_asid_get(p, &v->asid, &v->gen, &v->cpu);
}

static void test_first_run_flushes_then_keeps(void)
{
    struct svm_asid_pool p;
    struct v a = { 0, 0, ~0u };
    svm_asid_pool_init(&p, 0, 16);
    CHECK(get(&p, &a));                 /* first run: as if from another pCPU */
    CHECK_EQ(a.asid, 1);
    CHECK_EQ(a.cpu, 0);
    CHECK(!get(&p, &a));
    CHECK_EQ(a.asid, 1);
}

static void test_rollover_flushes_once(void)
{
    struct svm_asid_pool p;
    struct v vs[4] = { { 0, 0, ~0u }, { 0, 0, ~0u }, { 0, 0, ~0u }, { 0, 0, ~0u } };
    svm_asid_pool_init(&p, 2, 4);       /* ASIDs 1..3 */
    for (int i = 0; i < 3; i++)
        get(&p, &vs[i]);
    CHECK_EQ(vs[2].asid, 3);
    CHECK_EQ(p.gen, 1);
    CHECK(get(&p, &vs[3]));             /* the fourth: a new generation, a flush */
    CHECK_EQ(vs[3].asid, 1);
    CHECK_EQ(p.gen, 2);
    CHECK(!get(&p, &vs[0]));            /* old generation: renumbered, no second flush */
    CHECK_EQ(vs[0].asid, 2);
    CHECK_EQ(vs[0].gen, 2);
    CHECK(!get(&p, &vs[3]));
    CHECK_EQ(vs[3].asid, 1);
}

static void test_move_flushes(void)
{
    struct svm_asid_pool p0, p1;
    struct v a = { 0, 0, ~0u };
    svm_asid_pool_init(&p0, 0, 16);
    svm_asid_pool_init(&p1, 1, 16);
    get(&p0, &a);
    CHECK(get(&p1, &a));                /* arrives on pCPU 1 */
    CHECK_EQ(a.cpu, 1);
    CHECK(!get(&p1, &a));
    CHECK(get(&p0, &a));                /* and back: flushes again */
}

static void test_dropped_asid_renewed(void)
{
    struct svm_asid_pool p;
    struct v a = { 0, 0, ~0u };
    svm_asid_pool_init(&p, 0, 16);
    get(&p, &a);
    uint32_t old = a.asid;
    a.gen = 0;                          /* its nested mappings changed */
    CHECK(!get(&p, &a));
    CHECK(a.asid != old);
}

static void test_no_reuse_within_generation(void)
{
    struct svm_asid_pool p;
    struct v vs[40];
    bool used[64] = { false };
    svm_asid_pool_init(&p, 0, 64);
    for (int i = 0; i < 40; i++) {
        vs[i] = (struct v){ 0, 0, ~0u };
        get(&p, &vs[i]);
        CHECK(vs[i].asid > 0 && vs[i].asid < 64);
        CHECK(!used[vs[i].asid]);
        used[vs[i].asid] = true;
        CHECK_EQ(vs[i].gen, 1);
    }
}

static const struct unit_case cases[] = {
    { "first run flushes, then the ASID is kept", test_first_run_flushes_then_keeps },
    { "a new generation flushes once and renumbers", test_rollover_flushes_once },
    { "a move between pCPUs flushes", test_move_flushes },
    { "a dropped ASID is renewed", test_dropped_asid_renewed },
    { "no ASID twice within a generation", test_no_reuse_within_generation },
};
UNIT_MAIN(cases)
