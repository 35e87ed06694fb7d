/* pdisk's pure parts: the I/O-port permission bitmap and the hypervisor's reserved
 * ranges (core/arch/x86/ioport_map.c), the split virtqueue's bookkeeping against a
 * simulated device (guest/virtq.c), and region specs (dom0/pdisk_region.c). */
#include "unit.h"

#include <hvlab/errno.h>
#include <hvlab/ioport.h>
#include <virtq.h>
#include "pdisk_region.h"

static void test_map_edges(void)
{
    static uint8_t map[IOPORT_MAP_BYTES];

    memset(map, 0, sizeof(map));
    CHECK(!ioport_map_allows(map, 0xc000, 1));
    ioport_map_set(map, 0xc000, 64, true);
    CHECK(ioport_map_allows(map, 0xc000, 4));
    CHECK(ioport_map_allows(map, 0xc03c, 4));
    CHECK(!ioport_map_allows(map, 0xc03e, 4));          /* straddles the grant's end */
    CHECK(!ioport_map_allows(map, 0xbfff, 2));          /* and its start */
    CHECK(!ioport_map_allows(map, 0xc040, 1));
    ioport_map_set(map, 0xc010, 1, false);
    CHECK(!ioport_map_allows(map, 0xc00e, 4));
    CHECK(ioport_map_allows(map, 0xc011, 1));
    ioport_map_set(map, 0, 0x10000, true);
    CHECK(ioport_map_allows(map, 0xffff, 1));
    CHECK(!ioport_map_allows(map, 0xfffe, 4));          /* runs past 0xffff */
    CHECK(!ioport_map_allows(map, 0xffff, 2));
    CHECK(!ioport_map_allows(NULL, 0x80, 1));           /* no map: nothing */
    CHECK(!ioport_map_allows(map, 0x80, 0));
}

static void test_reserved_ranges(void)
{
    static const struct ioport_range r[] = {
        { 0x20, 0x21, "pic" }, { 0x40, 0x43, "pit" }, { 0x3f8, 0x3ff, "com1" },
    };
    CHECK(ioport_ranges_hit(r, 3, 0x40, 1) == &r[1]);
    CHECK(ioport_ranges_hit(r, 3, 0x3f, 2) == &r[1]);   /* overlaps the first byte */
    CHECK(ioport_ranges_hit(r, 3, 0x43, 100) == &r[1]);
    CHECK(ioport_ranges_hit(r, 3, 0x44, 0x3b4) == NULL);
    CHECK(ioport_ranges_hit(r, 3, 0x44, 0x3b5) == &r[2]);
    CHECK(ioport_ranges_hit(r, 3, 0, 0x10000) == &r[0]);
    CHECK(ioport_ranges_hit(r, 3, 0x22, 0) == NULL);
}

/* A device: takes every available chain, answers in the given order. */
struct sim {
    struct virtq *q;
    uint16_t seen;                      /* avail entries consumed */
    uint16_t pending[VIRTQ_MAX_SIZE];
    unsigned nr_pending;
};

static void sim_take(struct sim *s)
{
    while (s->seen != s->q->avail->idx) {
        s->pending[s->nr_pending++] = s->q->avail->ring[s->seen % s->q->size];
        s->seen++;
    }
}

static void sim_complete(struct sim *s, unsigned i, uint32_t len)
{
    volatile struct virtq_used *u = s->q->used;
    u->ring[u->idx % s->q->size].id = s->pending[i];
    u->ring[u->idx % s->q->size].len = len;
    u->idx = (uint16_t)(u->idx + 1);
    s->pending[i] = s->pending[--s->nr_pending];
}

static void *ring_mem(uint16_t size)
{
    void *m = aligned_alloc(VIRTQ_ALIGN, virtq_bytes(size));
    memset(m, 0, virtq_bytes(size));
    return m;
}

