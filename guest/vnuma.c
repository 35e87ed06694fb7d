/* The guest's virtual NUMA topology and its per-vnode page pools (guest_vnuma.h).
 *
 * Design. vnuma_init, run on the first call of any vnuma_* function (so a guest that
 * never asks runs exactly as without it: deterministic runs keep their instruction
 * streams), asks the platform (plat_vnuma_read: the memory op on PV, the
 * ACPI tables on HVM), prints what it got, and splits the free pages: pages.c keeps
 * the ones below the end of the vnode its bump pointer is in (the boot vnode, where
 * the image and the first allocations live), and every later vnode's free pages become
 * that vnode's pool (a bump pointer and a free list, like pages.c's). So
 * vnuma_alloc_page(v) is a page of v: from pages.c for the boot vnode (checked), from
 * v's pool otherwise; alloc_page() keeps serving the boot vnode.
 *
 * Locking. pool_lock (events off, as pages.c's mm_lock) guards the pools; the
 * topology is written once by vnuma_init, which the first vnuma_* call runs: make that
 * call from vCPU 0 before starting other vCPUs; read-only after.
 *
 * Limitations. Vnodes wholly below the bump pointer (filled by the image) have no
 * free page. Pages of a pool never go back to pages.c.
 */
#include <guest_vnuma.h>
#include <hypercall.h>

struct vnode_pool {
    uint64_t bump, end;                 /* [bump, end): never handed out */
    uint64_t free_head;                 /* pfn of the first freed page, ~0: none */
    uint64_t nr_freed;
};

static struct guest_vnuma topo;
static struct vnode_pool pool[GUEST_VNUMA_MAX_VNODES];
static unsigned boot_vnode;
static bool inited;
static spinlock_t pool_lock = SPINLOCK_INIT;

const struct guest_vnuma *vnuma_topology(void)
{
    vnuma_init();
    return &topo;
}

unsigned vnuma_vnode_of_vcpu(unsigned vcpu)
{
    vnuma_init();
    return topo.nr_vnodes && vcpu < topo.nr_vcpus ? topo.vcpu_to_vnode[vcpu] : 0;
}

unsigned vnuma_vnode_of_pfn(uint64_t pfn)
{
    vnuma_init();
    for (unsigned v = 0; v < topo.nr_vnodes; v++)
        if (pfn >= topo.start_pfn[v] && pfn < topo.end_pfn[v])
            return v;
    return 0;
}

static void vnuma_print(void)
{
    printf("vnuma: %u vnodes, %u vCPUs (from %s)\n", topo.nr_vnodes, topo.nr_vcpus,
           topo.source);
    for (unsigned v = 0; v < topo.nr_vnodes; v++) {
        char cpus[96], dist[48];
        int cn = 0, dn = 0;

        cpus[0] = dist[0] = '\0';
        for (unsigned i = 0; i < topo.nr_vcpus; i++)
            if (topo.vcpu_to_vnode[i] == v)
                cn += fmt_snprintf(cpus + cn, sizeof(cpus) - (size_t)cn, "%s%u", cn ? "," : "", i);
        for (unsigned j = 0; j < topo.nr_vnodes; j++)
            dn += fmt_snprintf(dist + dn, sizeof(dist) - (size_t)dn, "%s%u", j ? "," : "",
                           topo.distance[v][j]);
        printf("vnuma: vnode %u: pfns %#llx-%#llx (%llu KiB), vcpus %s, distances %s\n", v,
               (unsigned long long)topo.start_pfn[v],
               (unsigned long long)(topo.end_pfn[v] - 1),
               (unsigned long long)((topo.end_pfn[v] - topo.start_pfn[v]) << 2), cpus, dist);
    }
}

/* Every later vnode's free pages leave pages.c for its pool. */
static void vnuma_pools_init(void)
{
    uint64_t old_end, split;

    boot_vnode = vnuma_vnode_of_pfn(start_info->first_free_pfn);
    split = pages_split(topo.end_pfn[boot_vnode], &old_end);
    for (unsigned v = 0; v < topo.nr_vnodes; v++) {
        struct vnode_pool *p = &pool[v];
        p->free_head = ~0ULL;
        if (v == boot_vnode)
            continue;
        p->bump = topo.start_pfn[v] > split ? topo.start_pfn[v] : split;
        p->end = topo.end_pfn[v] < old_end ? topo.end_pfn[v] : old_end;
        if (p->bump > p->end)
            p->bump = p->end;
    }
}

void vnuma_init(void)
{
    int rc;

    if (inited)
        return;
    inited = true;
    if ((rc = plat_vnuma_read(&topo)) < 0) {
        memset(&topo, 0, sizeof(topo));
        return;
    }
    vnuma_print();
    vnuma_pools_init();
}

static void *pool_take(struct vnode_pool *p)
{
    unsigned long flags = spin_lock_irqsave(&pool_lock);
    void *va = NULL;

    if (p->free_head != ~0ULL) {
        va = pfn_to_virt(p->free_head);
        p->free_head = *(uint64_t *)va;
        p->nr_freed--;
    } else if (p->bump < p->end) {
        va = pfn_to_virt(p->bump++);
    }
    spin_unlock_irqrestore(&pool_lock, flags);
    if (va)
        memset(va, 0, PAGE_SIZE);
    return va;
}

void *vnuma_alloc_page(unsigned vnode)
{
    void *va;

    vnuma_init();
    if (!topo.nr_vnodes)
        return vnode == 0 ? alloc_page() : NULL;
    if (vnode >= topo.nr_vnodes)
        return NULL;
    if (vnode != boot_vnode)
        return pool_take(&pool[vnode]);
    /* pages.c serves the boot vnode; a page it freed earlier may be of an earlier one */
    if ((va = alloc_page()) && vnuma_vnode_of_pfn(virt_to_pfn(va)) != vnode) {
        free_page(va);
        return NULL;
    }
    return va;
}

void *vnuma_alloc_page_local(void)
{
    return vnuma_alloc_page(vnuma_vnode_of_vcpu(smp_vcpu_id()));
}

void vnuma_free_page(void *va)
{
    uint64_t pfn = virt_to_pfn(va);
    unsigned v = vnuma_vnode_of_pfn(pfn);
    struct vnode_pool *p = &pool[v];
    unsigned long flags;

    if (!topo.nr_vnodes || v == boot_vnode) {
        free_page(va);
        return;
    }
    if (pfn == ~0ULL || pfn >= p->bump || pfn < topo.start_pfn[v])
        guest_crash("vnuma: free of %p: not a page of vnode %u's pool", va, v);
    flags = spin_lock_irqsave(&pool_lock);
    *(uint64_t *)va = p->free_head;
    p->free_head = pfn;
    p->nr_freed++;
    spin_unlock_irqrestore(&pool_lock, flags);
}

uint64_t vnuma_free_pages(unsigned vnode)
{
    vnuma_init();
    if (vnode >= (topo.nr_vnodes ? topo.nr_vnodes : 1))
        return 0;
    if (!topo.nr_vnodes || vnode == boot_vnode)
        return free_pages_count();
    return pool[vnode].end - pool[vnode].bump + pool[vnode].nr_freed;
}
