/* The grant-table test guest, mapper role (granttest.h): maps the granter's pages,
 * writes, copies, tries every bad input through the raw hypercall (the library
 * would refuse some of them before the hypervisor sees them), then keeps two
 * mappings while the granter dies and checks that its frames stay put. */
#include "granttest.h"

#define MAP_VA     0x40000000ULL       /* our mappings: one page each from here */
#define VA(i)      ((void *)(uintptr_t)(MAP_VA + (uint64_t)(i) * PAGE_SIZE))
#define NO_L1_VA   0x0000600000000000ULL  /* no L1 table there */
#define MAPTRACK_MAX 1024              /* the hypervisor's GNTTAB_MAPTRACK_MAX */

static hv_domid_t g;                    /* the granter */

static int map_raw(hv_domid_t dom, grant_ref_t ref, uint32_t flags, uint64_t host_addr,
                   grant_handle_t *handle, uint64_t *maddr)
{
    struct gnttab_map_grant_ref op = {
        .host_addr = host_addr, .flags = flags, .ref = ref, .dom = dom,
    };
    long rc = _hc(HYPERVISOR_grant_table_op, GNTTABOP_map_grant_ref, &op, 1, 0, 0);

    if (rc < 0)
        return (int)rc;
    if (handle)
        *handle = op.handle;
    if (maddr)
        *maddr = op.dev_bus_addr;
    return op.status;
}

static int unmap_raw(uint64_t host_addr, grant_handle_t handle)
{
    struct gnttab_unmap_grant_ref op = { .host_addr = host_addr, .handle = handle };
    long rc = _hc(HYPERVISOR_grant_table_op, GNTTABOP_unmap_grant_ref, &op, 1, 0, 0);

    return rc < 0 ? (int)rc : op.status;
}

/* A device_map-only mapping and its undoing: the frame, or a status. */
static int probe(hv_domid_t dom, grant_ref_t ref, bool ro)
{
    grant_handle_t h = 0;
    int st = map_raw(dom, ref, GNTMAP_device_map | (ro ? GNTMAP_readonly : 0), 0, &h, NULL);

    if (st == GNTST_okay)
        unmap_raw(0, h);
    return st;
}

static void bad_refs(void)
{
    expect_st("map a read-only grant writable", probe(g, REF_R, false), GNTST_bad_gntref);
    expect_st("map a grant to another domain", probe(g, REF_OTHER, true), GNTST_bad_gntref);
    expect_st("map a page table writable", probe(g, REF_TABLE, false), GNTST_bad_page);
    expect_st("map a page table read-only", probe(g, REF_TABLE, true), GNTST_okay);
    expect_st("map a frame the granter gave back", probe(g, REF_FREED, true), GNTST_bad_page);
    expect_st("map a ref never granted", probe(g, REF_NEVER, true), GNTST_bad_gntref);
    expect_st("map a reserved ref", probe(g, 0, true), GNTST_bad_gntref);
    expect_st("map a ref beyond the table", probe(g, GNTTAB_ENTRIES_PER_FRAME, true),
              GNTST_bad_gntref);
    expect_st("map a huge ref", probe(g, 0xffffffffu, true), GNTST_bad_gntref);
    expect_st("map from no such domain", probe(999, REF_W2, true), GNTST_bad_domain);
    expect_st("map from DOMID_SELF", probe(DOMID_SELF, REF_W2, true), GNTST_bad_domain);
    expect_st("map from ourselves", probe((hv_domid_t)guest_domid(), REF_W2, true),
              GNTST_bad_domain);
}

