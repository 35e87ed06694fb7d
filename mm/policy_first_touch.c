/* first-touch: a frame comes from the node of the pCPU that first needs it.
 *
 * Design. HVM: the domain's RAM is not allocated at build time (lazy_hvm); the nested
 * page fault of a gfn without a frame allocates one on the node of the pCPU running
 * the faulting vCPU (r->toucher). PV, and frames an HVM builder populates: the node
 * of the pCPU running the vCPU that asks (the guest's own vCPU for its populate
 * requests, dom0's for the builder's). A full node falls back by distance.
 *
 * Locking. No private state.
 *
 * Limitations. The toucher's node is where its vCPU runs at that moment: a scheduler
 * that moves vCPUs later leaves the memory behind (the numa scheduler then follows
 * the memory, as it counts node_pages). */
#include <hvlab/domain.h>
#include <hvlab/mm_policy.h>

static int first_touch_init(struct domain *d, const struct mm_policy_args *a, char *why,
                            size_t len)
{
    (void)d;
    (void)a;
    (void)why;
    (void)len;
    return 0;
}

static void first_touch_place(struct domain *d, const struct mm_request *r, struct mm_choice *c)
{
    (void)d;
    mm_nodes_by_distance(r->toucher < mm_nr_nodes() ? r->toucher : 0, mm_all_nodes(), c);
}

static const struct mm_policy_ops first_touch_ops = {
    .name = "first-touch",
    .desc = "the node of the vCPU that touches (HVM) or asks (PV) first",
    .lazy_hvm = true,
    .init = first_touch_init,
    .place = first_touch_place,
};
REGISTER_MM_POLICY(first_touch_ops);
