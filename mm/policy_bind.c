/* bind: a domain's frames come only from its node set.
 *
 * Design. The set is fixed at init (default: every node); init refuses a set whose
 * free frames cannot hold the build (need_pages), and makes the set's lowest node the
 * home unless the home is in the set already. Each frame: the node asked for if it is
 * in the set, else the home, then the set's other nodes by distance from it. Nothing
 * outside the set is ever offered, so a full set refuses: the populate request or
 * nested page fault fails with -ENOMEM, which is correct for bind.
 *
 * Locking. The set is written at init (domctl_lock, domain not built) and by
 * set_nodes (domctl_lock); place reads it under page_lock.
 *
 * Limitations. The free-memory check at init is a snapshot: another domain may take
 * the frames before the build does, and the build then fails cleanly. */
#include <hvlab/domain.h>
#include <hvlab/lib.h>
#include <hvlab/errno.h>
#include <hvlab/mm_policy.h>

struct bind_priv {
    uint32_t set;
};

static unsigned long set_free(uint32_t set)
{
    unsigned long f = 0;

    for (unsigned n = 0; n < mm_nr_nodes(); n++)
        if (set & (1u << n))
            f += mm_node_free(n);
    return f;
}

static int bind_init(struct domain *d, const struct mm_policy_args *a, char *why, size_t len)
{
    uint32_t set = a->nodes ? a->nodes : mm_all_nodes();
    unsigned long free = set_free(set);

    if (free < a->need_pages) {
        fmt_snprintf(why, len, "memory_policy 'bind', nodes %#x: %lu frames needed, %lu "
                     "free on those nodes", set, a->need_pages, free);
        return -ENOMEM;
    }
    MM_POLICY_PRIV(struct bind_priv, d)->set = set;
    if (d->home_node >= MAX_NUMNODES || !(set & (1u << d->home_node)))
        d->home_node = (unsigned)__builtin_ctz(set);
    return 0;
}

static void bind_place(struct domain *d, const struct mm_request *r, struct mm_choice *c)
{
    uint32_t set = MM_POLICY_PRIV(struct bind_priv, d)->set;
    unsigned from = d->home_node;

    if (r->asked < MAX_NUMNODES && (set & (1u << r->asked)))
        from = r->asked;
    mm_nodes_by_distance(from, set, c);
}

static int bind_set_nodes(struct domain *d, uint32_t nodes)
{
    if (!nodes || (nodes & ~mm_all_nodes()))
        return -EINVAL;
    MM_POLICY_PRIV(struct bind_priv, d)->set = nodes;
    if (d->home_node >= MAX_NUMNODES || !(nodes & (1u << d->home_node)))
        d->home_node = (unsigned)__builtin_ctz(nodes);
    return 0;
}

static const struct mm_policy_ops bind_ops = {
    .name = "bind",
    .desc = "only the node set; refuses when it is full",
    .takes_nodes = true,
    .init = bind_init,
    .place = bind_place,
    .set_nodes = bind_set_nodes,
};
REGISTER_MM_POLICY(bind_ops);
