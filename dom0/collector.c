/* The trace collector; see collector.h.
 *
 * Design. TRACEOP_info names each pCPU's control page and its contiguous record
 * frames; all of them are frames of DOMID_XEN, mapped here read-only with batched
 * mmu_updates (foreign.h; foreigndom = DOMID_XEN: the hypervisor refuses a writable
 * entry).
 * Only dom0 consumes, so each ring's consumer index is kept here too. A drain reads
 * prod with acquire semantics, copies records [cons, prod) (index = n % ring size,
 * so a run may wrap to the ring's start) into a 64 KiB staging buffer as chunks
 * (struct trace_chunk_header + records of one pCPU), and flushes the buffer whenever
 * it is full and at the end of the drain. A flush is one multicall: TRACEOP_stream
 * of the buffer, then TRACEOP_consume for every ring read since the last flush
 * (records copied out are safe: the producer never overwrites [cons, prod)).
 * Drains run every period (10 ms by default) from dom0's waits, and once more after
 * TRACEOP_stop, before the end chunk.
 *
 * Failures are loud: a stream the host region cannot take (-ENOSPC) is reported at
 * once, the records read afterwards are counted as unstreamed, and stop fails.
 *
 * Locking: none; dom0 runs the toolstack on one vCPU, outside event handlers.
 *
 * Limitations: a second `trace start` appends a second stream (header ... end chunk)
 * after the first in the host region: the ABI cannot rewind it. The rings' page
 * tables are dom0's and stay allocated (guest/mm.c never frees tables). */
#include "collector.h"
#include "dom0.h"
#include "foreign.h"
#include "strutil.h"
#include "trace_args.h"

#define MAX_CPUS     64                 /* struct trace_info's arrays */
#define STAGE_PAGES  16                 /* 64 KiB per TRACEOP_stream */
#define STAGE_BYTES  (STAGE_PAGES * PAGE_SIZE)
#define CHUNK_MIN    64                 /* fewer records of room: flush first */
#define REC_SIZE     sizeof(struct trace_record)
#define CHUNK_HDR    sizeof(struct trace_chunk_header)

struct ring {
    const struct trace_ring_ctl *ctl;   /* mapped read-only */
    const struct trace_record *rec;
    uint64_t cons;                      /* ours: we are the only consumer */
    uint64_t lost_base;                 /* ctl->lost at start */
    bool dirty;                         /* cons moved since the last flush */
};

static struct {
    bool active;
    struct trace_info info;
    struct ring ring[MAX_CPUS];
    unsigned nr_cpus;
    uint64_t period_ns, next_drain, start_ns;
    uint8_t *stage;
    size_t used;                        /* bytes in stage */
    uint64_t stage_records;
    long stream_err;                    /* first stream failure, 0 if none */
    struct collector_stats st;
} col;

static inline long trace_op(unsigned cmd, const void *arg)
{
    return hv_trace_op(cmd, (uint64_t)(uintptr_t)arg, 0);
}

/* ---- mapping the rings ---- */

static uint64_t ring_va(unsigned cpu)
{
    return COLLECTOR_REC_VA + (uint64_t)cpu * col.info.ring_pages * PAGE_SIZE;
}

/* Maps (read-only) or unmaps the rings of CPUs [0, nr). */
static int rings_map(unsigned nr, bool map)
{
    static struct foreign_batch b;
    int rc = 0;

    foreign_batch_init(&b, map ? DOMID_XEN : DOMID_SELF);
    for (unsigned c = 0; c < nr && !rc; c++) {
        rc = foreign_batch_add(&b, COLLECTOR_CTL_VA + c * PAGE_SIZE,
                               map ? col.info.ctl_mfn[c] : FOREIGN_UNMAP, false);
        for (uint64_t p = 0; p < col.info.ring_pages && !rc; p++)
            rc = foreign_batch_add(&b, ring_va(c) + p * PAGE_SIZE,
                                   map ? col.info.ring_mfn[c] + p : FOREIGN_UNMAP, false);
    }
    if (!rc)
        rc = foreign_batch_flush(&b);
    for (unsigned c = 0; c < nr && map && !rc; c++) {
        col.ring[c].ctl = (const void *)(uintptr_t)(COLLECTOR_CTL_VA + c * PAGE_SIZE);
        col.ring[c].rec = (const void *)(uintptr_t)ring_va(c);
    }
    return rc;
}

