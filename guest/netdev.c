/* The network-device registry and the receive wait; see netdev.h. */
#include <netdev.h>

#define NETDEV_MAX 4

static struct netdev *devs[NETDEV_MAX];
static unsigned nr_devs;

void netdev_register(struct netdev *d)
{
    if (nr_devs == NETDEV_MAX) {
        printf("netdev: %s not registered: %u devices already\n", d->name, NETDEV_MAX);
        return;
    }
    devs[nr_devs++] = d;
}

struct netdev *netdev_find(const char *name)
{
    for (unsigned i = 0; i < nr_devs; i++)
        if (!name || !strcmp(devs[i]->name, name))
            return devs[i];
    return NULL;
}

long netdev_recv_wait(struct netdev *d, void *buf, size_t len, uint64_t deadline_ns)
{
    long n;

    for (;;) {
        d->ops->poll(d);
        if ((n = d->ops->recv(d, buf, len)) != 0)
            return n;
        local_irq_disable();
        d->ops->poll(d);
        if ((n = d->ops->recv(d, buf, len)) != 0) {
            local_irq_enable();
            return n;
        }
        if (deadline_ns && guest_now_ns() >= deadline_ns) {
            local_irq_enable();
            return -ETIMEDOUT;
        }
        if (deadline_ns)
            timer_set_deadline(deadline_ns);
        guest_block();
    }
}
