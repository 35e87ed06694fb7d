/* The node layer of the page allocator: one buddy zone per NUMA node.
 *
 * Design: every node has a fallback order computed once at init: itself, then the other
 * nodes by SLIT distance from it (ties by node index). An allocation tries the zones in
 * the preferred node's order and stops after the first one with MEMF_EXACT_NODE, so a
 * caller that asked for a node strictly never gets a frame of another node. Free ranges
 * are cut at SRAT range boundaries so that every frame lands in the zone of its node.
 *
 * Locking: each zone has its own lock (mm/buddy.c); this layer takes at most one zone
 * lock at a time and holds none itself. The statistics are updated with relaxed
 * atomics: they are counters for tracing, not inputs to decisions. The zone table and
 * fallback orders are written by page_alloc_init() before other CPUs start.
 *
 * Limitations: no per-CPU free-frame caches and no reclaim; a zone that is empty stays
 * empty until someone frees.
 */
#include <hvlab/lib.h>
#include <hvlab/mm.h>
#include <hvlab/panic.h>

static const struct topology *pa_topo;
static unsigned nr_zones;
static struct zone zones[MAX_NUMNODES];
static uint8_t fallback[MAX_NUMNODES][MAX_NUMNODES];    /* [node][try] = node to try */
static unsigned long stat_allocs[MAX_NUMNODES];         /* frames, by serving node */
static unsigned long stat_fallbacks[MAX_NUMNODES];      /* allocations, by preferred node */

static void build_fallback(const struct topology *t, unsigned n)
{
    uint8_t *f = fallback[n];
    unsigned cnt = 1;

    f[0] = (uint8_t)n;
    /* Insertion sort over ascending m keeps equal distances in index order. */
    for (unsigned m = 0; m < t->nr_nodes; m++) {
        unsigned pos = cnt;

        if (m == n)
            continue;
        while (pos > 1 && t->distance[n][f[pos - 1]] > t->distance[n][m]) {
            f[pos] = f[pos - 1];
            pos--;
        }
        f[pos] = (uint8_t)m;
        cnt++;
    }
}

void page_alloc_init(const struct topology *t)
{
    ASSERT(t->nr_nodes >= 1 && t->nr_nodes <= MAX_NUMNODES);
    pa_topo = t;
    nr_zones = t->nr_nodes;
    for (unsigned n = 0; n < nr_zones; n++) {
        zone_init(&zones[n], n);
        build_fallback(t, n);
        stat_allocs[n] = 0;
        stat_fallbacks[n] = 0;
    }
}

/* The first SRAT range edge above pa, or end if none comes first. */
static paddr_t next_node_edge(paddr_t pa, paddr_t end)
{
    paddr_t edge = end;

    for (unsigned i = 0; i < pa_topo->nr_mem_ranges; i++) {
        const struct mem_range *r = &pa_topo->mem[i];

        if (r->start > pa && r->start < edge)
            edge = r->start;
        if (r->end > pa && r->end < edge)
            edge = r->end;
    }
    return edge;
}

void page_alloc_add_range(paddr_t start, paddr_t end)
{
    ASSERT(pa_topo);
    start = ALIGN_UP(start, PAGE_SIZE);
    end = ALIGN_DOWN(end, PAGE_SIZE);
    while (start < end) {
        unsigned node = topology_node_of_paddr(pa_topo, start);
        /* A frame cut by an unaligned edge goes wholly to the node of its start. */
        paddr_t stop = MIN(ALIGN_UP(next_node_edge(start, end), PAGE_SIZE), end);

        ASSERT(node < nr_zones);
        zone_add_free(&zones[node], start >> PAGE_SHIFT, (stop - start) >> PAGE_SHIFT);
        start = stop;
    }
}

struct page_info *alloc_frames(unsigned order, unsigned node, unsigned memflags)
{
    bool strict = memflags & MEMF_EXACT_NODE;
    bool any = node == NUMA_NO_NODE;
    struct page_info *pg = NULL;
    unsigned i, served = 0;

    if (any) {
        node = 0;
        strict = false;
    } else if (node >= nr_zones) {
        if (strict)
            return NULL;
        node = 0;
        any = true;
    }
    for (i = 0; i < nr_zones && !pg; i++) {
        served = fallback[node][i];
        pg = zone_alloc(&zones[served], order);
        if (strict)
            break;
    }
    if (!pg)
        return NULL;
    __atomic_fetch_add(&stat_allocs[served], 1UL << order, __ATOMIC_RELAXED);
    if (served != node && !any)
        __atomic_fetch_add(&stat_fallbacks[node], 1, __ATOMIC_RELAXED);
    if (memflags & MEMF_ZERO)
        memset(page_to_virt(pg), 0, PAGE_SIZE << order);
    return pg;
}

void free_frames(struct page_info *pg, unsigned order)
{
    /* An allocated frame's node does not change, so reading it unlocked is safe. */
    ASSERT(pg->node < nr_zones);
    zone_free(&zones[pg->node], pg, order);
}

void *alloc_heap_pages(unsigned order, unsigned node, unsigned memflags)
{
    struct page_info *pg = alloc_frames(order, node, memflags);

    return pg ? page_to_virt(pg) : NULL;
}

void free_heap_pages(void *va, unsigned order)
{
    if (va)
        free_frames(virt_to_page(va), order);
}

const struct topology *page_alloc_topology(void)
{
    return pa_topo;
}

unsigned long frames_free(unsigned node)
{
    return node < nr_zones ? __atomic_load_n(&zones[node].nr_free, __ATOMIC_RELAXED) : 0;
}

unsigned long frames_total(unsigned node)
{
    return node < nr_zones ? __atomic_load_n(&zones[node].total, __ATOMIC_RELAXED) : 0;
}

unsigned long frames_total_all(void)
{
    unsigned long sum = 0;

    for (unsigned n = 0; n < nr_zones; n++)
        sum += frames_total(n);
    return sum;
}

unsigned long frames_free_all(void)
{
    unsigned long sum = 0;

    for (unsigned n = 0; n < nr_zones; n++)
        sum += frames_free(n);
    return sum;
}

void page_alloc_stats(unsigned node, unsigned long *allocs, unsigned long *fallbacks)
{
    bool ok = node < nr_zones;

    if (allocs)
        *allocs = ok ? __atomic_load_n(&stat_allocs[node], __ATOMIC_RELAXED) : 0;
    if (fallbacks)
        *fallbacks = ok ? __atomic_load_n(&stat_fallbacks[node], __ATOMIC_RELAXED) : 0;
}
