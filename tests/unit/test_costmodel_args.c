/* The cost-model plugin's arguments (tools/costmodel/args.c): a full set parses; every
 * bad one is refused, the message naming the argument and the problem. */
#include "unit.h"

#include "../../tools/costmodel/args.h"

#include <stdlib.h>
#include <string.h>

static int parse(struct cm_config *c, char *err, const char *const *args)
{
    char *argv[16];
    int argc = 0;
    while (args[argc]) {
        argv[argc] = (char *)args[argc];
        argc++;
    }
    return cm_args_parse(c, argc, argv, err, 256);
}

static void test_full(void)
{
    static const char *const a[] = {
        "out=c.json", "hint=0xffffffff80200000", "stubs=0x1000",
        "tlb0=amd-zen4:64:64:72:72:3072:12", "tlb1=intel-spr:256:8:96:6:2048:16",
        "guest2m=0x40000000", "node0=0x0-0x8000000", "node1=0x8000000-0x10000000",
        "cpunodes=0.1", "slit=10.21.21.10", NULL };
    struct cm_config c;
    char err[256] = "";
    CHECK_EQ(parse(&c, err, a), 0);
    CHECK_STREQ(err, "");
    CHECK_STREQ(c.out_path, "c.json");
    CHECK(c.hint_set && c.hint_base == 0xffffffff80200000ull);
    CHECK_EQ(c.nr_geoms, 2);
    CHECK_STREQ(c.geoms[1].name, "intel-spr");
    CHECK_EQ(c.geoms[0].g.l2_entries, 3072);
    CHECK_EQ(c.geoms[1].g.l1d_ways, 6);
    CHECK_EQ(c.guest2m_end, 0x40000000);
    CHECK(c.numa_set);
    CHECK_EQ(c.cpu_node[1], 1);
    CHECK_EQ(c.slit[0][1], 21);
    CHECK_EQ(c.node_mem[1].start, 0x8000000);
    free(c.out_path);
}

static void test_defaults(void)
{
    static const char *const a[] = { "out=x", NULL };
    struct cm_config c;
    char err[256];
    CHECK_EQ(parse(&c, err, a), 0);
    CHECK_EQ(c.nr_geoms, 0);
    CHECK(!c.numa_set);
    CHECK_EQ(c.guest2m_end, 1ull << 32);
    free(c.out_path);
}

struct bad { const char *arg, *arg2, *want; };

static void test_refused(void)
{
    static const struct bad cases[] = {
        { "tlb0=zen", NULL, "tlb0=zen: want NAME:" },
        { "tlb0=zen:1:1:1:1:1", NULL, "want 6 numbers after the name, got 5" },
        { "tlb0=zen:1:1:1:1:5:2", NULL, "entries not a multiple of ways" },
        { "tlb0=zen:0:1:1:1:1:1", NULL, "zero entries or ways" },
        { "tlb0=zen:1:1:1:1:1:1x", NULL, "trailing 'x'" },
        { "tlb0=zen:1:1:1:1:1:1", "tlb1=zen:1:1:1:1:1:1", "given twice" },
        { "hint=0xzz", NULL, "hint=0xzz: bad address" },
        { "node9=0-1", NULL, "N < 8" },
        { "node0=5-5", NULL, "START < END" },
        { "node0=0-10", "node1=5-20", "overlaps node0" },
        { "cpunodes=0.9", NULL, "numbers <= 7" },
        { "slit=10.20.20", NULL, "3 entries is not a square matrix" },
        { "slit=10.5.5.10", NULL, "distance 5 < 10" },
        { "node0=0-10", "cpunodes=0", "NUMA needs nodeN=, cpunodes= and slit= together" },
        { "bogus=1", NULL, "unknown argument 'bogus=1'" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *a[] = { "out=x", cases[i].arg, cases[i].arg2, NULL };
        struct cm_config c;
        char err[256] = "";
        int rc = parse(&c, err, a);
        if (rc != -1 || !strstr(err, cases[i].want))
            printf("  case %zu (%s): rc %d, message \"%s\", want \"%s\"\n", i, cases[i].arg,
                   rc, err, cases[i].want);
        CHECK_EQ(rc, -1);
        CHECK(strstr(err, cases[i].want) != NULL);
        free(c.out_path);
    }
    static const char *const none[] = { "hint=0x1", NULL };
    struct cm_config c;
    char err[256] = "";
    CHECK_EQ(parse(&c, err, none), -1);
    CHECK(strstr(err, "out=FILE is required") != NULL);
}

static const struct unit_case cases[] = {
    { "a full set of arguments", test_full },
    { "defaults: no TLB model, no NUMA, 4 GiB identity map", test_defaults },
    { "bad arguments refused, naming argument and problem", test_refused },
};

UNIT_MAIN(cases)
