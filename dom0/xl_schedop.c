/* The scheduler parameter commands: sched-credit, sched-credit2, sched-rtds and
 * sched-numa (arguments: sched_args.h; output: sched_format.h).
 *
 * Design: as in xl, each command speaks for one policy, and a domain's parameters
 * belong to the policy of its pool: the pool is DOMCTL_getdomaininfo's cpupool, its
 * policy CPUPOOL_OP_info's sched_id, and a command for another policy says so
 * ("sched-rtds: domain 3 is in pool 0 (credit)") rather than call the hypervisor.
 * Setting is read-modify-write (GET, change the fields the options name, PUT), since
 * some PUT fields are always applied (credit's cap, rtds's extratime, numa's home
 * nodes); the rows are then read back and printed. Without -d, every domain of every
 * pool of the policy is listed, pool by pool, dying domains left out. */
#include "dom0.h"
#include "sched_args.h"
#include "sched_format.h"
#include "strutil.h"
#include "xl.h"

static long sched_call(hv_domid_t dom, uint32_t cmd, struct domctl_scheduler_op *sop)
{
    struct domctl op;
    long rc;

    memset(&op, 0, sizeof(op));
    op.u.scheduler_op = *sop;
    op.u.scheduler_op.cmd = cmd;
    if ((rc = xl_domctl(DOMCTL_scheduler_op, dom, &op)) >= 0 && cmd == SCHED_PARAMS_GET) {
        *sop = op.u.scheduler_op;
        sop->cmd = cmd;
    }
    return rc;
}

/* The parameters of dom under policy id (of vCPU vcpu for rtds). */
static long sched_get(uint32_t id, hv_domid_t dom, uint32_t vcpu,
                      struct domctl_scheduler_op *sop)
{
    memset(sop, 0, sizeof(*sop));
    sop->sched_id = id;
    if (id == SCHED_ID_RTDS)
        sop->u.rtds.vcpu = vcpu;
    return sched_call(dom, SCHED_PARAMS_GET, sop);
}

/* The vCPUs a command means: all of the domain's, or the one of -v. */
static void vcpu_range(const struct sched_args *a, const struct domctl_getdomaininfo *di,
                       unsigned *first, unsigned *end)
{
    bool all = a->info->sched_id != SCHED_ID_RTDS || a->vcpu == RTDS_ALL_VCPUS;

    *first = all ? 0 : a->vcpu;
    *end = a->info->sched_id != SCHED_ID_RTDS ? 1 : all ? di->max_vcpus : a->vcpu + 1;
}

static int print_rows(const struct sched_args *a, const struct domctl_getdomaininfo *di)
{
    struct domctl_scheduler_op sop;
    char line[XL_FMT_LINE_MAX];
    unsigned v, end;
    long rc;

    for (vcpu_range(a, di, &v, &end); v < end; v++) {
        if ((rc = sched_get(a->info->sched_id, di->domain, v, &sop)) < 0) {
            printf("%s: reading the parameters of domain %u (%s): %s\n", a->info->cmd,
                   di->domain, di->name, str_errno((int)rc));
            return (int)rc;
        }
        sop.sched_id = a->info->sched_id;
        xl_fmt_sched_row(line, sizeof(line), di->name, di->domain, v, &sop);
        puts(line);
    }
    return 0;
}

static void print_header(const struct sched_args *a)
{
    char line[XL_FMT_LINE_MAX];

    xl_fmt_sched_header(line, sizeof(line), a->info->sched_id);
    puts(line);
}

/* 0 if di's pool runs the command's policy; else says which policy it runs. */
static int check_pool(const struct sched_args *a, const struct domctl_getdomaininfo *di)
{
    struct sysctl_cpupool_op p;
    long rc = xl_pool_info(di->cpupool, &p);

    if (rc < 0 || p.cpupool_id != di->cpupool) {
        printf("%s: domain %u (%s): its pool %u: %s\n", a->info->cmd, di->domain,
               di->name, di->cpupool, rc < 0 ? str_errno((int)rc) : "ENOENT");
        return rc < 0 ? (int)rc : -ENOENT;
    }
    if (p.sched_id != a->info->sched_id) {
        printf("%s: domain %u is in pool %u (%s)\n", a->info->cmd, di->domain,
               p.cpupool_id, p.sched_name);
        return -EINVAL;
    }
    return 0;
}

/* rtds: one PUT for the targeted vCPUs when -e is given (0 period or budget keeps
 * each vCPU's own); else one per vCPU, so that each keeps its extratime. */
