/* The guest runtime's grant library (guest/gnttab.c) on the host: ref allocation,
 * the entry it writes, end-access against the hypervisor's in-use bits, table
 * growth. The platform (table frames, addresses) and the runtime's locks and
 * frame numbers are test doubles; the hypercall wrappers are not called. */
#include "unit.h"

#include <gnttab.h>

#include "../../guest/gnttab_plat.h"

static struct grant_entry frames[GNTTAB_MAX_FRAMES][GNTTAB_ENTRIES_PER_FRAME]
    __attribute__((aligned(4096)));
static unsigned mapped_frames, map_calls;

int gnttab_plat_map_table(unsigned nr_frames, struct grant_entry **table)
{
    map_calls++;
    mapped_frames = nr_frames;
    *table = &frames[0][0];
    return 0;
}

int gnttab_plat_host_addr(void *va, uint64_t *host_addr)
{
    *host_addr = (uintptr_t)va;
    return 0;
}

/* "Frame numbers": page index in a fake 1 MiB region at 16 MiB; others are not ours. */
#define OURS_BASE 0x1000000ULL
uint64_t virt_to_mfn(const void *va)
{
    uint64_t a = (uintptr_t)va;

    return a >= OURS_BASE && a < OURS_BASE + (1 << 20) ? a >> 12 : INVALID_MFN;
}

unsigned long spin_lock_irqsave(spinlock_t *l) { l->locked = 1; return 0; }
void spin_unlock_irqrestore(spinlock_t *l, unsigned long f) { (void)f; l->locked = 0; }

static const void *page(unsigned i) { return (const void *)(uintptr_t)(OURS_BASE + i * 4096ULL); }

static struct grant_entry *entry(grant_ref_t ref) { return &frames[0][0] + ref; }

/* One process, one library state: the cases run in this order. */
static void test_grant_and_end(void)
{
    CHECK_EQ(gnttab_grant(3, page(1), false), GNTTAB_NR_RESERVED_ENTRIES);
    CHECK_EQ(map_calls, 1);                     /* the table, at first use */
    CHECK_EQ(mapped_frames, 1);
    CHECK_EQ(entry(8)->domid, 3);
    CHECK_EQ(entry(8)->frame, (OURS_BASE >> 12) + 1);
    CHECK_EQ(entry(8)->flags, GTF_permit_access);
    CHECK_EQ(gnttab_grant(4, page(2), true), 9);
    CHECK_EQ(entry(9)->flags, GTF_permit_access | GTF_readonly);
    CHECK_EQ(gnttab_in_use(), 2);
    entry(8)->flags |= GTF_reading | GTF_writing;       /* the hypervisor: mapped */
    CHECK_EQ(gnttab_end(8), -EBUSY);
    CHECK_EQ(entry(8)->flags, GTF_permit_access | GTF_reading | GTF_writing);
    entry(8)->flags &= (uint16_t)~GTF_writing;          /* still read */
    CHECK_EQ(gnttab_end(8), -EBUSY);
    entry(8)->flags &= (uint16_t)~GTF_reading;
    CHECK_EQ(gnttab_end(8), 0);
    CHECK_EQ(entry(8)->flags, 0);
    CHECK_EQ(gnttab_end(8), -EINVAL);                   /* not in use any more */
    CHECK_EQ(gnttab_in_use(), 1);
    CHECK_EQ(gnttab_grant(5, page(3), false), 8);       /* lowest free first */
    CHECK_EQ(entry(8)->domid, 5);
    CHECK_EQ(gnttab_end(8), 0);
    CHECK_EQ(gnttab_end(9), 0);
    CHECK_EQ(gnttab_in_use(), 0);
}

static void test_bad_input(void)
{
    CHECK_EQ(gnttab_grant(3, (const char *)page(1) + 8, false), -EINVAL);  /* unaligned */
    CHECK_EQ(gnttab_grant(3, (const void *)0x5000, false), -EINVAL);       /* not ours */
    CHECK_EQ(gnttab_end(0), -EINVAL);                   /* reserved */
    CHECK_EQ(gnttab_end(7), -EINVAL);
    CHECK_EQ(gnttab_end(GNTTAB_ENTRIES_PER_FRAME), -EINVAL);   /* beyond the table */
    CHECK_EQ(gnttab_end(~0u), -EINVAL);
    CHECK_EQ(gnttab_init(0), -EINVAL);
    CHECK_EQ(gnttab_init(GNTTAB_MAX_FRAMES + 1), -EINVAL);
    CHECK_EQ(gnttab_in_use(), 0);
}

static void test_full_then_grow(void)
{
    unsigned usable = GNTTAB_ENTRIES_PER_FRAME - GNTTAB_NR_RESERVED_ENTRIES, n = 0;

    while (n <= usable && gnttab_grant(1, page(n % 200), true) >= 0)
        n++;
    CHECK_EQ(n, usable);
    CHECK_EQ(gnttab_grant(1, page(0), true), -ENOSPC);
    CHECK_EQ(gnttab_init(2), 0);
    CHECK_EQ(mapped_frames, 2);
    CHECK_EQ(gnttab_init(1), 0);                        /* never shrinks */
    CHECK_EQ(mapped_frames, 2);
    CHECK_EQ(gnttab_grant(1, page(0), true), (int)GNTTAB_ENTRIES_PER_FRAME);
    for (grant_ref_t r = GNTTAB_NR_RESERVED_ENTRIES; r <= GNTTAB_ENTRIES_PER_FRAME; r++)
        CHECK_EQ(gnttab_end(r), 0);
    CHECK_EQ(gnttab_in_use(), 0);
}

static const struct unit_case cases[] = {
    { "grant_and_end", test_grant_and_end },
    { "bad_input", test_bad_input },
    { "full_then_grow", test_full_then_grow },
};
UNIT_MAIN(cases)
