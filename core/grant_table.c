/* Grant tables: the bookkeeping behind GNTTABOP_* (core/grant_table_op.c is the
 * hypercall around it). See <hvlab/grant_table.h> and docs/grant-tables.md.
 *
 * Design. The granter's entries are in frames it shares with the hypervisor and
 * writes whenever it likes, so every entry is read once, atomically, and checked
 * before use; the hypervisor's only writes there are GTF_reading / GTF_writing, by
 * compare-and-swap of the entry's first 32 bits (flags and domid), against the same
 * swap the granter's end-access does: whichever comes first wins, so a grant is
 * never both ended and in use. The first pin of an entry reads its frame (PV: an
 * MFN; HVM: a GFN, through the granter's nested table), takes a reference on it
 * (which fails unless the granter owns it) and remembers it in the active entry;
 * later pins use that frame until the last unpin. A mapping is: a maptrack slot of
 * the mapper, a pin on the grant, a domain reference on the granter, and for
 * GNTMAP_host_map the mapping itself: PV an L1 entry (pv_grant_map, with its own
 * references), HVM the mapper's gfn pointed at the frame in its nested table (the
 * mapper's frame that was there is remembered and put back at the unmap).
 * A copy pins both sides for its duration and copies through the direct map.
 *
 * Locking. gt->lock (irqsave): the granter's frames and active entries. gt->
 * maptrack_lock (irqsave): the mapper's maptrack. Neither is ever held with the
 * other, nor while calling into pv_mm (page_lock); gt->lock is held around
 * p2m_lookup of the granter's nested table (order: gt->lock -> page_lock ->
 * orphan lock -> zone locks, the last two through put_page).
 *
 * Limitations. GNTTAB_MAX_FRAMES table frames and GNTTAB_MAPTRACK_MAX mappings per
 * domain, allocated in full at first use. Version 1 entries only; no transfer. */
#include <hvlab/domain.h>
#include <hvlab/errno.h>
#include <hvlab/grant_table.h>
#include <hvlab/lib.h>
#include <hvlab/mm.h>
#include <hvlab/p2m.h>
#include <hvlab/panic.h>
#include <hvlab/pv_mm.h>
#include <hvlab/xmalloc.h>

#define PIN_TRIES 16                    /* a granter changing its entry all the time */

/* d's table, made on first use (NULL: no memory). Racing makers: one wins. */
static struct grant_table *gt_get(struct domain *d)
{
    struct grant_table *gt = __atomic_load_n(&d->grant_table, __ATOMIC_ACQUIRE), *none = NULL;

    if (gt)
        return gt;
    gt = xzalloc(sizeof(*gt));
    if (!gt)
        return NULL;
    spin_lock_init(&gt->lock);
    spin_lock_init(&gt->maptrack_lock);
    if (!__atomic_compare_exchange_n(&d->grant_table, &none, gt, false, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE)) {
        xfree(gt);
        return none;
    }
    return gt;
}

static struct grant_table *gt_of(const struct domain *d)
{
    return __atomic_load_n(&d->grant_table, __ATOMIC_ACQUIRE);
}

/* ---- the granter's table ---- */

int gnttab_grow(struct domain *d, unsigned nr_frames)
{
    struct grant_table *gt;
    struct grant_active *act = NULL;
    unsigned long flags;
    int rc = 0;

    if (nr_frames == 0 || nr_frames > GNTTAB_MAX_FRAMES)
        return -EINVAL;
    if (!(gt = gt_get(d)))
        return -ENOMEM;
    if (!__atomic_load_n(&gt->active, __ATOMIC_ACQUIRE) &&
        !(act = xzalloc_array(GNTTAB_MAX_ENTRIES, sizeof(*act))))
        return -ENOMEM;
    spin_lock_irqsave(&gt->lock, flags);
    if (!gt->active) {
        gt->active = act;
        act = NULL;
    }
    while (gt->nr_frames < nr_frames) {
        struct page_info *pg = alloc_frames(0, d->home_node, MEMF_ZERO);

        if (!pg) {
            rc = -ENOMEM;
            break;
        }
        domain_share_frame(pg, d, true);
        gt->frames[gt->nr_frames] = pg;
        __atomic_store_n(&gt->nr_frames, gt->nr_frames + 1, __ATOMIC_RELEASE);
    }
    spin_unlock_irqrestore(&gt->lock, flags);
    xfree(act);                         /* lost a race: the other one's is in place */
    return rc;
}

unsigned gnttab_nr_frames(const struct domain *d)
{
    const struct grant_table *gt = gt_of(d);

    return gt ? __atomic_load_n(&gt->nr_frames, __ATOMIC_ACQUIRE) : 0;
}

mfn_t gnttab_frame_mfn(const struct domain *d, unsigned idx)
{
    ASSERT(idx < gnttab_nr_frames(d));
    return page_to_mfn(gt_of(d)->frames[idx]);
}