static void bad_addresses(void)
{
    uint64_t own = (uintptr_t)alloc_page();
    grant_handle_t h;

    expect_st("host_addr not page-aligned", map_raw(g, REF_R, GNTMAP_host_map | GNTMAP_readonly,
              MAP_VA + 8, &h, NULL), GNTST_bad_virt_addr);
    expect_st("host_addr in the hypervisor's half", map_raw(g, REF_R, GNTMAP_host_map |
              GNTMAP_readonly, 0xffff800000000000ULL, &h, NULL), GNTST_bad_virt_addr);
    expect_st("host_addr without an L1 table", map_raw(g, REF_R, GNTMAP_host_map |
              GNTMAP_readonly, NO_L1_VA, &h, NULL), GNTST_bad_virt_addr);
    expect_st("host_addr already mapped", map_raw(g, REF_R, GNTMAP_host_map | GNTMAP_readonly,
              own, &h, NULL), GNTST_bad_virt_addr);
    expect_st("host_addr 0", map_raw(g, REF_R, GNTMAP_host_map | GNTMAP_readonly, 0, &h, NULL),
              GNTST_bad_virt_addr);
    expect_st("device_map with a host_addr", map_raw(g, REF_R, GNTMAP_device_map |
              GNTMAP_readonly, MAP_VA, &h, NULL), GNTST_bad_virt_addr);
    expect_st("no map flag", map_raw(g, REF_R, GNTMAP_readonly, 0, &h, NULL),
              GNTST_general_error);
    expect_st("unknown map flag", map_raw(g, REF_R, GNTMAP_device_map | GNTMAP_readonly | 0x100,
              0, &h, NULL), GNTST_general_error);
    expect_st("unmap a handle never given", unmap_raw(0, 777), GNTST_bad_handle);
    expect_st("unmap a huge handle", unmap_raw(0, 0xffffffffu), GNTST_bad_handle);
    result("bad ops map nothing", gnttab_in_use() == 0 && ((const char *)(uintptr_t)own)[0] == 0,
           "own page untouched");
}

/* Path length per operation, from the TSC: instructions under -icount (the whole
 * machine's, the granter's idle pCPU included; it only wakes every millisecond). */
static void perf(const char *what, uint64_t t0, uint64_t t1, unsigned n)
{
    printf("grant: perf %s: %llu TSC per op over %u\n", what,
           (unsigned long long)((t1 - t0) / (n ? n : 1)), n);
}

#define PERF_ROUNDS 64

/* Host map + unmap of R, and 4 KiB copies from it, one op per hypercall. */
static void timings(void)
{
    char *mine = alloc_page();
    struct gnttab_copy c = { .len = PAGE_SIZE, .flags = GNTCOPY_source_gref };
    grant_handle_t h;
    uint64_t t0, tm = 0, tu = 0;
    int st = GNTST_okay;

    for (unsigned i = 0; i < PERF_ROUNDS && st == GNTST_okay; i++) {
        t0 = rdtsc();
        st = gnttab_map(g, REF_R, true, VA(5), &h, NULL);
        tm += rdtsc() - t0;
        t0 = rdtsc();
        if (st == GNTST_okay)
            st = gnttab_unmap(VA(5), h);
        tu += rdtsc() - t0;
    }
    expect_st("host map and unmap, 64 times", st, GNTST_okay);
    perf("host map", 0, tm, PERF_ROUNDS);
    perf("host unmap", 0, tu, PERF_ROUNDS);
    c.source.u.ref = REF_R;
    c.source.domid = g;
    c.dest.u.gmfn = gnttab_local_frame(mine);
    c.dest.domid = DOMID_SELF;
    t0 = rdtsc();
    for (unsigned i = 0; i < PERF_ROUNDS && st == GNTST_okay; i++)
        st = gnttab_copy(&c, 1);
    perf("copy 4 KiB", t0, rdtsc(), PERF_ROUNDS);
    expect_st("4 KiB copies, 64 times", st, GNTST_okay);
    result("the 4 KiB copy arrived", strcmp(mine, R_TEXT) == 0, "\"%.30s\"", mine);
}

