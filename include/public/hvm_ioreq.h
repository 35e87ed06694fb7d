/* Device models for HVM domains (docs/device-model.md): the I/O-port and MMIO
 * accesses of an HVM guest that the hypervisor does not emulate itself are passed to
 * a device model in dom0, one request per vCPU at a time, through a shared page of
 * request slots and one event channel per vCPU. The vCPU waits (blocked) until the
 * device model answers.
 *
 * The protocol, for the slot of vCPU i (page->slot[i]):
 *   1. the hypervisor fills the request and sets state = IOREQ_STATE_READY (release),
 *      then raises the vCPU's port in the device model's domain;
 *   2. the device model reads state (acquire), copies the slot, checks it, serves
 *      it, writes `data` for a read without data_is_ptr, sets state =
 *      IOREQ_STATE_RESP_READY (release) and sends on the same port;
 *   3. the hypervisor checks the answer against its own copy of the request (it
 *      never trusts the page: addr, size, count, dir, type and data_is_ptr must be
 *      unchanged) and sets state = IOREQ_STATE_NONE; the guest instruction
 *      completes. A slot answered with anything else crashes the HVM domain (never
 *      the hypervisor or the device model's domain).
 * String I/O (INS/OUTS, REP or not) is one request with data_is_ptr: `data` is the
 * guest-physical address of the first element, count elements of size bytes follow
 * (downwards from it when df is set), all in one guest page; the device model reads
 * (OUTS: dir WRITE) or writes (INS: dir READ) the guest's memory itself. */
#ifndef HVLAB_PUBLIC_HVM_IOREQ_H
#define HVLAB_PUBLIC_HVM_IOREQ_H

#include "hvlab.h"

#define IOREQ_TYPE_PIO   0              /* addr: port */
#define IOREQ_TYPE_MMIO  1              /* addr: guest-physical */

#define IOREQ_WRITE      0              /* the guest writes (OUT, OUTS, MMIO store) */
#define IOREQ_READ       1              /* the guest reads (IN, INS, MMIO load) */

#define IOREQ_STATE_NONE       0        /* free */
#define IOREQ_STATE_READY      1        /* posted by the hypervisor */
#define IOREQ_STATE_INPROCESS  2        /* optional: the device model took it */
#define IOREQ_STATE_RESP_READY 3        /* answered by the device model */

struct hvm_ioreq {
    uint64_t addr;                      /* port, or guest-physical address */
    uint64_t data;                      /* value written / value read / buffer gpa */
    uint32_t count;                     /* elements: 1, or more for string I/O */
    uint8_t size;                       /* bytes per element: 1, 2, 4 (8: MMIO) */
    uint8_t dir;                        /* IOREQ_READ / IOREQ_WRITE */
    uint8_t type;                       /* IOREQ_TYPE_* */
    uint8_t data_is_ptr;                /* data is the gpa of count elements */
    uint8_t df;                         /* string I/O goes downwards from data */
    uint8_t state;                      /* IOREQ_STATE_*: the last field written */
    uint16_t vcpu;                      /* whose slot (informative) */
    uint32_t seq;                       /* request number of this vCPU (informative) */
};
_Static_assert(sizeof(struct hvm_ioreq) == 32, "ABI: 32-byte slots");

/* The shared page: slot[i] is vCPU i's; one page holds them all. */
#define IOREQ_MAX_VCPUS (4096 / sizeof(struct hvm_ioreq))
struct hvm_ioreq_page {
    struct hvm_ioreq slot[IOREQ_MAX_VCPUS];
};

/* DOMCTL_ioreq_server (public/domctl.h), domain = the HVM domain served.
 * CREATE: the caller becomes the domain's device model: -EEXIST if it has one,
 * -EINVAL for a PV domain, -E2BIG for more than IOREQ_SERVER_PORTS vCPUs. OUT: the
 * machine frame of the request page (a frame of DOMID_XEN, shared writable: map it
 * with mmu_update, foreigndom DOMID_XEN) and, for each vCPU, a port of the caller's
 * own bound to the hypervisor: raised when a request is posted; EVTCHNOP_send on it
 * says the answer is there. From CREATE on, every access nobody in the hypervisor
 * serves goes to the device model; before it they read all ones and drop writes.
 * DESTROY: the ports are closed and the page unshared (unmap it first); a vCPU
 * waiting for an answer goes on as without a model (reads all ones, writes
 * dropped). -ENOENT if none. */
#define IOREQ_SERVER_CREATE  0
#define IOREQ_SERVER_DESTROY 1
#define IOREQ_SERVER_PORTS   16         /* ports returned here: up to 16 vCPUs */
struct domctl_ioreq_server {
    uint32_t op;                        /* IOREQ_SERVER_* */
    uint32_t nr_vcpus;                  /* OUT: slots (the domain's max vCPUs) */
    uint64_t page_mfn;                  /* OUT */
    uint32_t port[IOREQ_SERVER_PORTS];  /* OUT: vCPU i's port (in the caller's domain) */
};

/* DOMCTL_hvm_set_irq: ISA IRQ line `irq` (0..15) of the HVM domain at `level`, as a
 * device wired to the vPIC and the vIOAPIC drives it (IRQ 14: the primary ATA
 * channel). The line stays where it was set until set again. -EINVAL for irq > 15
 * or level > 1, -ENODEV for a PV domain. */
struct domctl_hvm_set_irq {
    uint32_t irq;
    uint32_t level;
};

#endif
