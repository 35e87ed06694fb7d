/* Virtual NUMA (docs/vnuma.md) on the host: the layout rules the hypervisor and dom0
 * share (core/lib/vnuma_layout.c) as a table of named cases, each refusal's reason;
 * the vnuma cfg key (dom0/xlcfg_vnuma.c): entries, defaults and every error with its
 * file:line; and the whole path to the guest: a cfg file's layout, through
 * hvmbuild_numa_from_vnuma, built into ACPI tables and parsed back with the
 * hypervisor's own parser (core/acpi_parse.c), matching the file vnode by vnode. */
#include "unit.h"

#include <hvlab/acpi.h>
#include <hvlab/errno.h>
#include <hvlab/hvmbuild.h>
#include <hvlab/vnuma.h>
#include "xlcfg.h"

#define XLCFG_FIXTURE_FILE "vn.cfg"
#include "xlcfg_fixture.h"

/* ---- the layout rules ---- */

/* Two vnodes of 8 and 4 pages, vCPUs 0,2 | 1, on nodes 1 and 0, distance 20. */
static struct vnuma_layout base(void)
{
    struct vnuma_layout l = {
        .nr_vnodes = 2, .nr_vcpus = 3, .pages = { 8, 4 }, .pnode = { 1, 0 },
        .vcpu_to_vnode = { 0, 1, 0 },
        .distance = { { 10, 20 }, { 20, 10 } },
    };
    return l;
}

struct layout_case {
    const char *name;
    void (*mutate)(struct vnuma_layout *l);
    const char *why;                    /* NULL: accepted */
};

static void m_none(struct vnuma_layout *l) { (void)l; }
static void m_no_vnodes(struct vnuma_layout *l) { l->nr_vnodes = 0; }
static void m_nine_vnodes(struct vnuma_layout *l) { l->nr_vnodes = 9; }
static void m_vcpus_count(struct vnuma_layout *l) { l->nr_vcpus = 2; }
static void m_vcpu_range(struct vnuma_layout *l) { l->vcpu_to_vnode[2] = 2; }
static void m_vnode_no_vcpu(struct vnuma_layout *l) { l->vcpu_to_vnode[1] = 0; }
static void m_no_pages(struct vnuma_layout *l) { l->pages[1] = 0; l->pages[0] = 12; }
static void m_too_few(struct vnuma_layout *l) { l->pages[1] = 3; }
static void m_too_many(struct vnuma_layout *l) { l->pages[1] = 5; }
static void m_overflow(struct vnuma_layout *l) { l->pages[1] = ~0ULL - 2; }
static void m_pnode(struct vnuma_layout *l) { l->pnode[0] = 4; }
static void m_diag(struct vnuma_layout *l) { l->distance[1][1] = 11; }
static void m_low(struct vnuma_layout *l) { l->distance[0][1] = l->distance[1][0] = 9; }
static void m_high(struct vnuma_layout *l) { l->distance[0][1] = l->distance[1][0] = 255; }
static void m_asym(struct vnuma_layout *l) { l->distance[1][0] = 30; }
static void m_equal(struct vnuma_layout *l) { l->distance[0][1] = l->distance[1][0] = 10; }

static const struct layout_case layout_cases[] = {
    { "valid", m_none, NULL },
    { "remote_distance_10_allowed", m_equal, NULL },
    { "no_vnodes", m_no_vnodes, "0 vnodes, must be 1..8" },
    { "nine_vnodes", m_nine_vnodes, "9 vnodes, must be 1..8" },
    { "vcpu_count", m_vcpus_count, "the layout maps 2 vCPUs, the domain has 3" },
    { "vcpu_vnode_range", m_vcpu_range, "vCPU 2: vnode 2, there are 2 vnodes" },
    { "vnode_without_vcpu", m_vnode_no_vcpu, "vnode 1: no vCPU" },
    { "vnode_without_memory", m_no_pages, "vnode 1: no memory" },
    { "memory_short", m_too_few, "the vnodes hold 11 pages, the domain has 12" },
    { "memory_over", m_too_many, "vnodes 0-1 hold more than the domain's 12 pages" },
    { "memory_overflow", m_overflow, "vnodes 0-1 hold more than the domain's 12 pages" },
    { "pnode_missing", m_pnode, "vnode 0: physical node 4, the machine has 4 (0-3)" },
    { "diagonal_not_10", m_diag, "vnode 1: distance to itself is 11, must be 10" },
    { "distance_below_10", m_low, "vnode 0: distance to vnode 1 is 9, must be 10..254" },
    { "distance_unreachable", m_high, "vnode 0: distance to vnode 1 is 255, must be 10..254" },
    { "asymmetric", m_asym, "vnode 0: distance to vnode 1 is 20, back is 30" },
};

