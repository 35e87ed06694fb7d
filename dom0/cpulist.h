/* CPU lists in xl syntax, for cfg files (cpus=, cpus_soft=) and `vcpu-pin`:
 *   "all"            every CPU of the machine
 *   "3", "0-3"       CPUs and ranges
 *   "node:1"         every CPU of NUMA node 1; "nodes:0-1" a range of nodes
 *   "^5", "^node:1"  exclusions, e.g. "all,^0" or "nodes:0-1,^3"
 * Items are separated by commas; blanks around them are ignored. A list is parsed
 * without knowing the machine (dom0 parses cfg files before asking the hypervisor):
 * node items and "all" are resolved later against the topology, by cpulist_resolve. */
#ifndef DOM0_CPULIST_H
#define DOM0_CPULIST_H

#include <hvlab/lib.h>

#define CPULIST_MAX_CPUS  64    /* SYSCTL_MAX_CPUS: affinity masks are uint64_t */
#define CPULIST_MAX_NODES 8     /* SYSCTL_MAX_NODES */

struct cpulist {
    bool all;
    uint64_t cpus, not_cpus;        /* bit n: CPU n named / excluded */
    uint8_t nodes, not_nodes;       /* bit n: node n named / excluded */
};

/* What resolving needs to know of the machine. */
struct cpu_topo {
    unsigned nr_cpus;               /* CPUs 0 .. nr_cpus-1 exist */
    unsigned nr_nodes;
    uint8_t cpu_to_node[CPULIST_MAX_CPUS];
};

/* Parses s into *out. On error returns -EINVAL and writes the reason to err, e.g.
 * `bad CPU range "3-1": start above end` or `CPU 99 out of range 0..63`. */
int cpulist_parse(const char *s, struct cpulist *out, char *err, size_t errlen);

/* The CPUs l names on machine t: (all | cpus | CPUs of nodes) minus the exclusions.
 * Bits at or above t->nr_cpus are kept, so the caller can reject CPUs that do not
 * exist (cpulist_resolve(...) & ~cpumask_all(t)). */
uint64_t cpulist_resolve(const struct cpulist *l, const struct cpu_topo *t);

/* The mask of every CPU of t. */
uint64_t cpumask_all(const struct cpu_topo *t);

/* Writes mask as a list: "all" when it equals all (pass 0 to never say "all"),
 * "none" when empty, else ranges "0-3,6". Returns snprintf-style length. */
int cpumask_format(char *buf, size_t size, uint64_t mask, uint64_t all);

#endif
