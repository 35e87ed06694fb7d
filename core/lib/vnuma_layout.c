/* The rules of a virtual NUMA layout (include/public/vnuma.h) and its arithmetic.
 *
 * Design: pure functions, linked into the hypervisor (core/vnuma.c checks what dom0
 * hands it), into dom0's toolstack (which checks first, to name the cfg key) and into
 * the host tests, so every one of them applies the same rules. The first broken rule
 * is described in the caller's buffer with the numbers involved.
 *
 * Locking: none (pure).
 *
 * Limitations: distances must be symmetric (SLIT allows otherwise; hvlab's NUMA
 * scheduler and memory policies read distances as symmetric, so a guest would be told
 * something its host never models).
 */
#include <hvlab/errno.h>
#include <hvlab/lib.h>
#include <hvlab/vnuma.h>

static __printf(3, 4) int refuse(char *why, size_t len, const char *fmt, ...)
{
    va_list ap;

    if (why && len) {
        va_start(ap, fmt);
        fmt_vsnprintf(why, len, fmt, ap);
        va_end(ap);
    }
    return -EINVAL;
}

static int check_vcpus(const struct vnuma_layout *l, unsigned max_vcpus, char *why,
                       size_t len)
{
    unsigned per_vnode[VNUMA_MAX_VNODES] = { 0 };

    if (l->nr_vcpus != max_vcpus)
        return refuse(why, len, "the layout maps %u vCPUs, the domain has %u", l->nr_vcpus,
                      max_vcpus);
    for (unsigned i = 0; i < l->nr_vcpus; i++) {
        if (l->vcpu_to_vnode[i] >= l->nr_vnodes)
            return refuse(why, len, "vCPU %u: vnode %u, there are %u vnodes", i,
                          l->vcpu_to_vnode[i], l->nr_vnodes);
        per_vnode[l->vcpu_to_vnode[i]]++;
    }
    for (unsigned v = 0; v < l->nr_vnodes; v++)
        if (!per_vnode[v])
            return refuse(why, len, "vnode %u: no vCPU", v);
    return 0;
}

static int check_memory(const struct vnuma_layout *l, uint64_t max_pages, unsigned nr_pnodes,
                        char *why, size_t len)
{
    uint64_t sum = 0;

    for (unsigned v = 0; v < l->nr_vnodes; v++) {
        if (l->pages[v] == 0)
            return refuse(why, len, "vnode %u: no memory", v);
        if (l->pages[v] > max_pages - sum)
            return refuse(why, len, "vnodes 0-%u hold more than the domain's %llu pages", v,
                          (unsigned long long)max_pages);
        sum += l->pages[v];
        if (l->pnode[v] >= nr_pnodes)
            return refuse(why, len, "vnode %u: physical node %u, the machine has %u (0-%u)",
                          v, l->pnode[v], nr_pnodes, nr_pnodes - 1);
    }
    if (sum != max_pages)
        return refuse(why, len, "the vnodes hold %llu pages, the domain has %llu",
                      (unsigned long long)sum, (unsigned long long)max_pages);
    return 0;
}

static int check_distances(const struct vnuma_layout *l, char *why, size_t len)
{
    for (unsigned i = 0; i < l->nr_vnodes; i++) {
        for (unsigned j = 0; j < l->nr_vnodes; j++) {
            unsigned d = l->distance[i][j];
            if (i == j && d != VNUMA_DIST_LOCAL)
                return refuse(why, len, "vnode %u: distance to itself is %u, must be %u", i,
                              d, VNUMA_DIST_LOCAL);
            if (i != j && (d < VNUMA_DIST_LOCAL || d > VNUMA_DIST_MAX))
                return refuse(why, len, "vnode %u: distance to vnode %u is %u, must be "
                              "%u..%u", i, j, d, VNUMA_DIST_LOCAL, VNUMA_DIST_MAX);
            if (d != l->distance[j][i])
                return refuse(why, len, "vnode %u: distance to vnode %u is %u, back is %u",
                              i, j, d, l->distance[j][i]);
        }
    }
    return 0;
}

int vnuma_layout_check(const struct vnuma_layout *l, unsigned max_vcpus, uint64_t max_pages,
                       unsigned nr_pnodes, char *why, size_t whylen)
{
    int rc;

    if (l->nr_vnodes == 0 || l->nr_vnodes > VNUMA_MAX_VNODES)
        return refuse(why, whylen, "%u vnodes, must be 1..%u", l->nr_vnodes,
                      VNUMA_MAX_VNODES);
    if (l->nr_vcpus > VNUMA_MAX_VCPUS)
        return refuse(why, whylen, "%u vCPUs, at most %u", l->nr_vcpus, VNUMA_MAX_VCPUS);
    if ((rc = check_vcpus(l, max_vcpus, why, whylen)) ||
        (rc = check_memory(l, max_pages, nr_pnodes, why, whylen)) ||
        (rc = check_distances(l, why, whylen)))
        return rc;
    return 0;
}

uint64_t vnuma_layout_start(const struct vnuma_layout *l, unsigned v)
{
    uint64_t start = 0;

    for (unsigned i = 0; i < v && i < l->nr_vnodes; i++)
        start += l->pages[i];
    return start;
}

unsigned vnuma_layout_vnode_of(const struct vnuma_layout *l, uint64_t pfn)
{
    unsigned v;

    for (v = 0; v < l->nr_vnodes; v++) {
        if (pfn < l->pages[v])
            return v;
        pfn -= l->pages[v];
    }
    return v;
}
