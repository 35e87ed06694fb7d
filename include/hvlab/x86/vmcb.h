/* The AMD SVM virtual machine control block (AMD64 APM vol. 2, appendix B) and the
 * exit codes (appendix C). Shared by the hypervisor's SVM core and the conformance
 * test kernels (tests/svmconf/), which boot on QEMU without hvlab.
 *
 * One 4 KiB page: the control area (offsets 0x000-0x3ff) says what to intercept and
 * reports why the guest exited; the state save area (0x400-) holds the guest state
 * that VMRUN loads and #VMEXIT stores. The offsets are checked at compile time below,
 * because a field one byte off is silently ignored by VMRUN. */
#ifndef HVLAB_X86_VMCB_H
#define HVLAB_X86_VMCB_H

#include <hvlab/types.h>

struct vmcb_seg {
    uint16_t sel;
    uint16_t attr;          /* packed: descriptor bits 47:40, then bits 55:52 at 11:8 */
    uint32_t limit;
    uint64_t base;
} __attribute__((packed));

struct vmcb_control {
    uint32_t intercept_cr;          /* 0x000: bits 15:0 reads, 31:16 writes of CR0-15 */
    uint32_t intercept_dr;          /* 0x004 */
    uint32_t intercept_exc;         /* 0x008: bit n: exception vector n */
    uint32_t intercept1;            /* 0x00c: INTERCEPT1_* */
    uint32_t intercept2;            /* 0x010: INTERCEPT2_* */
    uint32_t intercept3;            /* 0x014 */
    uint8_t  rsvd1[0x03c - 0x018];
    uint16_t pause_filter_thresh;   /* 0x03c */
    uint16_t pause_filter_count;    /* 0x03e */
    uint64_t iopm_base_pa;          /* 0x040: 12 KiB, 4 KiB aligned */
    uint64_t msrpm_base_pa;         /* 0x048: 8 KiB, 4 KiB aligned */
    uint64_t tsc_offset;            /* 0x050 */
    uint32_t asid;                  /* 0x058 */
    uint8_t  tlb_control;           /* 0x05c: TLB_CONTROL_* */
    uint8_t  rsvd2[3];
    uint64_t vintr;                 /* 0x060: VINTR_* */
    uint64_t int_state;             /* 0x068: bit 0 interrupt shadow, bit 1 GIF (VGIF) */
    uint64_t exitcode;              /* 0x070: VMEXIT_* */
    uint64_t exitinfo1;             /* 0x078 */
    uint64_t exitinfo2;             /* 0x080 */
    uint64_t exitintinfo;           /* 0x088: event being delivered when the exit hit */
    uint64_t np_enable;             /* 0x090: bit 0 nested paging */
    uint64_t avic_apic_bar;         /* 0x098 */
    uint64_t ghcb_pa;               /* 0x0a0 */
    uint64_t eventinj;              /* 0x0a8: EVENTINJ_* */
    uint64_t n_cr3;                 /* 0x0b0: nested page table root */
    uint64_t virt_ext;              /* 0x0b8: LBR virtualisation, virtual VMLOAD/VMSAVE */
    uint32_t clean_bits;            /* 0x0c0 */
    uint32_t rsvd3;
    uint64_t next_rip;              /* 0x0c8: written only with NRIP-save (not under TCG) */
    uint8_t  insn_len;              /* 0x0d0: decode assists (not under TCG) */
    uint8_t  insn_bytes[15];
    uint8_t  rsvd4[0x400 - 0x0e0];
} __attribute__((packed));

struct vmcb_save {
    struct vmcb_seg es, cs, ss, ds, fs, gs;     /* 0x400-0x45f */
    struct vmcb_seg gdtr, ldtr, idtr, tr;       /* 0x460-0x49f */
    uint8_t  rsvd1[0x4cb - 0x4a0];
    uint8_t  cpl;                   /* 0x4cb */
    uint32_t rsvd2;
    uint64_t efer;                  /* 0x4d0 */
    uint8_t  rsvd3[0x548 - 0x4d8];
    uint64_t cr4;                   /* 0x548 */
    uint64_t cr3;                   /* 0x550 */
    uint64_t cr0;                   /* 0x558 */
    uint64_t dr7;                   /* 0x560 */
    uint64_t dr6;                   /* 0x568 */
    uint64_t rflags;                /* 0x570 */
    uint64_t rip;                   /* 0x578 */
    uint8_t  rsvd4[0x5d8 - 0x580];
    uint64_t rsp;                   /* 0x5d8 */
    uint8_t  rsvd5[0x5f8 - 0x5e0];
    uint64_t rax;                   /* 0x5f8 */
    uint64_t star;                  /* 0x600 */
    uint64_t lstar;                 /* 0x608 */
    uint64_t cstar;                 /* 0x610 */
    uint64_t sfmask;                /* 0x618 */
    uint64_t kernel_gs_base;        /* 0x620 */
    uint64_t sysenter_cs;           /* 0x628 */
    uint64_t sysenter_esp;          /* 0x630 */
    uint64_t sysenter_eip;          /* 0x638 */
    uint64_t cr2;                   /* 0x640 */
    uint8_t  rsvd6[0x668 - 0x648];
    uint64_t g_pat;                 /* 0x668 */
    uint64_t dbgctl;                /* 0x670 */
    uint64_t br_from, br_to;        /* 0x678, 0x680 */
    uint64_t last_excp_from, last_excp_to;      /* 0x688, 0x690 */
} __attribute__((packed));

