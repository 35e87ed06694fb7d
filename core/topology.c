/* The boot topology summary. Its lines are a contract with tests/boot: keep the
 * "topo:" prefix and key=value fields stable.
 *   topo: cpus=N online=N nodes=N
 *   topo: cpu=C apic=A node=N online=0|1
 *   topo: mem node=N start=0x... end=0x...          (one per SRAT range)
 *   topo: node=N cpus=LIST mem_mib=M managed_mib=M free_mib=M
 *   topo: distance node=N: D D D ...                 */
#include <hvlab/boot.h>
#include <hvlab/mm.h>
#include <hvlab/printk.h>
#include <hvlab/smp.h>
#include <hvlab/topology.h>

static void node_cpu_list(unsigned node, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    for (unsigned c = 0; c < topo.nr_cpus; c++)
        if (topo.cpu_node[c] == node && len < size)
            len += fmt_snprintf(buf + len, size - len, "%s%u", len ? "," : "", c);
    if (!len)
        fmt_snprintf(buf, size, "none");
}

static uint64_t node_span(unsigned node)
{
    uint64_t bytes = 0;
    for (unsigned i = 0; i < topo.nr_mem_ranges; i++)
        if (topo.mem[i].node == node)
            bytes += topo.mem[i].end - topo.mem[i].start;
    /* Without an SRAT, node 0 is all of RAM. */
    return topo.nr_mem_ranges ? bytes : boot_info.ram_bytes;
}

void topology_print(void)
{
    char cpus[128];

    pr_info("topo: cpus=%u online=%u nodes=%u\n", topo.nr_cpus, nr_cpus_online, topo.nr_nodes);
    for (unsigned c = 0; c < topo.nr_cpus; c++)
        pr_info("topo: cpu=%u apic=%u node=%u online=%d\n", c, topo.apic_id[c],
                topo.cpu_node[c], cpumask_test(&cpu_online_map, c));
    for (unsigned i = 0; i < topo.nr_mem_ranges; i++)
        pr_info("topo: mem node=%u start=%#lx end=%#lx\n", topo.mem[i].node,
                topo.mem[i].start, topo.mem[i].end);
    for (unsigned n = 0; n < topo.nr_nodes; n++) {
        node_cpu_list(n, cpus, sizeof(cpus));
        pr_info("topo: node=%u cpus=%s mem_mib=%lu managed_mib=%lu free_mib=%lu\n", n, cpus,
                node_span(n) >> 20, frames_total(n) >> (20 - PAGE_SHIFT),
                frames_free(n) >> (20 - PAGE_SHIFT));
    }
    for (unsigned a = 0; a < topo.nr_nodes; a++) {
        char row[128];
        size_t len = 0;
        for (unsigned b = 0; b < topo.nr_nodes; b++)
            len += fmt_snprintf(row + len, sizeof(row) - len, " %u", topo.distance[a][b]);
        pr_info("topo: distance node=%u:%s\n", a, row);
    }
}
