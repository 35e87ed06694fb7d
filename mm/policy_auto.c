/* auto: choose the domain's home nodes from free memory and CPU load, as libxl's
 * automatic NUMA placement does, then allocate like local from them.
 *
 * Design. At init, among the candidate nodes (`nodes`, default every node), those
 * whose free frames hold the whole build (need_pages) are feasible; the emptiest
 * feasible node wins: the fewest vCPUs per pCPU (vCPUs of the other domains whose home
 * it is, mm_node_vcpus / mm_node_cpus; a node without pCPUs counts as full), then the
 * most free frames, then the lowest index. When no node holds the build alone, the
 * home set grows by free frames, largest first, until it does (-ENOMEM if all the
 * candidates together cannot). The first chosen node becomes d->home_node: the numa
 * scheduler runs the domain's vCPUs there, and later auto domains count them as that
 * node's load. Each frame: the home set by distance from the home, then (a soft
 * preference, as libxl's) every other node by distance.
 *
 * Locking. The home set is written at init (domctl_lock) and read by place under
 * page_lock.
 *
 * Limitations. Load is a count of vCPUs placed, not measured CPU time; placement is
 * decided once, at build. */
#include <hvlab/domain.h>
#include <hvlab/errno.h>
#include <hvlab/lib.h>
#include <hvlab/mm_policy.h>

struct auto_priv {
    uint32_t homes;
};

/* a emptier than b: fewer vCPUs per pCPU (cross-multiplied), then more free frames. */
static bool emptier(unsigned a, unsigned b, const struct domain *d)
{
    uint64_t ca = mm_node_cpus(a), cb = mm_node_cpus(b);
    uint64_t va = mm_node_vcpus(a, d), vb = mm_node_vcpus(b, d);

    if (!ca != !cb)
        return ca != 0;
    if (ca && va * cb != vb * ca)
        return va * cb < vb * ca;
    return mm_node_free(a) > mm_node_free(b);
}

static int auto_init(struct domain *d, const struct mm_policy_args *a, char *why, size_t len)
{
    uint32_t cand = a->nodes ? a->nodes : mm_all_nodes(), homes = 0;
    unsigned best = NUMA_NO_NODE;
    unsigned long sum = 0;

    for (unsigned n = 0; n < mm_nr_nodes(); n++)
        if ((cand & (1u << n)) && mm_node_free(n) >= a->need_pages &&
            (best == NUMA_NO_NODE || emptier(n, best, d)))
            best = n;
    if (best != NUMA_NO_NODE) {
        homes = 1u << best;
    } else {
        /* Several nodes: the fullest-free first, until the build fits. */
        while (sum < a->need_pages && (cand & ~homes)) {
            unsigned pick = NUMA_NO_NODE;

            for (unsigned n = 0; n < mm_nr_nodes(); n++)
                if ((cand & ~homes & (1u << n)) &&
                    (pick == NUMA_NO_NODE || mm_node_free(n) > mm_node_free(pick)))
                    pick = n;
            if (best == NUMA_NO_NODE)
                best = pick;
            homes |= 1u << pick;
            sum += mm_node_free(pick);
        }
        if (sum < a->need_pages) {
            fmt_snprintf(why, len, "memory_policy 'auto', nodes %#x: %lu frames needed, %lu "
                         "free on those nodes", cand, a->need_pages, sum);
            return -ENOMEM;
        }
    }
    MM_POLICY_PRIV(struct auto_priv, d)->homes = homes;
    d->home_node = best;
    return 0;
}

static void auto_place(struct domain *d, const struct mm_request *r, struct mm_choice *c)
{
    uint32_t homes = MM_POLICY_PRIV(struct auto_priv, d)->homes;
    struct mm_choice rest;

    (void)r;
    mm_nodes_by_distance(d->home_node, homes, c);
    mm_nodes_by_distance(d->home_node, mm_all_nodes() & ~homes, &rest);
    for (unsigned i = 0; i < rest.nr; i++)
        c->node[c->nr++] = rest.node[i];
}

static int auto_set_nodes(struct domain *d, uint32_t nodes)
{
    if (!nodes || (nodes & ~mm_all_nodes()))
        return -EINVAL;
    MM_POLICY_PRIV(struct auto_priv, d)->homes = nodes;
    d->home_node = (unsigned)__builtin_ctz(nodes);
    return 0;
}

static const struct mm_policy_ops auto_ops = {
    .name = "auto",
    .desc = "home nodes chosen by free memory and CPU load, told to the scheduler",
    .takes_nodes = true,
    .init = auto_init,
    .place = auto_place,
    .set_nodes = auto_set_nodes,
};
REGISTER_MM_POLICY(auto_ops);
