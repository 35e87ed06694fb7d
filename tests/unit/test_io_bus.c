/* The per-domain I/O bus (core/hvm/io_bus.c): registration refused for overlaps
 * (either order) and bad ranges, dispatch by address and space with size checks,
 * -ENODEV where nothing is, values masked to the access size, and the byte-split
 * helpers byte devices use. */
#include "vdev_fixture.h"

/* A fake device that records its last access and answers with a pattern. */
struct fake {
    uint64_t addr, val;
    unsigned size, reads, writes;
    int rc;
};

static int fake_read(void *dev, uint64_t addr, unsigned size, uint64_t now, uint64_t *val)
{
    struct fake *f = dev;

    f->addr = addr;
    f->size = size;
    f->reads++;
    *val = 0x1122334455667788ULL;   /* wider than any access: the bus masks it */
    return f->rc;
}

static int fake_write(void *dev, uint64_t addr, unsigned size, uint64_t now, uint64_t val)
{
    struct fake *f = dev;

    f->addr = addr;
    f->size = size;
    f->val = val;
    f->writes++;
    return f->rc;
}

static const struct hvm_io_ops fake_ops = { .read = fake_read, .write = fake_write };

static void test_overlap(void)
{
    static const struct { const char *name; enum hvm_io_space sp; uint64_t base, len; int rc; } rows[] = {
        { "first",                HVM_IO_PORT, 0x40, 4, 0 },
        { "same range",           HVM_IO_PORT, 0x40, 4, -EBUSY },
        { "inside",               HVM_IO_PORT, 0x41, 1, -EBUSY },
        { "covers it",            HVM_IO_PORT, 0x30, 0x20, -EBUSY },
        { "last byte shared",     HVM_IO_PORT, 0x43, 2, -EBUSY },
        { "first byte shared",    HVM_IO_PORT, 0x3c, 5, -EBUSY },
        { "adjacent after",       HVM_IO_PORT, 0x44, 4, 0 },
        { "adjacent before",      HVM_IO_PORT, 0x3c, 4, 0 },
        { "same numbers, MMIO",   HVM_IO_MMIO, 0x40, 4, 0 },
        { "MMIO page",            HVM_IO_MMIO, 0xfee00000, 0x1000, 0 },
        { "MMIO overlap",         HVM_IO_MMIO, 0xfee00ff0, 0x20, -EBUSY },
        { "zero length",          HVM_IO_PORT, 0x80, 0, -EINVAL },
        { "past port 0xffff",     HVM_IO_PORT, 0xfffe, 4, -EINVAL },
        { "last port",            HVM_IO_PORT, 0xffff, 1, 0 },
        { "port beyond 16 bits",  HVM_IO_PORT, 0x10000, 1, -EINVAL },
        { "MMIO wraps",           HVM_IO_MMIO, UINT64_MAX - 1, 4, -EINVAL },
        { "MMIO ends at 2^64",    HVM_IO_MMIO, UINT64_MAX - 3, 4, -EINVAL },
        { "MMIO just below it",   HVM_IO_MMIO, UINT64_MAX - 4, 4, 0 },
    };
    struct hvm_io_bus bus;
    struct fake f = { 0 };

    hvm_io_bus_init(&bus);
    for (unsigned i = 0; i < ARRAY_SIZE(rows); i++) {
        int rc = hvm_io_register(&bus, rows[i].sp, rows[i].base, rows[i].len, &fake_ops, &f);
        if (rc != rows[i].rc)
            printf("    %s: rc %d, want %d\n", rows[i].name, rc, rows[i].rc);
        CHECK_EQ(rc, rows[i].rc);
    }
}

static void test_bad_ops(void)
{
    static const struct hvm_io_ops no_write = { .read = fake_read };
    static const struct hvm_io_ops no_read = { .write = fake_write };
    struct hvm_io_bus bus;

    hvm_io_bus_init(&bus);
    CHECK_EQ(hvm_io_register(&bus, HVM_IO_PORT, 0x70, 2, NULL, NULL), -EINVAL);
    CHECK_EQ(hvm_io_register(&bus, HVM_IO_PORT, 0x70, 2, &no_write, NULL), -EINVAL);
    CHECK_EQ(hvm_io_register(&bus, HVM_IO_PORT, 0x70, 2, &no_read, NULL), -EINVAL);
    CHECK_EQ(hvm_io_register(&bus, (enum hvm_io_space)7, 0x70, 2, &fake_ops, NULL), -EINVAL);
    CHECK_EQ(bus.nr, 0);
}

