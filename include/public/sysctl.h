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

struct sysctl {
    uint32_t cmd;
    uint32_t interface_version;
    union {
        struct sysctl_physinfo physinfo;
        struct sysctl_topologyinfo topologyinfo;
        struct sysctl_numainfo numainfo;
        struct sysctl_readconsole readconsole;
        uint8_t pad[1024];
    } u;
};

#endif
