/* Moving a running domain's memory between NUMA nodes (DOMCTL_migrate_memory,
 * public/mm_migrate.h; docs/memory-policies.md, "Moving memory").
 *
 * mm/migrate.c is the domctl: checks, the free-memory test, retargeting the domain's
 * policy, pausing; mm/migrate_batch.c the batches' common steps (new frames by the
 * policy, the trace, the preemption point).
 * mm/migrate_hvm.c moves an HVM domain's frames (remapping gfns in its nested table),
 * mm/migrate_pv.c a PV domain's (its page tables, vCPU bases and pfn->mfn list refer
 * to machine frames). mm/migrate_plan.c is the pure arithmetic, host-tested
 * (tests/unit/test_mm_migrate.c). */
#ifndef HVLAB_MM_MIGRATE_H
#define HVLAB_MM_MIGRATE_H

#include <hvlab/mm.h>
#include <hvlab/types.h>
#include <public/mm_migrate.h>

struct domain;

#define MIGRATE_BATCH 64                /* frames per batch: one TLB flush, one trace
                                           record per (from, to) pair, then a
                                           preemption point */

/* ---- mm/migrate_plan.c (pure) ---- */

/* 0, or -EINVAL with *bad the lowest node of `nodes` the machine (nr_nodes) lacks
 * (*bad = nr_nodes for an empty set). */
int migrate_check_nodes(uint32_t nodes, unsigned nr_nodes, unsigned *bad);
/* Frames on nodes outside `set`, from per-node counts. */
unsigned long migrate_outside(const unsigned long *per_node, unsigned nr_nodes, uint32_t set);
/* Sum of per_node over the nodes of `set`. */
unsigned long migrate_inside(const unsigned long *per_node, unsigned nr_nodes, uint32_t set);

/* One batch's old -> new frame map, looked up by old mfn (sorted, bisected), so a
 * pass over the domain's references rewrites every entry of the batch at once. */
struct migrate_map {
    unsigned n;
    mfn_t old[MIGRATE_BATCH];
    mfn_t new[MIGRATE_BATCH];
    unsigned slot[MIGRATE_BATCH];       /* the caller's index of each pair */
};
void migrate_map_init(struct migrate_map *m);
/* -ENOSPC when full, -EEXIST when old is in already. */
int migrate_map_add(struct migrate_map *m, mfn_t old, mfn_t new, unsigned slot);
/* The caller's index of old, or -1. */
int migrate_map_find(const struct migrate_map *m, mfn_t old);

/* Frames moved in a batch per (from, to) node pair, one trace record each. */
struct migrate_groups {
    unsigned n;
    struct { uint8_t from, to; uint32_t frames; } g[MIGRATE_BATCH];
};
void migrate_groups_init(struct migrate_groups *g);
void migrate_groups_add(struct migrate_groups *g, unsigned from, unsigned to);

/* ---- mm/migrate.c ---- */

long mm_migrate_domctl(struct domain *d, struct domctl_migrate_memory *io);

/* ---- mm/migrate_batch.c: what the movers share ---- */

struct migrate_run {
    struct domain *d;
    uint32_t set;                       /* target nodes */
    unsigned toucher;                   /* the node new frames are asked for first */
    unsigned long moved, held;
    unsigned batches;
    unsigned long max_pages;            /* d's bound before the move */
    bool check;                         /* MIGRATE_MEMORY_CHECK */
};
/* A frame of d on the set for the frame at `index` (HVM: its gfn; PV: its MFN), by d's policy
 * (MM_REASON_MIGRATE). NULL when none is free on the set (a frame the policy put
 * elsewhere is given back). The caller has made room with migrate_room. */
struct page_info *migrate_new_frame(struct migrate_run *run, uint64_t index);
/* Lets d hold n frames above its bound while a batch's old and new frames coexist;
 * migrate_room(run, 0) restores the bound. */
void migrate_room(struct migrate_run *run, unsigned n);
/* The batch's trace records (TRC_MEM_MIGRATE), its count, and a preemption point. */
void migrate_batch_done(struct migrate_run *run, const struct migrate_groups *g);
/* new takes old's place in d->page_list (page_lock held): the list order is the gfn
 * order of an eager HVM domain (DOMCTL_getpageframeinfo) and the PV mover's cursor. */
void migrate_list_swap(struct page_info *old, struct page_info *new);
/* Whether pg lies on a node of the set. */
bool migrate_on_set(const struct migrate_run *run, const struct page_info *pg);

/* ---- mm/migrate_hvm.c, mm/migrate_pv.c: d paused, domctl_lock held ---- */

int migrate_hvm(struct migrate_run *run);
/* The guest's pfn->mfn list, from its start_info (before the move: d may run): 0 or
 * -ENOENT. migrate_pv moves d's frames with the list found last. */
int migrate_pv_find_list(struct domain *d);
int migrate_pv(struct migrate_run *run);

#endif
