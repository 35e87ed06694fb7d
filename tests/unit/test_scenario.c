/* Host tests for scenario scripts (dom0/scenario.c) and the xl command table
 * (dom0/xl_cmdtable.c): parsing, every error message with file:line, running with
 * a stop at the first failing command. The command handlers are stubs here. */
#include "unit.h"
#include "scenario.h"
#include "strutil.h"

/* ---- stub handlers: the table needs them, parsing never calls them ---- */
#define STUB(fn) int fn(int argc, char **argv) { (void)argc; (void)argv; return 0; }
STUB(xl_create) STUB(xl_list) STUB(xl_destroy) STUB(xl_pause) STUB(xl_unpause) STUB(xl_console_input)
STUB(xl_shutdown) STUB(xl_vcpu_list) STUB(xl_vcpu_pin) STUB(xl_info) STUB(xl_dmesg)
STUB(xl_help) STUB(xl_wait) STUB(xl_sleep) STUB(xl_echo) STUB(xl_trace)

static struct scenario sc;
#define MAX_MSGS 16
static char msgs[MAX_MSGS][256];
static int nr_msgs;

static void collect(void *arg, const char *msg)
{
    (void)arg;
    if (nr_msgs < MAX_MSGS)
        snprintf(msgs[nr_msgs], sizeof(msgs[0]), "%s", msg);
    nr_msgs++;
}

static int parse(const char *text)
{
    nr_msgs = 0;
    memset(msgs, 0, sizeof(msgs));
    return scenario_parse(&sc, "scenario", text, strlen(text), collect, NULL);
}

static void test_parse_commands(void)
{
    const char *text =
        "# boot three domains\n"
        "\n"
        "create a.cfg\n"
        "   create\tb.cfg   # the second\n"
        "xl create c.cfg\r\n"
        "list\n"
        "list -n\n"
        "vcpu-list\n"
        "vcpu-list a\n"
        "vcpu-pin a all 0-1 node:0\n"
        "vcpu-pin 3 1 - 2\n"
        "wait a\n"
        "wait b 5000\n"
        "sleep 10\n"
        "echo  phase #2: done  \n"
        "echo\n"
        "info\n"
        "dmesg\n"
        "pause a\nunpause a\nshutdown a\ndestroy 4\n"
        "help\nhelp create";

    CHECK_EQ(parse(text), 0);
    CHECK_EQ(nr_msgs, 0);
    CHECK_EQ(sc.nr, 22);
    CHECK_STREQ(sc.cmd[0].args.cmd->name, "create");
    CHECK_EQ(sc.cmd[0].line, 3);
    CHECK_EQ(sc.cmd[0].args.argc, 2);
    CHECK_STREQ(sc.cmd[0].args.argv[1], "a.cfg");
    CHECK(sc.cmd[0].args.argv[2] == NULL);
    CHECK_STREQ(sc.cmd[1].args.argv[1], "b.cfg");
    CHECK_EQ(sc.cmd[1].args.argc, 2);
    CHECK_STREQ(sc.cmd[2].args.argv[0], "create");      /* "xl" skipped */
    CHECK_STREQ(sc.cmd[2].args.argv[1], "c.cfg");       /* CR dropped */
    CHECK_EQ(sc.cmd[7].args.argc, 5);
    CHECK_STREQ(sc.cmd[7].args.argv[4], "node:0");
    CHECK_EQ(sc.cmd[10].line, 13);
    CHECK_STREQ(sc.cmd[10].args.argv[2], "5000");
    /* echo keeps its text verbatim, '#' included, blanks around it dropped. */
    CHECK_STREQ(sc.cmd[12].args.argv[1], "phase #2: done");
    CHECK_EQ(sc.cmd[13].args.argc, 2);
    CHECK_STREQ(sc.cmd[13].args.argv[1], "");
    CHECK_EQ(sc.cmd[21].line, 24);
    CHECK_STREQ(sc.cmd[21].args.argv[1], "create");
}

static void test_parse_errors(void)
{
    static const struct { const char *text, *msg; } cases[] = {
        { "list\ncraete a.cfg\n", "scenario:2: unknown command 'craete' (try 'help')" },
        { "create\n", "scenario:1: create: missing argument (usage: create <cfgfile>)" },
        { "create a.cfg b.cfg\n",
          "scenario:1: create: too many arguments (usage: create <cfgfile>)" },
        { "destroy\n", "scenario:1: destroy: missing argument (usage: destroy <dom>)" },
        { "info now\n", "scenario:1: info: too many arguments (usage: info)" },
        { "sleep\n", "scenario:1: sleep: missing argument (usage: sleep <ms>)" },
        { "sleep soon\n", "scenario:1: sleep: expected milliseconds, got \"soon\"" },
        { "sleep -5\n", "scenario:1: sleep: expected milliseconds, got \"-5\"" },
        { "wait a 1s\n", "scenario:1: wait: expected milliseconds, got \"1s\"" },
        { "wait a 1 2\n",
          "scenario:1: wait: too many arguments (usage: wait <dom> [<ms>])" },
        { "list -x\n", "scenario:1: list: unknown option '-x'" },
        { "list a b\n", "scenario:1: usage: list [-n|-m] [<dom>]" },
        { "mem-set a 8q\n", "scenario:1: mem-set: expected a size (a number, suffix b, k, "
          "m or g; default k), got \"8q\"" },
        { "mem-max a 0\n", "scenario:1: mem-max: expected a size (a number, suffix b, k, "
          "m or g; default k), got \"0\"" },
        { "mem-set a 8m soon\n", "scenario:1: mem-set: expected milliseconds, got \"soon\"" },
        { "mem-set a\n",
          "scenario:1: mem-set: missing argument (usage: mem-set <dom> <size> [<ms>])" },
        { "vcpu-pin a 0\n",
          "scenario:1: vcpu-pin: missing argument (usage: vcpu-pin <dom> <vcpu|all> "
          "<hard> [<soft>])" },
        { "vcpu-pin a x 1\n",
          "scenario:1: vcpu-pin: expected a vCPU number or 'all', got \"x\"" },
        { "vcpu-pin a 32 1\n",
          "scenario:1: vcpu-pin: expected a vCPU number or 'all', got \"32\"" },
        { "vcpu-pin a 0 3-1\n",
          "scenario:1: vcpu-pin: bad CPU range \"3-1\": start above end" },
        { "vcpu-pin a 0 1 99\n", "scenario:1: vcpu-pin: CPU 99 out of range 0..63" },
        { "vcpu-pin a 0 - -\n", "scenario:1: vcpu-pin: nothing to change" },
        { "help frobnicate\n", "scenario:1: help: unknown command 'frobnicate'" },
        { "xl\n", "scenario:1: missing command after 'xl'" },
        { "xl xl list\n", "scenario:1: unknown command 'xl' (try 'help')" },
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int n = parse(cases[i].text);
        if (n != 1 || nr_msgs != 1 || strcmp(msgs[0], cases[i].msg) != 0) {
            printf("  case %zu: %d errors, first: %s\n    want: %s\n", i, n, msgs[0],
                   cases[i].msg);
            unit_failed_checks++;
        }
    }
}

