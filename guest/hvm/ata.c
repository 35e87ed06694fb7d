/* The emulated ATA disk of an HVM guest as a blkdev ("hda"): the primary IDE
 * channel's master (0x1F0-0x1F7, control 0x3F6), PIO, polled with nIEN set, as a
 * BIOS-less driver does it: IDENTIFY for the size (48-bit if the disk has it), READ/
 * WRITE SECTORS with 28-bit LBA when the run fits, the EXT forms beyond; each sector
 * is one REP INSW/OUTSW of 256 words after DRQ (ATA's PIO data-in/out protocols),
 * so under hvlab each is one request to dom0's device model (docs/device-model.md).
 * On a machine without the disk the status reads 0xFF (a floating bus) and nothing
 * is registered.
 *
 * blkdev_probe_all runs ata_probe (BLKDEV_DRIVER), as for every block driver.
 * A request runs whole inside submit (max_inflight 1); its completion is reported
 * by the next poll, as blkdev.h asks. Errors (ERR, a timeout) are -EIO. */
#include <ata_blk.h>
#include "hvm.h"

#define ATA_DATA    0x1f0
#define ATA_ERROR   0x1f1
#define ATA_NSECT   0x1f2
#define ATA_LBAL    0x1f3
#define ATA_LBAM    0x1f4
#define ATA_LBAH    0x1f5
#define ATA_DEVICE  0x1f6
#define ATA_STATUS  0x1f7
#define ATA_CTL     0x3f6

#define ST_ERR  0x01
#define ST_DRQ  0x08
#define ST_DF   0x20
#define ST_DRDY 0x40
#define ST_BSY  0x80

#define CMD_READ      0x20
#define CMD_READ_EXT  0x24
#define CMD_WRITE     0x30
#define CMD_WRITE_EXT 0x34
#define CMD_FLUSH     0xe7
#define CMD_IDENTIFY  0xec

#define ATA_POLL_LIMIT 100000u          /* status reads before a request is given up:
                                         * about 0.5 s under hvlab (each is a request) */

struct ata_dev {
    struct blkdev bd;
    bool lba48;
    struct blkreq *done;                /* completed, reported by the next poll */
};

static struct ata_dev hda;

static void insw(uint16_t port, void *buf, unsigned long n)
{
    asm volatile("cld; rep insw" : "+D"(buf), "+c"(n) : "d"(port) : "memory");
}

static void outsw(uint16_t port, const void *buf, unsigned long n)
{
    asm volatile("cld; rep outsw" : "+S"(buf), "+c"(n) : "d"(port) : "memory");
}

/* Wait for BSY clear (the alternate status: no interrupt is acknowledged); the status,
 * or -1 on a timeout. */
static int ata_wait_ready(void)
{
    for (unsigned i = 0; i < ATA_POLL_LIMIT; i++) {
        uint8_t st = hw_inb(ATA_CTL);
        if (!(st & ST_BSY))
            return st;
    }
    return -1;
}

/* Wait for DRQ (or an error): 0, or -EIO. */
static int ata_wait_drq(void)
{
    int st = ata_wait_ready();

    if (st < 0 || (st & (ST_ERR | ST_DF)) || !(st & ST_DRQ))
        return -EIO;
    return 0;
}

static void ata_set_lba(uint64_t lba, uint32_t n, bool ext)
{
    if (ext) {
        hw_outb(ATA_NSECT, (uint8_t)(n >> 8));
        hw_outb(ATA_LBAL, (uint8_t)(lba >> 24));
        hw_outb(ATA_LBAM, (uint8_t)(lba >> 32));
        hw_outb(ATA_LBAH, (uint8_t)(lba >> 40));
        hw_outb(ATA_NSECT, (uint8_t)n);
        hw_outb(ATA_LBAL, (uint8_t)lba);
        hw_outb(ATA_LBAM, (uint8_t)(lba >> 8));
        hw_outb(ATA_LBAH, (uint8_t)(lba >> 16));
        hw_outb(ATA_DEVICE, 0x40);
    } else {
        hw_outb(ATA_NSECT, (uint8_t)n);
        hw_outb(ATA_LBAL, (uint8_t)lba);
        hw_outb(ATA_LBAM, (uint8_t)(lba >> 8));
        hw_outb(ATA_LBAH, (uint8_t)(lba >> 16));
        hw_outb(ATA_DEVICE, (uint8_t)(0x40 | ((lba >> 24) & 0x0f)));
    }
}

