/* Boot command line parser on its own table of options (not the linker section):
 * each case resets the variables, parses one command line, and checks the values,
 * the error count and the messages reported. */
#include "unit.h"

#include <hvlab/cmdline.h>
#include <hvlab/errno.h>
#include <hvlab/lib.h>

static bool opt_flag;
static unsigned int opt_maxcpus;
static uint64_t opt_mem;
static char opt_console[16];
static char opt_custom_seen[32];
static int custom_calls;

static int custom_sched(const char *val)
{
    custom_calls++;
    if (strcmp(val, "bad") == 0)
        return -EINVAL;
    snprintf(opt_custom_seen, sizeof(opt_custom_seen), "%s", val);
    return 0;
}

static const struct boot_param params[] = {
    { "flag", BP_BOOL, &opt_flag, sizeof(opt_flag), NULL, "a switch" },
    { "maxcpus", BP_UINT, &opt_maxcpus, sizeof(opt_maxcpus), NULL, "CPU limit" },
    { "dom0_mem", BP_SIZE, &opt_mem, sizeof(opt_mem), NULL, "dom0 memory" },
    { "console", BP_STR, opt_console, sizeof(opt_console), NULL, "where to print" },
    { "sched", BP_CUSTOM, NULL, 0, custom_sched, "scheduler" },
};

/* The registration macros must compile and land in the section (not read here). */
static bool macro_bool;
static unsigned int macro_uint;
static uint64_t macro_size;
static char macro_str[8];
boot_param_bool("m_bool", macro_bool, "macro check");
boot_param_uint("m_uint", macro_uint, "macro check");
boot_param_size("m_size", macro_size, "macro check");
boot_param_str("m_str", macro_str, "macro check");
boot_param_custom("m_custom", custom_sched, "macro check");

#define MAX_MSGS 8
static char msgs[MAX_MSGS][200];
static int nr_msgs;

static void report(const char *msg)
{
    if (nr_msgs < MAX_MSGS)
        snprintf(msgs[nr_msgs], sizeof(msgs[0]), "%s", msg);
    nr_msgs++;
}

/* Resets every variable to a recognisable default, parses, returns the error count. */
static int parse(const char *cmdline)
{
    opt_flag = false;
    opt_maxcpus = 4;
    opt_mem = 1;
    snprintf(opt_console, sizeof(opt_console), "dflt");
    opt_custom_seen[0] = '\0';
    custom_calls = 0;
    nr_msgs = 0;
    memset(msgs, 0, sizeof(msgs));
    return cmdline_parse(cmdline, params, params + ARRAY_SIZE(params), report);
}

static void test_bool(void)
{
    static const struct { const char *cmd; bool want; } ok[] = {
        { "flag", true }, { "flag=1", true }, { "flag=yes", true }, { "flag=on", true },
        { "flag=true", true }, { "flag flag=0", false }, { "flag flag=no", false },
        { "flag flag=off", false }, { "flag flag=false", false }, { "flag no-flag", false },
        { "no-flag flag", true },
    };

    for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
        CHECK_EQ(parse(ok[i].cmd), 0);
        CHECK_EQ(opt_flag, ok[i].want);
    }
    CHECK_EQ(parse("flag=maybe"), 1);
    CHECK_EQ(opt_flag, false);
    CHECK_STREQ(msgs[0], "bad value 'maybe' for boot option 'flag': "
                         "expected 0/1, no/yes, off/on or false/true");
    CHECK_EQ(parse("flag=2"), 1);
    CHECK_EQ(parse("flag="), 1);
    CHECK_EQ(parse("no-flag=1"), 1);
    CHECK_STREQ(msgs[0], "bad value '1' for boot option 'no-flag': takes no value");
    /* "no-" only negates booleans. */
    CHECK_EQ(parse("no-maxcpus"), 1);
    CHECK_STREQ(msgs[0], "unknown boot option 'no-maxcpus'");
}

static void test_uint(void)
{
    static const struct { const char *cmd; unsigned int want; } ok[] = {
        { "maxcpus=0", 0 }, { "maxcpus=8", 8 }, { "maxcpus=007", 7 },
        { "maxcpus=0x10", 16 }, { "maxcpus=0XfF", 255 }, { "maxcpus=4294967295", UINT32_MAX },
        { "maxcpus=0xffffffff", UINT32_MAX },
    };

    for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
        CHECK_EQ(parse(ok[i].cmd), 0);
        CHECK_EQ(opt_maxcpus, ok[i].want);
    }
    static const struct { const char *cmd, *msg; } bad[] = {
        { "maxcpus=99999999999",
          "bad value '99999999999' for boot option 'maxcpus': out of range" },
        { "maxcpus=4294967296",
          "bad value '4294967296' for boot option 'maxcpus': out of range" },
        { "maxcpus=99999999999999999999999",
          "bad value '99999999999999999999999' for boot option 'maxcpus': out of range" },
        { "maxcpus=abc", "bad value 'abc' for boot option 'maxcpus': not a number" },
        { "maxcpus=12abc", "bad value '12abc' for boot option 'maxcpus': not a number" },
        { "maxcpus=-1", "bad value '-1' for boot option 'maxcpus': not a number" },
        { "maxcpus=0x", "bad value '0x' for boot option 'maxcpus': not a number" },
        { "maxcpus=", "bad value '' for boot option 'maxcpus': not a number" },
        { "maxcpus=4K", "bad value '4K' for boot option 'maxcpus': not a number" },
        { "maxcpus", "boot option 'maxcpus' needs a value" },
    };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        CHECK_EQ(parse(bad[i].cmd), 1);
        CHECK_EQ(opt_maxcpus, 4);   /* unchanged */
        CHECK_STREQ(msgs[0], bad[i].msg);
    }
}

