/* Grant tables in the hypervisor (core/grant_table.c: the granting side and its pins;
 * core/grant_table_map.c: the mapping side; both host-tested; core/grant_table_op.c: the
 * hypercall). public/grant_table.h is the ABI and
 * docs/grant-tables.md the prose.
 *
 * Every domain that grants has a table of entries in frames shared with it; every
 * domain that maps has a maptrack, the list of mappings it holds (handle = index).
 * Both live in struct grant_table, made at first use (d->grant_table, NULL before).
 *
 * The reference rules (also in docs/security.md): a mapping (and a copy while it
 * runs) pins the grant: the granter's active entry counts it, GTF_reading (and
 * GTF_writing for a writable one) stay set in the shared entry, and the pin holds a
 * general reference on the frame, plus a PGT_writable type reference when writable
 * (so it cannot become a page table). A PV host mapping's L1 entry holds its own
 * references, as every L1 entry does. A mapping also holds a domain reference on the
 * granter, so the granter's struct and table outlive its destruction until the last
 * unmap; its frames, orphaned at its destruction, are freed by the last put. */
#ifndef HVLAB_GRANT_TABLE_H
#define HVLAB_GRANT_TABLE_H

#include <hvlab/domain.h>
#include <hvlab/spinlock.h>
#include <hvlab/types.h>
#include <public/grant_table.h>

struct domain;
struct page_info;

#define GNTTAB_MAX_ENTRIES  (GNTTAB_MAX_FRAMES * GNTTAB_ENTRIES_PER_FRAME)
#define GNTTAB_MAPTRACK_MAX 1024        /* mappings one domain may hold */

/* A granted entry in use: guarded by the granter's grant_table.lock. */
struct grant_active {
    uint32_t pins_ro;                   /* read-only mappings and copies reading */
    uint32_t pins_rw;                   /* writable mappings and copies writing */
    hv_domid_t domid;                   /* the grantee, while pinned */
    mfn_t mfn;                          /* the frame, while pinned: what the entry said
                                         * at the first pin (later changes by the
                                         * granter are ignored until the last unpin) */
};

/* One mapping held by the mapper: guarded by its grant_table.maptrack_lock. BUSY
 * while being made or undone, so one handle is never worked on twice at once. */
enum { MAPTRACK_FREE, MAPTRACK_BUSY, MAPTRACK_USED };
struct grant_mapping {
    uint8_t state;                      /* MAPTRACK_* */
    uint8_t flags;                      /* GNTMAP_* as mapped */
    grant_ref_t ref;                    /* FREE: the next free handle */
    struct domain *granter;             /* holds a domain reference */
    mfn_t mfn;                          /* the granted frame */
    uint64_t host_addr;                 /* as given to the map (0: device_map only) */
    uint64_t host_ref;                  /* PV: machine address of the L1 entry; HVM:
                                         * the mapper's own mfn the gfn had before */
};

struct grant_table {
    /* Granting side, guarded by lock (irqsave). frames[] only grow. */
    spinlock_t lock;
    unsigned nr_frames;
    struct page_info *frames[GNTTAB_MAX_FRAMES];   /* shared with the domain, writable */
    struct grant_active *active;        /* GNTTAB_MAX_ENTRIES, with the first frame */

    /* Mapping side, guarded by maptrack_lock (irqsave). Never held with lock. */
    spinlock_t maptrack_lock;
    struct grant_mapping *maptrack;     /* GNTTAB_MAPTRACK_MAX, at the first map */
    unsigned maptrack_free;             /* first free handle (a list through ref) */
    unsigned maptrack_used;
};

/* ---- core/grant_table.c ---- */

/* d's table, made at first use (NULL: no memory); gnttab_of: NULL if never made. */
struct grant_table *gnttab_get(struct domain *d);
static inline struct grant_table *gnttab_of(const struct domain *d)
{
    return __atomic_load_n(&d->grant_table, __ATOMIC_ACQUIRE);
}
/* A pin on rd's grant ref for ld (writable or not): GNTST_okay with *mfn, the frame
 * now referenced (and PGT_writable for write), or the status, nothing held. */
int gnttab_pin(struct domain *rd, struct domain *ld, grant_ref_t ref, bool write, mfn_t *mfn);
void gnttab_unpin(struct domain *rd, grant_ref_t ref, bool write);
/* The machine frame behind frame number `frame` of d (PV: an MFN; HVM: a GFN), with
 * a general reference: GNTST_okay, or GNTST_bad_page. */
int gnttab_frame_get(struct domain *d, uint64_t frame, mfn_t *mfn);

/* d's table with at least nr_frames frames (1..GNTTAB_MAX_FRAMES; grows it, never
 * shrinks). The frames are shared with d (domain_share_frame). -EINVAL, -ENOMEM. */
int gnttab_grow(struct domain *d, unsigned nr_frames);
unsigned gnttab_nr_frames(const struct domain *d);
/* Machine frame of table frame idx (must be < gnttab_nr_frames). */
mfn_t gnttab_frame_mfn(const struct domain *d, unsigned idx);

/* ---- core/grant_table_map.c ---- */

/* Map (rd, op->ref) for ld (rd != ld, both held by the caller). l4: ld's current
 * page-table base (PV host maps). On GNTST_okay *handle and *maddr are set (else
 * left alone).
 * *flush: ld's TLBs (or nested TLBs) must be flushed before ld runs again. */
int gnttab_map(struct domain *ld, struct domain *rd, uint64_t host_addr, uint32_t flags,
               grant_ref_t ref, mfn_t l4, grant_handle_t *handle, uint64_t *maddr,
               bool *flush);
/* Undo the mapping handle of ld; host_addr must be the map's. The TLBs are flushed
 * (gnttab_flush_tlbs) before the frame can go. rd_id, ref: what it mapped (for
 * the trace; DOMID_INVALID/~0 for a bad handle). */
int gnttab_unmap(struct domain *ld, uint64_t host_addr, grant_handle_t handle,
                 hv_domid_t *rd_id, grant_ref_t *ref);
/* One copy for ld. src_rd / dst_rd: the granter of a side given by grant (held by
 * the caller), NULL for a side that is ld's own frame. */
int gnttab_copy_one(struct domain *ld, struct domain *src_rd, struct domain *dst_rd,
                    const struct gnttab_copy *op);

/* Domain destruction (core/domain.c): d (dying, its nested table already gone, its
 * page tables not yet relinquished) gives back every mapping it holds. */
void gnttab_release_mappings(struct domain *d);
/* Mappings d holds (tests). */
unsigned gnttab_maptrack_used(const struct domain *d);
/* core/grant_table.c, from the last domain_put: d's table frames are unshared. */
void gnttab_domain_free(struct domain *d);

/* ---- provided by the arch / hypercall layer (core/grant_table_op.c; the host
 * tests provide their own) ---- */

/* Every TLB that may cache d's translations forgets them before d runs again. */
void gnttab_flush_tlbs(struct domain *d);

/* ---- core/grant_table_op.c ---- */
long do_grant_table_op(uint64_t cmd, uint64_t uop, uint64_t count);
/* HVMOP_map_grant_table for d: table frame idx at gfn. -EINVAL, -ENOMEM. */
long gnttab_hvm_map_table(struct domain *d, uint32_t idx, uint64_t gfn);

#endif
