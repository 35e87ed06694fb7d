/* What the loader handed us, kept for later stages (dom0 is built from module 0). */
#ifndef HVLAB_BOOT_H
#define HVLAB_BOOT_H

#include <hvlab/types.h>

#define MAX_BOOT_MODULES 16

struct boot_module {
    paddr_t start, end;
    const char *cmdline;        /* through the direct map */
};

struct boot_info {
    const char *cmdline;        /* after the image name */
    unsigned nr_modules;
    struct boot_module modules[MAX_BOOT_MODULES];
    uint64_t ram_bytes;         /* usable RAM in the memory map */
};

extern struct boot_info boot_info;

void mem_init(const void *mbi);     /* core/mem_init.c */
void acpi_init(void);               /* core/acpi.c */
void topology_print(void);          /* core/topology.c */
void selftests_run(void);           /* core/selftest.c */
void smp_init(void);                /* core/smp.c */
void percpu_init_bsp(uintptr_t stack_top);
void percpu_topology_bsp(void);
void paging_init(paddr_t ram_end);
void paging_map_mmio(paddr_t base, uint64_t size);

#endif
