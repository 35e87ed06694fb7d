/* An ATA disk behind the legacy IDE registers; see ata.h.
 *
 * Design. The registers are those of ATA8-ACS's PIO protocols: a command written
 * to the command register either completes at once (IDENTIFY puts its data block in
 * the buffer; non-data commands finish) or starts a transfer. A read fetches up to
 * ATA_BUF_SECTORS sectors into the buffer through the backend (BSY meanwhile), then
 * offers them one DRQ data block (one sector) at a time, raising INTRQ for each; a
 * write offers DRQ for the first sector without an interrupt, takes sectors into
 * the buffer (INTRQ after each one it accepts without a backend write), and writes
 * the buffer back when it is full or the command's last sector is in (BSY), INTRQ
 * after that. A host that reads more than one sector in one string transfer gets
 * the next ones that are in the buffer, as with a drive whose DRQ never drops.
 * INTRQ is cleared by a status read or a command write (not by the alternate
 * status). Register values and the HOB bit follow the 48-bit feature set: each
 * command-block register is a two-deep FIFO.
 *
 * Reset: a software reset while the backend holds a request leaves the device BSY
 * until that request is back (its result dropped), so the buffer is never handed
 * out twice.
 *
 * Errors: a command the model does not implement, CHS addressing, a write to a
 * read-only disk: ERR with ABRT; a range past the disk's end: ERR with IDNF; a
 * backend failure: ERR with UNC (read) or ABRT (write); each with INTRQ. */
#include <hvlab/lib.h>
#include "ata.h"

static void ata_update_irq(struct ata_disk *a)
{
    bool level = a->intrq && !(a->devctl & ATA_CTL_NIEN);

    if (level != a->irq_level) {
        a->irq_level = level;
        a->ops->set_irq(a->ctx, level);
    }
}

static void ata_raise(struct ata_disk *a)
{
    a->intrq = true;
    ata_update_irq(a);
}

/* The reset signature of an ATA (not ATAPI) device, and DRDY. */
static void ata_reset_state(struct ata_disk *a)
{
    a->nsect[0] = a->lbal[0] = 1;
    a->lbam[0] = a->lbah[0] = 0;
    a->nsect[1] = a->lbal[1] = a->lbam[1] = a->lbah[1] = 0;
    a->device = 0;
    a->error = 0x01;                    /* diagnostic: device 0 passed */
    a->status = ATA_ST_DRDY | ATA_ST_DSC;
    a->phase = ATA_P_IDLE;
    a->left = a->in_buf = a->pos = a->block_end = 0;
    a->intrq = false;
    ata_update_irq(a);
}

void ata_init(struct ata_disk *a, uint64_t sectors, bool readonly, uint8_t *buf,
              const struct ata_backend_ops *ops, void *ctx, const char *serial)
{
    memset(a, 0, sizeof(*a));
    a->sectors = sectors;
    a->readonly = readonly;
    a->buf = buf;
    a->ops = ops;
    a->ctx = ctx;
    for (size_t i = 0; i < sizeof(a->serial) - 1 && serial && serial[i]; i++)
        a->serial[i] = serial[i];
    ata_reset_state(a);
}

/* The command ends: DRDY, the error (0 for success) and INTRQ. */
static void ata_finish(struct ata_disk *a, uint8_t error)
{
    a->phase = ATA_P_IDLE;
    a->error = error;
    a->status = ATA_ST_DRDY | ATA_ST_DSC | (error ? ATA_ST_ERR : 0);
    if (error)
        a->stats.aborted++;
    ata_raise(a);
}

/* ---- IDENTIFY ---- */

/* ATA strings: two characters per word, the first in the high byte, blank-padded. */
static void ata_string(uint8_t *out, const char *s, size_t bytes)
{
    size_t n = strlen(s);

    for (size_t i = 0; i < bytes; i++)
        out[i ^ 1] = i < n ? (uint8_t)s[i] : ' ';
}

static void put16(uint8_t *d, unsigned word, uint16_t v)
{
    d[2 * word] = (uint8_t)v;
    d[2 * word + 1] = (uint8_t)(v >> 8);
}