/* The first 32 bits of shared entry ref: flags | domid << 16, as one word. */
static uint32_t *entry_word(struct grant_table *gt, grant_ref_t ref)
{
    struct grant_entry *e = page_to_virt(gt->frames[ref / GNTTAB_ENTRIES_PER_FRAME]);

    return (uint32_t *)&e[ref % GNTTAB_ENTRIES_PER_FRAME];
}

static uint32_t *entry_frame(struct grant_table *gt, grant_ref_t ref)
{
    struct grant_entry *e = page_to_virt(gt->frames[ref / GNTTAB_ENTRIES_PER_FRAME]);

    return &e[ref % GNTTAB_ENTRIES_PER_FRAME].frame;
}

/* The machine frame behind a frame number of d (PV: the MFN; HVM: the GFN's), with
 * a general reference, or GNTST_bad_page. */
static int frame_get(struct domain *d, uint64_t frame, mfn_t *mfn)
{
    unsigned long flags;
    mfn_t m = frame;
    int rc = 0;

    if (d->is_hvm) {
        spin_lock_irqsave(&d->page_lock, flags);
        rc = p2m_lookup(&d->p2m, frame, &m, NULL, NULL);
        spin_unlock_irqrestore(&d->page_lock, flags);
    }
    if (rc || m >= max_mfn || get_page(mfn_to_page(m), d))
        return GNTST_bad_page;
    *mfn = m;
    return GNTST_okay;
}

/* GTF_reading/GTF_writing as the active entry's pins say. */
static void entry_sync_flags(struct grant_table *gt, grant_ref_t ref,
                             const struct grant_active *act)
{
    uint16_t *fl = (uint16_t *)entry_word(gt, ref);

    if (!act->pins_rw)
        __atomic_fetch_and(fl, (uint16_t)~GTF_writing, __ATOMIC_SEQ_CST);
    if (!act->pins_rw && !act->pins_ro)
        __atomic_fetch_and(fl, (uint16_t)~GTF_reading, __ATOMIC_SEQ_CST);
}

