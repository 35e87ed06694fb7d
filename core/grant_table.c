/* Grant tables, the granting side: a domain's table frames, the pins of its entries,
 * and its table's end. The mapping side (maptrack, host mappings, map, unmap, copy)
 * is core/grant_table_map.c; the hypercall core/grant_table_op.c. See
 * <hvlab/grant_table.h> and docs/grant-tables.md.
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
struct grant_table *gnttab_get(struct domain *d)
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

/* ---- the granter's table ---- */

int gnttab_grow(struct domain *d, unsigned nr_frames)
{
    struct grant_table *gt;
    struct grant_active *act = NULL;
    unsigned long flags;
    int rc = 0;

    if (nr_frames == 0 || nr_frames > GNTTAB_MAX_FRAMES)
        return -EINVAL;
    if (!(gt = gnttab_get(d)))
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
    const struct grant_table *gt = gnttab_of(d);

    return gt ? __atomic_load_n(&gt->nr_frames, __ATOMIC_ACQUIRE) : 0;
}

mfn_t gnttab_frame_mfn(const struct domain *d, unsigned idx)
{
    ASSERT(idx < gnttab_nr_frames(d));
    return page_to_mfn(gnttab_of(d)->frames[idx]);
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
int gnttab_frame_get(struct domain *d, uint64_t frame, mfn_t *mfn)
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
int gnttab_pin(struct domain *rd, struct domain *ld, grant_ref_t ref, bool write,
                     mfn_t *mfn)
{
    struct grant_table *gt = gnttab_of(rd);
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
        st = gnttab_frame_get(rd, __atomic_load_n(entry_frame(gt, ref), __ATOMIC_RELAXED), mfn);
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

void gnttab_unpin(struct domain *rd, grant_ref_t ref, bool write)
{
    struct grant_table *gt = gnttab_of(rd);
    struct grant_active *act = &gt->active[ref];
    struct page_info *pg;
    unsigned long flags;

    spin_lock_irqsave(&gt->lock, flags);
    pg = mfn_to_page(act->mfn);
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

/* ---- destruction ---- */

void gnttab_domain_free(struct domain *d)
{
    struct grant_table *gt = gnttab_of(d);

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
