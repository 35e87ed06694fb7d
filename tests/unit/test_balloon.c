/* Host tests of the balloon's arithmetic (guest/balloon_calc.c): KiB to pages, the
 * plan toward a target, xl's sizes, autoballoon's amount, and a driver's accounting
 * over a run of targets (the pages it holds plus the reservation always add up, and
 * coming back to the first target restores the first reservation). */
#include "unit.h"
#include <hvlab/errno.h>
#include <balloon.h>

static void test_kib_to_pages(void)
{
    static const struct { const char *name; uint64_t kib, pages; } cases[] = {
        { "zero", 0, 0 }, { "one KiB rounds up", 1, 1 }, { "one page", 4, 1 },
        { "a page and a bit", 5, 2 }, { "8 MiB", 8192, 2048 },
        { "16 MiB", 16384, 4096 },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint64_t got = balloon_kib_to_pages(cases[i].kib);
        if (got != cases[i].pages)
            printf("  case %s:\n", cases[i].name);
        CHECK_EQ(got, cases[i].pages);
    }
}

static void test_plan(void)
{
    static const struct {
        const char *name;
        uint64_t cur, target, free, reserve, out;
        int64_t want;
    } cases[] = {
        { "at the target", 4096, 4096, 3000, 64, 0, 0 },
        { "down by half", 4096, 2048, 3000, 64, 0, -2048 },
        { "down, bounded by the reserve", 4096, 1024, 2000, 64, 0, -1936 },
        { "free below the reserve: nothing", 4096, 1024, 50, 64, 0, 0 },
        { "free at the reserve: nothing", 4096, 1024, 64, 64, 0, 0 },
        { "up by what was given", 2048, 4096, 100, 64, 2048, 2048 },
        { "up, bounded by what was given", 2048, 8192, 100, 64, 2048, 2048 },
        { "up with nothing given: nothing", 4096, 8192, 100, 64, 0, 0 },
        { "partly up", 2048, 3072, 100, 64, 2048, 1024 },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int64_t got = balloon_plan(cases[i].cur, cases[i].target, cases[i].free,
                                   cases[i].reserve, cases[i].out);
        if (got != cases[i].want)
            printf("  case %s:\n", cases[i].name);
        CHECK_EQ(got, cases[i].want);
    }
}

static void test_parse(void)
{
    static const struct { const char *s; int rc; uint64_t kib; } cases[] = {
        { "8192", 0, 8192 }, { "8192k", 0, 8192 }, { "8K", 0, 8 }, { "8m", 0, 8192 },
        { "2G", 0, 2097152 }, { "4096b", 0, 4 }, { "4097b", 0, 5 }, { "1b", 0, 1 },
        { "0", -EINVAL, 0 }, { "0m", -EINVAL, 0 }, { "", -EINVAL, 0 },
        { "m", -EINVAL, 0 }, { "8q", -EINVAL, 0 }, { "8mb", -EINVAL, 0 },
        { "-8", -EINVAL, 0 }, { "99999999999999999999", -EINVAL, 0 },
        { "18014398509481984g", -EINVAL, 0 },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint64_t kib = 0;
        int rc = balloon_parse_kib(cases[i].s, &kib);
        if (rc != cases[i].rc || (rc == 0 && kib != cases[i].kib))
            printf("  case \"%s\":\n", cases[i].s);
        CHECK_EQ(rc, cases[i].rc);
        if (rc == 0)
            CHECK_EQ(kib, cases[i].kib);
    }
    CHECK_EQ(balloon_parse_kib(NULL, NULL), -EINVAL);
}

static void test_dom0_give(void)
{
    static const struct {
        const char *name;
        uint64_t free, need, dom0, min;
        int64_t want;
    } cases[] = {
        { "enough free", 5000, 4000, 16384, 4096, 0 },
        { "exactly enough", 4000, 4000, 16384, 4096, 0 },
        { "short by 1000", 3000, 4000, 16384, 4096, 1000 },
        { "down to the minimum exactly", 0, 12288, 16384, 4096, 12288 },
        { "below the minimum", 0, 12289, 16384, 4096, -ENOMEM },
        { "dom0 below its minimum already", 0, 1, 4000, 4096, -ENOMEM },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int64_t got = balloon_dom0_give(cases[i].free, cases[i].need, cases[i].dom0,
                                        cases[i].min);
        if (got != cases[i].want)
            printf("  case %s:\n", cases[i].name);
        CHECK_EQ(got, cases[i].want);
    }
}

/* A driver's accounting over targets (KiB): the reservation plus the pages out is
 * always the first reservation, the allocator's free pages never go below the
 * reserve by the balloon's doing, and the first target restores everything. */
static void test_accounting(void)
{
    const uint64_t start = 4096, image = 300, reserve = 64;
    const uint64_t targets[] = { 16384, 8192, 4096, 1024, 12288, 20480, 16384, 2048,
                                 16384 };
    uint64_t cur = start, out = 0, free = start - image;

    for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
        int64_t d = balloon_plan(cur, balloon_kib_to_pages(targets[i]), free, reserve, out);
        cur += (uint64_t)d;             /* a negative d wraps back: unsigned arithmetic */
        out -= (uint64_t)d;
        free += (uint64_t)d;
        CHECK_EQ(cur + out, start);
        CHECK(free >= reserve);
        CHECK(cur <= start);
        if (balloon_kib_to_pages(targets[i]) >= image + reserve &&
            balloon_kib_to_pages(targets[i]) <= start)
            CHECK_EQ(cur, balloon_kib_to_pages(targets[i]));
    }
    CHECK_EQ(cur, start);
    CHECK_EQ(out, 0);
    CHECK_EQ(free, start - image);
}

static const struct unit_case cases[] = {
    { "kib_to_pages", test_kib_to_pages },
    { "plan", test_plan },
    { "parse_kib", test_parse },
    { "dom0_give", test_dom0_give },
    { "accounting over targets", test_accounting },
};

UNIT_MAIN(cases)