struct vmcb {
    struct vmcb_control ctl;
    struct vmcb_save save;
    uint8_t rsvd[4096 - 0x400 - sizeof(struct vmcb_save)];
} __attribute__((packed, aligned(4096)));

_Static_assert(sizeof(struct vmcb) == 4096, "a VMCB is one page");
_Static_assert(__builtin_offsetof(struct vmcb_control, iopm_base_pa) == 0x040, "vmcb");
_Static_assert(__builtin_offsetof(struct vmcb_control, asid) == 0x058, "vmcb");
_Static_assert(__builtin_offsetof(struct vmcb_control, exitcode) == 0x070, "vmcb");
_Static_assert(__builtin_offsetof(struct vmcb_control, eventinj) == 0x0a8, "vmcb");
_Static_assert(__builtin_offsetof(struct vmcb_control, next_rip) == 0x0c8, "vmcb");
_Static_assert(sizeof(struct vmcb_control) == 0x400, "vmcb control area");
_Static_assert(__builtin_offsetof(struct vmcb, save.cpl) == 0x4cb, "vmcb");
_Static_assert(__builtin_offsetof(struct vmcb, save.efer) == 0x4d0, "vmcb");
_Static_assert(__builtin_offsetof(struct vmcb, save.cr4) == 0x548, "vmcb");
_Static_assert(__builtin_offsetof(struct vmcb, save.rip) == 0x578, "vmcb");
_Static_assert(__builtin_offsetof(struct vmcb, save.rsp) == 0x5d8, "vmcb");
_Static_assert(__builtin_offsetof(struct vmcb, save.rax) == 0x5f8, "vmcb");
_Static_assert(__builtin_offsetof(struct vmcb, save.cr2) == 0x640, "vmcb");
_Static_assert(__builtin_offsetof(struct vmcb, save.g_pat) == 0x668, "vmcb");

/* intercept1 (offset 0x00c) */
#define INTERCEPT1_INTR         (1u << 0)
#define INTERCEPT1_NMI          (1u << 1)
#define INTERCEPT1_SMI          (1u << 2)
#define INTERCEPT1_INIT         (1u << 3)
#define INTERCEPT1_VINTR        (1u << 4)
#define INTERCEPT1_CR0_SEL_WR   (1u << 5)
#define INTERCEPT1_RDTSC        (1u << 14)
#define INTERCEPT1_RDPMC        (1u << 15)
#define INTERCEPT1_PUSHF        (1u << 16)
#define INTERCEPT1_POPF         (1u << 17)
#define INTERCEPT1_CPUID        (1u << 18)
#define INTERCEPT1_RSM          (1u << 19)
#define INTERCEPT1_IRET         (1u << 20)
#define INTERCEPT1_INTN         (1u << 21)
#define INTERCEPT1_INVD         (1u << 22)
#define INTERCEPT1_PAUSE        (1u << 23)
#define INTERCEPT1_HLT          (1u << 24)
#define INTERCEPT1_INVLPG       (1u << 25)
#define INTERCEPT1_INVLPGA      (1u << 26)
#define INTERCEPT1_IOIO_PROT    (1u << 27)
#define INTERCEPT1_MSR_PROT     (1u << 28)
#define INTERCEPT1_TASK_SWITCH  (1u << 29)
#define INTERCEPT1_FERR_FREEZE  (1u << 30)
#define INTERCEPT1_SHUTDOWN     (1u << 31)

/* intercept2 (offset 0x010) */
#define INTERCEPT2_VMRUN        (1u << 0)
#define INTERCEPT2_VMMCALL      (1u << 1)
#define INTERCEPT2_VMLOAD       (1u << 2)
#define INTERCEPT2_VMSAVE       (1u << 3)
#define INTERCEPT2_STGI         (1u << 4)
#define INTERCEPT2_CLGI         (1u << 5)
#define INTERCEPT2_SKINIT       (1u << 6)
#define INTERCEPT2_RDTSCP       (1u << 7)
#define INTERCEPT2_ICEBP        (1u << 8)
#define INTERCEPT2_WBINVD       (1u << 9)
#define INTERCEPT2_MONITOR      (1u << 10)
#define INTERCEPT2_MWAIT        (1u << 11)
#define INTERCEPT2_MWAIT_COND   (1u << 12)
#define INTERCEPT2_XSETBV       (1u << 13)

