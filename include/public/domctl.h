/* domctl(struct domctl *): managing domains. dom0 only (SIF_PRIVILEGED); anyone
 * else gets -EPERM. Every op names its domain in `domain`. */
#ifndef HVLAB_PUBLIC_DOMCTL_H
#define HVLAB_PUBLIC_DOMCTL_H

#include "hvlab.h"
#include "vcpu.h"
#include "hvm_ioreq.h"                  /* DOMCTL_ioreq_server, DOMCTL_hvm_set_irq */
#include "physdev.h"
#include "vnuma.h"                     /* DOMCTL_set_vnuma */
#include "mm_policy.h"                /* DOMCTL_set_memory_policy, DOMCTL_hvm_populate */
#include "mm_migrate.h"               /* DOMCTL_migrate_memory */

#define DOMCTL_INTERFACE_VERSION 1

#define DOMCTL_createdomain      1
#define DOMCTL_destroydomain     2
#define DOMCTL_pausedomain       3
#define DOMCTL_unpausedomain     4
#define DOMCTL_getdomaininfo     5
#define DOMCTL_max_mem           6
#define DOMCTL_setvcpucontext    7
#define DOMCTL_getvcpuinfo       8
#define DOMCTL_setvcpuaffinity   9
#define DOMCTL_getvcpuaffinity  10
#define DOMCTL_scheduler_op     11
#define DOMCTL_shutdown         12   /* ask a domain to shut down: it sees the request */
#define DOMCTL_getpageframeinfo 13   /* the domain's MFN list, for foreign mapping */
#define DOMCTL_hvm_setcontext   14   /* an HVM vCPU's first state; it is then up */
#define DOMCTL_console_input    15   /* bytes typed into an HVM domain's COM1 */
#define DOMCTL_ioreq_server     16   /* an HVM domain's device model (public/hvm_ioreq.h) */
#define DOMCTL_hvm_set_irq      17   /* a device model raises/lowers an HVM domain's IRQ line */
#define DOMCTL_ioport_permission 18  /* I/O ports a domain may use (public/physdev.h) */
#define DOMCTL_hvm_set_param    19   /* HVM_PARAM_* of an HVM domain (public/hvm.h) */
#define DOMCTL_set_memory_policy 20  /* where its frames come from (public/mm_policy.h) */
#define DOMCTL_hvm_populate     21   /* frames behind HVM gfns now (public/mm_policy.h) */
#define DOMCTL_migrate_memory   22   /* a running domain's frames to other nodes (public/mm_migrate.h) */
#define DOMCTL_set_vnuma        23   /* virtual NUMA layout (public/vnuma.h) */

#define DOMNAME_LEN 32

struct domctl_createdomain {
    char name[DOMNAME_LEN];
    uint32_t max_vcpus;
    uint32_t flags;                     /* DOMCRF_* */
    uint64_t max_pages;
    uint32_t cpupool;                   /* pool id (0: the default pool) */
    uint32_t pad;
    /* vnuma: the caller's VA of a struct vnuma_layout (public/vnuma.h), 0: none. Needed
     * for an HVM domain, whose RAM is allocated here (then placed by the layout);
     * refused (-EINVAL, a line in the log) as DOMCTL_set_vnuma refuses it. */
    uint64_t vnuma;
};

/* createdomain flags. DOMCRF_hvm: a hardware-virtualized domain (AMD SVM): all of its
 * max_pages frames are allocated at once and gfn i is its i-th frame (the order of
 * DOMCTL_getpageframeinfo; DOMCTL_set_memory_policy may allocate them again, or leave
 * them to the nested page faults: public/mm_policy.h); -ENODEV when the machine has
 * no SVM with nested paging, -ENOMEM when the frames are not there (nothing stays
 * allocated). */
#define DOMCRF_hvm        (1u << 0)

#define DOMINFO_dying     (1u << 0)
#define DOMINFO_shutdown  (1u << 1)
#define DOMINFO_paused    (1u << 2)
#define DOMINFO_blocked   (1u << 3)
#define DOMINFO_running   (1u << 4)
#define DOMINFO_privileged (1u << 5)
#define DOMINFO_created   (1u << 6)     /* built, never unpaused */
#define DOMINFO_hvm       (1u << 7)     /* created with DOMCRF_hvm */