static void test_full(void)
{
    struct hvm_io_bus bus;
    struct fake f = { 0 };

    hvm_io_bus_init(&bus);
    for (unsigned i = 0; i < HVM_IO_MAX_RANGES; i++)
        CHECK_EQ(hvm_io_register(&bus, HVM_IO_PORT, 0x100 + 2 * i, 2, &fake_ops, &f), 0);
    CHECK_EQ(hvm_io_register(&bus, HVM_IO_PORT, 0x1000, 1, &fake_ops, &f), -ENOSPC);
    /* Overlap is reported before fullness: the caller learns the real conflict. */
    CHECK_EQ(hvm_io_register(&bus, HVM_IO_PORT, 0x100, 1, &fake_ops, &f), -EBUSY);
}

static void test_dispatch(void)
{
    static const struct {
        const char *name; enum hvm_io_space sp; uint64_t addr; unsigned size; bool write;
        int rc; int dev;        /* which fake answers: 0 a, 1 b, 2 c, -1 none */
        uint64_t val;           /* read result, or the value the device got */
    } rows[] = {
        { "byte read a",        HVM_IO_PORT, 0x40, 1, false, 0, 0, 0x88 },
        { "word read a",        HVM_IO_PORT, 0x42, 2, false, 0, 0, 0x7788 },
        { "dword read b",       HVM_IO_PORT, 0x3f8, 4, false, 0, 1, 0x55667788 },
        { "write masked",       HVM_IO_PORT, 0x3ff, 1, true, 0, 1, 0xef },
        { "word write",         HVM_IO_PORT, 0x41, 2, true, 0, 0, 0xbeef },
        { "runs past a's end",  HVM_IO_PORT, 0x43, 2, false, -ENODEV, -1, 0 },
        { "nothing there",      HVM_IO_PORT, 0x80, 1, true, -ENODEV, -1, 0 },
        { "below a",            HVM_IO_PORT, 0x3f, 1, false, -ENODEV, -1, 0 },
        { "size 3",             HVM_IO_PORT, 0x40, 3, false, -EINVAL, -1, 0 },
        { "size 8 port",        HVM_IO_PORT, 0x40, 8, false, -EINVAL, -1, 0 },
        { "size 0",             HVM_IO_MMIO, 0xfec00000, 0, false, -EINVAL, -1, 0 },
        { "qword MMIO",         HVM_IO_MMIO, 0xfec00010, 8, false, 0, 2, 0x1122334455667788ULL },
        { "MMIO qword write",   HVM_IO_MMIO, 0xfec00ff8, 8, true, 0, 2, 0xdeadbeefdeadbeefULL },
        { "port number as MMIO", HVM_IO_MMIO, 0x40, 1, false, -ENODEV, -1, 0 },
        { "MMIO past the page", HVM_IO_MMIO, 0xfec01000, 4, false, -ENODEV, -1, 0 },
    };
    struct hvm_io_bus bus;
    struct fake f[3];

    memset(f, 0, sizeof(f));
    hvm_io_bus_init(&bus);
    /* Registered out of address order: order must not matter. */
    CHECK_EQ(hvm_io_register(&bus, HVM_IO_MMIO, 0xfec00000, 0x1000, &fake_ops, &f[2]), 0);
    CHECK_EQ(hvm_io_register(&bus, HVM_IO_PORT, 0x3f8, 8, &fake_ops, &f[1]), 0);
    CHECK_EQ(hvm_io_register(&bus, HVM_IO_PORT, 0x40, 4, &fake_ops, &f[0]), 0);
    for (unsigned i = 0; i < ARRAY_SIZE(rows); i++) {
        uint64_t v = rows[i].write ? 0xdeadbeefdeadbeefULL : 0;
        unsigned before[3];
        int rc;

        for (unsigned j = 0; j < 3; j++)
            before[j] = f[j].reads + f[j].writes;
        rc = hvm_io_dispatch(&bus, rows[i].sp, rows[i].addr, rows[i].size, rows[i].write, 5, &v);
        if (rc != rows[i].rc)
            printf("    %s: rc %d, want %d\n", rows[i].name, rc, rows[i].rc);
        CHECK_EQ(rc, rows[i].rc);
        for (unsigned j = 0; j < 3; j++) {
            bool called = f[j].reads + f[j].writes != before[j];
            if (called != ((int)j == rows[i].dev))
                printf("    %s: device %u called %d\n", rows[i].name, j, called);
            CHECK_EQ(called, (int)j == rows[i].dev);
        }
        if (rows[i].dev < 0)
            continue;
        CHECK_EQ(f[rows[i].dev].addr, rows[i].addr);    /* absolute address */
        CHECK_EQ(f[rows[i].dev].size, rows[i].size);
        if ((rows[i].write ? f[rows[i].dev].val : v) != rows[i].val)
            printf("    %s: value %#" PRIx64 ", want %#" PRIx64 "\n", rows[i].name,
                   rows[i].write ? f[rows[i].dev].val : v, rows[i].val);
        CHECK(rows[i].write ? f[rows[i].dev].val == rows[i].val : v == rows[i].val);
    }
}

