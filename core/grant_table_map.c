/* Grant tables, the mapping side: the maptrack (a domain's handles), host mappings
 * (PV L1 entries, HVM nested entries), map, unmap, copy, and the release of a dying
 * mapper's mappings. The granting side, the pins and the design are in
 * core/grant_table.c; the hypercall is core/grant_table_op.c.
 *
 * Locking: gt->maptrack_lock (irqsave) guards the maptrack; it is never held with
 * another grant lock nor across a call out. A handle is BUSY while one operation
 * works on it, so its fields are read and written unlocked meanwhile. */
#include <hvlab/domain.h>
#include <hvlab/errno.h>
#include <hvlab/grant_table.h>
#include <hvlab/hypercall.h>
#include <hvlab/lib.h>
#include <hvlab/mm.h>
#include <hvlab/p2m.h>
#include <hvlab/panic.h>
#include <hvlab/pv_mm.h>
#include <hvlab/xmalloc.h>

/* ---- the mapper's maptrack ---- */

static int maptrack_get(struct domain *ld, grant_handle_t *handle)
{
    struct grant_table *gt = gnttab_get(ld);
    struct grant_mapping *mt = NULL;
    unsigned long flags;
    int st = GNTST_no_space;

    if (!gt)
        return GNTST_no_space;
    if (!__atomic_load_n(&gt->maptrack, __ATOMIC_ACQUIRE) &&
        !(mt = xzalloc_array(GNTTAB_MAPTRACK_MAX, sizeof(*mt))))
        return GNTST_no_space;
    spin_lock_irqsave(&gt->maptrack_lock, flags);
    if (!gt->maptrack) {
        for (unsigned i = 0; i < GNTTAB_MAPTRACK_MAX; i++)
            mt[i].ref = i + 1;          /* the free list: GNTTAB_MAPTRACK_MAX ends it */
        gt->maptrack_free = 0;
        gt->maptrack = mt;
        mt = NULL;
    }
    if (gt->maptrack_free < GNTTAB_MAPTRACK_MAX) {
        struct grant_mapping *m = &gt->maptrack[gt->maptrack_free];

        ASSERT(m->state == MAPTRACK_FREE);
        *handle = gt->maptrack_free;
        gt->maptrack_free = m->ref;
        m->state = MAPTRACK_BUSY;
        gt->maptrack_used++;
        st = GNTST_okay;
    }
    spin_unlock_irqrestore(&gt->maptrack_lock, flags);
    xfree(mt);
    return st;
}

/* BUSY -> state (USED when made, FREE when undone or failed). */
static void maptrack_set(struct domain *ld, grant_handle_t h, uint8_t state)
{
    struct grant_table *gt = gnttab_of(ld);
    unsigned long flags;

    spin_lock_irqsave(&gt->maptrack_lock, flags);
    ASSERT(gt->maptrack[h].state == MAPTRACK_BUSY);
    gt->maptrack[h].state = state;
    if (state == MAPTRACK_FREE) {
        gt->maptrack[h].ref = gt->maptrack_free;
        gt->maptrack_free = h;
        gt->maptrack_used--;
    }
    spin_unlock_irqrestore(&gt->maptrack_lock, flags);
}

/* USED -> BUSY for the unmap; false for a handle not held. */
static bool maptrack_claim(struct domain *ld, grant_handle_t h)
{
    struct grant_table *gt = gnttab_of(ld);
    unsigned long flags;
    bool ok;

    if (!gt || h >= GNTTAB_MAPTRACK_MAX)
        return false;
    spin_lock_irqsave(&gt->maptrack_lock, flags);
    ok = gt->maptrack && gt->maptrack[h].state == MAPTRACK_USED;
    if (ok)
        gt->maptrack[h].state = MAPTRACK_BUSY;
    spin_unlock_irqrestore(&gt->maptrack_lock, flags);
    return ok;
}

unsigned gnttab_maptrack_used(const struct domain *d)
{
    const struct grant_table *gt = gnttab_of(d);

    return gt ? __atomic_load_n(&gt->maptrack_used, __ATOMIC_RELAXED) : 0;
}

/* ---- host mappings ---- */

