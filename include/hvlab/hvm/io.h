/* The I/O bus of an HVM domain: port and MMIO ranges, each handled by one virtual
 * device through a const ops table (definitions from docs of issue 10's interfaces;
 * owned by the vdev part, core/hvm/io_bus.c implements the bus). */
#ifndef HVLAB_HVM_IO_H
#define HVLAB_HVM_IO_H

#include <hvlab/types.h>

struct hvm_io_bus;

/* A device's accessors: addr is the absolute port or guest-physical address, size
 * 1, 2, 4 or 8 bytes, now the hypervisor's NOW() in ns. 0 when handled. */
struct hvm_io_ops {
    int (*read)(void *dev, uint64_t addr, unsigned size, uint64_t now, uint64_t *val);
    int (*write)(void *dev, uint64_t addr, unsigned size, uint64_t now, uint64_t val);
};

enum hvm_io_space { HVM_IO_PORT, HVM_IO_MMIO };

int hvm_io_register(struct hvm_io_bus *, enum hvm_io_space, uint64_t base,
                    uint64_t len, const struct hvm_io_ops *, void *dev);
/* 0 handled; -ENODEV no device there (svm: reads all ones, writes dropped, one
   trace record; issue 11 forwards these to a device model in dom0) */
int hvm_io_dispatch(struct hvm_io_bus *, enum hvm_io_space, uint64_t addr,
                    unsigned size, bool write, uint64_t now, uint64_t *val);

#endif