#define MAX_NUMA_NODES_ABI 8

struct domctl_getdomaininfo {
    hv_domid_t domain;                  /* OUT: the domain found (>= the one asked) */
    uint16_t pad;
    uint32_t flags;                     /* DOMINFO_* */
    uint32_t shutdown_reason;           /* SHUTDOWN_*, when DOMINFO_shutdown */
    uint32_t nr_online_vcpus, max_vcpus;
    uint32_t cpupool;
    uint64_t tot_pages, max_pages;
    uint64_t pages_on_node[MAX_NUMA_NODES_ABI];
    uint64_t cpu_time_ns;               /* sum of running time of its vCPUs */
    char name[DOMNAME_LEN];
};

struct domctl_vcpucontext {
    uint32_t vcpu;
    uint32_t pad;
    struct vcpu_guest_context ctx;
};

/* DOMCTL_hvm_setcontext: the first state of an HVM vCPU (before it ever ran); -EEXIST
 * if it has one. vCPU 0 gets its context from the builder; the others stay down
 * until given one. Segments are flat (base 0, limit 4 GiB), interrupts off. */
#define HVM_BOOT_PROT32 1               /* 32-bit protected mode, paging off: CS 0x08,
                                           data 0x18 (Multiboot v1, PVH) */
#define HVM_BOOT_LONG64 2               /* 64-bit mode, 4-level tables at cr3, CS 0x10,
                                           data 0x18 */
/* The selectors both modes load: one GDT layout (the builder's, core/lib/hvmbuild),
 * so a guest that reloads a segment register from the GDT at gdt_base before it has
 * its own gets the same descriptor. gdt_base 0: GDTR base 0 (the guest loads one). */
#define HVM_BOOT_SEL_CODE32 0x08
#define HVM_BOOT_SEL_CODE64 0x10
#define HVM_BOOT_SEL_DATA   0x18
struct domctl_hvm_context {
    uint32_t vcpu;
    uint32_t mode;                      /* HVM_BOOT_* */
    uint64_t rip, rsp, rax, rbx, rsi, cr3;
    uint64_t gdt_base;                  /* the GDT the selectors index (0: none) */
};

struct domctl_getvcpuinfo {
    uint32_t vcpu;                      /* IN */
    uint32_t online, blocked, running;
    uint32_t cpu;                       /* pCPU it runs on or last ran on */
    uint32_t pad;
    struct vcpu_runstate_info runstate;
    uint64_t cpumap_hard, cpumap_soft;  /* affinity */
};

struct domctl_vcpuaffinity {
    uint32_t vcpu;
    uint32_t flags;                     /* 1: hard, 2: soft, 3: both */
    uint64_t cpumap_hard, cpumap_soft;
};

struct domctl_max_mem { uint64_t max_pages; };

/* DOMCTL_console_input: bytes into the receive FIFO of an HVM domain's COM1 (16 deep,
 * like a 16550A's). Returns how many were taken; the rest did not fit: the caller
 * tries again once the guest has read. -ENODEV for a PV domain, -EINVAL for
 * len > CONSOLE_INPUT_MAX. */
#define CONSOLE_INPUT_MAX 64
struct domctl_console_input {
    uint32_t len;
    uint32_t pad;
    uint8_t bytes[CONSOLE_INPUT_MAX];
};

struct domctl_shutdown { uint32_t reason; };

/* DOMCTL_hvm_set_param (the store): HVM_PARAM_* `index` (1 .. HVM_NR_PARAMS - 1,
 * public/hvm.h) of an HVM domain := value, which the guest reads with
 * HVMOP_get_param. -ENODEV for a PV domain, -EINVAL for a bad index. */
struct domctl_hvm_param {
    uint32_t index;
    uint32_t pad;
    uint64_t value;
};

struct domctl_getpageframeinfo {
    uint64_t mfn_list;                  /* IN: caller VA of uint64_t[max] */
    uint64_t max;                       /* IN */
    uint64_t nr;                        /* OUT: frames written */
};

