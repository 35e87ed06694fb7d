/* The cost model's translation rules (tools/costmodel/xlat.c): page size, global, tag
 * and walk shape for the hypervisor, a PV guest, boot/native and an HVM guest with and
 * without announced 2 MiB nested mappings; the nested record's forget/note. */
#include "unit.h"

#include "../../tools/costmodel/xlat.h"

#include <stdlib.h>

#define G4 (1ull << 32)
#define DMAP 0xffff830000001000ull
#define IMAGE 0xffffffff80001000ull
#define PV_SLOT COSTMODEL_HINT_SLOT(3, 0)
#define HVM_SLOT COSTMODEL_HINT_SLOT(5, 1)

struct row {
    const char *name;
    bool in_guest;
    unsigned who;
    uint64_t va;
    unsigned tag, shift, global, guest_levels, nested_levels;
};

static struct npt_record npt;

static void check_rows(const struct row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct row *r = &rows[i];
        struct xlat x = xlat_of(r->in_guest, r->who, r->va, G4, &npt);
        if (x.tag != r->tag || x.shift != r->shift || x.global != r->global ||
            x.guest_levels != r->guest_levels || x.nested_levels != r->nested_levels)
            printf("  %s: tag %u shift %u global %u levels %u/%u, want %u %u %u %u/%u\n",
                   r->name, x.tag, x.shift, x.global, x.guest_levels, x.nested_levels,
                   r->tag, r->shift, r->global, r->guest_levels, r->nested_levels);
        CHECK_EQ(x.tag, r->tag);
        CHECK_EQ(x.shift, r->shift);
        CHECK_EQ(x.global, r->global);
        CHECK_EQ(x.guest_levels, r->guest_levels);
        CHECK_EQ(x.nested_levels, r->nested_levels);
    }
}

static void test_host(void)
{
    static const struct row rows[] = {
        { "hypervisor direct map", false, PV_SLOT, DMAP, 0, 21, 1, 3, 0 },
        { "hypervisor image", false, PV_SLOT, IMAGE, 0, 21, 0, 3, 0 },
        { "PV guest", false, PV_SLOT, 0x400000, 0, 12, 0, 4, 0 },
        { "native below 4 GiB", false, XLAT_WHO_BOOT, 0x200000, 0, 21, 0, 3, 0 },
        { "native alias above", false, XLAT_WHO_BOOT, 0x8000000000ull, 0, 12, 0, 4, 0 },
        /* An HVM vCPU's slot outside the guest: the hypervisor, host tag. */
        { "hypervisor on an HVM vCPU", false, HVM_SLOT, DMAP, 0, 21, 1, 3, 0 },
    };
    check_rows(rows, sizeof(rows) / sizeof(rows[0]));
}

static void test_hvm(void)
{
    CHECK_EQ(npt_forget(&npt, 5), 0);
    npt_note_2m(&npt, 5, 1);                    /* guest-physical [2 MiB, 4 MiB) */
    static const struct row rows[] = {
        { "identity map, nested 4 KiB", true, HVM_SLOT, 0x100000, 1 + HVM_SLOT, 12, 0, 3, 4 },
        { "identity map, nested 2 MiB", true, HVM_SLOT, 0x300000, 1 + HVM_SLOT, 21, 0, 3, 3 },
        { "4 KiB alias above 4 GiB", true, HVM_SLOT, 0x8000000000ull, 1 + HVM_SLOT, 12, 0, 4, 4 },
    };
    check_rows(rows, sizeof(rows) / sizeof(rows[0]));
    /* Another domain's announcement is not this one's. */
    CHECK(!npt_is_2m(&npt, 6, 1));
    /* Filled afresh: forgotten. */
    CHECK(npt_is_2m(&npt, 5, 1));
    CHECK_EQ(npt_forget(&npt, 5), 0);
    CHECK(!npt_is_2m(&npt, 5, 1));
}

static void test_npt_bounds(void)
{
    npt_note_2m(&npt, 7, 1);                    /* before npt_forget(7): ignored */
    CHECK(!npt_is_2m(&npt, 7, 1));
    CHECK_EQ(npt_forget(&npt, 7), 0);
    npt_note_2m(&npt, 7, COSTMODEL_HINT_NPT_BLOCKS);   /* out of range: ignored */
    npt_note_2m(&npt, 7, COSTMODEL_HINT_NPT_BLOCKS - 1);
    CHECK(npt_is_2m(&npt, 7, COSTMODEL_HINT_NPT_BLOCKS - 1));
    CHECK(!npt_is_2m(&npt, 7, COSTMODEL_HINT_NPT_BLOCKS));
    CHECK_EQ(npt_forget(&npt, COSTMODEL_HINT_NPT_DOMAINS), 0);
    CHECK(!npt_is_2m(&npt, COSTMODEL_HINT_NPT_DOMAINS, 0));
    for (unsigned d = 0; d < COSTMODEL_HINT_NPT_DOMAINS; d++) {
        free(npt.blocks[d]);
        npt.blocks[d] = NULL;
    }
}

static const struct unit_case cases[] = {
    { "host: hypervisor 2 MiB (direct map global), PV 4 KiB, native map", test_host },
    { "HVM: 2D walks, the smaller of guest and nested pages", test_hvm },
    { "nested record: order and bounds", test_npt_bounds },
};

UNIT_MAIN(cases)
