/* xl disk-bench <region> [ops=...] [qd=Q[,Q2]] [reqs=N] [seed=S]: the disk benchmark
 * (bench/disk_run.c, the same code the diskbench guests run) in dom0, on its native
 * virtio-blk driver through pdisk: the "dom0" path of docs/io-benchmarks.md. Result
 * lines say mode=dom0 dev=<region's disk>.
 *
 * The benchmark sees a blkdev whose requests go to pdisk_submit with dom0's own page
 * as the machine address (the device DMAs into it). pdisk completes requests from its
 * service poll, which runs when dom0 waits (dom0_block_until, also the trace
 * collector's drains), so this blkdev is marked polled and its poll waits there for
 * the next event when nothing has completed: a completion costs one pirq event and
 * one pass of dom0's services, as for blkback. */
#include "../bench/disk_run.h"
#include "dom0.h"
#include "pdisk.h"
#include "xl.h"

#define XDB_WAIT_NS 1000000000ULL       /* one wait's bound: a lost completion shows */

struct xdb {
    struct pdisk_region g;
    struct blkdev dev;
    struct pdisk_req preq[DISKBENCH_MAX_QD];
    struct blkreq *req[DISKBENCH_MAX_QD];      /* the benchmark's request per slot */
    bool done[DISKBENCH_MAX_QD];               /* completed, not yet reported */
};

static struct xdb xdb;

static void xdb_pdisk_done(struct pdisk_req *p)
{
    unsigned slot = (unsigned)(p - xdb.preq);

    xdb.req[slot]->status = p->status;
    xdb.done[slot] = true;
}

static int xdb_submit(struct blkdev *d, struct blkreq *r)
{
    struct pdisk_req *p;
    unsigned slot;
    int rc;

    (void)d;
    for (slot = 0; slot < DISKBENCH_MAX_QD && xdb.req[slot]; slot++)
        ;
    if (slot == DISKBENCH_MAX_QD)
        return -EBUSY;
    if (!r->nr_sectors || r->nr_sectors > 8 || (uintptr_t)r->buf % PAGE_SIZE)
        return -EINVAL;
    p = &xdb.preq[slot];
    memset(p, 0, sizeof(*p));
    p->write = r->write;
    p->sector = r->sector;
    p->nr_sectors = r->nr_sectors;
    p->nr_segs = 1;
    p->seg[0].maddr = virt_to_maddr(r->buf);
    p->seg[0].len = r->nr_sectors * 512;
    p->done = xdb_pdisk_done;
    xdb.req[slot] = r;
    xdb.done[slot] = false;
    if ((rc = pdisk_submit(&xdb.g, p)) < 0)
        xdb.req[slot] = NULL;
    return rc;
}

static int xdb_reap(void)
{
    int n = 0;

    for (unsigned slot = 0; slot < DISKBENCH_MAX_QD; slot++) {
        struct blkreq *r = xdb.req[slot];

        if (!r || !xdb.done[slot])
            continue;
        xdb.req[slot] = NULL;          /* free before done: it may submit the next */
        xdb.dev.reqs_done++;
        xdb.dev.bytes_done += r->nr_sectors * 512ULL;
        r->done(r);
        n++;
    }
    return n;
}

static int xdb_poll(struct blkdev *d)
{
    int n;

    (void)d;
    if ((n = xdb_reap()) != 0)
        return n;
    dom0_block_until(guest_now_ns() + XDB_WAIT_NS);
    return xdb_reap();
}

static const struct blkdev_ops xdb_ops = { .submit = xdb_submit, .poll = xdb_poll };

int xl_disk_bench(int argc, char **argv)
{
    struct diskbench_opts o;
    char why[96];
    int rc;

    diskbench_opts_init(&o, "dom0");
    for (int i = 2; i < argc; i++) {
        char key[16], *eq = strchr(argv[i], '=');
        size_t kl = eq ? (size_t)(eq - argv[i]) : 0;

        if (!eq || kl >= sizeof(key)) {
            printf("disk-bench: '%s': expected key=value (ops, qd, reqs, seed)\n", argv[i]);
            return -EINVAL;
        }
        memcpy(key, argv[i], kl);
        key[kl] = '\0';
        if ((rc = diskbench_opt(&o, key, eq + 1)) < 0) {
            printf("disk-bench: '%s': %s\n", argv[i], rc == -ENOENT ?
                   "unknown option (known: ops, qd, reqs, seed)" : "bad value (ops: "
                   "seqwrite,seqread,randwrite,randread; qd: 1..32[,1..32]; reqs: "
                   "1..1000000)");
            return -EINVAL;
        }
    }
    for (unsigned slot = 0; slot < DISKBENCH_MAX_QD; slot++)
        if (xdb.req[slot]) {
            printf("disk-bench: requests of an earlier run are still in flight\n");
            return -EBUSY;
        }
    if (pdisk_region_parse(argv[1], false, &xdb.g, why, sizeof(why)) < 0) {
        printf("disk-bench: %s\n", why);
        return -EINVAL;
    }
    memset(&xdb.dev, 0, sizeof(xdb.dev));
    snprintf(xdb.dev.name, sizeof(xdb.dev.name), "vd%u", xdb.g.disk);
    xdb.dev.sectors = xdb.g.sectors;
    xdb.dev.max_inflight = DISKBENCH_MAX_QD;
    xdb.dev.polled = true;
    xdb.dev.ops = &xdb_ops;
    printf("disk-bench: %s, %llu sectors, up to %u in flight\n", argv[1],
           (unsigned long long)xdb.dev.sectors, xdb.dev.max_inflight);
    return diskbench_run(&xdb.dev, &o) ? -EIO : 0;
}
