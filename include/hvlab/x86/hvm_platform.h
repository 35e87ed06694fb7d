/* The platform devices of one HVM domain, wired (core/arch/x86/svm/hvm_platform.c):
 * the I/O bus with the PIT, RTC/CMOS, ACPI PM timer, COM1 16550, the PIC pair and the
 * IOAPIC; a local APIC per vCPU; the router joining them; one soft timer per timed
 * device. The devices themselves are pure state machines (core/hvm/); this is the
 * glue: one lock per domain around every call into them, `now` from NOW(), timers
 * re-armed from X_next_event after every call, interrupt lines to the router, and
 * the router's effects (kick, INIT, SIPI) to the vCPUs. */
#ifndef HVLAB_X86_HVM_PLATFORM_H
#define HVLAB_X86_HVM_PLATFORM_H

#include <hvlab/types.h>

struct domain;
struct vcpu;
struct hvm_platform;               /* core/arch/x86/svm/hvm_platform_priv.h */

/* At HVM domain creation (after its vCPUs exist): every device, power-on state.
 * -ENOMEM. The caller destroys the domain on failure (hvm_platform_destroy frees
 * what was made). */
int hvm_platform_create(struct domain *d);
/* At destroy, once no vCPU of d runs: timers stopped, everything freed. */
void hvm_platform_destroy(struct domain *d);

/* A port access from v (IN/OUT, one element of INS/OUTS): 0, or -ENODEV (nobody
 * there: the caller reads all ones and traces). */
int hvm_platform_port(struct vcpu *v, uint16_t port, unsigned size, bool write,
                      uint64_t *val);
/* An access to guest-physical gpa outside RAM from v: its LAPIC window, the IOAPIC
 * or another MMIO device. 0 or -ENODEV. */
int hvm_platform_mmio(struct vcpu *v, uint64_t gpa, unsigned size, bool write,
                      uint64_t *val);
/* gpa lies in a device window (LAPIC or IOAPIC page): accesses there are emulated. */
bool hvm_platform_window(uint64_t gpa);
/* Issue 11: port is one of v's domain's devices (a device model never sees it);
 * ISA IRQ line isa_irq (0..15) of d set by a device model (DOMCTL_hvm_set_irq):
 * 0, -ENODEV without devices. */
bool hvm_platform_port_claimed(const struct vcpu *v, uint16_t port);
int hvm_platform_set_isa_irq(struct domain *d, unsigned isa_irq, bool level);
/* MSRs the vLAPIC answers (APIC base, TSC deadline, x2APIC). 0; -EINVAL: #GP;
 * -ENODEV: not a LAPIC MSR. The TSC deadline is in the guest's TSC (RDTSC). */
int hvm_platform_msr(struct vcpu *v, uint32_t msr, bool write, uint64_t *val);

/* Interrupt delivery to v (core/arch/x86/svm/svm_intr.c uses these). The vector v
 * takes next, or -1; *extint: from the PIC. */
int hvm_platform_pending(struct vcpu *v, bool *extint);
/* It was injected: acknowledge (INTA). Returns the vector to deliver. */
int hvm_platform_accept(struct vcpu *v, int vec, bool extint);
/* The event-channel upcall as a LAPIC interrupt (edge) on v. */
void hvm_platform_upcall(struct vcpu *v, uint8_t vector);
/* v runs on pCPU cpu (svm_run.c, before each VMRUN): its LAPIC timer moves there if
 * it is elsewhere, as the vCPU's other timers follow it (a timer on another pCPU fires
 * late under QEMU's round-robin: issue 12). */
void hvm_platform_follow(struct vcpu *v, unsigned cpu);
/* v's domain has devices (false for a domain whose creation failed half-way). */
bool hvm_platform_present(const struct vcpu *v);
/* Bytes typed by dom0 into d's COM1 receive FIFO: how many fit (0 when d is not HVM). */
size_t hvm_platform_console_input(struct domain *d, const uint8_t *bytes, size_t len);

/* core/arch/x86/svm/svm_sipi.c: a vCPU that got INIT then SIPI starts in real mode at
 * vector << 12 (CS = vector << 8, IP 0). */
void hvm_platform_start_vcpus(struct domain *d);

#endif
