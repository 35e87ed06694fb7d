/* The scheduler parameter commands: sched-credit, sched-credit2, sched-rtds and
 * sched-numa (arguments: sched_args.h; output: sched_format.h).
 *
 * Design: as in xl, each command speaks for one policy, and a domain's parameters
 * belong to the policy of its pool: the pool is DOMCTL_getdomaininfo's cpupool, its
 * policy CPUPOOL_OP_info's sched_name, and a command for another policy says so
 * ("sched-rtds: domain 3 is in pool 0 (credit)") rather than call the hypervisor.
 * Options become the policy's declared parameters by name (-w weight, -c cap,
 * -p period, -b budget, -e extratime, -n home_nodes), set in one PUT whose mask
 * leaves the others as they are; the rows are then read back and printed. Without -d, every domain of every
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
    if ((rc = xl_domctl(DOMCTL_scheduler_op, dom, &op)) >= 0 && cmd == SCHED_PARAMS_GET)
        *sop = op.u.scheduler_op;
    return rc;
}

/* The value of the parameter or counter called name in a GET result (0 if the
 * policy declares none of that name). */
static uint64_t by_name(const struct sysctl_sched_decls *dc,
                        const struct domctl_scheduler_op *sop, const char *name)
{
    for (unsigned i = 0; i < dc->nr_params && i < SCHED_NR_PARAMS; i++)
        if (!strcmp(dc->param[i].name, name))
            return sop->value[i];
    for (unsigned i = 0; i < dc->nr_counters && i < SCHED_NR_COUNTERS; i++)
        if (!strcmp(dc->counter[i].name, name))
            return sop->counter[i];
    return 0;
}

/* Sets parameter name to v in sop (mask), if the policy declares it. */
static void set_by_name(const struct sysctl_sched_decls *dc, struct domctl_scheduler_op *sop,
                        const char *name, uint64_t v)
{
    for (unsigned i = 0; i < dc->nr_params && i < SCHED_NR_PARAMS; i++)
        if (!strcmp(dc->param[i].name, name)) {
            sop->value[i] = v;
            sop->mask |= 1u << i;
        }
}

static bool per_vcpu(const struct sysctl_sched_decls *dc)
{
    for (unsigned i = 0; i < dc->nr_params && i < SCHED_NR_PARAMS; i++)
        if (dc->param[i].flags & SCHED_PARAM_PER_VCPU)
            return true;
    return false;
}

/* The vCPUs a command means: all of the domain's, or the one of -v. */
static void vcpu_range(const struct sched_args *a, const struct sysctl_sched_decls *dc,
                       const struct domctl_getdomaininfo *di, unsigned *first, unsigned *end)
{
    bool all = !per_vcpu(dc) || a->vcpu == SCHED_ALL_VCPUS;

    *first = all ? 0 : a->vcpu;
    *end = !per_vcpu(dc) ? 1 : all ? di->max_vcpus : a->vcpu + 1;
}

static int print_rows(const struct sched_args *a, const struct sysctl_sched_decls *dc,
                      const struct domctl_getdomaininfo *di)
{
    struct domctl_scheduler_op sop;
    struct xl_sched_row r;
    char line[XL_FMT_LINE_MAX];
    unsigned v, end;
    long rc;

    for (vcpu_range(a, dc, di, &v, &end); v < end; v++) {
        memset(&sop, 0, sizeof(sop));
        fmt_snprintf(sop.policy, sizeof(sop.policy), "%s", a->info->policy);
        sop.vcpu = v;
        if ((rc = sched_call(di->domain, SCHED_PARAMS_GET, &sop)) < 0) {
            printf("%s: reading the parameters of domain %u (%s): %s\n", a->info->cmd,
                   di->domain, di->name, str_errno((int)rc));
            return (int)rc;
        }
        r = (struct xl_sched_row){
            .weight = (uint32_t)by_name(dc, &sop, "weight"),
            .cap = (uint32_t)by_name(dc, &sop, "cap"),
            .period_us = (uint32_t)by_name(dc, &sop, "period"),
            .budget_us = (uint32_t)by_name(dc, &sop, "budget"),
            .extratime = (uint32_t)by_name(dc, &sop, "extratime"),
            .home_nodes = (uint32_t)by_name(dc, &sop, "home_nodes"),
            .home = by_name(dc, &sop, "home"),
            .migrations = by_name(dc, &sop, "migrations"),
            .away_ns = by_name(dc, &sop, "away"),
        };
        xl_fmt_sched_row(line, sizeof(line), di->name, di->domain, v, a->info->policy, &r);
        puts(line);
    }
    return 0;
}

