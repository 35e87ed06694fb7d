/* Output formats of xl commands; the formats are described in xl_format.h. */
#include <public/sched.h>
#include "cpulist.h"
#include "xl_format.h"

#define MIB_PAGES 256                   /* 4 KiB pages per MiB */

void xl_fmt_seconds(char *buf, size_t size, uint64_t ns)
{
    uint64_t tenths = ns / 100000000ULL;

    fmt_snprintf(buf, size, "%llu.%llu", (unsigned long long)(tenths / 10),
                 (unsigned long long)(tenths % 10));
}

const char *xl_shutdown_reason_name(uint32_t reason)
{
    static char other[24];

    switch (reason) {
    case SHUTDOWN_poweroff: return "poweroff";
    case SHUTDOWN_reboot:   return "reboot";
    case SHUTDOWN_suspend:  return "suspend";
    case SHUTDOWN_crash:    return "crash";
    case SHUTDOWN_error:    return "error";
    }
    fmt_snprintf(other, sizeof(other), "reason %u", reason);
    return other;
}

void xl_fmt_dom_state(char *state, uint32_t flags, uint32_t shutdown_reason)
{
    bool shut = flags & DOMINFO_shutdown;

    state[0] = (flags & DOMINFO_running) ? 'r' : '-';
    state[1] = (flags & DOMINFO_blocked) ? 'b' : '-';
    state[2] = (flags & (DOMINFO_paused | DOMINFO_created)) ? 'p' : '-';
    state[3] = shut && shutdown_reason != SHUTDOWN_crash ? 's' : '-';
    state[4] = shut && shutdown_reason == SHUTDOWN_crash ? 'c' : '-';
    state[5] = (flags & DOMINFO_dying) ? 'd' : '-';
    state[6] = '\0';
}

void xl_fmt_list_header(char *buf, size_t size, bool numa)
{
    fmt_snprintf(buf, size, "%-31s %5s %6s %5s %6s %9s %4s%s", "Name", "ID", "Mem",
                 "VCPUs", "State", "Time(s)", "Type", numa ? " Nodes(MiB)" : "");
}

void xl_fmt_list_row(char *buf, size_t size, const struct domctl_getdomaininfo *di,
                     bool numa, unsigned nr_nodes)
{
    char state[7], time[24], nodes[MAX_NUMA_NODES_ABI * 16] = "";
    size_t pos = 0;

    xl_fmt_dom_state(state, di->flags, di->shutdown_reason);
    xl_fmt_seconds(time, sizeof(time), di->cpu_time_ns);
    for (unsigned n = 0; numa && n < nr_nodes && n < MAX_NUMA_NODES_ABI; n++)
        pos += (size_t)fmt_snprintf(nodes + pos, sizeof(nodes) - pos, "%s%u:%llu",
                                    n ? "," : " ", n,
                                    (unsigned long long)(di->pages_on_node[n] /
                                                         MIB_PAGES));
    fmt_snprintf(buf, size, "%-31.31s %5u %6llu %5u %6s %9s %4s%s", di->name, di->domain,
                 (unsigned long long)(di->tot_pages / MIB_PAGES), di->nr_online_vcpus,
                 state, time, (di->flags & DOMINFO_hvm) ? "hvm" : "pv", nodes);
}

void xl_fmt_vcpu_header(char *buf, size_t size)
{
    fmt_snprintf(buf, size, "%-31s %5s %5s %5s %5s %9s  %s", "Name", "ID", "VCPU",
                 "CPU", "State", "Time(s)", "Affinity (Hard / Soft)");
}

void xl_fmt_vcpu_row(char *buf, size_t size, const char *name, unsigned domid,
                     const struct domctl_getvcpuinfo *vi, uint64_t all_cpus)
{
    char cpu[12] = "-", state[4], time[24], hard[XL_FMT_LINE_MAX / 2],
         soft[XL_FMT_LINE_MAX / 2];

    if (vi->online)
        fmt_snprintf(cpu, sizeof(cpu), "%u", vi->cpu);
    state[0] = vi->online && vi->running ? 'r' : '-';
    state[1] = vi->online && vi->blocked ? 'b' : '-';
    state[2] = vi->online ? '-' : 'p';
    state[3] = '\0';
    xl_fmt_seconds(time, sizeof(time), (uint64_t)vi->runstate.time[RUNSTATE_running]);
    cpumask_format(hard, sizeof(hard), vi->cpumap_hard, all_cpus);
    cpumask_format(soft, sizeof(soft), vi->cpumap_soft, all_cpus);
    fmt_snprintf(buf, size, "%-31.31s %5u %5u %5s %5s %9s  %s / %s", name, domid,
                 vi->vcpu, cpu, state, time, hard, soft);
}

static __printf(4, 5) void info_line(xl_out_fn out, void *arg, const char *key,
                                     const char *fmt, ...)
{
    char val[XL_FMT_LINE_MAX], line[XL_FMT_LINE_MAX];
    va_list ap;

    va_start(ap, fmt);
    fmt_vsnprintf(val, sizeof(val), fmt, ap);
    va_end(ap);
    fmt_snprintf(line, sizeof(line), "%-23s: %s", key, val);
    out(arg, line);
}

void xl_fmt_info(const struct sysctl_physinfo *pi, const struct sysctl_topologyinfo *ti,
                 const struct sysctl_numainfo *ni, xl_out_fn out, void *arg)
{
    char line[XL_FMT_LINE_MAX];
    unsigned nr_cpus = MIN(ti->nr_cpus, (uint32_t)SYSCTL_MAX_CPUS);
    unsigned nr_nodes = MIN(ni->nr_nodes, (uint32_t)SYSCTL_MAX_NODES);

    info_line(out, arg, "host", "hvlab");
    info_line(out, arg, "nr_cpus", "%u", pi->nr_cpus);
    info_line(out, arg, "nr_online_cpus", "%u", pi->nr_online_cpus);
    info_line(out, arg, "nr_nodes", "%u", pi->nr_nodes);
    info_line(out, arg, "cpu_mhz", "%llu", (unsigned long long)(pi->cpu_khz / 1000));
    info_line(out, arg, "total_memory", "%llu",
              (unsigned long long)(pi->total_pages / MIB_PAGES));
    info_line(out, arg, "free_memory", "%llu",
              (unsigned long long)(pi->free_pages / MIB_PAGES));
    info_line(out, arg, "scheduler", "%.*s", (int)sizeof(pi->sched_name),
              pi->sched_name);
    info_line(out, arg, "cpu_topology", "%s", "");
    out(arg, "cpu:   node   apic online");
    for (unsigned c = 0; c < nr_cpus; c++) {
        fmt_snprintf(line, sizeof(line), "%3u: %6u %6u %6u", c, ti->cpu_to_node[c],
                     ti->cpu_apic_id[c], ti->cpu_online[c]);
        out(arg, line);
    }
    info_line(out, arg, "numa_info", "%s", "");
    out(arg, "node:    memsize    memfree    distances");
    for (unsigned n = 0; n < nr_nodes; n++) {
        size_t pos = (size_t)fmt_snprintf(line, sizeof(line), "%4u: %10llu %10llu    ",
                                          n,
                                          (unsigned long long)(ni->node_total_pages[n] /
                                                               MIB_PAGES),
                                          (unsigned long long)(ni->node_free_pages[n] /
                                                               MIB_PAGES));
        for (unsigned m = 0; m < nr_nodes && pos < sizeof(line); m++)
            pos += (size_t)fmt_snprintf(line + pos, sizeof(line) - pos, "%s%u",
                                        m ? "," : "", ni->distance[n][m]);
        out(arg, line);
    }
}
