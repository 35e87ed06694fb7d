/* The per-domain I/O bus of an HVM domain (core/hvm/io_bus.c): which emulated device
 * answers a guest port or MMIO access. svm's exit handlers call hvm_io_dispatch for
 * every trapped IN/OUT and every decoded MMIO access; devices register their ranges
 * once when the domain is built. Pure logic: no lock (the domain's glue serialises
 * dispatches), no clock (time is passed in as `now`, ns of NOW()). */
#ifndef HVLAB_HVM_IO_H
#define HVLAB_HVM_IO_H

#include <hvlab/types.h>

/* A device's handlers. `addr` is absolute (the port number, or the guest-physical
 * address), so one device can serve several ranges with one ops table. The bus has
 * checked that size is 1, 2 or 4 (port) or 1, 2, 4 or 8 (MMIO) and that the access
 * lies wholly inside the range the device registered. read sets *val (the bus
 * starts it at 0 and masks it to size bytes afterwards); write gets val already
 * masked. Both return 0, or a negative errno the caller treats like -ENODEV (the
 * device refuses that access: an 8-byte access to a 32-bit register, say). The
 * caller serialises the calls on one bus; handlers may call the device's
 * hvm_irq_sink. */
struct hvm_io_ops {
    int (*read)(void *dev, uint64_t addr, unsigned size, uint64_t now, uint64_t *val);
    int (*write)(void *dev, uint64_t addr, unsigned size, uint64_t now, uint64_t val);
};

enum hvm_io_space { HVM_IO_PORT, HVM_IO_MMIO };

/* Enough for the platform's devices (PIT + port 0x61, RTC, PM block + reset port,
 * UART, two PICs + ELCR, IOAPIC, LAPIC) with room to spare; a fixed table keeps
 * dispatch allocation-free. */
#define HVM_IO_MAX_RANGES 32
#define HVM_IO_PORT_LIMIT 0x10000u      /* ports are 16-bit */

struct hvm_io_range {
    uint64_t base, len;
    const struct hvm_io_ops *ops;
    void *dev;
    enum hvm_io_space space;
};

struct hvm_io_bus {
    struct hvm_io_range range[HVM_IO_MAX_RANGES];
    unsigned nr;                        /* range[0 .. nr-1] are in use */
};

/* io_bus.c */
/* An empty bus. */
void hvm_io_bus_init(struct hvm_io_bus *bus);
/* Attach ops/dev to [base, base + len) of space. 0, or -EINVAL (len 0, range reaches
 * 2^64 or passes port 0xffff, ops or a handler missing), -EBUSY (overlaps a registered
 * range, in either order), -ENOSPC (table full). */
int hvm_io_register(struct hvm_io_bus *bus, enum hvm_io_space space, uint64_t base,
                    uint64_t len, const struct hvm_io_ops *ops, void *dev);
/* Route one access: 0 handled (a read's result in *val), -ENODEV no device there
 * (nothing registered, or the access runs past the end of the range it starts in;
 * svm: reads all ones, writes dropped, one trace record; issue 11 forwards these to a
 * device model in dom0), -EINVAL a size the space does not have, or what the device
 * returned. For a write, *val is the value (masked to size here). */
int hvm_io_dispatch(struct hvm_io_bus *bus, enum hvm_io_space space, uint64_t addr,
                    unsigned size, bool write, uint64_t now, uint64_t *val);

/* A range of space holds addr (whatever the size of an access there would be):
 * accesses to it are the bus's, never a device model's (issue 11). */
bool hvm_io_claimed(const struct hvm_io_bus *bus, enum hvm_io_space space, uint64_t addr);

/* For devices whose registers are bytes at consecutive ports (PIT, RTC, UART, the
 * PM block): a wider access is that many byte accesses at addr, addr + 1, ...,
 * assembled low byte first, as the ISA bus splits it. */
typedef uint8_t (*hvm_io_byte_read_fn)(void *dev, uint64_t addr, uint64_t now);
typedef void (*hvm_io_byte_write_fn)(void *dev, uint64_t addr, uint64_t now, uint8_t val);
void hvm_io_bytes_read(void *dev, uint64_t addr, unsigned size, uint64_t now,
                       uint64_t *val, hvm_io_byte_read_fn fn);
void hvm_io_bytes_write(void *dev, uint64_t addr, unsigned size, uint64_t now,
                        uint64_t val, hvm_io_byte_write_fn fn);

#endif