static void layout_rules(void)
{
    for (size_t i = 0; i < ARRAY_SIZE(layout_cases); i++) {
        const struct layout_case *c = &layout_cases[i];
        struct vnuma_layout l = base();
        char why[128] = "";
        int rc;

        c->mutate(&l);
        rc = vnuma_layout_check(&l, 3, 12, 4, why, sizeof(why));
        if ((rc == 0) != (c->why == NULL) || (c->why && strcmp(why, c->why) != 0)) {
            printf("  case %s: rc %d why \"%s\", expected \"%s\"\n", c->name, rc, why,
                   c->why ? c->why : "(accepted)");
            unit_failed_checks++;
        }
    }
}

static void layout_arithmetic(void)
{
    struct vnuma_layout l = base();

    CHECK_EQ(vnuma_layout_start(&l, 0), 0);
    CHECK_EQ(vnuma_layout_start(&l, 1), 8);
    CHECK_EQ(vnuma_layout_start(&l, 2), 12);
    CHECK_EQ(vnuma_layout_vnode_of(&l, 0), 0);
    CHECK_EQ(vnuma_layout_vnode_of(&l, 7), 0);
    CHECK_EQ(vnuma_layout_vnode_of(&l, 8), 1);
    CHECK_EQ(vnuma_layout_vnode_of(&l, 11), 1);
    CHECK_EQ(vnuma_layout_vnode_of(&l, 12), 2);     /* past the end: nr_vnodes */
}

/* ---- the cfg key ---- */

#define BASE "name = \"v\"\nkernel = \"k.elf\"\nmemory = 24\nvcpus = 4\n"

static const struct cpu_topo machine4 = { 8, 4, { 0, 0, 1, 1, 2, 2, 3, 3 } };

static void cfg_entries(void)
{
    struct vnuma_layout l;
    char why[128];

    CHECK_EQ(parse(BASE "vnuma = [ 'pnode=3, size=8, vcpus=0,2, vdistances=10,20,30',\n"
                   "  ' size = 8 , vcpus=1 , vdistances=20,10,25',\n"
                   "  'vcpus=3, size=8, vdistances=30, 25, 10' ]\n"), 0);
    CHECK_EQ(cfg.vnuma.nr, 3);
    CHECK_EQ(cfg.vnuma.line, 5);
    CHECK_EQ(cfg.vnuma.v[0].pnode, 3);
    CHECK_EQ(cfg.vnuma.v[1].pnode, -1);
    CHECK_EQ(cfg.vnuma.v[0].vcpus, 0x5);
    CHECK_EQ(cfg.vnuma.v[2].vcpus, 0x8);
    CHECK_EQ(cfg.vnuma.v[2].nr_dist, 3);
    CHECK_EQ(cfg.vnuma.v[2].dist[1], 25);
    /* Defaults: vnode i on node i mod 4 with no home, on the home node with one. */
    CHECK_EQ(xlcfg_vnuma_layout(&cfg, &machine4, -1, &l, why, sizeof(why)), 0);
    CHECK_EQ(l.pnode[0], 3);
    CHECK_EQ(l.pnode[1], 1);
    CHECK_EQ(l.pnode[2], 2);
    CHECK_EQ(l.pages[1], 2048);
    CHECK_EQ(l.vcpu_to_vnode[2], 0);
    CHECK_EQ(l.vcpu_to_vnode[3], 2);
    CHECK_EQ(l.distance[2][0], 30);
    CHECK_EQ(xlcfg_vnuma_layout(&cfg, &machine4, 2, &l, why, sizeof(why)), 0);
    CHECK_EQ(l.pnode[1], 2);
    /* No vdistances: 10 to itself, 20 to the others. */
    CHECK_EQ(parse(BASE "vnuma = [ 'size=12, vcpus=0-2', 'size=12, vcpus=3' ]\n"), 0);
    CHECK_EQ(xlcfg_vnuma_layout(&cfg, &machine4, -1, &l, why, sizeof(why)), 0);
    CHECK_EQ(l.distance[0][1], 20);
    CHECK_EQ(l.distance[1][1], 10);
    CHECK_EQ(cfg.vnuma.v[0].vcpus, 0x7);
    /* A node the machine lacks is caught at create, with the key's reason. */
    CHECK_EQ(parse(BASE "vnuma = [ 'size=12, vcpus=0-2', 'pnode=5, size=12, vcpus=3' ]\n"), 0);
    CHECK_EQ(xlcfg_vnuma_layout(&cfg, &machine4, -1, &l, why, sizeof(why)), -EINVAL);
    CHECK_STREQ(why, "vnode 1: physical node 5, the machine has 4 (0-3)");
}

