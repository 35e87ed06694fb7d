/* Forwarding an HVM guest's device accesses to a device model (core/arch/x86/svm/
 * ioreq*.c; the ABI is public/hvm_ioreq.h, the design docs/device-model.md).
 *
 * An access nobody in the hypervisor serves (no boot-time port handler, nothing on
 * the domain's I/O bus, no RAM at the MMIO address) becomes a request in the vCPU's
 * slot of the shared page, and the vCPU waits blocked until the device model has
 * answered. Two ways back into the guest instruction:
 *  - a plain IN/OUT completes at once from the answer (RAX, RIP = next RIP);
 *  - an emulated instruction (MMIO, INS/OUTS) is emulated again from the start, and
 *    each access it makes is answered, in order, from the answers collected so far
 *    (the replay list); an access beyond them is posted as the next request. So an
 *    instruction with two device accesses (a read-modify-write) waits twice, and
 *    the guest sees the instruction complete once, with every register committed
 *    together (the emulator's rule). */
#ifndef HVLAB_X86_HVM_IOREQ_H
#define HVLAB_X86_HVM_IOREQ_H

#include <hvlab/types.h>
#include <public/hvm_ioreq.h>

struct vcpu;
struct domain;
struct domctl_ioreq_server;
struct domctl_hvm_set_irq;

#define IOREQ_REPLAY_MAX 4              /* device accesses of one instruction */

enum ioreq_kind { IOREQ_K_NONE, IOREQ_K_PIO, IOREQ_K_EMUL };

/* Per vCPU (in struct svm_vcpu), touched only by the pCPU running the vCPU (and by
 * the server's create/destroy with the domain's vCPUs paused). */
struct hvm_ioreq_vcpu {
    uint8_t wait;                       /* enum ioreq_kind of the request in flight */
    uint8_t replay;                     /* next answer an emulation pass takes */
    uint8_t nr_done;                    /* answers of the current instruction */
    uint32_t seq;                       /* requests posted */
    uint64_t next_rip;                  /* IOREQ_K_PIO: the RIP after the IN/OUT */
    struct hvm_ioreq req;               /* the hypervisor's copy of the request */
    struct hvm_ioreq done[IOREQ_REPLAY_MAX];   /* requests answered, data = answer */
};

/* d has a device model. A macro (struct domain is complete where it is used): it is
 * on every port exit's path. */
#define hvm_ioreq_active(d) ((d)->ioreq != NULL)

/* ioreq.c */
/* Results of the forwarding calls below. */
#define IOREQ_NONE    0                 /* no device model: the caller goes on as before */
#define IOREQ_POSTED  1                 /* posted: the vCPU waits (emulator: RETRY) */
#define IOREQ_DONE    2                 /* answered (emulator re-run): *val / done */
#define IOREQ_FAILED  3                 /* the domain was crashed (message printed) */
/* A plain IN/OUT at port nobody serves: IOREQ_NONE or IOREQ_POSTED (completed by
 * hvm_ioreq_resume, which sets RAX for IN and RIP = next_rip). */
int hvm_ioreq_pio(struct vcpu *v, uint16_t port, unsigned size, bool write, uint64_t val,
                  uint64_t next_rip);
/* From the emulator: an MMIO access at gpa outside RAM and outside the hypervisor's
 * devices, or a run of string I/O (count elements at buffer gpa). */
int hvm_ioreq_mmio(struct vcpu *v, uint64_t gpa, unsigned size, bool write, uint64_t *val);
int hvm_ioreq_string(struct vcpu *v, uint16_t port, unsigned size, bool in, uint64_t gpa,
                     uint32_t count, bool df);
/* At the start and the end of each emulation pass (svm_emulate; iv is the vCPU's
 * struct hvm_ioreq_vcpu): a pass replays the answers from the first; when the
 * instruction completed (or faulted, or will be executed afresh) they are spent, and
 * so are they when a REP committed iterations (progressed: the next pass starts at
 * the next element); otherwise, while a request is in flight, they are kept. Inline: every MMIO
 * and string I/O emulation passes here. */
static inline void hvm_ioreq_emul_begin(struct hvm_ioreq_vcpu *iv)
{
    iv->replay = 0;
}
static inline void hvm_ioreq_emul_end(struct hvm_ioreq_vcpu *iv, bool progressed)
{
    if (iv->wait == IOREQ_K_NONE || progressed)
        iv->nr_done = 0;
}
/* svm_vcpu_loop, before entering a vCPU with a request in flight (wait != 0): true
 * when the instruction completed and the vCPU may run; false when it still waits
 * (blocked: the loop reschedules) or its domain was crashed. */
bool hvm_ioreq_resume(struct vcpu *v);
/* At destroy, with every vCPU of d off its pCPU. */
void hvm_ioreq_teardown(struct domain *d);
/* DOMCTL_ioreq_server and DOMCTL_hvm_set_irq (ioreq_domctl.c). caller: the domain
 * asking (becomes the device model). */
long hvm_ioreq_server_op(struct domain *caller, struct domain *d,
                         struct domctl_ioreq_server *op);
long hvm_ioreq_set_irq(struct domain *d, const struct domctl_hvm_set_irq *op);

#endif
