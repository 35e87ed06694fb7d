/* virtio-blk, legacy virtio-pci (virtio_blk.h). Register layout of the legacy I/O
 * BAR (virtio 1.x, 4.1.4.8 "Legacy Interfaces: A Note on PCI Device Layout"), with
 * MSI-X off: 0x00 device features, 0x04 driver features, 0x08 queue PFN, 0x0c queue
 * size, 0x0e queue select, 0x10 queue notify, 0x12 status, 0x13 ISR (read clears),
 * 0x14 device config (virtio-blk: capacity, 64 bits, in 512-byte sectors).
 * A request is a chain: a 16-byte header (type, reserved, sector), the data
 * segments, a 1-byte status the device writes. */
#include <blkdev.h>
#include <pci.h>
#include <virtio_blk.h>
#include <virtq.h>

#define VIRTIO_VENDOR       0x1af4
#define VIRTIO_BLK_LEGACY   0x1001
#define VP_HOST_FEATURES    0x00
#define VP_GUEST_FEATURES   0x04
#define VP_QUEUE_PFN        0x08
#define VP_QUEUE_SIZE       0x0c
#define VP_QUEUE_SEL        0x0e
#define VP_QUEUE_NOTIFY     0x10
#define VP_STATUS           0x12
#define VP_ISR              0x13
#define VP_CONFIG           0x14
#define ST_ACK 1
#define ST_DRIVER 2
#define ST_DRIVER_OK 4
#define ST_FAILED 0x80
#define VIRTIO_BLK_F_RO     5
#define VIRTIO_BLK_F_FLUSH  9           /* legacy name: WCE */
#define VIRTIO_BLK_T_IN     0
#define VIRTIO_BLK_T_OUT    1
#define VIRTIO_BLK_T_FLUSH  4
#define VIRTIO_BLK_S_OK     0
#define VIRTIO_BLK_S_UNSUPP 2

struct vblk_hdr { uint32_t type, reserved; uint64_t sector; };

struct vblk {
    struct pci_dev pci;
    uint16_t io;                        /* I/O BAR base */
    uint64_t sectors;
    bool readonly;
    bool writeback;                     /* FLUSH negotiated: the device caches writes */
    int irq;                            /* bound pirq, -1: polled */
    volatile bool irq_seen;
    spinlock_t lock;                    /* everything below */
    struct virtq q;
    struct vblk_hdr *hdr;               /* VBLK_DEPTH headers, one DMA page */
    uint8_t *status;                    /* VBLK_DEPTH status bytes, same page */
    uint32_t slot_free;                 /* bit i: header/status slot i free */
    struct vblk_req *slot_req[VBLK_DEPTH];
    int16_t head_slot[VIRTQ_MAX_SIZE];  /* chain head -> slot */
    unsigned inflight;
    struct vblk_stats st;
    /* blkdev face */
    struct blkdev bd;
    struct vblk_req bd_req[VBLK_DEPTH];
    uint32_t bd_free;
};

static struct vblk disks[VBLK_MAX];
static unsigned nr_disks;
static bool probed;
static void (*notify_hook)(void);

unsigned vblk_count(void) { return nr_disks; }
struct vblk *vblk_get(unsigned i) { return i < nr_disks ? &disks[i] : NULL; }
uint64_t vblk_sectors(const struct vblk *d) { return d->sectors; }
bool vblk_readonly(const struct vblk *d) { return d->readonly; }
int vblk_irq(const struct vblk *d) { return d->irq; }
const struct vblk_stats *vblk_stats(const struct vblk *d) { return &d->st; }
unsigned vblk_inflight(const struct vblk *d) { return d->inflight; }

static void vblk_irq_event(evtchn_port_t port, void *arg)
{
    struct vblk *d = arg;

    (void)port;
    d->irq_seen = true;
    d->st.irqs++;
    if (notify_hook)
        notify_hook();
}

/* n pages whose machine addresses are contiguous (the legacy queue must be): PV
 * pseudo-physical pages need not be, so runs are tried until one is. */
static void *alloc_dma_pages(unsigned n)
{
    for (unsigned tries = 0; tries < 16; tries++) {
        char *va = alloc_pages(n);
        if (!va)
            return NULL;
        bool ok = true;
        for (unsigned i = 1; i < n; i++)
            ok &= virt_to_maddr(va + i * PAGE_SIZE) == virt_to_maddr(va) + i * PAGE_SIZE;
        if (ok)
            return va;                  /* the runs tried before are leaked: a few pages */
    }
    return NULL;
}