static void test_virtq_layout(void)
{
    struct virtq q;
    void *m = ring_mem(256);

    CHECK_EQ(virtq_bytes(256), 12288);  /* desc 4096 + avail 518 -> 8192; used 2054 */
    CHECK_EQ(virtq_bytes(128), 8192);   /* 2048 + 262 -> 4096; used 1030 */
    CHECK_EQ(virtq_init(&q, m, 256), 0);
    CHECK_EQ((char *)q.avail - (char *)m, 4096);
    CHECK_EQ((char *)q.used - (char *)m, 8192);
    CHECK_EQ(virtq_init(&q, m, 0), -EINVAL);
    CHECK_EQ(virtq_init(&q, m, 100), -EINVAL);
    CHECK_EQ(virtq_init(&q, m, 2048), -EINVAL);
    free(m);
}

static void test_virtq_chains(void)
{
    struct virtq q;
    void *m = ring_mem(16);
    struct sim s = { .q = &q };
    struct virtq_buf b[3] = { { 0x1000, 16, false }, { 0x2000, 512, true }, { 0x3000, 1, true } };
    uint32_t len;

    CHECK_EQ(virtq_init(&q, m, 16), 0);
    CHECK_EQ(virtq_get(&q, &len), -EAGAIN);
    int h0 = virtq_add(&q, b, 3);
    CHECK(h0 >= 0);
    CHECK_EQ(q.desc[h0].flags, VIRTQ_DESC_F_NEXT);
    uint16_t d1 = q.desc[h0].next;
    CHECK_EQ(q.desc[d1].flags, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE);
    CHECK_EQ(q.desc[d1].addr, 0x2000);
    CHECK_EQ(q.desc[q.desc[d1].next].flags, VIRTQ_DESC_F_WRITE);
    CHECK_EQ(q.nr_free, 13);
    int h[4];
    for (int i = 0; i < 4; i++)
        h[i] = virtq_add(&q, b, 3);
    CHECK_EQ(q.nr_free, 1);
    CHECK_EQ(virtq_add(&q, b, 3), -ENOSPC);             /* nothing changed */
    CHECK_EQ(q.nr_free, 1);
    CHECK_EQ(q.avail->idx, 5);
    sim_take(&s);
    sim_complete(&s, 2, 512);                           /* out of order */
    int got = virtq_get(&q, &len);
    CHECK_EQ(got, h[1]);
    CHECK_EQ(len, 512);
    CHECK_EQ(q.nr_free, 4);
    CHECK(virtq_add(&q, b, 3) >= 0);                    /* reuses the freed chain */
    free(m);
}

/* 70000 requests through a 16-entry queue: both 16-bit indices wrap, the free list
 * never loses a descriptor, and every head comes back exactly once. */
static void test_virtq_wrap(void)
{
    struct virtq q;
    void *m = ring_mem(16);
    struct sim s = { .q = &q };
    struct virtq_buf b[2] = { { 0x1000, 16, false }, { 0x3000, 1, true } };
    unsigned added = 0, done = 0, inflight[16] = { 0 };
    uint32_t len;

    CHECK_EQ(virtq_init(&q, m, 16), 0);
    srand(7);
    while (done < 70000) {
        int head;
        while ((head = virtq_add(&q, b, 2)) >= 0) {
            inflight[head]++;
            added++;
        }
        sim_take(&s);
        unsigned n = 1 + (unsigned)rand() % s.nr_pending;
        for (unsigned i = 0; i < n; i++)
            sim_complete(&s, (unsigned)rand() % s.nr_pending, 1);
        while ((head = virtq_get(&q, &len)) >= 0) {
            CHECK_EQ(inflight[head], 1);
            inflight[head]--;
            done++;
        }
    }
    CHECK(q.avail->idx == (uint16_t)added);
    CHECK(q.last_used == (uint16_t)done);
    CHECK_EQ(q.nr_free + 2 * (added - done), 16);
    CHECK_EQ(q.bad_used, 0);
    free(m);
}