/* HVM: ld's gfn, one of its own RAM frames, now maps mfn. */
static int hvm_host_map(struct domain *ld, uint64_t gfn, mfn_t mfn, bool write, mfn_t *old)
{
    unsigned long flags;
    unsigned order;
    int st = GNTST_bad_virt_addr;
    struct page_info *pg;

    if (gfn > P2M_MAX_GFN)
        return st;
    spin_lock_irqsave(&ld->page_lock, flags);
    if (p2m_lookup(&ld->p2m, gfn, old, NULL, &order) == 0 && *old < max_mfn) {
        pg = mfn_to_page(*old);
        /* page_lock held: ld's frames do not change hands meanwhile. */
        if (pg->owner == ld && (pg->count_info & PGC_allocated))
            st = p2m_map(&ld->p2m, gfn, mfn, P2M_ORDER_4K, write ? P2M_WRITE : 0) ?
                 GNTST_general_error : GNTST_okay;
    }
    spin_unlock_irqrestore(&ld->page_lock, flags);
    return st;
}

/* HVM: ld's own frame back at gfn, if the gfn still maps the granted one. */
static void hvm_host_unmap(struct domain *ld, uint64_t gfn, mfn_t mfn, mfn_t old)
{
    unsigned long flags;
    mfn_t now;

    spin_lock_irqsave(&ld->page_lock, flags);
    if (p2m_lookup(&ld->p2m, gfn, &now, NULL, NULL) == 0 && now == mfn &&
        p2m_map(&ld->p2m, gfn, old, P2M_ORDER_4K, P2M_WRITE))
        p2m_unmap(&ld->p2m, gfn, P2M_ORDER_4K);  /* no memory to put it back: a hole */
    spin_unlock_irqrestore(&ld->page_lock, flags);
}

static int host_map(struct domain *ld, uint64_t addr, mfn_t l4, mfn_t mfn, bool write,
                    uint64_t *host_ref)
{
    int rc;

    if (ld->is_hvm)
        return hvm_host_map(ld, addr >> PAGE_SHIFT, mfn, write, host_ref);
    if (!l4 || pv_lookup_l1e(ld, l4, addr, host_ref))
        return GNTST_bad_virt_addr;
    rc = pv_grant_map(ld, *host_ref, mfn, write);
    return rc == 0 ? GNTST_okay : rc == -ENOMEM ? GNTST_general_error : GNTST_bad_virt_addr;
}

/* ---- the operations ---- */

int gnttab_map(struct domain *ld, struct domain *rd, uint64_t host_addr, uint32_t flags,
               grant_ref_t ref, mfn_t l4, grant_handle_t *handle, uint64_t *maddr,
               bool *flush)
{
    bool write = !(flags & GNTMAP_readonly), host = flags & GNTMAP_host_map;
    struct grant_mapping *m;
    uint64_t host_ref = 0;
    grant_handle_t h;
    mfn_t mfn;
    int st;

    if (flags & ~(GNTMAP_host_map | GNTMAP_device_map | GNTMAP_readonly) ||
        !(flags & (GNTMAP_host_map | GNTMAP_device_map)))
        return GNTST_general_error;
    if (host ? (host_addr & ~PAGE_MASK) || host_addr == 0 : host_addr != 0)
        return GNTST_bad_virt_addr;
    if (rd == ld)
        return GNTST_bad_domain;
    if ((st = maptrack_get(ld, &h)) != GNTST_okay)
        return st;
    if ((st = gnttab_pin(rd, ld, ref, write, &mfn)) != GNTST_okay) {
        maptrack_set(ld, h, MAPTRACK_FREE);
        return st;
    }
    if (host && (st = host_map(ld, host_addr, l4, mfn, write, &host_ref)) != GNTST_okay) {
        gnttab_unpin(rd, ref, write);
        maptrack_set(ld, h, MAPTRACK_FREE);
        return st;
    }
    domain_hold(rd);
    m = &gnttab_of(ld)->maptrack[h];
    m->flags = (uint8_t)flags;
    m->ref = ref;
    m->granter = rd;
    m->mfn = mfn;
    m->host_addr = host_addr;
    m->host_ref = host_ref;
    maptrack_set(ld, h, MAPTRACK_USED);
    *handle = h;
    *maddr = (paddr_t)mfn << PAGE_SHIFT;
    *flush = host && ld->is_hvm;        /* PV: a new entry, nothing cached */
    return GNTST_okay;
}

