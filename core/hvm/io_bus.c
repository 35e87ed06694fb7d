/* The per-domain I/O bus: port and MMIO ranges mapped to emulated devices. See
 * <hvlab/hvm/io.h>.
 *
 * Design: a fixed table of ranges, searched linearly (a domain has about a dozen;
 * a scan of them costs less than the exit that led here). Ranges of one space never
 * overlap, so the range that holds the first byte of an access is the only candidate
 * and registration order cannot change which device answers.
 *
 * Locking: none; the caller serialises calls on one bus.
 *
 * Limitations: no unregistration (devices live as long as the domain); an access
 * that starts in one range and runs past its end is refused (-ENODEV) rather than
 * split between devices. */
#include <hvlab/errno.h>
#include <hvlab/hvm/io.h>
#include <hvlab/lib.h>

void hvm_io_bus_init(struct hvm_io_bus *bus)
{
    memset(bus, 0, sizeof(*bus));
}

static uint64_t space_limit(enum hvm_io_space space)
{
    return space == HVM_IO_PORT ? HVM_IO_PORT_LIMIT : UINT64_MAX;
}

int hvm_io_register(struct hvm_io_bus *bus, enum hvm_io_space space, uint64_t base,
                    uint64_t len, const struct hvm_io_ops *ops, void *dev)
{
    if (space != HVM_IO_PORT && space != HVM_IO_MMIO)
        return -EINVAL;
    if (!ops || !ops->read || !ops->write || len == 0)
        return -EINVAL;
    /* [base, base + len) must fit the space: written as a subtraction, no wrap. */
    if (base >= space_limit(space) || len > space_limit(space) - base)
        return -EINVAL;
    for (unsigned i = 0; i < bus->nr; i++) {
        const struct hvm_io_range *r = &bus->range[i];
        if (r->space == space && base < r->base + r->len && r->base < base + len)
            return -EBUSY;
    }
    if (bus->nr == HVM_IO_MAX_RANGES)
        return -ENOSPC;
    bus->range[bus->nr++] = (struct hvm_io_range){
        .base = base, .len = len, .ops = ops, .dev = dev, .space = space,
    };
    return 0;
}

static bool size_valid(enum hvm_io_space space, unsigned size)
{
    return size == 1 || size == 2 || size == 4 || (size == 8 && space == HVM_IO_MMIO);
}

static uint64_t size_mask(unsigned size)
{
    return size == 8 ? UINT64_MAX : (1ULL << (size * 8)) - 1;
}

int hvm_io_dispatch(struct hvm_io_bus *bus, enum hvm_io_space space, uint64_t addr,
                    unsigned size, bool write, uint64_t now, uint64_t *val)
{
    if (!size_valid(space, size))
        return -EINVAL;
    for (unsigned i = 0; i < bus->nr; i++) {
        const struct hvm_io_range *r = &bus->range[i];
        int rc;

        if (r->space != space || addr < r->base || addr - r->base >= r->len)
            continue;
        if (size > r->len - (addr - r->base))
            return -ENODEV;
        if (write)
            return r->ops->write(r->dev, addr, size, now, *val & size_mask(size));
        *val = 0;
        rc = r->ops->read(r->dev, addr, size, now, val);
        *val &= size_mask(size);
        return rc;
    }
    return -ENODEV;
}

bool hvm_io_claimed(const struct hvm_io_bus *bus, enum hvm_io_space space, uint64_t addr)
{
    for (unsigned i = 0; i < bus->nr; i++)
        if (bus->range[i].space == space && addr - bus->range[i].base < bus->range[i].len)
            return true;
    return false;
}

void hvm_io_bytes_read(void *dev, uint64_t addr, unsigned size, uint64_t now,
                       uint64_t *val, hvm_io_byte_read_fn fn)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < size; i++)
        v |= (uint64_t)fn(dev, addr + i, now) << (8 * i);
    *val = v;
}

void hvm_io_bytes_write(void *dev, uint64_t addr, unsigned size, uint64_t now,
                        uint64_t val, hvm_io_byte_write_fn fn)
{
    for (unsigned i = 0; i < size; i++)
        fn(dev, addr + i, now, (uint8_t)(val >> (8 * i)));
}
