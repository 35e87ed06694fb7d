/* The instruction emulator wired to HVM vCPUs (docs/hvm-emulation.md, "How a caller
 * wires it"): an access to a device window (nested fault on the LAPIC or IOAPIC
 * page) or a string I/O instruction (INS/OUTS exit) is fetched, decoded and executed
 * here. Linear addresses go through the guest's page tables (guest_walk, with A/D
 * bits as hardware sets them) and then the nested table: RAM is copied through the
 * direct map, anything else goes to the domain's devices (hvm_platform_mmio). A guest
 * page fault met on the way is injected into the guest (CR2 written first); an
 * instruction the emulator does not execute crashes the domain, naming it. */
#include <hvlab/domain.h>
#include <hvlab/errno.h>
#include <hvlab/lib.h>
#include <hvlab/mm.h>
#include <hvlab/trace.h>
#include <hvlab/x86/emulate.h>
#include <hvlab/x86/hvm_platform.h>
#include <hvlab/x86/regs.h>
#include <hvlab/x86/svm.h>

#define EMUL_MAX_REPS 128               /* a long REP INS/OUTS resumes the guest between */
#define CS_L (1u << 9)
#define CS_D (1u << 10)
#define EFER_LMA_ (1ull << 10)
#define RFLAGS_AC (1ull << 18)

struct emul_priv {
    struct vcpu *v;
    struct guest_paging pg;
    unsigned user;                      /* PFEC_USER when CPL 3 */
    bool crashed;                       /* a device-model path crashed the domain */
};

/* The hypervisor's address of guest physical gpa if it is RAM (writable if write). */
static void *ram_at(struct domain *d, uint64_t gpa, bool write)
{
    mfn_t mfn;
    unsigned flags;
    if (p2m_lookup(&d->p2m, gpa >> PAGE_SHIFT, &mfn, &flags, NULL) < 0 ||
        (write && !(flags & P2M_WRITE)))
        return NULL;
    return (uint8_t *)__va((paddr_t)mfn << PAGE_SHIFT) + (gpa & (PAGE_SIZE - 1));
}

static int walk_read(void *priv, uint64_t gpa, void *buf, unsigned size)
{
    void *p = ram_at(((struct emul_priv *)priv)->v->domain, gpa, false);
    if (!p)
        return -EFAULT;
    memcpy(buf, p, size);
    return 0;
}

static int walk_write(void *priv, uint64_t gpa, const void *buf, unsigned size)
{
    void *p = ram_at(((struct emul_priv *)priv)->v->domain, gpa, true);
    if (!p)
        return -EFAULT;
    memcpy(p, buf, size);
    return 0;
}

static const struct guest_walk_ops walk_ops = { walk_read, walk_write };

/* One access of size bytes at linear, split at page ends. */
static int lin_access(struct x86_emul_ctx *c, uint64_t linear, void *buf, unsigned size,
                      unsigned access)
{
    struct emul_priv *e = c->priv;
    bool write = access & PFEC_WRITE;
    uint8_t *b = buf;

    while (size) {
        unsigned chunk = MIN(size, (unsigned)(PAGE_SIZE - (linear & (PAGE_SIZE - 1))));
        uint64_t gpa;
        uint32_t pfec;
        int rc = guest_walk(&e->pg, &walk_ops, e, linear, access | e->user, &gpa, &pfec);
        if (rc == -EFAULT) {
            c->fault = (struct x86_fault){ X86_EXC_PF, true, pfec, linear };
            return X86EMUL_EXCEPTION;
        }
        if (rc < 0)
            return X86EMUL_UNHANDLEABLE;
        void *ram = ram_at(e->v->domain, gpa, write);
        if (ram) {
            if (write)
                memcpy(ram, b, chunk);
            else
                memcpy(b, ram, chunk);
        } else if (access & PFEC_FETCH) {
            return X86EMUL_UNHANDLEABLE;        /* executing from a device window */
        } else {
            uint64_t val = 0;
            if (write)
                memcpy(&val, b, chunk);
            if (chunk > 8 || hvm_platform_mmio(e->v, gpa, chunk, write, &val) < 0) {
                /* Not the hypervisor's: the device model's, if there is one (never
                 * for the LAPIC/IOAPIC windows: a refused access there stays refused). */
                int fw = IOREQ_NONE;
                if (chunk <= 8 && !hvm_platform_window(gpa))
                    fw = hvm_ioreq_mmio(e->v, gpa, chunk, write, &val);
                if (fw == IOREQ_POSTED)
                    return X86EMUL_RETRY;       /* run again once it has answered */
                if (fw == IOREQ_FAILED) {
                    e->crashed = true;
                    return X86EMUL_UNHANDLEABLE;
                }
                if (fw == IOREQ_NONE) {
                    TRACE_VCPU(TRC_HVM_MMIO_NODEV, e->v, gpa, chunk << 1 | write);
                    val = ~0ull;                /* nothing there: all ones, writes dropped */
                }
            }
            if (!write)
                memcpy(b, &val, chunk);
        }
        linear += chunk;
        b += chunk;
        size -= chunk;
    }
    return X86EMUL_OKAY;
}

