/* The device model's ATA disk: dom0/ata.c (the pure model) on the primary IDE
 * channel of an HVM domain (ports 0x1F0-0x1F7, control 0x3F6, IRQ 14), its sectors in
 * a pdisk region (pdisk.h).
 *
 * Design. The model's 64 KiB buffer is 16 of dom0's pages; a backend request of n
 * sectors goes to pdisk as up to two requests of whole pages (PDISK_MAX_PAGES
 * segments each) with the pages' machine addresses; the model hears of it once both
 * are done (the first error wins). INTRQ changes become DOMCTL_hvm_set_irq of IRQ
 * 14. The data register takes string requests whole (ata_data_in/out), so a REP
 * INSW of a sector is one request.
 *
 * Lifetime: a disk detached (its domain gone) while pdisk still holds requests into
 * its buffer is orphaned, and freed by the last completion; pdisk never writes into
 * freed pages. */
#include "ata.h"
#include "dm.h"
#include "pdisk.h"
#include "strutil.h"

#define ATA_BASE      0x1f0
#define ATA_CTL_PORT  0x3f6
#define ATA_IRQ       14
#define ATA_BUF_PAGES (ATA_BUF_BYTES / PAGE_SIZE)
#define ATA_SUBREQS   2                 /* 16 pages in requests of at most 11 */

_Static_assert(ATA_BUF_PAGES <= ATA_SUBREQS * PDISK_MAX_PAGES, "a chunk fits the subrequests");

struct dm_ata {
    struct ata_disk disk;
    struct dm *dm;                      /* NULL once orphaned */
    struct pdisk_region region;
    uint8_t *buf;                       /* ATA_BUF_PAGES of dom0's pages */
    struct pdisk_req req[ATA_SUBREQS];
    unsigned outstanding;               /* subrequests with pdisk */
    int status;                         /* of the chunk in flight */
};

static struct dm_ata *atas[DM_MAX];     /* by dm_index */

static void dm_ata_free(struct dm_ata *a)
{
    for (unsigned i = 0; i < ATA_BUF_PAGES; i++)
        free_page(a->buf + i * PAGE_SIZE);
    free_page(a);
}

static void dm_ata_req_done(struct pdisk_req *r)
{
    struct dm_ata *a = r->arg;

    if (r->status < 0 && a->status == 0)
        a->status = r->status;
    if (--a->outstanding)
        return;
    if (!a->dm) {                       /* orphaned: nobody wants the data */
        dm_ata_free(a);
        return;
    }
    ata_complete(&a->disk, a->status);
    dm_device_changed(a->dm);           /* held status reads can be answered now */
}

static int dm_ata_submit(void *ctx, bool write, uint64_t lba, uint32_t n, uint8_t *buf)
{
    struct dm_ata *a = ctx;
    uint32_t pages = (n * ATA_SECTOR + PAGE_SIZE - 1) / PAGE_SIZE, done = 0;

    if (a->outstanding)
        return -EBUSY;                  /* never: the model waits for its request */
    a->status = 0;
    for (unsigned k = 0; k < ATA_SUBREQS && done < pages; k++) {
        struct pdisk_req *r = &a->req[k];
        uint32_t np = MIN(pages - done, (uint32_t)PDISK_MAX_PAGES);
        memset(r, 0, sizeof(*r));
        r->write = write;
        r->sector = lba + (uint64_t)done * (PAGE_SIZE / ATA_SECTOR);
        r->nr_segs = np;
        for (uint32_t i = 0; i < np; i++) {
            uint32_t off = (done + i) * PAGE_SIZE;
            r->seg[i].maddr = virt_to_maddr(buf + off);
            r->seg[i].len = MIN((uint32_t)PAGE_SIZE, n * ATA_SECTOR - off);
            r->nr_sectors += r->seg[i].len / ATA_SECTOR;
        }
        r->done = dm_ata_req_done;
        r->arg = a;
        a->outstanding++;
        int rc = pdisk_submit(&a->region, r);
        if (rc < 0) {
            a->outstanding--;
            if (a->outstanding)         /* the first half is out: it will complete */
                a->status = rc;
            return a->outstanding ? 0 : rc;
        }
        done += np;
    }
    return 0;
}

static void dm_ata_set_irq(void *ctx, bool level)
{
    struct dm_ata *a = ctx;

    if (a->dm)
        dm_set_irq(a->dm, ATA_IRQ, level);
}