void ata_identify_data(const struct ata_disk *a, uint8_t d[ATA_SECTOR])
{
    uint64_t lba28 = MIN(a->sectors, (uint64_t)0x0fffffff);
    uint64_t cyl = MIN(a->sectors / (16 * 63), (uint64_t)16383);
    uint8_t sum = 0;

    memset(d, 0, ATA_SECTOR);
    put16(d, 0, 0x0040);                /* fixed, not removable; an ATA device */
    put16(d, 1, (uint16_t)cyl);         /* CHS, informative (commands need LBA) */
    put16(d, 3, 16);
    put16(d, 6, 63);
    ata_string(d + 20, a->serial, 20);  /* words 10-19 */
    ata_string(d + 46, "1.0", 8);       /* words 23-26: firmware */
    ata_string(d + 54, "HVLAB ATA DISK", 40);   /* words 27-46: model */
    put16(d, 47, 0x8000);               /* READ/WRITE MULTIPLE: none */
    put16(d, 49, 1u << 9);              /* LBA supported */
    put16(d, 50, 0x4000);
    put16(d, 53, 0x0002);               /* words 64-70 valid */
    put16(d, 54, (uint16_t)cyl);
    put16(d, 55, 16);
    put16(d, 56, 63);
    put16(d, 60, (uint16_t)lba28);
    put16(d, 61, (uint16_t)(lba28 >> 16));
    put16(d, 64, 0x0003);               /* PIO modes 3 and 4 */
    put16(d, 80, 0x00f0);               /* ATA/ATAPI-4 to -7 */
    put16(d, 82, 0x4000);
    put16(d, 83, 0x4000 | 1u << 13 | 1u << 12 | 1u << 10);   /* FLUSH EXT, FLUSH, 48-bit */
    put16(d, 84, 0x4000);
    put16(d, 85, 0x4000);
    put16(d, 86, 1u << 13 | 1u << 12 | 1u << 10);
    put16(d, 87, 0x4000);
    for (unsigned i = 0; i < 4; i++)
        put16(d, 100 + i, (uint16_t)(a->sectors >> (16 * i)));
    d[510] = 0xa5;                      /* checksum: all 512 bytes sum to 0 */
    for (unsigned i = 0; i < 511; i++)
        sum = (uint8_t)(sum + d[i]);
    d[511] = (uint8_t)-sum;
}

/* ---- transfers ---- */

/* The next chunk from or to the disk: BSY until ata_complete. */
static void ata_backend_start(struct ata_disk *a, uint32_t n)
{
    a->phase = ATA_P_BUSY;
    a->status = ATA_ST_BSY;
    a->in_buf = n;
    a->in_flight = true;
    a->stale = false;
    if (a->ops->submit(a->ctx, a->write, a->lba, n, a->buf) < 0) {
        a->in_flight = false;
        a->stats.backend_errors++;
        ata_finish(a, a->write ? ATA_ER_ABRT : ATA_ER_UNC);
    }
}

/* The next DRQ data block (one sector) of a read, from the buffer. */
static void ata_offer_block(struct ata_disk *a)
{
    a->phase = ATA_P_IN;
    a->status = ATA_ST_DRDY | ATA_ST_DSC | ATA_ST_DRQ;
    a->block_end = a->pos + ATA_SECTOR;
    ata_raise(a);
}

static void ata_read_next(struct ata_disk *a)
{
    a->pos = 0;
    ata_backend_start(a, MIN(a->left, ATA_BUF_SECTORS));
}

void ata_complete(struct ata_disk *a, int status)
{
    if (!a->in_flight)
        return;                         /* a backend's stray call: nothing asked */
    a->in_flight = false;
    if (a->stale) {                     /* a reset came meanwhile: it ends now */
        a->stale = false;
        if (!(a->devctl & ATA_CTL_SRST))
            a->status = ATA_ST_DRDY | ATA_ST_DSC;
        return;
    }
    if (status < 0) {
        a->stats.backend_errors++;
        ata_finish(a, a->write ? ATA_ER_ABRT : ATA_ER_UNC);
        return;
    }
    a->lba += a->in_buf;
    if (a->write) {
        a->stats.sectors_written += a->in_buf;
        a->left -= a->in_buf;
        a->in_buf = 0;
        a->pos = 0;
        if (!a->left) {
            ata_finish(a, 0);
            return;
        }
        a->phase = ATA_P_OUT;           /* room for the next sectors */
        a->status = ATA_ST_DRDY | ATA_ST_DSC | ATA_ST_DRQ;
        a->block_end = ATA_SECTOR;
        ata_raise(a);
        return;
    }
    a->stats.sectors_read += a->in_buf;
    ata_offer_block(a);
}

