/* The arguments of the scheduler and CPU pool commands (xl_schedop.c, xl_cpupool.c),
 * parsed without hypercalls: the command table checks them, so a scenario with a bad
 * option fails before its first command runs, and the host tests pin them down.
 *
 *   sched-credit  [-d <dom>] [-w <weight>] [-c <cap>]        (sched-credit2: the same)
 *   sched-rtds    [-d <dom>] [-v <vcpu|all>] [-p <period_us>] [-b <budget_us>] [-e <0|1>]
 *   sched-numa    [-d <dom>] [-w <weight>] [-n <nodes|auto>]
 *   cpupool-create [<file>] [name=<name>] [sched=<policy>] [cpus=<cpulist>]
 *
 * Options are separate words ("-w 512"); each may be given once. Setting anything
 * needs -d. Ranges are the ABI's (include/public/domctl.h): weight 1..65535, cap
 * 0..100 x vCPUs (checked here against 100 x XLCFG_MAX_VCPUS; the hypervisor checks the
 * domain's own count), period and budget 10..10000000 us with budget <= period when
 * both are given, nodes a list of node numbers below SCHED_ARGS_MAX_NODES ("0", "0-1",
 * "0,2") or "auto" (from the domain's memory). */
#ifndef DOM0_SCHED_ARGS_H
#define DOM0_SCHED_ARGS_H

#include <hvlab/lib.h>
#include <public/domctl.h>
#include "cpulist.h"

#define SCHED_ARGS_MAX_NODES 8          /* MAX_NUMA_NODES_ABI */
#define SCHED_ARGS_MIN_US    10         /* rtds: RT_MIN_TIME */
#define SCHED_ARGS_MAX_US    10000000u  /* rtds: RT_MAX_PERIOD */

/* Bits of sched_args.given. */
#define SCHED_ARG_WEIGHT  (1u << 0)
#define SCHED_ARG_CAP     (1u << 1)
#define SCHED_ARG_PERIOD  (1u << 2)
#define SCHED_ARG_BUDGET  (1u << 3)
#define SCHED_ARG_EXTRA   (1u << 4)
#define SCHED_ARG_VCPU    (1u << 5)
#define SCHED_ARG_NODES   (1u << 6)
#define SCHED_ARG_SETTERS (SCHED_ARG_WEIGHT | SCHED_ARG_CAP | SCHED_ARG_PERIOD | \
                           SCHED_ARG_BUDGET | SCHED_ARG_EXTRA | SCHED_ARG_NODES)

/* One sched-<policy> command: which policy it speaks for. These are xl's commands
 * for Xen's policies, kept for scripts; they read and write the parameters by their
 * declared names, and any policy is reached with sched-get / sched-set instead
 * (sched_params.h), which need no entry here. */
struct sched_cmd_info {
    const char *cmd;                    /* "sched-credit" */
    const char *policy;                 /* "credit": the pool scheduler's name */
    const char *opts;                   /* the option letters it takes, "dwc" */
};

/* The entry for a command name, or NULL. */
const struct sched_cmd_info *sched_cmd_info(const char *cmd);

struct sched_args {
    const struct sched_cmd_info *info;
    const char *dom;                    /* -d; NULL: list every domain of the policy */
    unsigned given;                     /* SCHED_ARG_* */
    uint32_t weight, cap;               /* credit, credit2, numa (weight) */
    uint32_t period_us, budget_us, extratime;
    uint32_t vcpu;                      /* -v: a vCPU or RTDS_ALL_VCPUS (the default) */
    uint32_t nodes;                     /* -n: node bitmap, 0 = auto */
};

/* argv as the command table passes it (argv[0] the command): 0 with *a filled in
 * (pointers into argv), or -EINVAL with the reason in err, e.g.
 * "sched-credit: -w: expected a weight 1..65535, got \"0\"". */
int sched_args_parse(int argc, char *const *argv, struct sched_args *a, char *err,
                     size_t errlen);

/* "0-1", "0,2": a node list into a bitmap below SCHED_ARGS_MAX_NODES; "auto" is 0. */
int sched_nodes_parse(const char *s, uint32_t *nodes, char *err, size_t errlen);

/* ---- cpupool-create ---- */

#define CPUPOOL_NAME_MAX 16             /* sysctl_cpupool_op.name, with the NUL */

struct cpupool_create_args {
    const char *file;                   /* a boot module of name=/sched=/cpus= lines */
    char name[CPUPOOL_NAME_MAX];        /* "" = not given */
    char sched[CPUPOOL_NAME_MAX];       /* "" = the default pool's policy */
    bool has_cpus;
    struct cpulist cpus;
};

/* argv of `cpupool-create`: 0, or -EINVAL with the reason. The file is not read
 * here; a name is required unless a file is given. Settings on the command line
 * override the file's (as xl's variable=value arguments do). */
int cpupool_create_args_parse(int argc, char *const *argv, struct cpupool_create_args *a,
                              char *err, size_t errlen);

/* One "key=value" setting (name, sched, cpus) into *a: 0 or -EINVAL. */
int cpupool_setting(struct cpupool_create_args *a, const char *key, size_t klen,
                    const char *val, size_t vlen, char *err, size_t errlen);

/* A pool file's text: lines `key = value` (value optionally "quoted"), '#' comments,
 * blank lines. Settings already in *a (from the command line) are kept: the file
 * only fills in the others. 0 or -EINVAL with "<file>:<line>: <why>" in err. */
int cpupool_file_parse(struct cpupool_create_args *a, const char *file,
                       const char *text, size_t len, char *err, size_t errlen);

/* A pool name is 1..15 characters, not all digits (pools are named by name or id). */
bool cpupool_name_ok(const char *s, size_t len);

#endif
