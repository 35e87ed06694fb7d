/* A domU under the balloon driver (tests/boot/test_balloon.py; PV, and HVM as
 * balloontest-hvm). It keeps canary pages with a known pattern, follows
 * memory/target (balloon=ignore: reads it but does not follow), and answers two keys
 * of its own dir: probe (take every free page of the allocator, write each, check
 * none is a page given back, give them back) and stop (check the canaries, exit).
 * Prints "balloontest: <case> ok|FAILED ..." and "balloontest: N passed, N failed". */
#include <guest.h>
#include <balloon.h>
#include <store.h>

#define CANARIES 8
#define WAIT_S 120

static unsigned passed, failed;
static uint64_t *canary[CANARIES];

static void check(bool ok, const char *what, unsigned long long got)
{
    printf("balloontest: %s %s", what, ok ? "ok\n" : "FAILED");
    if (!ok)
        printf(" (got %llu)\n", got);
    ok ? passed++ : failed++;
}

static uint64_t pattern(unsigned c, unsigned i)
{
    return 0x9e3779b97f4a7c15ULL * (c + 1) ^ i;
}

static bool canaries_intact(void)
{
    for (unsigned c = 0; c < CANARIES; c++)
        for (unsigned i = 0; i < PAGE_SIZE / 8; i++)
            if (canary[c][i] != pattern(c, i))
                return false;
    return true;
}

/* Every free page, written whole: a page given back would fault here. */
static void probe(void)
{
    void *head = NULL;
    uint64_t n = 0, before = free_pages_count();
    void *pg;

    while ((pg = alloc_page()) != NULL) {
        memset(pg, 0xa5, PAGE_SIZE);
        *(void **)pg = head;
        head = pg;
        n++;
    }
    while (head) {
        pg = head;
        head = *(void **)pg;
        free_page(pg);
    }
    printf("balloontest: probe wrote %llu free pages (%llu pages out)\n",
           (unsigned long long)n, (unsigned long long)balloon_pages_out());
    check(n == before && free_pages_count() == before, "every free page is usable", n);
    check(canaries_intact(), "canaries intact after probe", 0);
}

static long memop(unsigned cmd, uint64_t *extents, uint64_t n)
{
    struct xen_memory_reservation r = {
        .extent_start = (uint64_t)(uintptr_t)extents, .nr_extents = n, .domid = DOMID_SELF,
    };

    return hv_memory_op(cmd, &r);
}

static void check_rc(const char *what, long rc, long want)
{
    char buf[96];

    fmt_snprintf(buf, sizeof(buf), "%s: %s", what, errno_name(want));
    check(rc == want, buf, (unsigned long long)rc);
}

/* Values the hypervisor must refuse, leaving the reservation as it was. */
static void bad_values(void)
{
    hv_domid_t self = DOMID_SELF;
    long before = hv_memory_op(XENMEM_current_reservation, &self);
    uint64_t e[1];
    struct xen_memory_reservation bad = {
        .extent_start = 0xffff800000000000ULL, .nr_extents = 1, .domid = DOMID_SELF,
    };

    check_rc("extents in the hypervisor's half", hv_memory_op(XENMEM_decrease_reservation,
                                                               &bad), -EFAULT);
#ifdef GUEST_HVM
    e[0] = 3ULL << (30 - PAGE_SHIFT);
    check_rc("decrease a gfn at 3 GiB", memop(XENMEM_decrease_reservation, e, 1), -EINVAL);
    e[0] = pages_limit_pfn() + 0x100;
    check_rc("decrease a gfn with no frame", memop(XENMEM_decrease_reservation, e, 1), -ENOENT);
    e[0] = (uintptr_t)shared_info >> PAGE_SHIFT;
    check_rc("decrease the shared info gfn", memop(XENMEM_decrease_reservation, e, 1), -EBUSY);
    e[0] = virt_to_pfn(canary[0]);
    check_rc("populate a mapped gfn", memop(XENMEM_populate_physmap, e, 1), -EEXIST);
    e[0] = pages_limit_pfn() + 0x100;
    check_rc("populate above the maximum", memop(XENMEM_populate_physmap, e, 1), -ENOMEM);
    check_rc("increase_reservation (machine frames)",
             memop(XENMEM_increase_reservation, e, 1), -EINVAL);
#else
    e[0] = virt_to_mfn(canary[0]);
    check_rc("decrease a frame still mapped", memop(XENMEM_decrease_reservation, e, 1),
             -EINVAL);
#endif
    long after = hv_memory_op(XENMEM_current_reservation, &self);
    check(after == before, "reservation unchanged by the refusals", (unsigned long long)after);
    check(canaries_intact(), "canaries intact after the refusals", 0);
}

int main(const struct start_info *si)
{
    char path[128], tok[32];
    int rc;

    (void)si;
    for (unsigned c = 0; c < CANARIES; c++) {
        canary[c] = alloc_page();
        for (unsigned i = 0; i < PAGE_SIZE / 8; i++)
            canary[c][i] = pattern(c, i);
    }
    bad_values();
    rc = balloon_init();
    check(rc == 0, "balloon driver started", (unsigned long long)-rc);
    if (rc || store_watch("probe", "probe") || store_watch("stop", "stop"))
        return 1;
    store_write("ready", "1");
    for (;;) {
        if (store_wait_event(path, sizeof(path), tok, sizeof(tok),
                             guest_now_ns() + WAIT_S * 1000000000ULL) < 0) {
            check(false, "dom0 said stop in time", 0);
            break;
        }
        if (balloon_event(tok))
            continue;
        if (!strcmp(tok, "probe") && store_read("probe", path, sizeof(path)) > 0)
            probe();
        if (!strcmp(tok, "stop") && store_read("stop", path, sizeof(path)) > 0)
            break;
    }
    check(canaries_intact(), "canaries intact at the end", 0);
    printf("balloontest: %u passed, %u failed\n", passed, failed);
    return failed ? 1 : 0;
}
