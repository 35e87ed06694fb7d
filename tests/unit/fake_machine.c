/* See fake_machine.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <hvlab/mm.h>
#include <hvlab/mm_policy.h>
#include <hvlab/hypercall.h>
#include "fake_machine.h"

static void *table_mem;

void *fake_early_alloc(size_t bytes)
{
    free(table_mem);
    table_mem = malloc(bytes);
    return table_mem;
}

paddr_t fake_arena_map(size_t size, const paddr_t *tries, unsigned n)
{
    static paddr_t base;

    if (base)
        return base;
    for (unsigned i = 0; i < n; i++) {
        void *p = mmap((void *)(uintptr_t)tries[i], size, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

        if (p == (void *)(uintptr_t)tries[i])
            return base = tries[i];
        if (p != MAP_FAILED)
            munmap(p, size);
    }
    printf("  cannot map the test arena at a low fixed address\n");
    return 0;
}

paddr_t fake_numa_machine(struct topology *t, unsigned nodes, unsigned long node_frames,
                          uint8_t (*distance)(unsigned n, unsigned m))
{
    static const paddr_t tries[] = { 8UL << 20, 16UL << 20, 32UL << 20, 64UL << 20,
                                     128UL << 20, 256UL << 20 };
    size_t size = (size_t)nodes * node_frames * PAGE_SIZE;
    paddr_t base = fake_arena_map(size, tries, 6);

    if (!base)
        return 0;
    memset(t, 0, sizeof(*t));
    t->nr_nodes = nodes;
    t->nr_mem_ranges = nodes;
    for (unsigned n = 0; n < nodes; n++) {
        t->mem[n] = (struct mem_range){ base + n * node_frames * PAGE_SIZE,
                                        base + (n + 1) * node_frames * PAGE_SIZE, (uint8_t)n };
        for (unsigned m = 0; m < nodes; m++)
            t->distance[n][m] = distance(n, m);
    }
    frame_table_init(base + size, fake_early_alloc);
    page_alloc_init(t);
    page_alloc_add_range(base, base + size);
    return base;
}

void fake_domain_init(struct domain *d, domid_t id, bool privileged,
                      unsigned long max_pages)
{
    memset(d, 0, sizeof(*d));
    d->domain_id = id;
    d->is_privileged = privileged;
    spin_lock_init(&d->lock);
    spin_lock_init(&d->page_lock);
    list_init(&d->page_list);
    d->max_pages = max_pages;
    d->home_node = NUMA_NO_NODE;
}

/* The machine memory policies read beyond the allocator (mm/policy_machine.c's
 * functions, host doubles): tests set these. */
unsigned fake_this_node;
unsigned fake_node_cpus[MAX_NUMNODES];
unsigned fake_node_vcpus[MAX_NUMNODES];

unsigned mm_this_node(void)
{
    return fake_this_node;
}

unsigned mm_node_cpus(unsigned node)
{
    return node < MAX_NUMNODES ? fake_node_cpus[node] : 0;
}

unsigned mm_node_vcpus(unsigned node, const struct domain *except)
{
    (void)except;
    return node < MAX_NUMNODES ? fake_node_vcpus[node] : 0;
}

unsigned long fake_preempt_calls;
void (*fake_preempt_hook)(void);

bool hypercall_preempt(void)
{
    fake_preempt_calls++;
    if (fake_preempt_hook)
        fake_preempt_hook();
    return fake_preempt_hook != NULL;
}

bool hypercall_preempt_check(void)
{
    return fake_preempt_hook != NULL;
}

unsigned long fake_flush_calls;

void flush_domain_tlbs(struct domain *d)
{
    (void)d;
    fake_flush_calls++;
}