static void rings_unmap(void)
{
    int rc = rings_map(col.nr_cpus, false);

    if (rc)
        printf("trace: unmapping the rings failed (%s)\n", str_errno(rc));
    for (unsigned c = 0; c < col.nr_cpus; c++)
        col.ring[c].ctl = NULL, col.ring[c].rec = NULL;
}

/* ---- streaming ---- */

static void stream_failed(long rc)
{
    if (col.stream_err)
        return;
    col.stream_err = rc;
    if (rc == -ENOSPC)
        printf("trace: host stream full after %llu bytes: records lost\n",
               (unsigned long long)col.st.bytes);
    else
        printf("trace: stream write failed (%s) after %llu bytes: records lost\n",
               str_errno((int)rc), (unsigned long long)col.st.bytes);
}

static void mc_trace_op(struct multicall_entry *e, unsigned cmd, const void *arg)
{
    memset(e, 0, sizeof(*e));
    e->op = HYPERVISOR_trace_op;
    e->args[0] = cmd;
    e->args[1] = (uint64_t)(uintptr_t)arg;
}

/* Makes the n calls; stream_at: the index of the stream write among them, or -1. */
static void mc_run(struct multicall_entry *mc, unsigned n, int stream_at, uint64_t len)
{
    long rc = hv_multicall(mc, n);

    for (unsigned i = 0; i < n; i++) {
        long r = rc < 0 ? rc : mc[i].result;
        if ((int)i == stream_at) {
            col.st.writes++;
            if (r < 0)
                stream_failed(r);
            else
                col.st.bytes += len;
        } else if (r < 0) {
            printf("trace: consume on CPU %u failed (%s)\n",
                   ((const struct trace_consume *)(uintptr_t)mc[i].args[1])->cpu,
                   str_errno((int)r));
        }
    }
}

/* One multicall: the staging buffer to the host, then the consumer indexes of the
 * rings read since the last flush. */
static void flush(void)
{
    static struct multicall_entry mc[MULTICALL_MAX];
    static struct trace_consume tc[MAX_CPUS];
    struct trace_stream_write w = { (uint64_t)(uintptr_t)col.stage, col.used };
    unsigned n = 0;
    int stream_at = -1;

    if (col.used && !col.stream_err) {
        mc_trace_op(&mc[n], TRACEOP_stream, &w);
        stream_at = (int)n++;
    }
    for (unsigned c = 0; c < col.nr_cpus; c++) {
        if (!col.ring[c].dirty)
            continue;
        tc[c] = (struct trace_consume){ .cpu = c, .cons = col.ring[c].cons };
        mc_trace_op(&mc[n++], TRACEOP_consume, &tc[c]);
        col.ring[c].dirty = false;
        if (n == MULTICALL_MAX) {
            mc_run(mc, n, stream_at, col.used);
            n = 0;
            stream_at = -1;
        }
    }
    if (n)
        mc_run(mc, n, stream_at, col.used);
    if (col.stream_err)
        col.st.unstreamed += col.stage_records;
    col.used = 0;
    col.stage_records = 0;
}

static void stage_chunk_header(uint16_t cpu, uint32_t nr)
{
    struct trace_chunk_header h = { TRACE_CHUNK_MAGIC, cpu, 0, nr, 0 };

    memcpy(col.stage + col.used, &h, sizeof(h));
    col.used += sizeof(h);
}

/* Copies records [r->cons, r->cons + n) into the staging buffer. The index of
 * record number i is i % ring_records: the copy wraps to the ring's start. */
