/* Device-model requests of HVM vCPUs (include/hvlab/x86/hvm_ioreq.h,
 * public/hvm_ioreq.h, docs/device-model.md).
 *
 * Design. A vCPU posts a request into its slot of the server's page, raises its
 * port in the device model's domain and goes back to svm_vcpu_loop, which calls
 * hvm_ioreq_resume before every entry while the request is in flight: the answer is
 * taken when the slot says RESP_READY, else the vCPU blocks again (VPF_blocked, the
 * HLT pattern: the flag is set before the slot is looked at, and the device model's
 * send kicks the vCPU, so no answer is missed; other kicks only make it look again).
 * The hypervisor keeps its own copy of each request and checks the answered slot
 * against it field by field: the page is writable by the device model, so nothing
 * in it but `data` (and only for a read of a value) is ever used.
 *
 * Locking. d->ioreq changes only in ioreq_domctl.c with every vCPU of d paused, or at
 * destroy with every vCPU off its pCPU; a running vCPU reads it without a lock. Each
 * vCPU's struct hvm_ioreq_vcpu is its own pCPU's. The port callback runs under the
 * device model's event_lock and only kicks the vCPU; evtchn_xen_free (under the same
 * lock) ends callbacks before the server is freed.
 *
 * Limitations. One device model per domain, serving every unclaimed port and MMIO
 * address. A string I/O element that straddles a page end crashes the domain (one
 * request names one guest page). No request timeout: a device model that never
 * answers keeps the vCPU blocked (the domain can still be destroyed). */
#include <hvlab/domain.h>
#include <hvlab/errno.h>
#include <hvlab/event.h>
#include <hvlab/lib.h>
#include <hvlab/printk.h>
#include <hvlab/sched.h>
#include <hvlab/trace.h>
#include <hvlab/x86/hvm_ioreq.h>
#include <hvlab/x86/svm.h>
#include "ioreq_priv.h"

static struct hvm_ioreq *ioreq_slot(struct vcpu *v)
{
    return &v->domain->ioreq->page->slot[v->vcpu_id];
}

/* Crash v's domain for what its device model or the guest did; prints one line. */
static int ioreq_crash(struct vcpu *v, const char *why)
{
    svm_crash(v, why);
    v->arch.svm->ioreq.wait = IOREQ_K_NONE;
    return IOREQ_FAILED;
}

/* Post *r for v: our copy first, then the slot, state last (release). */
static int ioreq_post(struct vcpu *v, struct hvm_ioreq *r, enum ioreq_kind kind)
{
    struct hvm_ioreq_server *s = v->domain->ioreq;
    struct hvm_ioreq_vcpu *iv = &v->arch.svm->ioreq;
    struct hvm_ioreq *slot = ioreq_slot(v);

    r->vcpu = (uint16_t)v->vcpu_id;
    r->seq = ++iv->seq;
    r->state = IOREQ_STATE_NONE;
    iv->req = *r;
    slot->addr = r->addr;
    slot->data = r->data;
    slot->count = r->count;
    slot->size = r->size;
    slot->dir = r->dir;
    slot->type = r->type;
    slot->data_is_ptr = r->data_is_ptr;
    slot->df = r->df;
    slot->vcpu = r->vcpu;
    slot->seq = r->seq;
    __atomic_store_n(&slot->state, IOREQ_STATE_READY, __ATOMIC_RELEASE);
    iv->wait = (uint8_t)kind;
    TRACE_VCPU(TRC_IO_FORWARD, v, r->addr,
               (uint64_t)r->type << 56 | (uint64_t)r->dir << 48 | (uint64_t)r->size << 40 |
               (uint64_t)r->data_is_ptr << 32 | r->count);
    evtchn_xen_raise(s->dm, s->port[v->vcpu_id], &s->ctx[v->vcpu_id]);
    return IOREQ_POSTED;
}

int hvm_ioreq_pio(struct vcpu *v, uint16_t port, unsigned size, bool write, uint64_t val,
                  uint64_t next_rip)
{
    if (!hvm_ioreq_active(v->domain))
        return IOREQ_NONE;
    struct hvm_ioreq r = { .addr = port, .data = write ? val : 0, .count = 1,
                           .size = (uint8_t)size, .dir = write ? IOREQ_WRITE : IOREQ_READ,
                           .type = IOREQ_TYPE_PIO };
    v->arch.svm->ioreq.next_rip = next_rip;
    return ioreq_post(v, &r, IOREQ_K_PIO);
}

/* An emulated access: the next answer of the replay list if there is one (it must be
 * this very access), else a new request. */
static int ioreq_emul(struct vcpu *v, struct hvm_ioreq *r, uint64_t *answer)
{
    struct hvm_ioreq_vcpu *iv = &v->arch.svm->ioreq;

    if (!hvm_ioreq_active(v->domain))
        return IOREQ_NONE;
    if (iv->replay < iv->nr_done) {
        const struct hvm_ioreq *d = &iv->done[iv->replay];
        if (d->addr != r->addr || d->size != r->size || d->dir != r->dir ||
            d->type != r->type || d->count != r->count || d->data_is_ptr != r->data_is_ptr ||
            (r->data_is_ptr && d->data != r->data))
            return ioreq_crash(v, "the instruction under emulation changed while its "
                                  "device access was being served");
        iv->replay++;
        if (answer)
            *answer = d->data;
        return IOREQ_DONE;
    }
    if (iv->nr_done == IOREQ_REPLAY_MAX)
        return ioreq_crash(v, "more device accesses in one instruction than the "
                              "emulator replays");
    return ioreq_post(v, r, IOREQ_K_EMUL);
}

