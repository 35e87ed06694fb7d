/* The ABI of HVM guests (hardware-virtualized, AMD SVM): how they find hvlab, how they
 * make hypercalls, and the HVM-only hypercall. docs/abi.md ("HVM guests") says the same in prose.
 *
 * Hypercalls: VMMCALL with the number in RAX and arguments in RDI, RSI, RDX, R10, R8
 * (the PV registers; in 32-bit mode the low halves, and set_timer_op's 64-bit
 * deadline split: low half in EDI, high half in ESI), result in RAX. The same numbers
 * as PV (public/hvlab.h). Available: console_io, sched_op (yield, block, shutdown,
 * poll), set_timer_op, vcpu_op (runstate, one-shot timers, up/down/is_up), event_channel_op,
 * version, hvm_op and grant_table_op (frames are GFNs); anything else is -ENOSYS. Guest pointers are guest virtual
 * addresses, translated through the guest's page tables (paging off: physical). */
#ifndef HVLAB_PUBLIC_HVM_H
#define HVLAB_PUBLIC_HVM_H

#include "hvlab.h"

/* CPUID leaves of the hypervisor (leaf 1 ECX bit 31 says one is present). */
#define HVM_CPUID_BASE      0x40000000  /* EAX: max leaf; EBX ECX EDX: "hvlabhvlabhv" */
#define HVM_CPUID_VERSION   0x40000001  /* EAX: HVLAB_VERSION_MAJOR << 16 | MINOR */
#define HVM_CPUID_TSC       0x40000010  /* EAX: TSC kHz (the leaf VMware and KVM use) */
#define HVM_CPUID_MAX       HVM_CPUID_TSC
#define HVM_CPUID_SIG_EBX   0x616c7668  /* "hvla" */
#define HVM_CPUID_SIG_ECX   0x6c766862  /* "bhvl" */
#define HVM_CPUID_SIG_EDX   0x76686261  /* "abhv" */

/* hvm_op(cmd, arg) */
#define HVMOP_set_evtchn_upcall_vector 1   /* arg: struct hvm_evtchn_upcall_vector * */
#define HVMOP_map_shared_info          2   /* arg: struct hvm_map_shared_info * */
#define HVMOP_map_grant_table          3   /* arg: struct hvm_map_grant_table * */
#define HVMOP_get_param                4   /* arg: struct hvm_param * */

/* HVM parameters: set by the toolstack (DOMCTL_hvm_set_param), read by the guest. */
#define HVM_PARAM_STORE_PFN    1        /* gfn of the store ring page (public/io/store.h) */
#define HVM_PARAM_STORE_EVTCHN 2        /* the guest's port to the store */
#define HVM_NR_PARAMS          8
struct hvm_param {
    uint32_t index;                     /* HVM_PARAM_* */
    uint32_t pad;
    uint64_t value;                     /* OUT (get) */
};

/* Frame idx (0..GNTTAB_MAX_FRAMES - 1) of the caller's grant table appears at guest
 * physical gfn << 12, in place of the RAM there (as map_shared_info). */
struct hvm_map_grant_table {
    uint32_t idx;
    uint32_t pad;
    uint64_t gfn;
};

/* Event channels of `vcpu` (the caller's domain) are then delivered as interrupt
 * `vector` (32..255; 0 turns it off): an edge-triggered LAPIC interrupt (EOI it),
 * raised once each time the hypervisor sets the vCPU's evtchn_upcall_pending from 0
 * (and once at this call if it is set), when evtchn_upcall_mask is clear (a masked
 * guest checks the flag itself when it unmasks). -EINVAL for vectors 1..31. */
struct hvm_evtchn_upcall_vector {
    uint32_t vcpu;
    uint8_t vector;
    uint8_t pad[3];
};

/* The domain's shared info page (public/hvlab.h: event bits, vcpu_info with
 * evtchn_upcall_pending and the time) appears at guest physical gfn << 12, in place
 * of the RAM there (which the domain gets back only by mapping the page elsewhere;
 * it stays the domain's). -EINVAL for a gfn beyond 48 bits or in a device window. */
struct hvm_map_shared_info {
    uint64_t gfn;
};

#endif
