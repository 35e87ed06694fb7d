/* hvlab public ABI: what guests and dom0 tools see of the hypervisor. Shared, byte
 * for byte, by the hypervisor, the guest runtime and the toolstack.
 *
 * Hypercalls: SYSCALL from the guest (ring 3) with the hypercall number in RAX and
 * up to five arguments in RDI, RSI, RDX, R10, R8 (RCX and R11 are clobbered by
 * SYSCALL itself). The result comes back in RAX: >= 0 on success, a negative errno
 * (the values of include/hvlab/errno.h: -EFAULT = -14, -EINVAL = -22, ...) on failure.
 * Numbers follow Xen's where Xen has the same call. */
#ifndef HVLAB_PUBLIC_H
#define HVLAB_PUBLIC_H

#include <stdint.h>

#define HYPERVISOR_set_trap_table    0
#define HYPERVISOR_mmu_update        1
#define HYPERVISOR_set_callbacks     4
#define HYPERVISOR_memory_op        12
#define HYPERVISOR_multicall        13
#define HYPERVISOR_update_va_mapping 14
#define HYPERVISOR_set_timer_op     15
#define HYPERVISOR_version          17
#define HYPERVISOR_console_io       18
#define HYPERVISOR_vcpu_op          24
#define HYPERVISOR_mmuext_op        26
#define HYPERVISOR_sched_op         29
#define HYPERVISOR_event_channel_op 32
#define HYPERVISOR_sysctl           35
#define HYPERVISOR_domctl           36
#define HYPERVISOR_trace_op         40
#define HYPERVISOR_hvm_op           34   /* HVM guests only: include/public/hvm.h */
#define HYPERVISOR_grant_table_op   20   /* include/public/grant_table.h */
#define HYPERVISOR_physdev_op       33   /* dom0: include/public/physdev.h */
#define NR_HYPERCALLS               48

#define HVLAB_VERSION_MAJOR 1
#define HVLAB_VERSION_MINOR 0

typedef uint16_t hv_domid_t;
#define DOMID_SELF   0x7ff0
#define DOMID_INVALID 0x7fff
#define DOMID_XEN    0x7ff2       /* the hypervisor's shareable frames (trace rings) */

/* ---- Guest virtual layout of a PV guest (set up by the domain builder) ----
 * The guest owns the lower half of the address space; the upper half belongs to the
 * hypervisor and is not reachable from ring 3. All the guest's frames are mapped
 * from GUEST_VIRT_BASE in pseudo-physical order (pfn 0 first). */
#define GUEST_VIRT_BASE   0x0000000000400000ULL
#define GUEST_VIRT_END    0x0000800000000000ULL    /* exclusive */
#define GUEST_SHARED_INFO_VA 0x0000000000200000ULL /* shared info page */
#define GUEST_FOREIGN_VA  0x0000100000000000ULL    /* dom0: scratch for foreign maps */

/* Page-table entry bits a PV guest may use (x86-64 4-level paging). */
#define PTE_P    0x001ULL
#define PTE_W    0x002ULL
#define PTE_U    0x004ULL
#define PTE_A    0x020ULL
#define PTE_D    0x040ULL
#define PTE_PS   0x080ULL   /* refused for PV guests: no superpages */
/* Refused for PV guests too. G: a global entry would survive the CR3 switch into the
 * next domain on real hardware (CR4.PGE is on). PWT/PCD: a cache type that differs from
 * the hypervisor's write-back direct map of the same frame is undefined behaviour on
 * real hardware (Intel SDM 11.12.4; AMD APM vol. 2, 7.8). */
#define PTE_PWT  0x008ULL
#define PTE_PCD  0x010ULL
#define PTE_G    0x100ULL
#define PTE_NX   (1ULL << 63)
#define PTE_ADDR_MASK 0x000ffffffffff000ULL

/* ---- start_info: one page, its guest address in RSI at the first instruction ---- */
#define START_INFO_MAGIC "hvlab-pv-1.0"
#define SIF_PRIVILEGED  (1u << 0)       /* may use domctl/sysctl */
#define SIF_INITDOMAIN  (1u << 1)       /* dom0 */
#define START_INFO_MAX_MODULES 16

