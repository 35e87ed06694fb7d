/* Ticket spinlocks. Fair (FIFO) by construction: each locker takes a ticket and waits
 * for its turn, so no CPU starves under contention. Built from compiler atomics only,
 * so the same code runs in host-built tests. The irqsave variants must be used for any
 * lock also taken from interrupt context. */
#ifndef HVLAB_SPINLOCK_H
#define HVLAB_SPINLOCK_H

#include "types.h"

typedef struct spinlock {
    volatile uint16_t head;  /* ticket being served */
    volatile uint16_t tail;  /* next ticket to hand out */
} spinlock_t;

#define SPIN_LOCK_UNLOCKED { 0, 0 }

static inline void cpu_relax(void) { __builtin_ia32_pause(); }

static inline void spin_lock_init(spinlock_t *l) { l->head = l->tail = 0; }

static inline void spin_lock(spinlock_t *l)
{
    uint16_t me = __atomic_fetch_add(&l->tail, 1, __ATOMIC_RELAXED);
    while (__atomic_load_n(&l->head, __ATOMIC_ACQUIRE) != me)
        cpu_relax();
}

static inline bool spin_trylock(spinlock_t *l)
{
    uint16_t h = __atomic_load_n(&l->head, __ATOMIC_RELAXED);
    uint32_t old = ((uint32_t)h << 16) | h;  /* unlocked: tail == head */
    uint32_t new = ((uint32_t)(uint16_t)(h + 1) << 16) | h;
    return __atomic_compare_exchange_n((volatile uint32_t *)l, &old, new, false,
                                       __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

static inline void spin_unlock(spinlock_t *l)
{
    __atomic_store_n(&l->head, (uint16_t)(l->head + 1), __ATOMIC_RELEASE);
}

static inline bool spin_is_locked(const spinlock_t *l) { return l->head != l->tail; }

/* Interrupt masking is arch code; the host tests provide no-op versions. */
unsigned long local_irq_save(void);
void local_irq_restore(unsigned long flags);

#define spin_lock_irqsave(l, f)      do { (f) = local_irq_save(); spin_lock(l); } while (0)
#define spin_unlock_irqrestore(l, f) do { spin_unlock(l); local_irq_restore(f); } while (0)

#endif