static void test_size(void)
{
    static const struct { const char *cmd; uint64_t want; } ok[] = {
        { "dom0_mem=0", 0 }, { "dom0_mem=4096", 4096 }, { "dom0_mem=4k", KiB(4) },
        { "dom0_mem=4K", KiB(4) }, { "dom0_mem=512M", MiB(512) },
        { "dom0_mem=512m", MiB(512) }, { "dom0_mem=2G", GiB(2) }, { "dom0_mem=3g", GiB(3) },
        { "dom0_mem=0x100M", MiB(256) }, { "dom0_mem=17179869183G", GiB(17179869183ULL) },
        { "dom0_mem=18446744073709551615", UINT64_MAX },
    };

    for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
        CHECK_EQ(parse(ok[i].cmd), 0);
        CHECK(opt_mem == ok[i].want);
    }
    static const char *const bad[] = {
        "dom0_mem=17179869184G", "dom0_mem=18446744073709551616", "dom0_mem=1T",
        "dom0_mem=1MB", "dom0_mem=M", "dom0_mem=-1", "dom0_mem=", "dom0_mem",
    };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        CHECK_EQ(parse(bad[i]), 1);
        CHECK(opt_mem == 1);
    }
    parse("dom0_mem=17179869184G");
    CHECK_STREQ(msgs[0], "bad value '17179869184G' for boot option 'dom0_mem': out of range");
    parse("dom0_mem=1T");
    CHECK_STREQ(msgs[0], "bad value '1T' for boot option 'dom0_mem': "
                         "expected a number with optional K, M or G");
}

static void test_str(void)
{
    CHECK_EQ(parse("console=com1"), 0);
    CHECK_STREQ(opt_console, "com1");
    CHECK_EQ(parse("console="), 0);
    CHECK_STREQ(opt_console, "");
    CHECK_EQ(parse("console=123456789012345"), 0);     /* 15 + NUL fills 16 */
    CHECK_STREQ(opt_console, "123456789012345");
    CHECK_EQ(parse("console=1234567890123456"), 1);
    CHECK_STREQ(opt_console, "dflt");
    CHECK_STREQ(msgs[0], "bad value '1234567890123456' for boot option 'console': "
                         "too long (max 15 bytes)");
    /* Only the first '=' splits. */
    CHECK_EQ(parse("console=a=b"), 0);
    CHECK_STREQ(opt_console, "a=b");
    CHECK_EQ(parse("console"), 1);
    CHECK_STREQ(msgs[0], "boot option 'console' needs a value");
}

static void test_quotes(void)
{
    CHECK_EQ(parse("console=\"com1 vga\" maxcpus=2"), 0);
    CHECK_STREQ(opt_console, "com1 vga");
    CHECK_EQ(opt_maxcpus, 2);
    CHECK_EQ(parse("\"console=a  b\""), 0);
    CHECK_STREQ(opt_console, "a  b");
    CHECK_EQ(parse("console=x\" \"y"), 0);
    CHECK_STREQ(opt_console, "x y");
    CHECK_EQ(parse("console=\"\""), 0);
    CHECK_STREQ(opt_console, "");
    CHECK_EQ(parse("\"\" maxcpus=3"), 0);      /* an empty option is skipped */
    CHECK_EQ(opt_maxcpus, 3);
    CHECK_EQ(parse("maxcpus=3 console=\"com1 vga"), 1);
    CHECK_STREQ(opt_console, "dflt");
    CHECK_EQ(opt_maxcpus, 3);
    CHECK_STREQ(msgs[0], "boot option 'console': unterminated quote");
}

static void test_custom(void)
{
    CHECK_EQ(parse("sched=credit"), 0);
    CHECK_EQ(custom_calls, 1);
    CHECK_STREQ(opt_custom_seen, "credit");
    CHECK_EQ(parse("sched"), 0);
    CHECK_EQ(custom_calls, 1);
    CHECK_STREQ(opt_custom_seen, "");
    CHECK_EQ(parse("sched=bad"), 1);
    CHECK_STREQ(msgs[0], "bad value 'bad' for boot option 'sched': rejected");
}

