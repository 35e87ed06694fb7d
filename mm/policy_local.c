/* local: the default memory policy, and the template for a new one.
 *
 * Design. Every frame comes from the domain's home node (d->home_node; with `nodes`
 * given, the lowest node of the set becomes the home), or from the node the caller
 * asked for (XENMEMF_node), falling back to the other nodes by SLIT distance from it
 * when it is full. A domain without a home takes node 0 first (as the allocator's
 * NUMA_NO_NODE does).
 *
 * Locking. No private state; d->home_node is written only at init (domctl_lock).
 *
 * Limitations. Never refuses while any node has a frame: a full home spills over. */
#include <hvlab/domain.h>
#include <hvlab/mm_policy.h>

static int local_init(struct domain *d, const struct mm_policy_args *a, char *why, size_t len)
{
    (void)why;
    (void)len;
    if (a->nodes)
        d->home_node = (unsigned)__builtin_ctz(a->nodes);
    return 0;
}

static void local_place(struct domain *d, const struct mm_request *r, struct mm_choice *c)
{
    unsigned from = r->asked != NUMA_NO_NODE ? r->asked : d->home_node;

    mm_nodes_by_distance(from < mm_nr_nodes() ? from : 0, mm_all_nodes(), c);
}

static const struct mm_policy_ops local_ops = {
    .name = "local",
    .desc = "home node first, then the others by distance",
    .takes_nodes = true,
    .init = local_init,
    .place = local_place,
};
REGISTER_MM_POLICY(local_ops);
