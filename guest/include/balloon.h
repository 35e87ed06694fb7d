/* The balloon driver of the guest runtime (guest/balloon.c) and its arithmetic
 * (guest/balloon_calc.c, pure: host-tested, and shared with dom0's toolstack).
 *
 * The toolstack writes the domain's target, in KiB as Xen's, to the store key
 * memory/target; the driver follows it by giving pages of its own allocator back to
 * the hypervisor (XENMEM_decrease_reservation) or taking frames again
 * (XENMEM_populate_physmap), and reports the domain's reservation afterwards in
 * memory/current (KiB). The pages it holds are out of the allocator (pages.c), so
 * nothing the guest allocates can land on them. docs/ballooning.md. */
#ifndef GUEST_BALLOON_H
#define GUEST_BALLOON_H

#include <hvlab/lib.h>

#define BALLOON_TOKEN "balloon-target"  /* the token of the driver's store watch */
#define BALLOON_RESERVE_PAGES 64        /* free pages the driver never gives (256 KiB) */
#define BALLOON_BATCH 64                /* pages per memory_op */

/* ---- balloon.c: the driver ---- */

/* Sets the driver up (store, its bitmap, a watch on memory/target). The command line
 * key balloon=ignore makes it read the target but never follow it (a guest that
 * will not give memory back, for tests). 0 or -errno. */
int balloon_init(void);
/* For a guest's event loop: true when (path, token) was the driver's watch event,
 * which it has then handled (followed the target); false for someone else's. */
bool balloon_event(const char *token);
/* Moves the reservation toward target_kib now, as far as the allocator allows:
 * returns the reservation reached (pages), or -errno when a memory_op failed. dom0's
 * toolstack calls it for dom0 itself (autoballoon, mem-set 0). */
long balloon_set_target(uint64_t target_kib);
uint64_t balloon_pages_out(void);       /* pages given back and not yet taken again */

/* ---- balloon_pv.c / hvm/balloon_hvm.c: one platform's memory_op calls ---- */

/* Gives the frames behind pfns[0..n) back (their pages are out of the allocator and
 * untouched): the number given (a prefix of pfns); the rest are usable as before. */
long balloon_plat_release(const uint64_t *pfns, uint64_t n);
/* Backs pfns[0..n) with new frames: the number backed (a prefix), or -errno. */
long balloon_plat_populate(const uint64_t *pfns, uint64_t n);

/* ---- balloon_calc.c: pure arithmetic ---- */

/* Pages that hold kib KiB, rounded up (a target is never undershot). */
uint64_t balloon_kib_to_pages(uint64_t kib);
/* The change toward target (pages): negative to give back, positive to take again,
 * 0 when there or nothing can be done. Giving is bounded by the allocator's free
 * pages above reserve, taking by the pages given before. */
int64_t balloon_plan(uint64_t cur_pages, uint64_t target_pages, uint64_t free_pages,
                     uint64_t reserve_pages, uint64_t out_pages);
/* A size as xl takes it: decimal with an optional suffix b, k, m, g (default k, as
 * Xen's xl), into KiB (bytes rounded up); 0, or -EINVAL (not a number, unknown
 * suffix, overflow, a size of 0). */
int balloon_parse_kib(const char *s, uint64_t *kib);
/* Autoballoon: how many pages dom0 must give so that free frames cover need_pages
 * (0: enough free already), or -ENOMEM when that would take dom0 below min_pages. */
int64_t balloon_dom0_give(uint64_t free_pages, uint64_t need_pages, uint64_t dom0_pages,
                          uint64_t min_pages);

#endif
