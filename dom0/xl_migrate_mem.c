/* `xl mem-migrate <dom> <nodes> [check]`: move a running domain's memory to NUMA nodes
 * (DOMCTL_migrate_memory; docs/memory-policies.md, "Moving memory"). <nodes> is a
 * node list as a cfg file's `nodes` key: "2", "2,3", "0-1", "all". `check`: after a PV
 * move the hypervisor recomputes every reference count (MIGRATE_MEMORY_CHECK).
 *
 * Output, one line:
 *   mem-migrate: domain <id> (<name>): <m> frames moved to nodes <list>, <l> left
 *   outside (<h> not movable), <b> batches, <ns> ns (<ns/m> ns per frame), home <n>
 * Refusals name the numbers and say that nothing moved, e.g.
 *   mem-migrate: domain 3 (pv-mig): node 9 does not exist (the machine has nodes 0-3);
 *   nothing moved
 *   mem-migrate: domain 3 (pv-mig): nodes 1 have 812 free frames, 4096 must move;
 *   nothing moved
 * (ns are instructions under icount.) */
#include "dom0.h"
#include "strutil.h"
#include "xl.h"

/* The node list as a bitmap of nodes 0..31 (whether they exist is the hypervisor's
 * check, which names the node): 0, or -EINVAL after saying why. */
static int parse_nodes(const char *s, uint32_t *out)
{
    char text[64], err[96];
    struct cpulist l;
    struct cpu_topo t;

    str_copy(text, sizeof(text), s, strlen(s));
    if (cpulist_parse(text, &l, err, sizeof(err)) < 0) {
        printf("mem-migrate: bad node list \"%s\": %s\n", s, err);
        return -EINVAL;
    }
    if (l.nodes || l.not_nodes || l.not_cpus || (l.cpus >> 32)) {
        printf("mem-migrate: bad node list \"%s\": node numbers only (0..31), as \"2\" "
               "or \"2,3\"\n", s);
        return -EINVAL;
    }
    if (l.all) {
        if (xl_topology(&t) < 0) {
            printf("mem-migrate: reading the topology failed\n");
            return -EIO;
        }
        l.cpus = (1u << t.nr_nodes) - 1;
    }
    *out = (uint32_t)l.cpus;
    return 0;
}

static void print_nodes(uint32_t set)
{
    const char *sep = "";

    for (unsigned n = 0; n < 32; n++)
        if (set & (1u << n)) {
            printf("%s%u", sep, n);
            sep = ",";
        }
}

int xl_mem_migrate(int argc, char **argv)
{
    struct domctl_getdomaininfo di;
    struct domctl_migrate_memory *m;
    struct domctl op;
    uint32_t set;
    long rc;

    if ((rc = parse_nodes(argv[2], &set)) < 0)
        return (int)rc;
    if ((rc = xl_lookup("mem-migrate", argv[1], &di)) < 0)
        return (int)rc;
    memset(&op, 0, sizeof(op));
    m = &op.u.migrate_memory;
    m->nodes = set;
    if (argc > 3) {
        if (strcmp(argv[3], "check") != 0) {
            printf("mem-migrate: unknown option '%s' (usage: mem-migrate <dom> <nodes> "
                   "[check])\n", argv[3]);
            return -EINVAL;
        }
        m->flags = MIGRATE_MEMORY_CHECK;
    }
    rc = xl_domctl(DOMCTL_migrate_memory, di.domain, &op);
    printf("mem-migrate: domain %u (%s): ", di.domain, di.name);
    if (rc == -EINVAL && m->bad_node < 32 && (set & (1u << m->bad_node))) {
        struct cpu_topo t;

        printf("node %u does not exist", m->bad_node);
        if (xl_topology(&t) == 0)
            printf(" (the machine has nodes 0-%u)", t.nr_nodes - 1);
        printf("; nothing moved\n");
        return (int)rc;
    }
    if (rc == -EINVAL && !set) {
        printf("no node given; nothing moved\n");
        return (int)rc;
    }
    if (rc == -ENOMEM && m->moved == 0) {
        printf("nodes ");
        print_nodes(set);
        printf(" have %llu free frames, %llu must move; nothing moved\n",
               (unsigned long long)m->free_pages, (unsigned long long)m->need_pages);
        return (int)rc;
    }
    if (rc < 0 && m->moved == 0 && m->batches == 0) {
        printf("refused: %s (xl dmesg says why); nothing moved\n", str_errno((int)rc));
        return (int)rc;
    }
    printf("%llu frames moved to nodes ", (unsigned long long)m->moved);
    print_nodes(set);
    printf(", %llu left outside (%llu not movable), %u batches, %llu ns (%llu ns per "
           "frame), home ", (unsigned long long)m->left, (unsigned long long)m->held,
           m->batches, (unsigned long long)m->elapsed_ns,
           (unsigned long long)(m->moved ? m->elapsed_ns / m->moved : 0));
    if (m->home_node < 32)
        printf("%u", m->home_node);
    else
        printf("-");
    printf("%s\n", rc < 0 ? "; stopped early: the nodes filled up" : "");
    return (int)rc;
}
