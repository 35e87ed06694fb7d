/* interleave: a domain's frames round-robin over its node set.
 *
 * Design. Frame k of the domain (counted in the order they are allocated, whatever
 * the reason) goes to the ((k >> gran_order) mod |set|)-th node of the set: with
 * 4 KiB granularity every node gets one frame in turn, with 2 MiB one stripe of 512
 * frames. Counts per node then differ by at most one frame (one stripe). A node of
 * the set that is full is skipped for that frame (the set's other nodes follow by
 * distance); nothing outside the set is offered.
 *
 * Locking. The set and granularity are written at init / set_nodes (domctl_lock); the
 * frame counter is read by place and advanced by placed, both under page_lock.
 *
 * Limitations. Interleaving is by allocation order, not by gfn: an HVM build
 * allocates in gfn order, so there both agree. */
#include <hvlab/domain.h>
#include <hvlab/errno.h>
#include <hvlab/mm_policy.h>

struct interleave_priv {
    uint32_t set;
    uint8_t gran_order;
    uint64_t count;                     /* frames placed so far */
};

static int interleave_init(struct domain *d, const struct mm_policy_args *a, char *why,
                           size_t len)
{
    struct interleave_priv *p = MM_POLICY_PRIV(struct interleave_priv, d);

    (void)why;
    (void)len;
    p->set = a->nodes ? a->nodes : mm_all_nodes();
    p->gran_order = (uint8_t)a->gran_order;
    p->count = 0;
    return 0;
}

/* The i-th node (from 0) of set. */
static unsigned nth_node(uint32_t set, unsigned i)
{
    for (unsigned n = 0; n < MAX_NUMNODES; n++)
        if ((set & (1u << n)) && i-- == 0)
            return n;
    return 0;
}

static void interleave_place(struct domain *d, const struct mm_request *r, struct mm_choice *c)
{
    const struct interleave_priv *p = MM_POLICY_PRIV(struct interleave_priv, d);
    unsigned n = 0;

    for (uint32_t s = p->set; s; s &= s - 1)   /* no libgcc: no __builtin_popcount */
        n++;

    (void)r;
    mm_nodes_by_distance(nth_node(p->set, (unsigned)((p->count >> p->gran_order) % n)),
                         p->set, c);
}

static void interleave_placed(struct domain *d, const struct mm_request *r, unsigned node)
{
    (void)r;
    (void)node;
    MM_POLICY_PRIV(struct interleave_priv, d)->count++;
}

static int interleave_set_nodes(struct domain *d, uint32_t nodes)
{
    if (!nodes || (nodes & ~mm_all_nodes()))
        return -EINVAL;
    MM_POLICY_PRIV(struct interleave_priv, d)->set = nodes;
    return 0;
}

static const struct mm_policy_ops interleave_ops = {
    .name = "interleave",
    .desc = "round-robin over the node set, 4 KiB or 2 MiB stripes",
    .takes_nodes = true,
    .init = interleave_init,
    .place = interleave_place,
    .placed = interleave_placed,
    .set_nodes = interleave_set_nodes,
};
REGISTER_MM_POLICY(interleave_ops);
