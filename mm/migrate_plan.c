/* The pure arithmetic of the memory mover (include/hvlab/mm_migrate.h): which nodes
 * exist, how many frames must move and how many the target has free, the old -> new
 * map of a batch, and the (from, to) groups its trace records count.
 *
 * Design. A batch's map is two sorted arrays of at most MIGRATE_BATCH mfns, bisected
 * after a range test (most lookups, one per page-table entry and list entry, miss).
 * Locking: none (the caller's). Limitations: node sets are 32-bit bitmaps.
 * tests/unit/test_mm_migrate.c runs it on the host. */
#include <hvlab/errno.h>
#include <hvlab/mm_migrate.h>

int migrate_check_nodes(uint32_t nodes, unsigned nr_nodes, unsigned *bad)
{
    uint32_t all = nr_nodes >= 32 ? ~0u : (1u << nr_nodes) - 1;

    if (!nodes) {
        *bad = nr_nodes;
        return -EINVAL;
    }
    if (nodes & ~all) {
        *bad = (unsigned)__builtin_ctz(nodes & ~all);
        return -EINVAL;
    }
    return 0;
}

unsigned long migrate_outside(const unsigned long *per_node, unsigned nr_nodes, uint32_t set)
{
    unsigned long n = 0;

    for (unsigned i = 0; i < nr_nodes; i++)
        if (!(set & (1u << i)))
            n += per_node[i];
    return n;
}

unsigned long migrate_inside(const unsigned long *per_node, unsigned nr_nodes, uint32_t set)
{
    unsigned long n = 0;

    for (unsigned i = 0; i < nr_nodes; i++)
        if (set & (1u << i))
            n += per_node[i];
    return n;
}

void migrate_map_init(struct migrate_map *m)
{
    m->n = 0;
}

/* Insertion keeps old[] sorted: a batch is at most 64 pairs. */
int migrate_map_add(struct migrate_map *m, mfn_t old, mfn_t new, unsigned slot)
{
    unsigned pos = m->n;

    if (m->n == MIGRATE_BATCH)
        return -ENOSPC;
    if (migrate_map_find(m, old) >= 0)
        return -EEXIST;
    while (pos > 0 && m->old[pos - 1] > old) {
        m->old[pos] = m->old[pos - 1];
        m->new[pos] = m->new[pos - 1];
        m->slot[pos] = m->slot[pos - 1];
        pos--;
    }
    m->old[pos] = old;
    m->new[pos] = new;
    m->slot[pos] = slot;
    m->n++;
    return 0;
}

int migrate_map_find(const struct migrate_map *m, mfn_t old)
{
    unsigned lo = 0, hi = m->n;

    /* Most lookups (every entry of every table, every list entry) miss: a batch's
     * frames are close together, so the range answers those in two compares. */
    if (!m->n || old < m->old[0] || old > m->old[m->n - 1])
        return -1;
    while (lo < hi) {
        unsigned mid = (lo + hi) / 2;

        if (m->old[mid] == old)
            return (int)m->slot[mid];
        if (m->old[mid] < old)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

void migrate_groups_init(struct migrate_groups *g)
{
    g->n = 0;
}

void migrate_groups_add(struct migrate_groups *g, unsigned from, unsigned to)
{
    for (unsigned i = 0; i < g->n; i++)
        if (g->g[i].from == from && g->g[i].to == to) {
            g->g[i].frames++;
            return;
        }
    if (g->n == MIGRATE_BATCH)
        return;                         /* cannot happen: at most one pair per frame */
    g->g[g->n].from = (uint8_t)from;
    g->g[g->n].to = (uint8_t)to;
    g->g[g->n].frames = 1;
    g->n++;
}