static int vblk_start(struct vblk *d)
{
    uint16_t io = d->io;

    outb(io + VP_STATUS, 0);                            /* reset */
    outb(io + VP_STATUS, ST_ACK);
    outb(io + VP_STATUS, ST_ACK | ST_DRIVER);
    /* FLUSH taken when offered: a driver that does not take it gets a writethrough
     * cache, every write followed by a host fdatasync (QEMU sets the cache mode from
     * this bit): measured 2.3 ms per 4 KiB write at depth 1 against 24 us with it. */
    uint32_t feat = inl(io + VP_HOST_FEATURES);
    uint32_t take = feat & ((1u << VIRTIO_BLK_F_RO) | (1u << VIRTIO_BLK_F_FLUSH));
    d->readonly = take & (1u << VIRTIO_BLK_F_RO);
    d->writeback = take & (1u << VIRTIO_BLK_F_FLUSH);
    outl(io + VP_GUEST_FEATURES, take);
    d->sectors = inl(io + VP_CONFIG) | (uint64_t)inl(io + VP_CONFIG + 4) << 32;
    outw(io + VP_QUEUE_SEL, 0);
    uint16_t size = inw(io + VP_QUEUE_SIZE);
    size_t bytes = virtq_bytes(size);
    void *mem = size && size <= VIRTQ_MAX_SIZE ? alloc_dma_pages((unsigned)(bytes / PAGE_SIZE))
                                               : NULL;
    void *page = alloc_page();
    if (!mem || !page || virtq_init(&d->q, mem, size) < 0) {
        outb(io + VP_STATUS, ST_FAILED);
        printf("virtio-blk %02x:%02x.%u: queue of %u entries: no ring\n", d->pci.bus,
               d->pci.dev, d->pci.fn, size);
        return -ENOMEM;
    }
    d->hdr = page;
    d->status = (uint8_t *)page + VBLK_DEPTH * sizeof(struct vblk_hdr);
    d->slot_free = VBLK_DEPTH == 32 ? ~0u : (1u << VBLK_DEPTH) - 1;
    outl(io + VP_QUEUE_PFN, (uint32_t)(virt_to_maddr(mem) >> 12));
    outb(io + VP_STATUS, ST_ACK | ST_DRIVER | ST_DRIVER_OK);
    return 0;
}

static int bd_submit(struct blkdev *b, struct blkreq *r);
static int bd_poll(struct blkdev *b);
static const struct blkdev_ops vblk_bd_ops = { .submit = bd_submit, .poll = bd_poll };

unsigned vblk_probe(void (*notify)(void))
{
    if (notify)
        notify_hook = notify;
    if (probed)
        return nr_disks;
    probed = true;
    for (unsigned i = 0; nr_disks < VBLK_MAX; i++) {
        struct vblk *d = &disks[nr_disks];
        if (pci_find(VIRTIO_VENDOR, VIRTIO_BLK_LEGACY, i, &d->pci) < 0)
            break;
        d->io = pci_io_bar_enable(&d->pci, 0);
        d->irq = -1;
        d->lock = (spinlock_t)SPINLOCK_INIT;
        if (!d->io || vblk_start(d) < 0)
            continue;
        if (d->pci.irq_pin && d->pci.irq_line < 16 &&
            pci_irq_bind(d->pci.irq_line, vblk_irq_event, d) >= 0)
            d->irq = d->pci.irq_line;
        snprintf(d->bd.name, sizeof(d->bd.name), "vd%c", 'a' + nr_disks);
        d->bd.sectors = d->sectors;
        d->bd.max_inflight = VBLK_DEPTH;
        d->bd.readonly = d->readonly;
        d->bd.polled = d->irq < 0;
        d->bd.ops = &vblk_bd_ops;
        d->bd.priv = d;
        d->bd_free = ~0u;
        printf("virtio-blk %02x:%02x.%u: vd%u, %lu sectors%s, ports %#x, queue %u, %s, %s\n",
               d->pci.bus, d->pci.dev, d->pci.fn, nr_disks, (unsigned long)d->sectors,
               d->readonly ? " (read-only)" : "", d->io, d->q.size,
               d->irq >= 0 ? "interrupt" : "polled",
               d->writeback ? "write cache (flush)" : "writethrough");
        nr_disks++;
        blkdev_register(&d->bd);
    }
    return nr_disks;
}

int vblk_submit(struct vblk *d, struct vblk_req *r)
{
    struct virtq_buf b[VBLK_MAX_SEGS + 2];
    uint64_t sectors = 0;

    if (r->flush ? r->nr_segs != 0 || r->write :
                   r->nr_segs == 0 || r->nr_segs > VBLK_MAX_SEGS || (r->write && d->readonly))
        return -EINVAL;
    for (unsigned i = 0; i < r->nr_segs; i++) {
        if (r->seg[i].len == 0 || r->seg[i].len % 512)
            return -EINVAL;
        sectors += r->seg[i].len / 512;
        b[i + 1] = (struct virtq_buf){ r->seg[i].maddr, r->seg[i].len, !r->write };
    }
    if (r->sector > d->sectors || sectors > d->sectors - r->sector)
        return -EINVAL;

    unsigned long f = spin_lock_irqsave(&d->lock);
    int rc = -EBUSY;
    if (d->slot_free && d->q.nr_free >= r->nr_segs + 2) {
        unsigned s = (unsigned)__builtin_ctz(d->slot_free);
        uint32_t type = r->flush ? VIRTIO_BLK_T_FLUSH : r->write ? VIRTIO_BLK_T_OUT
                                                                 : VIRTIO_BLK_T_IN;
        d->hdr[s] = (struct vblk_hdr){ type, 0, r->flush ? 0 : r->sector };
        d->status[s] = 0xff;
        b[0] = (struct virtq_buf){ virt_to_maddr(&d->hdr[s]), sizeof(d->hdr[s]), false };
        b[r->nr_segs + 1] = (struct virtq_buf){ virt_to_maddr(&d->status[s]), 1, true };
        int head = virtq_add(&d->q, b, r->nr_segs + 2);
        if (head >= 0) {
            d->slot_free &= ~(1u << s);
            d->slot_req[s] = r;
            d->head_slot[head] = (int16_t)s;
            d->inflight++;
            outw(d->io + VP_QUEUE_NOTIFY, 0);
            rc = 0;
        }
    }
    spin_unlock_irqrestore(&d->lock, f);
    return rc;
}

