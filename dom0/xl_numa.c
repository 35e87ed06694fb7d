/* Memory placement from dom0: a new domain's memory_policy and nodes keys
 * (DOMCTL_set_memory_policy, before the build), and `numa-list`, the per-node view:
 * free and total frames of each node, the frames each domain holds on each node
 * (SYSCTL_numa_frames). docs/memory-policies.md.
 *
 * Output of numa-list (frames of 4 KiB):
 *   node       free      total
 *      0      12345      32768
 *   id name             policy       home    node0    node1 ...
 *    0 dom0             local           -     4096        0
 * Problems as "create <name>: <cfg file>:<line>: key '<key>': <why, with the numbers>". */
#include "dom0.h"
#include "strutil.h"
#include "xl.h"

/* The node set the file names, checked against the machine; -EINVAL after saying why. */
static int cfg_nodes(const char *who, const struct domain_config *cfg, uint32_t *out)
{
    struct cpu_topo t;
    uint32_t all;
    int rc;

    *out = 0;
    if (!cfg->mm_nodes)
        return 0;
    if ((rc = xl_topology(&t)) < 0) {
        printf("%s: reading the topology failed: %s\n", who, str_errno(rc));
        return rc;
    }
    all = (uint32_t)((1u << t.nr_nodes) - 1);
    if (cfg->mm_nodes_all) {
        *out = all;
        return 0;
    }
    if (cfg->mm_nodes & ~all) {
        printf("%s: %s:%u: key 'nodes': node %u does not exist (the machine has nodes "
               "0-%u)\n", who, cfg->file, cfg->mm_nodes_line,
               (unsigned)__builtin_ctz(cfg->mm_nodes & ~all), t.nr_nodes - 1);
        return -EINVAL;
    }
    *out = cfg->mm_nodes;
    return 0;
}

int xl_memory_policy(const char *who, hv_domid_t domid, const struct domain_config *cfg,
                     uint64_t need_pages)
{
    struct domctl_memory_policy *mp;
    struct domctl op;
    long rc;

    if (!cfg->memory_policy[0] && !cfg->mm_nodes)
        return 0;                       /* the default: local, home from the affinity */
    memset(&op, 0, sizeof(op));
    mp = &op.u.memory_policy;
    str_copy(mp->name, sizeof(mp->name), cfg->memory_policy[0] ? cfg->memory_policy : "local",
             strlen(cfg->memory_policy[0] ? cfg->memory_policy : "local"));
    mp->gran_order = cfg->mm_gran_order;
    mp->need_pages = need_pages;
    if ((rc = cfg_nodes(who, cfg, &mp->nodes)) < 0)
        return (int)rc;
    rc = xl_domctl(DOMCTL_set_memory_policy, domid, &op);
    if (rc == -ENOENT)
        printf("%s: %s:%u: key 'memory_policy': no policy '%s' (the hypervisor's log, "
               "xl dmesg, names those it has)\n", who, cfg->file, cfg->mm_line, mp->name);
    else if (rc == -ENOMEM)
        printf("%s: %s:%u: key 'nodes': memory_policy '%s' needs %llu frames, the nodes "
               "have %llu free\n", who, cfg->file, cfg->mm_nodes_line ? cfg->mm_nodes_line
               : cfg->mm_line, mp->name, (unsigned long long)need_pages,
               (unsigned long long)mp->free_pages);
    else if (rc == -EINVAL)
        printf("%s: %s:%u: key 'memory_policy': '%s' refuses these settings (nodes %#x, "
               "granularity order %u)\n", who, cfg->file, cfg->mm_line, mp->name, mp->nodes,
               mp->gran_order);
    else if (rc < 0)
        printf("%s: set_memory_policy failed: %s\n", who, str_errno((int)rc));
    else
        printf("%s: memory policy %s, home node %d\n", who, mp->name,
               mp->home_node < 8 ? (int)mp->home_node : -1);
    return (int)rc;
}

int xl_numa_list(int argc, char **argv)
{
    static struct sysctl op;
    struct domctl_getdomaininfo di;
    hv_domid_t from = 0;
    long rc;

    (void)argc;
    (void)argv;
    do {
        struct sysctl_numa_frames *f = &op.u.numa_frames;

        memset(&op, 0, sizeof(op));
        f->first_domid = from;
        if ((rc = xl_sysctl(SYSCTL_numa_frames, &op)) < 0) {
            printf("numa-list: sysctl failed: %s\n", str_errno((int)rc));
            return (int)rc;
        }
        if (from == 0) {
            printf("node %10s %10s\n", "free", "total");
            for (unsigned n = 0; n < f->nr_nodes; n++)
                printf("%4u %10llu %10llu\n", n, (unsigned long long)f->node_free[n],
                       (unsigned long long)f->node_total[n]);
            printf("%4s %-16s %-12s %4s", "id", "name", "policy", "home");
            for (unsigned n = 0; n < f->nr_nodes; n++)
                printf("    node%u", n);
            printf("\n");
        }
        for (unsigned i = 0; i < f->nr_doms; i++) {
            const struct numa_frames_dom *e = &f->dom[i];

            if (xl_dominfo(e->domid, &di) < 0)
                str_copy(di.name, sizeof(di.name), "?", 1);
            printf("%4u %-16s %-12s ", e->domid, di.name, e->policy);
            if (e->home_node == 0xffff)
                printf("%4s", "-");
            else
                printf("%4u", e->home_node);
            for (unsigned n = 0; n < f->nr_nodes; n++)
                printf(" %8llu", (unsigned long long)e->pages[n]);
            printf("\n");
        }
        from = f->next_domid;
    } while (from != DOMID_INVALID);
    return 0;
}