/* setup_table and query_size from an unprivileged domain. */
static void table_ops(void)
{
    uint64_t frames[GNTTAB_MAX_FRAMES] = { 0 };
    struct gnttab_query_size q[3] = { { .dom = DOMID_SELF }, { .dom = g }, { .dom = 0 } };
    struct gnttab_setup_table s[4] = {
        { .dom = DOMID_SELF, .nr_frames = 0, .frame_list = (uintptr_t)frames },
        { .dom = DOMID_SELF, .nr_frames = GNTTAB_MAX_FRAMES + 1, .frame_list = (uintptr_t)frames },
        { .dom = g, .nr_frames = 1, .frame_list = (uintptr_t)frames },
        { .dom = DOMID_SELF, .nr_frames = 2, .frame_list = (uintptr_t)frames },
    };
    long rc = _hc(HYPERVISOR_grant_table_op, GNTTABOP_query_size, q, 3, 0, 0);

    result("query_size of our own table", rc == 0 && q[0].status == GNTST_okay &&
           q[0].nr_frames == 0 && q[0].max_nr_frames == GNTTAB_MAX_FRAMES,
           "rc %ld status %d, %u of %u frames", rc, q[0].status, q[0].nr_frames,
           q[0].max_nr_frames);
    result("query_size of another domain refused", q[1].status == GNTST_permission_denied &&
           q[2].status == GNTST_permission_denied, "statuses %d %d", q[1].status, q[2].status);
    rc = _hc(HYPERVISOR_grant_table_op, GNTTABOP_setup_table, s, 4, 0, 0);
    expect_st("setup_table of 0 frames", s[0].status, GNTST_general_error);
    expect_st("setup_table of 5 frames", s[1].status, GNTST_general_error);
    expect_st("setup_table of another domain", s[2].status, GNTST_permission_denied);
    result("setup_table of 2 frames", rc == 0 && s[3].status == GNTST_okay && frames[0] &&
           frames[1] && frames[0] != frames[1] && !frames[2],
           "rc %ld status %d frames %#llx %#llx", rc, s[3].status,
           (unsigned long long)frames[0], (unsigned long long)frames[1]);
    expect_st("setup_table's frames are ours to map",
              map_page(0x50000000ULL, frames[1], PTE_W), 0);
    q[0].status = 99;
    _hc(HYPERVISOR_grant_table_op, GNTTABOP_query_size, q, 1, 0, 0);
    result("query_size after setup_table", q[0].status == GNTST_okay && q[0].nr_frames == 2,
           "%u frames", q[0].nr_frames);
    result("an unknown op", _hc(HYPERVISOR_grant_table_op, 3, q, 1, 0, 0) == -EINVAL, "EINVAL");
    result("a batch over 64", _hc(HYPERVISOR_grant_table_op, GNTTABOP_query_size, q, 65, 0, 0) ==
           -EINVAL, "EINVAL");
    result("a bad array", _hc(HYPERVISOR_grant_table_op, GNTTABOP_query_size,
                              0xffff800000000000ULL, 1, 0, 0) == -EFAULT, "EFAULT");
}

static void read_only(void)
{
    grant_handle_t h;
    uint64_t ma;
    int st = gnttab_map(g, REF_R, true, VA(2), &h, &ma);

    expect_st("map R read-only", st, GNTST_okay);
    if (st != GNTST_okay)
        return;
    result("read R through the mapping", strcmp(VA(2), R_TEXT) == 0, "\"%.40s\"", (char *)VA(2));
    expect_st("unmap R at another address", gnttab_unmap(VA(3), h), GNTST_bad_virt_addr);
    expect_st("unmap R", gnttab_unmap(VA(2), h), GNTST_okay);
    expect_st("unmap R twice", gnttab_unmap(VA(2), h), GNTST_bad_handle);
}

/* Device mappings of the mailbox until the maptrack is full, then all undone. */
static void maptrack_full(unsigned held)
{
    static grant_handle_t hs[MAPTRACK_MAX];
    unsigned n = 0;
    int st = GNTST_okay;

    uint64_t t0 = rdtsc(), t1;

    while (n < MAPTRACK_MAX &&
           (st = map_raw(g, REF_MAILBOX, GNTMAP_device_map, 0, &hs[n], NULL)) == GNTST_okay)
        n++;
    t1 = rdtsc();
    expect_st("maptrack full", st, GNTST_no_space);
    result("maptrack holds 1024 mappings", n + held == 1024, "%u + %u held", n, held);
    perf("device map", t0, t1, n + 1);
    st = GNTST_okay;
    t0 = rdtsc();
    for (unsigned i = n; i > 0 && st == GNTST_okay; i--)
        st = unmap_raw(0, hs[i - 1]);
    perf("device unmap", t0, rdtsc(), n);
    expect_st("maptrack emptied", st, GNTST_okay);
}