struct start_module {
    uint64_t va;                        /* where the module is mapped (read-only) */
    uint64_t len;                       /* bytes */
    char cmdline[112];
};

struct start_info {
    char magic[16];
    uint32_t domid;
    uint32_t flags;                     /* SIF_* */
    uint64_t nr_pages;                  /* frames owned at start */
    uint64_t virt_base;                 /* GUEST_VIRT_BASE: where pfn 0 is mapped */
    uint64_t mfn_list;                  /* VA of uint64_t[nr_pages]: pfn -> mfn */
    uint64_t pt_base;                   /* VA of the L4 (mapped read-only) */
    uint64_t nr_pt_frames;              /* page-table frames, from pt_base on */
    uint64_t shared_info;               /* VA of the shared info page */
    uint64_t stack_top;                 /* VA: initial RSP of vCPU 0 */
    uint64_t first_free_pfn;            /* first pfn the builder did not use */
    uint32_t nr_vcpus;
    uint32_t nr_modules;                /* dom0 only */
    struct start_module modules[START_INFO_MAX_MODULES];
    char cmdline[256];
    uint64_t store_mfn;                 /* the store ring page (public/io/store.h), 0: none */
    uint32_t store_evtchn;              /* our port to the store */
    uint32_t pad;
};

/* ---- shared info: one page per domain, mapped at GUEST_SHARED_INFO_VA ---- */
#define MAX_VIRT_CPUS 32
#define NR_EVENT_CHANNELS 1024          /* ports per domain */

struct vcpu_time_info {
    uint64_t system_time_ns;            /* NOW() at the last update */
    uint64_t tsc_timestamp;             /* TSC at the last update */
    uint64_t tsc_to_ns_mul;             /* 32.32 fixed point: ns = system_time_ns +
                                         * ((tsc - tsc_timestamp) * mul >> 32), with a
                                         * 128-bit product */
    uint32_t version;                   /* odd while being updated: read again */
    uint32_t pad;
};

struct vcpu_info {
    uint8_t evtchn_upcall_pending;      /* set by the hypervisor, cleared by the guest */
    uint8_t evtchn_upcall_mask;         /* guest's "interrupts off" */
    uint8_t pad[6];
    uint64_t evtchn_pending_sel;        /* which words of evtchn_pending to look at */
    struct vcpu_time_info time;
};

struct shared_info {
    struct vcpu_info vcpu_info[MAX_VIRT_CPUS];
    uint64_t evtchn_pending[NR_EVENT_CHANNELS / 64];
    uint64_t evtchn_mask[NR_EVENT_CHANNELS / 64];
};

/* ---- set_trap_table: exceptions bounced to the guest ----
 * A guest handler is entered with a struct guest_bounce_frame at RSP (below) and
 * returns with sched_op(SCHEDOP_iret). The table ends with an entry whose vector is
 * TRAP_TABLE_END and address 0. */
struct trap_info {
    uint8_t vector;                     /* 0..31 */
    uint8_t flags;
    uint16_t pad;
    uint32_t pad2;
    uint64_t address;                   /* handler; 0 removes */
};
#define TRAP_TABLE_END 0xff

/* The frame the hypervisor pushes on the guest stack for a bounced trap or an event
 * upcall, lowest address first. The guest returns with SCHEDOP_iret, which pops it. */
struct guest_bounce_frame {
    uint64_t error_code;
    uint64_t cr2;                       /* #PF only */
    uint64_t vector;                    /* exception vector; 0x100 for an event upcall */
    uint64_t rax, rcx, r11;             /* saved: the handler may use them freely */
    uint64_t rip, rflags, rsp;
};
#define BOUNCE_VECTOR_UPCALL 0x100

/* set_callbacks(event_callback, failsafe_callback): where event upcalls enter (two
 * scalar addresses; the failsafe callback is unused for now). */

/* ---- multicall: several hypercalls in one entry ---- */
struct multicall_entry {
    uint64_t op;
    int64_t result;
    uint64_t args[5];
};
#define MULTICALL_MAX 64

#endif
