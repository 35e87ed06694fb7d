/* sched_op(cmd, arg): give up the CPU, block, poll, shut down; SCHEDOP_iret returns
 * from a bounced trap or an event upcall. */
#ifndef HVLAB_PUBLIC_SCHED_H
#define HVLAB_PUBLIC_SCHED_H

#include "hvlab.h"

#define SCHEDOP_yield     0     /* arg unused */
#define SCHEDOP_block     1     /* sleep until an event is pending (re-enables upcalls) */
#define SCHEDOP_shutdown  2     /* arg: struct sched_shutdown * */
#define SCHEDOP_poll      3     /* arg: struct sched_poll * */
#define SCHEDOP_iret      4     /* arg unused: pop a guest_bounce_frame from RSP */

#define SHUTDOWN_poweroff 0
#define SHUTDOWN_reboot   1
#define SHUTDOWN_suspend  2
#define SHUTDOWN_crash    3
/* hvlab's own: stopped on purpose after reporting an error (a failed scenario), not a
 * crash. dom0 shutting down so stops the machine with a failing status, no panic. */
#define SHUTDOWN_error    4
#define SHUTDOWN_MAX      SHUTDOWN_error

struct sched_shutdown {
    uint32_t reason;            /* SHUTDOWN_* */
};

struct sched_poll {
    uint64_t ports;             /* guest VA of uint32_t[nr_ports] */
    uint32_t nr_ports;
    uint32_t pad;
    int64_t timeout_ns;         /* absolute NOW() deadline, 0 = none */
};

#endif