/* A device naming a head that is not in flight (or past the size) is refused and
 * counted; the queue goes on. */
static void test_virtq_bad_used(void)
{
    struct virtq q;
    void *m = ring_mem(16);
    struct virtq_buf b[2] = { { 0x1000, 16, false }, { 0x3000, 1, true } };
    uint32_t len;

    CHECK_EQ(virtq_init(&q, m, 16), 0);
    int h = virtq_add(&q, b, 2);
    volatile struct virtq_used *u = q.used;
    u->ring[0] = (struct virtq_used_elem){ 999, 1 };
    u->ring[1] = (struct virtq_used_elem){ (uint32_t)h + 1, 1 };   /* never a head */
    u->ring[2] = (struct virtq_used_elem){ (uint32_t)h, 1 };
    u->ring[3] = (struct virtq_used_elem){ (uint32_t)h, 1 };       /* twice */
    u->idx = 4;
    CHECK_EQ(virtq_get(&q, &len), -EIO);
    CHECK_EQ(virtq_get(&q, &len), -EIO);
    CHECK_EQ(virtq_get(&q, &len), h);
    CHECK_EQ(virtq_get(&q, &len), -EIO);
    CHECK_EQ(virtq_get(&q, &len), -EAGAIN);
    CHECK_EQ(q.bad_used, 3);
    CHECK_EQ(q.nr_free, 16);
    free(m);
}

static void test_regions(void)
{
    const uint64_t sizes[2] = { 8192, 100 };
    unsigned disk;
    uint64_t start, n;
    char why[96];

    CHECK_EQ(pdisk_region_check("vd0", 2, sizes, &disk, &start, &n, why, sizeof(why)), 0);
    CHECK(disk == 0 && start == 0 && n == 8192);
    CHECK_EQ(pdisk_region_check("vd1:10+90", 2, sizes, &disk, &start, &n, why, sizeof(why)), 0);
    CHECK(disk == 1 && start == 10 && n == 90);
    CHECK_EQ(pdisk_region_check("vd1:10+91", 2, sizes, &disk, &start, &n, why, sizeof(why)),
             -EINVAL);
    CHECK_STREQ(why, "vd1:10+91: past the disk's end (100 sectors)");
    CHECK_EQ(pdisk_region_check("vd2", 2, sizes, &disk, &start, &n, why, sizeof(why)), -EINVAL);
    CHECK_STREQ(why, "vd2: no such disk (2 found)");
    CHECK_EQ(pdisk_region_check("vd0:5+0", 2, sizes, &disk, &start, &n, why, sizeof(why)),
             -EINVAL);
    CHECK_STREQ(why, "vd0:5+0: an empty region");
    const char *bad[] = { "", "xvda", "vd", "vdx", "vd0:", "vd0:5", "vd0:+5", "vd0:5+",
                          "vd0:5+x", "vd0:-1+5", "vd 0", "vd0:18446744073709551615+2" };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        disk = 77;
        CHECK_EQ(pdisk_region_check(bad[i], 2, sizes, &disk, &start, &n, why, sizeof(why)),
                 -EINVAL);
        CHECK_EQ(disk, 77);                             /* nothing changed */
        CHECK(strstr(why, bad[i]) != NULL || why[0] == 'v');
    }
}

static const struct unit_case cases[] = {
    { "permission bitmap: every byte of an access, ends of a grant, 0xffff", test_map_edges },
    { "reserved ranges: any overlap hits", test_reserved_ranges },
    { "virtqueue: legacy layout, sizes", test_virtq_layout },
    { "virtqueue: chains, flags, free list, out-of-order completion", test_virtq_chains },
    { "virtqueue: 16-bit indices wrap over 70000 requests", test_virtq_wrap },
    { "virtqueue: a device's bad used ids are refused and counted", test_virtq_bad_used },
    { "region specs: whole disk, ranges, errors naming the spec", test_regions },
};
UNIT_MAIN(cases)
