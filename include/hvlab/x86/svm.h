/* The SVM core: HVM vCPUs on AMD SVM with nested paging (core/arch/x86/svm/).
 *
 * An HVM vCPU is an ordinary vCPU to the scheduler: it has its own hypervisor stack,
 * and while it is current its stack runs svm_vcpu_loop, which enters the guest with
 * VMRUN and handles each #VMEXIT through one handler per exit code
 * (core/arch/x86/svm/exit_table.c). Softirqs (so schedule()) run at the top of the
 * loop, exactly where a PV vCPU runs them before IRETQ. */
#ifndef HVLAB_X86_SVM_H
#define HVLAB_X86_SVM_H

#include <hvlab/types.h>
#include <hvlab/x86/hvm_ioreq.h>
#include <hvlab/x86/svm_asid.h>
#include <hvlab/x86/vmcb.h>

struct vcpu;
struct domain;
struct domctl_hvm_context;

/* The guest registers VMRUN neither loads nor saves (RAX and RSP live in the VMCB).
 * Order fixed: svm_entry.S addresses them by offset. */
struct svm_gprs {
    uint64_t rbx, rcx, rdx, rsi, rdi, rbp;
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
};

/* Per HVM vCPU, written only by the pCPU running it (or by the builder before it ever
 * ran). */
struct svm_vcpu {
    struct vmcb *vmcb;
    paddr_t vmcb_pa;
    struct svm_gprs gprs;
    uint64_t guest_efer;                /* EFER as the guest sees it (no SVME) */
    uint32_t asid;                      /* on asid_cpu, valid in generation asid_gen */
    unsigned asid_cpu;
    uint64_t asid_gen;
    uint64_t exit_tsc;                  /* TSC at the last #VMEXIT: path length */
    uint32_t last_exit;                 /* its exit code */
    uint8_t upcall_vector;              /* HVMOP_set_evtchn_upcall_vector, 0: none */
    uint8_t *fpu;                       /* FXSAVE image (a page: room for XSAVE later) */
    bool stepping;                      /* stepping over an interrupt shadow (svm_intr.c) */
    bool guest_tf;                      /* the guest's own RFLAGS.TF while stepping */
    bool has_context;                   /* DOMCTL_hvm_setcontext done */
    struct hvm_ioreq_vcpu ioreq;        /* a device model's request in flight (ioreq.c) */
};

/* core/arch/x86/svm/svm_cpu.c */
void svm_init_cpu(void);                /* every pCPU, after its GDT/TSS */
bool svm_available(void);               /* SVM and nested paging on every pCPU */
paddr_t svm_host_vmcb_pa(unsigned cpu);
/* Gives s an ASID valid on this pCPU and says whether the TLB must be flushed first
 * (a new generation, or s came from another pCPU). */
void svm_asid_assign(struct svm_vcpu *s, unsigned cpu);

/* core/arch/x86/svm/svm_vmcb.c */
void svm_maps_init(void);               /* the I/O and MSR permission maps, once */
int svm_vcpu_create(struct vcpu *v);    /* VMCB with intercepts; -ENOMEM */
void svm_vcpu_destroy(struct vcpu *v);
int svm_set_context(struct vcpu *v, const struct domctl_hvm_context *c);  /* -EINVAL */
void svm_inject_exception(struct vcpu *v, unsigned vector, int errcode); /* -1: none */
/* The guest's x87/SSE registers: VMRUN leaves them alone, and the hypervisor and PV
 * guests never touch them (-mgeneral-regs-only), so they change hands only at a
 * switch between vCPUs, where context_switch saves the HVM one going out and loads
 * the HVM one coming in. */
void svm_fpu_save(struct vcpu *v);
void svm_fpu_load(struct vcpu *v);
bool svm_guest_long_mode(const struct vcpu *v);

/* core/arch/x86/svm/svm_domain.c: the HVM parts of a domain */
/* Maps all of d's max_pages frames (allocated here, by its memory policy: the
 * default one at creation), gives every vCPU a VMCB.
 * -ENODEV without SVM, -ENOMEM. On failure d keeps what it got: destroy it. */
int hvm_domain_init(struct domain *d);
void hvm_domain_relinquish(struct domain *d);   /* the p2m's tables, at destroy */
/* core/arch/x86/svm/hvm_populate.c: an HVM domain's RAM under its memory policy */
struct domctl_memory_policy;
struct domctl_hvm_populate;
struct domctl_getpageframeinfo;
/* Every gfn of its RAM backed and mapped now, unless its policy populates lazily. */
int hvm_ram_build(struct domain *d);
/* DOMCTL_set_memory_policy on an HVM domain not run yet: its RAM given back, the
 * policy set, the RAM allocated again under it; on refusal the old policy and RAM. */
int hvm_set_memory_policy(struct domain *d, struct domctl_memory_policy *io, char *why,
                          size_t len);
