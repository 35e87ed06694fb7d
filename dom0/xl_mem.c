/* Ballooning from the toolstack (docs/ballooning.md): `mem-set`, `mem-max`, the
 * memory view of `list -m`, the memory lines of `info`, and autoballoon for `create`.
 *
 * Design. A domain's target lives in the store, memory/target in KiB (Xen's key);
 * the guest's balloon driver follows it. The toolstack trusts only the hypervisor's
 * count (tot_pages): mem-set writes the target, then watches tot_pages until it
 * matches or a bound passes, and reports the shortfall; a guest that does not follow
 * costs a message, never a failure of dom0 or the hypervisor. dom0 itself has no
 * watch: the toolstack calls its balloon in-process (balloon_set_target). Autoballoon:
 * when `create` finds too few free frames, dom0 gives the difference back, but never
 * goes below DOM0_MIN_KIB.
 *
 * Output: "mem-set: domain <id> (<name>): target <n> KiB reached (reservation <n>
 * KiB)" or "... target <n> KiB not reached after <ms> ms: reservation <n> KiB,
 * shortfall <n> KiB (the guest did not follow)"; refusals name the numbers.
 * list -m: "Name ID Cur(KiB) Target(KiB) Max(KiB) Short(KiB)" ("%-31s %5u %10llu
 * %11s %10llu %10llu"; Target "-" when the store has none; Short: what the domain
 * holds above its target). info: "free_memory_kib", "dom0_min_memory_kib" lines. */
#include <balloon.h>
#include "dom0.h"
#include "store.h"
#include "strutil.h"
#include "xl.h"

#define DOM0_MIN_KIB (16ULL << 10)      /* dom0 never balloons below 16 MiB */
#define MEMSET_WAIT_MS 5000             /* mem-set's default bound */
#define POLL_MS 5

static int store_target(hv_domid_t dom, uint64_t *kib)
{
    char path[64];

    fmt_snprintf(path, sizeof(path), "/local/domain/%u/memory/target", dom);
    return store_read_uint(path, kib);
}

static int write_target(hv_domid_t dom, uint64_t kib)
{
    char path[64];

    fmt_snprintf(path, sizeof(path), "/local/domain/%u/memory/target", dom);
    return store_printf(path, "%llu", (unsigned long long)kib);
}

/* dom0 follows a target of its own in-process: the reservation reached, or -errno. */
static long dom0_follow(uint64_t kib)
{
    long rc = balloon_set_target(kib);

    write_target(0, kib);
    return rc;
}

static void report(const struct domctl_getdomaininfo *di, uint64_t kib, uint64_t ms)
{
    uint64_t cur = di->tot_pages * 4;

    if (di->tot_pages == balloon_kib_to_pages(kib))
        printf("mem-set: domain %u (%s): target %llu KiB reached (reservation %llu KiB)\n",
               di->domain, di->name, (unsigned long long)kib, (unsigned long long)cur);
    else
        printf("mem-set: domain %u (%s): target %llu KiB not reached after %llu ms: "
               "reservation %llu KiB, %s %llu KiB (the guest did not follow)\n",
               di->domain, di->name, (unsigned long long)kib, (unsigned long long)ms,
               (unsigned long long)cur, cur > kib ? "shortfall" : "below target by",
               (unsigned long long)(cur > kib ? cur - kib : kib - cur));
}

/* Waits until d's reservation is the target's or ms pass; services keep running. */
static int wait_follow(struct domctl_getdomaininfo *di, uint64_t kib, uint64_t ms)
{
    uint64_t start = guest_now_ns(), deadline = start + ms * 1000000ULL, now;
    hv_domid_t dom = di->domain;
    int rc;

    for (;;) {
        if ((rc = xl_dominfo(dom, di)) < 0 || di->domain != dom) {
            printf("mem-set: domain %u went away while ballooning\n", dom);
            return -ESRCH;
        }
        now = guest_now_ns();
        if (di->tot_pages == balloon_kib_to_pages(kib) || now >= deadline ||
            (di->flags & (DOMINFO_shutdown | DOMINFO_dying)))
            break;
        dom0_sleep_until(MIN(now + POLL_MS * 1000000ULL, deadline));
    }
    report(di, kib, (now - start) / 1000000ULL);
    return 0;
}

int xl_mem_set(int argc, char **argv)
{
    struct domctl_getdomaininfo di;
    uint64_t kib, ms = MEMSET_WAIT_MS;
    int rc;

    if (balloon_parse_kib(argv[2], &kib) < 0 || (argc > 3 && str_to_dec(argv[3], &ms))) {
        printf("mem-set: bad size '%s' or bound (usage: mem-set <dom> <size> [<ms>])\n",
               argv[2]);
        return -EINVAL;
    }
    if ((rc = xl_lookup("mem-set", argv[1], &di)) < 0)
        return rc;
    if (balloon_kib_to_pages(kib) > di.max_pages) {
        printf("mem-set: domain %u (%s): target %llu KiB is above its maximum %llu KiB "
               "(raise it with mem-max)\n", di.domain, di.name, (unsigned long long)kib,
               (unsigned long long)di.max_pages * 4);
        return -EINVAL;
    }
    if (di.domain == 0) {
        if (kib < DOM0_MIN_KIB) {
            printf("mem-set: dom0's target %llu KiB is below its minimum %llu KiB\n",
                   (unsigned long long)kib, DOM0_MIN_KIB);
            return -EINVAL;
        }
        dom0_follow(kib);
        return wait_follow(&di, kib, 0);
    }
    if ((rc = write_target(di.domain, kib)) < 0) {
        printf("mem-set: domain %u (%s): cannot write memory/target: %s\n", di.domain,
               di.name, str_errno(rc));
        return rc;
    }
    return wait_follow(&di, kib, ms);
}

