/* Host tests of the memory policies (mm/policy*.c, the files the hypervisor links)
 * through the allocation path they serve (mm/domain_mem.c) on a fake machine of four
 * nodes of 64 frames each: bind never leaves its set and refuses when it is full;
 * interleave is even to within one frame per node; first-touch picks the toucher's
 * node; auto chooses the emptiest feasible node; bad input is refused with the key
 * and the numbers, the domain keeping its old policy. */
#define _GNU_SOURCE
#include <hvlab/domain.h>
#include <hvlab/errno.h>
#include <hvlab/mm.h>
#include <hvlab/mm_policy.h>

#include "fake_machine.h"
#include "unit.h"

#define NODES       4
#define NODE_FRAMES 64

static paddr_t base;
static struct topology t;
static struct domain dom, other;
static char why[200];

/* Distances: a line 0 - 1 - 2 - 3 (10 per hop beyond local). */
static uint8_t line_distance(unsigned n, unsigned m)
{
    return (uint8_t)(10 + 10 * (n > m ? n - m : m - n));
}

static bool setup(void)
{
    if (!(base = fake_numa_machine(&t, NODES, NODE_FRAMES, line_distance))) {
        CHECK(!"arena");
        return false;
    }
    fake_domain_init(&dom, 1, false, NODES * NODE_FRAMES);
    fake_domain_init(&other, 2, false, NODES * NODE_FRAMES);
    fake_this_node = 0;
    for (unsigned n = 0; n < MAX_NUMNODES; n++) {
        fake_node_cpus[n] = n < NODES ? 2 : 0;
        fake_node_vcpus[n] = 0;
    }
    return true;
}

static int set_policy(struct domain *d, const char *name, uint32_t nodes, unsigned gran,
                      unsigned long need, struct domctl_memory_policy *io)
{
    memset(io, 0, sizeof(*io));
    snprintf(io->name, sizeof(io->name), "%s", name);
    io->nodes = nodes;
    io->gran_order = gran;
    io->need_pages = need;
    return mm_policy_set(d, io, why, sizeof(why));
}

/* n frames for d on the node it asks for (NUMA_NO_NODE: none); how many it got. */
static unsigned alloc_n(struct domain *d, unsigned n, unsigned asked)
{
    unsigned got = 0;

    while (got < n && domain_alloc_frame(d, asked, 0))
        got++;
    return got;
}

/* Fills node `node` for `other` until only `leave` frames stay free there. */
static void fill_node(unsigned node, unsigned long leave)
{
    while (frames_free(node) > leave)
        CHECK(domain_alloc_frame(&other, node, MEMF_EXACT_NODE) != NULL);
}

/* ---- bind ---- */

static void test_bind_never_leaves_its_set(void)
{
    static const unsigned asks[] = { NUMA_NO_NODE, 0, 3, 1, 2 };
    struct domctl_memory_policy io;

    if (!setup())
        return;
    CHECK_EQ(set_policy(&dom, "bind", 0x6, 0, 16, &io), 0);
    CHECK_EQ(dom.home_node, 1);                 /* the set's lowest node */
    /* Whatever the caller asks for, including nodes outside the set, until full. */
    for (unsigned i = 0; dom.tot_pages < 2 * NODE_FRAMES; i++)
        if (!domain_alloc_frame(&dom, asks[i % 5], 0))
            break;
    CHECK_EQ(dom.tot_pages, 2 * NODE_FRAMES);
    CHECK_EQ(dom.node_pages[0], 0);
    CHECK_EQ(dom.node_pages[3], 0);
    CHECK_EQ(dom.node_pages[1] + dom.node_pages[2], 2 * NODE_FRAMES);
    /* Full: refused, though nodes 0 and 3 are empty. */
    CHECK(domain_alloc_frame(&dom, NUMA_NO_NODE, 0) == NULL);
    CHECK(domain_alloc_frame(&dom, 0, MEMF_EXACT_NODE) == NULL);
    CHECK_EQ(frames_free(0), NODE_FRAMES);
    CHECK_EQ(frames_free(3), NODE_FRAMES);
}

