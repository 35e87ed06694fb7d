/* The PV guest's virtual NUMA topology: XENMEM_get_vnumainfo (public/memory.h), the
 * layout dom0 gave the domain (guest_vnuma.h). Its answers are checked as input: a
 * range list that is not the vnodes back to back from pfn 0, or a vnode number out of
 * range, is refused with a line. */
#include <guest_vnuma.h>
#include <hypercall.h>
#include <public/memory.h>

static int vnuma_pv_check(const struct guest_vnuma *t, const struct xen_vmemrange *r,
                          const uint32_t *dist, const uint32_t *vcpu)
{
    uint64_t next = 0;

    for (unsigned v = 0; v < t->nr_vnodes; v++) {
        if (r[v].nid != v || r[v].start != next || r[v].end <= r[v].start ||
            (r[v].end & (PAGE_SIZE - 1)))
            goto bad;
        next = r[v].end;
        for (unsigned j = 0; j < t->nr_vnodes; j++)
            if (dist[v * t->nr_vnodes + j] > 255)
                goto bad;
    }
    for (unsigned i = 0; i < t->nr_vcpus; i++)
        if (vcpu[i] >= t->nr_vnodes)
            goto bad;
    return 0;
bad:
    printf("vnuma: XENMEM_get_vnumainfo's answer is inconsistent: ignored\n");
    return -EINVAL;
}

int plat_vnuma_read(struct guest_vnuma *out)
{
    static struct xen_vmemrange r[GUEST_VNUMA_MAX_VNODES];
    static uint32_t dist[GUEST_VNUMA_MAX_VNODES * GUEST_VNUMA_MAX_VNODES];
    static uint32_t vcpu[GUEST_VNUMA_MAX_VCPUS];
    struct xen_vnuma_topology_info info = {
        .domid = DOMID_SELF, .nr_vnodes = GUEST_VNUMA_MAX_VNODES,
        .nr_vcpus = GUEST_VNUMA_MAX_VCPUS, .vdistance = (uint64_t)(uintptr_t)dist,
        .vcpu_to_vnode = (uint64_t)(uintptr_t)vcpu, .vmemrange = (uint64_t)(uintptr_t)r,
    };
    long rc = hv_memory_op(XENMEM_get_vnumainfo, &info);

    if (rc == -EOPNOTSUPP || rc == -ENOSYS)
        return -ENOENT;
    if (rc < 0) {
        printf("vnuma: XENMEM_get_vnumainfo failed: %ld\n", rc);
        return (int)rc;
    }
    memset(out, 0, sizeof(*out));
    out->nr_vnodes = info.nr_vnodes;
    out->nr_vcpus = info.nr_vcpus;
    out->source = "XENMEM_get_vnumainfo";
    if (vnuma_pv_check(out, r, dist, vcpu) < 0)
        return -EINVAL;
    for (unsigned v = 0; v < out->nr_vnodes; v++) {
        out->start_pfn[v] = r[v].start >> PAGE_SHIFT;
        out->end_pfn[v] = r[v].end >> PAGE_SHIFT;
        for (unsigned j = 0; j < out->nr_vnodes; j++)
            out->distance[v][j] = (uint8_t)dist[v * out->nr_vnodes + j];
    }
    for (unsigned i = 0; i < out->nr_vcpus; i++)
        out->vcpu_to_vnode[i] = (uint8_t)vcpu[i];
    return 0;
}
