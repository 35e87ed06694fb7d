/* vcpu_op(cmd, vcpuid, arg): bring vCPUs up and down, read their runstate, one-shot
 * timers. set_timer_op(deadline_ns) is the short form of VCPUOP_set_singleshot_timer
 * for the calling vCPU (deadline 0 stops it); expiry raises VIRQ_TIMER. */
#ifndef HVLAB_PUBLIC_VCPU_H
#define HVLAB_PUBLIC_VCPU_H

#include "hvlab.h"

#define VCPUOP_initialise          0   /* arg: struct vcpu_guest_context * */
#define VCPUOP_up                  1
#define VCPUOP_down                2
#define VCPUOP_is_up               3
#define VCPUOP_get_runstate_info   4   /* arg: struct vcpu_runstate_info * */
#define VCPUOP_set_singleshot_timer 6  /* arg: int64_t * absolute deadline */
#define VCPUOP_stop_singleshot_timer 7

#define RUNSTATE_running  0
#define RUNSTATE_runnable 1
#define RUNSTATE_blocked  2
#define RUNSTATE_offline  3
#define RUNSTATE_COUNT    4

struct vcpu_runstate_info {
    int32_t state;                      /* RUNSTATE_* */
    int32_t pad;
    int64_t state_entry_time;           /* NOW() when it entered that state */
    int64_t time[RUNSTATE_COUNT];       /* ns spent in each state, up to now */
};

/* Initial register state of a vCPU (domctl setvcpucontext, VCPUOP_initialise). */
struct vcpu_guest_context {
    uint64_t rip, rsp, rflags;
    uint64_t rdi, rsi, rdx, rcx, rax, rbx, rbp;
    uint64_t cr3_mfn;                   /* machine frame of the L4 page table */
    uint64_t fs_base, gs_base;
    uint64_t event_callback;
};

#endif