static struct gnttab_copy copy_op(uint16_t flags, uint64_t src, hv_domid_t sdom,
                                  uint16_t soff, uint64_t dst, hv_domid_t ddom,
                                  uint16_t doff, uint16_t len)
{
    struct gnttab_copy c = { .len = len, .flags = flags };

    c.source.u.gmfn = src;
    c.source.domid = sdom;
    c.source.offset = soff;
    c.dest.u.gmfn = dst;
    c.dest.domid = ddom;
    c.dest.offset = doff;
    return c;
}

static void copies(uint64_t granter_mfn)
{
    char *mine = alloc_page();
    uint64_t my = gnttab_local_frame(mine);
    struct gnttab_copy c[2];

    c[0] = copy_op(GNTCOPY_source_gref, REF_R, g, 0, my, DOMID_SELF, 100, sizeof(R_TEXT));
    expect_st("copy from a read-only grant", gnttab_copy(c, 1), GNTST_okay);
    result("the copy arrived", strcmp(mine + 100, R_TEXT) == 0, "\"%.40s\"", mine + 100);
    snprintf(mine, 64, "%s", COPY_TEXT);
    c[0] = copy_op(GNTCOPY_dest_gref, my, DOMID_SELF, 0, REF_MAILBOX, g,
                   offsetof(struct mailbox, copied), sizeof(COPY_TEXT));
    c[1] = copy_op(GNTCOPY_dest_gref, my, DOMID_SELF, 0, REF_R, g, 0, 4);
    gnttab_copy(c, 2);
    expect_st("copy into the mailbox grant", c[0].status, GNTST_okay);
    expect_st("copy into a read-only grant", c[1].status, GNTST_bad_gntref);
    c[0] = copy_op(GNTCOPY_source_gref, REF_R, g, 4000, my, DOMID_SELF, 0, 200);
    expect_st("copy past the source page", gnttab_copy(c, 1), GNTST_bad_copy_arg);
    c[0] = copy_op(GNTCOPY_source_gref, REF_R, g, 0, my, DOMID_SELF, 4095, 2);
    expect_st("copy past the dest page", gnttab_copy(c, 1), GNTST_bad_copy_arg);
    c[0] = copy_op(GNTCOPY_source_gref | 4, REF_R, g, 0, my, DOMID_SELF, 0, 2);
    expect_st("copy with an unknown flag", gnttab_copy(c, 1), GNTST_bad_copy_arg);
    c[0] = copy_op(0, granter_mfn, DOMID_SELF, 0, my, DOMID_SELF, 0, 16);
    expect_st("copy from a frame not ours", gnttab_copy(c, 1), GNTST_bad_page);
    c[0] = copy_op(0, my, DOMID_SELF, 0, start_info->pt_base ?
                   virt_to_mfn((void *)(uintptr_t)start_info->pt_base) : 0, DOMID_SELF, 0, 16);
    expect_st("copy into our own page table", gnttab_copy(c, 1), GNTST_bad_page);
    c[0] = copy_op(0, my, 5, 0, my, DOMID_SELF, 0, 16);
    expect_st("copy with a local side of another domid", gnttab_copy(c, 1), GNTST_bad_domain);
    c[0] = copy_op(GNTCOPY_source_gref, REF_NEVER, g, 0, my, DOMID_SELF, 0, 16);
    expect_st("copy from a ref never granted", gnttab_copy(c, 1), GNTST_bad_gntref);
    c[0] = copy_op(GNTCOPY_source_gref, REF_W, 999, 0, my, DOMID_SELF, 0, 16);
    expect_st("copy from no such domain", gnttab_copy(c, 1), GNTST_bad_domain);
}

/* Until the granter is gone (a lookup of it fails), at most about 10 s. */
static bool granter_gone(void)
{
    for (unsigned i = 0; i < 10000; i++) {
        if (probe(g, REF_MAILBOX, true) == GNTST_bad_domain)
            return true;
        sleep_ns(1000000);
    }
    return false;
}

