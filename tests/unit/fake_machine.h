/* A fake machine for host tests of the memory code: an arena of "physical" memory
 * mapped at a low fixed address, so that physical == virtual as HOST_TEST's __va()
 * assumes, a frame-table allocator, and hand-made domains. */
#ifndef HVLAB_TESTS_FAKE_MACHINE_H
#define HVLAB_TESTS_FAKE_MACHINE_H

#include <hvlab/domain.h>

/* Maps size bytes at the first free address of `tries` (n of them, ascending); the
 * same mapping is returned on later calls. 0 if none could be had. */
paddr_t fake_arena_map(size_t size, const paddr_t *tries, unsigned n);
/* A NUMA machine for the allocator: `nodes` nodes of node_frames frames each, one after
 * another in an arena at one of the usual test addresses, distance(n, m) as its SLIT,
 * the frame table and the page allocator set up over it (t filled). The arena's base,
 * or 0 if it could not be mapped. */
paddr_t fake_numa_machine(struct topology *t, unsigned nodes, unsigned long node_frames,
                          uint8_t (*distance)(unsigned n, unsigned m));
/* An early_alloc for frame_table_init(): each call replaces the previous table. */
void *fake_early_alloc(size_t bytes);
/* A domain as domain_create would leave it, minus vCPUs and event channels. */
void fake_domain_init(struct domain *d, domid_t id, bool privileged,
                      unsigned long max_pages);

/* What the memory policies' machine services answer on the host (mm_this_node,
 * mm_node_cpus, mm_node_vcpus): 0 until a test sets them. */
extern unsigned fake_this_node;
extern unsigned fake_node_cpus[MAX_NUMNODES];
extern unsigned fake_node_vcpus[MAX_NUMNODES];
/* The hypervisor's preemption point (core/hypercall.c) on the fake machine: counts
 * the calls and runs fake_preempt_hook, if set, as if another vCPU ran there. */
extern unsigned long fake_preempt_calls;
extern void (*fake_preempt_hook)(void);
/* flush_domain_tlbs (core/mm_hypercalls.c) on the fake machine: counts the calls. */
extern unsigned long fake_flush_calls;

#endif
