/* The guest runtime's network devices: a registry (drivers register what they
 * find) and the sleeping receive; see netdev.h. */
#include <netdev.h>

#ifndef ETIMEDOUT
#define ETIMEDOUT 110
#endif

#define NETDEV_MAX 4

static struct netdev *devs[NETDEV_MAX];

void netdev_register(struct netdev *d)
{
    for (unsigned i = 0; i < NETDEV_MAX; i++) {
        if (!devs[i]) {
            devs[i] = d;
            return;
        }
    }
    printf("netdev: %s not registered: %u devices already\n", d->name, NETDEV_MAX);
}

struct netdev *netdev_find(const char *name)
{
    for (unsigned i = 0; i < NETDEV_MAX; i++)
        if (devs[i] && (!name || strcmp(devs[i]->name, name) == 0))
            return devs[i];
    return NULL;
}

/* recv is tried with events disabled, so an event that arrives after it found
 * nothing keeps guest_block from sleeping (guest.h). */
long netdev_recv_wait(struct netdev *d, void *buf, size_t len, uint64_t deadline_ns)
{
    long n;

    local_irq_disable();
    for (;;) {
        if ((n = d->ops->recv(d, buf, len)) != 0)
            break;
        if (deadline_ns && guest_now_ns() >= deadline_ns) {
            n = -ETIMEDOUT;
            break;
        }
        if (deadline_ns)
            timer_set_deadline(deadline_ns);
        guest_block();
        local_irq_disable();
    }
    local_irq_enable();
    return n;
}
