/* The balloon driver (guest/include/balloon.h): follows the store key memory/target.
 *
 * Design. The pages given back are taken out of the runtime's allocator
 * (pages_balloon_take) and marked in a bitmap of the pfn range; the platform file
 * (balloon_pv.c, hvm/balloon_hvm.c) hands their frames to the hypervisor. Taking
 * memory again backs marked pfns with new frames and returns them to the allocator,
 * lowest pfn first (so pages taken from the top of the bump range grow it back). How
 * far to go is balloon_plan's: toward the target, never below BALLOON_RESERVE_PAGES
 * free pages, never more than was given. The reservation reached (the hypervisor's
 * count, XENMEM_current_reservation) is written to memory/current in KiB.
 *
 * Locking. None: one caller at a time, the vCPU running the guest's event loop (or
 * dom0's toolstack). The allocator's own lock guards the pages moving in and out.
 *
 * Limitations. A guest follows only when its loop passes the driver's watch events to
 * balloon_event (guests that never look at the store do not balloon). Order-0
 * extents; the pages given are whatever the allocator has free, not chosen by node. */
#include <guest.h>
#include <balloon.h>
#include <store.h>

static uint64_t *bitmap;                /* a set bit: that pfn's frame is given back */
static uint64_t nr_bits, out_pages;
static bool inited, ignore_target;

static bool test_bit(uint64_t pfn) { return bitmap[pfn / 64] >> (pfn % 64) & 1; }
static void set_bit(uint64_t pfn) { bitmap[pfn / 64] |= 1ULL << (pfn % 64); }
static void clear_bit(uint64_t pfn) { bitmap[pfn / 64] &= ~(1ULL << (pfn % 64)); }

uint64_t balloon_pages_out(void)
{
    return out_pages;
}

static int bitmap_init(void)
{
    uint64_t bytes = (pages_limit_pfn() + 63) / 64 * 8;

    if (bitmap)
        return 0;
    nr_bits = pages_limit_pfn();
    bitmap = alloc_pages((bytes + PAGE_SIZE - 1) >> PAGE_SHIFT);
    return bitmap ? 0 : -ENOMEM;
}

/* Up to n pages out of the allocator and back to the hypervisor: how many went. */
static uint64_t balloon_give(uint64_t n)
{
    uint64_t pfns[BALLOON_BATCH], done = 0;

    while (done < n) {
        uint64_t k = 0, pfn;
        long r;

        while (k < MIN((uint64_t)BALLOON_BATCH, n - done) &&
               (pfn = pages_balloon_take()) != ~0ULL)
            pfns[k++] = pfn;
        if (!k)
            break;
        r = balloon_plat_release(pfns, k);
        if (r < 0)
            r = 0;
        for (uint64_t i = 0; i < (uint64_t)r; i++)
            set_bit(pfns[i]);
        out_pages += (uint64_t)r;
        for (uint64_t i = k; i > (uint64_t)r; i--)     /* back in the order taken */
            pages_balloon_give(pfns[i - 1]);
        done += (uint64_t)r;
        if ((uint64_t)r < k)
            break;
    }
    return done;
}

/* Up to n given pages backed again and returned to the allocator: how many, or
 * -errno when the first memory_op failed. */
static long balloon_take(uint64_t n)
{
    uint64_t pfns[BALLOON_BATCH], done = 0, next = 0;

    while (done < n) {
        uint64_t k = 0;
        long r;

        for (; next < nr_bits && k < MIN((uint64_t)BALLOON_BATCH, n - done); next++)
            if (test_bit(next))
                pfns[k++] = next;
        if (!k)
            break;
        r = balloon_plat_populate(pfns, k);
        if (r < 0)
            return done ? (long)done : r;
        for (uint64_t i = 0; i < (uint64_t)r; i++) {
            clear_bit(pfns[i]);
            pages_balloon_give(pfns[i]);
        }
        out_pages -= (uint64_t)r;
        done += (uint64_t)r;
        if ((uint64_t)r < k)
            break;
    }
    return (long)done;
}

static long reservation(void)
{
    hv_domid_t self = DOMID_SELF;

    return hv_memory_op(XENMEM_current_reservation, &self);
}

long balloon_set_target(uint64_t target_kib)
{
    long cur, rc = 0;
    int64_t plan;

    if (bitmap_init() < 0)
        return -ENOMEM;
    if ((cur = reservation()) < 0)
        return cur;
    plan = balloon_plan((uint64_t)cur, balloon_kib_to_pages(target_kib), free_pages_count(),
                        BALLOON_RESERVE_PAGES, out_pages);
    if (plan < 0)
        balloon_give((uint64_t)-plan);
    else if (plan > 0)
        rc = balloon_take((uint64_t)plan);
    if ((cur = reservation()) < 0)
        return cur;
    printf("balloon: target %llu KiB, reservation %llu KiB, %llu pages out%s\n",
           (unsigned long long)target_kib, (unsigned long long)cur * 4,
           (unsigned long long)out_pages, rc < 0 ? " (populate failed)" : "");
    store_printf("memory/current", "%llu", (unsigned long long)cur * 4);
    return rc < 0 ? rc : cur;
}

int balloon_init(void)
{
    char mode[16];
    int rc;

    if (inited)
        return 0;
    ignore_target = guest_arg("balloon", mode, sizeof(mode)) && strcmp(mode, "ignore") == 0;
    if ((rc = store_init()) < 0 || (rc = bitmap_init()) < 0)
        return rc;
    if ((rc = store_watch("memory/target", BALLOON_TOKEN)) < 0)
        return rc;
    inited = true;
    return 0;
}

bool balloon_event(const char *token)
{
    uint64_t kib;

    if (strcmp(token, BALLOON_TOKEN) != 0)
        return false;
    if (store_read_uint("memory/target", &kib) < 0)
        return true;                    /* removed, or not a number: nothing to follow */
    if (ignore_target)
        printf("balloon: target %llu KiB ignored (balloon=ignore)\n",
               (unsigned long long)kib);
    else
        balloon_set_target(kib);
    return true;
}
