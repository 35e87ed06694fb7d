/* Memory placement policies: where a domain's frames come from.
 *
 * A policy is one const struct mm_policy_ops in its own file under mm/ (policy_*.c),
 * registered with REGISTER_MM_POLICY(ops) on its last line; no list elsewhere names
 * it. Each domain has one (d->mm_policy; NULL: the default, "local"), set by dom0 with
 * DOMCTL_set_memory_policy before the domain is built (public/mm_policy.h). The core
 * (mm/policy.c) calls it for every frame a domain gets: at build time (HVM RAM), on
 * populate requests (XENMEM_increase_reservation / populate_physmap, the PV builder's
 * and the guest's own) and, for HVM domains whose policy populates lazily, on the
 * nested page fault of a gfn that has no frame yet. The policy answers with nodes to
 * try, in order; the core allocates (strictly on each node in turn), accounts, and
 * traces the decision (TRC_MEM_POLICY). A policy never allocates itself and never
 * sees the allocator's internals; it reads the machine through the mm_node_* services
 * below, so its file compiles unchanged on the host (tests/unit/test_mm_policy*.c).
 *
 * Policy state: each domain has MM_POLICY_PRIV_BYTES of opaque storage for its policy
 * (d->mm_policy_priv), reached through mm_policy_priv(); the core never looks inside.
 * Embedded rather than allocated, so a domain's policy state can never leak or
 * outlive it, and choosing a policy cannot fail for want of heap.
 *
 * Moving a domain's memory (DOMCTL_migrate_memory, mm/migrate.c) is built from the
 * same ops: set_nodes() retargets the policy to node set S (future frames come from
 * S); then each frame the domain holds outside S gets a new frame through place()
 * with reason MM_REASON_MIGRATE and the frame's gfn (HVM) or old MFN (PV), and
 * placed() hears of it. See docs/memory-policies.md, "Moving memory". */
#ifndef HVLAB_MM_POLICY_H
#define HVLAB_MM_POLICY_H

#include <hvlab/topology.h>
#include <hvlab/types.h>
#include <public/mm_policy.h>

struct domain;

enum mm_reason {
    MM_REASON_BUILD = 0,        /* build-time frames (HVM RAM; DOMCTL_hvm_populate) */
    MM_REASON_POPULATE = 1,     /* XENMEM_increase_reservation / populate_physmap */
    MM_REASON_NPF = 2,          /* HVM nested page fault on a gfn without a frame */
    MM_REASON_MIGRATE = 3,      /* the new frame of a moved one (mm/migrate.c) */
};

/* One frame wanted. */
struct mm_request {
    enum mm_reason reason;
    unsigned asked;             /* node the caller named (XENMEMF_node), or NUMA_NO_NODE */
    bool exact;                 /* ... and only that node (XENMEMF_exact_node) */
    bool pinned;                /* `asked` is fixed by the domain's vNUMA layout (the
                                   gfn's vnode's node, vnuma_pin_request): the policy
                                   is not asked where, only told (placed) */
    unsigned toucher;           /* node of the pCPU running the vCPU that asks or faults */
    uint64_t index;             /* HVM: the gfn; PV: the frame's index in the domain
                                   (its tot_pages before this one) */
};

/* What DOMCTL_set_memory_policy gives a policy's init. */
struct mm_policy_args {
    uint32_t nodes;             /* bitmap of existing nodes; 0: the policy's default */
    unsigned gran_order;        /* MM_GRAN_4K or MM_GRAN_2M */
    unsigned long need_pages;   /* frames the build will ask for */
};

/* The answer of place(): nodes to try, in order; each is tried strictly (that node or
 * nothing). nr 0: refuse (the allocation fails with -ENOMEM). */
struct mm_choice {
    unsigned nr;
    uint8_t node[MAX_NUMNODES];
};

#define MM_POLICY_PRIV_BYTES 64

struct mm_policy_ops {
    const char *name;           /* the config's memory_policy value */
    const char *desc;           /* one line, for `xl numa-list` and the boot log */
    bool takes_nodes;           /* reads a node set (`nodes`); else one is refused */
    bool lazy_hvm;              /* an HVM domain's RAM is allocated at its nested page
                                   faults, not at build time */

