/* grantpeer: two domains grant each other a page and map, write, copy and end what
 * they got; built as a PV image (grantpeer.elf) and an HVM one (grantpeer-hvm.elf),
 * so that a PV and an HVM domain exercise both directions (tests/boot/test_grant.py):
 * the HVM side's table is mapped by HVMOP_map_grant_table, its grants name GFNs, and
 * its mappings replace a gfn of its own RAM (which comes back at the unmap).
 *
 * Command line: peer=<domid>. Each side's page holds its text at 0, the peer's mark
 * at 1024 (written through the peer's mapping), its progress counter at 2048 (read
 * by the peer through its mapping, later by grant copy) and the peer's copy at 3000.
 * Prints "grant: <case> ok|FAILED (...)", then "grant: N passed, N failed". */
#include <gnttab.h>
#include <guest.h>

#define MARK_OFF  1024
#define STEP_OFF  2048
#define COPY_OFF  3000
#define WAIT_MS   10000

static unsigned passed, failed;
static hv_domid_t peer;

static __printf(3, 4) void result(const char *name, bool ok, const char *fmt, ...)
{
    char detail[120];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    printf("grant: %s %s (%s)\n", name, ok ? "ok" : "FAILED", detail);
    if (ok)
        passed++;
    else
        failed++;
}

static volatile uint32_t *step_of(void *page)
{
    return (volatile uint32_t *)((char *)page + STEP_OFF);
}

/* Where a mapping of the peer's page goes: PV, a VA with an L1 table and no entry;
 * HVM, a gfn of our RAM (whose own content is hidden until the unmap). */
static void *map_target(void)
{
#ifdef GUEST_HVM
    char *p = alloc_page();

    snprintf(p, 64, "own page under the mapping");
    return p;
#else
    return (void *)(uintptr_t)0x40000000ULL;
#endif
}

/* The peer's counter, by grant copy (no mapping needed): ~0 once it ended its grant. */
static uint32_t peer_step_by_copy(void)
{
    static uint32_t buf[2] __attribute__((aligned(8)));
    struct gnttab_copy c = { .len = 4, .flags = GNTCOPY_source_gref };

    c.source.u.ref = GNTTAB_NR_RESERVED_ENTRIES;
    c.source.domid = peer;
    c.source.offset = STEP_OFF;
    c.dest.u.gmfn = gnttab_local_frame((void *)((uintptr_t)buf & ~(PAGE_SIZE - 1)));
    c.dest.domid = DOMID_SELF;
    c.dest.offset = (uint16_t)((uintptr_t)buf & (PAGE_SIZE - 1));
    return gnttab_copy(&c, 1) == GNTST_okay ? buf[0] : ~0u;
}

static bool wait_step(volatile uint32_t *p, uint32_t v, bool by_copy)
{
    for (unsigned i = 0; i < WAIT_MS; i++) {
        uint32_t s = by_copy ? peer_step_by_copy() : *p;

        if (s >= v)
            return true;
        sleep_ns(1000000);
    }
    return false;
}

