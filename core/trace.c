/* Trace rings. Each pCPU has its own ring (single producer: that pCPU), a control
 * page followed by a power-of-two array of 32-byte records (include/public/trace.h).
 * The rings are frames of the pseudo-domain dom_xen, so that dom0's collector can map
 * them read-only (never writable: shared read-only, domain_share_frame) and read records while
 * domains run; it reports what it consumed with TRACEOP_consume.
 *
 * A full ring drops the record and counts it; the next record that fits is preceded
 * by a TRC_LOST record carrying the count. Nothing is lost silently.
 *
 * The stream to the host: dom0 writes what it collected with TRACEOP_stream, and the
 * hypervisor appends it to a shared-memory region (QEMU ivshmem-plain backed by a
 * host file): bytes 0-7 "HVSHM001", 8-15 the stream length, the stream from 4096 on.
 *
 * Locking: a ring is written only by its pCPU with interrupts off; cons is advanced
 * by TRACEOP_consume (any CPU) and read by the producer, both atomically. The stream
 * region has one writer at a time, claimed with stream_busy (not a spinlock: the
 * copy reaches preemption points, and a waiter would spin while the writer is
 * switched out); a second writer meanwhile gets -EBUSY (dom0's collector is the
 * only writer, on one vCPU, so it never sees it). trace_mask is written by
 * TRACEOP_set_mask / start / stop and read everywhere without a lock (a stale read
 * costs one record). */
#include <hvlab/boot.h>
#include <hvlab/cmdline.h>
#include <hvlab/domain.h>
#include <hvlab/errno.h>
#include <hvlab/guest_access.h>
#include <hvlab/hypercall.h>
#include <hvlab/mm.h>
#include <hvlab/pci.h>
#include <hvlab/percpu.h>
#include <hvlab/printk.h>
#include <hvlab/timer.h>
#include <hvlab/pv_mm.h>
#include <hvlab/time.h>
#include <hvlab/topology.h>
#include <hvlab/trace.h>
#include <hvlab/x86/regs.h>

#define IVSHMEM_VENDOR 0x1af4
#define IVSHMEM_DEVICE 0x1110
#define SHM_MAGIC "HVSHM001"
#define SHM_DATA 4096

uint32_t trace_mask;
static uint32_t class_mask = TRC_MASK_ALL;      /* classes traced while started */

static unsigned opt_ring_records = 32768;
boot_param_uint("trace_ring", opt_ring_records, "records per pCPU trace ring (a power of two)");
static unsigned opt_trace_mask = TRC_MASK_ALL;
boot_param_uint("trace_mask", opt_trace_mask, "trace classes (bit per class, see trace.h)");
static bool opt_trace_boot;
boot_param_bool("trace", opt_trace_boot, "start tracing at boot");

struct trace_ring {
    struct trace_ring_ctl *ctl;
    struct trace_record *rec;
    uint64_t lost;                      /* drops not yet reported by a TRC_LOST */
    uint64_t first_lost_tsc;
    struct page_info *pages;            /* the records */
    struct page_info *ctl_page;
};
static struct trace_ring rings[NR_CPUS];
static unsigned ring_records, ring_order;

/* dom_xen: owns frames the hypervisor shares read-only with dom0. */
static struct domain dom_xen_storage = { .domain_id = DOMID_XEN, .name = "Xen" };
struct domain *dom_xen = &dom_xen_storage;

/* The stream region: set once at boot. Its length word (shm + 8) and the bytes past
 * it are written only by the holder of stream_busy. */
static bool stream_busy;
static uint8_t *shm;
static uint64_t shm_size;
/* Bytes copied between two preemption points: under icount a rep movsb into the
 * ivshmem BAR took milliseconds for 64 KiB (issue 9). */
#define STREAM_PIECE 512

/* ---- producing ---- */

static void ring_put(struct trace_ring *r, const struct trace_record *rec)
{
    uint64_t prod = r->ctl->prod;
    r->rec[prod & (ring_records - 1)] = *rec;
    __atomic_store_n(&r->ctl->prod, prod + 1, __ATOMIC_RELEASE);
}

/* The full-ring path, out of line: count the drop, or report earlier drops first. */
static __attribute__((noinline)) void trace_slow(struct trace_ring *r,
                                                 const struct trace_record *rec)
{
    uint64_t used = r->ctl->prod - __atomic_load_n(&r->ctl->cons, __ATOMIC_ACQUIRE);
    if (used + (r->lost ? 2 : 1) > ring_records) {
        if (!r->lost++)
            r->first_lost_tsc = rec->tsc;
        r->ctl->lost++;
        return;
    }
    if (r->lost) {
        struct trace_record lost = { rec->tsc, TRC_LOST, TRACE_DOM_NONE, 0,
                                     { r->lost, r->first_lost_tsc } };
        ring_put(r, &lost);
        r->lost = 0;
    }
    ring_put(r, rec);
}