int xl_mem_max(int argc, char **argv)
{
    struct domctl_getdomaininfo di;
    struct domctl op;
    uint64_t kib;
    long rc;

    (void)argc;
    if (balloon_parse_kib(argv[2], &kib) < 0) {
        printf("mem-max: bad size '%s'\n", argv[2]);
        return -EINVAL;
    }
    if ((rc = xl_lookup("mem-max", argv[1], &di)) < 0)
        return (int)rc;
    memset(&op, 0, sizeof(op));
    op.u.max_mem.max_pages = balloon_kib_to_pages(kib);
    rc = xl_domctl(DOMCTL_max_mem, di.domain, &op);
    if (rc == -EINVAL)
        printf("mem-max: domain %u (%s): %llu KiB is below what it holds now (%llu KiB)\n",
               di.domain, di.name, (unsigned long long)kib,
               (unsigned long long)di.tot_pages * 4);
    else if (rc == -ENOMEM)
        printf("mem-max: domain %u (%s): %llu KiB is more than the machine has\n",
               di.domain, di.name, (unsigned long long)kib);
    else if (rc < 0)
        printf("mem-max: domain %u (%s): %s\n", di.domain, di.name, str_errno((int)rc));
    else
        printf("mem-max: domain %u (%s): maximum %llu KiB (was %llu KiB)\n", di.domain,
               di.name, (unsigned long long)op.u.max_mem.max_pages * 4,
               (unsigned long long)di.max_pages * 4);
    return (int)rc;
}

static void list_mem_row(const struct domctl_getdomaininfo *di)
{
    uint64_t target, cur = di->tot_pages * 4;
    char t[24] = "-";
    bool have = store_target(di->domain, &target) == 0;

    if (have)
        fmt_snprintf(t, sizeof(t), "%llu", (unsigned long long)target);
    printf("%-31.31s %5u %10llu %11s %10llu %10llu\n", di->name, di->domain,
           (unsigned long long)cur, t, (unsigned long long)di->max_pages * 4,
           (unsigned long long)(have && cur > target ? cur - target : 0));
}

int xl_list_mem(const char *dom)
{
    struct domctl_getdomaininfo di;
    int rc;

    printf("%-31s %5s %10s %11s %10s %10s\n", "Name", "ID", "Cur(KiB)", "Target(KiB)",
           "Max(KiB)", "Short(KiB)");
    if (dom) {
        if ((rc = xl_lookup("list", dom, &di)) < 0)
            return rc;
        list_mem_row(&di);
        return 0;
    }
    for (rc = xl_dominfo_next(0, &di); !rc; rc = xl_dominfo_next(di.domain + 1, &di))
        list_mem_row(&di);
    return 0;
}

void xl_info_mem(const struct sysctl_physinfo *pi)
{
    printf("%-23s: %llu\n", "free_memory_kib", (unsigned long long)pi->free_pages * 4);
    printf("%-23s: %llu\n", "dom0_min_memory_kib", DOM0_MIN_KIB);
}

int xl_autoballoon(const char *who, uint64_t need_pages)
{
    struct domctl_getdomaininfo d0;
    struct sysctl op;
    int64_t give;
    long rc;

    if ((rc = xl_sysctl(SYSCTL_physinfo, &op)) < 0 || (rc = xl_dominfo(0, &d0)) < 0)
        return (int)rc;
    give = balloon_dom0_give(op.u.physinfo.free_pages, need_pages, d0.tot_pages,
                             balloon_kib_to_pages(DOM0_MIN_KIB));
    if (give <= 0) {
        if (give < 0)
            printf("%s: autoballoon: %llu KiB needed, %llu KiB free, dom0 holds %llu KiB "
                   "and keeps at least %llu KiB\n", who,
                   (unsigned long long)need_pages * 4,
                   (unsigned long long)op.u.physinfo.free_pages * 4,
                   (unsigned long long)d0.tot_pages * 4, DOM0_MIN_KIB);
        return give < 0 ? -ENOMEM : 0;
    }
    uint64_t target = (d0.tot_pages - (uint64_t)give) * 4;
    rc = dom0_follow(target);
    printf("%s: autoballoon: dom0 gives %llu KiB back (%llu KiB free, %llu KiB needed): "
           "dom0 target %llu KiB, reservation %llu KiB\n", who,
           (unsigned long long)give * 4, (unsigned long long)op.u.physinfo.free_pages * 4,
           (unsigned long long)need_pages * 4, (unsigned long long)target,
           rc < 0 ? 0ULL : (unsigned long long)rc * 4);
    if (rc < 0 || (uint64_t)rc * 4 > target) {
        printf("%s: autoballoon: dom0 could not give enough (its free pages are short)\n",
               who);
        return -ENOMEM;
    }
    return 0;
}
