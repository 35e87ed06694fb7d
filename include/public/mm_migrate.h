/* Moving a running domain's memory between NUMA nodes (docs/memory-policies.md,
 * "Moving memory"): DOMCTL_migrate_memory. Included by public/domctl.h. */
#ifndef HVLAB_PUBLIC_MM_MIGRATE_H
#define HVLAB_PUBLIC_MM_MIGRATE_H

#include "hvlab.h"

/* DOMCTL_migrate_memory (22): every frame of the domain that lies on a node outside
 * `nodes` is copied to a frame on those nodes and the domain's references switched to
 * it (HVM: its nested table; PV: its page tables, vCPU bases and pfn->mfn list), with
 * the domain paused; its memory policy follows the set from then on. Frames something
 * else holds (a backend's or device model's mapping, a grant, the hypervisor) stay
 * where they are and are counted in `held`.
 * Errors (nothing moved, the policy unchanged): -EINVAL an empty set or a node that
 * does not exist (bad_node names it), the caller's own domain, or a domain with a vNUMA
 * layout (its gfns' nodes are fixed); -ENOMEM the set has fewer free frames
 * (free_pages) than the frames to move (need_pages); -ENOENT a PV domain whose
 * start_info (and so its pfn->mfn list) was not found. -ENOMEM after frames moved
 * (the set filled up meanwhile) keeps what moved: `moved` says how much; -EIO: the
 * MIGRATE_MEMORY_CHECK check failed.
 * The OUT fields are written on errors too. */
struct domctl_migrate_memory {
    uint32_t nodes;                     /* IN: bitmap of target nodes */
    uint32_t bad_node;                  /* OUT, -EINVAL: a node that does not exist */
    uint64_t need_pages;                /* OUT: frames outside the set before the move */
    uint64_t free_pages;                /* OUT: free frames on the set before the move */
    uint64_t moved;                     /* OUT: frames moved */
    uint64_t left;                      /* OUT: frames still outside the set after it */
    uint64_t held;                      /* OUT: frames skipped because something else
                                           holds them (part of `left`) */
    uint64_t elapsed_ns;                /* OUT: NOW() across the move (instructions under
                                           icount), paused time included */
    uint32_t home_node;                 /* OUT: the domain's home afterwards */
    uint32_t batches;                   /* OUT: batches of at most 64 frames */
    uint32_t flags;                     /* IN: MIGRATE_MEMORY_* */
    uint32_t pad;
};
/* After a PV domain's move, recompute every reference and type count of its frames
 * from all page tables, pins and vCPU bases (a debugging aid, O(machine frames)):
 * -EIO and a line in the log if one is wrong. */
#define MIGRATE_MEMORY_CHECK (1u << 0)

#endif
