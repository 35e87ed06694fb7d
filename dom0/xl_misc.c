/* The commands that do not change domains: wait, sleep, echo, help.
 *   wait <dom> [<ms>]  "wait <dom>: <reason> after <ms> ms" (poweroff, reboot, crash,
 *                      suspend, destroyed), or "wait <dom>: timed out after <ms> ms"
 *                      and ETIMEDOUT */
#include "dom0.h"
#include "strutil.h"
#include "xl.h"
#include "xl_format.h"

/* How often `wait` looks again even without VIRQ_DOM_EXC (a backstop). */
#define WAIT_POLL_NS 100000000ULL

/* Whether the domain wait is after has ended, and how. */
static bool wait_done(const char *arg, hv_domid_t id, const char **how)
{
    struct domctl_getdomaininfo di;
    struct xl_record *r = xl_record_find(arg);

    if (r && r->state != XL_REC_LIVE) {
        *how = r->destroyed_by_cmd ? "destroyed" : xl_shutdown_reason_name(r->reason);
        return true;
    }
    if (xl_dominfo(id, &di) < 0) {
        *how = "destroyed";
        return true;
    }
    if (di.flags & DOMINFO_shutdown) {
        *how = xl_shutdown_reason_name(di.shutdown_reason);
        return true;
    }
    return false;
}

int xl_wait(int argc, char **argv)
{
    struct domctl_getdomaininfo di;
    struct xl_record *r = xl_record_find(argv[1]);
    uint64_t start = guest_now_ns(), deadline = 0, ms = 0;
    const char *how;
    hv_domid_t id;

    if (r) {
        id = r->id;
    } else {
        if (xl_lookup("wait", argv[1], &di) < 0)
            return -ESRCH;
        id = di.domain;
    }
    if (argc > 2 && !str_to_dec(argv[2], &ms))
        deadline = start + ms * 1000000ULL;
    for (;;) {
        uint64_t now;

        dom0_dom_exc = false;
        xl_reap();
        if (wait_done(argv[1], id, &how)) {
            printf("wait %s: %s after %llu ms\n", argv[1], how,
                   (unsigned long long)((guest_now_ns() - start) / 1000000));
            return 0;
        }
        now = guest_now_ns();
        if (deadline && now >= deadline) {
            printf("wait %s: timed out after %llu ms\n", argv[1],
                   (unsigned long long)ms);
            return -ETIMEDOUT;
        }
        dom0_block_until(deadline ? MIN(deadline, now + WAIT_POLL_NS)
                                  : now + WAIT_POLL_NS);
    }
}

int xl_sleep(int argc, char **argv)
{
    uint64_t ms = 0;

    str_to_dec(argv[1], &ms);
    dom0_sleep_until(guest_now_ns() + ms * 1000000ULL);
    return 0;
}

int xl_echo(int argc, char **argv)
{
    puts(argc > 1 ? argv[1] : "");
    return 0;
}

int xl_help(int argc, char **argv)
{
    const struct xl_cmd *c;

    if (argc > 1) {
        if (!(c = xl_cmd_find(argv[1]))) {
            printf("help: unknown command '%s'\n", argv[1]);
            return -EINVAL;
        }
        printf("usage: %s\n  %s\n", c->usage, c->help);
        return 0;
    }
    puts("commands (<dom> is a domain name or id):");
    for (size_t i = 0; i < xl_nr_cmds; i++)
        printf("  %-42s %s\n", xl_cmds[i].usage, xl_cmds[i].help);
    return 0;
}