/* The hot path: interrupts masked inline, the record written in place. */
static inline void trace_put(uint32_t event, uint16_t domid, uint16_t vcpuid,
                             uint64_t d0, uint64_t d1)
{
    unsigned long f;
    __asm__ volatile("pushf; pop %0; cli" : "=r"(f) :: "memory");
    struct trace_ring *r = &rings[smp_processor_id()];
    struct trace_ring_ctl *ctl = r->ctl;
    if (likely(ctl)) {
        uint64_t prod = ctl->prod;
        if (likely(!r->lost && prod - __atomic_load_n(&ctl->cons, __ATOMIC_RELAXED) <
                   ring_records)) {
            struct trace_record *rec = &r->rec[prod & (ring_records - 1)];
            rec->tsc = rdtsc();
            rec->event = event;
            rec->domid = domid;
            rec->vcpuid = vcpuid;
            rec->data[0] = d0;
            rec->data[1] = d1;
            __atomic_store_n(&ctl->prod, prod + 1, __ATOMIC_RELEASE);
        } else {
            struct trace_record rec = { rdtsc(), event, domid, vcpuid, { d0, d1 } };
            trace_slow(r, &rec);
        }
    }
    if (f & (1UL << 9))
        __asm__ volatile("sti" ::: "memory");
}

void trace_emit(uint32_t event, uint16_t domid, uint16_t vcpuid, uint64_t d0, uint64_t d1)
{
    trace_put(event, domid, vcpuid, d0, d1);
}

void trace_emit_vcpu(uint32_t event, const struct vcpu *v, uint64_t d0, uint64_t d1)
{
    if (v->domain)
        trace_put(event, v->domain->domain_id, (uint16_t)v->vcpu_id, d0, d1);
    else
        trace_put(event, TRACE_DOM_IDLE, (uint16_t)v->processor, d0, d1);
}

/* ---- setting up ---- */

static void trace_find_shm(void)
{
    paddr_t base;
    uint64_t size;
    if (!pci_find_bar(IVSHMEM_VENDOR, IVSHMEM_DEVICE, 2, &base, &size)) {
        pr_info("trace: no ivshmem device: no trace stream to the host\n");
        return;
    }
    if (base + size > DIRECTMAP_SIZE || size < 2 * SHM_DATA) {
        pr_warn("trace: ivshmem region at %#lx (%lu KiB) unusable\n", base, size >> 10);
        return;
    }
    paging_map_mmio(base, size);
    shm = __va(base);
    shm_size = size;
    memcpy(shm, SHM_MAGIC, 8);
    *(volatile uint64_t *)(shm + 8) = 0;
    pr_info("trace: stream region %lu MiB at %#lx\n", size >> 20, base);
}

/* Tracing cannot be had: give back every ring already allocated (nothing maps them
 * yet), so that a machine too small for its pCPUs' rings keeps its memory. */
static void trace_rings_free(void)
{
    unsigned c;
    for_each_cpu(c, &cpu_online_map) {
        if (!rings[c].pages)
            continue;
        for (unsigned long i = 0; i < (1UL << ring_order); i++)
            domain_unshare_frame(&rings[c].pages[i]);
        domain_unshare_frame(rings[c].ctl_page);
        rings[c] = (struct trace_ring){ 0 };
    }
}

void trace_init(void)
{
    unsigned c;
    if (opt_ring_records < 64 || (opt_ring_records & (opt_ring_records - 1))) {
        pr_err("trace: trace_ring=%u is not a power of two >= 64: using 32768\n",
               opt_ring_records);
        opt_ring_records = 32768;
    }
    ring_records = opt_ring_records;
    uint64_t pages = (uint64_t)ring_records * sizeof(struct trace_record) / PAGE_SIZE;
    while ((1UL << ring_order) < pages)
        ring_order++;
    spin_lock_init(&dom_xen->page_lock);
    list_init(&dom_xen->page_list);
    for_each_cpu(c, &cpu_online_map) {
        struct page_info *pg = alloc_frames(ring_order, per_cpu(c)->node, MEMF_ZERO);
        struct page_info *ctl = alloc_frames(0, per_cpu(c)->node, MEMF_ZERO);
        if (!pg || !ctl) {
            if (pg)
                free_frames(pg, ring_order);
            if (ctl)
                free_frames(ctl, 0);
            trace_rings_free();
            pr_err("trace: no memory for CPU%u's ring (%lu KiB each): tracing disabled, "
                   "rings freed; a smaller trace_ring= fits\n", c, (PAGE_SIZE << ring_order) >> 10);
            return;
        }
        for (unsigned long i = 0; i <= (1UL << ring_order); i++) {
            struct page_info *p = i < (1UL << ring_order) ? &pg[i] : ctl;
            domain_share_frame(p, dom_xen, false);
        }
        rings[c].pages = pg;
        rings[c].ctl_page = ctl;
        rings[c].ctl = page_to_virt(ctl);
        rings[c].rec = page_to_virt(pg);
    }
    class_mask = opt_trace_mask & TRC_MASK_ALL;
    trace_find_shm();
    pr_info("trace: %u records per pCPU ring (%lu KiB), classes %#x%s\n", ring_records,
            (PAGE_SIZE << ring_order) >> 10, class_mask, opt_trace_boot ? ", started" : "");
    if (opt_trace_boot)
        trace_mask = class_mask | (1u << TRC_CLS_META);
}

