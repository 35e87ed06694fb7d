/* Stub handlers of the scheduler, pool and expect commands, for host tests that link
 * the xl command table (dom0/xl_cmdtable.c) without the toolstack: parsing never
 * calls them. */
#include "xl.h"

#define STUB(fn) int fn(int argc, char **argv) { (void)argc; (void)argv; return 0; }
STUB(xl_sched_params) STUB(xl_sched_get) STUB(xl_sched_set) STUB(xl_cpupool_create) STUB(xl_cpupool_list)
STUB(xl_cpupool_destroy) STUB(xl_cpupool_cpu_add) STUB(xl_cpupool_cpu_remove)
STUB(xl_cpupool_migrate) STUB(xl_expect) STUB(xl_arinc653) STUB(xl_hvm_flat)
STUB(xl_dm_attach) STUB(xl_dm_detach) STUB(xl_dm_inject) STUB(xl_dm_list)
STUB(xl_store_read) STUB(xl_store_write) STUB(xl_store_ls) STUB(xl_store_rm) STUB(xl_store_watch)
STUB(xl_network_attach) STUB(xl_network_list)   /* PV network */
/* pdisk */
STUB(xl_pdisk_list) STUB(xl_pdisk_write) STUB(xl_pdisk_read) STUB(xl_ioport_read)
STUB(xl_ioport_permit) STUB(xl_pdisk_qd) STUB(xl_pdisk_flush)
STUB(xl_disk_bench)     /* iobench */
STUB(xl_numa_list)      /* mmpolicy */
STUB(xl_mem_migrate)    /* migrate */
STUB(xl_pci_list) STUB(xl_pci_read) STUB(xl_pci_write)
STUB(xl_block_attach) STUB(xl_block_detach) STUB(xl_block_list)   /* PV block */
STUB(xl_mem_set) STUB(xl_mem_max)                                  /* ballooning */
