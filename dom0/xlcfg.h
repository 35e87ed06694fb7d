/* Domain configuration files: a subset of xl.cfg(5).
 *
 * Syntax (as xl's): settings `key = value`, separated by newlines or ';'; `#` starts
 * a comment; a value is a NUMBER (decimal, 0x hex, 0 octal), a "double" or 'single'
 * quoted STRING (escapes \\ \" \' \n \t) or a list [ VALUE, VALUE, ... ] of those,
 * which may span lines and end with a comma.
 *
 * Keys: name (required), kernel (required: the name of a multiboot module), memory
 * (MiB, required), maxmem (MiB, default memory), vcpus (default 1), cpus and
 * cpus_soft (a CPU list string, see cpulist.h, for every vCPU; or a list of them,
 * entry i for vCPU i), type ("pv"), on_poweroff / on_reboot / on_crash ("destroy"
 * or "preserve"; default destroy), extra or cmdline (guest command line: one key,
 * two names), ramdisk (HVM: the name of a module with the initrd), pool, vnuma
 * (virtual NUMA nodes: xlcfg_vnuma.c, docs/vnuma.md),
 * memory_policy and nodes (where its memory comes from: docs/memory-policies.md), and the
 * parameters of the pool's scheduler. Those are whatever that policy declares
 * (sched/private.h, struct sched_param): any other key with a number or a string
 * value is kept as a scheduler parameter with its line (cpu_weight is xl's name for
 * weight); `xl create`, and a scenario before its first command, check it against
 * the pool policy's declarations, so a key the policy does not have is an error
 * naming file, line and key, never ignored.
 * Every problem is reported with file, line and key; keys set twice, lists where a
 * parameter is expected and missing required keys are errors. */
#ifndef DOM0_XLCFG_H
#define DOM0_XLCFG_H

#include <hvlab/lib.h>
#include "cpulist.h"

#define XLCFG_NAME_MAX    32    /* DOMNAME_LEN, with the NUL */
#define XLCFG_KERNEL_MAX  64
#define XLCFG_EXTRA_MAX   256   /* start_info.cmdline, with the NUL */
#define XLCFG_POOL_MAX    32
#define XLCFG_MAX_VCPUS   32    /* MAX_VIRT_CPUS */
#define XLCFG_MAX_MEMORY_MIB (1u << 20)
#define XLCFG_MSG_MAX     192   /* longest message handed to the report callback */

enum xlcfg_type { XLCFG_TYPE_PV, XLCFG_TYPE_HVM };   /* HVM: dom0/xl_hvm.c */

/* What dom0 does when the domain shuts down for that reason. */
enum xlcfg_action { XLCFG_ACTION_DESTROY, XLCFG_ACTION_PRESERVE };

/* Affinity as written: nr == 0 not set (every CPU); per_vcpu false: set[0] applies
 * to every vCPU (a string); per_vcpu true: set[i] to vCPU i < nr, the others get
 * every CPU (a list, xl's "specific vCPU mapping"). */
struct xlcfg_affinity {
    unsigned nr;
    bool per_vcpu;
    struct cpulist set[XLCFG_MAX_VCPUS];
};

#define XLCFG_SCHED_MAX       8     /* SCHED_NR_PARAMS */
#define XLCFG_SCHED_KEY_MAX   16    /* SCHED_NAME_LEN */
#define XLCFG_SCHED_VALUE_MAX 32

/* A scheduler parameter as written: checked and converted at create time, against
 * the declarations of the pool's policy (dom0/sched_params.h). */
struct xlcfg_sched_param {
    char key[XLCFG_SCHED_KEY_MAX];
    char value[XLCFG_SCHED_VALUE_MAX];  /* the number or string, as written */
    unsigned line;
};

struct xlcfg_sched {
    unsigned nr;
    struct xlcfg_sched_param param[XLCFG_SCHED_MAX];
    bool has_pool;
    char pool[XLCFG_POOL_MAX];      /* "" = the default pool */
};

/* One entry of `disk = [...]` (parsed in xlcfg_disk.c), Xen's key=value form:
 *   disk = [ 'target=vd0:2048+4096, vdev=xvda, access=rw' ]
 * target: a region of one of dom0's physical disks (dom0/pdisk.h); vdev: xvdX is a
 * PV disk (blkfront, for PV and PVHVM guests), hdX an emulated ATA disk (HVM guests,
 * dom0's device model); access: r or rw (default rw). */
#define XLCFG_MAX_DISKS 4
#define XLCFG_SPEC_MAX  48
struct xlcfg_disk {
    char target[XLCFG_SPEC_MAX];        /* "vd0:2048+4096" */
    char vdev[8];                       /* "xvda", "hda" */
    bool readonly;
    unsigned line;                      /* in the cfg file, for errors found later */
};

/* One entry of `vif = [...]` (xlcfg_vif.c): 'mac=00:16:3e:00:00:01, bridge=br0';
 * both optional (mac: 00:16:3e + domid + index, bridge: br0). */
#define XLCFG_MAX_VIFS 4
struct xlcfg_vif {
    uint8_t mac[6];
    bool mac_given;
    char bridge[16];
    unsigned line;
};