static void test_every_error_reported(void)
{
    char longline[400];

    CHECK_EQ(parse("create\nlist\nfoo\n\nsleep x\n"), 3);
    CHECK_STREQ(msgs[0], "scenario:1: create: missing argument (usage: create <cfgfile>)");
    CHECK_STREQ(msgs[1], "scenario:3: unknown command 'foo' (try 'help')");
    CHECK_STREQ(msgs[2], "scenario:5: sleep: expected milliseconds, got \"x\"");

    memset(longline, 'a', sizeof(longline) - 1);
    longline[sizeof(longline) - 1] = '\0';
    memcpy(longline, "echo ", 5);
    CHECK_EQ(parse(longline), 1);
    CHECK_STREQ(msgs[0], "scenario:1: line longer than 255 characters");
}

static void test_blank_and_comment_only(void)
{
    CHECK_EQ(parse(""), 0);
    CHECK_EQ(sc.nr, 0);
    CHECK_EQ(parse("\n\n# only comments\n   # indented\n\t\n"), 0);
    CHECK_EQ(sc.nr, 0);
}

static void test_too_many_commands(void)
{
    static char text[SCENARIO_MAX_CMDS * 5 + 16];
    size_t pos = 0;

    for (int i = 0; i <= SCENARIO_MAX_CMDS; i++) {
        memcpy(text + pos, "info\n", 5);
        pos += 5;
    }
    text[pos] = '\0';
    CHECK_EQ(parse(text), 1);
    CHECK_STREQ(msgs[0], "scenario:257: more than 256 commands");
}

/* ---- running ---- */

static char out_lines[16][300];
static int nr_out, nr_exec, fail_at;

static void out(void *arg, const char *line)
{
    (void)arg;
    if (nr_out < 16)
        snprintf(out_lines[nr_out], sizeof(out_lines[0]), "%s", line);
    nr_out++;
}

static int exec(void *arg, const struct xl_args *a)
{
    (void)arg;
    (void)a;
    return ++nr_exec == fail_at ? -ESRCH : 0;
}

static void test_run_all(void)
{
    CHECK_EQ(parse("create a.cfg\n# c\nwait a 100\necho done: ok\n"), 0);
    nr_out = nr_exec = 0;
    fail_at = -1;
    CHECK_EQ(scenario_run(&sc, exec, NULL, out), 0);
    CHECK_EQ(nr_exec, 3);
    CHECK_EQ(nr_out, 3);
    CHECK_STREQ(out_lines[0], "xl> create a.cfg");
    CHECK_STREQ(out_lines[1], "xl> wait a 100");
    CHECK_STREQ(out_lines[2], "xl> echo done: ok");
}

static void test_run_stops_at_failure(void)
{
    CHECK_EQ(parse("create a.cfg\n\ndestroy b\nlist\n"), 0);
    nr_out = nr_exec = 0;
    fail_at = 2;
    CHECK_EQ(scenario_run(&sc, exec, NULL, out), -ESRCH);
    CHECK_EQ(nr_exec, 2);
    CHECK_EQ(nr_out, 3);
    CHECK_STREQ(out_lines[1], "xl> destroy b");
    CHECK_STREQ(out_lines[2], "scenario:3: 'destroy b' failed: ESRCH");
}

static void test_errno_names(void)
{
    CHECK_STREQ(str_errno(-EINVAL), "EINVAL");
    CHECK_STREQ(str_errno(ENOSYS), "ENOSYS");
    CHECK_STREQ(str_errno(-ETIMEDOUT), "ETIMEDOUT");
    CHECK_STREQ(str_errno(-4000), "error 4000");
}

static const struct unit_case cases[] = {
    { "parse_commands", test_parse_commands },
    { "parse_errors", test_parse_errors },
    { "every_error_reported", test_every_error_reported },
    { "blank_and_comment_only", test_blank_and_comment_only },
    { "too_many_commands", test_too_many_commands },
    { "run_all", test_run_all },
    { "run_stops_at_failure", test_run_stops_at_failure },
    { "errno_names", test_errno_names },
};
UNIT_MAIN(cases)