static int em_read(struct x86_emul_ctx *c, uint64_t linear, void *buf, unsigned size)
{
    return lin_access(c, linear, buf, size, 0);
}

static int em_write(struct x86_emul_ctx *c, uint64_t linear, const void *buf, unsigned size)
{
    return lin_access(c, linear, (void *)buf, size, PFEC_WRITE);
}

static int em_fetch(struct x86_emul_ctx *c, uint64_t linear, void *buf, unsigned size)
{
    return lin_access(c, linear, buf, size, PFEC_FETCH);
}

static int em_in(struct x86_emul_ctx *c, uint16_t port, unsigned size, uint32_t *val)
{
    uint64_t v64;
    svm_port_access(((struct emul_priv *)c->priv)->v, port, size, false, &v64);
    *val = (uint32_t)v64;
    return X86EMUL_OKAY;
}

static int em_out(struct x86_emul_ctx *c, uint16_t port, unsigned size, uint32_t val)
{
    uint64_t v64 = val;
    svm_port_access(((struct emul_priv *)c->priv)->v, port, size, true, &v64);
    return X86EMUL_OKAY;
}

/* INS/OUTS to a port the device model serves: the elements in the first element's
 * guest page, in one request with the buffer's guest-physical address (the device
 * model reads or writes the guest's RAM itself). The guest executes the instruction
 * again for what is left of a REP. */
static int em_rep_io(struct x86_emul_ctx *c, uint16_t port, unsigned size, bool in,
                     uint64_t linear, uint64_t count, bool df, uint64_t *done)
{
    struct emul_priv *e = c->priv;
    uint64_t gpa, off = linear & (PAGE_SIZE - 1), n;
    uint32_t pfec;

    if (!hvm_ioreq_active(e->v->domain) || svm_port_claimed(e->v, port))
        return X86EMUL_DECLINED;
    if (off + size > PAGE_SIZE) {
        svm_crash(e->v, "string I/O to a device model with an element across a page end");
        e->crashed = true;
        return X86EMUL_UNHANDLEABLE;
    }
    int rc = guest_walk(&e->pg, &walk_ops, e, linear, (in ? PFEC_WRITE : 0) | e->user,
                        &gpa, &pfec);
    if (rc == -EFAULT) {
        c->fault = (struct x86_fault){ X86_EXC_PF, true, pfec, linear };
        return X86EMUL_EXCEPTION;
    }
    if (rc < 0 || !ram_at(e->v->domain, gpa, in)) {
        svm_crash(e->v, in ? "INS into guest memory that is not its writable RAM"
                           : "OUTS from guest memory that is not its RAM");
        e->crashed = true;
        return X86EMUL_UNHANDLEABLE;
    }
    n = df ? off / size + 1 : (PAGE_SIZE - off) / size;     /* elements in this page */
    n = MIN(n, count);
    switch (hvm_ioreq_string(e->v, port, size, in, gpa, (uint32_t)n, df)) {
    case IOREQ_DONE:
        *done = n;
        return X86EMUL_OKAY;
    case IOREQ_POSTED:
        return X86EMUL_RETRY;
    case IOREQ_FAILED:
        e->crashed = true;
        return X86EMUL_UNHANDLEABLE;
    default:
        return X86EMUL_DECLINED;
    }
}

static const struct x86_emul_ops emul_ops = { em_read, em_write, em_fetch, em_in, em_out,
                                              em_rep_io };

static const uint8_t gpr_off[16] = {
    0, offsetof(struct svm_gprs, rcx), offsetof(struct svm_gprs, rdx),
    offsetof(struct svm_gprs, rbx), 0, offsetof(struct svm_gprs, rbp),
    offsetof(struct svm_gprs, rsi), offsetof(struct svm_gprs, rdi),
    offsetof(struct svm_gprs, r8), offsetof(struct svm_gprs, r9),
    offsetof(struct svm_gprs, r10), offsetof(struct svm_gprs, r11),
    offsetof(struct svm_gprs, r12), offsetof(struct svm_gprs, r13),
    offsetof(struct svm_gprs, r14), offsetof(struct svm_gprs, r15),
};

