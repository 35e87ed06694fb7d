/* The ATA disk model (dom0/ata.c) on the host, over a fake backend: an in-memory
 * disk whose requests complete at once or when the test says (deferred), and a
 * recorded interrupt line. Each case drives the registers as a guest driver would. */
#include "unit.h"
#include "ata.h"

#define DISK_SECTORS 300000ull          /* > 2^16 sectors: LBA48 counts matter */

static struct fake {
    uint8_t *disk;
    bool defer, fail;
    bool pending, pending_write;
    uint64_t pending_lba;
    uint32_t pending_n;
    uint8_t *pending_buf;
    unsigned submits, irq_edges;
    bool irq;
} fk;
static struct ata_disk A;
static uint8_t abuf[ATA_BUF_BYTES];

static void fake_do(void)
{
    uint8_t *d = fk.disk + fk.pending_lba * ATA_SECTOR;
    if (fk.pending_write)
        memcpy(d, fk.pending_buf, (size_t)fk.pending_n * ATA_SECTOR);
    else
        memcpy(fk.pending_buf, d, (size_t)fk.pending_n * ATA_SECTOR);
}

static int fake_submit(void *ctx, bool write, uint64_t lba, uint32_t n, uint8_t *buf)
{
    (void)ctx;
    CHECK(n >= 1 && n <= ATA_BUF_SECTORS);
    CHECK(lba + n <= DISK_SECTORS);
    CHECK(!fk.pending);
    fk.submits++;
    if (fk.fail)
        return -5;
    fk.pending = true;
    fk.pending_write = write;
    fk.pending_lba = lba;
    fk.pending_n = n;
    fk.pending_buf = buf;
    if (!fk.defer) {
        fake_do();
        fk.pending = false;
        ata_complete(&A, 0);
    }
    return 0;
}

static void fake_finish(int status)
{
    CHECK(fk.pending);
    if (status == 0)
        fake_do();
    fk.pending = false;
    ata_complete(&A, status);
}

static void fake_irq(void *ctx, bool level)
{
    (void)ctx;
    CHECK(level != fk.irq);             /* only changes are reported */
    if (level)
        fk.irq_edges++;
    fk.irq = level;
}

static const struct ata_backend_ops fake_ops = { fake_submit, fake_irq };

static void setup(bool readonly)
{
    static uint8_t *disk;
    if (!disk)
        disk = malloc(DISK_SECTORS * ATA_SECTOR);
    memset(&fk, 0, sizeof(fk));
    fk.disk = disk;
    for (uint64_t s = 0; s < DISK_SECTORS; s++)   /* sector s: bytes of s */
        for (unsigned i = 0; i < ATA_SECTOR; i += 8)
            memcpy(disk + s * ATA_SECTOR + i, &s, 8);
    ata_init(&A, DISK_SECTORS, readonly, abuf, &fake_ops, NULL, "HV0001");
}

static uint8_t status(void) { return (uint8_t)ata_read(&A, ATA_REG_STATUS, 1); }

static void lba28(uint32_t lba, uint8_t count)
{
    ata_write(&A, ATA_REG_NSECT, 1, count);
    ata_write(&A, ATA_REG_LBAL, 1, lba & 0xff);
    ata_write(&A, ATA_REG_LBAM, 1, (lba >> 8) & 0xff);
    ata_write(&A, ATA_REG_LBAH, 1, (lba >> 16) & 0xff);
    ata_write(&A, ATA_REG_DEVICE, 1, ATA_DEV_LBA | ((lba >> 24) & 0xf));
}

static void lba48(uint64_t lba, uint16_t count)
{
    ata_write(&A, ATA_REG_NSECT, 1, count >> 8);
    ata_write(&A, ATA_REG_LBAL, 1, (lba >> 24) & 0xff);
    ata_write(&A, ATA_REG_LBAM, 1, (lba >> 32) & 0xff);
    ata_write(&A, ATA_REG_LBAH, 1, (lba >> 40) & 0xff);
    ata_write(&A, ATA_REG_NSECT, 1, count & 0xff);
    ata_write(&A, ATA_REG_LBAL, 1, lba & 0xff);
    ata_write(&A, ATA_REG_LBAM, 1, (lba >> 8) & 0xff);
    ata_write(&A, ATA_REG_LBAH, 1, (lba >> 16) & 0xff);
    ata_write(&A, ATA_REG_DEVICE, 1, ATA_DEV_LBA);
}

