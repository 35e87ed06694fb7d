/* Trace records and the trace stream: the one definition of the format, shared by
 * the hypervisor (core/trace.c writes records), dom0's collector (dom0/xentrace-like
 * collector streams them) and the analyzer (experiments/hvlab/trace.py decodes them).
 * Documented with examples in docs/trace-format.md. All fields little-endian.
 *
 * A record is 32 bytes:
 *   tsc     TSC when the event happened (instructions under -icount)
 *   event   class << 24 | subclass << 16 | code
 *   domid   the domain the event is about (TRACE_DOM_NONE: none / the hypervisor;
 *           TRACE_DOM_IDLE: a pCPU's idle vCPU)
 *   vcpuid  its vCPU
 *   data[2] payload, per event (see the table below each class)
 * Records of one pCPU are in TSC order; the analyzer merges pCPUs by TSC. */
#ifndef HVLAB_PUBLIC_TRACE_H
#define HVLAB_PUBLIC_TRACE_H

#include <stdint.h>

#define TRACE_FORMAT_VERSION 1
#define TRACE_DOM_NONE 0x7ff0
#define TRACE_DOM_IDLE 0x7ff7

struct trace_record {
    uint64_t tsc;
    uint32_t event;
    uint16_t domid;
    uint16_t vcpuid;
    uint64_t data[2];
};
_Static_assert(sizeof(struct trace_record) == 32, "trace record is 32 bytes");

#define TRC_EVENT(cls, sub, code) (((uint32_t)(cls) << 24) | ((uint32_t)(sub) << 16) | (code))
#define TRC_CLASS(ev)  ((ev) >> 24)
#define TRC_SUB(ev)    (((ev) >> 16) & 0xff)
#define TRC_CODE(ev)   ((ev) & 0xffff)

/* Classes: bit (1 << class) in the class mask. */
#define TRC_CLS_META   0    /* always on: lost records, markers */
#define TRC_CLS_SCHED  1
#define TRC_CLS_HCALL  2
#define TRC_CLS_PV     3    /* PV traps and page-table updates */
#define TRC_CLS_EVTCHN 4
#define TRC_CLS_TIMER  5
#define TRC_CLS_DOM    6    /* domain lifecycle */
#define TRC_CLS_MEM    7    /* allocations by node */
#define TRC_CLS_POLICY 8    /* scheduler-policy events (credit accounting, boost, misses) */
#define TRC_CLS_HVM    9    /* HVM (SVM) world switches */
#define TRC_CLS_GNTTAB 10   /* grant map, unmap, copy (core/grant_table_op.c) */
#define TRC_CLS_IO     11   /* device I/O: sub 0 HVM requests to a device model, sub 1
                             * physical interrupts and I/O ports of dom0 */
#define TRC_NR_CLASSES 12
#define TRC_MASK_ALL   ((1u << TRC_NR_CLASSES) - 1)

/* META */
#define TRC_LOST       TRC_EVENT(TRC_CLS_META, 0, 1)  /* data0: records dropped since the last emitted one, data1: tsc of the first drop */
#define TRC_MARKER     TRC_EVENT(TRC_CLS_META, 0, 2)  /* data0: marker id (trace start/stop: 1/2) */

/* SCHED: domid/vcpuid = the vCPU concerned */
#define TRC_SCHED_RUNSTATE TRC_EVENT(TRC_CLS_SCHED, 0, 1)  /* data0: old << 8 | new (RUNSTATE_*), data1: pCPU */
#define TRC_SCHED_WAKE     TRC_EVENT(TRC_CLS_SCHED, 0, 2)  /* data0: pCPU it is queued on */
#define TRC_SCHED_SLEEP    TRC_EVENT(TRC_CLS_SCHED, 0, 3)  /* data0: new runstate */
#define TRC_SCHED_BLOCK    TRC_EVENT(TRC_CLS_SCHED, 0, 4)
#define TRC_SCHED_YIELD    TRC_EVENT(TRC_CLS_SCHED, 0, 5)
#define TRC_SCHED_SWITCH   TRC_EVENT(TRC_CLS_SCHED, 0, 6)  /* the chosen vCPU; data0: slice ns (-1: none), data1: prev dom << 16 | prev vcpu */
#define TRC_SCHED_MIGRATE  TRC_EVENT(TRC_CLS_SCHED, 0, 7)  /* data0: old pCPU, data1: new pCPU */
#define TRC_SCHED_SLICE_END TRC_EVENT(TRC_CLS_SCHED, 0, 8) /* the running vCPU; its pCPU's slice timer fired; data0: pCPU, data1: lateness ns */
#define TRC_SCHED_DECIDE   TRC_EVENT(TRC_CLS_SCHED, 0, 9)  /* the chosen vCPU, by the first decision after a SLICE_END (also "go on"); data0: slice ns (-1: none), data1: pCPU */

