/* dom0: the toolstack domain. The hypervisor builds it at boot from the first
 * multiboot module and hands it every other module (guest images, cfg files, the
 * scenario; see modules.h). With a module named "scenario", dom0 checks it (its
 * syntax, and every cfg file it creates from, with the kernel each names), runs it,
 * prints "scenario: done" and powers the machine off by shutting itself down
 * (SHUTDOWN_poweroff); a scenario that fails to parse or run ends with
 * "scenario: failed" (after the file:line of what failed) and SHUTDOWN_error, so the
 * machine stops with the failing status of docs/boot.md; a crash is kept for real
 * faults (SHUTDOWN_crash, which the hypervisor answers with a panic). A
 * scenario that leaves tracing on has it stopped at its end, so that the stream is
 * complete. Without one, dom0 runs the interactive shell (shell.c).
 *
 * Startup prints one line per module: "dom0: module <i>: <name> (<bytes> bytes)". */
#include "collector.h"
#include "dom0.h"
#include "modules.h"
#include "scenario.h"
#include "service.h"
#include "strutil.h"
#include "xl.h"

volatile bool dom0_dom_exc, dom0_console_input;

int shell_run(void);

static void dom_exc_handler(evtchn_port_t port, void *arg)
{
    dom0_dom_exc = true;
}

static void console_handler(evtchn_port_t port, void *arg)
{
    dom0_console_input = true;
}

void dom0_events_init(void)
{
    int rc;

    if ((rc = evtchn_bind_virq(VIRQ_DOM_EXC, dom_exc_handler, NULL)) < 0)
        printf("dom0: cannot bind VIRQ_DOM_EXC (%s): polling only\n", str_errno(rc));
    if ((rc = evtchn_bind_virq(VIRQ_CONSOLE, console_handler, NULL)) < 0)
        printf("dom0: cannot bind VIRQ_CONSOLE (%s)\n", str_errno(rc));
    /* Binds VIRQ_TIMER, which dom0_block_until's deadlines need. */
    sleep_ns(0);
}

static uint64_t earlier(uint64_t a, uint64_t b)
{
    return a && (!b || a < b) ? a : b;
}

/* The earliest of deadline_ns (0: none), the collector's next drain and what the
 * services asked for. */
static uint64_t wake_time(uint64_t deadline_ns)
{
    return earlier(earlier(collector_next_drain(), dom0_services_deadline()), deadline_ns);
}

void dom0_block_until(uint64_t deadline_ns)
{
    uint64_t wake = wake_time(deadline_ns);

    local_irq_disable();
    if (dom0_dom_exc || dom0_console_input || dom0_service_kick ||
        (wake && guest_now_ns() >= wake)) {
        local_irq_enable();
    } else {
        if (wake)
            hv_set_timer_op(wake);
        guest_block();
    }
    collector_poll();
    dom0_services_poll();
}

/* Services' events end each block early (sleep_until would sleep through them: a
 * domU's store request would wait for the end of a scenario's `sleep`). */
void dom0_sleep_until(uint64_t deadline_ns)
{
    while (guest_now_ns() < deadline_ns) {
        uint64_t wake = wake_time(deadline_ns);

        local_irq_disable();
        if (dom0_service_kick || guest_now_ns() >= wake) {
            local_irq_enable();
        } else {
            hv_set_timer_op(wake);
            guest_block();
        }
        collector_poll();
        dom0_services_poll();
    }
}

static void print_modules(const struct start_info *si)
{
    char name[MODULE_NAME_MAX];

    for (unsigned i = 0; i < si->nr_modules && i < START_INFO_MAX_MODULES; i++) {
        const struct start_module *m = &si->modules[i];
        module_name(m->cmdline, sizeof(m->cmdline), name, sizeof(name));
        printf("dom0: module %u: %s (%llu bytes)\n", i, name,
               (unsigned long long)m->len);
    }
}

static void report_line(void *arg, const char *msg)
{
    puts(msg);
}

/* Before each command: apply on_poweroff & co. to domains that stopped. */
static int exec_cmd(void *arg, const struct xl_args *a)
{
    collector_poll();
    xl_reap();
    return a->cmd->run(a->argc, (char **)a->argv);
}

/* The cfg files the scenario creates from, checked before anything runs. */
static int check_creates(const struct scenario *s)
{
    int errors = 0;

    for (unsigned i = 0; i < s->nr; i++) {
        const struct scenario_cmd *c = &s->cmd[i];
        if (c->args.cmd->run != xl_create || !xl_create_check_file(c->args.argv[1]))
            continue;
        printf("%s:%u: create %s: the cfg file has problems\n", s->file, c->line,
               c->args.argv[1]);
        errors++;
    }
    return errors;
}

static int run_scenario(const struct start_module *m)
{
    static struct scenario s;
    int rc;

    if (scenario_parse(&s, "scenario", (const char *)(uintptr_t)m->va, m->len,
                       report_line, NULL) || check_creates(&s)) {
        puts("scenario: failed");
        return -EINVAL;
    }
    printf("scenario: %u commands\n", s.nr);
    rc = scenario_run(&s, exec_cmd, NULL, report_line);
    if (collector_active()) {
        /* A stream without its end chunk reads as cut short: end it. */
        puts("trace: still tracing at the end of the scenario: stopping");
        if (collector_stop() && !rc)
            rc = -EIO;
    }
    xl_reap();
    puts(rc ? "scenario: failed" : "scenario: done");
    return rc;
}

int main(const struct start_info *si)
{
    const struct start_module *scn;

    if (!(si->flags & SIF_INITDOMAIN))
        guest_crash("dom0: started without SIF_INITDOMAIN");
    print_modules(si);
    dom0_events_init();
    if ((scn = module_find(si, "scenario")))
        guest_shutdown(run_scenario(scn) ? SHUTDOWN_error : SHUTDOWN_poweroff);
    if (shell_run()) {
        puts("dom0: the shell ended with an error");
        guest_shutdown(SHUTDOWN_error);
    }
    return 0;
}
