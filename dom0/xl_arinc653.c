/* The arinc653 commands: a pool's timetable (arguments: arinc653_args.h). set refuses
 * a timetable for dom0's own pool that gives dom0 no window (dom0 would never run).
 *
 *   arinc653-set [-p <pool>] <major_us> <dom>[:<vcpu>]=<runtime_us> ...
 *   arinc653-get [-p <pool>]
 *
 * Design: the timetable belongs to the pool, as in Xen (XEN_SYSCTL_scheduler_op on a
 * cpupool), so both commands name a pool (default 0) and refuse one whose policy is
 * not arinc653, saying which it is. set resolves each domain name to its id, sends the
 * whole timetable in one SYSCTL_scheduler_op (the hypervisor checks it whole and keeps
 * the old one if it is refused, naming the window at fault), then prints the timetable
 * now in force, as get does:
 *   "Cpupool <pool>: sched=arinc653 major_frame_us=<us> timetable=<set|default>"
 *   "Window Start(us) Runtime(us) Name ID VCPU", then per window
 *   "%-6u %9u %11u %-31s %5u %4s" (VCPU "all" or the number; Name "(gone)" for a
 *   domain that no longer exists), then "Idle <us>" when the windows leave some. */
#include "arinc653_args.h"
#include "dom0.h"
#include "strutil.h"
#include "xl.h"

/* The pool a command means, checked to run arinc653: 0 or -errno after printing. */
static int a653_pool(const char *cmd, const struct arinc653_args *a, uint32_t *id,
                     struct sysctl_cpupool_op *info)
{
    int rc = 0;

    *id = 0;
    if (a->pool && (rc = xl_pool_find(cmd, a->pool, id)) < 0)
        return rc;
    if (xl_pool_info(*id, info) < 0 || info->cpupool_id != *id) {
        printf("%s: no cpupool %u\n", cmd, *id);
        return -ENOENT;
    }
    if (info->sched_id != SCHED_ID_ARINC653) {
        printf("%s: cpupool %u (%s) runs %s, not arinc653\n", cmd, *id, info->name,
               info->sched_name);
        return -EINVAL;
    }
    return 0;
}

static long a653_call(uint32_t pool, uint32_t cmd, struct sysctl_arinc653_schedule *t)
{
    struct sysctl op;
    long rc;

    memset(&op, 0, sizeof(op));
    op.u.scheduler_op.cpupool_id = pool;
    op.u.scheduler_op.sched_id = SCHED_ID_ARINC653;
    op.u.scheduler_op.cmd = cmd;
    op.u.scheduler_op.u.arinc653 = *t;
    rc = xl_sysctl(SYSCTL_scheduler_op, &op);
    *t = op.u.scheduler_op.u.arinc653;  /* also on a refusal: bad_entry */
    return rc;
}

static void a653_print(const struct sysctl_cpupool_op *info,
                       const struct sysctl_arinc653_schedule *t)
{
    struct domctl_getdomaininfo di;
    uint32_t at = 0;

    printf("Cpupool %s: sched=arinc653 major_frame_us=%u timetable=%s\n", info->name,
           t->major_frame_us, t->is_default ? "default" : "set");
    printf("Window Start(us) Runtime(us) Name                            ID VCPU\n");
    for (unsigned i = 0; i < t->nr_entries && i < ARINC653_MAX_ENTRIES; i++) {
        const struct arinc653_entry *e = &t->entries[i];
        char vcpu[8];
        if (e->vcpu == ARINC653_ALL_VCPUS)
            fmt_snprintf(vcpu, sizeof(vcpu), "all");
        else
            fmt_snprintf(vcpu, sizeof(vcpu), "%u", e->vcpu);
        bool known = xl_dominfo(e->domid, &di) == 0;
        printf("%-6u %9u %11u %-31s %5u %4s\n", i, at, e->runtime_us,
               known ? di.name : "(gone)", e->domid, vcpu);
        at += e->runtime_us;
    }
    if (at < t->major_frame_us)
        printf("Idle %u\n", t->major_frame_us - at);
}

/* Why the hypervisor refused window i (bad_entry), in words. */
static void a653_refused(const char *cmd, long rc, const struct arinc653_args *a,
                         const struct sysctl_arinc653_schedule *t, uint32_t pool)
{
    uint32_t i = t->bad_entry;

    if (i >= a->n) {
        printf("%s: timetable refused: %s\n", cmd, str_errno((int)rc));
        return;
    }
    const struct arinc653_entry *e = &t->entries[i];
    if (rc == -ESRCH)
        printf("%s: window %u: domain %u (%s) is not in cpupool %u\n", cmd, i, e->domid,
               a->w[i].dom, pool);
    else if (e->vcpu != ARINC653_ALL_VCPUS)
        printf("%s: window %u: domain %u (%s) has no vCPU %u\n", cmd, i, e->domid,
               a->w[i].dom, e->vcpu);
    else
        printf("%s: window %u refused: %s\n", cmd, i, str_errno((int)rc));
}

/* A timetable for dom0's own pool with no window for dom0 would stop the toolstack
 * for good (the hypervisor allows it: a pool need not hold dom0): refused here. */
static int a653_keeps_caller(const char *cmd, const struct sysctl_arinc653_schedule *t,
                             uint32_t pool)
{
    struct domctl_getdomaininfo di;

    if (xl_dominfo(0, &di) < 0 || di.cpupool != pool)
        return 0;
    for (unsigned i = 0; i < t->nr_entries; i++)
        if (t->entries[i].domid == 0)
            return 0;
    printf("%s: Domain-0 has no window in cpupool %u, its own: it would never run again "
           "(give it one, e.g. Domain-0=1000)\n", cmd, pool);
    return -EINVAL;
}

int xl_arinc653(int argc, char **argv)
{
    const char *cmd = argv[0];
    static struct arinc653_args a;
    struct sysctl_arinc653_schedule t;
    struct sysctl_cpupool_op info;
    char err[160];
    uint32_t pool;
    long rc;

    if (arinc653_args_parse(argc, argv, &a, err, sizeof(err))) {
        printf("%s\n", err);
        return -EINVAL;
    }
    if ((rc = a653_pool(cmd, &a, &pool, &info)) < 0)
        return (int)rc;
    memset(&t, 0, sizeof(t));
    if (strcmp(cmd, "arinc653-set") == 0) {
        t.major_frame_us = a.major_us;
        t.nr_entries = a.n;
        for (unsigned i = 0; i < a.n; i++) {
            struct domctl_getdomaininfo di;
            if ((rc = xl_lookup(cmd, a.w[i].dom, &di)) < 0)
                return (int)rc;
            t.entries[i] = (struct arinc653_entry){ di.domain, a.w[i].vcpu,
                                                    a.w[i].runtime_us };
        }
        if ((rc = a653_keeps_caller(cmd, &t, pool)) < 0)
            return (int)rc;
        if ((rc = a653_call(pool, SCHED_PARAMS_PUT, &t)) < 0) {
            a653_refused(cmd, rc, &a, &t, pool);
            return (int)rc;
        }
    }
    if ((rc = a653_call(pool, SCHED_PARAMS_GET, &t)) < 0) {
        printf("%s: reading the timetable failed: %s\n", cmd, str_errno((int)rc));
        return (int)rc;
    }
    a653_print(&info, &t);
    return 0;
}
