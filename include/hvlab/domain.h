/* Domains and vCPUs. A domain owns memory (its page list), vCPUs, event channels and
 * a shared-info page; a vCPU is the unit the scheduler runs. Lifecycle:
 *   created (paused) -> running <-> paused -> shutdown(reason) -> dying -> destroyed
 * Arch state (saved registers, page-table base, trap table) lives in vcpu->arch. */
#ifndef HVLAB_DOMAIN_H
#define HVLAB_DOMAIN_H

#include <hvlab/list.h>
#include <hvlab/p2m.h>
#include <hvlab/smp.h>
#include <hvlab/spinlock.h>
#include <hvlab/timerq.h>
#include <hvlab/types.h>
#include <hvlab/x86/vcpu_arch.h>
#include <public/event_channel.h>
#include <public/hvlab.h>
#include <public/vcpu.h>
#include <public/vnuma.h>

#define DOMID_MAX 1024                  /* domain IDs 0 .. DOMID_MAX-1 */

struct domain;
struct evtchn;
struct hvm_ioreq_server;
struct mm_policy_ops;

/* vCPU pause reasons (pause_flags bits): a vCPU runs only with none set and a zero
 * pause_count (controller pauses, counted). */
#define VPF_blocked   0                 /* SCHEDOP_block / poll: waiting for an event */
#define VPF_down      1                 /* not brought up (VCPUOP_down / never initialised) */
#define VPF_migrating 2                 /* running where its affinity no longer allows:
                                         * leaves at the next schedule, then moves */

struct vcpu {
    vcpuid_t vcpu_id;
    struct domain *domain;

    /* Scheduling: guarded by the scheduler lock of the pCPU in `processor` (see
     * sched/core.c); runstate fields are written only by the CPU that changes it. */
    unsigned processor;                 /* pCPU it runs on, or is queued for */
    unsigned last_processor;            /* pCPU it last ran on (migration accounting) */
    bool is_running;                    /* on a pCPU right now */
    unsigned long pause_flags;          /* VPF_* bits, atomic ops */
    int pause_count;                    /* controller pauses, atomic */
    cpumask_t cpu_hard_affinity, cpu_soft_affinity;
    void *sched_priv;                   /* the policy's per-vCPU data */
    struct vcpu_runstate_info runstate;

    /* Events: written under the domain's event_lock. */
    struct vcpu_info *vcpu_info;        /* in the domain's shared info page */
    evtchn_port_t virq_to_evtchn[NR_VIRQS];
    evtchn_port_t poll_port;            /* SCHEDOP_poll: port being polled, 0 none */
    /* Set (atomic) when evtchn_upcall_pending went 0 -> 1: an HVM vCPU's callback
     * vector is raised once per such edge (svm_intr.c), not while the flag stays set. */
    unsigned long upcall_edge;
    struct timer singleshot_timer;      /* VCPUOP_set_singleshot_timer -> VIRQ_TIMER */
    struct timer poll_timer;            /* SCHEDOP_poll timeout */

    struct vcpu_arch arch;
};

enum domain_state {
    DOMSTATE_created,                   /* built, never unpaused */
    DOMSTATE_active,                    /* unpaused at least once; may be paused now */
    DOMSTATE_shutdown,                  /* asked to stop (shutdown_reason); vCPUs paused */
    DOMSTATE_dying,                     /* being destroyed: resources going back */
};

struct domain {
    domid_t domain_id;
    char name[32];
    bool is_privileged;                 /* dom0: domctl, sysctl, foreign mappings */
    bool is_hvm;                        /* hardware-virtualized (SVM): set at creation */

    /* Lifetime (core/domain_ref.c): domlist is guarded by domlist_lock; refcnt is
     * atomic: the list's reference plus one per domain_get/get_next/hold not yet put.
     * The last domain_put frees the domain. */
    struct list_head domlist;
    int refcnt;
    unsigned long frames_at_destroy;    /* tot_pages when destroyed, for the last log */

    /* Lifecycle: guarded by `lock`. */
    spinlock_t lock;
    enum domain_state state;
    unsigned shutdown_reason;           /* SHUTDOWN_*, valid in DOMSTATE_shutdown */
    int pause_count;                    /* controller (dom0) pauses, atomic */

    /* Memory: guarded by page_lock. Every frame the domain owns is on page_list
     * (page_info.list) with page_info.owner == this domain. */
    spinlock_t page_lock;
    struct list_head page_list;
    unsigned long tot_pages, max_pages;
    unsigned long node_pages[MAX_NUMNODES];
    unsigned home_node;                 /* NUMA_NO_NODE: any */
    /* Virtual NUMA (core/vnuma.c): nr_vnodes 0 = none. Set under page_lock before the
     * domain has frames, read-only after. */
    struct vnuma_layout vnuma;
    /* Placement (include/hvlab/mm_policy.h): the policy (NULL: the default) is set
     * under domctl_lock before the build; its private state is guarded by page_lock. */
    const struct mm_policy_ops *mm_policy;
    _Alignas(8) unsigned char mm_policy_priv[64];     /* MM_POLICY_PRIV_BYTES */
    struct p2m p2m;                     /* HVM: gfn -> mfn (nested paging), page_lock */
    struct hvm_platform *hvm_plat;      /* HVM: its devices (include/hvlab/x86/hvm_platform.h) */
    struct hvm_ioreq_server *ioreq;     /* HVM: its device model (x86/hvm_ioreq.h), or NULL */
    /* Physical I/O (pdisk): the PV domain's I/O-port map and PCI configuration latch
     * (core/arch/x86/ioport.c); NULL: no ports. */
    struct domain_io *io;
    /* HVM: HVM_PARAM_* (public/hvm.h, HVM_NR_PARAMS), written by dom0
     * (DOMCTL_hvm_set_param) before the domain runs, read by it (HVMOP_get_param). */
    uint64_t hvm_params[8];

