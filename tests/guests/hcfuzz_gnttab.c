/* The hypercall fuzzer's grant-table family (see hcfuzz_ops.c for the containment
 * rules): every GNTTABOP with counts, pointers and fields from good and boundary
 * pools. Containment: nobody grants the fuzzer anything and it cannot grant itself,
 * so maps find nothing to map (their host_addr is the window or addresses that must
 * be refused anyway); a copy between its own frames writes only into the arena, or
 * into frames that must be refused (our L4 and the window's L1, frames not ours; the
 * heap may have put one of our own grant table's frames at such a number, which is
 * then ours to write: random entries in our table that nobody maps). */
#include "hcfuzz.h"

#include <public/grant_table.h>

static hv_domid_t any_dom(void)
{
    const hv_domid_t pool[] = { 0, 1, 2, 3, 1023, DOMID_SELF, DOMID_XEN, DOMID_INVALID,
                                0xffff };

    return fz_chance(20) ? (hv_domid_t)guest_domid() : FZ_PICK(pool);
}

static uint32_t any_ref(void)
{
    const uint32_t pool[] = { 0, 7, 8, 9, 511, 512, 2047, 2048, 0x7fffffff, ~0u };

    return FZ_PICK(pool);
}

/* A frame for a copy's own side: the arena (fine to write), or one that must be
 * refused when written (our L4 and the window's L1, frames not ours); sources may
 * also be our code. */
static uint64_t copy_frame(bool dest)
{
    const uint64_t foreign[] = { 0, 1, fz.max_mfn + 1, 1ULL << 32, 1ULL << 40, ~0ULL };

    switch (fz_below(5)) {
    case 0: case 1:
        return virt_to_mfn(fz.arena + fz_below(FZ_ARENA_PAGES) * PAGE_SIZE);
    case 2:
        return fz.l4_mfn;
    case 3:     /* not a sandbox frame: one that is no table now would take the copy */
        return dest ? fz.window_l1_maddr >> PAGE_SHIFT : fz.code_mfn;
    default:
        return FZ_PICK(foreign);
    }
}

static uint64_t host_addr(void)
{
    const uint64_t pool[] = { 0, 8, 0x1000, NONCANON, HV_DIRECTMAP, GUEST_VIRT_END,
                              0x0000700000000000ULL };

    if (fz_chance(50))
        return fz.window_va + fz_below(512) * PAGE_SIZE + (fz_chance(90) ? 0 : 8);
    return FZ_PICK(pool);
}

void fz_gen_gnttab(struct fz_call *c)
{
    const unsigned cmds[] = { GNTTABOP_map_grant_ref, GNTTABOP_unmap_grant_ref,
                              GNTTABOP_setup_table, GNTTABOP_copy, GNTTABOP_query_size,
                              3, 4, 7, 255 };
    unsigned cmd = FZ_PICK(cmds);
    uint64_t n = fz_chance(80) ? 1 + fz_below(4) : fz_count(GNTTAB_BATCH_MAX + 1);
    unsigned room = 4;                  /* structures filled in; the rest is zero */
    void *ops = NULL;
    /* Zeroed room for a whole batch and one more (a count above 64 is refused before
     * any is read): nothing left in the arena by earlier calls is read as an op (a
     * zero op is refused: no map flag, domid 0 is not DOMID_SELF, handle 0 not held). */
#define OPS(type) ((type *)memset(fz_alloc((GNTTAB_BATCH_MAX + 1) * sizeof(type)), 0, \
                                  (GNTTAB_BATCH_MAX + 1) * sizeof(type)))

    c->what = "grant_table_op";
    c->op = HYPERVISOR_grant_table_op;
    switch (cmd) {
    case GNTTABOP_map_grant_ref: {
        struct gnttab_map_grant_ref *m = OPS(struct gnttab_map_grant_ref);

        for (unsigned i = 0; i < room; i++)
            m[i] = (struct gnttab_map_grant_ref){
                .host_addr = host_addr(), .flags = (uint32_t)fz_below(16),
                .ref = any_ref(), .dom = any_dom(), .handle = (uint32_t)fz_rand() };
        ops = m;
        break;
    }
    case GNTTABOP_unmap_grant_ref: {
        struct gnttab_unmap_grant_ref *u = OPS(struct gnttab_unmap_grant_ref);

        for (unsigned i = 0; i < room; i++)
            u[i] = (struct gnttab_unmap_grant_ref){
                .host_addr = host_addr(), .handle = fz_chance(50) ? (uint32_t)fz_below(4)
                                                                  : (uint32_t)fz_rand() };
        ops = u;
        break;
    }
    case GNTTABOP_setup_table: {
        struct gnttab_setup_table *s = OPS(struct gnttab_setup_table);
        uint64_t *frames = fz_alloc(GNTTAB_MAX_FRAMES * sizeof(uint64_t));

        for (unsigned i = 0; i < room; i++)
            s[i] = (struct gnttab_setup_table){
                .dom = any_dom(), .nr_frames = (uint32_t)fz_count(GNTTAB_MAX_FRAMES + 1),
                .frame_list = fz_ptr(frames) };
        ops = s;
        break;
    }
    case GNTTABOP_copy: {
        struct gnttab_copy *k = OPS(struct gnttab_copy);

        for (unsigned i = 0; i < room; i++) {
            uint16_t flags = (uint16_t)(fz_chance(70) ? fz_below(4) : fz_rand());

            k[i] = (struct gnttab_copy){ .len = (uint16_t)(fz_chance(70) ? fz_below(4097)
                                                                        : fz_rand()),
                                         .flags = flags };
            k[i].source.u.gmfn = (flags & GNTCOPY_source_gref) ? any_ref() : copy_frame(false);
            k[i].source.domid = (flags & GNTCOPY_source_gref) || fz_chance(10) ? any_dom()
                                                                               : DOMID_SELF;
            k[i].source.offset = (uint16_t)(fz_chance(70) ? fz_below(4096) : fz_rand());
            k[i].dest.u.gmfn = (flags & GNTCOPY_dest_gref) ? any_ref() : copy_frame(true);
            k[i].dest.domid = (flags & GNTCOPY_dest_gref) || fz_chance(10) ? any_dom()
                                                                           : DOMID_SELF;
            k[i].dest.offset = (uint16_t)(fz_chance(70) ? fz_below(4096) : fz_rand());
        }
        ops = k;
        break;
    }
    default: {
        struct gnttab_query_size *q = OPS(struct gnttab_query_size);

        for (unsigned i = 0; i < room; i++)
            q[i] = (struct gnttab_query_size){ .dom = any_dom() };
        ops = q;
        break;
    }
    }
    c->args[0] = cmd;
    c->args[1] = fz_ptr(ops);
    c->args[2] = n;
#undef OPS
}