/* HCALL: the calling vCPU */
#define TRC_HCALL_ENTRY TRC_EVENT(TRC_CLS_HCALL, 0, 1)     /* data0: number, data1: first argument */
#define TRC_HCALL_EXIT  TRC_EVENT(TRC_CLS_HCALL, 0, 2)     /* data0: number, data1: result */

/* PV */
#define TRC_PV_TRAP     TRC_EVENT(TRC_CLS_PV, 0, 1)        /* data0: vector << 32 | error code, data1: rip */
#define TRC_PV_PTWR     TRC_EVENT(TRC_CLS_PV, 0, 2)        /* data0: entry machine address, data1: new value */
#define TRC_PV_UPCALL   TRC_EVENT(TRC_CLS_PV, 0, 3)        /* data0: pending selector */

/* EVTCHN: the sending vCPU (send) or the notified vCPU (set_pending) */
#define TRC_EVTCHN_SEND    TRC_EVENT(TRC_CLS_EVTCHN, 0, 1) /* data0: port, data1: remote dom << 32 | remote port */
#define TRC_EVTCHN_PENDING TRC_EVENT(TRC_CLS_EVTCHN, 0, 2) /* data0: port, data1: 1 if masked */
#define TRC_EVTCHN_VIRQ    TRC_EVENT(TRC_CLS_EVTCHN, 0, 3) /* data0: virq, data1: port */

/* TIMER: the owner vCPU when the timer belongs to one, else TRACE_DOM_NONE */
#define TRC_TIMER_SET   TRC_EVENT(TRC_CLS_TIMER, 0, 1)     /* data0: expiry, data1: pCPU */
#define TRC_TIMER_FIRE  TRC_EVENT(TRC_CLS_TIMER, 0, 2)     /* data0: expiry, data1: lateness ns */

/* DOM: the domain */
#define TRC_DOM_CREATE   TRC_EVENT(TRC_CLS_DOM, 0, 1)      /* data0: max vCPUs, data1: pool */
#define TRC_DOM_UNPAUSE  TRC_EVENT(TRC_CLS_DOM, 0, 2)
#define TRC_DOM_PAUSE    TRC_EVENT(TRC_CLS_DOM, 0, 3)
#define TRC_DOM_SHUTDOWN TRC_EVENT(TRC_CLS_DOM, 0, 4)      /* data0: reason */
#define TRC_DOM_DESTROY  TRC_EVENT(TRC_CLS_DOM, 0, 5)      /* data0: frames returned */

/* MEM: the domain the frames go to (TRACE_DOM_NONE: the hypervisor) */
#define TRC_MEM_ALLOC   TRC_EVENT(TRC_CLS_MEM, 0, 1)       /* data0: node asked << 32 | node got, data1: frames */
#define TRC_MEM_FREE    TRC_EVENT(TRC_CLS_MEM, 0, 2)       /* data0: node, data1: frames */
/* Ballooning (sub 2, docs/ballooning.md): a decrease_reservation or populate_physmap of
 * the domain; data0: XENMEM_* cmd << 32 | extents asked, data1: result (done, or -errno) */
#define TRC_MEM_BALLOON TRC_EVENT(TRC_CLS_MEM, 2, 1)
/* mmpolicy (sub 1): one placement decision of a domain's memory policy (mm/policy.c).
 * data0: node the policy asked for << 32 | node that served (0xffffffff: none, refused),
 * data1: reason (MM_REASON_*: 0 build, 1 populate, 2 nested page fault) << 56 | gfn or
 * frame index. */
#define TRC_MEM_POLICY  TRC_EVENT(TRC_CLS_MEM, 1, 1)
/* vnuma (sub 3): a domain got its virtual NUMA layout (docs/vnuma.md) */
#define TRC_MEM_VNUMA   TRC_EVENT(TRC_CLS_MEM, 3, 1)       /* data0: vnodes, data1: byte v = vnode v's physical node */
/* migrate (sub 4): one batch of DOMCTL_migrate_memory (mm/migrate.c), one record per
 * (from, to) node pair in it: data0: from node << 32 | to node, data1: frames moved */
#define TRC_MEM_MIGRATE TRC_EVENT(TRC_CLS_MEM, 4, 1)

/* HVM: the vCPU. Path length: TSC from the #VMEXIT to the VMRUN that resumes it
 * (instructions under icount), including any time switched out. */