/* With `nodes`, a vnode without pnode goes on the set's nodes in turn; the affinity's
 * node wins only when it is in the set. */
static void cfg_defaults_nodes(void)
{
    static const struct { const char *name, *nodes; int home; uint8_t want[3]; } t[] = {
        { "set_in_turn", "1,3", -1, { 1, 3, 1 } },
        { "home_in_set", "1,3", 3, { 3, 3, 3 } },
        { "home_outside_set", "1,3", 0, { 1, 3, 1 } },
        { "all", "all", -1, { 0, 1, 2 } },
        { "beyond_machine_ignored", "2,7", -1, { 2, 2, 2 } },
    };
    struct vnuma_layout l;
    char text[512], why[128];

    for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
        snprintf(text, sizeof(text), BASE "nodes = \"%s\"\nvnuma = [ 'size=8, vcpus=0', "
                 "'size=8, vcpus=1', 'size=8, vcpus=2-3' ]\n", t[i].nodes);
        CHECK_EQ(parse(text), 0);
        CHECK_EQ(xlcfg_vnuma_layout(&cfg, &machine4, t[i].home, &l, why, sizeof(why)), 0);
        for (unsigned v = 0; v < 3; v++) {
            if (l.pnode[v] != t[i].want[v]) {
                printf("  case %s: vnode %u on node %u, expected %u\n", t[i].name, v,
                       l.pnode[v], t[i].want[v]);
                unit_failed_checks++;
            }
        }
    }
}

struct cfg_case {
    const char *name;
    const char *text;                   /* after BASE */
    const char *msg;                    /* the first message */
};

static const struct cfg_case cfg_cases[] = {
    { "not_a_list", "vnuma = 'size=24, vcpus=0-3'\n",
      "vn.cfg:5: key 'vnuma': expected a list of strings, e.g. [ 'pnode=0, size=16, "
      "vcpus=0-1, vdistances=10,20', ... ]" },
    { "unknown_key", "vnuma = [ 'size=24, vcpus=0-3, cpus=1' ]\n",
      "vn.cfg:5: key 'vnuma': vnode 0: unknown key 'cpus' (expected pnode, size, vcpus or "
      "vdistances)" },
    { "size_missing", "vnuma = [ 'vcpus=0-3' ]\n",
      "vn.cfg:5: key 'vnuma': vnode 0: size (MiB) missing" },
    { "vcpus_missing", "vnuma = [ 'size=24' ]\n",
      "vn.cfg:5: key 'vnuma': vnode 0: vcpus missing" },
    { "range_reversed", "vnuma = [ 'size=24, vcpus=3-0' ]\n",
      "vn.cfg:5: key 'vnuma': vnode 0: vcpus \"3-0\": start above end" },
    { "vcpu_twice_in_entry", "vnuma = [ 'size=24, vcpus=0-3,2' ]\n",
      "vn.cfg:5: key 'vnuma': vnode 0: vcpus: vCPU 2 twice" },
    { "key_twice", "vnuma = [ 'size=20, size=4, vcpus=0-3' ]\n",
      "vn.cfg:5: key 'vnuma': vnode 0: size given twice" },
    { "bad_number", "vnuma = [ 'size=lots, vcpus=0-3' ]\n",
      "vn.cfg:5: key 'vnuma': vnode 0: size \"lots\": expected a number 0..1048576" },
    { "pnode_range", "vnuma = [ 'pnode=8, size=24, vcpus=0-3' ]\n",
      "vn.cfg:5: key 'vnuma': vnode 0: pnode \"8\": expected a number 0..7" },
    { "stray_comma", "vnuma = [ 'size=24,, vcpus=0-3' ]\n",
      "vn.cfg:5: key 'vnuma': vnode 0: empty item (a stray ',')" },
    { "sizes_short", "vnuma = [ 'size=8, vcpus=0-1', 'size=8, vcpus=2-3' ]\n",
      "vn.cfg:5: key 'vnuma': the vnodes' sizes add up to 16 MiB, memory is 24 MiB" },
    { "maxmem", "maxmem = 32\nvnuma = [ 'size=24, vcpus=0-3' ]\n",
      "vn.cfg:6: key 'vnuma': maxmem (32 MiB) must equal memory (24 MiB)" },
    { "vcpu_in_two", "vnuma = [ 'size=12, vcpus=0-2', 'size=12, vcpus=2-3' ]\n",
      "vn.cfg:5: key 'vnuma': vnode 1: vCPU 2 is in an earlier vnode too" },
    { "vcpu_in_none", "vnuma = [ 'size=12, vcpus=0-1', 'size=12, vcpus=3' ]\n",
      "vn.cfg:5: key 'vnuma': vCPU 2 is in no vnode (vcpus = 4)" },
    { "vcpu_not_in_domain", "vnuma = [ 'size=12, vcpus=0-3', 'size=12, vcpus=4' ]\n",
      "vn.cfg:5: key 'vnuma': vCPU 4 is in a vnode, the domain has 4 (vcpus)" },
    { "vdistances_count", "vnuma = [ 'size=12, vcpus=0-1, vdistances=10', "
      "'size=12, vcpus=2-3' ]\n",
      "vn.cfg:5: key 'vnuma': vnode 0: 1 vdistances for 2 vnodes" },
    { "vdistances_asym", "vnuma = [ 'size=12, vcpus=0-1, vdistances=10,20', "
      "'size=12, vcpus=2-3, vdistances=21,10' ]\n",
      "vn.cfg:5: key 'vnuma': vnode 0: distance to vnode 1 is 20, back is 21" },
    { "vdistances_diag", "vnuma = [ 'size=12, vcpus=0-1, vdistances=0,20', "
      "'size=12, vcpus=2-3, vdistances=20,10' ]\n",
      "vn.cfg:5: key 'vnuma': vnode 0: distance to itself is 0, must be 10" },
    { "pnode_outside_nodes", "nodes = \"0-1\"\nvnuma = [ 'size=12, vcpus=0-1', "
      "'pnode=3, size=12, vcpus=2-3' ]\n",
      "vn.cfg:6: key 'vnuma': vnode 1: physical node 3 is not in nodes (line 5)" },
    { "set_twice", "vnuma = [ 'size=24, vcpus=0-3' ]\nvnuma = [ 'size=24, vcpus=0-3' ]\n",
      "vn.cfg:6: key 'vnuma': set twice (first on line 5)" },
};