static uint64_t first_qword(const uint8_t *b)
{
    uint64_t v;
    memcpy(&v, b, 8);
    return v;
}

/* ---- cases ---- */

static void test_reset_signature(void)
{
    setup(false);
    CHECK_EQ(ata_read(&A, ATA_REG_NSECT, 1), 1);
    CHECK_EQ(ata_read(&A, ATA_REG_LBAL, 1), 1);
    CHECK_EQ(ata_read(&A, ATA_REG_LBAM, 1), 0);
    CHECK_EQ(ata_read(&A, ATA_REG_LBAH, 1), 0);
    CHECK_EQ(status(), ATA_ST_DRDY | ATA_ST_DSC);
    CHECK_EQ(ata_read(&A, ATA_REG_ERROR, 1), 1);
}

static void test_identify(void)
{
    uint8_t id[512];
    setup(false);
    ata_write(&A, ATA_REG_DEVICE, 1, 0);
    ata_write(&A, ATA_REG_COMMAND, 1, ATA_CMD_IDENTIFY);
    CHECK(fk.irq);
    CHECK_EQ(status(), ATA_ST_DRDY | ATA_ST_DSC | ATA_ST_DRQ);
    CHECK(!fk.irq);                     /* the status read acknowledged it */
    for (unsigned i = 0; i < 256; i++) {
        uint16_t w = (uint16_t)ata_read(&A, ATA_REG_DATA, 2);
        id[2 * i] = (uint8_t)w;
        id[2 * i + 1] = (uint8_t)(w >> 8);
    }
    CHECK_EQ(status(), ATA_ST_DRDY | ATA_ST_DSC);
    CHECK_EQ(id[0] | id[1] << 8, 0x0040);
    CHECK_EQ((id[98] | id[99] << 8) & (1 << 9), 1 << 9);        /* LBA */
    CHECK_EQ((id[166] | id[167] << 8) & (1 << 10), 1 << 10);    /* 48-bit */
    uint32_t l28 = (uint32_t)(id[120] | id[121] << 8 | id[122] << 16 | (uint32_t)id[123] << 24);
    CHECK_EQ(l28, DISK_SECTORS);
    CHECK_EQ(first_qword(id + 200), DISK_SECTORS);              /* words 100-103 */
    CHECK(memcmp(id + 54, "VHAL BTA AIDKS", 14) == 0);         /* byte-swapped model */
    CHECK(memcmp(id + 20, "VH0010", 6) == 0);
    uint8_t sum = 0;
    for (unsigned i = 0; i < 512; i++)
        sum = (uint8_t)(sum + id[i]);
    CHECK_EQ(sum, 0);
    CHECK_EQ(id[510], 0xa5);
}

static void test_read_lba28_pio(void)
{
    uint8_t buf[4 * 512];
    setup(false);
    lba28(1000, 4);
    ata_write(&A, ATA_REG_COMMAND, 1, ATA_CMD_READ);
    for (unsigned s = 0; s < 4; s++) {
        CHECK(fk.irq);                  /* one interrupt per DRQ block */
        CHECK_EQ(status() & (ATA_ST_DRQ | ATA_ST_BSY | ATA_ST_ERR), ATA_ST_DRQ);
        CHECK_EQ(ata_data_in(&A, buf + s * 512, 512), 512);
    }
    CHECK_EQ(status(), ATA_ST_DRDY | ATA_ST_DSC);
    CHECK(!fk.irq);
    for (unsigned s = 0; s < 4; s++)
        CHECK_EQ(first_qword(buf + s * 512), 1000 + s);
    CHECK_EQ(A.stats.sectors_read, 4);
}

static void test_read_whole_page_in_one_transfer(void)
{
    uint8_t buf[4096];
    setup(false);
    lba28(8, 8);
    ata_write(&A, ATA_REG_COMMAND, 1, ATA_CMD_READ);
    CHECK_EQ(ata_data_in(&A, buf, sizeof(buf)), 4096);  /* a REP INSW of 2048 words */
    for (unsigned s = 0; s < 8; s++)
        CHECK_EQ(first_qword(buf + s * 512), 8 + s);
    CHECK_EQ(status(), ATA_ST_DRDY | ATA_ST_DSC);
    CHECK_EQ(ata_data_in(&A, buf, 2), 0);               /* no data left: floating bus */
    CHECK_EQ(ata_read(&A, ATA_REG_DATA, 2), 0xffff);
}

