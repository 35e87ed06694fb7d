/* The cost model's TLB model (docs/cost-model.md "TLB model").
 *
 * Design: each level is set-associative (a fully associative one is one set), LRU
 * within a set; an entry is (tag, virtual page number, page size, global). A lookup
 * tries L1 (ITLB or DTLB by the access), then L2; an L2 hit refills L1, a miss is a
 * page walk that fills both (inclusive, as counted by the plugin). Pages of 2 MiB
 * and 4 KiB share every level (Zen 4's and Golden Cove's L1 DTLBs hold both; the
 * separate small 2M arrays of some parts are not modelled). The set index is the
 * low bits of the page number, as in hardware.
 *
 * Locking: none; the plugin keeps one struct tlb per pCPU and CPU model, touched only
 * by that pCPU's callbacks (its own thread under MTTCG, the one TCG thread under icount).
 *
 * Limitations: no page-walk caches (every walk references memory at every level), no
 * PCID; INVLPG is not modelled here (the plugin cannot see its operand). */
#include "tlb.h"

#include <stdlib.h>

const char *tlb_geometry_check(const struct tlb_geometry *g)
{
    const unsigned e[3] = { g->l1i_entries, g->l1d_entries, g->l2_entries };
    const unsigned w[3] = { g->l1i_ways, g->l1d_ways, g->l2_ways };
    for (int i = 0; i < 3; i++) {
        if (!e[i] || !w[i])
            return "zero entries or ways";
        if (e[i] % w[i])
            return "entries not a multiple of ways";
        if (e[i] > 1u << 20)
            return "more than 2^20 entries";
    }
    return NULL;
}

static int level_init(struct tlb_level *l, unsigned entries, unsigned ways)
{
    l->sets = entries / ways;
    l->ways = ways;
    l->clock = 0;
    l->e = calloc(entries, sizeof(*l->e));
    return l->e ? 0 : -1;
}

int tlb_init(struct tlb *t, const struct tlb_geometry *g)
{
    t->l1i.e = t->l1d.e = t->l2.e = NULL;
    if (level_init(&t->l1i, g->l1i_entries, g->l1i_ways) ||
        level_init(&t->l1d, g->l1d_entries, g->l1d_ways) ||
        level_init(&t->l2, g->l2_entries, g->l2_ways)) {
        tlb_free(t);
        return -1;
    }
    return 0;
}

void tlb_free(struct tlb *t)
{
    free(t->l1i.e);
    free(t->l1d.e);
    free(t->l2.e);
    t->l1i.e = t->l1d.e = t->l2.e = NULL;
}

static struct tlb_entry *set_of(struct tlb_level *l, uint64_t vpn)
{
    return &l->e[(vpn % l->sets) * l->ways];
}

/* Hit: refresh and true. Miss: false. */
static bool level_lookup(struct tlb_level *l, uint32_t tag, uint64_t vpn, unsigned shift)
{
    struct tlb_entry *s = set_of(l, vpn);
    for (unsigned i = 0; i < l->ways; i++) {
        if (s[i].shift == shift && s[i].vpn == vpn && s[i].tag == tag) {
            s[i].lru = ++l->clock;
            return true;
        }
    }
    return false;
}

static void level_fill(struct tlb_level *l, uint32_t tag, uint64_t vpn, unsigned shift,
                       bool global)
{
    struct tlb_entry *s = set_of(l, vpn), *victim = &s[0];
    for (unsigned i = 0; i < l->ways; i++) {
        if (!s[i].shift) {
            victim = &s[i];
            break;
        }
        if (s[i].lru < victim->lru)
            victim = &s[i];
    }
    *victim = (struct tlb_entry){ .vpn = vpn, .lru = ++l->clock, .tag = tag,
                                  .shift = (uint8_t)shift, .global = global };
}

enum tlb_result tlb_access(struct tlb *t, bool fetch, uint32_t tag, uint64_t va,
                           unsigned shift, bool global)
{
    struct tlb_level *l1 = fetch ? &t->l1i : &t->l1d;
    uint64_t vpn = va >> shift;
    if (level_lookup(l1, tag, vpn, shift))
        return TLB_HIT_L1;
    enum tlb_result r = TLB_HIT_L2;
    if (!level_lookup(&t->l2, tag, vpn, shift)) {
        level_fill(&t->l2, tag, vpn, shift, global);
        r = TLB_MISS;
    }
    level_fill(l1, tag, vpn, shift, global);
    return r;
}

static void level_flush(struct tlb_level *l, bool all, uint32_t tag)
{
    unsigned n = l->sets * l->ways;
    for (unsigned i = 0; i < n; i++)
        if (all || (l->e[i].tag == tag && !l->e[i].global))
            l->e[i].shift = 0;
}

void tlb_flush_tag(struct tlb *t, uint32_t tag)
{
    level_flush(&t->l1i, false, tag);
    level_flush(&t->l1d, false, tag);
    level_flush(&t->l2, false, tag);
}

void tlb_flush_all(struct tlb *t)
{
    level_flush(&t->l1i, true, 0);
    level_flush(&t->l1d, true, 0);
    level_flush(&t->l2, true, 0);
}

unsigned tlb_walk_refs(unsigned guest_levels, unsigned nested_levels)
{
    if (!nested_levels)
        return guest_levels;
    return (guest_levels + 1) * (nested_levels + 1) - 1;
}

unsigned tlb_levels(unsigned shift)
{
    return shift >= 21 ? 3 : 4;
}
