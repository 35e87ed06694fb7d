/* The steps every batch of the memory mover shares (include/hvlab/mm_migrate.h).
 *
 * Design. New frames come from the domain's policy (a frame placed off the target set
 * is given back: the caller stops); room above max_pages while a batch's old and new
 * frames coexist; the new frame takes the old one's place in the page list; the
 * batch's trace records and its preemption point. Apart from mm/migrate.c so that the
 * host tests link the movers with these steps and the real allocator, without the
 * domctl.
 *
 * Locking. As mm/migrate.c (domctl_lock, the domain paused); migrate_list_swap under
 * page_lock, migrate_room takes it.
 *
 * Limitations. The room is a raised max_pages: anything else allocating for the domain
 * during a batch (dom0 populating for it) could use it; the guest itself is paused. */
#include <hvlab/domain.h>
#include <hvlab/hypercall.h>
#include <hvlab/lib.h>
#include <hvlab/mm.h>
#include <hvlab/mm_migrate.h>
#include <hvlab/mm_policy.h>
#include <hvlab/panic.h>
#include <hvlab/trace.h>

bool migrate_on_set(const struct migrate_run *run, const struct page_info *pg)
{
    return pg->node < 32 && (run->set & (1u << pg->node));
}

struct page_info *migrate_new_frame(struct migrate_run *run, uint64_t index)
{
    struct mm_request r = {
        .reason = MM_REASON_MIGRATE, .asked = NUMA_NO_NODE, .toucher = run->toucher,
        .index = index,
    };
    struct page_info *pg = domain_alloc_frame_for(run->d, &r, 0);

    if (pg && !migrate_on_set(run, pg)) {
        /* Never mapped: ours alone, whatever kind of domain. */
        int rc = domain_free_unmapped_frame(run->d, pg);
        ASSERT(rc == 0);
        (void)rc;
        pg = NULL;
    }
    return pg;
}

void migrate_room(struct migrate_run *run, unsigned n)
{
    unsigned long flags;

    spin_lock_irqsave(&run->d->page_lock, flags);
    run->d->max_pages = run->max_pages + n;
    spin_unlock_irqrestore(&run->d->page_lock, flags);
}

void migrate_list_swap(struct page_info *old, struct page_info *new)
{
    list_del(&new->list);
    list_add(&new->list, &old->list);   /* right after old; old leaves next */
}

void migrate_batch_done(struct migrate_run *run, const struct migrate_groups *g)
{
    for (unsigned i = 0; i < g->n; i++)
        TRACE(TRC_MEM_MIGRATE, run->d->domain_id, 0,
              (uint64_t)g->g[i].from << 32 | g->g[i].to, g->g[i].frames);
    run->batches++;
    hypercall_preempt();                /* domctl_lock only: see core/domctl.c */
}
