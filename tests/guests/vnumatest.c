/* vnumatest: prints the virtual NUMA topology the runtime read (guest/vnuma.c: the
 * memory op on PV, SRAT/SLIT on HVM), takes a page from each vnode's pool and says
 * where it is (pfn, and the machine frame the hypervisor gave it on PV), checks that
 * a freed page comes back from its own pool, and that XENMEM_get_vnumainfo refuses a
 * too-small buffer (-ENOBUFS, with the counts), a bad pointer (-EFAULT) and another
 * domain's layout (-EPERM) (PV: an HVM guest reads SRAT/SLIT instead).
 * tests/boot/test_vnuma.py checks every line. */
#include <guest.h>
#include <guest_vnuma.h>
#include <hypercall.h>
#include <public/memory.h>

static long memop_small(void)
{
    struct xen_vmemrange r[1];
    uint32_t dist[1], vcpu[1];
    struct xen_vnuma_topology_info i = {
        .domid = DOMID_SELF, .nr_vnodes = 1, .nr_vcpus = 1,
        .vdistance = (uintptr_t)dist, .vcpu_to_vnode = (uintptr_t)vcpu,
        .vmemrange = (uintptr_t)r,
    };
    long rc = hv_memory_op(XENMEM_get_vnumainfo, &i);

    printf("vnumatest: small buffer: %ld, counts %u vnodes %u vcpus\n", rc, i.nr_vnodes,
           i.nr_vcpus);
    return rc;
}

static void memop_refusals(void)
{
    static struct xen_vmemrange r[8];
    static uint32_t dist[64], vcpu[32];
    struct xen_vnuma_topology_info i = {
        .domid = DOMID_SELF, .nr_vnodes = 8, .nr_vcpus = 32,
        .vdistance = (uintptr_t)dist, .vcpu_to_vnode = (uintptr_t)vcpu,
        .vmemrange = 0xffff800000000000ULL,    /* the hypervisor's half */
    };
    long bad = hv_memory_op(XENMEM_get_vnumainfo, &i);

    i.vmemrange = (uintptr_t)r;
    i.domid = 0;                                /* dom0's: not ours to read */
    long other = hv_memory_op(XENMEM_get_vnumainfo, &i);
    printf("vnumatest: bad pointer: %ld, other domain: %ld\n", bad, other);
}

int main(const struct start_info *si)
{
    const struct guest_vnuma *t = vnuma_topology();

    (void)si;
    printf("vnumatest: %u vnodes seen\n", t->nr_vnodes);
    if (!t->nr_vnodes)
        return 1;
    for (unsigned v = 0; v < t->nr_vnodes; v++) {
        uint64_t *p = vnuma_alloc_page(v), pfn;

        if (!p) {
            printf("vnumatest: vnode %u: no page (FAILED)\n", v);
            continue;
        }
        pfn = virt_to_pfn(p);
        p[0] = 0x766e756d61ULL + v;             /* it is ours to write */
        printf("vnumatest: vnode %u: page pfn %#llx mfn %#llx in vnode %u, %llu free\n", v,
               (unsigned long long)pfn, (unsigned long long)virt_to_mfn(p),
               vnuma_vnode_of_pfn(pfn), (unsigned long long)vnuma_free_pages(v));
        vnuma_free_page(p);
        uint64_t *q = vnuma_alloc_page(v);
        printf("vnumatest: vnode %u: freed page %s\n", v,
               q == p && q[0] == 0 ? "comes back zeroed" : "lost (FAILED)");
    }
    printf("vnumatest: vcpu 0 is on vnode %u; a local page is in vnode %u\n",
           vnuma_vnode_of_vcpu(0), vnuma_vnode_of_pfn(virt_to_pfn(vnuma_alloc_page_local())));
    if (strcmp(t->source, "XENMEM_get_vnumainfo") == 0) {
        memop_small();
        memop_refusals();
    }
    printf("vnumatest: done\n");
    return 0;
}