int hvm_ioreq_mmio(struct vcpu *v, uint64_t gpa, unsigned size, bool write, uint64_t *val)
{
    struct hvm_ioreq r = { .addr = gpa, .data = write ? *val : 0, .count = 1,
                           .size = (uint8_t)size, .dir = write ? IOREQ_WRITE : IOREQ_READ,
                           .type = IOREQ_TYPE_MMIO };
    uint64_t answer;
    int rc = ioreq_emul(v, &r, &answer);

    if (rc == IOREQ_DONE && !write)
        *val = answer;
    return rc;
}

int hvm_ioreq_string(struct vcpu *v, uint16_t port, unsigned size, bool in, uint64_t gpa,
                     uint32_t count, bool df)
{
    struct hvm_ioreq r = { .addr = port, .data = gpa, .count = count, .size = (uint8_t)size,
                           .dir = in ? IOREQ_READ : IOREQ_WRITE, .type = IOREQ_TYPE_PIO,
                           .data_is_ptr = 1, .df = df };
    return ioreq_emul(v, &r, NULL);
}

/* The answer in the slot, checked against our copy: true and *ans, or the domain is
 * crashed. */
static bool ioreq_take_answer(struct vcpu *v, struct hvm_ioreq *ans)
{
    const struct hvm_ioreq *q = &v->arch.svm->ioreq.req;
    struct hvm_ioreq *slot = ioreq_slot(v);

    *ans = *slot;                       /* one copy: the page may change under us */
    if (ans->addr != q->addr || ans->size != q->size || ans->count != q->count ||
        ans->dir != q->dir || ans->type != q->type || ans->data_is_ptr != q->data_is_ptr ||
        ans->df != q->df || ans->seq != q->seq) {
        pr_err("domain %u: device model answered a request it was not given (addr "
               "%#llx size %u count %u, asked addr %#llx size %u count %u)\n",
               v->domain->domain_id, (unsigned long long)ans->addr, ans->size, ans->count,
               (unsigned long long)q->addr, q->size, q->count);
        ioreq_crash(v, "the device model's answer does not match the request");
        return false;
    }
    if (q->data_is_ptr || q->dir == IOREQ_WRITE)
        ans->data = q->data;            /* nothing of the device model's to take */
    else if (q->size < 8)
        ans->data &= (1ull << (8 * q->size)) - 1;
    __atomic_store_n(&slot->state, IOREQ_STATE_NONE, __ATOMIC_RELEASE);
    return true;
}

/* A plain IN/OUT finishes as svm_exit_ioio would have finished it. */
static void ioreq_finish_pio(struct vcpu *v, uint64_t data)
{
    struct svm_vcpu *sv = v->arch.svm;
    const struct hvm_ioreq *q = &sv->ioreq.req;

    if (q->dir == IOREQ_READ) {
        uint64_t mask = q->size == 4 ? 0xffffffffull : (1ull << (8 * q->size)) - 1;
        sv->vmcb->save.rax = q->size == 4 ? (data & mask)
                                          : (sv->vmcb->save.rax & ~mask) | (data & mask);
    }
    sv->vmcb->save.rip = sv->ioreq.next_rip;
    svm_intr_completed(v);
}

/* The request ends with data (the answer, or all ones when the device model went
 * away): a plain IN/OUT completes, an emulated instruction runs again. */
static void ioreq_complete(struct vcpu *v, const struct hvm_ioreq *ans)
{
    struct hvm_ioreq_vcpu *iv = &v->arch.svm->ioreq;
    enum ioreq_kind kind = iv->wait;

    iv->wait = IOREQ_K_NONE;
    TRACE_VCPU(TRC_IO_COMPLETE, v, ans->addr, ans->data);
    if (kind == IOREQ_K_PIO) {
        ioreq_finish_pio(v, ans->data);
        return;
    }
    iv->done[iv->nr_done++] = *ans;
    uint64_t rip = v->arch.svm->vmcb->save.rip;
    svm_emulate(v);
    if (v->arch.svm->vmcb->save.rip != rip)
        svm_intr_completed(v);
}

bool hvm_ioreq_resume(struct vcpu *v)
{
    struct hvm_ioreq_vcpu *iv = &v->arch.svm->ioreq;
    struct hvm_ioreq ans;

    if (!hvm_ioreq_active(v->domain)) {         /* the device model went away */
        ans = iv->req;
        ans.data = iv->req.dir == IOREQ_READ && !iv->req.data_is_ptr ? ~0ull : iv->req.data;
        if (iv->req.size < 8 && !iv->req.data_is_ptr)
            ans.data &= (1ull << (8 * iv->req.size)) - 1;
        ioreq_complete(v, &ans);
        return iv->wait == IOREQ_K_NONE;
    }
    struct hvm_ioreq *slot = ioreq_slot(v);
    __atomic_or_fetch(&v->pause_flags, 1UL << VPF_blocked, __ATOMIC_SEQ_CST);
    uint8_t st = __atomic_load_n(&slot->state, __ATOMIC_ACQUIRE);
    if (st == IOREQ_STATE_READY || st == IOREQ_STATE_INPROCESS) {
        vcpu_block_current();           /* the device model's send kicks us */
        return false;
    }
    __atomic_and_fetch(&v->pause_flags, ~(1UL << VPF_blocked), __ATOMIC_SEQ_CST);
    if (st != IOREQ_STATE_RESP_READY) {
        pr_err("domain %u: vCPU%u's request slot in state %u\n", v->domain->domain_id,
               v->vcpu_id, st);
        ioreq_crash(v, "the device model left a request slot in an undefined state");
        return false;
    }
    if (!ioreq_take_answer(v, &ans))
        return false;
    ioreq_complete(v, &ans);
    return iv->wait == IOREQ_K_NONE;
}
