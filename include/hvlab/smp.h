/* SMP: CPU masks, bring-up, IPIs and cross-CPU function calls. */
#ifndef HVLAB_SMP_H
#define HVLAB_SMP_H

#include <hvlab/types.h>

/* A set of pCPUs: NR_CPUS bits. Passed by value where it is small; the _atomic
 * variants change one bit for readers on other CPUs, and cpumask_load() reads a mask
 * another CPU may be changing (word by word). */
#define CPUMASK_WORDS ((NR_CPUS + 63) / 64)
typedef struct { uint64_t bits[CPUMASK_WORDS]; } cpumask_t;

static inline void cpumask_set(cpumask_t *m, unsigned c) { m->bits[c / 64] |= 1ULL << c % 64; }
static inline void cpumask_clear(cpumask_t *m, unsigned c) { m->bits[c / 64] &= ~(1ULL << c % 64); }
static inline bool cpumask_test(const cpumask_t *m, unsigned c) { return m->bits[c / 64] >> c % 64 & 1; }

static inline void cpumask_set_atomic(cpumask_t *m, unsigned c)
{
    __atomic_or_fetch(&m->bits[c / 64], 1ULL << c % 64, __ATOMIC_RELEASE);
}
static inline void cpumask_clear_atomic(cpumask_t *m, unsigned c)
{
    __atomic_and_fetch(&m->bits[c / 64], ~(1ULL << c % 64), __ATOMIC_RELEASE);
}
static inline cpumask_t cpumask_load(const cpumask_t *m)
{
    cpumask_t r;
    for (unsigned i = 0; i < CPUMASK_WORDS; i++)
        r.bits[i] = __atomic_load_n(&m->bits[i], __ATOMIC_RELAXED);
    return r;
}

static inline cpumask_t cpumask_and(const cpumask_t *a, const cpumask_t *b)
{
    cpumask_t r;
    for (unsigned i = 0; i < CPUMASK_WORDS; i++)
        r.bits[i] = a->bits[i] & b->bits[i];
    return r;
}
static inline cpumask_t cpumask_or(const cpumask_t *a, const cpumask_t *b)
{
    cpumask_t r;
    for (unsigned i = 0; i < CPUMASK_WORDS; i++)
        r.bits[i] = a->bits[i] | b->bits[i];
    return r;
}
static inline cpumask_t cpumask_andnot(const cpumask_t *a, const cpumask_t *b)
{
    cpumask_t r;
    for (unsigned i = 0; i < CPUMASK_WORDS; i++)
        r.bits[i] = a->bits[i] & ~b->bits[i];
    return r;
}
static inline bool cpumask_empty(const cpumask_t *m)
{
    for (unsigned i = 0; i < CPUMASK_WORDS; i++)
        if (m->bits[i])
            return false;
    return true;
}
static inline bool cpumask_intersects(const cpumask_t *a, const cpumask_t *b)
{
    for (unsigned i = 0; i < CPUMASK_WORDS; i++)
        if (a->bits[i] & b->bits[i])
            return true;
    return false;
}
/* The lowest pCPU in m; NR_CPUS if m is empty. */
static inline unsigned cpumask_first(const cpumask_t *m)
{
    for (unsigned i = 0; i < CPUMASK_WORDS; i++)
        if (m->bits[i])
            return i * 64 + (unsigned)__builtin_ctzll(m->bits[i]);
    return NR_CPUS;
}
static inline unsigned cpumask_weight(const cpumask_t *m)
{
    /* No POPCNT in the baseline ISA, and no libgcc in the image: count bits in
     * parallel (a constant number of steps per word, however many are set). */
    unsigned n = 0;
    for (unsigned i = 0; i < CPUMASK_WORDS; i++) {
        uint64_t b = m->bits[i];
        b -= b >> 1 & 0x5555555555555555ULL;
        b = (b & 0x3333333333333333ULL) + (b >> 2 & 0x3333333333333333ULL);
        b = (b + (b >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
        n += (unsigned)((b * 0x0101010101010101ULL) >> 56);
    }
    return n;
}
/* The lowest pCPU in m at or above c; NR_CPUS if none. */
static inline unsigned cpumask_next(const cpumask_t *m, unsigned c)
{
    for (unsigned i = c / 64; i < CPUMASK_WORDS; i++) {
        uint64_t w = m->bits[i] & (i == c / 64 ? ~0ULL << c % 64 : ~0ULL);
        if (w) {
            unsigned r = i * 64 + (unsigned)__builtin_ctzll(w);
            return r < NR_CPUS ? r : NR_CPUS;
        }
    }
    return NR_CPUS;
}
/* The ABI carries CPU maps as 64-bit words (pCPUs 0-63). */
static inline cpumask_t cpumask_from_u64(uint64_t w)
{
    cpumask_t r = { { 0 } };
    r.bits[0] = w;
    return r;
}
static inline uint64_t cpumask_to_u64(const cpumask_t *m) { return m->bits[0]; }
/* Each pCPU in m, lowest first: as many steps as m has pCPUs (plus one per 64-bit
 * word), not NR_CPUS. m is re-read at every step, so the body may change it. */
#define for_each_cpu(c, m) \
    for ((c) = cpumask_next((m), 0); (c) < NR_CPUS; (c) = cpumask_next((m), (c) + 1))
/* The same walk, cheaper per step on paths taken per wake (a scheduler's scan of a
 * node's busy pCPUs): the 64-bit word being walked is read once and kept in `it`, so
 * the body may change m, but not the part of the word still to be walked. */
struct cpumask_walk {
    unsigned w;                         /* the word in b */
    uint64_t b;                         /* its members not visited yet */
};
static inline bool cpumask_walk_next(struct cpumask_walk *it, const cpumask_t *m, unsigned *c)
{
    while (!it->b) {
        if (++it->w >= CPUMASK_WORDS)
            return false;
        it->b = m->bits[it->w];
    }
    *c = it->w * 64 + (unsigned)__builtin_ctzll(it->b);
    it->b &= it->b - 1;
    return true;
}
#define for_each_cpu_walk(c, it, m) \
    for (struct cpumask_walk it = { 0, (m)->bits[0] }; cpumask_walk_next(&it, (m), &(c)); )

extern cpumask_t cpu_online_map;
extern unsigned nr_cpus_online;

void smp_boot_aps(unsigned maxcpus);          /* BSP: INIT-SIPI-SIPI each AP in turn */
void smp_ap_start(void);                      /* AP entry from boot.S */

/* Run fn(arg) on every CPU in mask (including this one, if set) and wait until all
 * have returned. Interrupts must be enabled on the caller (an IPI could otherwise
 * deadlock against a CPU calling on_cpus at the same time). */
void on_cpus(const cpumask_t *mask, void (*fn)(void *), void *arg);

/* One turn of a busy wait for another pCPU to act (a vCPU to leave its pCPU): a
 * pause hint here; the host testbed's fake arch runs the next simulated event. */
void cpu_wait_for_others(void);

/* core/arch/x86/apic.c */
void ipi_send_one(unsigned cpu, unsigned vector);
void ipi_send_mask(const cpumask_t *mask, unsigned vector);
void ipi_send_all_but_self(unsigned vector);

#endif