    /* Required. Validate args and set the domain's state up. Called from
     * DOMCTL_set_memory_policy with domctl_lock held and d not built (no frame
     * mapped, never run), interrupts on; may read mm_node_* and set d->home_node
     * (the numa scheduler reads it). Returns 0, -EINVAL (why: a message naming the
     * problem and its numbers) or -ENOMEM (the set cannot hold need_pages). On an
     * error d must be left as it was. */
    int (*init)(struct domain *d, const struct mm_policy_args *a, char *why, size_t len);

    /* Required. The nodes to try for one frame, best first. Called with d->page_lock
     * held (interrupts off) on the CPU that allocates: must not allocate, block or
     * take other locks; may read and change its private state (page_lock guards
     * it). Also called with MM_REASON_MIGRATE for a moved frame's new frame: the
     * mover keeps it only on the set it retargeted the policy to. */
    void (*place)(struct domain *d, const struct mm_request *r, struct mm_choice *c);

    /* Optional. The frame for r was served by `node` (page_lock held, as place). */
    void (*placed)(struct domain *d, const struct mm_request *r, unsigned node);

    /* Optional. Retarget to node set `nodes` for the memory mover (domctl_lock held,
     * page_lock not): frames allocated afterwards follow the new set. -EINVAL if the
     * policy cannot. Absent: the policy keeps no set (local, first-touch). */
    int (*set_nodes)(struct domain *d, uint32_t nodes);
};

#define REGISTER_MM_POLICY(ops_)                                                 \
    static const struct mm_policy_ops *const __mm_policy_reg_##ops_            \
    __attribute__((used, section("mm_policies"))) = &(ops_)

/* The private storage of d's policy, as the policy's own type. */
#define MM_POLICY_PRIV(type, d)                                                  \
    ({ _Static_assert(sizeof(type) <= MM_POLICY_PRIV_BYTES, #type " too big");   \
       (type *)mm_policy_priv(d); })

/* ---- mm/policy.c: the core ---- */

/* NULL if no policy has that name. */
const struct mm_policy_ops *mm_policy_find(const char *name);
/* d's policy (the default one when none was set). */
const struct mm_policy_ops *mm_policy_of(const struct domain *d);
void *mm_policy_priv(struct domain *d);
/* Names of every registered policy, ", "-separated, into buf (for messages). */
void mm_policy_names(char *buf, size_t len);
/* DOMCTL_set_memory_policy's checks and the policy's init: 0, or a negative errno
 * with io->bad_node / io->free_pages and `why` filled. */
int mm_policy_set(struct domain *d, struct domctl_memory_policy *io, char *why, size_t len);
/* The nodes to try for r, from d's policy (page_lock held), cut to node r->asked
 * when r->exact (and empty if the policy would not use it). A pinned request
 * (vNUMA) gets exactly r->asked, whatever the policy would say. */
void mm_policy_choose(struct domain *d, const struct mm_request *r, struct mm_choice *c);
/* After an allocation for r: the policy hears of it and the decision is traced
 * (got: NUMA_NO_NODE when nothing was allocated). page_lock held. */
void mm_policy_done(struct domain *d, const struct mm_request *r,
                    const struct mm_choice *c, unsigned got);

/* ---- services for policies (mm/policy.c, on the allocator and the topology) ---- */

unsigned mm_nr_nodes(void);
uint32_t mm_all_nodes(void);                        /* bitmap of existing nodes */
unsigned long mm_node_free(unsigned node);
unsigned mm_node_distance(unsigned a, unsigned b);
/* `from` first, then the other nodes of `set` by distance from it (ties: index). */
void mm_nodes_by_distance(unsigned from, uint32_t set, struct mm_choice *c);

/* ---- mm/policy_machine.c (the hypervisor's; host tests bring their own) ---- */

/* Node of the pCPU this runs on. */
unsigned mm_this_node(void);
unsigned mm_node_cpus(unsigned node);               /* pCPUs on the node */
/* CPU load on the node: vCPUs of domains whose home is it (other than d). */
unsigned mm_node_vcpus(unsigned node, const struct domain *except);
/* SYSCTL_numa_frames: f->first_domid in, the rest out. */
long mm_numa_frames(struct sysctl_numa_frames *f);

#endif
