/* sysctl(struct sysctl *): the machine as a whole. dom0 only. */
#ifndef HVLAB_PUBLIC_SYSCTL_H
#define HVLAB_PUBLIC_SYSCTL_H

#include "hvlab.h"
#include "domctl.h"

#define SYSCTL_INTERFACE_VERSION 1

#define SYSCTL_physinfo      1
#define SYSCTL_topologyinfo  2
#define SYSCTL_numainfo      3
#define SYSCTL_readconsole   4
#define SYSCTL_getdomaininfolist 5
#define SYSCTL_cpupool_op    6
#define SYSCTL_scheduler_op  7
#define SYSCTL_sched_decls   8
#define SYSCTL_numa_frames   9    /* frames per node and domain (public/mm_policy.h) */

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

/* Parameters of a pool's scheduler as a whole (SYSCTL_scheduler_op), as Xen's
 * XEN_SYSCTL_scheduler_op. sched_id must name the pool's policy (else -EINVAL); a
 * policy without such parameters answers -ENOSYS.
 *
 * arinc653: the timetable. A major frame of major_frame_us repeats for ever; it is
 * cut into nr_entries minor frames (windows) in order, each running one domain (all
 * its vCPUs, or the one named) for runtime_us; what the windows leave of the major
 * frame is idle. PUT is refused with -EINVAL (no entries, a runtime under
 * ARINC653_MIN_RUNTIME_US, a major frame of 0 or over ARINC653_MAX_FRAME_US,
 * runtimes that sum past the major frame, a vCPU the domain does not have), -E2BIG
 * (more than ARINC653_MAX_ENTRIES) or -ESRCH (a domain not in the pool); `bad_entry`
 * then names the entry at fault (ARINC653_NO_ENTRY: the frame as a whole). GET
 * returns the timetable in force, and `is_default` says whether it is the one the
 * policy made itself (see sched/arinc653.c) because none was PUT. */
#define ARINC653_MAX_ENTRIES    64      /* Xen's ARINC653_MAX_DOMAINS_PER_SCHEDULE */
#define ARINC653_MIN_RUNTIME_US 100
#define ARINC653_MAX_FRAME_US   10000000u
#define ARINC653_ALL_VCPUS      0xffffu
#define ARINC653_NO_ENTRY       0xffffffffu

struct arinc653_entry {
    hv_domid_t domid;
    uint16_t vcpu;                      /* ARINC653_ALL_VCPUS or one vCPU */
    uint32_t runtime_us;
};

struct sysctl_arinc653_schedule {
    uint32_t major_frame_us;
    uint32_t nr_entries;
    uint32_t bad_entry;                 /* OUT, on a refused PUT */
    uint32_t is_default;                /* OUT, on GET */
    struct arinc653_entry entries[ARINC653_MAX_ENTRIES];
};

struct sysctl_scheduler_op {
    uint32_t cpupool_id;
    uint32_t sched_id;                  /* SCHED_ID_* of the pool's policy */
    uint32_t cmd;                       /* SCHED_PARAMS_GET / SCHED_PARAMS_PUT */
    uint32_t pad;
    union {
        struct sysctl_arinc653_schedule arinc653;
        uint64_t raw[8];
    } u;
};

/* The parameters and counters a policy declares (sched/private.h, struct sched_param):
 * of pool cpupool_id's policy, or, when `policy` is not empty, of the policy of that
 * name (-ENOENT if none). What DOMCTL_scheduler_op's value[] and counter[] mean. */
#define SCHED_PARAM_INT   0             /* a number in [min, max] */
#define SCHED_PARAM_BOOL  1             /* 0 or 1 */
#define SCHED_PARAM_NODES 2             /* a bitmap of NUMA nodes; 0 = automatic */
#define SCHED_PARAM_PER_VCPU (1u << 0)  /* each vCPU has its own value */
/* A non-zero value may keep a runnable vCPU off an idle pCPU (a cap, a budget): the
 * simulator's "no idling while work waits" check then leaves the domain alone. */
#define SCHED_PARAM_LIMITS   (1u << 1)
struct sched_param_info {
    char name[SCHED_NAME_LEN];          /* the xl key: "weight" */
    char unit[8];                       /* "us", "%", "" */
    uint32_t type;                      /* SCHED_PARAM_* */
    uint32_t flags;                     /* SCHED_PARAM_PER_VCPU, SCHED_PARAM_LIMITS */
    uint64_t min, max, dflt;
};
struct sched_counter_info {
    char name[SCHED_NAME_LEN];
    char unit[8];
};
struct sysctl_sched_decls {
    uint32_t cpupool_id;                /* IN */
    uint32_t sched_id;                  /* OUT: the policy's trace subclass */
    char policy[SCHED_NAME_LEN];        /* IN: "" (by pool) or a policy; OUT: the policy */
    uint32_t nr_params, nr_counters;    /* OUT */
    struct sched_param_info param[SCHED_NR_PARAMS];
    struct sched_counter_info counter[SCHED_NR_COUNTERS];
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
        struct sysctl_scheduler_op scheduler_op;
        struct sysctl_sched_decls sched_decls;
        struct sysctl_numa_frames numa_frames;      /* mmpolicy */
        uint8_t pad[1024];
    } u;
};

#endif
