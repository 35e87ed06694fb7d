/* The guest runtime's grant tables (guest/include/gnttab.h), the same on PV and HVM:
 * guest/gnttab_pv.c and guest/hvm/gnttab_hvm.c say how the table is reached.
 *
 * Granting: an entry is written domid and frame first, flags last after a barrier
 * (the hypervisor never sees half an entry); ending swaps the flags to 0 only if
 * the hypervisor has not marked the entry in use (GTF_reading / GTF_writing), with
 * the same compare-and-swap the hypervisor marks it with, so exactly one wins.
 * Refs below GNTTAB_NR_RESERVED_ENTRIES are never handed out.
 * Locking: gnt_lock (irqsave) guards the table pointer, its size and the in-use map. */
#include <guest.h>

#include "gnttab_plat.h"

#define GNTTAB_DEFAULT_FRAMES 1

static spinlock_t gnt_lock = SPINLOCK_INIT;
static struct grant_entry *table;
static unsigned nr_entries;             /* 0 until mapped */
static uint64_t used[GNTTAB_MAX_FRAMES * GNTTAB_ENTRIES_PER_FRAME / 64];   /* refs in use */
static unsigned nr_used;

static int init_locked(unsigned nr_frames)
{
    struct grant_entry *t;
    int rc;

    if (nr_frames == 0 || nr_frames > GNTTAB_MAX_FRAMES)
        return -EINVAL;
    if (nr_entries >= nr_frames * GNTTAB_ENTRIES_PER_FRAME)
        return 0;
    rc = gnttab_plat_map_table(nr_frames, &t);
    if (rc < 0)
        return rc;
    table = t;
    nr_entries = nr_frames * GNTTAB_ENTRIES_PER_FRAME;
    return 0;
}

int gnttab_init(unsigned nr_frames)
{
    unsigned long flags = spin_lock_irqsave(&gnt_lock);
    int rc = init_locked(nr_frames);

    spin_unlock_irqrestore(&gnt_lock, flags);
    return rc;
}

static bool ref_used(grant_ref_t ref)
{
    return used[ref / 64] & (1ULL << (ref % 64));
}

int gnttab_grant(hv_domid_t dom, const void *va, bool readonly)
{
    uint64_t frame = virt_to_mfn(va);
    unsigned long flags;
    int rc = -ENOSPC;

    if (((uintptr_t)va & (PAGE_SIZE - 1)) || frame == INVALID_MFN)
        return -EINVAL;
    flags = spin_lock_irqsave(&gnt_lock);
    if (!nr_entries && (rc = init_locked(GNTTAB_DEFAULT_FRAMES)) < 0) {
        spin_unlock_irqrestore(&gnt_lock, flags);
        return rc;
    }
    rc = -ENOSPC;
    for (grant_ref_t ref = GNTTAB_NR_RESERVED_ENTRIES; ref < nr_entries; ref++) {
        struct grant_entry *e = &table[ref];

        if (ref_used(ref))
            continue;
        used[ref / 64] |= 1ULL << (ref % 64);
        nr_used++;
        e->domid = dom;
        e->frame = (uint32_t)frame;
        __atomic_store_n(&e->flags, GTF_permit_access | (readonly ? GTF_readonly : 0),
                         __ATOMIC_RELEASE);
        rc = (int)ref;
        break;
    }
    spin_unlock_irqrestore(&gnt_lock, flags);
    return rc;
}

int gnttab_end(grant_ref_t ref)
{
    unsigned long flags = spin_lock_irqsave(&gnt_lock);
    int rc = 0;

    if (ref < GNTTAB_NR_RESERVED_ENTRIES || ref >= nr_entries || !ref_used(ref)) {
        rc = -EINVAL;
    } else {
        uint16_t fl = __atomic_load_n(&table[ref].flags, __ATOMIC_ACQUIRE);

        do {
            if (fl & (GTF_reading | GTF_writing)) {
                rc = -EBUSY;
                break;
            }
        } while (!__atomic_compare_exchange_n(&table[ref].flags, &fl, 0, false,
                                              __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE));
    }
    if (rc == 0) {
        used[ref / 64] &= ~(1ULL << (ref % 64));
        nr_used--;
    }
    spin_unlock_irqrestore(&gnt_lock, flags);
    return rc;
}

unsigned gnttab_in_use(void)
{
    return __atomic_load_n(&nr_used, __ATOMIC_RELAXED);
}

/* ---- mapping side ---- */

int gnttab_map(hv_domid_t dom, grant_ref_t ref, bool readonly, void *va,
               grant_handle_t *handle, uint64_t *maddr)
{
    struct gnttab_map_grant_ref op = {
        .flags = (va ? GNTMAP_host_map : GNTMAP_device_map) | (readonly ? GNTMAP_readonly : 0),
        .ref = ref,
        .dom = dom,
    };

    if (va && gnttab_plat_host_addr(va, &op.host_addr) < 0)
        return GNTST_bad_virt_addr;
    if (hv_grant_table_op(GNTTABOP_map_grant_ref, &op, 1) < 0)
        return GNTST_general_error;
    if (op.status == GNTST_okay) {
        *handle = op.handle;
        if (maddr)
            *maddr = op.dev_bus_addr;
    }
    return op.status;
}

int gnttab_unmap(void *va, grant_handle_t handle)
{
    struct gnttab_unmap_grant_ref op = { .handle = handle };

    if (va && gnttab_plat_host_addr(va, &op.host_addr) < 0)
        return GNTST_bad_virt_addr;
    if (hv_grant_table_op(GNTTABOP_unmap_grant_ref, &op, 1) < 0)
        return GNTST_general_error;
    return op.status;
}

int gnttab_copy(struct gnttab_copy *ops, unsigned n)
{
    int first = GNTST_okay;

    for (unsigned done = 0; done < n;) {
        unsigned batch = MIN(n - done, (unsigned)GNTTAB_BATCH_MAX);

        if (hv_grant_table_op(GNTTABOP_copy, &ops[done], batch) < 0) {
            for (unsigned i = done; i < done + batch; i++)
                ops[i].status = GNTST_general_error;
        }
        done += batch;
    }
    for (unsigned i = 0; i < n && first == GNTST_okay; i++)
        first = ops[i].status;
    return first;
}

uint64_t gnttab_local_frame(const void *va)
{
    return virt_to_mfn(va);
}