static void test_read_count_zero_is_256(void)
{
    uint8_t b[512];
    setup(false);
    lba28(5, 0);
    ata_write(&A, ATA_REG_COMMAND, 1, ATA_CMD_READ);
    unsigned n = 0;
    while (status() & ATA_ST_DRQ) {
        CHECK_EQ(ata_data_in(&A, b, 512), 512);
        CHECK_EQ(first_qword(b), 5 + n);
        n++;
    }
    CHECK_EQ(n, 256);
    CHECK_EQ(fk.submits, 2);            /* two 128-sector chunks */
}

static void test_read_lba48(void)
{
    uint8_t b[512];
    setup(false);
    lba48(0x12345, 3);                  /* above 2^16: the high bytes matter */
    ata_write(&A, ATA_REG_COMMAND, 1, ATA_CMD_READ_EXT);
    for (unsigned s = 0; s < 3; s++) {
        CHECK_EQ(ata_data_in(&A, b, 512), 512);
        CHECK_EQ(first_qword(b), 0x12345 + s);
    }
    CHECK_EQ(status(), ATA_ST_DRDY | ATA_ST_DSC);
}

static void test_hob_reads_previous(void)
{
    setup(false);
    lba48(0x0000aabbccddeeffull & 0xffffffffffffull, 0x0102);
    CHECK_EQ(ata_read(&A, ATA_REG_LBAL, 1), 0xff);
    ata_write(&A, ATA_REG_CTL, 1, ATA_CTL_HOB);
    CHECK_EQ(ata_read(&A, ATA_REG_LBAL, 1), 0xcc);
    CHECK_EQ(ata_read(&A, ATA_REG_NSECT, 1), 0x01);
    ata_write(&A, ATA_REG_LBAL, 1, 0x11);           /* a register write clears HOB */
    CHECK_EQ(ata_read(&A, ATA_REG_LBAL, 1), 0x11);
}

static void test_write_then_read_back(void)
{
    uint8_t out[3 * 512], in[3 * 512];
    setup(false);
    for (unsigned i = 0; i < sizeof(out); i++)
        out[i] = (uint8_t)(i * 7 + 3);
    lba28(777, 3);
    ata_write(&A, ATA_REG_COMMAND, 1, ATA_CMD_WRITE);
    CHECK(!fk.irq);                     /* the first DRQ comes without an interrupt */
    CHECK_EQ(ata_read(&A, ATA_REG_CTL, 1) & ATA_ST_DRQ, ATA_ST_DRQ);
    CHECK_EQ(ata_data_out(&A, out, 512), 512);
    CHECK(fk.irq);
    CHECK_EQ(status() & ATA_ST_DRQ, ATA_ST_DRQ);
    CHECK_EQ(ata_data_out(&A, out + 512, 1024), 1024);
    CHECK_EQ(fk.submits, 1);            /* written back once, all three */
    CHECK(fk.irq);
    CHECK_EQ(status(), ATA_ST_DRDY | ATA_ST_DSC);
    CHECK(memcmp(fk.disk + 777 * 512, out, sizeof(out)) == 0);
    lba28(777, 3);
    ata_write(&A, ATA_REG_COMMAND, 1, ATA_CMD_READ);
    CHECK_EQ(ata_data_in(&A, in, sizeof(in)), sizeof(in));
    CHECK(memcmp(in, out, sizeof(in)) == 0);
    CHECK_EQ(A.stats.sectors_written, 3);
}

static void test_write_lba48_word_by_word(void)
{
    setup(false);
    lba48(70000, 1);
    ata_write(&A, ATA_REG_COMMAND, 1, ATA_CMD_WRITE_EXT);
    for (unsigned i = 0; i < 256; i++)
        ata_write(&A, ATA_REG_DATA, 2, 0xbe00 | (i & 0xff));
    CHECK_EQ(status(), ATA_ST_DRDY | ATA_ST_DSC);
    CHECK_EQ(fk.disk[70000 * 512 + 2], 0x01);
    CHECK_EQ(fk.disk[70000 * 512 + 3], 0xbe);
}

