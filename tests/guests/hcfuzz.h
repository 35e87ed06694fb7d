/* The hypercall fuzzer guest (hcfuzz.c drives, hcfuzz_ops.c generates the calls).
 *
 * Replay: call i is a pure function of (seed, i): its random stream is seeded from
 * both, and it picks its arguments from fixed pools set up once at start (never from
 * earlier results), so the same seed gives the same sequence of calls, and a call's
 * arguments do not change when an earlier call is skipped or fails differently. */
#ifndef HCFUZZ_H
#define HCFUZZ_H

#include <guest.h>

/* Known bug classes, each switchable off with skip=NAME[,NAME...] on the command line
 * until its fix is merged (see the header of hcfuzz.c). */
enum fz_class {
    FZ_SHINFO = 1u << 0,    /* the shared-info frame as a page-table or mapping value */
    FZ_TIMER = 1u << 1,     /* timer deadlines >= 2^62 or negative */
    FZ_CANON = 1u << 2,     /* non-canonical FS/GS base or RSP in VCPUOP_initialise */
};

/* One hypercall: number and five arguments; nomc: not inside a multicall (it blocks,
 * or it changes the stack). */
struct fz_call {
    uint64_t op;
    uint64_t args[5];
    const char *what;       /* family and command, for traces */
    bool nomc;
    bool raw_iret;          /* SCHEDOP_iret through the stub (args[0] rip, [1] rsp, [2] flags) */
};

/* What every generator may use, set up once by hcfuzz.c. */
struct fz_env {
    unsigned skip;                  /* enum fz_class bits */
    uint64_t seed;
    uint64_t trace_from;            /* trace=: print every call from this index on */
    uint8_t *arena;                 /* FZ_ARENA_PAGES writable pages; the page after: unmapped */
    uint64_t arena_used;            /* bump allocator, reset before every call */
    uint64_t sandbox_mfn[8];        /* our frames, read-only in the linear map: page tables */
    uint64_t sandbox_va[8];         /* their linear-map VAs (read-only) */
    uint64_t window_va;             /* a VA range with an L1 of its own (own L4 slot 65) */
    uint64_t window_l1_maddr;       /* machine address of that L1 */
    uint64_t l4_mfn, l4_maddr;      /* our L4 */
    uint64_t code_mfn, data_mfn;    /* a frame of our code; one of our (runtime) data */
    uint64_t shinfo_mfn;            /* the shared-info frame */
    uint64_t gnttab_mfn;            /* our grant table's first frame (set up at start) */
    uint64_t min_mfn, max_mfn;      /* our frames' range (others may lie between) */
    uint64_t iret_resume;           /* where a SCHEDOP_iret frame of ours returns */
};
#define FZ_ARENA_PAGES 8
#define FZ_SANDBOX_L4_SLOT 64       /* hooked by mmu_update to sandbox frames */
#define FZ_WINDOW_L4_SLOT 65        /* our scratch mappings (window_va) */

extern struct fz_env fz;

/* ---- hcfuzz.c: the call's random stream ---- */
uint64_t fz_rand(void);
static inline uint64_t fz_below(uint64_t n) { return n ? fz_rand() % n : 0; }
static inline bool fz_chance(unsigned percent) { return fz_below(100) < percent; }
#define FZ_PICK(arr) ((arr)[fz_below(ARRAY_SIZE(arr))])

#define HV_DIRECTMAP 0xffff830000000000ULL     /* the hypervisor's direct map */
#define HV_IMAGE     0xffffffff80000000ULL     /* the hypervisor's image */
#define NONCANON     0x0000800000000000ULL     /* the first non-canonical address */

/* ---- hcfuzz_ops.c ---- */
/* Fills c with one random call (a multicall holds up to 4 more, built the same way). */
void fz_gen_call(struct fz_call *c);
/* A scratch block of n bytes in the arena (8-byte aligned). */
void *fz_alloc(uint64_t n);
/* A pointer argument: good (into the arena) most of the time, else a bad one. */
uint64_t fz_ptr(void *good);
/* Addresses a hypercall must refuse to read or write (some in our half: NULL, the
 * unmapped page after the arena, a buffer crossing into it, our read-only L4). */
uint64_t fz_bad_ptr(void);
/* Addresses outside our half: never ours to lose, whatever a call does with them. */
uint64_t fz_kernel_ptr(void);
/* A count: mostly 0..sane_max, else a boundary (limits, 2^31, 2^32, 2^40, ~0...). */
uint64_t fz_count(uint64_t sane_max);
/* One of our reads of a random address (sandbox windows, hypervisor, unmapped):
 * returns the address; the read may fault. */
uint64_t fz_probe_addr(void);

/* ---- hcfuzz_mm.c: the memory families ---- */
void fz_gen_mmu_update(struct fz_call *c);
void fz_gen_mmuext_op(struct fz_call *c);
void fz_gen_update_va_mapping(struct fz_call *c);
void fz_gen_memory_op(struct fz_call *c);
/* ---- hcfuzz_gnttab.c: grant tables (issue 11) ---- */
void fz_gen_gnttab(struct fz_call *c);

#endif