#define TRC_HVM_EXIT    TRC_EVENT(TRC_CLS_HVM, 0, 1)       /* data0: exit code << 32 | exitinfo1 low 32, data1: guest rip */
#define TRC_HVM_ENTRY   TRC_EVENT(TRC_CLS_HVM, 0, 2)       /* data0: exit code resumed from, data1: path length (TSC) */
#define TRC_HVM_INJECT  TRC_EVENT(TRC_CLS_HVM, 0, 3)       /* data0: EVENTINJ value, data1: guest rip */
#define TRC_HVM_IO_NODEV TRC_EVENT(TRC_CLS_HVM, 0, 4)      /* data0: port << 16 | size << 1 | write, data1: value written */
#define TRC_HVM_EMUL    TRC_EVENT(TRC_CLS_HVM, 0, 5)       /* data0: opcode << 16 | x86_op << 8 | status, data1: guest rip */
#define TRC_HVM_MMIO_NODEV TRC_EVENT(TRC_CLS_HVM, 0, 6)    /* data0: gpa, data1: size << 1 | write */

/* IO sub 0 (device models, issue 11): the vCPU whose access is forwarded. */
#define TRC_IO_FORWARD  TRC_EVENT(TRC_CLS_IO, 0, 1)        /* data0: port or gpa, data1: type << 56 | dir << 48 | size << 40 | data_is_ptr << 32 | count */
#define TRC_IO_COMPLETE TRC_EVENT(TRC_CLS_IO, 0, 2)        /* data0: port or gpa, data1: the value read (written; the buffer gpa for string I/O) */
/* GNTTAB: the calling vCPU (the mapper, or the copier). Status: GNTST_* as int16. */
#define TRC_GNTTAB_MAP   TRC_EVENT(TRC_CLS_GNTTAB, 0, 1)   /* data0: granter dom << 32 | ref, data1: handle << 32 | GNTMAP flags << 16 | status */
#define TRC_GNTTAB_UNMAP TRC_EVENT(TRC_CLS_GNTTAB, 0, 2)   /* data0: granter dom << 32 | ref (DOMID_INVALID, ~0: bad handle), data1: handle << 32 | status */
#define TRC_GNTTAB_COPY  TRC_EVENT(TRC_CLS_GNTTAB, 0, 3)   /* data0: source dom << 48 | dest dom << 32 | len << 16 | status, data1: source ref/frame low 32 << 32 | dest ref/frame low 32 */
/* IO sub 1: physical I/O of PV domains (pdisk; core/arch/x86/ioport.c, core/pirq.c).
 * The domain and vCPU are the guest's; for a pirq delivery, the bound domain's vCPU. */
#define TRC_IO_PORT_DENY  TRC_EVENT(TRC_CLS_IO, 1, 1)  /* data0: port << 16 | size << 1 | write, data1: guest rip */
#define TRC_IO_PCI_DENY   TRC_EVENT(TRC_CLS_IO, 1, 2)  /* data0: config address (0xcf8 value) << 8 | byte << 4 | size << 1 | write, data1: guest rip */
#define TRC_IO_PORT_GRANT TRC_EVENT(TRC_CLS_IO, 1, 3)  /* the target domain; data0: first port << 32 | count, data1: 1 allow, 0 revoke */
#define TRC_IO_PIRQ       TRC_EVENT(TRC_CLS_IO, 1, 4)  /* data0: pirq << 8 | gsi, data1: event-channel port (0: unbound, masked) */
#define TRC_IO_PIRQ_EOI   TRC_EVENT(TRC_CLS_IO, 1, 5)  /* data0: pirq, data1: 1 if the line was unmasked */