static void stage_records(const struct ring *r, uint64_t n)
{
    uint64_t size = col.info.ring_records, idx = r->cons & (size - 1);
    uint64_t first = MIN(n, size - idx);
    struct trace_record *out = (struct trace_record *)(col.stage + col.used);

    memcpy(out, &r->rec[idx], first * REC_SIZE);
    memcpy(out + first, &r->rec[0], (n - first) * REC_SIZE);
    for (uint64_t i = 0; i < n; i++)
        if (out[i].event == TRC_LOST)
            col.st.lost_reported += out[i].data[0];
    col.used += n * REC_SIZE;
    col.stage_records += n;
}

static void drain_ring(unsigned cpu)
{
    struct ring *r = &col.ring[cpu];
    uint64_t prod = __atomic_load_n(&r->ctl->prod, __ATOMIC_ACQUIRE);
    uint64_t n = prod - r->cons;

    if (n > col.info.ring_records) {
        /* Someone else consumed, or the ring was reset: resynchronise, say so. */
        uint64_t cons = __atomic_load_n(&r->ctl->cons, __ATOMIC_ACQUIRE);
        printf("trace: CPU %u: %llu records pending in a ring of %u: resynchronising "
               "at %llu\n", cpu, (unsigned long long)n, col.info.ring_records,
               (unsigned long long)cons);
        r->cons = cons;
        n = prod - cons;
        if (n > col.info.ring_records)
            return;
    }
    col.st.high_water = MAX(col.st.high_water, n);
    while (n) {
        uint64_t room = col.used + CHUNK_HDR < STAGE_BYTES ?
                        (STAGE_BYTES - col.used - CHUNK_HDR) / REC_SIZE : 0;
        if (room < MIN(n, CHUNK_MIN)) {
            flush();                    /* no tiny chunks: they cost 16 bytes each */
            continue;
        }
        uint64_t k = MIN(n, room);
        stage_chunk_header((uint16_t)cpu, (uint32_t)k);
        stage_records(r, k);
        r->cons += k;
        r->dirty = true;
        n -= k;
        col.st.records += k;
    }
}

static void drain(void)
{
    uint64_t t0 = guest_now_ns();

    for (unsigned c = 0; c < col.nr_cpus; c++)
        drain_ring(c);
    flush();
    col.st.drains++;
    col.st.busy_ns += guest_now_ns() - t0;
}

/* ---- the commands' side ---- */

static int stage_alloc(void)
{
    if (!col.stage)
        col.stage = alloc_pages(STAGE_PAGES);
    return col.stage ? 0 : -ENOMEM;
}

static void header_fill(struct trace_stream_header *h)
{
    static struct sysctl op;

    memset(h, 0, sizeof(*h));
    memcpy(h->magic, TRACE_STREAM_MAGIC, sizeof(h->magic));
    h->version = TRACE_FORMAT_VERSION;
    h->header_size = sizeof(*h);
    h->record_size = REC_SIZE;
    h->nr_cpus = col.nr_cpus;
    h->tsc_khz = col.info.tsc_khz;
    h->class_mask = col.info.class_mask | (1u << TRC_CLS_META);
    h->ring_records = col.info.ring_records;
    h->flags = col.info.flags;  /* TRACE_FLAG_DETERMINISTIC: the TSC counts instructions */
    memset(&op, 0, sizeof(op));
    if (xl_sysctl(SYSCTL_physinfo, &op) >= 0)
        str_copy(h->sched, sizeof(h->sched), op.u.physinfo.sched_name,
                 strnlen(op.u.physinfo.sched_name, sizeof(op.u.physinfo.sched_name)));
    h->start_tsc = rdtsc();
}

/* Rings left with records from before this run (a record written while the last
 * run stopped) are skipped, unless tracing is already on (the boot option `trace`):
 * then what is there belongs to this run. */
