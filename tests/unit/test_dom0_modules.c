/* Host tests for dom0's boot-module names (dom0/modules.c). */
#include "unit.h"
#include "modules.h"

static const char *name_of(const char *cmdline)
{
    static char buf[MODULE_NAME_MAX];

    module_name(cmdline, strlen(cmdline), buf, sizeof(buf));
    return buf;
}

static void test_names(void)
{
    CHECK_STREQ(name_of("build/guest/cpuloop.elf cpuloop.elf"), "cpuloop.elf");
    CHECK_STREQ(name_of("scenario"), "scenario");
    CHECK_STREQ(name_of("  tests/a.cfg   web.cfg  "), "web.cfg");
    CHECK_STREQ(name_of("build/guest/cpuloop.elf"), "cpuloop.elf");
    CHECK_STREQ(name_of("a.cfg"), "a.cfg");
    CHECK_STREQ(name_of("cpuloop.elf loops=5"), "cpuloop.elf");
    CHECK_STREQ(name_of("cpuloop.elf other words"), "cpuloop.elf");
    CHECK_STREQ(name_of("/x/y/"), "");
    CHECK_STREQ(name_of(""), "");
    CHECK_STREQ(name_of("   "), "");
}

static void test_not_nul_terminated(void)
{
    char cmd[8] = { 'd', '/', 'a', '.', 'c', 'f', 'g', 'x' };
    char buf[MODULE_NAME_MAX];

    module_name(cmd, sizeof(cmd), buf, sizeof(buf));
    CHECK_STREQ(buf, "a.cfgx");
    module_name(cmd, 7, buf, sizeof(buf));
    CHECK_STREQ(buf, "a.cfg");
}

static void test_find(void)
{
    static struct start_info si;
    static const char *const cmdlines[] = {
        "cpuloop.elf",
        "a.cfg",
        "build/guest/other.elf",
        "tests/scenarios/three-domus/scenario.txt scenario",
    };

    si.nr_modules = 4;
    for (int i = 0; i < 4; i++) {
        snprintf(si.modules[i].cmdline, sizeof(si.modules[i].cmdline), "%s",
                 cmdlines[i]);
        si.modules[i].len = (uint64_t)i + 100;
    }
    CHECK(module_find(&si, "cpuloop.elf") == &si.modules[0]);
    CHECK(module_find(&si, "a.cfg") == &si.modules[1]);
    CHECK(module_find(&si, "other.elf") == &si.modules[2]);
    CHECK(module_find(&si, "scenario") == &si.modules[3]);
    CHECK(module_find(&si, "scenario.txt") == NULL);
    CHECK(module_find(&si, "b.cfg") == NULL);
    si.nr_modules = 1;
    CHECK(module_find(&si, "a.cfg") == NULL);
}

static const struct unit_case cases[] = {
    { "names", test_names },
    { "not_nul_terminated", test_not_nul_terminated },
    { "find", test_find },
};
UNIT_MAIN(cases)