static void print_header(const struct sched_args *a)
{
    char line[XL_FMT_LINE_MAX];

    xl_fmt_sched_header(line, sizeof(line), a->info->policy);
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
    if (strcmp(p.sched_name, a->info->policy)) {
        printf("%s: domain %u is in pool %u (%s)\n", a->info->cmd, di->domain,
               p.cpupool_id, p.sched_name);
        return -EINVAL;
    }
    return 0;
}

/* One PUT of the options given, by parameter name; the others keep their values. */
static int sched_set(const struct sched_args *a, const struct sysctl_sched_decls *dc,
                     const struct domctl_getdomaininfo *di)
{
    struct domctl_scheduler_op sop;
    long rc;

    memset(&sop, 0, sizeof(sop));
    fmt_snprintf(sop.policy, sizeof(sop.policy), "%s", a->info->policy);
    sop.vcpu = a->vcpu;
    if (a->given & SCHED_ARG_WEIGHT)
        set_by_name(dc, &sop, "weight", a->weight);
    if (a->given & SCHED_ARG_CAP)
        set_by_name(dc, &sop, "cap", a->cap);
    if (a->given & SCHED_ARG_PERIOD)
        set_by_name(dc, &sop, "period", a->period_us);
    if (a->given & SCHED_ARG_BUDGET)
        set_by_name(dc, &sop, "budget", a->budget_us);
    if (a->given & SCHED_ARG_EXTRA)
        set_by_name(dc, &sop, "extratime", a->extratime);
    if (a->given & SCHED_ARG_NODES)
        set_by_name(dc, &sop, "home_nodes", a->nodes);
    if (!per_vcpu(dc))
        sop.vcpu = SCHED_ALL_VCPUS;
    if ((rc = sched_call(di->domain, SCHED_PARAMS_PUT, &sop)) < 0)
        printf("%s: setting the parameters of domain %u (%s): %s\n", a->info->cmd,
               di->domain, di->name, str_errno((int)rc));
    return (int)rc;
}

static int sched_one(struct sched_args *a)
{
    struct domctl_getdomaininfo di;
    struct sysctl_sched_decls dc;
    int rc;

    if ((rc = xl_lookup(a->info->cmd, a->dom, &di)) < 0 || (rc = check_pool(a, &di)) < 0 ||
        (rc = xl_sched_decls(a->info->cmd, di.cpupool, &dc)) < 0)
        return rc;
    if (a->vcpu != RTDS_ALL_VCPUS && a->vcpu >= di.max_vcpus) {
        printf("%s: domain %u (%s) has no vCPU %u\n", a->info->cmd, di.domain, di.name,
               a->vcpu);
        return -EINVAL;
    }
    if ((a->given & SCHED_ARG_SETTERS) &&
        (rc = sched_set(a, &dc, &di)) < 0)
        return rc;
    print_header(a);
    return print_rows(a, &dc, &di);
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
        struct sysctl_sched_decls dc;
        if (strcmp(p.sched_name, a->info->policy) ||
            xl_sched_decls(a->info->cmd, p.cpupool_id, &dc) < 0)
            continue;
        any = true;
        xl_fmt_pool_title(line, sizeof(line), p.name, p.sched_name);
        puts(line);
        print_header(a);
        for (rc = xl_dominfo_next(0, &di); !rc; rc = xl_dominfo_next(di.domain + 1, &di)) {
            if (di.cpupool != p.cpupool_id || (di.flags & DOMINFO_dying))
                continue;
            int e = print_rows(a, &dc, &di);
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
