/* What a workload needs to know of the mode it runs in, for the microbenchmarks
 * (bench/micro.c) that must name the mode's own mechanism, not hide it: each call has
 * one definition per platform (guest/mode_pv.c; guest/hvm/mode_hvm.c for HVM and
 * native), so a workload has no #ifdef per mode.
 *
 *   call                 PV                       HVM                      native
 *   guest_null_call      SYSCALL hypercall        VMMCALL                  a function call
 *                        (HYPERVISOR_version)     (HYPERVISOR_version)     (native.c answers)
 *   map_page (guest.h)   update_va_mapping:       a direct PTE write +     as HVM
 *                        validated, then INVLPG   INVLPG (guest/hvm/pt_hvm.c)
 *   guest_port_in8       -ENOSYS: a PV domU has   IN: an exit, emulated    IN: QEMU's device
 *                        no I/O ports             by the hypervisor        (the "hardware")
 *   guest_as_build       tables filled, made      tables filled by plain   as HVM
 *                        read-only, the L4 pinned writes; nothing checks
 *                        (the hypervisor checks   them
 *                        every entry)
 *   large pages          none (PV maps 4 KiB)     2 MiB identity map       as HVM
 */
#ifndef GUEST_MODE_H
#define GUEST_MODE_H

#include <hvlab/types.h>

const char *guest_mode_name(void);              /* "pv", "hvm" or "native" */
long guest_null_call(void);                     /* the cheapest call "down": >= 0 */

/* One byte from an I/O port (out8: to one). 0, or -ENOSYS where the mode has none. */
int guest_port_in8(uint16_t port, uint8_t *val);
int guest_port_out8(uint16_t port, uint8_t val);

/* A fork-like address space: a page-table tree (L4, L3, L2, L1: one of each) mapping
 * n (<= 512) of our pages read-only from VA 0, built the mode's way and torn down
 * again. It is never loaded into CR3: what is measured is building and checking it. */
struct guest_as {
    void *table[4];                             /* L4, L3, L2, L1 */
};
int guest_as_build(struct guest_as *as, void *const *pages, unsigned n);  /* 0 / -errno */
int guest_as_destroy(struct guest_as *as);      /* frees the tables; 0 / -errno */

/* Whether the mode can map 2 MiB pages for the guest (HVM and native: the runtime's
 * identity map of the first 4 GiB is made of them; PV: no). */
bool guest_has_large_pages(void);

/* NULL if the mode's runtime can start secondary vCPUs (vcpu_start), else why not. */
const char *guest_smp_limit(void);

#endif