static void test_busy_while_backend_works(void)
{
    uint8_t b[512];
    setup(false);
    fk.defer = true;
    lba28(3, 1);
    ata_write(&A, ATA_REG_COMMAND, 1, ATA_CMD_READ);
    CHECK_EQ(status(), ATA_ST_BSY);
    CHECK_EQ(ata_read(&A, ATA_REG_LBAL, 1), ATA_ST_BSY);    /* block reads as status */
    ata_write(&A, ATA_REG_COMMAND, 1, ATA_CMD_IDENTIFY);   /* ignored while busy */
    CHECK_EQ(ata_data_in(&A, b, 512), 0);
    CHECK(!fk.irq);
    fake_finish(0);
    CHECK(fk.irq);
    CHECK_EQ(ata_data_in(&A, b, 512), 512);
    CHECK_EQ(first_qword(b), 3);
    CHECK_EQ(A.stats.commands, 1);
}

static void test_errors(void)
{
    setup(true);
    lba28(0, 1);
    ata_write(&A, ATA_REG_COMMAND, 1, ATA_CMD_WRITE);       /* read-only */
    CHECK_EQ(status(), ATA_ST_DRDY | ATA_ST_DSC | ATA_ST_ERR);
    CHECK_EQ(ata_read(&A, ATA_REG_ERROR, 1), ATA_ER_ABRT);
    setup(false);
    lba28(DISK_SECTORS - 1, 2);                             /* past the end */
    ata_write(&A, ATA_REG_COMMAND, 1, ATA_CMD_READ);
    CHECK(fk.irq);
    CHECK_EQ(status(), ATA_ST_DRDY | ATA_ST_DSC | ATA_ST_ERR);
    CHECK_EQ(ata_read(&A, ATA_REG_ERROR, 1), ATA_ER_IDNF);
    CHECK_EQ(fk.submits, 0);
    lba48(DISK_SECTORS, 1);
    ata_write(&A, ATA_REG_COMMAND, 1, ATA_CMD_READ_EXT);
    CHECK_EQ(ata_read(&A, ATA_REG_ERROR, 1), ATA_ER_IDNF);
    ata_write(&A, ATA_REG_DEVICE, 1, 0);                    /* CHS */
    ata_write(&A, ATA_REG_COMMAND, 1, ATA_CMD_READ);
    CHECK_EQ(ata_read(&A, ATA_REG_ERROR, 1), ATA_ER_ABRT);
    ata_write(&A, ATA_REG_COMMAND, 1, 0xc8);                /* READ DMA: not here */
    CHECK_EQ(status() & ATA_ST_ERR, ATA_ST_ERR);
    CHECK_EQ(ata_read(&A, ATA_REG_ERROR, 1), ATA_ER_ABRT);
    fk.fail = true;                                         /* backend refuses */
    lba28(0, 1);
    ata_write(&A, ATA_REG_COMMAND, 1, ATA_CMD_READ);
    CHECK_EQ(ata_read(&A, ATA_REG_ERROR, 1), ATA_ER_UNC);
    fk.fail = false;
    fk.defer = true;                                        /* backend fails later */
    lba28(0, 1);
    ata_write(&A, ATA_REG_COMMAND, 1, ATA_CMD_READ);
    fake_finish(-5);
    CHECK_EQ(status(), ATA_ST_DRDY | ATA_ST_DSC | ATA_ST_ERR);
    CHECK_EQ(ata_read(&A, ATA_REG_ERROR, 1), ATA_ER_UNC);
    ata_write(&A, ATA_REG_COMMAND, 1, ATA_CMD_FLUSH);       /* a good command clears it */
    CHECK_EQ(status(), ATA_ST_DRDY | ATA_ST_DSC);
    CHECK_EQ(ata_read(&A, ATA_REG_ERROR, 1), 0);
}

static void test_nien_masks_line(void)
{
    setup(false);
    ata_write(&A, ATA_REG_CTL, 1, ATA_CTL_NIEN);
    lba28(1, 1);
    ata_write(&A, ATA_REG_COMMAND, 1, ATA_CMD_READ);
    CHECK(!fk.irq);
    CHECK(A.intrq);
    ata_write(&A, ATA_REG_CTL, 1, 0);   /* unmasked: the pending request shows */
    CHECK(fk.irq);
    CHECK_EQ(ata_read(&A, ATA_REG_CTL, 1) & ATA_ST_DRQ, ATA_ST_DRQ);
    CHECK(fk.irq);                      /* alternate status does not acknowledge */
    status();
    CHECK(!fk.irq);
}