/* tlb_control (offset 0x05c) */
#define TLB_CONTROL_NONE        0
#define TLB_CONTROL_FLUSH_ALL   1       /* every ASID */
#define TLB_CONTROL_FLUSH_ASID  3       /* needs CPUID 0x8000000A EDX bit 6 (not TCG) */

/* vintr (offset 0x060) */
#define VINTR_TPR_MASK          0xffull
#define VINTR_IRQ               (1ull << 8)     /* a virtual interrupt is pending */
#define VINTR_GIF               (1ull << 9)
#define VINTR_PRIO_SHIFT        16
#define VINTR_IGN_TPR           (1ull << 20)
#define VINTR_MASKING           (1ull << 24)    /* guest IF masks only virtual interrupts */
#define VINTR_VECTOR_SHIFT      32

#define INT_STATE_SHADOW        (1ull << 0)

/* eventinj and exitintinfo (offsets 0x0a8, 0x088) */
#define EVENTINJ_VECTOR_MASK    0xffull
#define EVENTINJ_TYPE_INTR      (0ull << 8)
#define EVENTINJ_TYPE_NMI       (2ull << 8)
#define EVENTINJ_TYPE_EXC       (3ull << 8)
#define EVENTINJ_TYPE_SWINT     (4ull << 8)
#define EVENTINJ_TYPE_MASK      (7ull << 8)
#define EVENTINJ_EV             (1ull << 11)    /* error code valid */
#define EVENTINJ_VALID          (1ull << 31)
#define EVENTINJ_ERRCODE_SHIFT  32

/* Exit codes (appendix C). Exceptions are VMEXIT_EXC_BASE + vector, CR reads
 * VMEXIT_CR_READ + n, CR writes VMEXIT_CR_WRITE + n. */
#define VMEXIT_CR_READ          0x000
#define VMEXIT_CR_WRITE         0x010
#define VMEXIT_DR_READ          0x020
#define VMEXIT_DR_WRITE         0x030
#define VMEXIT_EXC_BASE         0x040
#define VMEXIT_INTR             0x060
#define VMEXIT_NMI              0x061
#define VMEXIT_SMI              0x062
#define VMEXIT_INIT             0x063
#define VMEXIT_VINTR            0x064
#define VMEXIT_CR0_SEL_WRITE    0x065
#define VMEXIT_RDTSC            0x06e
#define VMEXIT_RDPMC            0x06f
#define VMEXIT_PUSHF            0x070
#define VMEXIT_POPF             0x071
#define VMEXIT_CPUID            0x072
#define VMEXIT_RSM              0x073
#define VMEXIT_IRET             0x074
#define VMEXIT_SWINT            0x075
#define VMEXIT_INVD             0x076
#define VMEXIT_PAUSE            0x077
#define VMEXIT_HLT              0x078
#define VMEXIT_INVLPG           0x079
#define VMEXIT_INVLPGA          0x07a
#define VMEXIT_IOIO             0x07b
#define VMEXIT_MSR              0x07c
#define VMEXIT_TASK_SWITCH      0x07d
#define VMEXIT_FERR_FREEZE      0x07e
#define VMEXIT_SHUTDOWN         0x07f
#define VMEXIT_VMRUN            0x080
#define VMEXIT_VMMCALL          0x081
#define VMEXIT_VMLOAD           0x082
#define VMEXIT_VMSAVE           0x083
#define VMEXIT_STGI             0x084
#define VMEXIT_CLGI             0x085
#define VMEXIT_SKINIT           0x086
#define VMEXIT_RDTSCP           0x087
#define VMEXIT_ICEBP            0x088
#define VMEXIT_WBINVD           0x089
#define VMEXIT_MONITOR          0x08a
#define VMEXIT_MWAIT            0x08b
#define VMEXIT_MWAIT_COND       0x08c
#define VMEXIT_XSETBV           0x08d
#define VMEXIT_NPF              0x400
#define VMEXIT_INVALID          0xffffffffu    /* compare the low 32 bits: it reads back
                                                   as 0x00000000ffffffff under TCG */

/* IOIO exitinfo1 */
#define IOIO_IN                 (1u << 0)
#define IOIO_STR                (1u << 2)
#define IOIO_REP                (1u << 3)
#define IOIO_SZ8                (1u << 4)
#define IOIO_SZ16               (1u << 5)
#define IOIO_SZ32               (1u << 6)
#define IOIO_PORT_SHIFT         16

/* NPF exitinfo1: the page-fault error code plus these */
#define NPF_FINAL_GPA           (1ull << 32)
#define NPF_IN_WALK             (1ull << 33)

/* MSRs of SVM itself */
#define MSR_VM_CR               0xc0010114
#define MSR_VM_HSAVE_PA         0xc0010117
#define EFER_SVME               (1ull << 12)

#endif