static void test_device_error(void)
{
    struct hvm_io_bus bus;
    struct fake f = { .rc = -EINVAL };
    uint64_t v = 0;

    hvm_io_bus_init(&bus);
    CHECK_EQ(hvm_io_register(&bus, HVM_IO_MMIO, 0xfee00000, 0x1000, &fake_ops, &f), 0);
    CHECK_EQ(hvm_io_dispatch(&bus, HVM_IO_MMIO, 0xfee00300, 8, false, 0, &v), -EINVAL);
}

/* The byte helpers: a word access is two byte accesses, low byte first. */
static uint8_t regs[4];
static unsigned order[8], nr_order;

static uint8_t byte_read(void *dev, uint64_t addr, uint64_t now)
{
    order[nr_order++] = (unsigned)addr;
    return regs[addr - 0x70];
}

static void byte_write(void *dev, uint64_t addr, uint64_t now, uint8_t v)
{
    order[nr_order++] = (unsigned)addr;
    regs[addr - 0x70] = v;
}

static void test_bytes(void)
{
    uint64_t v;

    nr_order = 0;
    hvm_io_bytes_write(NULL, 0x70, 4, 0, 0xa1b2c3d4, byte_write);
    CHECK_EQ(regs[0], 0xd4);
    CHECK_EQ(regs[3], 0xa1);
    hvm_io_bytes_read(NULL, 0x71, 2, 0, &v, byte_read);
    CHECK_EQ(v, 0xb2c3);
    CHECK_EQ(nr_order, 6);
    CHECK_EQ(order[4], 0x71);
    CHECK_EQ(order[5], 0x72);
}

/* hvm_io_claimed (issue 11): what a device model may see is exactly what no range
 * holds, per space, whatever the access size would be. */
static void test_claimed(void)
{
    struct hvm_io_bus bus;
    struct fake a = { 0 };

    hvm_io_bus_init(&bus);
    CHECK(!hvm_io_claimed(&bus, HVM_IO_PORT, 0x40));
    CHECK_EQ(hvm_io_register(&bus, HVM_IO_PORT, 0x40, 4, &fake_ops, &a), 0);
    CHECK_EQ(hvm_io_register(&bus, HVM_IO_MMIO, 0xfec00000, 0x1000, &fake_ops, &a), 0);
    CHECK(hvm_io_claimed(&bus, HVM_IO_PORT, 0x40));
    CHECK(hvm_io_claimed(&bus, HVM_IO_PORT, 0x43));
    CHECK(!hvm_io_claimed(&bus, HVM_IO_PORT, 0x44));
    CHECK(!hvm_io_claimed(&bus, HVM_IO_PORT, 0x3f));
    CHECK(!hvm_io_claimed(&bus, HVM_IO_MMIO, 0x40));      /* the other space */
    CHECK(hvm_io_claimed(&bus, HVM_IO_MMIO, 0xfec00fff));
    CHECK(!hvm_io_claimed(&bus, HVM_IO_MMIO, 0xfec01000));
    CHECK(!hvm_io_claimed(&bus, HVM_IO_PORT, 0xfec00000));
}

static const struct unit_case cases[] = {
    { "claimed", test_claimed },
    { "overlapping ranges refused in either order, bad ranges", test_overlap },
    { "missing ops refused", test_bad_ops },
    { "table full: -ENOSPC", test_full },
    { "dispatch by space and address, sizes, masking", test_dispatch },
    { "a device's error is passed on", test_device_error },
    { "byte-split helpers: low byte first", test_bytes },
};
UNIT_MAIN(cases)
