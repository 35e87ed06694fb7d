/* Scheduler parameters by declaration, dom0's side: pure functions over the
 * declarations the hypervisor lists (SYSCTL_sched_decls), so dom0 keeps no table of
 * which policy has which parameter, and the host tests pin the checks down.
 *
 *   sched-get <dom> [-v <vcpu>]              every parameter and counter, one a line:
 *                                            "<key> = <value> <unit>" / "<counter>: ..."
 *   sched-set <dom> [-v <vcpu|all>] <key>=<value> ...
 *
 * Values: INT parameters a decimal number in the declared range; BOOL 0, 1, yes, no;
 * NODES a node list ("0", "0-1", "0,2") or "auto" (0). A key the policy does not
 * declare is an error that names the policy and the keys it has. */
#ifndef DOM0_SCHED_PARAMS_H
#define DOM0_SCHED_PARAMS_H

#include <hvlab/lib.h>
#include <public/domctl.h>
#include <public/sysctl.h>
#include "xlcfg.h"

/* "weight, cap" (the declared keys), or "none". */
void xl_sched_keys(const struct sysctl_sched_decls *dc, char *buf, size_t size);

/* key=value into op (value[] and mask) against dc: 0, or -EINVAL with the reason
 * in err ("no parameter 'tickets' in policy 'credit' (it has: weight, cap)"). */
int xl_sched_kv(const struct sysctl_sched_decls *dc, const char *key, size_t klen,
                const char *val, struct domctl_scheduler_op *op, char *err, size_t errlen);

/* A cfg file's scheduler keys into op: the number of problems, each reported as
 * "<file>:<line>: key '<key>': <why>" through report. */
int xl_sched_cfg(const struct sysctl_sched_decls *dc, const char *file,
                 const struct xlcfg_sched *s, struct domctl_scheduler_op *op,
                 xlcfg_report_fn report, void *arg);

/* One value as sched-get prints it: "512", "yes", "0-1", "auto". */
void xl_sched_value(uint32_t type, uint64_t v, char *buf, size_t size);

#endif
