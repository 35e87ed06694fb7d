/* What memory policies read of the running machine beyond the allocator: the node of
 * this pCPU, pCPUs per node, vCPUs homed per node. Host tests of the policies bring
 * their own versions of these three (tests/unit/test_mm_policy.c), so the policies
 * run there against a machine the test describes.
 *
 * Also SYSCTL_numa_frames: frames per node, of the machine and of each domain.
 *
 * Locking. mm_node_vcpus and mm_numa_frames walk the domain list with references (domain_get_next);
 * its answer is a snapshot. */
#include <hvlab/domain.h>
#include <hvlab/lib.h>
#include <hvlab/mm.h>
#include <hvlab/mm_policy.h>
#include <hvlab/percpu.h>
#include <public/sysctl.h>

unsigned mm_this_node(void)
{
    return this_cpu()->node;
}

unsigned mm_node_cpus(unsigned node)
{
    unsigned n = 0;

    for (unsigned c = 0; c < topo.nr_cpus; c++)
        n += topo.cpu_node[c] == node;
    return n;
}

unsigned mm_node_vcpus(unsigned node, const struct domain *except)
{
    unsigned n = 0;

    for (struct domain *d = domain_get_next(0), *next; d; d = next) {
        if (d != except && d->home_node == node)
            n += d->max_vcpus;
        next = domain_get_next((domid_t)(d->domain_id + 1));
        domain_put(d);
    }
    return n;
}

long mm_numa_frames(struct sysctl_numa_frames *f)
{
    hv_domid_t first = f->first_domid;
    struct domain *d, *next;

    memset(f, 0, sizeof(*f));
    f->nr_nodes = MIN(mm_nr_nodes(), MM_POLICY_NODES_MAX);
    for (unsigned n = 0; n < f->nr_nodes; n++) {
        f->node_free[n] = frames_free(n);
        f->node_total[n] = frames_total(n);
    }
    f->next_domid = DOMID_INVALID;
    for (d = domain_get_next(first); d; d = next) {
        struct numa_frames_dom *e;

        if (f->nr_doms == NUMA_FRAMES_PER_CALL) {
            f->next_domid = d->domain_id;
            domain_put(d);
            break;
        }
        e = &f->dom[f->nr_doms++];
        e->domid = d->domain_id;
        e->home_node = d->home_node < MAX_NUMNODES ? (uint16_t)d->home_node : 0xffff;
        fmt_snprintf(e->policy, sizeof(e->policy), "%s", mm_policy_of(d)->name);
        for (unsigned n = 0; n < f->nr_nodes; n++)
            e->pages[n] = __atomic_load_n(&d->node_pages[n], __ATOMIC_RELAXED);
        next = domain_get_next((domid_t)(d->domain_id + 1));
        domain_put(d);
    }
    return 0;
}
