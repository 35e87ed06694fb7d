/* Host test of mm/pv_mm.c: random sequences of page-table updates, pins and base
 * switches, mixing valid and invalid requests, checked against pv_check_invariants
 * after every step (a fixed seed: the same sequence every run). */
#include <hvlab/errno.h>

#include "pv_fixture.h"

/* ---- random operations ---- */

static uint64_t rng_state;
static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

struct snapshot {
    uint32_t count[NFRAMES], type[NFRAMES];
};

static void take_snapshot(struct snapshot *s)
{
    for (unsigned i = 0; i < NFRAMES; i++) {
        const struct page_info *pg = mfn_to_page((base >> PAGE_SHIFT) + i);

        s->count[i] = pg->count_info;
        s->type[i] = pg->type_info;
    }
}

/* Mostly a validated table of the domain (updates there can succeed), else any frame. */
static struct page_info *pick_table(struct page_info **own, unsigned n)
{
    struct page_info *tables[n];
    unsigned nt = 0;

    for (unsigned i = 0; i < n; i++)
        if (own[i]->type_info & PGT_validated)
            tables[nt++] = own[i];
    return nt && rng() % 4 ? tables[rng() % nt] : own[rng() % n];
}

/* Random updates, pins and base switches over a small domain, mixing valid and
 * invalid requests; after each: the invariants hold, and a refused request changed no
 * count, no type and no entry. */
static void test_random_ops_keep_invariants(void)
{
    enum { NOWN = 24, NOPS = 3000 };
    static struct snapshot before, after;
    struct domain *d = &doms[0], *du = &doms[1];
    struct page_info *own[NOWN], *pool[NOWN + 4], *hv;
    unsigned ok = 0, refused = 0, broken = 0, unchanged = 0, written = 0;
    mfn_t cur_base = 0;

    rng_state = 0x9e3779b97f4a7c15ULL;
    if (!setup())
        return;
    d->vcpus = vcpu_ptrs;
    d->max_vcpus = 1;
    for (unsigned i = 0; i < NOWN; i++)
        pool[i] = own[i] = frame(d);
    pool[NOWN] = frame(du);                             /* foreign: fine with pg_owner du */
    pool[NOWN + 1] = frame(du);
    hv = alloc_frames(0, 0, 0);
    pool[NOWN + 2] = hv;                                /* the hypervisor's */
    pool[NOWN + 3] = frame(du);
    CHECK_EQ(domain_free_frame(du, pool[NOWN + 3]), 0); /* free */
    CHECK_EQ(pv_pin_table(d, mfn(own[0]), 4), 0);

    for (unsigned op = 0; op < NOPS && !broken; op++) {
        unsigned kind = rng() % 20;
        struct page_info *tbl = pick_table(own, NOWN);
        uint64_t val = 0, *entry = NULL, old_entry = 0;
        unsigned slot;
        int rc;

        take_snapshot(&before);
        if (kind < 15) {
            /* Mostly the first slots (so that trees grow), sometimes anywhere. */
            slot = rng() % 4 ? rng() % 4 : rng() % 512;
            if (rng() % 8) {
                val = pte(pool[rng() % (NOWN + 4)], PTE_P);
                val |= rng() % 10 ? PTE_U : 0;
                val |= rng() % 2 ? PTE_W : 0;
                val |= rng() % 25 ? 0 : PTE_PS;
                val |= rng() % 30 ? 0 : 1ULL << (52 + rng() % 11);
                val |= rng() % 5 ? 0 : PTE_NX | PTE_A;
            }
            entry = &tab(tbl)[slot];
            old_entry = *entry;
            rc = pv_mmu_update(d, rng() % 4 ? d : du, slot_ma(tbl, slot), val);
        } else if (kind < 18) {
            rc = pv_pin_table(d, mfn(tbl), 1 + rng() % 4);
        } else if (kind < 19) {
            rc = rng() % 4 ? pv_pin_table(d, mfn(own[rng() % NOWN]), 4)
                           : pv_unpin_table(d, mfn(tbl));
        } else {
            mfn_t nb = rng() % 3 ? mfn(tbl) : 0;

            rc = pv_set_base(d, nb, cur_base);
            if (rc == 0)
                vcpu0.arch.guest_l4_mfn = cur_base = nb;
        }
        if (rc == 0) {
            ok++;
            written += entry && *entry == val;
        } else {
            refused++;
            take_snapshot(&after);
            unchanged += memcmp(&before, &after, sizeof(before)) == 0 &&
                         (!entry || *entry == old_entry);
        }
        if (!pv_check_invariants(d, why, sizeof(why)) ||
            (op % 8 == 0 && !pv_check_invariants(du, why, sizeof(why)))) {
            printf("  op %u (kind %u, rc %d): %s\n", op, kind, rc, why);
            broken++;
        }
    }
    if (getenv("UNIT_VERBOSE"))
        printf("  %u ok (%u written), %u refused\n", ok, written, refused);
    CHECK_EQ(broken, 0);
    CHECK_EQ(unchanged, refused);
    CHECK(written > NOPS / 10);
    CHECK(ok > NOPS / 5);
    CHECK(refused > NOPS / 5);
    /* Tearing down through the API leaves nothing behind. */
    for (unsigned i = 0; i < NOWN; i++)
        if (page_is_pinned(own[i]))
            CHECK_EQ(pv_unpin_table(d, mfn(own[i])), 0);
    if (cur_base)
        CHECK_EQ(pv_set_base(d, 0, cur_base), 0);
    vcpu0.arch.guest_l4_mfn = 0;
    CHECK(all_idle());
    free_frames(hv, 0);
    d->vcpus = NULL;
    d->max_vcpus = 0;
}

static const struct unit_case cases[] = {
    { "random_ops_keep_invariants", test_random_ops_keep_invariants },
};
UNIT_MAIN(cases)
