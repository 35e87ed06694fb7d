/* The BSP's boot sequence, from the first C instruction to an idle machine. Each step
 * needs the ones before it: the console before anything can be said, the IDT before
 * anything can fault readably, ACPI before memory (nodes), memory before the APs
 * (their stacks and per-CPU areas), time before the APs (udelay in INIT-SIPI-SIPI). */
#include <hvlab/addr.h>
#include <hvlab/boot.h>
#include <hvlab/cmdline.h>
#include <hvlab/multiboot.h>
#include <hvlab/panic.h>
#include <hvlab/percpu.h>
#include <hvlab/printk.h>
#include <hvlab/sched.h>
#include <hvlab/shutdown.h>
#include <hvlab/smp.h>
#include <hvlab/time.h>
#include <hvlab/topology.h>
#include <hvlab/trace.h>
#include <hvlab/timer.h>
#include <hvlab/ioport.h>
#include <hvlab/x86/apic.h>
#include <hvlab/x86/ioapic.h>
#include <hvlab/x86/svm.h>

static unsigned maxcpus = NR_CPUS;
boot_param_uint("maxcpus", maxcpus, "bring up at most this many CPUs");
static bool poweroff_after_boot;
boot_param_bool("poweroff_after_boot", poweroff_after_boot,
                "power off cleanly once every CPU is up and the self-tests ran");
static uint64_t dom0_mem = MiB(64);
boot_param_size("dom0_mem", dom0_mem, "memory for dom0 (K, M, G suffixes)");
static bool show_help;
boot_param_bool("help", show_help, "list the boot options");

extern char boot_stack_top[];
void __noreturn cpu_idle_loop(void);
struct vcpu *arch_idle_vcpu_create(unsigned cpu);
void sched_init_cpu(unsigned cpu, struct vcpu *idle);
void pv_init_cpu(void);
void pv_mm_init(void);
void dom0_build(uint64_t mem_bytes);

static void cmdline_report(const char *msg)
{
    pr_err("cmdline: %s\n", msg);
}

static void help_line(const char *line)
{
    pr_info("  %s\n", line);
}

static void parse_cmdline(const struct multiboot_info *mbi)
{
    const char *raw = (mbi->flags & MBI_FLAG_CMDLINE) ? __va(mbi->cmdline) : "";
    boot_info.cmdline = cmdline_skip_image(raw);
    pr_info("cmdline: %s\n", boot_info.cmdline);
    int errors = cmdline_parse(boot_info.cmdline, __boot_params_start, __boot_params_end,
                               cmdline_report);
    if (errors)
        pr_err("cmdline: %d problem%s, see above; going on with the defaults\n", errors,
               errors == 1 ? "" : "s");
    if (show_help) {
        pr_info("boot options:\n");
        cmdline_print_help(__boot_params_start, __boot_params_end, help_line);
    }
    if (maxcpus == 0)
        maxcpus = 1;
}

void start_hv(uint32_t magic, uint32_t mbi_pa);
void start_hv(uint32_t magic, uint32_t mbi_pa)
{
    const struct multiboot_info *mbi = __va(mbi_pa);

    percpu_init_bsp((uintptr_t)boot_stack_top);
    console_init();
    pr_info("hvlab: x86-64 hypervisor for scheduler research and teaching\n");
    if (magic != MULTIBOOT_LOADER_MAGIC)
        panic("not loaded by a multiboot loader (magic %#x)", magic);
    desc_init_idt();
    desc_load_cpu(per_cpu(0));
    parse_cmdline(mbi);

    acpi_init();
    percpu_topology_bsp();
    mem_init(mbi);

    pic_disable();
    ioapic_init();                      /* every pin masked; pirqs route them (pdisk) */
    ioport_init();
    lapic_init_cpu();
    time_init();
    timers_init_cpu();
    smp_init();
    sched_init();
    sched_init_cpu(0, arch_idle_vcpu_create(0));
    pv_init_cpu();
    svm_init_cpu();
    pv_mm_init();
    local_irq_enable();
    smp_boot_aps(maxcpus);
    pr_info("smp: %u of %u CPUs online\n", nr_cpus_online, topo.nr_cpus);
    trace_init();
    topology_print();
    selftests_run();
    pr_info("hvlab: boot complete in %lu us (NOW)\n", (unsigned long)(NOW() / 1000));
    if (poweroff_after_boot)
        machine_poweroff();
    dom0_build(dom0_mem);
    cpu_idle_loop();
}