static void cfg_errors(void)
{
    char text[1024];

    for (size_t i = 0; i < ARRAY_SIZE(cfg_cases); i++) {
        const struct cfg_case *c = &cfg_cases[i];
        int n;

        snprintf(text, sizeof(text), "%s%s", BASE, c->text);
        n = parse(text);
        if (n == 0 || strcmp(msgs[0], c->msg) != 0) {
            printf("  case %s: %d errors, first \"%s\"\n    expected \"%s\"\n", c->name, n,
                   msgs[0], c->msg);
            unit_failed_checks++;
        }
    }
}

/* ---- cfg -> layout -> SRAT/SLIT -> the real parser ---- */

#define REGION_GPA HVMBUILD_ACPI_GPA
static uint8_t region[HVMBUILD_ACPI_MAX];

static const void *map(paddr_t pa, size_t len)
{
    if (pa < REGION_GPA || pa - REGION_GPA > sizeof(region) ||
        len > sizeof(region) - (pa - REGION_GPA))
        return NULL;
    return region + (pa - REGION_GPA);
}

/* The file's vnodes, by proximity domain, against what the parser read. */
static void check_parsed(const struct vnuma_layout *l, const struct topology *t)
{
    uint64_t start = 0;

    CHECK_EQ(t->nr_nodes, l->nr_vnodes);
    CHECK_EQ(t->nr_cpus, l->nr_vcpus);
    CHECK_EQ(t->nr_mem_ranges, l->nr_vnodes);
    for (unsigned i = 0; i < t->nr_cpus; i++) {
        CHECK_EQ(t->apic_id[i], i);
        CHECK_EQ(t->node_pxm[t->cpu_node[i]], l->vcpu_to_vnode[i]);
    }
    for (unsigned r = 0; r < t->nr_mem_ranges; r++) {
        unsigned v = t->node_pxm[t->mem[r].node];
        CHECK_EQ(v, r);                 /* ranges in vnode order */
        CHECK_EQ(t->mem[r].start, start);
        CHECK_EQ(t->mem[r].end, start + (l->pages[v] << 12));
        start += l->pages[v] << 12;
    }
    for (unsigned a = 0; a < t->nr_nodes; a++)
        for (unsigned b = 0; b < t->nr_nodes; b++)
            CHECK_EQ(t->distance[a][b], l->distance[t->node_pxm[a]][t->node_pxm[b]]);
}