int vblk_poll(struct vblk *d)
{
    struct vblk_req *done[VBLK_DEPTH];
    unsigned n = 0;
    bool eoi = false;

    unsigned long f = spin_lock_irqsave(&d->lock);
    if (d->irq >= 0 && d->irq_seen) {
        d->irq_seen = false;
        (void)inb(d->io + VP_ISR);      /* acknowledges: the line drops */
        eoi = true;
    }
    for (;;) {
        uint32_t len;
        int head = virtq_get(&d->q, &len);
        if (head == -EAGAIN)
            break;
        if (head < 0)
            continue;                   /* counted in q.bad_used */
        unsigned s = (unsigned)d->head_slot[head];
        struct vblk_req *r = d->slot_req[s];
        uint8_t st = d->status[s];
        r->status = st == VIRTIO_BLK_S_OK ? 0 : st == VIRTIO_BLK_S_UNSUPP ? -EOPNOTSUPP : -EIO;
        d->st.reqs++;
        if (r->status)
            d->st.errors++;
        for (unsigned i = 0; i < r->nr_segs; i++)
            d->st.bytes += r->seg[i].len;
        d->slot_req[s] = NULL;
        d->slot_free |= 1u << s;
        d->inflight--;
        done[n++] = r;
    }
    d->st.bad_used = d->q.bad_used;
    spin_unlock_irqrestore(&d->lock, f);
    if (eoi)
        pci_irq_eoi((unsigned)d->irq);
    for (unsigned i = 0; i < n; i++)
        done[i]->done(done[i]);
    return (int)n;
}

/* ---- the blkdev face (one page per request) ---- */

static void bd_done(struct vblk_req *vr)
{
    struct blkreq *r = vr->arg;

    for (unsigned k = 0; k < nr_disks; k++) {
        struct vblk *d = &disks[k];
        if (vr >= d->bd_req && vr < d->bd_req + VBLK_DEPTH) {
            unsigned long f = spin_lock_irqsave(&d->lock);
            d->bd_free |= 1u << (vr - d->bd_req);
            spin_unlock_irqrestore(&d->lock, f);
            d->bd.reqs_done++;
            d->bd.bytes_done += r->nr_sectors * 512u;
        }
    }
    r->status = vr->status;
    r->done(r);
}

static int bd_submit(struct blkdev *b, struct blkreq *r)
{
    struct vblk *d = b->priv;

    if (r->nr_sectors == 0 || r->nr_sectors > PAGE_SIZE / 512 ||
        ((uintptr_t)r->buf & (PAGE_SIZE - 1)))
        return -EINVAL;
    unsigned long f = spin_lock_irqsave(&d->lock);
    int i = d->bd_free ? __builtin_ctz(d->bd_free) : -1;
    if (i >= 0)
        d->bd_free &= ~(1u << i);
    spin_unlock_irqrestore(&d->lock, f);
    if (i < 0)
        return -EBUSY;
    struct vblk_req *vr = &d->bd_req[i];
    *vr = (struct vblk_req){ .write = r->write, .sector = r->sector, .nr_segs = 1,
                             .done = bd_done, .arg = r };
    vr->seg[0].maddr = virt_to_maddr(r->buf);
    vr->seg[0].len = r->nr_sectors * 512;
    int rc = vblk_submit(d, vr);
    if (rc < 0) {
        f = spin_lock_irqsave(&d->lock);
        d->bd_free |= 1u << i;
        spin_unlock_irqrestore(&d->lock, f);
        return rc;
    }
    return 0;
}

static int bd_poll(struct blkdev *b)
{
    return vblk_poll(b->priv);
}

/* blkdev_probe_all: every virtio-blk disk as vda, vdb, ... (dom0's pdisk probes the
 * same disks; whichever comes first finds them, once). */
static int vblk_blkdev_probe(void)
{
    return (int)vblk_probe(NULL);
}
BLKDEV_DRIVER(virtio_blk, vblk_blkdev_probe);