static void test_soft_reset_mid_transfer(void)
{
    uint8_t b[512];
    setup(false);
    fk.defer = true;
    lba28(10, 2);
    ata_write(&A, ATA_REG_COMMAND, 1, ATA_CMD_READ);
    ata_write(&A, ATA_REG_CTL, 1, ATA_CTL_SRST);
    CHECK_EQ(ata_read(&A, ATA_REG_CTL, 1), ATA_ST_BSY);
    ata_write(&A, ATA_REG_CTL, 1, 0);
    /* The backend still holds the old request (and the buffer): BSY until it is
     * back, and a command meanwhile is ignored, never a second backend request. */
    CHECK_EQ(status(), ATA_ST_BSY);
    lba28(20, 1);
    ata_write(&A, ATA_REG_COMMAND, 1, ATA_CMD_WRITE);
    CHECK_EQ(fk.submits, 1);
    fake_finish(0);                                         /* the stale completion */
    CHECK_EQ(status(), ATA_ST_DRDY | ATA_ST_DSC);
    CHECK_EQ(ata_read(&A, ATA_REG_NSECT, 1), 1);            /* signature */
    CHECK_EQ(ata_data_in(&A, b, 512), 0);                   /* the stale data: gone */
    CHECK_EQ(ata_data_in(&A, b, 512), 0);
    ata_complete(&A, 0);                                    /* a stray one: ignored */
    CHECK_EQ(status(), ATA_ST_DRDY | ATA_ST_DSC);
    fk.defer = false;
    lba28(10, 1);                                           /* works again */
    ata_write(&A, ATA_REG_COMMAND, 1, ATA_CMD_READ);
    CHECK_EQ(ata_data_in(&A, b, 512), 512);
    CHECK_EQ(first_qword(b), 10);
    CHECK_EQ(A.stats.resets, 1);
}

static void test_slave_absent(void)
{
    setup(false);
    ata_write(&A, ATA_REG_DEVICE, 1, ATA_DEV_DEV);
    CHECK_EQ(status(), 0);
    CHECK_EQ(ata_read(&A, ATA_REG_CTL, 1), 0);
    ata_write(&A, ATA_REG_COMMAND, 1, ATA_CMD_IDENTIFY);
    CHECK_EQ(A.stats.commands, 0);
    ata_write(&A, ATA_REG_DEVICE, 1, 0);
    CHECK_EQ(status(), ATA_ST_DRDY | ATA_ST_DSC);
}

/* Random register traffic: no access breaks an invariant (ASan/UBSan watch the
 * buffer), and the backend is never asked for something past the disk. */
static void test_random_traffic(void)
{
    uint64_t x = 88172645463325252ull;
    uint8_t b[1024];
    setup(false);
    for (unsigned i = 0; i < 200000; i++) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        unsigned reg = (unsigned)(x % 9), op = (unsigned)(x >> 8) % 4;
        uint32_t v = (uint32_t)(x >> 20);
        if (fk.pending && (x >> 40) % 3 == 0)
            fake_finish((x >> 45) % 5 ? 0 : -5);
        if (op == 0)
            ata_read(&A, (enum ata_reg)reg, 1 + (v & 1));
        else if (op == 1)
            ata_write(&A, (enum ata_reg)reg, 1, reg == ATA_REG_COMMAND ?
                      (uint8_t[]){ 0x20, 0x24, 0x30, 0x34, 0xec, 0xe7, 0x00, 0x91 }[v % 8] : v);
        else if (op == 2)
            ata_data_in(&A, b, v % sizeof(b));
        else
            ata_data_out(&A, b, v % sizeof(b));
        CHECK(A.pos <= ATA_BUF_BYTES && A.block_end <= ATA_BUF_BYTES);
        fk.defer = (x >> 50) & 1;
    }
    if (fk.pending)
        fake_finish(0);
}

static const struct unit_case cases[] = {
    { "reset_signature", test_reset_signature },
    { "identify", test_identify },
    { "read_lba28_pio", test_read_lba28_pio },
    { "read_whole_page_in_one_transfer", test_read_whole_page_in_one_transfer },
    { "read_count_zero_is_256", test_read_count_zero_is_256 },
    { "read_lba48", test_read_lba48 },
    { "hob_reads_previous", test_hob_reads_previous },
    { "write_then_read_back", test_write_then_read_back },
    { "write_lba48_word_by_word", test_write_lba48_word_by_word },
    { "busy_while_backend_works", test_busy_while_backend_works },
    { "errors", test_errors },
    { "nien_masks_line", test_nien_masks_line },
    { "soft_reset_mid_transfer", test_soft_reset_mid_transfer },
    { "slave_absent", test_slave_absent },
    { "random_traffic", test_random_traffic },
};
UNIT_MAIN(cases)
