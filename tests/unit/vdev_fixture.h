/* What the virtual-device tests share: an interrupt sink that records every level
 * change per ISA line, and byte/word port accesses through a real hvm_io_bus (so
 * each test goes through hvm_io_dispatch as svm's exit handlers will). */
#ifndef HVLAB_VDEV_FIXTURE_H
#define HVLAB_VDEV_FIXTURE_H

#include "unit.h"

#include <hvlab/errno.h>
#include <hvlab/hvm/io.h>
#include <hvlab/hvm/vdev.h>
#include <hvlab/lib.h>

struct irq_log {
    unsigned rises[16];     /* 0 -> 1 transitions per ISA IRQ */
    unsigned calls[16];
    bool level[16];
};

static inline void irq_log_set(void *ctx, unsigned irq, bool level)
{
    struct irq_log *l = ctx;

    if (irq >= 16) {
        printf("  set_level on ISA IRQ %u\n", irq);
        unit_failed_checks++;
        return;
    }
    l->calls[irq]++;
    if (level && !l->level[irq])
        l->rises[irq]++;
    l->level[irq] = level;
}

static inline struct hvm_irq_sink irq_log_sink(struct irq_log *l)
{
    memset(l, 0, sizeof(*l));
    return (struct hvm_irq_sink){ .set_level = irq_log_set, .ctx = l };
}

/* An access that must succeed; a failure prints the port and the errno. */
static inline uint64_t io_read(struct hvm_io_bus *bus, uint16_t port, unsigned size,
                               uint64_t now)
{
    uint64_t v = 0xdeadbeef;
    int rc = hvm_io_dispatch(bus, HVM_IO_PORT, port, size, false, now, &v);

    if (rc)
        printf("  read port %#x size %u: rc %d\n", port, size, rc);
    CHECK_EQ(rc, 0);
    return v;
}

static inline void io_write(struct hvm_io_bus *bus, uint16_t port, unsigned size,
                            uint64_t now, uint64_t v)
{
    int rc = hvm_io_dispatch(bus, HVM_IO_PORT, port, size, true, now, &v);

    if (rc)
        printf("  write port %#x size %u: rc %d\n", port, size, rc);
    CHECK_EQ(rc, 0);
}

static inline uint8_t inb(struct hvm_io_bus *bus, uint16_t port, uint64_t now)
{
    return (uint8_t)io_read(bus, port, 1, now);
}

static inline void outb(struct hvm_io_bus *bus, uint16_t port, uint64_t now, uint8_t v)
{
    io_write(bus, port, 1, now, v);
}

#endif
