/* The output formats of xl commands, as pure functions of the hypercall results so
 * the host tests pin them down. Every table is one header line then one line per
 * row, columns separated by blanks (names have none), numbers in decimal:
 *
 * list:       Name ID Mem VCPUs State Time(s) [Nodes(MiB)]
 *   "%-31s %5u %6llu %5u %6s %9s"; Mem in MiB; State six letters "rbpscd" or '-'
 *   (running, blocked, paused, shut down, crashed, dying); Time(s) of CPU with one
 *   decimal (truncated); with -n: Nodes(MiB) "0:16,1:0", every node's MiB.
 * vcpu-list:  Name ID VCPU CPU State Time(s) Affinity (Hard / Soft)
 *   "%-31s %5u %5u %5s %5s %9s  %s / %s"; CPU '-' when the vCPU is down; State
 *   three letters r (running) b (blocked) p (down, as xl says); affinity as CPU lists
 *   ("all", "0-3,5").
 * info:       "%-23s: %s" lines (xl info's), then cpu_topology and numa_info tables. */
#ifndef DOM0_XL_FORMAT_H
#define DOM0_XL_FORMAT_H

#include <hvlab/lib.h>
#include <public/domctl.h>
#include <public/sysctl.h>

#define XL_FMT_LINE_MAX 160

typedef void (*xl_out_fn)(void *arg, const char *line);

/* "12.3": ns as seconds with one decimal, truncated. */
void xl_fmt_seconds(char *buf, size_t size, uint64_t ns);

/* The six xl list state letters of a domain's DOMINFO_* flags, into state[7]. */
void xl_fmt_dom_state(char *state, uint32_t flags, uint32_t shutdown_reason);

void xl_fmt_list_header(char *buf, size_t size, bool numa);
void xl_fmt_list_row(char *buf, size_t size, const struct domctl_getdomaininfo *di,
                     bool numa, unsigned nr_nodes);

void xl_fmt_vcpu_header(char *buf, size_t size);
/* all_cpus: the mask printed as "all". */
void xl_fmt_vcpu_row(char *buf, size_t size, const char *name, unsigned domid,
                     const struct domctl_getvcpuinfo *vi, uint64_t all_cpus);

/* Every line of `info`. */
void xl_fmt_info(const struct sysctl_physinfo *pi, const struct sysctl_topologyinfo *ti,
                 const struct sysctl_numainfo *ni, xl_out_fn out, void *arg);

/* "poweroff", "reboot", "suspend", "crash", "error" or "reason N". */
const char *xl_shutdown_reason_name(uint32_t reason);

#endif