static void rings_attach(bool keep_pending)
{
    uint64_t skipped = 0;

    for (unsigned c = 0; c < col.nr_cpus; c++) {
        struct ring *r = &col.ring[c];
        uint64_t prod = __atomic_load_n(&r->ctl->prod, __ATOMIC_ACQUIRE);

        r->cons = __atomic_load_n(&r->ctl->cons, __ATOMIC_ACQUIRE);
        r->lost_base = __atomic_load_n(&r->ctl->lost, __ATOMIC_RELAXED);
        r->dirty = false;
        if (!keep_pending && prod != r->cons) {
            skipped += prod - r->cons;
            r->cons = prod;
            r->dirty = true;
        }
    }
    if (skipped)
        printf("trace: skipped %llu records left from before this run\n",
               (unsigned long long)skipped);
}

/* TRACEOP_info into col.info, checked: 0 or -errno after saying why. */
static int info_get(void)
{
    long rc = trace_op(TRACEOP_info, &col.info);

    if (rc < 0) {
        printf("trace start: TRACEOP_info failed (%s)\n", str_errno((int)rc));
        return (int)rc;
    }
    if (col.info.nr_cpus > MAX_CPUS) {
        printf("trace start: %u pCPUs, the collector handles %u\n", col.info.nr_cpus,
               MAX_CPUS);
        return -E2BIG;
    }
    for (unsigned c = 0; c < col.info.nr_cpus; c++)
        if (!col.info.ctl_mfn[c] || !col.info.ring_mfn[c]) {
            printf("trace start: the hypervisor has no trace ring for CPU %u\n", c);
            return -ENODEV;
        }
    if (!col.info.nr_cpus || !col.info.ring_records) {
        puts("trace start: the hypervisor has no trace rings");
        return -ENODEV;
    }
    return 0;
}

int collector_start(bool set_mask, uint32_t mask, unsigned period_ms)
{
    static struct trace_stream_header h;
    char names[96];
    long rc;

    if (col.active) {
        puts("trace start: already tracing (trace stop first)");
        return -EBUSY;
    }
    if ((rc = info_get()) < 0)
        return (int)rc;
    if ((rc = stage_alloc()) < 0) {
        puts("trace start: no memory for the staging buffer");
        return (int)rc;
    }
    if (set_mask) {
        if ((rc = hv_trace_op(TRACEOP_set_mask, mask, 0)) < 0) {
            printf("trace start: TRACEOP_set_mask failed (%s)\n", str_errno((int)rc));
            return (int)rc;
        }
        col.info.class_mask = mask & TRC_MASK_ALL;
    }
    col.nr_cpus = col.info.nr_cpus;
    if ((rc = rings_map(col.nr_cpus, true)) < 0) {
        printf("trace start: mapping the rings failed (%s)%s\n", str_errno((int)rc),
               rc == -ENOSPC ? ": dom0 has no page tables left for them (guest/mm.c "
               "makes 64 at most; 1 maps 2 MiB): boot with a smaller trace_ring" : "");
        rings_unmap();
        return (int)rc;
    }
    memset(&col.st, 0, sizeof(col.st));
    col.stream_err = 0;
    col.used = 0;
    col.stage_records = 0;
    rings_attach(col.info.enabled);
    header_fill(&h);
    struct trace_stream_write w = { (uint64_t)(uintptr_t)&h, sizeof(h) };
    if ((rc = trace_op(TRACEOP_stream, &w)) < 0) {
        if (rc == -ENODEV)
            puts("trace start: no trace stream to the host (QEMU has no ivshmem device)");
        else
            printf("trace start: writing the stream header failed (%s)\n",
                   str_errno((int)rc));
        rings_unmap();
        return (int)rc;
    }
    col.st.bytes = sizeof(h);
    col.st.writes = 1;
    if ((rc = trace_op(TRACEOP_start, NULL)) < 0) {
        printf("trace start: TRACEOP_start failed (%s)\n", str_errno((int)rc));
        rings_unmap();
        return (int)rc;
    }
    col.active = true;
    col.period_ns = (uint64_t)period_ms * 1000000;
    col.start_ns = guest_now_ns();
    col.next_drain = col.start_ns + col.period_ns;
    trace_mask_format((uint32_t)h.class_mask, names, sizeof(names));
    printf("trace: started: %u pCPUs, %u records per ring, drain every %u ms\n",
           col.nr_cpus, col.info.ring_records, period_ms);
    printf("trace: classes %#llx (%s)\n", (unsigned long long)h.class_mask, names);
    return 0;
}

