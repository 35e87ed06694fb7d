/* Output formats of the scheduler and CPU pool commands; see sched_format.h. */
#include "cpulist.h"
#include "sched_format.h"

void xl_fmt_pool_title(char *buf, size_t size, const char *pool, const char *policy)
{
    fmt_snprintf(buf, size, "Cpupool %s: sched=%s", pool, policy);
}

void xl_fmt_sched_header(char *buf, size_t size, uint32_t sched_id)
{
    switch (sched_id) {
    case SCHED_ID_RTDS:
        fmt_snprintf(buf, size, "%-31s %5s %4s %9s %9s %9s", "Name", "ID", "VCPU",
                     "Period", "Budget", "Extratime");
        return;
    case SCHED_ID_NUMA:
        fmt_snprintf(buf, size, "%-31s %5s %6s %5s %5s %10s %9s", "Name", "ID", "Weight",
                     "Nodes", "Home", "Migrations", "Away(ms)");
        return;
    default:
        fmt_snprintf(buf, size, "%-31s %5s %6s %4s", "Name", "ID", "Weight", "Cap");
    }
}

void xl_fmt_sched_row(char *buf, size_t size, const char *name, unsigned domid,
                      unsigned vcpu, const struct domctl_scheduler_op *op)
{
    char set[32] = "auto", home[32];

    switch (op->sched_id) {
    case SCHED_ID_RTDS:
        fmt_snprintf(buf, size, "%-31.31s %5u %4u %9u %9u %9s", name, domid, vcpu,
                     op->u.rtds.period_us, op->u.rtds.budget_us,
                     op->u.rtds.extratime ? "yes" : "no");
        return;
    case SCHED_ID_NUMA:
        if (op->u.numa.home_nodes)
            cpumask_format(set, sizeof(set), op->u.numa.home_nodes, 0);
        cpumask_format(home, sizeof(home), op->u.raw[5], 0);
        fmt_snprintf(buf, size, "%-31.31s %5u %6u %5s %5s %10llu %9llu", name, domid,
                     op->u.numa.weight, set, home, (unsigned long long)op->u.raw[6],
                     (unsigned long long)(op->u.raw[7] / 1000000));
        return;
    default:
        fmt_snprintf(buf, size, "%-31.31s %5u %6u %4u", name, domid, op->u.credit.weight,
                     op->u.credit.cap);
    }
}

void xl_fmt_pool_header(char *buf, size_t size, bool cpu_list)
{
    if (cpu_list)
        fmt_snprintf(buf, size, "%-15s %s", "Name", "CPU list");
    else
        fmt_snprintf(buf, size, "%-15s %4s %-8s %6s %12s", "Name", "CPUs", "Sched",
                     "Active", "Domain count");
}

void xl_fmt_pool_row(char *buf, size_t size, const struct sysctl_cpupool_op *p,
                     bool cpu_list)
{
    char cpus[XL_FMT_LINE_MAX / 2];

    if (cpu_list) {
        cpumask_format(cpus, sizeof(cpus), p->cpumap, 0);
        fmt_snprintf(buf, size, "%-15.15s %s", p->name, cpus);
    } else {
        fmt_snprintf(buf, size, "%-15.15s %4u %-8.15s %6s %12u", p->name,
                     xl_mask_count(p->cpumap), p->sched_name, "y",
                     p->n_dom);
    }
}