static void test_mixed(void)
{
    /* Unknown options are reported and skipped; the rest still apply. */
    CHECK_EQ(parse("foo maxcpus=2 bar=1 flag"), 2);
    CHECK_EQ(nr_msgs, 2);
    CHECK_STREQ(msgs[0], "unknown boot option 'foo'");
    CHECK_STREQ(msgs[1], "unknown boot option 'bar'");
    CHECK_EQ(opt_maxcpus, 2);
    CHECK_EQ(opt_flag, true);
    /* Last occurrence wins; a bad later one keeps the earlier good one. */
    CHECK_EQ(parse("maxcpus=2 maxcpus=6"), 0);
    CHECK_EQ(opt_maxcpus, 6);
    CHECK_EQ(parse("maxcpus=2 maxcpus=x"), 1);
    CHECK_EQ(opt_maxcpus, 2);
    /* Blanks: empty, only blanks, runs, tabs and newlines, leading and trailing. */
    CHECK_EQ(parse(""), 0);
    CHECK_EQ(parse(NULL), 0);
    CHECK_EQ(parse("   \t\n "), 0);
    CHECK_EQ(nr_msgs, 0);
    CHECK_EQ(parse("  maxcpus=5   \tflag  \n"), 0);
    CHECK_EQ(opt_maxcpus, 5);
    CHECK_EQ(opt_flag, true);
    /* Names match exactly. */
    CHECK_EQ(parse("maxcpu=1 maxcpusx=1 MAXCPUS=1 =1"), 4);
    CHECK_STREQ(msgs[3], "unknown boot option ''");
    CHECK_EQ(opt_maxcpus, 4);
    /* A NULL report only counts. */
    CHECK_EQ(cmdline_parse("foo bar", params, params + ARRAY_SIZE(params), NULL), 2);
}

static void test_long(void)
{
    char cmd[600];
    char big[300];

    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    snprintf(cmd, sizeof(cmd), "console=%s maxcpus=9", big);
    CHECK_EQ(parse(cmd), 1);
    CHECK_EQ(opt_maxcpus, 9);
    CHECK_STREQ(opt_console, "dflt");
    CHECK(strstr(msgs[0], "longer than 255 bytes") != NULL);
    /* A long bad value is cut to fit the message buffer, not overflowed. */
    snprintf(cmd, sizeof(cmd), "maxcpus=%.200s", big);
    CHECK_EQ(parse(cmd), 1);
    CHECK_EQ(strlen(msgs[0]), 159);
}

static void test_skip_image(void)
{
    static const struct { const char *in, *want; } cases[] = {
        { "/boot/hvlab.elf maxcpus=2", "maxcpus=2" },
        { "build/hvlab.elf", "" },
        { "hvlab.elf   flag", "flag" },
        { "  /hvlab flag", "flag" },
        { "(hd0,1)/boot/hv console=com1", "console=com1" },
        { "maxcpus=2 flag", "maxcpus=2 flag" },
        { "console=/dev/ttyS0 flag", "console=/dev/ttyS0 flag" },
        { "flag maxcpus=2", "flag maxcpus=2" },
        { "elf flag", "elf flag" },
        { ".elf", "" },
        { "", "" },
    };

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
        CHECK_STREQ(cmdline_skip_image(cases[i].in), cases[i].want);
    CHECK_STREQ(cmdline_skip_image(NULL), "");
}

static char help[8][200];
static int nr_help;

static void help_out(const char *line)
{
    if (nr_help < 8)
        snprintf(help[nr_help], sizeof(help[0]), "%s", line);
    nr_help++;
}

static void test_help(void)
{
    parse("maxcpus=12 dom0_mem=1K console=vga flag");
    nr_help = 0;
    cmdline_print_help(params, params + ARRAY_SIZE(params), help_out);
    CHECK_EQ(nr_help, 5);
    CHECK_STREQ(help[0], "  flag[=bool]              a switch (now on)");
    CHECK_STREQ(help[1], "  maxcpus=<uint>           CPU limit (now 12)");
    CHECK_STREQ(help[2], "  dom0_mem=<size>          dom0 memory (now 1024)");
    CHECK_STREQ(help[3], "  console=<string>         where to print (now \"vga\")");
    CHECK_STREQ(help[4], "  sched=<value>            scheduler");
}

static const struct unit_case cases[] = {
    { "bool: forms, no-, bad values", test_bool },
    { "uint: dec, hex, overflow, junk, unchanged on error", test_uint },
    { "size: suffixes, overflow, junk", test_size },
    { "str: copy, exact fit, too long", test_str },
    { "double quotes", test_quotes },
    { "custom handler", test_custom },
    { "unknown, repeated, blanks, empty", test_mixed },
    { "over-long option and message", test_long },
    { "cmdline_skip_image", test_skip_image },
    { "cmdline_print_help", test_help },
};
UNIT_MAIN(cases)