int hvm_populate_range(struct domain *d, const struct domctl_hvm_populate *p); /* DOMCTL 21 */
/* getpageframeinfo of a lazily populated domain: by gfn, ~0 where no frame yet. */
long hvm_gfn_frames(struct domain *d, struct domctl_getpageframeinfo *g);
int svm_populate_init(void);            /* the nested-fault hook of lazy policies */
/* DOMCTL_hvm_setcontext: the vCPU's first state, then it is up. -EINVAL, -EEXIST. */
int hvm_domain_set_context(struct domain *d, const struct domctl_hvm_context *c);
long do_hvm_op(uint64_t cmd, uint64_t arg);
/* Every vCPU of d drops its cached guest translations before it runs again (its
 * nested table changed: HVMOP_map_*, grant maps). */
void hvm_flush_guest_tlbs(struct domain *d);

/* core/arch/x86/svm/svm_run.c */
void __noreturn svm_vcpu_loop(void);
void svm_crash(struct vcpu *v, const char *why);     /* names exit, RIP: dom0's log */

/* core/arch/x86/svm/exit_table.c */
void svm_exit_dispatch(struct vcpu *v);
const char *svm_exit_name(uint64_t exitcode);

/* core/arch/x86/svm/svm_exits.c, svm_msr.c, svm_cpuid.c, svm_io.c: exit handlers */
void svm_exit_cpuid(struct vcpu *v);
void svm_exit_msr(struct vcpu *v);
void svm_exit_ioio(struct vcpu *v);
void svm_exit_hlt(struct vcpu *v);
void svm_exit_pause(struct vcpu *v);
void svm_exit_vmmcall(struct vcpu *v);
void svm_exit_svm_insn(struct vcpu *v);
void svm_exit_shutdown(struct vcpu *v);
void svm_exit_npf(struct vcpu *v);
void svm_exit_invalid(struct vcpu *v);
void svm_exit_nothing(struct vcpu *v);
void svm_exit_vintr(struct vcpu *v);
void svm_exit_db(struct vcpu *v);

/* core/arch/x86/svm/svm_intr.c: interrupt injection (docs/svm-under-qemu.md's
 * procedure). exited: right after each #VMEXIT; completed: the handler retired the
 * guest instruction (moved RIP); deliver: before each VMRUN; wakeup_pending: an
 * interrupt the guest can take, or an event, is pending (HLT does not block). */
void svm_intr_exited(struct vcpu *v);
void svm_intr_completed(struct vcpu *v);
void svm_intr_deliver(struct vcpu *v);
bool svm_intr_wakeup_pending(struct vcpu *v);

/* core/arch/x86/svm/svm_emul.c: the instruction emulator for MMIO (an NPF outside
 * RAM) and string I/O. */
void svm_emulate(struct vcpu *v);
int svm_mmio_init(void);                /* once at boot: the nested-fault hook */
/* svm_io.c: one port access as an IN/OUT would make it: the boot-time handlers, then
 * the domain's devices; nobody there reads all ones, drops writes, and traces. */
void svm_port_access(struct vcpu *v, uint16_t port, unsigned size, bool write,
                     uint64_t *val);
/* Whether the hypervisor serves port itself (a boot-time handler or a device on v's
 * bus): otherwise a device model may (issue 11). */
bool svm_port_claimed(struct vcpu *v, uint16_t port);
/* Nested-fault hooks, tried in order before the fault is fatal: true if it handled
 * the access at gpa (error code err: bit 1 write). For MMIO emulation and memory
 * policies (issue 11). -ENOSPC when full. */
typedef bool (*svm_npf_hook)(struct vcpu *v, uint64_t gpa, uint64_t err);
int svm_npf_register(svm_npf_hook hook);
/* Port handlers (svm_io.c): 0 handled (*val: the value read), -ENODEV not there.
 * Registered at boot, ranges never overlap (-EEXIST), at most 16 (-EINVAL). */
typedef int (*svm_port_fn)(struct vcpu *v, uint16_t port, unsigned size, bool write,
                           uint64_t *val);
int svm_port_register(uint16_t base, uint16_t len, svm_port_fn fn);
/* The guest's CPUID with hvlab's changes (leaf, subleaf in; four registers out). */
void svm_cpuid_values(const struct vcpu *v, uint32_t leaf, uint32_t sub, uint32_t r[4]);
void svm_msrpm_init(uint8_t *msrpm);    /* 8 KiB: which MSRs exit */

/* core/arch/x86/svm/svm_guest_access.c: copies through the guest's page tables and
 * the p2m, for hypercalls from HVM guests. 0 or -EFAULT. */
int hvm_copy_from_guest(void *dst, uint64_t va, size_t n);
int hvm_copy_to_guest(uint64_t va, const void *src, size_t n);

/* core/arch/x86/context.c: what a vCPU that never ran starts in (an HVM vCPU:
 * svm_vcpu_first_entry instead of the PV return to ring 3). */
void arch_vcpu_set_entry(struct vcpu *v, void (*entry)(void));

/* core/arch/x86/svm/svm_entry.S: world switch with interrupts off. Returns after the
 * #VMEXIT with the guest's registers in *g, host state reloaded, GIF 1, IF 0. */
void svm_vmrun(struct svm_gprs *g, paddr_t vmcb_pa, paddr_t host_vmcb_pa);
void svm_vcpu_first_entry(void);


#endif