/* One READ/WRITE SECTORS (n <= 8, one page): 0 or -EIO. */
static int ata_pio(struct ata_dev *d, bool write, uint64_t lba, uint32_t n, void *buf)
{
    bool ext = lba + n > 0x0fffffffull;
    uint8_t *p = buf;

    if (ext && !d->lba48)
        return -EIO;
    if (ata_wait_ready() < 0)
        return -EIO;
    ata_set_lba(lba, n, ext);
    hw_outb(ATA_STATUS, write ? (ext ? CMD_WRITE_EXT : CMD_WRITE)
                              : (ext ? CMD_READ_EXT : CMD_READ));
    for (uint32_t s = 0; s < n; s++, p += 512) {
        if (ata_wait_drq() < 0)
            return -EIO;
        if (write)
            outsw(ATA_DATA, p, 256);
        else
            insw(ATA_DATA, p, 256);
    }
    int st = ata_wait_ready();
    (void)hw_inb(ATA_STATUS);           /* the last block's interrupt, acknowledged */
    return st < 0 || (st & (ST_ERR | ST_DF)) ? -EIO : 0;
}

static int ata_submit(struct blkdev *bd, struct blkreq *r)
{
    struct ata_dev *d = bd->priv;

    if (d->done)
        return -EBUSY;
    if (!r->nr_sectors || r->nr_sectors > 8 || r->sector >= bd->sectors ||
        r->nr_sectors > bd->sectors - r->sector || ((uintptr_t)r->buf & (PAGE_SIZE - 1)) ||
        (r->write && bd->readonly))
        return -EINVAL;
    r->status = ata_pio(d, r->write, r->sector, r->nr_sectors, r->buf);
    if (r->status == 0) {
        bd->reqs_done++;
        bd->bytes_done += (uint64_t)r->nr_sectors * 512;
    }
    d->done = r;
    return 0;
}

static int ata_poll(struct blkdev *bd)
{
    struct ata_dev *d = bd->priv;
    struct blkreq *r = d->done;

    if (!r)
        return 0;
    d->done = NULL;
    r->done(r);
    return 1;
}

static const struct blkdev_ops ata_blk_ops = { ata_submit, ata_poll };

static uint16_t word(const uint16_t *id, unsigned i) { return id[i]; }

int ata_probe(void)
{
    static uint16_t id[256] __attribute__((aligned(16)));

    if (hda.bd.ops)
        return 1;                       /* found already */
    hw_outb(ATA_DEVICE, 0xa0);          /* the master */
    hw_outb(ATA_CTL, 0x02);             /* nIEN: polled */
    if (hw_inb(ATA_STATUS) == 0xff)
        return -ENODEV;                 /* a floating bus: no disk */
    if (ata_wait_ready() < 0)
        return -EIO;
    hw_outb(ATA_STATUS, CMD_IDENTIFY);
    if (ata_wait_drq() < 0)
        return -ENODEV;                 /* no ATA device (or ATAPI: ABRT) */
    insw(ATA_DATA, id, 256);
    (void)hw_inb(ATA_STATUS);
    hda.lba48 = word(id, 83) & (1u << 10);
    hda.bd.sectors = hda.lba48 ? (uint64_t)word(id, 100) | (uint64_t)word(id, 101) << 16 |
                                 (uint64_t)word(id, 102) << 32 | (uint64_t)word(id, 103) << 48
                               : (uint64_t)word(id, 60) | (uint64_t)word(id, 61) << 16;
    if (!(word(id, 49) & (1u << 9)) || !hda.bd.sectors)
        return -ENODEV;                 /* CHS only: not driven here */
    memcpy(hda.bd.name, "hda", 4);
    hda.bd.max_inflight = 1;
    hda.bd.polled = true;               /* nIEN: no completion event */
    hda.bd.ops = &ata_blk_ops;
    hda.bd.priv = &hda;
    blkdev_register(&hda.bd);
    return 1;
}

BLKDEV_DRIVER(ata, ata_probe);
