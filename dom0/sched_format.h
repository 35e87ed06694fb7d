/* Output formats of the scheduler and CPU pool commands, as pure functions of the
 * hypercall results so the host tests pin them down. As in xl_format.h: one header
 * line, then one line per row, columns separated by blanks, numbers in decimal.
 *
 * Listing a policy's domains prints, for each pool of that policy, a title line
 *   "Cpupool <pool>: sched=<policy>"
 * then the header and the rows of the pool's domains:
 * sched-credit, sched-credit2:  Name ID Weight Cap
 *   "%-31s %5u %6u %4u"; Cap in % of one pCPU, 0 = none.
 * sched-rtds:  Name ID VCPU Period Budget Extratime
 *   "%-31s %5u %4u %9u %9u %9s"; one row per vCPU; period and budget in us;
 *   Extratime "yes" or "no".
 * sched-numa:  Name ID Weight Nodes Home Migrations Away(ms)
 *   "%-31s %5u %6u %5s %5s %10llu %9llu"; Nodes: the home nodes set ("auto": from
 *   the domain's memory), Home: the nodes in effect; migrations away from home and ms
 *   run away from home, summed over the vCPUs (the policy's statistics).
 * cpupool-list:  Name CPUs Sched Active Domain count
 *   "%-15s %4u %-8s %6s %12u"; CPUs: how many; Active "y".
 * cpupool-list -c:  Name CPU list
 *   "%-15s %s"; the list as in cfg files ("0,2-3"), "none" when empty. */
#ifndef DOM0_SCHED_FORMAT_H
#define DOM0_SCHED_FORMAT_H

#include <hvlab/lib.h>
#include <public/domctl.h>
#include <public/sysctl.h>
#include "xl_format.h"

/* The number of bits set (the guest runtime has no libgcc for __builtin_popcount). */
static inline unsigned xl_mask_count(uint64_t m)
{
    unsigned n = 0;

    for (; m; m &= m - 1)
        n++;
    return n;
}

void xl_fmt_pool_title(char *buf, size_t size, const char *pool, const char *policy);

/* A domain's values as the sched-<policy> tables show them, read from the GET result
 * by parameter and counter name (xl_schedop.c). */
struct xl_sched_row {
    uint32_t weight, cap, period_us, budget_us, extratime, home_nodes;
    uint64_t home, migrations, away_ns;
};

/* The header of policy's table ("credit", "credit2", "rtds", "numa"). */
void xl_fmt_sched_header(char *buf, size_t size, const char *policy);
/* One row of policy's table (for rtds, of vCPU vcpu). */
void xl_fmt_sched_row(char *buf, size_t size, const char *name, unsigned domid,
                      unsigned vcpu, const char *policy, const struct xl_sched_row *r);

void xl_fmt_pool_header(char *buf, size_t size, bool cpu_list);
void xl_fmt_pool_row(char *buf, size_t size, const struct sysctl_cpupool_op *p,
                     bool cpu_list);

#endif
