/* The block-device registry and the generic waits of blkdev.h. */
#include <blkdev.h>

#define BLKDEV_MAX 8
#define BLKDEV_POLL_NS 20000ull         /* a polled device is looked at this often */

static struct blkdev *devs[BLKDEV_MAX];
static unsigned nr_devs;

void blkdev_register(struct blkdev *d)
{
    if (nr_devs < BLKDEV_MAX)
        devs[nr_devs++] = d;
    else
        printf("blkdev: %s not registered: %u devices already\n", d->name, BLKDEV_MAX);
}

struct blkdev *blkdev_find(const char *name)
{
    for (unsigned i = 0; i < nr_devs; i++)
        if (!name || strcmp(devs[i]->name, name) == 0)
            return devs[i];
    return NULL;
}

/* Devices with no interrupt (native virtio, ATA PIO) complete without an event: the
 * wait wakes every BLKDEV_POLL_NS to look. */
int blkdev_wait(struct blkdev *d, uint64_t deadline_ns)
{
    for (;;) {
        int n = blkdev_poll(d);
        if (n != 0)
            return n;
        uint64_t now = guest_now_ns();
        if (deadline_ns && now >= deadline_ns)
            return -ETIMEDOUT;
        uint64_t wake = now + BLKDEV_POLL_NS;
        if (deadline_ns && deadline_ns < wake)
            wake = deadline_ns;
        local_irq_disable();
        timer_set_deadline(wake);
        guest_block();
    }
}

static void rw_done(struct blkreq *r)
{
    *(bool *)r->arg = true;
}

int blkdev_rw(struct blkdev *d, bool write, uint64_t sector, uint32_t nr, void *buf)
{
    volatile bool done = false;
    struct blkreq r = { .write = write, .sector = sector, .nr_sectors = nr, .buf = buf,
                        .done = rw_done, .arg = (void *)&done };
    int rc = blkdev_submit(d, &r);

    if (rc < 0)
        return rc;
    while (!done) {
        rc = blkdev_wait(d, 0);
        if (rc < 0)
            return rc;
    }
    return r.status;
}
