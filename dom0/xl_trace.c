/* `trace`: xentrace's job as an xl command (the collector is collector.c).
 *   trace start [-p <ms>] [<mask>]  set the class mask (if given), write the stream
 *                                   header, start; rings drain every ms (default 10)
 *   trace stop                      stop, drain, end the stream; then the summary:
 *     "trace: <records> records, <lost> lost, <bytes> bytes streamed"
 *     "trace: <ms> ms, <r> records/s, <l> lost/s, <d> drains, <w> stream writes,
 *      ring high water <n>/<ring records>"
 *   trace mask <mask>               the classes to trace (now, if tracing)
 *   trace status                    "trace: tracing|stopped, classes <hex> (<names>),
 *                                   <n> pCPUs, <n> records per ring", and while
 *                                   tracing each ring and the counters so far
 * Masks are hex ("0x6", "1ff") or class names ("sched,hcall", "all"); meta (lost
 * records, markers) is always traced. */
#include "collector.h"
#include "dom0.h"
#include "strutil.h"
#include "trace_args.h"
#include "xl.h"

static int trace_mask_cmd(uint32_t mask)
{
    char names[96];
    long rc = hv_trace_op(TRACEOP_set_mask, mask, 0);

    if (rc < 0) {
        printf("trace mask: TRACEOP_set_mask failed (%s)\n", str_errno((int)rc));
        return (int)rc;
    }
    trace_mask_format(mask | (1u << TRC_CLS_META), names, sizeof(names));
    printf("trace: classes %#x (%s)%s\n", mask | (1u << TRC_CLS_META), names,
           collector_active() ? ", now" : ", from the next start");
    return 0;
}

static int trace_status(void)
{
    static struct trace_info ti;
    struct collector_stats s;
    char names[96];
    uint32_t mask;
    long rc;

    if ((rc = hv_trace_op(TRACEOP_info, (uint64_t)(uintptr_t)&ti, 0)) < 0) {
        printf("trace status: TRACEOP_info failed (%s)\n", str_errno((int)rc));
        return (int)rc;
    }
    mask = (uint32_t)ti.class_mask | (1u << TRC_CLS_META);
    trace_mask_format(mask, names, sizeof(names));
    printf("trace: %s, classes %#x (%s), %u pCPUs, %u records per ring\n",
           ti.enabled ? "tracing" : "stopped", mask, names, ti.nr_cpus, ti.ring_records);
    if (ti.enabled && !collector_active())
        puts("trace: the hypervisor traces but nobody collects (boot option trace?)");
    if (!collector_active())
        return 0;
    collector_print_rings();
    collector_get_stats(&s);
    printf("trace: so far %llu records, %llu lost, %llu bytes streamed in %llu ms\n",
           (unsigned long long)s.records, (unsigned long long)s.lost,
           (unsigned long long)s.bytes, (unsigned long long)(s.elapsed_ns / 1000000));
    return 0;
}

static const char trace_help[] =
    "trace start [-p <ms>] [<mask>]  set the classes (if given) and start tracing;\n"
    "                                the rings drain every <ms> (default 10) while\n"
    "                                commands run, `sleep` and `wait` included\n"
    "trace stop                      stop, drain, end the stream; prints records,\n"
    "                                lost records, bytes streamed, records/s\n"
    "trace mask <mask>               the classes to trace (at once, if tracing)\n"
    "trace status                    state, classes, each ring, counters so far\n"
    "<mask>: hex (0x6, 1ff) or class names joined by commas (sched,hcall or all):\n"
    "  meta sched hcall pv evtchn timer dom mem policy; meta is always on\n"
    "The stream goes to QEMU's ivshmem region (experiments/hvlab/trace.py reads it).";

int xl_trace(int argc, char **argv)
{
    struct trace_args a;
    char err[160];

    if (argc == 1) {
        puts(trace_help);
        return 0;
    }
    if (trace_args_parse(argc, argv, &a, err, sizeof(err))) {
        puts(err);
        return -EINVAL;
    }
    switch (a.sub) {
    case TRACE_SUB_START:
        return collector_start(a.has_mask, a.mask, a.period_ms);
    case TRACE_SUB_STOP:
        return collector_stop();
    case TRACE_SUB_MASK:
        return trace_mask_cmd(a.mask);
    case TRACE_SUB_STATUS:
        return trace_status();
    }
    return -EINVAL;
}