/* ---- trace_op ---- */

/* Appends straight from dom0's buffer into the shared region, STREAM_PIECE bytes at
 * a time with a preemption point after each, and publishes the new length only once
 * all of it is there: the host never sees part of a write, and a fault leaves the
 * stream as it was. Called only from hypercalls (interrupts on). */
static long trace_stream_append(const struct trace_stream_write *w)
{
    long rc = 0;

    if (!shm)
        return -ENODEV;
    if (__atomic_exchange_n(&stream_busy, true, __ATOMIC_ACQUIRE))
        return -EBUSY;
    uint64_t len = *(volatile uint64_t *)(shm + 8);
    /* Written so that no sum can wrap, whatever len and w->len hold. */
    if (len > shm_size - SHM_DATA || w->len > shm_size - SHM_DATA - len)
        rc = -ENOSPC;                   /* the collector reports it: never silent */
    for (uint64_t done = 0; rc == 0 && done < w->len;) {
        uint64_t n = MIN((uint64_t)STREAM_PIECE, w->len - done);
        if (copy_from_guest(shm + SHM_DATA + len + done, w->buf + done, n))
            rc = -EFAULT;
        done += n;
        hypercall_preempt();            /* dom0 only: never destroyed with the claim */
    }
    if (rc == 0)
        __atomic_store_n((uint64_t *)(shm + 8), len + w->len, __ATOMIC_RELEASE);
    __atomic_store_n(&stream_busy, false, __ATOMIC_RELEASE);
    return rc;
}

long do_trace_op(uint64_t cmd, uint64_t arg)
{
    if (!current->domain->is_privileged)
        return -EPERM;
    switch (cmd) {
    case TRACEOP_info: {
        struct trace_info ti;
        unsigned c;
        memset(&ti, 0, sizeof(ti));
        ti.nr_cpus = nr_cpus_online;
        ti.ring_records = ring_records;
        ti.ring_pages = 1u << ring_order;
        for_each_cpu(c, &cpu_online_map)
            if (rings[c].pages && c < ARRAY_SIZE(ti.ring_mfn)) {
                ti.ring_mfn[c] = page_to_mfn(rings[c].pages);
                ti.ctl_mfn[c] = page_to_mfn(rings[c].ctl_page);
            }
        ti.enabled = trace_mask != 0;
        ti.class_mask = class_mask;
        ti.tsc_khz = tsc_khz;
        ti.flags = timer_icount_mode() ? TRACE_FLAG_DETERMINISTIC : 0;
        return copy_to_guest(arg, &ti, sizeof(ti)) ? -EFAULT : 0;
    }
    case TRACEOP_set_mask:
        class_mask = (uint32_t)arg & TRC_MASK_ALL;
        if (trace_mask)
            trace_mask = class_mask | (1u << TRC_CLS_META);
        return 0;
    case TRACEOP_start: {
        /* Drops still unreported belong to the previous run (its collector counted
         * them from ctl->lost): do not charge them to this one. */
        unsigned c;
        for_each_cpu(c, &cpu_online_map)
            rings[c].lost = 0;
        trace_mask = class_mask | (1u << TRC_CLS_META);
        TRACE(TRC_MARKER, TRACE_DOM_NONE, 0, 1, 0);
        return 0;
    }
    case TRACEOP_stop:
        TRACE(TRC_MARKER, TRACE_DOM_NONE, 0, 2, 0);
        trace_mask = 0;
        return 0;
    case TRACEOP_consume: {
        struct trace_consume tc;
        if (copy_from_guest(&tc, arg, sizeof(tc)))
            return -EFAULT;
        if (tc.cpu >= NR_CPUS || !rings[tc.cpu].ctl)
            return -EINVAL;
        struct trace_ring_ctl *ctl = rings[tc.cpu].ctl;
        uint64_t cons = __atomic_load_n(&ctl->cons, __ATOMIC_ACQUIRE);
        if (tc.cons < cons || tc.cons > __atomic_load_n(&ctl->prod, __ATOMIC_ACQUIRE))
            return -EINVAL;
        __atomic_store_n(&ctl->cons, tc.cons, __ATOMIC_RELEASE);
        return 0;
    }
    case TRACEOP_stream: {
        struct trace_stream_write w;
        if (copy_from_guest(&w, arg, sizeof(w)))
            return -EFAULT;
        return trace_stream_append(&w);
    }
    }
    return -ENOSYS;
}