static long rtds_set(const struct sched_args *a, const struct domctl_getdomaininfo *di)
{
    struct domctl_scheduler_op sop;
    unsigned v, end;
    long rc;

    if (a->given & SCHED_ARG_EXTRA) {
        memset(&sop, 0, sizeof(sop));
        sop.sched_id = SCHED_ID_RTDS;
        sop.u.rtds.vcpu = a->vcpu;
        sop.u.rtds.period_us = a->given & SCHED_ARG_PERIOD ? a->period_us : 0;
        sop.u.rtds.budget_us = a->given & SCHED_ARG_BUDGET ? a->budget_us : 0;
        sop.u.rtds.extratime = a->extratime;
        return sched_call(di->domain, SCHED_PARAMS_PUT, &sop);
    }
    for (vcpu_range(a, di, &v, &end); v < end; v++) {
        if ((rc = sched_get(SCHED_ID_RTDS, di->domain, v, &sop)) < 0)
            return rc;
        sop.sched_id = SCHED_ID_RTDS;
        sop.u.rtds.vcpu = v;
        if (a->given & SCHED_ARG_PERIOD)
            sop.u.rtds.period_us = a->period_us;
        if (a->given & SCHED_ARG_BUDGET)
            sop.u.rtds.budget_us = a->budget_us;
        if ((rc = sched_call(di->domain, SCHED_PARAMS_PUT, &sop)) < 0)
            return rc;
    }
    return 0;
}

static int sched_set(const struct sched_args *a, const struct domctl_getdomaininfo *di)
{
    uint32_t id = a->info->sched_id;
    struct domctl_scheduler_op sop;
    long rc;

    if (id == SCHED_ID_RTDS) {
        rc = rtds_set(a, di);
    } else if ((rc = sched_get(id, di->domain, 0, &sop)) >= 0) {
        /* Options not given keep the values read (weight and cap, or weight and
         * home nodes, share the first two words of the union). */
        uint32_t weight = a->given & SCHED_ARG_WEIGHT ? a->weight : sop.u.credit.weight;
        uint32_t cap = a->given & SCHED_ARG_CAP ? a->cap : sop.u.credit.cap;
        uint32_t nodes = a->given & SCHED_ARG_NODES ? a->nodes : sop.u.numa.home_nodes;
        memset(&sop.u, 0, sizeof(sop.u));
        sop.sched_id = id;
        if (id == SCHED_ID_NUMA) {
            sop.u.numa.weight = weight;
            sop.u.numa.home_nodes = nodes;
        } else {
            sop.u.credit.weight = weight;
            sop.u.credit.cap = cap;
        }
        rc = sched_call(di->domain, SCHED_PARAMS_PUT, &sop);
    }
    if (rc < 0)
        printf("%s: setting the parameters of domain %u (%s): %s\n", a->info->cmd,
               di->domain, di->name, str_errno((int)rc));
    return (int)rc;
}

static int sched_one(struct sched_args *a)
{
    struct domctl_getdomaininfo di;
    int rc;

    if ((rc = xl_lookup(a->info->cmd, a->dom, &di)) < 0 || (rc = check_pool(a, &di)) < 0)
        return rc;
    if (a->vcpu != RTDS_ALL_VCPUS && a->vcpu >= di.max_vcpus) {
        printf("%s: domain %u (%s) has no vCPU %u\n", a->info->cmd, di.domain, di.name,
               a->vcpu);
        return -EINVAL;
    }
    if ((a->given & SCHED_ARG_SETTERS) &&
        (rc = sched_set(a, &di)) < 0)
        return rc;
    print_header(a);
    return print_rows(a, &di);
}

static int sched_list_all(const struct sched_args *a)
{
    struct domctl_getdomaininfo di;
    struct sysctl_cpupool_op p;
    char line[XL_FMT_LINE_MAX];
    bool any = false;
    int err = 0, rc;
    long prc;

    for (prc = xl_pool_info(0, &p); prc >= 0; prc = xl_pool_info(p.cpupool_id + 1, &p)) {
        if (p.sched_id != a->info->sched_id)
            continue;
        any = true;
        xl_fmt_pool_title(line, sizeof(line), p.name, p.sched_name);
        puts(line);
        print_header(a);
        for (rc = xl_dominfo_next(0, &di); !rc; rc = xl_dominfo_next(di.domain + 1, &di)) {
            if (di.cpupool != p.cpupool_id || (di.flags & DOMINFO_dying))
                continue;
            int e = print_rows(a, &di);
            if (e && e != -ESRCH)       /* one that went away meanwhile is skipped */
                err = e;
        }
    }
    if (!any)
        printf("%s: no cpupool uses %s\n", a->info->cmd, a->info->policy);
    return err;
}

int xl_sched_params(int argc, char **argv)
{
    struct sched_args a;
    char err[160];

    if (sched_args_parse(argc, argv, &a, err, sizeof(err))) {
        puts(err);                      /* checked already: only from a direct call */
        return -EINVAL;
    }
    return a.dom ? sched_one(&a) : sched_list_all(&a);
}