static void summary(void)
{
    const struct collector_stats *s = &col.st;
    uint64_t ms = s->elapsed_ns / 1000000;

    printf("trace: %llu records, %llu lost, %llu bytes streamed\n",
           (unsigned long long)s->records, (unsigned long long)s->lost,
           (unsigned long long)s->bytes);
    printf("trace: %llu ms, %llu records/s, %llu lost/s, %llu drains, %llu stream "
           "writes, ring high water %llu/%u\n", (unsigned long long)ms,
           (unsigned long long)(s->records * 1000 / MAX(ms, 1)),
           (unsigned long long)(s->lost * 1000 / MAX(ms, 1)),
           (unsigned long long)s->drains, (unsigned long long)s->writes,
           (unsigned long long)s->high_water, col.info.ring_records);
    printf("trace: collector busy %llu us (%llu records/s while draining)\n",
           (unsigned long long)(s->busy_ns / 1000),
           (unsigned long long)(s->records * 1000000 / MAX(s->busy_ns / 1000, 1)));
    if (s->lost_reported != s->lost)
        printf("trace: TRC_LOST records account for %llu of the %llu lost\n",
               (unsigned long long)s->lost_reported, (unsigned long long)s->lost);
    if (s->unstreamed)
        printf("trace: %llu records not streamed (host stream full): trace incomplete\n",
               (unsigned long long)s->unstreamed);
}

static void lost_update(void)
{
    col.st.lost = 0;
    for (unsigned c = 0; c < col.nr_cpus; c++)
        col.st.lost += __atomic_load_n(&col.ring[c].ctl->lost, __ATOMIC_RELAXED) -
                       col.ring[c].lost_base;
}

int collector_stop(void)
{
    long rc;

    if (!col.active) {
        puts("trace stop: not tracing");
        return -EINVAL;
    }
    if ((rc = trace_op(TRACEOP_stop, NULL)) < 0)
        printf("trace stop: TRACEOP_stop failed (%s): draining anyway\n",
               str_errno((int)rc));
    drain();                            /* ends with a flush: the buffer is empty */
    lost_update();
    stage_chunk_header(TRACE_CHUNK_END, 0);
    flush();
    col.st.elapsed_ns = guest_now_ns() - col.start_ns;
    rings_unmap();
    col.active = false;
    summary();
    return col.stream_err ? (int)col.stream_err : 0;
}

bool collector_active(void)
{
    return col.active;
}

uint64_t collector_next_drain(void)
{
    return col.active ? col.next_drain : 0;
}

void collector_poll(void)
{
    uint64_t now;

    if (!col.active || (now = guest_now_ns()) < col.next_drain)
        return;
    drain();
    /* The next one a period after this, not after the missed deadline: a late
     * wake-up must not turn into a burst of drains. */
    col.next_drain = MAX(col.next_drain + col.period_ns, now + col.period_ns / 2);
}

void collector_get_stats(struct collector_stats *s)
{
    if (col.active) {
        lost_update();
        col.st.elapsed_ns = guest_now_ns() - col.start_ns;
    }
    *s = col.st;
}

void collector_print_rings(void)
{
    for (unsigned c = 0; col.active && c < col.nr_cpus; c++) {
        const struct trace_ring_ctl *ctl = col.ring[c].ctl;
        printf("trace: cpu %u: prod %llu cons %llu lost %llu\n", c,
               (unsigned long long)__atomic_load_n(&ctl->prod, __ATOMIC_ACQUIRE),
               (unsigned long long)__atomic_load_n(&ctl->cons, __ATOMIC_ACQUIRE),
               (unsigned long long)__atomic_load_n(&ctl->lost, __ATOMIC_RELAXED));
    }
}
