/* The arguments of the arinc653 commands (xl_arinc653.c), parsed without hypercalls:
 * the command table checks them, so a scenario with a bad timetable fails before its
 * first command runs, and the host tests pin them down.
 *
 *   arinc653-set [-p <pool>] <major_us> <window>[,<window>...] ...
 *   arinc653-get [-p <pool>]
 *
 * A window is <dom>=<runtime_us> (all the domain's vCPUs) or <dom>:<vcpu>=<runtime_us>
 * (that vCPU only); <dom> is a domain name or id, resolved when the command runs.
 * Windows run in the order given, from the start of the major frame; what they leave
 * of it is idle. Checked here: numbers, each runtime >= ARINC653_MIN_RUNTIME_US, at
 * most ARINC653_MAX_ENTRIES windows, their sum within the major frame, the major
 * frame in 1..ARINC653_MAX_FRAME_US (include/public/sysctl.h). The hypervisor checks
 * the rest (the domain is in the pool, the vCPU exists). */
#ifndef DOM0_ARINC653_ARGS_H
#define DOM0_ARINC653_ARGS_H

#include <hvlab/lib.h>
#include <public/sysctl.h>

#define ARINC653_DOM_MAX 32             /* a domain name, with its NUL */

struct arinc653_args {
    const char *pool;                   /* -p; NULL: pool 0 */
    uint32_t major_us;
    unsigned n;
    struct {
        char dom[ARINC653_DOM_MAX];
        uint16_t vcpu;                  /* ARINC653_ALL_VCPUS or one vCPU */
        uint32_t runtime_us;
    } w[ARINC653_MAX_ENTRIES];
};

/* argv as the command table passes it (argv[0] "arinc653-set" or "arinc653-get"): 0
 * with *a filled in, or -EINVAL with the reason in err, e.g. "arinc653-set: window 3
 * (\"b=50\"): runtime 50 us is under the minimum, 100 us". */
int arinc653_args_parse(int argc, char *const *argv, struct arinc653_args *a, char *err,
                        size_t errlen);

#endif
