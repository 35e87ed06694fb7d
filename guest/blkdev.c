/* The block-device registry and the waits every driver shares; see blkdev.h.
 * Drivers register from their probe; the first registered is the default. */
#include <blkdev.h>

#define BLKDEV_MAX 8

static struct blkdev *devs[BLKDEV_MAX];
static unsigned nr_devs;

void blkdev_register(struct blkdev *d)
{
    if (nr_devs == BLKDEV_MAX) {
        printf("blkdev: %s not registered: %u devices already\n", d->name, BLKDEV_MAX);
        return;
    }
    devs[nr_devs++] = d;
}

extern const struct blkdev_driver __start_blkdev_drivers[], __stop_blkdev_drivers[];

int blkdev_probe_all(void)
{
    int n, total = 0;

    for (const struct blkdev_driver *drv = __start_blkdev_drivers;
         drv < __stop_blkdev_drivers; drv++) {
        if ((n = drv->probe()) < 0)
            printf("blkdev: %s: probe failed: %s\n", drv->name, errno_name(n));
        else
            total += n;
    }
    return total;
}

struct blkdev *blkdev_find(const char *name)
{
    for (unsigned i = 0; i < nr_devs; i++)
        if (!name || !strcmp(devs[i]->name, name))
            return devs[i];
    return NULL;
}

int blkdev_wait(struct blkdev *d, uint64_t deadline_ns)
{
    int n;

    for (;;) {
        if ((n = blkdev_poll(d)) != 0)
            return n;
        if (deadline_ns && guest_now_ns() >= deadline_ns)
            return -ETIMEDOUT;
        if (d->polled)
            continue;
        /* Every other driver's completion raises an event, which ends the block. */
        local_irq_disable();
        if ((n = blkdev_poll(d)) != 0) {
            local_irq_enable();
            return n;
        }
        if (deadline_ns)
            timer_set_deadline(deadline_ns);
        guest_block();
    }
}

static void rw_done(struct blkreq *r)
{
    *(volatile bool *)r->arg = true;
}

int blkdev_rw(struct blkdev *d, bool write, uint64_t sector, uint32_t nr, void *buf)
{
    volatile bool done = false;
    struct blkreq r = {
        .write = write, .sector = sector, .nr_sectors = nr, .buf = buf,
        .done = rw_done, .arg = (void *)&done,
    };
    int rc;

    while ((rc = blkdev_submit(d, &r)) == -EBUSY)
        if ((rc = blkdev_wait(d, 0)) < 0)
            return rc;
    if (rc < 0)
        return rc;
    while (!done)
        if ((rc = blkdev_wait(d, 0)) < 0)
            return rc;
    return r.status;
}