/* Scheduler parameters of a domain (DOMCTL_scheduler_op), by declaration: the policy
 * of the domain's pool declares its parameters and counters in its own file, and
 * SYSCTL_sched_decls lists them (public/sysctl.h); value[i] is that list's parameter
 * i, counter[i] its counter i. `policy` must name the pool's policy (else -EINVAL),
 * so that values meant for one policy never reach another. The hypervisor checks
 * each value against its declared range before the policy sees it (-ERANGE).
 * PUT sets the parameters whose bit is in `mask` and leaves the others as they are;
 * a bit beyond the declared parameters is -EINVAL. Per-vCPU parameters apply to
 * vCPU `vcpu`, or to every vCPU (SCHED_ALL_VCPUS; GET then reads vCPU 0). */
#define SCHED_PARAMS_GET 0
#define SCHED_PARAMS_PUT 1
#define SCHED_NR_PARAMS   8             /* most parameters a policy may declare */
#define SCHED_NR_COUNTERS 8             /* most counters */
#define SCHED_NAME_LEN    16            /* policy, parameter and counter names, NUL included */
#define SCHED_ALL_VCPUS   0xffffffffu
#define RTDS_ALL_VCPUS    SCHED_ALL_VCPUS

/* Trace subclasses (TRC_POLICY) of the policies hvlab ships, Xen's numbers where Xen
 * has the policy. No tool needs this list: each policy states its number in its ops
 * table (sched_id), SYSCTL_sched_decls reports it, and the hypervisor refuses two
 * policies with one number at boot. A new policy picks an unused number in its file. */
#define SCHED_ID_RR      1
#define SCHED_ID_CREDIT  5
#define SCHED_ID_CREDIT2 6
#define SCHED_ID_ARINC653 7             /* per-pool timetable: SYSCTL_scheduler_op */
#define SCHED_ID_RTDS    8
#define SCHED_ID_NULL    9              /* no parameters */
#define SCHED_ID_NUMA    16

struct domctl_scheduler_op {
    char policy[SCHED_NAME_LEN];        /* IN: the pool's policy, by name */
    uint32_t cmd;                       /* SCHED_PARAMS_GET / SCHED_PARAMS_PUT */
    uint32_t vcpu;                      /* per-vCPU parameters: a vCPU or SCHED_ALL_VCPUS */
    uint32_t mask;                      /* PUT: bit i set: set value[i] */
    uint32_t pad;
    uint64_t value[SCHED_NR_PARAMS];    /* GET: OUT; PUT: IN (bits of mask) */
    uint64_t counter[SCHED_NR_COUNTERS]; /* GET: OUT */
};

/* DOMCTL_set_vnuma: the domain's virtual NUMA layout (public/vnuma.h), before it has
 * any frame (a PV domain between createdomain and its first populate; an HVM domain
 * gets its layout at createdomain, -EBUSY here) and before it ever ran. -EINVAL for a
 * layout breaking a rule, -ENOMEM when a physical node lacks the free frames, each
 * after a line in the log naming the domain and the numbers. Replaces an earlier
 * layout. */

struct domctl {
    uint32_t cmd;
    uint32_t interface_version;         /* DOMCTL_INTERFACE_VERSION */
    hv_domid_t domain;
    uint16_t pad[3];
    union {
        struct domctl_createdomain createdomain;
        struct domctl_getdomaininfo getdomaininfo;
        struct domctl_vcpucontext vcpucontext;
        struct domctl_getvcpuinfo getvcpuinfo;
        struct domctl_vcpuaffinity vcpuaffinity;
        struct domctl_max_mem max_mem;
        struct domctl_shutdown shutdown;
        struct domctl_getpageframeinfo getpageframeinfo;
        struct domctl_scheduler_op scheduler_op;
        struct domctl_hvm_context hvm_context;
        struct domctl_console_input console_input;
        /* devmodel (issue 11): public/hvm_ioreq.h */
        struct domctl_ioreq_server ioreq_server;
        struct domctl_hvm_set_irq hvm_set_irq;
        /* pdisk */
        struct domctl_ioport_permission ioport_permission;
        struct domctl_hvm_param hvm_param;          /* the store */
        struct vnuma_layout vnuma;                  /* DOMCTL_set_vnuma */
        struct domctl_memory_policy memory_policy;  /* mmpolicy */
        struct domctl_hvm_populate hvm_populate;    /* mmpolicy */
        struct domctl_migrate_memory migrate_memory; /* migrate: mm/migrate.c */
        uint8_t pad[256];
    } u;
};

#endif
