/* Port I/O of HVM guests: every port exits (the IOPM is all ones) and goes to the
 * handler registered for it at boot (svm_port_register), else to the domain's own
 * devices (hvm_platform_port: PIT, RTC, PM block, COM1, PICs); a port nobody serves
 * reads all ones and drops writes, as on an empty ISA bus, with one trace record
 * each. RIP: EXITINFO2 holds the next one. String I/O (INS/OUTS) goes through the
 * instruction emulator (svm_emul.c), which reaches guest memory and calls
 * svm_port_access per element. A port none of these serves goes to the domain's
 * device model when it has one (ioreq.c): the IN/OUT completes when it answers. */
#include <hvlab/domain.h>
#include <hvlab/errno.h>
#include <hvlab/trace.h>
#include <hvlab/x86/hvm_platform.h>
#include <hvlab/x86/svm.h>

#define PORT_RANGES_MAX 16

struct port_range {
    uint16_t base, len;
    svm_port_fn fn;
};

static struct port_range port_ranges[PORT_RANGES_MAX];
static unsigned nr_port_ranges;

/* Boot time, before any HVM domain exists (the table is read without a lock). */
int svm_port_register(uint16_t base, uint16_t len, svm_port_fn fn)
{
    if (!len || base + len > 0x10000 || nr_port_ranges == PORT_RANGES_MAX)
        return -EINVAL;
    for (unsigned i = 0; i < nr_port_ranges; i++)
        if (base < port_ranges[i].base + port_ranges[i].len &&
            port_ranges[i].base < base + len)
            return -EEXIST;
    port_ranges[nr_port_ranges++] = (struct port_range){ base, len, fn };
    return 0;
}

static int svm_port_io(struct vcpu *v, uint16_t port, unsigned size, bool write,
                       uint64_t *val)
{
    for (unsigned i = 0; i < nr_port_ranges; i++)
        if (port - port_ranges[i].base < port_ranges[i].len)
            return port_ranges[i].fn(v, port, size, write, val);
    return hvm_platform_port(v, port, size, write, val);
}

bool svm_port_claimed(struct vcpu *v, uint16_t port)
{
    for (unsigned i = 0; i < nr_port_ranges; i++)
        if (port - port_ranges[i].base < port_ranges[i].len)
            return true;
    return hvm_platform_port_claimed(v, port);
}

void svm_port_access(struct vcpu *v, uint16_t port, unsigned size, bool write,
                     uint64_t *val)
{
    uint64_t mask = size == 4 ? 0xffffffffull : (1ull << (8 * size)) - 1;

    if (write)
        *val &= mask;
    if (svm_port_io(v, port, size, write, val) == -ENODEV) {
        TRACE_VCPU(TRC_HVM_IO_NODEV, v, (uint64_t)port << 16 | size << 1 | write,
                   write ? *val : 0);
        *val = mask;
    }
    *val &= mask;
}

void svm_exit_ioio(struct vcpu *v)
{
    struct svm_vcpu *s = v->arch.svm;
    uint64_t info = s->vmcb->ctl.exitinfo1;
    uint16_t port = (uint16_t)(info >> IOIO_PORT_SHIFT);
    unsigned size = (info & IOIO_SZ32) ? 4 : (info & IOIO_SZ16) ? 2 : 1;
    bool write = !(info & IOIO_IN);
    uint64_t mask = size == 4 ? 0xffffffffull : (1ull << (8 * size)) - 1;
    uint64_t val = write ? s->vmcb->save.rax & mask : mask;

    if (info & IOIO_STR) {
        svm_emulate(v);
        return;
    }
    if (hvm_ioreq_active(v->domain) && !svm_port_claimed(v, port) &&
        hvm_ioreq_pio(v, port, size, write, val, s->vmcb->ctl.exitinfo2) != IOREQ_NONE)
        return;                         /* a device model's: completed when answered */
    svm_port_access(v, port, size, write, &val);
    if (!write)                         /* IN EAX zero-extends, as a 32-bit move does */
        s->vmcb->save.rax = size == 4 ? (val & mask)
                                      : (s->vmcb->save.rax & ~mask) | (val & mask);
    s->vmcb->save.rip = s->vmcb->ctl.exitinfo2;
}