int gnttab_unmap(struct domain *ld, uint64_t host_addr, grant_handle_t handle,
                 hv_domid_t *rd_id, grant_ref_t *ref)
{
    struct grant_mapping *m;
    struct domain *rd;

    *rd_id = DOMID_INVALID;
    *ref = ~0u;
    if (!maptrack_claim(ld, handle))
        return GNTST_bad_handle;
    m = &gnttab_of(ld)->maptrack[handle];
    rd = m->granter;
    *rd_id = rd->domain_id;
    *ref = m->ref;
    if (host_addr != m->host_addr) {
        maptrack_set(ld, handle, MAPTRACK_USED);
        return GNTST_bad_virt_addr;
    }
    if (m->flags & GNTMAP_host_map) {
        if (ld->is_hvm)
            hvm_host_unmap(ld, host_addr >> PAGE_SHIFT, m->mfn, m->host_ref);
        else
            pv_grant_unmap(ld, m->host_ref, m->mfn);  /* -ENOENT: ld removed it itself */
        gnttab_flush_tlbs(ld);          /* before the frame can be freed or reused */
    }
    gnttab_unpin(rd, m->ref, !(m->flags & GNTMAP_readonly));
    maptrack_set(ld, handle, MAPTRACK_FREE);
    domain_put(rd);                     /* may free a dead granter (and its frames) */
    return GNTST_okay;
}

/* One side of a copy: a pinned grant of rd, or (rd NULL) ld's own frame. */
struct copy_side {
    struct domain *rd;
    grant_ref_t ref;
    mfn_t mfn;
};

static int copy_side_get(struct domain *ld, struct domain *rd, const struct gnttab_copy_ptr *p,
                         bool write, struct copy_side *s)
{
    int st;

    s->rd = rd;
    if (rd) {
        if (rd == ld)
            return GNTST_bad_domain;
        s->ref = p->u.ref;
        return gnttab_pin(rd, ld, p->u.ref, write, &s->mfn);
    }
    if (p->domid != DOMID_SELF)
        return GNTST_bad_domain;
    if ((st = gnttab_frame_get(ld, p->u.gmfn, &s->mfn)) != GNTST_okay)
        return st;
    if (write && get_page_type(mfn_to_page(s->mfn), PGT_writable)) {
        put_page(mfn_to_page(s->mfn));
        return GNTST_bad_page;          /* one of ld's page tables */
    }
    return GNTST_okay;
}

static void copy_side_put(struct copy_side *s, bool write)
{
    if (s->rd) {
        gnttab_unpin(s->rd, s->ref, write);
        return;
    }
    if (write)
        put_page_type(mfn_to_page(s->mfn));
    put_page(mfn_to_page(s->mfn));
}

int gnttab_copy_one(struct domain *ld, struct domain *src_rd, struct domain *dst_rd,
                    const struct gnttab_copy *op)
{
    struct copy_side src, dst;
    int st;

    if ((op->flags & ~(GNTCOPY_source_gref | GNTCOPY_dest_gref)) ||
        !(op->flags & GNTCOPY_source_gref) != !src_rd ||
        !(op->flags & GNTCOPY_dest_gref) != !dst_rd ||
        op->source.offset + (unsigned)op->len > PAGE_SIZE ||
        op->dest.offset + (unsigned)op->len > PAGE_SIZE)
        return GNTST_bad_copy_arg;
    if ((st = copy_side_get(ld, src_rd, &op->source, false, &src)) != GNTST_okay)
        return st;
    if ((st = copy_side_get(ld, dst_rd, &op->dest, true, &dst)) != GNTST_okay) {
        copy_side_put(&src, false);
        return st;
    }
    memmove((char *)page_to_virt(mfn_to_page(dst.mfn)) + op->dest.offset,
            (const char *)page_to_virt(mfn_to_page(src.mfn)) + op->source.offset, op->len);
    copy_side_put(&dst, true);
    copy_side_put(&src, false);
    return GNTST_okay;
}

/* ---- destruction ---- */

void gnttab_release_mappings(struct domain *d)
{
    struct grant_table *gt = gnttab_of(d);

    if (!gt || !gt->maptrack)
        return;
    for (grant_handle_t h = 0; h < GNTTAB_MAPTRACK_MAX; h++) {
        struct grant_mapping *m = &gt->maptrack[h];
        struct domain *rd;

        if (h % HYPERCALL_PREEMPT_BATCH == HYPERCALL_PREEMPT_BATCH - 1)
            hypercall_preempt();        /* the destroyer's: see core/hypercall.c */
        /* d is dying and paused: no unmap of its own can run; its page tables and
         * nested table are what hold the host mappings, and they go with it. */
        if (!maptrack_claim(d, h))
            continue;
        rd = m->granter;
        gnttab_unpin(rd, m->ref, !(m->flags & GNTMAP_readonly));
        maptrack_set(d, h, MAPTRACK_FREE);
        domain_put(rd);
    }
}
