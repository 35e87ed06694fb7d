/* Leaving the machine. machine_poweroff() is a clean ACPI S5 (QEMU exits with status
 * 0); machine_exit_failure() leaves through isa-debug-exit with a non-zero status, so
 * scripts can tell a clean end, a failure dom0 reported and a panic apart. */
#ifndef HVLAB_SHUTDOWN_H
#define HVLAB_SHUTDOWN_H

#include <hvlab/lib.h>

/* machine_exit_failure() codes; QEMU exits with status (code << 1) | 1. The harness
 * (experiments/hvlab/machine.py, EXIT_*) and docs/boot.md list the same statuses. */
#define EXIT_CODE_PANIC          1      /* status 3: the hypervisor panicked */
#define EXIT_CODE_POWEROFF_FAIL  2      /* status 5: ACPI S5 did not stop the machine */
#define EXIT_CODE_DOM0_ERROR     3      /* status 7: dom0 shut down with SHUTDOWN_error */

void __noreturn machine_poweroff(void);
void __noreturn machine_exit_failure(unsigned code);
void __noreturn machine_halt(void);

#endif