static void test_bind_prefers_the_asked_node_in_its_set(void)
{
    struct domctl_memory_policy io;

    if (!setup())
        return;
    CHECK_EQ(set_policy(&dom, "bind", 0x6, 0, 8, &io), 0);
    CHECK_EQ(alloc_n(&dom, 5, 2), 5);
    CHECK_EQ(dom.node_pages[2], 5);
    CHECK_EQ(alloc_n(&dom, 3, NUMA_NO_NODE), 3);  /* the home: node 1 */
    CHECK_EQ(dom.node_pages[1], 3);
}

static void test_bind_refuses_a_small_set(void)
{
    struct domctl_memory_policy io;

    if (!setup())
        return;
    fill_node(1, 10);
    CHECK_EQ(set_policy(&dom, "bind", 0x2, 0, 40, &io), -ENOMEM);
    CHECK_EQ(io.free_pages, 10);
    CHECK(strstr(why, "40 frames needed, 10 free") != NULL);
    if (!strstr(why, "40 frames needed, 10 free"))
        printf("  why: %s\n", why);
    CHECK(dom.mm_policy == NULL);               /* kept its old (default) policy */
    CHECK_STREQ(mm_policy_of(&dom)->name, "local");
    CHECK_EQ(dom.home_node, NUMA_NO_NODE);
}

/* ---- a request pinned by a vNUMA layout (vnuma_pin_request) ---- */

/* The vnode's node wins over every policy, even a bind set without it; unpinned
 * requests of the same domain still follow the policy. */
static void test_pinned_overrides_the_policy(void)
{
    static const struct { const char *policy; uint32_t nodes; unsigned pin; } t[] = {
        { "bind", 0x6, 3 }, { "interleave", 0x3, 2 }, { "first-touch", 0, 1 },
        { "local", 0, 0 },
    };
    struct domctl_memory_policy io;

    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        struct mm_request r = {
            .reason = MM_REASON_BUILD, .asked = t[i].pin, .exact = true, .pinned = true,
            .toucher = 2, .index = 0,
        };
        unsigned got[4] = { 0 };

        if (!setup())
            return;
        fake_this_node = 2;
        CHECK_EQ(set_policy(&dom, t[i].policy, t[i].nodes, 0, 8, &io), 0);
        for (unsigned n = 0; n < 4; n++) {
            struct page_info *pg = domain_alloc_frame_for(&dom, &r, 0);
            r.index++;
            if (pg)
                got[pg->node]++;
        }
        if (got[t[i].pin] != 4) {
            printf("  %s: 4 pinned frames, %u on node %u (expected all)\n", t[i].policy,
                   got[t[i].pin], t[i].pin);
            unit_failed_checks++;
        }
    }
    /* The last policy (local, home from the toucher) still places an unpinned frame. */
    CHECK(domain_alloc_frame(&dom, 1, MEMF_EXACT_NODE) != NULL);
    CHECK_EQ(dom.node_pages[1], 1);
}

/* ---- interleave ---- */

static void test_interleave_even(void)
{
    static const struct { const char *name; uint32_t set; unsigned frames; } cases[] = {
        { "all four, 10 frames", 0xf, 10 },
        { "0,1,3, 11 frames", 0xb, 11 },
        { "1,2, 63 frames", 0x6, 63 },
        { "one node", 0x4, 7 },
    };

    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        struct domctl_memory_policy io;
        unsigned long lo = ~0UL, hi = 0;

        if (!setup())
            return;
        CHECK_EQ(set_policy(&dom, "interleave", cases[c].set, MM_GRAN_4K, 0, &io), 0);
        CHECK_EQ(alloc_n(&dom, cases[c].frames, NUMA_NO_NODE), cases[c].frames);
        for (unsigned n = 0; n < NODES; n++) {
            if (!(cases[c].set & (1u << n))) {
                if (dom.node_pages[n])
                    printf("  %s: %lu frames on node %u, outside the set\n", cases[c].name,
                           dom.node_pages[n], n);
                CHECK_EQ(dom.node_pages[n], 0);
                continue;
            }
            lo = dom.node_pages[n] < lo ? dom.node_pages[n] : lo;
            hi = dom.node_pages[n] > hi ? dom.node_pages[n] : hi;
        }
        if (hi - lo > 1)
            printf("  %s: per-node counts from %lu to %lu\n", cases[c].name, lo, hi);
        CHECK(hi - lo <= 1);
    }
}