/* `vnuma = [...]` (xlcfg_vnuma.c, docs/vnuma.md): one string per virtual node,
 *   vnuma = [ 'pnode=0, size=16, vcpus=0-1, vdistances=10,20',
 *             'pnode=1, size=16, vcpus=2-3, vdistances=20,10' ]
 * size (MiB) and vcpus (numbers and ranges) are required; pnode (the physical node;
 * default: the node the vCPUs' affinity points to, else vnode i on node i mod the
 * machine's nodes) and vdistances (one per vnode; default 10 to itself, 20 to the
 * others) are optional. A comma inside vcpus or vdistances continues the list. */
#define XLCFG_MAX_VNODES 8                  /* VNUMA_MAX_VNODES */
struct xlcfg_vnode {
    int pnode;                              /* -1: the default */
    uint64_t size_mib;
    uint64_t vcpus;                         /* bit i: vCPU i */
    unsigned nr_dist;                       /* 0: the default distances */
    unsigned dist[XLCFG_MAX_VNODES];
};
struct xlcfg_vnuma {
    unsigned nr;                            /* 0: no virtual NUMA */
    unsigned line;
    struct xlcfg_vnode v[XLCFG_MAX_VNODES];
};

struct domain_config {
    char file[XLCFG_KERNEL_MAX];        /* the cfg file's name, for errors found later */
    char name[XLCFG_NAME_MAX];
    char kernel[XLCFG_KERNEL_MAX];
    char extra[XLCFG_EXTRA_MAX];        /* the guest's command line (extra or cmdline) */
    char ramdisk[XLCFG_KERNEL_MAX];     /* "" = none */
    enum xlcfg_type type;
    uint64_t memory_mib, maxmem_mib;
    unsigned vcpus;
    struct xlcfg_affinity cpus, cpus_soft;
    enum xlcfg_action on_poweroff, on_reboot, on_crash;
    struct xlcfg_sched sched;
    struct xlcfg_disk disks[XLCFG_MAX_DISKS];
    unsigned nr_disks;
    struct xlcfg_vif vifs[XLCFG_MAX_VIFS];
    unsigned nr_vifs;
    struct xlcfg_vnuma vnuma;               /* xlcfg_vnuma.c */
    /* Memory placement (docs/memory-policies.md): memory_policy = "bind", "interleave:2M"
     * (name without the granularity here), nodes = "0-1". "" / 0: not given. */
    char memory_policy[16];             /* MM_POLICY_NAME_LEN */
    unsigned mm_gran_order;             /* 0 (4K) or 9 (2M) */
    uint32_t mm_nodes;                  /* bitmap */
    bool mm_nodes_all;                  /* nodes = "all": every node the machine has */
    unsigned mm_line, mm_nodes_line;    /* where the keys were set */
};

/* Receives each problem as one line without a newline, e.g.
 *   a.cfg:3: key 'memory': expected an integer, got "lots" */
typedef void (*xlcfg_report_fn)(void *arg, const char *msg);

/* Parses text[0..len) (no NUL needed) of the file named file into *cfg, defaults
 * first. Reports every problem (report may be NULL) and returns their number: *cfg
 * is usable only when that is 0. */
int xlcfg_parse(struct domain_config *cfg, const char *file, const char *text,
                size_t len, xlcfg_report_fn report, void *arg);

/* The configuration every file starts from. */
void xlcfg_defaults(struct domain_config *cfg);

/* Whether the file gives vCPU vcpu an affinity in a. */
bool xlcfg_affinity_given(const struct xlcfg_affinity *a, unsigned vcpu);

/* The CPUs vCPU vcpu may use (hard) or prefers (soft) on machine t, or 0 when the
 * file left it unset (every CPU). */
uint64_t xlcfg_vcpu_affinity(const struct xlcfg_affinity *a, unsigned vcpu,
                             const struct cpu_topo *t);

/* The NUMA node the domain's memory should come from: the only node holding every
 * CPU its vCPUs may run on (hard affinity, narrowed by soft affinity when both are
 * set, as xl does); -1 if the affinity is unset or spans several nodes. */
int xlcfg_memory_node(const struct domain_config *cfg, const struct cpu_topo *t);

const char *xlcfg_action_name(enum xlcfg_action a);

/* xlcfg_vnuma.c: one vnuma entry (the string) into *v; 0, or -EINVAL with the reason
 * in err (e.g. `vcpus "3-1": start above end`). */
int xlcfg_vnode_parse(const char *spec, struct xlcfg_vnode *v, char *err, size_t errlen);

struct vnuma_layout;
/* The layout the hypervisor gets (public/vnuma.h) for cfg on machine t: physical
 * nodes defaulted (home >= 0: the node the affinity points to, if in `nodes` when
 * the file gives them; else with `nodes`: vnode i on the (i mod count)-th node of
 * that set; else vnode i on node i mod t->nr_nodes), then every rule checked (core/lib/vnuma_layout.c) against the
 * machine. 0, or -EINVAL with the reason in why (e.g. "vnode 1: physical node 5,
 * the machine has 4 (0-3)"). */
int xlcfg_vnuma_layout(const struct domain_config *cfg, const struct cpu_topo *t, int home,
                       struct vnuma_layout *out, char *why, size_t whylen);

#endif
