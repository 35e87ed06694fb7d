/* Leaving the machine. machine_poweroff() is a clean ACPI S5 (QEMU exits with status
 * 0); machine_exit_failure() leaves through isa-debug-exit with a non-zero status, for
 * panics, so scripts can tell the two apart. */
#ifndef HVLAB_SHUTDOWN_H
#define HVLAB_SHUTDOWN_H

#include <hvlab/lib.h>

void __noreturn machine_poweroff(void);
void __noreturn machine_exit_failure(unsigned code);
void __noreturn machine_halt(void);

#endif