/* Marks the entry in use by ld, if it is granted to ld (writably, for write). */
static int entry_claim(struct grant_table *gt, grant_ref_t ref, domid_t ld_id, bool write)
{
    uint32_t *w = entry_word(gt, ref);
    uint32_t x = __atomic_load_n(w, __ATOMIC_ACQUIRE);

    for (unsigned i = 0; i < PIN_TRIES; i++) {
        uint16_t fl = x & 0xffff;
        uint32_t nx;

        if ((fl & GTF_type_mask) != GTF_permit_access || (x >> 16) != ld_id ||
            (write && (fl & GTF_readonly)))
            return GNTST_bad_gntref;
        nx = x | GTF_reading | (write ? GTF_writing : 0);
        if (__atomic_compare_exchange_n(w, &x, nx, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
            return GNTST_okay;
    }
    return GNTST_general_error;
}

/* A pin on rd's grant ref for ld: GNTST_okay with *mfn, or the status. */
static int grant_pin(struct domain *rd, struct domain *ld, grant_ref_t ref, bool write,
                     mfn_t *mfn)
{
    struct grant_table *gt = gt_of(rd);
    struct grant_active *act;
    unsigned long flags;
    bool claimed;
    int st;

    if (!gt)
        return GNTST_bad_gntref;
    spin_lock_irqsave(&gt->lock, flags);
    if (ref >= gt->nr_frames * GNTTAB_ENTRIES_PER_FRAME) {
        spin_unlock_irqrestore(&gt->lock, flags);
        return GNTST_bad_gntref;
    }
    act = &gt->active[ref];
    st = entry_claim(gt, ref, ld->domain_id, write);
    claimed = st == GNTST_okay;
    if (st == GNTST_okay && act->pins_ro + act->pins_rw && act->domid != ld->domain_id)
        st = GNTST_bad_gntref;          /* regranted while another still maps it */
    if (st == GNTST_okay && act->pins_ro + act->pins_rw) {
        *mfn = act->mfn;
        if (get_page(mfn_to_page(*mfn), rd))
            st = GNTST_bad_page;        /* cannot happen while pinned: rd is alive */
    } else if (st == GNTST_okay) {
        st = frame_get(rd, __atomic_load_n(entry_frame(gt, ref), __ATOMIC_RELAXED), mfn);
    }
    if (st == GNTST_okay && write && get_page_type(mfn_to_page(*mfn), PGT_writable)) {
        put_page(mfn_to_page(*mfn));
        st = GNTST_bad_page;            /* a page table of the granter */
    }
    if (st == GNTST_okay) {
        act->domid = ld->domain_id;
        act->mfn = *mfn;
        if (write)
            act->pins_rw++;
        else
            act->pins_ro++;
    } else if (claimed) {
        entry_sync_flags(gt, ref, act); /* undo what entry_claim set */
    }
    spin_unlock_irqrestore(&gt->lock, flags);
    return st;
}

static void grant_unpin(struct domain *rd, grant_ref_t ref, bool write)
{
    struct grant_table *gt = gt_of(rd);
    struct grant_active *act = &gt->active[ref];
    struct page_info *pg = mfn_to_page(act->mfn);
    unsigned long flags;

    spin_lock_irqsave(&gt->lock, flags);
    if (write) {
        ASSERT(act->pins_rw);
        act->pins_rw--;
        put_page_type(pg);
    } else {
        ASSERT(act->pins_ro);
        act->pins_ro--;
    }
    entry_sync_flags(gt, ref, act);
    put_page(pg);                       /* an orphan's last: freed now */
    spin_unlock_irqrestore(&gt->lock, flags);
}

/* ---- the mapper's maptrack ---- */

static int maptrack_get(struct domain *ld, grant_handle_t *handle)
{
    struct grant_table *gt = gt_get(ld);
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
        gt->maptrack = mt;
        mt = NULL;
    }
    for (unsigned i = 0; gt->maptrack_used < GNTTAB_MAPTRACK_MAX && i < GNTTAB_MAPTRACK_MAX; i++) {
        if (gt->maptrack[i].state == MAPTRACK_FREE) {
            gt->maptrack[i].state = MAPTRACK_BUSY;
            gt->maptrack_used++;
            *handle = i;
            st = GNTST_okay;
            break;
        }
    }
    spin_unlock_irqrestore(&gt->maptrack_lock, flags);
    xfree(mt);
    return st;
}

/* BUSY -> state (USED when made, FREE when undone or failed). */
static void maptrack_set(struct domain *ld, grant_handle_t h, uint8_t state)
{
    struct grant_table *gt = gt_of(ld);
    unsigned long flags;

    spin_lock_irqsave(&gt->maptrack_lock, flags);
    ASSERT(gt->maptrack[h].state == MAPTRACK_BUSY);
    gt->maptrack[h].state = state;
    if (state == MAPTRACK_FREE)
        gt->maptrack_used--;
    spin_unlock_irqrestore(&gt->maptrack_lock, flags);
}

/* USED -> BUSY for the unmap; false for a handle not held. */
static bool maptrack_claim(struct domain *ld, grant_handle_t h)
{
    struct grant_table *gt = gt_of(ld);
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
    const struct grant_table *gt = gt_of(d);

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
    mfn_t mfn;
    int st;

    if (flags & ~(GNTMAP_host_map | GNTMAP_device_map | GNTMAP_readonly) ||
        !(flags & (GNTMAP_host_map | GNTMAP_device_map)))
        return GNTST_general_error;
    if (host ? (host_addr & ~PAGE_MASK) || host_addr == 0 : host_addr != 0)
        return GNTST_bad_virt_addr;
    if (rd == ld)
        return GNTST_bad_domain;
    if ((st = maptrack_get(ld, handle)) != GNTST_okay)
        return st;
    if ((st = grant_pin(rd, ld, ref, write, &mfn)) != GNTST_okay) {
        maptrack_set(ld, *handle, MAPTRACK_FREE);
        return st;
    }
    if (host && (st = host_map(ld, host_addr, l4, mfn, write, &host_ref)) != GNTST_okay) {
        grant_unpin(rd, ref, write);
        maptrack_set(ld, *handle, MAPTRACK_FREE);
        return st;
    }
    domain_hold(rd);
    m = &gt_of(ld)->maptrack[*handle];
    m->flags = (uint8_t)flags;
    m->ref = ref;
    m->granter = rd;
    m->mfn = mfn;
    m->host_addr = host_addr;
    m->host_ref = host_ref;
    maptrack_set(ld, *handle, MAPTRACK_USED);
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
    m = &gt_of(ld)->maptrack[handle];
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
    grant_unpin(rd, m->ref, !(m->flags & GNTMAP_readonly));
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
        return grant_pin(rd, ld, p->u.ref, write, &s->mfn);
    }
    if (p->domid != DOMID_SELF)
        return GNTST_bad_domain;
    if ((st = frame_get(ld, p->u.gmfn, &s->mfn)) != GNTST_okay)
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
        grant_unpin(s->rd, s->ref, write);
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
    struct grant_table *gt = gt_of(d);

    if (!gt || !gt->maptrack)
        return;
    for (grant_handle_t h = 0; h < GNTTAB_MAPTRACK_MAX; h++) {
        struct grant_mapping *m = &gt->maptrack[h];
        struct domain *rd;

        /* d is dying and paused: no unmap of its own can run; its page tables and
         * nested table are what hold the host mappings, and they go with it. */
        if (!maptrack_claim(d, h))
            continue;
        rd = m->granter;
        grant_unpin(rd, m->ref, !(m->flags & GNTMAP_readonly));
        maptrack_set(d, h, MAPTRACK_FREE);
        domain_put(rd);
    }
}

void gnttab_domain_free(struct domain *d)
{
    struct grant_table *gt = gt_of(d);

    if (!gt)
        return;
    ASSERT(gt->maptrack_used == 0);
    for (unsigned i = 0; i < gt->nr_frames; i++)
        domain_unshare_frame(gt->frames[i]);   /* freed now, or at a foreign map's put */
    xfree(gt->active);
    xfree(gt->maptrack);
    xfree(gt);
    d->grant_table = NULL;
}