/* A sector of the DRQ block was fully transferred: what the device does next. */
static void ata_block_done(struct ata_disk *a)
{
    if (a->phase == ATA_P_IN) {
        a->left--;
        if (!a->left) {
            a->phase = ATA_P_IDLE;      /* the last block: no interrupt after it */
            a->status = ATA_ST_DRDY | ATA_ST_DSC;
        } else if (a->pos < a->in_buf * ATA_SECTOR) {
            ata_offer_block(a);
        } else {
            ata_read_next(a);
        }
        return;
    }
    /* OUT: a sector is in the buffer. */
    uint32_t have = a->pos / ATA_SECTOR;
    if (have == a->left || have == ATA_BUF_SECTORS) {
        ata_backend_start(a, have);
        return;
    }
    a->block_end = a->pos + ATA_SECTOR;
    ata_raise(a);                       /* ready for the next sector */
}

size_t ata_data_in(struct ata_disk *a, uint8_t *dst, size_t len)
{
    size_t done = 0;

    while (done < len && a->phase == ATA_P_IN) {
        size_t n = MIN(len - done, (size_t)(a->block_end - a->pos));
        memcpy(dst + done, a->buf + a->pos, n);
        a->pos += (uint32_t)n;
        done += n;
        if (a->pos == a->block_end)
            ata_block_done(a);
    }
    return done;
}

size_t ata_data_out(struct ata_disk *a, const uint8_t *src, size_t len)
{
    size_t done = 0;

    while (done < len && a->phase == ATA_P_OUT) {
        size_t n = MIN(len - done, (size_t)(a->block_end - a->pos));
        memcpy(a->buf + a->pos, src + done, n);
        a->pos += (uint32_t)n;
        done += n;
        if (a->pos == a->block_end)
            ata_block_done(a);
    }
    return done;
}

/* ---- commands ---- */

/* The LBA and count of a READ/WRITE command; false (after finishing with the error)
 * when they cannot be served. */
static bool ata_rw_args(struct ata_disk *a, bool ext)
{
    uint64_t lba, count;

    if (!(a->device & ATA_DEV_LBA)) {
        ata_finish(a, ATA_ER_ABRT);     /* CHS: IDENTIFY says LBA */
        return false;
    }
    if (ext) {
        lba = (uint64_t)a->lbal[0] | (uint64_t)a->lbam[0] << 8 | (uint64_t)a->lbah[0] << 16 |
              (uint64_t)a->lbal[1] << 24 | (uint64_t)a->lbam[1] << 32 |
              (uint64_t)a->lbah[1] << 40;
        count = (uint64_t)a->nsect[0] | (uint64_t)a->nsect[1] << 8;
        if (!count)
            count = 65536;
    } else {
        lba = (uint64_t)a->lbal[0] | (uint64_t)a->lbam[0] << 8 | (uint64_t)a->lbah[0] << 16 |
              (uint64_t)(a->device & 0x0f) << 24;
        count = a->nsect[0] ? a->nsect[0] : 256;
    }
    if (lba >= a->sectors || count > a->sectors - lba) {
        ata_finish(a, ATA_ER_IDNF);
        return false;
    }
    a->lba = lba;
    a->left = (uint32_t)count;
    a->pos = 0;
    a->in_buf = 0;
    return true;
}

static void ata_command(struct ata_disk *a, uint8_t cmd)
{
    a->command = cmd;
    a->stats.commands++;
    a->intrq = false;
    ata_update_irq(a);
    a->error = 0;
    switch (cmd) {
    case ATA_CMD_IDENTIFY:
        ata_identify_data(a, a->buf);
        a->write = false;
        a->left = 1;
        a->in_buf = 1;
        a->pos = 0;
        ata_offer_block(a);
        return;
    case ATA_CMD_READ: case ATA_CMD_READ_NR: case ATA_CMD_READ_EXT:
        a->write = false;
        if (ata_rw_args(a, cmd == ATA_CMD_READ_EXT))
            ata_read_next(a);
        return;
    case ATA_CMD_WRITE: case ATA_CMD_WRITE_NR: case ATA_CMD_WRITE_EXT:
        a->write = true;
        if (a->readonly) {
            ata_finish(a, ATA_ER_ABRT);
            return;
        }
        if (ata_rw_args(a, cmd == ATA_CMD_WRITE_EXT)) {
            a->phase = ATA_P_OUT;       /* the first block: DRQ, no interrupt */
            a->status = ATA_ST_DRDY | ATA_ST_DSC | ATA_ST_DRQ;
            a->block_end = ATA_SECTOR;
        }
        return;
    case ATA_CMD_FLUSH: case ATA_CMD_FLUSH_EXT:
    case ATA_CMD_SET_FEATURES: case ATA_CMD_INIT_PARAMS:
        ata_finish(a, 0);               /* writes are through: nothing to flush */
        return;
    case ATA_CMD_DIAGNOSTIC:
        ata_reset_state(a);
        ata_raise(a);
        return;
    default:
        ata_finish(a, ATA_ER_ABRT);
    }
}

