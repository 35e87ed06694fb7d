/* Memory placement policies (docs/memory-policies.md): DOMCTL_set_memory_policy
 * chooses where a domain's frames come from, SYSCTL_numa_frames reads back where they
 * are. Included by public/domctl.h and public/sysctl.h. */
#ifndef HVLAB_PUBLIC_MM_POLICY_H
#define HVLAB_PUBLIC_MM_POLICY_H

#include "hvlab.h"

#define MM_POLICY_NAME_LEN 16           /* "first-touch", NUL included */
#define MM_POLICY_NODES_MAX 8           /* MAX_NUMNODES: bits of `nodes` */

/* DOMCTL_set_memory_policy (20): before the domain is built (PV: before its first
 * frame; HVM: right after createdomain, before the builder maps anything: the RAM
 * createdomain allocated is given back and allocated again under the new policy, or
 * for first-touch left to the nested page faults). `nodes` 0: the policy's default
 * set (every node). `need_pages`: the frames the build will allocate (0: max_pages),
 * what bind and auto check against free memory.
 * Errors: -ENOENT no policy of that name; -EINVAL a node that does not exist (bad_node
 * names it), a granularity other than 0 or 9, or a policy that takes no node set
 * given one; -ENOMEM a bind set with too little free memory (free_pages says how
 * much it has); -EBUSY the domain is built already (it has run, or holds frames
 * someone maps). On an error the domain keeps the policy it had. */
#define MM_GRAN_4K 0
#define MM_GRAN_2M 9
struct domctl_memory_policy {
    char name[MM_POLICY_NAME_LEN];      /* IN */
    uint32_t nodes;                     /* IN: bitmap of nodes */
    uint32_t gran_order;                /* IN: interleave: MM_GRAN_4K or MM_GRAN_2M */
    uint64_t need_pages;                /* IN */
    uint32_t home_node;                 /* OUT: the home chosen (auto) or kept */
    uint32_t bad_node;                  /* OUT, -EINVAL: the node that does not exist */
    uint64_t free_pages;                /* OUT, -ENOMEM: free frames on the set */
};

/* DOMCTL_hvm_populate (21): the frames behind gfns [gfn, gfn + nr) of an HVM domain,
 * allocated (by its policy, as build-time frames) where none is yet; their MFNs into
 * mfn_list. For builders of first-touch domains, whose RAM is otherwise allocated at
 * the first nested page fault. -EINVAL beyond the domain's RAM or nr > 512. */
#define HVM_POPULATE_MAX 512
struct domctl_hvm_populate {
    uint64_t gfn, nr;                   /* IN */
    uint64_t mfn_list;                  /* IN: caller VA of uint64_t[nr] */
};

/* SYSCTL_numa_frames (9): free and total frames per node, and the frames each domain
 * holds on each node, for domains with ids >= first_domid, at most
 * NUMA_FRAMES_PER_CALL of them; next_domid: where to go on (DOMID_INVALID: done). */
#define NUMA_FRAMES_PER_CALL 8
struct numa_frames_dom {
    hv_domid_t domid;
    uint16_t home_node;                 /* 0xffff: none */
    uint32_t pad;
    char policy[MM_POLICY_NAME_LEN];
    uint64_t pages[MM_POLICY_NODES_MAX];
};
struct sysctl_numa_frames {
    hv_domid_t first_domid;             /* IN */
    hv_domid_t next_domid;              /* OUT */
    uint32_t nr_nodes;                  /* OUT */
    uint32_t nr_doms;                   /* OUT: entries in dom[] */
    uint32_t pad;
    uint64_t node_free[MM_POLICY_NODES_MAX];
    uint64_t node_total[MM_POLICY_NODES_MAX];
    struct numa_frames_dom dom[NUMA_FRAMES_PER_CALL];
};

#endif
