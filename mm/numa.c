/* Which NUMA node a physical address belongs to, from the SRAT memory ranges that
 * core/acpi.c put in the topology. Addresses outside every range (no SRAT, or holes the
 * SRAT does not describe) count as node 0, so that no usable RAM is left unmanaged. */
#include <hvlab/topology.h>

unsigned topology_node_of_paddr(const struct topology *t, paddr_t pa)
{
    for (unsigned i = 0; i < t->nr_mem_ranges; i++)
        if (pa >= t->mem[i].start && pa < t->mem[i].end)
            return t->mem[i].node;
    return 0;
}