static void test_interleave_2m_stripes(void)
{
    struct domctl_memory_policy io;

    if (!setup())
        return;
    /* A stripe is 512 frames: all 64 of a small domain stay in the first one. */
    CHECK_EQ(set_policy(&dom, "interleave", 0xc, MM_GRAN_2M, 0, &io), 0);
    CHECK_EQ(alloc_n(&dom, 60, NUMA_NO_NODE), 60);
    CHECK_EQ(dom.node_pages[2], 60);
    CHECK_EQ(dom.node_pages[3], 0);
}

/* ---- first-touch ---- */

static void test_first_touch_picks_the_toucher(void)
{
    static const struct { unsigned toucher, frames, want_node; } cases[] = {
        { 2, 3, 2 }, { 0, 1, 0 }, { 3, 4, 3 }, { 1, 2, 1 },
    };
    struct domctl_memory_policy io;

    if (!setup())
        return;
    CHECK_EQ(set_policy(&dom, "first-touch", 0, 0, 0, &io), 0);
    CHECK(mm_policy_of(&dom)->lazy_hvm);
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        unsigned long before = dom.node_pages[cases[c].want_node];

        fake_this_node = cases[c].toucher;
        CHECK_EQ(alloc_n(&dom, cases[c].frames, NUMA_NO_NODE), cases[c].frames);
        CHECK_EQ(dom.node_pages[cases[c].want_node] - before, cases[c].frames);
    }
    /* The toucher's node full: the nearest (node 2 for node 3). */
    fill_node(3, 0);
    fake_this_node = 3;
    unsigned long before2 = dom.node_pages[2];
    CHECK_EQ(alloc_n(&dom, 1, NUMA_NO_NODE), 1);
    CHECK_EQ(dom.node_pages[2] - before2, 1);
}

/* ---- auto ---- */

static void test_auto_emptiest_feasible(void)
{
    static const struct {
        const char *name;
        unsigned long leave[NODES];         /* free frames left on each node */
        unsigned vcpus[NODES];              /* vCPUs already homed there */
        uint32_t cand;
        unsigned long need;
        unsigned want;                      /* home node; NODES: -ENOMEM */
    } cases[] = {
        { "most free",               { 20, 50, 30, 40 }, { 0, 0, 0, 0 }, 0, 10, 1 },
        { "least loaded first",      { 20, 50, 30, 40 }, { 0, 4, 0, 0 }, 0, 10, 3 },
        { "infeasible skipped",      { 64, 10, 10, 10 }, { 8, 0, 0, 0 }, 0, 30, 0 },
        { "ties: lowest index",      { 40, 40, 40, 40 }, { 2, 2, 2, 2 }, 0, 10, 0 },
        { "within the candidates",   { 20, 60, 30, 40 }, { 0, 0, 0, 0 }, 0x5, 10, 2 },
        { "two nodes when none fits", { 30, 40, 20, 10 }, { 0, 0, 0, 0 }, 0, 60, 1 },
        { "too little anywhere",     { 5, 5, 5, 5 },     { 0, 0, 0, 0 }, 0, 30, NODES },
    };

    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        struct domctl_memory_policy io;
        int rc;

        if (!setup())
            return;
        for (unsigned n = 0; n < NODES; n++) {
            fill_node(n, cases[c].leave[n]);
            fake_node_vcpus[n] = cases[c].vcpus[n];
        }
        rc = set_policy(&dom, "auto", cases[c].cand, 0, cases[c].need, &io);
        if (cases[c].want == NODES) {
            CHECK_EQ(rc, -ENOMEM);
            CHECK(strstr(why, "30 frames needed, 20 free") != NULL);
            continue;
        }
        if (rc != 0 || dom.home_node != cases[c].want)
            printf("  %s: rc %d, home %u, wanted %u (%s)\n", cases[c].name, rc,
                   dom.home_node, cases[c].want, why);
        CHECK_EQ(rc, 0);
        CHECK_EQ(dom.home_node, cases[c].want);
        CHECK_EQ(io.home_node, cases[c].want);
        /* Its frames come from the home first. */
        CHECK_EQ(alloc_n(&dom, 5, NUMA_NO_NODE), 5);
        CHECK_EQ(dom.node_pages[cases[c].want], 5);
    }
}