int main(const struct start_info *si)
{
    char *mine = alloc_page(), *local = alloc_page(), *v = map_target();
    char text[32], want[32];
    grant_handle_t h = 0, hd = 0;
    uint64_t ma = 0;
    int ref, st = GNTST_bad_domain;

    (void)si;
    peer = (hv_domid_t)guest_arg_uint("peer", 1);
    snprintf(mine, 32, "page of d%u", guest_domid());
    snprintf(want, sizeof(want), "page of d%u", peer);
    ref = gnttab_grant(peer, mine, false);
    result("grant our page", ref == GNTTAB_NR_RESERVED_ENTRIES, "ref %d", ref);

    for (unsigned i = 0; i < WAIT_MS && st != GNTST_okay; i++) {
        st = gnttab_map(peer, GNTTAB_NR_RESERVED_ENTRIES, false, v, &h, &ma);
        if (st != GNTST_okay)
            sleep_ns(1000000);
    }
    result("map the peer's page", st == GNTST_okay, "status %d", st);
    if (st != GNTST_okay)
        return (int)(printf("grant: %u passed, %u failed\n", passed, failed + 1), 1);
    result("read the peer's page", strcmp(v, want) == 0, "\"%.30s\"", v);
    snprintf(v + MARK_OFF, 32, "d%u was here", guest_domid());
    st = gnttab_map(peer, GNTTAB_NR_RESERVED_ENTRIES, true, NULL, &hd, &ma);
    result("device_map the peer's page", st == GNTST_okay && ma, "status %d", st);
    result("unmap the device mapping", gnttab_unmap(NULL, hd) == GNTST_okay, "-");
    *step_of(mine) = 1;

    result("peer reached step 1", wait_step(step_of(v), 1, false), "-");
    snprintf(text, sizeof(text), "d%u was here", peer);
    result("see the peer's write", strcmp(mine + MARK_OFF, text) == 0, "\"%.30s\"",
           mine + MARK_OFF);
    result("end-access refused while mapped", gnttab_end((grant_ref_t)ref) == -EBUSY, "-");
    *step_of(mine) = 2;

    result("peer reached step 2", wait_step(step_of(v), 2, false), "-");
    {
        struct gnttab_copy c[2] = { { .len = 32, .flags = GNTCOPY_source_gref },
                                    { .len = 32, .flags = GNTCOPY_dest_gref } };

        c[0].source.u.ref = GNTTAB_NR_RESERVED_ENTRIES;
        c[0].source.domid = peer;
        c[0].dest.u.gmfn = gnttab_local_frame(local);
        c[0].dest.domid = DOMID_SELF;
        snprintf(local + 100, 32, "copied by d%u", guest_domid());
        c[1].source.u.gmfn = gnttab_local_frame(local);
        c[1].source.domid = DOMID_SELF;
        c[1].source.offset = 100;
        c[1].dest.u.ref = GNTTAB_NR_RESERVED_ENTRIES;
        c[1].dest.domid = peer;
        c[1].dest.offset = COPY_OFF;
        st = gnttab_copy(c, 2);
        result("copy both ways", st == GNTST_okay, "statuses %d %d", c[0].status, c[1].status);
        result("the copy from the peer arrived", strcmp(local, want) == 0, "\"%.30s\"", local);
    }
    result("unmap the peer's page", gnttab_unmap(v, h) == GNTST_okay, "-");
#ifdef GUEST_HVM
    result("our own page is back at that gfn", strcmp(v, "own page under the mapping") == 0,
           "\"%.30s\"", v);
    {
        struct hvm_map_grant_table m = { .idx = GNTTAB_MAX_FRAMES, .gfn = 0x100 };

        result("HVMOP_map_grant_table beyond the table",
               _hc(HYPERVISOR_hvm_op, HVMOP_map_grant_table, &m, 0, 0, 0) == -EINVAL, "-");
    }
    {
        /* Raw: the library refuses such a VA itself. */
        struct gnttab_map_grant_ref m = {
            .host_addr = 0xfee00000, .flags = GNTMAP_host_map | GNTMAP_readonly,
            .ref = GNTTAB_NR_RESERVED_ENTRIES, .dom = peer,
        };
        long rc = _hc(HYPERVISOR_grant_table_op, GNTTABOP_map_grant_ref, &m, 1, 0, 0);

        result("map over a gfn that is no RAM of ours", rc == 0 && m.status == GNTST_bad_virt_addr,
               "the LAPIC window: %ld, status %d", rc, m.status);
    }
#endif
    *step_of(mine) = 3;

    result("peer reached step 3", wait_step(NULL, 3, true), "-");
    result("end-access after the peer's unmap", gnttab_end((grant_ref_t)ref) == 0, "-");
    snprintf(text, sizeof(text), "copied by d%u", peer);
    result("see the peer's copy", strcmp(mine + COPY_OFF, text) == 0, "\"%.30s\"",
           mine + COPY_OFF);
    result("no grant left", gnttab_in_use() == 0, "%u", gnttab_in_use());
    printf("grant: %u passed, %u failed\n", passed, failed);
    return (int)failed;
}