/* RAX and RSP live in the VMCB, the others in struct svm_gprs. */
static uint64_t gpr_get(struct vcpu *v, unsigned i)
{
    struct svm_vcpu *s = v->arch.svm;
    if (i == X86_REG_RAX)
        return s->vmcb->save.rax;
    if (i == X86_REG_RSP)
        return s->vmcb->save.rsp;
    return *(uint64_t *)((uint8_t *)&s->gprs + gpr_off[i]);
}

static void gpr_set(struct vcpu *v, unsigned i, uint64_t val)
{
    struct svm_vcpu *s = v->arch.svm;
    if (i == X86_REG_RAX)
        s->vmcb->save.rax = val;
    else if (i == X86_REG_RSP)
        s->vmcb->save.rsp = val;
    else
        *(uint64_t *)((uint8_t *)&s->gprs + gpr_off[i]) = val;
}

void svm_emulate(struct vcpu *v)
{
    struct vmcb_save *g = &v->arch.svm->vmcb->save;
    struct x86_regs regs = { .rip = g->rip, .rflags = g->rflags };
    struct emul_priv e = {
        .v = v,
        .pg = { .cr0 = g->cr0, .cr3 = g->cr3, .cr4 = g->cr4,
                .efer = v->arch.svm->guest_efer, .maxphyaddr = 48,
                .ac = g->rflags & RFLAGS_AC },
        .user = g->cpl == 3 ? PFEC_USER : 0,
    };
    struct x86_emul_ctx c = { .regs = &regs, .ops = &emul_ops, .priv = &e,
                              .max_reps = EMUL_MAX_REPS };
    const struct vmcb_seg *segs[X86_NR_SEGS] = { &g->es, &g->cs, &g->ss, &g->ds,
                                                 &g->fs, &g->gs };

    regs.mode = ((g->efer & EFER_LMA_) && (g->cs.attr & CS_L)) ? X86_MODE_64
              : (g->cs.attr & CS_D) ? X86_MODE_32 : X86_MODE_16;
    for (unsigned i = 0; i < X86_NR_SEGS; i++)
        regs.seg_base[i] = segs[i]->base;
    for (unsigned i = 0; i < 16; i++)
        regs.gpr[i] = gpr_get(v, i);

    uint64_t rcx_before = regs.gpr[X86_REG_RCX];
    hvm_ioreq_emul_begin(&v->arch.svm->ioreq);
    int rc = x86_emulate(&c);
    /* A REP that committed iterations before it stopped for a device model has spent
     * the answers those took: the next pass starts at the next element. Only a REP
     * commits before its end, and each iteration counts rCX down. */
    hvm_ioreq_emul_end(&v->arch.svm->ioreq,
                       rc == X86EMUL_RETRY && regs.gpr[X86_REG_RCX] != rcx_before);
    TRACE_VCPU(TRC_HVM_EMUL, v, (uint64_t)c.insn.opcode << 16 | c.insn.op << 8 | (unsigned)rc,
               g->rip);
    switch (rc) {
    case X86EMUL_OKAY:
    case X86EMUL_RETRY:                 /* REP progress committed; RIP stays */
        for (unsigned i = 0; i < 16; i++)
            gpr_set(v, i, regs.gpr[i]);
        g->rip = regs.rip;
        g->rflags = regs.rflags;
        break;
    case X86EMUL_EXCEPTION:
        if (c.fault.vector == X86_EXC_PF)
            g->cr2 = c.fault.cr2;       /* injection does not write CR2 */
        svm_inject_exception(v, c.fault.vector,
                             c.fault.has_error_code ? (int)c.fault.error_code : -1);
        break;
    default:
        if (!e.crashed)
            svm_crash(v, "an instruction the emulator does not execute touched a device");
    }
}

/* The nested-fault hook: an access to the LAPIC or IOAPIC window is emulated, and so
 * is any other address outside RAM when the domain has a device model (issue 11);
 * without one it stays fatal (svm_exit_npf). */
static bool svm_mmio_npf(struct vcpu *v, uint64_t gpa, uint64_t err)
{
    (void)err;
    if (!hvm_platform_present(v))
        return false;
    if (!hvm_platform_window(gpa) &&
        (!hvm_ioreq_active(v->domain) || ram_at(v->domain, gpa, false)))
        return false;
    svm_emulate(v);
    return true;
}

int svm_mmio_init(void)
{
    return svm_npf_register(svm_mmio_npf);
}