/* ---- local ---- */

static void test_local_home_then_distance(void)
{
    struct domctl_memory_policy io;

    if (!setup())
        return;
    CHECK_EQ(set_policy(&dom, "local", 0x4, 0, 0, &io), 0);
    CHECK_EQ(dom.home_node, 2);
    fill_node(2, 3);
    CHECK_EQ(alloc_n(&dom, 4, NUMA_NO_NODE), 4);
    CHECK_EQ(dom.node_pages[2], 3);
    /* Nodes 1 and 3 are both 20 away: the lower index. */
    CHECK_EQ(dom.node_pages[1], 1);
}

/* ---- bad input ---- */

static void test_bad_input(void)
{
    static const struct {
        const char *name, *policy;
        uint32_t nodes;
        unsigned gran;
        int rc;
        const char *msg;
    } cases[] = {
        { "no such policy", "nearest", 0, 0, -ENOENT,
          "memory_policy 'nearest': no such policy (there are: " },
        { "node 5", "bind", 0x21, 0, -EINVAL,
          "nodes: node 5 does not exist (the machine has nodes 0-3)" },
        { "a set for first-touch", "first-touch", 0x1, 0, -EINVAL,
          "nodes: policy 'first-touch' takes no node set" },
        { "granularity", "interleave", 0, 4, -EINVAL,
          "memory_policy: granularity order 4, expected 0 (4K) or 9 (2M)" },
        { "a policy without place (mm_policy_broken.c)", "broken", 0, 0, -EINVAL,
          "memory_policy 'broken': refused, the policy has no place op" },
    };

    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        struct domctl_memory_policy io;
        int rc;

        if (!setup())
            return;
        rc = set_policy(&dom, cases[c].policy, cases[c].nodes, cases[c].gran, 0, &io);
        CHECK_EQ(rc, cases[c].rc);
        if (!strstr(why, cases[c].msg))
            printf("  %s: message \"%s\", wanted \"%s\"\n", cases[c].name, why, cases[c].msg);
        CHECK(strstr(why, cases[c].msg) != NULL);
        CHECK(dom.mm_policy == NULL);
        CHECK(mm_policy_find("broken") == NULL);
        if (cases[c].rc == -ENOENT)
            CHECK(strstr(why, "broken") == NULL);   /* never offered */
        if (cases[c].nodes & 0x20)
            CHECK_EQ(io.bad_node, 5);
    }
}

static const struct unit_case cases[] = {
    { "bind never leaves its set, refuses when full", test_bind_never_leaves_its_set },
    { "bind prefers the asked node inside its set", test_bind_prefers_the_asked_node_in_its_set },
    { "bind refuses a set without the free memory", test_bind_refuses_a_small_set },
    { "a vNUMA-pinned request overrides the policy", test_pinned_overrides_the_policy },
    { "interleave even within one frame per node", test_interleave_even },
    { "interleave 2 MiB stripes", test_interleave_2m_stripes },
    { "first-touch picks the toucher's node", test_first_touch_picks_the_toucher },
    { "auto chooses the emptiest feasible node", test_auto_emptiest_feasible },
    { "local: home, then by distance", test_local_home_then_distance },
    { "bad input refused with key and numbers", test_bad_input },
};
UNIT_MAIN(cases)