    /* vCPUs: the array is fixed at creation. */
    unsigned max_vcpus;
    struct vcpu **vcpus;

    /* Event channels: guarded by event_lock. */
    spinlock_t event_lock;
    struct evtchn *evtchn;              /* NR_EVENT_CHANNELS entries */
    struct shared_info *shared_info;    /* shared with the domain: domain_share_frame */

    /* Grant tables (core/grant_table.c): made at first use, NULL before; its own locks. */
    struct grant_table *grant_table;

    /* Scheduling. */
    void *sched_priv;                   /* the policy's per-domain data */
    struct cpupool *cpupool;

    /* Console output being assembled into a line (core/console_ring.c), guarded by
     * con_lock: two vCPUs of the domain may write at once. */
    spinlock_t con_lock;
    char con_line[256];
    unsigned con_len;
};

extern struct domain *dom0;
extern struct domain *dom_xen;            /* owns frames shared read-only with dom0 */

/* core/domain.c */
struct domain *domain_create(domid_t id, const char *name, unsigned max_vcpus,
                             bool privileged);
struct domain *domain_create_in(domid_t id, const char *name, unsigned max_vcpus,
                                bool privileged, struct cpupool *pool);  /* NULL: pool 0 */
/* Marks d dying, takes it off the list, returns its memory and event channels; d is
 * freed at its last domain_put (the caller's reference stays valid). -ESRCH if it is
 * already dying, -EINVAL for dom0 or the caller's own domain. */
int domain_destroy(struct domain *d);
void domain_free(struct domain *d);            /* only from the last domain_put */
void domain_pause_by_controller(struct domain *d);
int domain_unpause_by_controller(struct domain *d);
void domain_shutdown(struct domain *d, unsigned reason);
void domain_crash(struct domain *d, const char *why);
domid_t domain_alloc_id(void);

/* core/domain_ref.c: lookups and references. Every pointer these return carries a
 * reference; drop it with domain_put on every path. Dying domains are never found.
 * domain_hold adds one to a domain the caller holds already, or to current's own. */
struct domain *domain_get(domid_t id);         /* NULL if none */
struct domain *domain_get_next(domid_t from);  /* first with id >= from, or NULL */
void domain_hold(struct domain *d);
void domain_put(struct domain *d);             /* the last one frees d (domain_free) */
int domain_list_add(struct domain *d);         /* -EEXIST: d's id is taken */
int domain_unlist(struct domain *d);           /* mark dying, off the list; -ESRCH if so */

#define for_each_vcpu(d, v) \
    for (unsigned _i = 0; _i < (d)->max_vcpus; _i++) if (((v) = (d)->vcpus[_i]) != NULL)

/* Domain memory (mm/domain_mem.c): frames move between the allocator and a domain
 * only here, so the accounting (tot_pages, node_pages) is always right. */
struct page_info *domain_alloc_frame(struct domain *d, unsigned node, unsigned memflags);
/* The same for one request of d's memory policy (include/hvlab/mm_policy.h): the
 * policy picks the node. NULL when max_pages is reached or the policy's nodes are full. */
struct mm_request;
struct page_info *domain_alloc_frame_for(struct domain *d, const struct mm_request *r,
                                         unsigned memflags);
/* dom0's bound on d's frames: -ENOMEM above the machine's total (frames_total_all),
 * -EINVAL below what d holds now; 0 when set. */
int domain_set_max_pages(struct domain *d, uint64_t max_pages);
int domain_free_frame(struct domain *d, struct page_info *pg);   /* -EBUSY if in use, or HVM */
/* The same for a frame of an HVM domain that its nested table no longer maps (a
 * memory policy's rebuild before the domain runs, a lost populate race). */
int domain_free_unmapped_frame(struct domain *d, struct page_info *pg);
void domain_relinquish_memory(struct domain *d);                  /* on destroy */
/* HVM ballooning: takes pg from d (no owner, not counted) with d->page_lock held,
 * once no nested entry of d maps it; the caller frees it with free_frames after
 * flushing d's TLBs. 0, -EINVAL (not d's), -EBUSY (referenced: shared or granted). */
int domain_take_frame_locked(struct domain *d, struct page_info *pg);
/* A frame the hypervisor writes into, shared with d (which may map it, read-only
 * unless `writable`). pg is freshly allocated, outside d's reservation. The hypervisor
 * holds a reference and a permanent type reference, so the frame can never take a
 * page-table type (and, read-only, never PGT_writable) and d can neither free nor
 * exchange it. Unshare gives it up: freed now, or by the last mapping's put_page. */
void domain_share_frame(struct page_info *pg, struct domain *d, bool writable);
void domain_unshare_frame(struct page_info *pg);

/* core/vcpu.c */
struct vcpu *vcpu_create(struct domain *d, vcpuid_t id, unsigned cpu);
void vcpu_destroy(struct vcpu *v);
void vcpu_pause(struct vcpu *v);               /* waits until it is off its pCPU */
void vcpu_unpause(struct vcpu *v);
bool vcpu_runnable(const struct vcpu *v);

/* Currently running vCPU of this pCPU (the idle vCPU when nothing else runs). */
struct vcpu *current_vcpu(void);
#define current (current_vcpu())
bool is_idle_vcpu(const struct vcpu *v);
static inline bool is_hvm_vcpu(const struct vcpu *v)
{
    return v->domain && v->domain->is_hvm;
}

#endif