static void round_trip(const char *vnuma, unsigned vcpus, uint64_t mib)
{
    static struct topology t;
    struct vnuma_layout l;
    struct hvmbuild_numa numa;
    struct hvmbuild_acpi_info info;
    char text[1024], why[128];
    const struct acpi_rsdp *rsdp;
    const struct acpi_header *madt, *srat, *slit;
    long off;

    snprintf(text, sizeof(text), "name = \"v\"\nkernel = \"k\"\nmemory = %llu\nvcpus = %u\n"
             "type = \"hvm\"\nvnuma = %s\n", (unsigned long long)mib, vcpus, vnuma);
    CHECK_EQ(parse(text), 0);
    if (nr_msgs)
        printf("  %s\n", msgs[0]);
    CHECK_EQ(xlcfg_vnuma_layout(&cfg, &machine4, -1, &l, why, sizeof(why)), 0);
    hvmbuild_numa_from_vnuma(&numa, &l);
    struct hvmbuild_acpi_params p = { vcpus, &numa };
    CHECK_EQ(hvmbuild_acpi_build(&p, region, sizeof(region), REGION_GPA, &info), 0);
    CHECK((off = acpi_find_rsdp(region, sizeof(region))) >= 0);
    rsdp = (const void *)(region + off);
    madt = acpi_find_table(rsdp, "APIC", 0, map);
    srat = acpi_find_table(rsdp, "SRAT", 0, map);
    slit = acpi_find_table(rsdp, "SLIT", 0, map);
    CHECK(madt && srat && slit);
    if (!madt || !srat || !slit)
        return;
    memset(&t, 0, sizeof(t));
    CHECK_EQ(acpi_parse_madt(madt, &t), 0);
    acpi_default_topology(&t);
    CHECK_EQ(acpi_parse_srat(srat, &t), 0);
    CHECK_EQ(acpi_parse_slit(slit, &t), 0);
    check_parsed(&l, &t);
}

static void tables_two_vnodes(void)
{
    round_trip("[ 'size=16, vcpus=0', 'size=48, vcpus=1' ]", 2, 64);
}

/* vCPU 0 on vnode 2: the parser's dense nodes come in another order than the vnodes. */
static void tables_four_vnodes_shuffled(void)
{
    round_trip("[ 'size=8, vcpus=1,5, vdistances=10,21,31,41',\n"
               "  'size=16, vcpus=3, vdistances=21,10,22,32',\n"
               "  'size=4, vcpus=0,2, vdistances=31,22,10,23',\n"
               "  'size=4, vcpus=4, vdistances=41,32,23,10' ]", 6, 32);
}

static void tables_eight_vnodes(void)
{
    round_trip("[ 'size=2, vcpus=0', 'size=2, vcpus=1', 'size=2, vcpus=2', 'size=2, vcpus=3',"
               " 'size=2, vcpus=4', 'size=2, vcpus=5', 'size=2, vcpus=6', "
               "'size=2, vcpus=7-31' ]", 32, 16);
}

/* One vnode: no SRAT (a one-node machine has none), as hvmbuild_acpi.c documents. */
static void tables_one_vnode(void)
{
    struct vnuma_layout l;
    struct hvmbuild_numa numa;
    struct hvmbuild_acpi_info info;
    char why[128];

    CHECK_EQ(parse(BASE "vnuma = [ 'size=24, vcpus=0-3' ]\n"), 0);
    CHECK_EQ(xlcfg_vnuma_layout(&cfg, &machine4, -1, &l, why, sizeof(why)), 0);
    hvmbuild_numa_from_vnuma(&numa, &l);
    struct hvmbuild_acpi_params p = { 4, &numa };
    CHECK_EQ(hvmbuild_acpi_build(&p, region, sizeof(region), REGION_GPA, &info), 0);
    CHECK_EQ(info.srat_gpa, 0);
}

static const struct unit_case cases[] = {
    { "layout_rules", layout_rules },
    { "layout_arithmetic", layout_arithmetic },
    { "cfg_entries_and_defaults", cfg_entries },
    { "cfg_defaults_with_nodes", cfg_defaults_nodes },
    { "cfg_errors", cfg_errors },
    { "tables_two_vnodes", tables_two_vnodes },
    { "tables_four_vnodes_shuffled", tables_four_vnodes_shuffled },
    { "tables_eight_vnodes_32_vcpus", tables_eight_vnodes },
    { "tables_one_vnode_no_srat", tables_one_vnode },
};

UNIT_MAIN(cases)
