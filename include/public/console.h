/* console_io(cmd, count, buffer): the hypervisor console.
 * CONSOLEIO_write: print count bytes; each line is prefixed "(dN) " on the console.
 * CONSOLEIO_read (dom0 only): take up to count bytes of console input; returns the
 * number read (0: none now; VIRQ_CONSOLE fires when more arrive). */
#ifndef HVLAB_PUBLIC_CONSOLE_H
#define HVLAB_PUBLIC_CONSOLE_H

#define CONSOLEIO_write 0
#define CONSOLEIO_read  1
#define CONSOLEIO_MAX   4096            /* larger writes: -E2BIG */

#endif
