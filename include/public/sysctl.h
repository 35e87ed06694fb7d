/* sysctl(struct sysctl *): the machine as a whole. dom0 only. */
#ifndef HVLAB_PUBLIC_SYSCTL_H
#define HVLAB_PUBLIC_SYSCTL_H

#include "hvlab.h"

#define SYSCTL_INTERFACE_VERSION 1

#define SYSCTL_physinfo      1
#define SYSCTL_topologyinfo  2
#define SYSCTL_numainfo      3
#define SYSCTL_readconsole   4
#define SYSCTL_getdomaininfolist 5
#define SYSCTL_cpupool_op    6

#define SYSCTL_MAX_CPUS  64
#define SYSCTL_MAX_NODES 8

struct sysctl_physinfo {
    uint32_t nr_cpus, nr_online_cpus, nr_nodes, pad;
    uint64_t cpu_khz;
    uint64_t total_pages, free_pages;
    uint64_t now_ns;                    /* NOW() */
    char sched_name[16];                /* default pool's scheduler */
};

struct sysctl_topologyinfo {
    uint32_t nr_cpus;                   /* OUT */
    uint32_t pad;
    uint32_t cpu_to_node[SYSCTL_MAX_CPUS];
    uint32_t cpu_apic_id[SYSCTL_MAX_CPUS];
    uint8_t cpu_online[SYSCTL_MAX_CPUS];
};

struct sysctl_numainfo {
    uint32_t nr_nodes;                  /* OUT */
    uint32_t pad;
    uint64_t node_total_pages[SYSCTL_MAX_NODES];
    uint64_t node_free_pages[SYSCTL_MAX_NODES];
    uint8_t distance[SYSCTL_MAX_NODES][SYSCTL_MAX_NODES];
};

struct sysctl_readconsole {
    uint64_t buffer;                    /* IN: caller VA */
    uint32_t count;                     /* IN: buffer size; OUT: bytes copied */
    uint32_t index;                     /* IN: log offset to start from; OUT: next */
};

/* CPU pools: each pool has its own scheduler instance, its pCPUs and its domains.
 * Pool 0 exists from boot (sched= policy, every CPU). A pCPU is in at most one pool;
 * removed from a pool it idles until added to another. */
#define CPUPOOL_OP_create     1         /* IN: name, sched_name; OUT: cpupool_id */
#define CPUPOOL_OP_destroy    2         /* IN: cpupool_id (no CPUs, no domains left) */
#define CPUPOOL_OP_info       3         /* IN: cpupool_id: the first pool >= it; OUT: all */
#define CPUPOOL_OP_addcpu     4         /* IN: cpupool_id, cpu (a free CPU) */
#define CPUPOOL_OP_rmcpu      5         /* IN: cpupool_id, cpu */
#define CPUPOOL_OP_movedomain 6         /* IN: cpupool_id, domid */
#define CPUPOOL_OP_freeinfo   7         /* OUT: cpumap of CPUs in no pool */

struct sysctl_cpupool_op {
    uint32_t op;
    uint32_t cpupool_id;
    uint32_t cpu;
    uint32_t domid;
    char name[16];
    char sched_name[16];
    uint64_t cpumap;                    /* OUT: the pool's CPUs */
    uint32_t n_dom;                     /* OUT: domains in the pool */
    uint32_t sched_id;                  /* OUT: SCHED_ID_* */
};

struct sysctl {
    uint32_t cmd;
    uint32_t interface_version;
    union {
        struct sysctl_physinfo physinfo;
        struct sysctl_topologyinfo topologyinfo;
        struct sysctl_numainfo numainfo;
        struct sysctl_readconsole readconsole;
        struct sysctl_cpupool_op cpupool_op;
        uint8_t pad[1024];
    } u;
};

#endif
