/* The trace collector, dom0's xentrace: maps every pCPU's trace ring read-only,
 * drains the rings while tracing runs and streams what it read to the host through
 * TRACEOP_stream (include/public/trace.h has the format). `xl trace` (xl_trace.c)
 * drives it; dom0's waits (dom0_block_until, dom0_sleep_until) call collector_poll
 * so that the rings drain while domains run. */
#ifndef DOM0_COLLECTOR_H
#define DOM0_COLLECTOR_H

#include <guest.h>
#include <public/trace.h>

/* Where dom0 maps the rings: each pCPU's control page from COLLECTOR_CTL_VA on (one
 * page each), its records from COLLECTOR_REC_VA + cpu * ring bytes. Above the
 * domain builder's window at GUEST_FOREIGN_VA. */
#define COLLECTOR_CTL_VA (GUEST_FOREIGN_VA + GiB(1))
#define COLLECTOR_REC_VA (COLLECTOR_CTL_VA + MiB(2))

struct collector_stats {
    uint64_t records;                   /* read from the rings (TRC_LOST records too) */
    uint64_t lost;                      /* dropped by full rings (their ctl->lost) */
    uint64_t lost_reported;             /* the sum of the TRC_LOST records read */
    uint64_t bytes;                     /* streamed to the host, header included */
    uint64_t unstreamed;                /* read but not streamed: the stream failed */
    uint64_t drains, writes;            /* drains done, TRACEOP_stream calls */
    uint64_t high_water;                /* most records found waiting in one ring */
    uint64_t busy_ns;                   /* time spent draining */
    uint64_t elapsed_ns;                /* from start to now, or to stop */
};

/* Starts tracing: with set_mask, the class mask becomes mask first; period_ms
 * between drains. Prints "trace: started ..." or why not; 0 or -errno (-EBUSY:
 * already collecting, -ENODEV: no stream to the host). */
int collector_start(bool set_mask, uint32_t mask, unsigned period_ms);
/* Stops tracing, drains the rings a last time, ends the stream, unmaps the rings
 * and prints the summary. -ENOSPC (or the stream's error) if records were lost on
 * the way to the host, else 0; -EINVAL when not collecting. */
int collector_stop(void);
bool collector_active(void);
/* NOW() of the next drain, 0 when not collecting: waits wake up by then. */
uint64_t collector_next_drain(void);
/* Drains the rings when the next drain is due; cheap otherwise. */
void collector_poll(void);
/* The counters so far (or of the last run). */
void collector_get_stats(struct collector_stats *s);
/* Each ring's prod, cons and lost, one "trace: cpu N: ..." line each (collecting). */
void collector_print_rings(void);

#endif
