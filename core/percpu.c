/* Per-CPU areas. The BSP's is static (it is needed before any allocator exists); the
 * APs' are allocated on their own node just before they start. */
#include <hvlab/panic.h>
#include <hvlab/percpu.h>
#include <hvlab/topology.h>
#include <hvlab/x86/regs.h>
#include <hvlab/xmalloc.h>

struct percpu *percpu_areas[NR_CPUS];
static struct percpu bsp_area;

static void percpu_fill(struct percpu *pc, unsigned cpu)
{
    pc->self = pc;
    pc->cpu = cpu;
    pc->apic_id = topo.apic_id[cpu];
    pc->node = topo.cpu_node[cpu];
    percpu_areas[cpu] = pc;
}

/* Earliest BSP step: from here on this_cpu() works (APIC ID and node come later). */
void percpu_init_bsp(uintptr_t stack_top)
{
    bsp_area.self = &bsp_area;
    bsp_area.stack_top = stack_top;
    percpu_areas[0] = &bsp_area;
    wrmsr(MSR_GS_BASE, (uint64_t)&bsp_area);
}

/* After ACPI: the BSP learns its APIC ID and node like everyone else. */
void percpu_topology_bsp(void)
{
    percpu_fill(&bsp_area, 0);
}

struct percpu *percpu_alloc(unsigned cpu)
{
    struct percpu *pc = xzalloc(sizeof(*pc));
    if (!pc)
        panic("percpu: no memory for CPU%u", cpu);
    percpu_fill(pc, cpu);
    return pc;
}