static const struct ata_backend_ops dm_ata_backend = { dm_ata_submit, dm_ata_set_irq };

static enum ata_reg reg_of(uint16_t port)
{
    return port == ATA_CTL_PORT ? ATA_REG_CTL : (enum ata_reg)(port - ATA_BASE);
}

static uint32_t ata_port_read(void *dev, uint16_t port, unsigned size)
{
    struct dm_ata *a = dev;
    uint32_t v = ata_read(&a->disk, reg_of(port), size);

    return reg_of(port) == ATA_REG_DATA ? v : v | (size > 1 ? 0xffffff00u : 0); /* one byte wide */
}

static void ata_port_write(void *dev, uint16_t port, unsigned size, uint32_t val)
{
    struct dm_ata *a = dev;

    ata_write(&a->disk, reg_of(port), size, val);
}

/* String transfers: the data register whole, the byte registers element by element. */
static size_t ata_string_in(void *dev, uint16_t port, unsigned size, uint8_t *buf,
                            size_t count)
{
    struct dm_ata *a = dev;

    if (reg_of(port) == ATA_REG_DATA && size > 1)
        return ata_data_in(&a->disk, buf, count * size) / size;
    for (size_t i = 0; i < count; i++) {
        uint32_t v = ata_port_read(dev, port, size);
        memcpy(buf + i * size, &v, size);
    }
    return count;
}

static size_t ata_string_out(void *dev, uint16_t port, unsigned size, const uint8_t *buf,
                             size_t count)
{
    struct dm_ata *a = dev;

    if (reg_of(port) == ATA_REG_DATA && size > 1)
        return ata_data_out(&a->disk, buf, count * size) / size;
    for (size_t i = 0; i < count; i++) {
        uint32_t v = 0;
        memcpy(&v, buf + i * size, size);
        ata_port_write(dev, port, size, v);
    }
    return count;
}

/* While the backend works, a status read would only say BSY: such reads (and the
 * data register, which has nothing yet) are held until the chunk is in. Register
 * writes are never held (they are ignored while BSY, as the ATA rules say). */
static bool ata_port_ready(void *dev, uint16_t port)
{
    struct dm_ata *a = dev;
    enum ata_reg reg = reg_of(port);

    if (!a->outstanding)
        return true;
    return !(reg == ATA_REG_STATUS || reg == ATA_REG_CTL || reg == ATA_REG_DATA);
}

static const struct dm_port_ops ata_ops = { ata_port_ready, ata_port_read, ata_port_write,
                                            ata_string_in, ata_string_out };

static int dm_ata_attach(struct dm *dm, const char *who, const char *target, bool readonly)
{
    struct dm_ata *a;
    char why[96], serial[21];
    int rc;

    if (!target)
        return 0;
    if (!(a = alloc_page()))
        return -ENOMEM;
    _Static_assert(sizeof(*a) <= PAGE_SIZE, "one page");
    if ((rc = pdisk_region_parse(target, readonly, &a->region, why, sizeof(why))) < 0) {
        printf("%s: disk hda: %s\n", who, why);
        free_page(a);
        return rc;
    }
    if (!(a->buf = alloc_pages(ATA_BUF_PAGES))) {
        printf("%s: disk hda: no room for its buffer\n", who);
        free_page(a);
        return -ENOMEM;
    }
    a->dm = dm;
    fmt_snprintf(serial, sizeof(serial), "HVLAB%u-%s", dm_domid(dm), target);
    ata_init(&a->disk, a->region.sectors, a->region.readonly, a->buf, &dm_ata_backend, a,
             serial);
    atas[dm_index(dm)] = a;
    if ((rc = dm_port_register(dm, ATA_BASE, 8, &ata_ops, a)) < 0 ||
        (rc = dm_port_register(dm, ATA_CTL_PORT, 1, &ata_ops, a)) < 0)
        return rc;                      /* detach frees it */
    return 0;
}

static void dm_ata_detach(struct dm *dm)
{
    struct dm_ata *a = atas[dm_index(dm)];

    if (!a)
        return;
    atas[dm_index(dm)] = NULL;
    a->dm = NULL;
    if (!a->outstanding)
        dm_ata_free(a);                 /* else the last completion frees it */
}

DM_DEVICE(ata, dm_ata_attach, dm_ata_detach);
