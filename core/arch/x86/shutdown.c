/* Power off (ACPI S5 through the FADT's PM1a control port) and failure exits (QEMU's
 * isa-debug-exit device at port 0xf4: QEMU exits with status (code << 1) | 1). */
#include <hvlab/costmodel.h>
#include <hvlab/printk.h>
#include <hvlab/shutdown.h>
#include <hvlab/time.h>
#include <hvlab/topology.h>
#include <hvlab/x86/regs.h>

#define DEBUG_EXIT_PORT 0xf4
#define SLP_EN (1u << 13)

void machine_halt(void)
{
    for (;;)
        __asm__ volatile("cli; hlt");
}

void machine_exit_failure(unsigned code)
{
    costmodel_hint_stop();
    outl(DEBUG_EXIT_PORT, code ? code : 1);
    machine_halt();                     /* no isa-debug-exit device: stop here */
}

void machine_poweroff(void)
{
    pr_info("hvlab: powering off\n");
    if (topo.pm1a_cnt_port) {
        costmodel_hint_stop();
        outw(topo.pm1a_cnt_port, (uint16_t)((topo.s5_slp_typ << 10) | SLP_EN));
        /* QEMU acts on the request asynchronously, from its main loop. Under -icount
         * this wait is virtual time, which runs ahead of a main loop starved by a
         * loaded host (100 ms was missed at load 10): wait 2 s, paid only if
         * poweroff really failed. */
        udelay(2000000);
    }
    pr_err("hvlab: ACPI poweroff did not work\n");
    machine_exit_failure(EXIT_CODE_POWEROFF_FAIL);
}
