/* The interactive shell on the hypervisor console: prompt "xl> ", one command per
 * line, the same commands as scenarios (xl.h). Input comes through console_io(read);
 * when none is there dom0 blocks until VIRQ_CONSOLE (or VIRQ_DOM_EXC: a domain that
 * stopped is reaped and reported while the prompt waits).
 *
 * Limitations: the hypervisor prints dom0's output a line at a time, so the prompt
 * and the echo of typed characters show up when the line is complete. Editing is
 * backspace only. */
#include "dom0.h"
#include "xl.h"

static char line[XL_LINE_MAX];
static size_t line_len;

static void run_line(void)
{
    struct xl_args a;
    char err[160];

    line[line_len] = '\0';
    line_len = 0;
    if (xl_parse_line(line, &a, err, sizeof(err))) {
        printf("xl: %s\n", err);
        return;
    }
    if (!a.cmd)
        return;
    xl_reap();
    a.cmd->run(a.argc, a.argv);
}

/* Handles one input byte; true when a line ended. */
static bool input_byte(char c)
{
    if (c == '\r' || c == '\n') {
        console_write("\n", 1);
        run_line();
        return true;
    }
    if (c == '\b' || c == 0x7f) {
        if (line_len) {
            line_len--;
            console_write("\b \b", 3);
        }
        return false;
    }
    if ((unsigned char)c < ' ' || line_len + 1 >= sizeof(line))
        return false;
    line[line_len++] = c;
    console_write(&c, 1);
    return false;
}

int shell_run(void)
{
    char buf[64];
    bool prompt = true;

    puts("dom0: interactive shell; 'help' lists the commands");
    for (;;) {
        long n;

        if (prompt) {
            console_write("xl> ", 4);
            prompt = false;
        }
        dom0_console_input = false;
        n = console_read(buf, sizeof(buf));
        if (n < 0) {
            printf("dom0: console read failed (%ld): no shell\n", n);
            return 1;
        }
        for (long i = 0; i < n; i++)
            prompt |= input_byte(buf[i]);
        if (n > 0)
            continue;
        if (dom0_dom_exc) {
            dom0_dom_exc = false;
            xl_reap();
        }
        dom0_block_until(0);
    }
}
