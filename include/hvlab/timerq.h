/* Timer queue: the deadline-ordered structure under the per-CPU soft timers.
 * An intrusive binary min-heap over a caller-provided array of timer pointers; each
 * timer remembers its slot, so add, remove and pop are all O(log n) and nothing
 * allocates. Timers with equal deadlines come out in the order they were added, so
 * runs are deterministic.
 *
 * Locking: none here. The per-CPU timer code holds its queue's lock around every
 * call, and a timer's fields below are guarded by the lock of queue 'cpu'. */
#ifndef HVLAB_TIMERQ_H
#define HVLAB_TIMERQ_H

#include "types.h"

struct timer {
    s_time_t expires;            /* absolute deadline, ns (NOW() units); change only while not queued */
    void (*fn)(void *data);
    void *data;
    uint16_t cpu;                /* owning pCPU's queue */
    int32_t heap_idx;            /* -1 when not queued */
    uint64_t seq;                /* insertion order: equal deadlines fire FIFO, so runs are deterministic */
};

struct timerq {
    struct timer **heap;         /* heap[0] is the earliest; caller-owned storage */
    uint32_t nr, cap;
    uint64_t next_seq;
};

/* storage must hold cap pointers and outlive q. -EINVAL for no storage or cap 0. */
int timerq_init(struct timerq *q, struct timer **storage, uint32_t cap);
/* Queues t by t->expires. -ENOSPC when full, -EEXIST if t is already queued. */
int timerq_add(struct timerq *q, struct timer *t);
/* Dequeues t; false if t is not queued on q. */
bool timerq_remove(struct timerq *q, struct timer *t);
/* The earliest timer, still queued; NULL if empty. */
struct timer *timerq_first(const struct timerq *q);
/* Dequeues and returns the earliest timer if expires <= now, else NULL. */
struct timer *timerq_pop_expired(struct timerq *q, s_time_t now);

static inline bool timer_is_queued(const struct timer *t) { return t->heap_idx >= 0; }

/* Sets up an unqueued timer; expires is left for the caller to set before adding. */
void timer_init(struct timer *t, void (*fn)(void *), void *data, unsigned cpu);

#endif
