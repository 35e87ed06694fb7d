/* Output formats of the scheduler and CPU pool commands; see sched_format.h. */
#include "cpulist.h"
#include "sched_format.h"

void xl_fmt_pool_title(char *buf, size_t size, const char *pool, const char *policy)
{
    fmt_snprintf(buf, size, "Cpupool %s: sched=%s", pool, policy);
}

void xl_fmt_sched_header(char *buf, size_t size, const char *policy)
{
    if (!strcmp(policy, "rtds"))
        fmt_snprintf(buf, size, "%-31s %5s %4s %9s %9s %9s", "Name", "ID", "VCPU",
                     "Period", "Budget", "Extratime");
    else if (!strcmp(policy, "numa"))
        fmt_snprintf(buf, size, "%-31s %5s %6s %5s %5s %10s %9s", "Name", "ID", "Weight",
                     "Nodes", "Home", "Migrations", "Away(ms)");
    else
        fmt_snprintf(buf, size, "%-31s %5s %6s %4s", "Name", "ID", "Weight", "Cap");
}

void xl_fmt_sched_row(char *buf, size_t size, const char *name, unsigned domid,
                      unsigned vcpu, const char *policy, const struct xl_sched_row *r)
{
    char set[32] = "auto", home[32];

    if (!strcmp(policy, "rtds")) {
        fmt_snprintf(buf, size, "%-31.31s %5u %4u %9u %9u %9s", name, domid, vcpu,
                     r->period_us, r->budget_us, r->extratime ? "yes" : "no");
    } else if (!strcmp(policy, "numa")) {
        if (r->home_nodes)
            cpumask_format(set, sizeof(set), r->home_nodes, 0);
        cpumask_format(home, sizeof(home), r->home, 0);
        fmt_snprintf(buf, size, "%-31.31s %5u %6u %5s %5s %10llu %9llu", name, domid,
                     r->weight, set, home, (unsigned long long)r->migrations,
                     (unsigned long long)(r->away_ns / 1000000));
    } else {
        fmt_snprintf(buf, size, "%-31.31s %5u %6u %4u", name, domid, r->weight, r->cap);
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