/* The reuser's grant: a new domain was built after the granter died. */
static bool reuser_met(hv_domid_t reuser)
{
    grant_handle_t h;

    for (unsigned i = 0; i < 10000; i++) {
        if (gnttab_map(reuser, REF_MAILBOX, false, VA(6), &h, NULL) == GNTST_okay) {
            snprintf(VA(6), 8, "seen");
            return gnttab_unmap(VA(6), h) == GNTST_okay;
        }
        sleep_ns(1000000);
    }
    return false;
}

int mapper(hv_domid_t granter, hv_domid_t reuser)
{
    grant_handle_t hm = 0, hw = 0, hd = 0, hw2 = 0;
    struct mailbox *mb = VA(0);
    uint64_t ma = 0, dev = 0;
    int st = GNTST_bad_domain;

    g = granter;
    for (unsigned i = 0; i < 10000 && st != GNTST_okay; i++) {
        st = gnttab_map(g, REF_MAILBOX, false, mb, &hm, NULL);
        if (st != GNTST_okay)
            sleep_ns(1000000);
    }
    expect_st("map the mailbox", st, GNTST_okay);
    if (st != GNTST_okay)
        return (int)report_summary();
    for (unsigned i = 0; i < 10000 && __atomic_load_n(&mb->magic, __ATOMIC_ACQUIRE) != MAILBOX_MAGIC; i++)
        sleep_ns(1000000);

    expect_st("map W writable", gnttab_map(g, REF_W, false, VA(1), &hw, &ma), GNTST_okay);
    snprintf(VA(1), 64, "%s", W_TEXT);
    expect_st("device_map W", gnttab_map(g, REF_W, false, NULL, &hd, &dev), GNTST_okay);
    result("dev_bus_addr is the granter's frame", dev == mb->w_mfn << PAGE_SHIFT && dev == ma,
           "%#llx, granter says %#llx", (unsigned long long)dev,
           (unsigned long long)(mb->w_mfn << PAGE_SHIFT));
    __atomic_store_n(&mb->ack, 1, __ATOMIC_RELEASE);

    result("granter reached step 1", wait_for(&mb->step, 1), "step %u", mb->step);
    expect_st("unmap W", gnttab_unmap(VA(1), hw), GNTST_okay);
    expect_st("unmap W's device mapping", gnttab_unmap(NULL, hd), GNTST_okay);
    expect_st("unmap W twice", gnttab_unmap(VA(1), hw), GNTST_bad_handle);
    __atomic_store_n(&mb->ack, 2, __ATOMIC_RELEASE);

    result("granter reached step 2", wait_for(&mb->step, 2), "step %u", mb->step);
    expect_st("map W after its end-access", probe(g, REF_W, false), GNTST_bad_gntref);
    bad_refs();
    bad_addresses();
    table_ops();
    read_only();
    maptrack_full(1);
    copies(mb->w_mfn);
    timings();
    __atomic_store_n(&mb->ack, 3, __ATOMIC_RELEASE);

    expect_st("map W2 writable", gnttab_map(g, REF_W2, false, VA(4), &hw2, NULL), GNTST_okay);
    __atomic_store_n(&mb->ack, 4, __ATOMIC_RELEASE);

    /* The granter dies with W2 and the mailbox mapped here. */
    result("granter gone", granter_gone(), "lookups fail");
    result("W2 still holds the granter's data", strcmp(VA(4), W2_TEXT) == 0, "\"%.40s\"",
           (char *)VA(4));
    snprintf((char *)VA(4) + 512, 64, "%s", W2_MARK);
    result("a new domain was built meanwhile", reuser_met(reuser), "reuser's grant");
    result("W2 not reused by it", strcmp(VA(4), W2_TEXT) == 0 &&
           strcmp((char *)VA(4) + 512, W2_MARK) == 0, "\"%.40s\"", (char *)VA(4));
    expect_st("unmap W2 of the dead granter", gnttab_unmap(VA(4), hw2), GNTST_okay);
    expect_st("unmap the mailbox of the dead granter", gnttab_unmap(mb, hm), GNTST_okay);
    printf("mapper: unmapped everything of the dead granter\n");
    return (int)report_summary();
}