/* The reset's end. With a backend request still out (it may still be reading or
 * writing the buffer), the device stays BSY until that one is back (ata_complete):
 * no command, and so no second request on the buffer, before. */
static void ata_soft_reset(struct ata_disk *a)
{
    a->stats.resets++;
    ata_reset_state(a);
    if (a->in_flight) {
        a->stale = true;
        a->status = ATA_ST_BSY;
    }
}

/* ---- registers ---- */

static bool ata_slave_selected(const struct ata_disk *a)
{
    return a->device & ATA_DEV_DEV;
}

uint32_t ata_read(struct ata_disk *a, enum ata_reg reg, unsigned size)
{
    unsigned hob = a->devctl & ATA_CTL_HOB ? 1 : 0;

    if (reg == ATA_REG_DATA) {
        uint8_t b[4] = { 0xff, 0xff, 0xff, 0xff };
        size = size == 4 ? 4 : 2;
        if (!ata_slave_selected(a))
            ata_data_in(a, b, size);
        return (uint32_t)b[0] | (uint32_t)b[1] << 8 |
               (size == 4 ? (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24 : 0);
    }
    if (reg == ATA_REG_CTL)             /* alternate status: INTRQ untouched */
        return ata_slave_selected(a) ? 0 : a->status;
    if (reg == ATA_REG_DEVICE)
        return a->device | 0xa0;        /* obsolete bits read as one */
    if (ata_slave_selected(a))
        return 0;                       /* no device 1 */
    if (a->status & ATA_ST_BSY)
        return a->status;               /* the command block reads as status */
    switch (reg) {
    case ATA_REG_ERROR:  return a->error;
    case ATA_REG_NSECT:  return a->nsect[hob];
    case ATA_REG_LBAL:   return a->lbal[hob];
    case ATA_REG_LBAM:   return a->lbam[hob];
    case ATA_REG_LBAH:   return a->lbah[hob];
    default:                            /* status: acknowledges the interrupt */
        a->intrq = false;
        ata_update_irq(a);
        return a->status;
    }
}

static void fifo_put(uint8_t r[2], uint8_t v)
{
    r[1] = r[0];
    r[0] = v;
}

void ata_write(struct ata_disk *a, enum ata_reg reg, unsigned size, uint32_t val)
{
    uint8_t v = (uint8_t)val;

    if (reg == ATA_REG_CTL) {
        bool was_reset = a->devctl & ATA_CTL_SRST;
        a->devctl = v;
        if (v & ATA_CTL_SRST) {
            a->status = ATA_ST_BSY;     /* held in reset */
            a->phase = ATA_P_IDLE;
            if (a->in_flight)
                a->stale = true;        /* its result is dropped when it comes */
        } else if (was_reset) {
            ata_soft_reset(a);
        }
        ata_update_irq(a);
        return;
    }
    if (reg == ATA_REG_DATA) {
        uint8_t b[4] = { (uint8_t)val, (uint8_t)(val >> 8), (uint8_t)(val >> 16),
                         (uint8_t)(val >> 24) };
        if (!ata_slave_selected(a))
            ata_data_out(a, b, size == 4 ? 4 : 2);
        return;
    }
    if (a->status & ATA_ST_BSY)
        return;                         /* ignored while busy (ATA8-ACS) */
    a->devctl &= (uint8_t)~ATA_CTL_HOB; /* a register write clears HOB */
    switch (reg) {
    case ATA_REG_FEATURE: a->feature = v; break;
    case ATA_REG_NSECT:   fifo_put(a->nsect, v); break;
    case ATA_REG_LBAL:    fifo_put(a->lbal, v); break;
    case ATA_REG_LBAM:    fifo_put(a->lbam, v); break;
    case ATA_REG_LBAH:    fifo_put(a->lbah, v); break;
    case ATA_REG_DEVICE:  a->device = v & 0x5f; ata_update_irq(a); break;
    default:                            /* command */
        if (!ata_slave_selected(a))
            ata_command(a, v);
    }
}
