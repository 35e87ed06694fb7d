/* The machine as the firmware describes it: CPUs (MADT), NUMA nodes with their memory
 * and CPUs (SRAT), node distances (SLIT), and the ACPI power-management registers
 * (FADT). Filled once at boot by core/acpi.c before the APs start; read-only after. */
#ifndef HVLAB_TOPOLOGY_H
#define HVLAB_TOPOLOGY_H

#include "types.h"

#define MAX_MEM_RANGES 32

struct mem_range {
    paddr_t start;          /* inclusive */
    paddr_t end;            /* exclusive */
    uint8_t node;           /* dense node index, 0 .. nr_nodes-1 */
};

struct topology {
    /* MADT: one entry per enabled local APIC, in MADT order; CPU 0 is the BSP. */
    unsigned nr_cpus;
    uint32_t apic_id[NR_CPUS];
    paddr_t  lapic_base;
    paddr_t  ioapic_base;   /* first IOAPIC, 0 if none */
    uint32_t ioapic_id;
    /* Interrupt source overrides: ISA IRQ i arrives on GSI isa_gsi[i] with MPS INTI
     * flags isa_flags[i] (ACPI_MPS_*; 0: conforms to the ISA bus, edge, active high).
     * Identity with flags 0 where the MADT says nothing. */
    uint32_t isa_gsi[16];
    uint16_t isa_flags[16];

    /* SRAT/SLIT. Without an SRAT: one node, holding every CPU and all memory. Nodes are
     * numbered densely in order of first appearance of their proximity domain. */
    unsigned nr_nodes;
    uint32_t node_pxm[MAX_NUMNODES];            /* proximity domain of each node */
    uint8_t  cpu_node[NR_CPUS];                 /* indexed like apic_id[] */
    unsigned nr_mem_ranges;
    struct mem_range mem[MAX_MEM_RANGES];
    uint8_t  distance[MAX_NUMNODES][MAX_NUMNODES];  /* 10 = local; SLIT or defaults */

    /* FADT: what clean poweroff and PM-timer calibration need. */
    uint16_t pm1a_cnt_port;
    uint16_t pm_tmr_port;   /* 0 if absent */
    bool     pm_tmr_32bit;
    uint8_t  s5_slp_typ;    /* SLP_TYPa for S5 from the DSDT's \_S5 package */
};

extern struct topology topo;

/* Node of a physical address per SRAT; 0 when no SRAT range covers it. */
unsigned topology_node_of_paddr(const struct topology *t, paddr_t pa);

#endif