/* POLICY: subclass = SCHED_ID_* of the policy; codes are the policy's own */
#define TRC_POLICY(sched_id, code) TRC_EVENT(TRC_CLS_POLICY, (sched_id), (code))
#define TRC_CREDIT_ACCT     1   /* accounting pass: data0: credit after, data1: priority */
#define TRC_CREDIT_BOOST    2   /* woke UNDER: data0: its credit */
#define TRC_CREDIT_STEAL    3   /* data0: from pCPU, data1: to pCPU */
#define TRC_CREDIT_PARK     4   /* cap: data0: 1 parked, 0 unparked, data1: run time not yet paid for */
#define TRC_CREDIT2_RESET   1   /* new epoch for a runqueue: data0: runqueue, data1: CREDIT_INITs given */
#define TRC_CREDIT2_BURN    2   /* data0: credit after, data1: burned */
#define TRC_CREDIT2_PULL    3   /* an idle pCPU took it: data0: from runqueue, data1: pCPU */
#define TRC_CREDIT2_BALANCE 4   /* moved by balancing: data0: from rq << 32 | to rq, data1: dom << 16 | vcpu swapped back, ~0: none */
#define TRC_CREDIT2_PICK    5   /* placed: data0: pCPU, data1: its runqueue */
#define TRC_RTDS_REPLENISH  1   /* data0: new deadline, data1: budget */
#define TRC_RTDS_MISS       2   /* data0: deadline missed, data1: budget left */
#define TRC_RTDS_DEPLETED   3
#define TRC_RTDS_MISSES     4   /* more misses, counted late: data0: the last deadline missed, data1: how many */
#define TRC_NUMA_AWAY       1   /* left home: data0: node it last ran on, data1: node now */
#define TRC_NUMA_HOME       2   /* back home: same fields */
#define TRC_ARINC653_WINDOW 1   /* a pCPU enters a window: data0: window index (nr: the idle rest), data1: its start (NOW ns) */
#define TRC_NULL_ASSIGN     1   /* data0: pCPU it now owns */
#define TRC_NULL_WAIT       2   /* no free pCPU it may use: on the waitqueue */

/* ---- The stream dom0's collector writes to the host ----
 * One stream header, then chunks. A chunk carries records of one pCPU in ring
 * order; chunks of different pCPUs interleave. The stream ends with an end chunk
 * (cpu = TRACE_CHUNK_END, nr_records = 0); a stream without one was cut short. */
#define TRACE_STREAM_MAGIC "HVTRACE1"
struct trace_stream_header {
    char magic[8];
    uint32_t version;                   /* TRACE_FORMAT_VERSION */
    uint32_t header_size;               /* sizeof(struct trace_stream_header) */
    uint32_t record_size;               /* 32 */
    uint32_t nr_cpus;
    uint64_t tsc_khz;
    uint64_t class_mask;                /* at trace start */
    uint64_t start_tsc;
    uint32_t ring_records;              /* per-pCPU ring size */
    uint32_t flags;                     /* TRACE_FLAG_* */
    char sched[16];                     /* pool 0's policy */
};
_Static_assert(sizeof(struct trace_stream_header) == 72, "stream header is 72 bytes");

#define TRACE_CHUNK_MAGIC 0x4b4e4843u   /* "CHNK" */
#define TRACE_CHUNK_END   0xffffu
struct trace_chunk_header {
    uint32_t magic;
    uint16_t cpu;
    uint16_t flags;
    uint32_t nr_records;
    uint32_t reserved;
};
_Static_assert(sizeof(struct trace_chunk_header) == 16, "chunk header is 16 bytes");

/* trace_op(cmd, arg) — dom0 only */
#define TRACEOP_info      0   /* arg: struct trace_info * */
#define TRACEOP_set_mask  1   /* arg: the class mask */
#define TRACEOP_start     2
#define TRACEOP_stop      3
#define TRACEOP_stream    4   /* arg: struct trace_stream_write *: append bytes to the host stream */
#define TRACEOP_consume   5   /* arg: struct trace_consume *: records read from a ring */

struct trace_info {
    uint32_t nr_cpus;
    uint32_t ring_records;              /* records per ring (a power of two) */
    uint64_t ring_mfn[64];              /* first frame of each pCPU's records (contiguous) */
    uint64_t ctl_mfn[64];               /* each pCPU's control page */
    uint32_t ring_pages;                /* frames of records per ring */
    uint32_t enabled;
    uint64_t class_mask;
    uint64_t tsc_khz;
    uint32_t flags;                     /* TRACE_FLAG_*: copied into the stream header */
    uint32_t pad;
};
#define TRACE_FLAG_DETERMINISTIC 1      /* boot option icount: the TSC counts instructions */

/* Each ring: a control page and ring_records records, mapped read-only by dom0.
 * The producer (the hypervisor, on that pCPU only) advances prod; dom0 reads records
 * in [cons, prod) and reports how far it got with TRACEOP_consume, which advances
 * cons. A producer that finds the ring full drops the record and counts it; the next
 * record that fits is preceded by a TRC_LOST record with the count. */
struct trace_ring_ctl {
    uint64_t prod;                      /* records ever produced (index = prod % size) */
    uint64_t cons;                      /* records ever consumed */
    uint64_t lost;                      /* records dropped because the ring was full */
};

struct trace_consume {
    uint32_t cpu;
    uint32_t pad;
    uint64_t cons;                      /* new consumer index (<= prod) */
};

struct trace_stream_write {
    uint64_t buf;                       /* dom0 VA */
    uint64_t len;
};

#endif
