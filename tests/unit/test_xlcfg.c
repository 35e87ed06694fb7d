/* Host tests for dom0's cfg-file parser (dom0/xlcfg.c) and CPU lists (dom0/cpulist.c):
 * every key, the defaults, every error message with its file:line, CPU lists with
 * ranges, nodes and exclusions, and resolving them against a topology. */
#include "unit.h"
#include "cpulist.h"
#include "xlcfg.h"

/* ---- helpers: parse a text, keep the messages ---- */

#define XLCFG_FIXTURE_FILE "a.cfg"
#include "xlcfg_fixture.h"

#define BASE "name = \"web\"\nkernel = \"cpuloop.elf\"\nmemory = 16\n"

/* The text parses with exactly one error, this message. */
#define CHECK_ONE_ERROR(text, msg) do {                                        \
    CHECK_EQ(parse(text), 1);                                                 \
    CHECK_EQ(nr_msgs, 1);                                                     \
    CHECK_STREQ(msgs[0], msg);                                                \
} while (0)

/* The value written for scheduler key `key`, or "(none)". */
static const char *sched_param(const char *key)
{
    for (unsigned i = 0; i < cfg.sched.nr; i++)
        if (!strcmp(cfg.sched.param[i].key, key))
            return cfg.sched.param[i].value;
    return "(none)";
}

/* ---- keys and defaults ---- */

static void test_minimal_defaults(void)
{
    CHECK_EQ(parse(BASE), 0);
    CHECK_EQ(nr_msgs, 0);
    CHECK_STREQ(cfg.name, "web");
    CHECK_STREQ(cfg.kernel, "cpuloop.elf");
    CHECK_EQ(cfg.memory_mib, 16);
    CHECK_EQ(cfg.maxmem_mib, 16);
    CHECK_EQ(cfg.vcpus, 1);
    CHECK_EQ(cfg.type, XLCFG_TYPE_PV);
    CHECK_EQ(cfg.cpus.nr, 0);
    CHECK_EQ(cfg.cpus_soft.nr, 0);
    CHECK_EQ(cfg.on_poweroff, XLCFG_ACTION_DESTROY);
    CHECK_EQ(cfg.on_reboot, XLCFG_ACTION_DESTROY);
    CHECK_EQ(cfg.on_crash, XLCFG_ACTION_DESTROY);
    CHECK_STREQ(cfg.extra, "");
    CHECK_EQ(cfg.sched.nr, 0);
    CHECK(!cfg.sched.has_pool);
    CHECK_STREQ(cfg.sched.pool, "");
}

static void test_every_key(void)
{
    const char *text =
        "# a full configuration\n"
        "name = 'db-1'\n"
        "kernel = \"cpuloop.elf\"   # the module\n"
        "type = \"pv\"\n"
        "memory = 32\n"
        "maxmem = 0x40\n"
        "vcpus = 4\n"
        "cpus = \"0-3\"\n"
        "cpus_soft = \"2,3\"\n"
        "on_poweroff = \"preserve\"\n"
        "on_reboot = \"preserve\"\n"
        "on_crash = \"preserve\"\n"
        "extra = \"loops=5 \\\"quoted\\\"\"\n"
        "weight = 512\n"
        "cap = 350\n"
        "period = 10000\n"
        "budget = 4000\n"
        "extratime = 1\n"
        "pool = \"Pool-0\"\n";

    CHECK_EQ(parse(text), 0);
    CHECK_STREQ(cfg.name, "db-1");
    CHECK_EQ(cfg.memory_mib, 32);
    CHECK_EQ(cfg.maxmem_mib, 64);
    CHECK_EQ(cfg.vcpus, 4);
    CHECK_EQ(cfg.cpus.nr, 1);
    CHECK(!cfg.cpus.per_vcpu);
    CHECK_EQ(cfg.cpus.set[0].cpus, 0xf);
    CHECK_EQ(cfg.cpus_soft.set[0].cpus, 0xc);
    CHECK_EQ(cfg.on_poweroff, XLCFG_ACTION_PRESERVE);
    CHECK_EQ(cfg.on_reboot, XLCFG_ACTION_PRESERVE);
    CHECK_EQ(cfg.on_crash, XLCFG_ACTION_PRESERVE);
    CHECK_STREQ(cfg.extra, "loops=5 \"quoted\"");
    /* Scheduler parameters are kept as written, with their lines, for xl create to
     * check against the pool policy's declarations. */
    CHECK_EQ(cfg.sched.nr, 5);
    CHECK_STREQ(sched_param("weight"), "512");
    CHECK_STREQ(sched_param("cap"), "350");
    CHECK_STREQ(sched_param("period"), "10000");
    CHECK_STREQ(sched_param("budget"), "4000");
    CHECK_STREQ(sched_param("extratime"), "1");
    CHECK_EQ(cfg.sched.param[0].line, 14);
    CHECK_EQ(cfg.sched.param[4].line, 18);
    CHECK_STREQ(cfg.sched.pool, "Pool-0");
    CHECK(cfg.sched.has_pool);
}

static void test_syntax_variants(void)
{
    /* Semicolons, no blanks, CRLF, comments everywhere, octal, quoted integers. */
    CHECK_EQ(parse("name=\"a\";kernel='k';memory=010\r\n#c\n\n  vcpus = \"2\" ;\n"),
             0);
    CHECK_STREQ(cfg.name, "a");
    CHECK_EQ(cfg.memory_mib, 8);
    CHECK_EQ(cfg.vcpus, 2);
    /* No newline at the end of the file. */
    CHECK_EQ(parse(BASE "vcpus = 3"), 0);
    CHECK_EQ(cfg.vcpus, 3);
    /* Escapes in single quotes; a '#' inside a string is not a comment. */
    CHECK_EQ(parse(BASE "extra = 'it\\'s #1\\tx\\\\'\n"), 0);
    CHECK_STREQ(cfg.extra, "it's #1\tx\\");
    /* cpu_weight is xl's name for weight. */
    CHECK_EQ(parse(BASE "cpu_weight = 100\n"), 0);
    CHECK_STREQ(sched_param("weight"), "100");
    /* A number is taken as a string where a string is expected. */
    CHECK_EQ(parse(BASE "extra = 5\n"), 0);
    CHECK_STREQ(cfg.extra, "5");
    CHECK_EQ(parse(BASE "extra = \"\"\n"), 0);
    CHECK_STREQ(cfg.extra, "");
}

static void test_cpus_forms(void)
{
    CHECK_EQ(parse(BASE "vcpus = 3\ncpus = [ \"2\", \"3-5,^4\",\n  # vCPU 2\n"
                   "  \"node:1\", ]\n"), 0);
    CHECK(cfg.cpus.per_vcpu);
    CHECK_EQ(cfg.cpus.nr, 3);
    CHECK_EQ(cfg.cpus.set[0].cpus, 0x4);
    CHECK_EQ(cfg.cpus.set[1].cpus, 0x38);
    CHECK_EQ(cfg.cpus.set[1].not_cpus, 0x10);
    CHECK_EQ(cfg.cpus.set[2].nodes, 0x2);
    /* A bare number; "all"; a list of numbers. */
    CHECK_EQ(parse(BASE "cpus = 3\ncpus_soft = \"all\"\n"), 0);
    CHECK_EQ(cfg.cpus.set[0].cpus, 0x8);
    CHECK(cfg.cpus_soft.set[0].all);
    CHECK_EQ(parse(BASE "vcpus = 2\ncpus = [1, 0]\n"), 0);
    CHECK_EQ(cfg.cpus.set[0].cpus, 0x2);
    CHECK_EQ(cfg.cpus.set[1].cpus, 0x1);
    CHECK_EQ(parse(BASE "cpus = \"0,2-3\"\n"), 0);
    CHECK_EQ(cfg.cpus.set[0].cpus, 0xd);
    CHECK_EQ(parse(BASE "cpus = \" 63 \"\n"), 0);
    CHECK_EQ(cfg.cpus.set[0].cpus, 1ULL << 63);
}

/* ---- errors, each with its exact message ---- */

static void test_error_messages(void)
{
    static const struct { const char *text, *msg; } cases[] = {
        { "name = \"a\"\nkernel = \"k\"\nmemory = \"lots\"\n",
          "a.cfg:3: key 'memory': expected an integer, got \"lots\"" },
        { "name = \"a\"\nkernel = \"k\"\nmemory = lots\n",
          "a.cfg:3: key 'memory': expected an integer, got \"lots\"" },
        { BASE "weight = [ 1 ]\n", "a.cfg:4: key 'weight': a scheduler parameter takes "
          "one number or string (at most 31 characters)" },
        { BASE "a_very_long_key_name = 1\n", "a.cfg:4: unknown key 'a_very_long_key_name'" },
        { BASE "memory = 32\n", "a.cfg:4: key 'memory': set twice (first on line 3)" },
        { BASE "weight = 1\ncpu_weight = 2\n",
          "a.cfg:5: key 'cpu_weight': set twice (first on line 4)" },
        { BASE "memory = 0\n", "a.cfg:4: key 'memory': set twice (first on line 3)" },
        { "name = \"a\"\nkernel = \"k\"\nmemory = 0\n",
          "a.cfg:3: key 'memory': 0 out of range 1..1048576" },
        { "name = \"a\"\nkernel = \"k\"\nmemory = 99999999999999999999999\n",
          "a.cfg:3: key 'memory': 99999999999999999999999 out of range 1..1048576" },
        { "name = \"a\"\nkernel = \"k\"\nmemory = [ 1 ]\n",
          "a.cfg:3: key 'memory': expected an integer, got a list" },
        { BASE "maxmem = 8\n", "a.cfg:4: key 'maxmem': 8 below memory (16)" },
        { BASE "vcpus = 0\n", "a.cfg:4: key 'vcpus': 0 out of range 1..32" },
        { BASE "vcpus = 33\n", "a.cfg:4: key 'vcpus': 33 out of range 1..32" },
        { BASE "vcpus = -1\n", "a.cfg:4: key 'vcpus': expected an integer, got \"-1\"" },
        { BASE "type = \"pvh\"\n",
          "a.cfg:4: key 'type': PVH guests are not supported yet (only \"pv\" and \"hvm\")" },
        { BASE "type = \"xen\"\n",
          "a.cfg:4: key 'type': expected \"pv\" or \"hvm\", got \"xen\"" },
        { BASE "type = pv\n", "a.cfg:4: key 'type': expected a quoted string, got pv" },
        { BASE "on_crash = \"restart\"\n",
          "a.cfg:4: key 'on_crash': \"restart\" is not supported yet (use \"destroy\" "
          "or \"preserve\")" },
        { BASE "on_poweroff = \"explode\"\n",
          "a.cfg:4: key 'on_poweroff': expected \"destroy\" or \"preserve\", got "
          "\"explode\"" },
        { BASE "pool = \"\"\n", "a.cfg:4: key 'pool': empty string" },
        { BASE "pool = \"0123456789012345678901234567890123\"\n",
          "a.cfg:4: key 'pool': longer than 31 characters" },
        { "name = \"a b\"\nkernel = \"k\"\nmemory = 1\n",
          "a.cfg:1: key 'name': \"a b\" may contain only letters, digits, '-', '_' "
          "and '.'" },
        { "name = \"42\"\nkernel = \"k\"\nmemory = 1\n",
          "a.cfg:1: key 'name': \"42\" is a number: it would read as a domain id" },
        { "name = \"abcdefghijabcdefghijabcdefghijXY\"\nkernel = \"k\"\nmemory = 1\n",
          "a.cfg:1: key 'name': longer than 31 characters" },
        { "name = \"a\"\nkernel = \"a b\"\nmemory = 1\n",
          "a.cfg:2: key 'kernel': \"a b\": a module name has no blanks" },
        { BASE "extra = \"unterminated\n",
          "a.cfg:4: key 'extra': unterminated string" },
        { BASE "extra = \"bad \\q escape\"\n",
          "a.cfg:4: key 'extra': unknown escape '\\q' in string" },
        { BASE "memory2 = 3 4\n", "a.cfg:4: unexpected '4' after the value" },
        { BASE "vcpus = 2 3\n", "a.cfg:4: key 'vcpus': unexpected '3' after the value" },
        { BASE "vcpus 2\n", "a.cfg:4: expected '=' after 'vcpus'" },
        { BASE "= 2\n", "a.cfg:4: expected a key, got '='" },
        { BASE "vcpus =\n", "a.cfg:4: key 'vcpus': missing value" },
        { BASE "cpus = [ \"1\"\n", "a.cfg:4: key 'cpus': list not closed with ']'" },
        { BASE "cpus = [ \"1\" \"2\" ]\n",
          "a.cfg:4: key 'cpus': expected ',' or ']' in list, got '\"'" },
        { BASE "cpus = [ [ \"1\" ] ]\n",
          "a.cfg:4: key 'cpus': nested lists are not supported" },
        { BASE "cpus = []\n", "a.cfg:4: key 'cpus': empty list" },
        { BASE "cpus = \"3-1\"\n",
          "a.cfg:4: key 'cpus': bad CPU range \"3-1\": start above end" },
        { BASE "cpus = \"99\"\n", "a.cfg:4: key 'cpus': CPU 99 out of range 0..63" },
        { BASE "cpus = \"64\"\n", "a.cfg:4: key 'cpus': CPU 64 out of range 0..63" },
        { BASE "cpus = \"0-64\"\n", "a.cfg:4: key 'cpus': CPU 64 out of range 0..63" },
        { BASE "cpus = \"x\"\n", "a.cfg:4: key 'cpus': bad CPU list item \"x\"" },
        { BASE "cpus = \"1,,2\"\n", "a.cfg:4: key 'cpus': empty item in CPU list" },
        { BASE "cpus = \"1,\"\n", "a.cfg:4: key 'cpus': empty item in CPU list" },
        { BASE "cpus = \"\"\n", "a.cfg:4: key 'cpus': empty CPU list" },
        { BASE "cpus = \"1-x\"\n", "a.cfg:4: key 'cpus': bad CPU number \"x\"" },
        { BASE "cpus = \"^2\"\n",
          "a.cfg:4: key 'cpus': CPU list \"^2\" names no CPU, only exclusions" },
        { BASE "cpus = \"^all\"\n", "a.cfg:4: key 'cpus': \"^all\" excludes every CPU" },
        { BASE "cpus = \"node:8\"\n", "a.cfg:4: key 'cpus': node 8 out of range 0..7" },
        { BASE "cpus = all\n", "a.cfg:4: key 'cpus': expected a quoted CPU list, got all" },
        { BASE "cpus = [\"1\", \"2-1\"]\n",
          "a.cfg:4: key 'cpus': entry 1: bad CPU range \"2-1\": start above end" },
        { BASE "cpus_soft = [\"1\", \"2\"]\n",
          "a.cfg:4: key 'cpus_soft': 2 entries for 1 vCPUs" },
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

static void test_missing_required(void)
{
    CHECK_EQ(parse(""), 3);
    CHECK_STREQ(msgs[0], "a.cfg: missing required key 'name'");
    CHECK_STREQ(msgs[1], "a.cfg: missing required key 'kernel'");
    CHECK_STREQ(msgs[2], "a.cfg: missing required key 'memory'");
    CHECK_ONE_ERROR("name = \"a\"\n# no kernel\nmemory = 4\n",
                    "a.cfg: missing required key 'kernel'");
    /* A required key with a bad value is reported once, not as missing too. */
    CHECK_ONE_ERROR("name = \"a\"\nkernel = \"k\"\nmemory = \"x\"\n",
                    "a.cfg:3: key 'memory': expected an integer, got \"x\"");
}

static void test_all_errors_reported(void)
{
    /* One run reports every problem, in file order, and goes on after each. */
    CHECK_EQ(parse(BASE "vcpus = x\nfoo = [ 1 ]\ntype = \"y\"\nweight = 7\n"), 3);
    CHECK_STREQ(msgs[0], "a.cfg:4: key 'vcpus': expected an integer, got \"x\"");
    CHECK_STREQ(msgs[1], "a.cfg:5: key 'foo': a scheduler parameter takes one number or "
                "string (at most 31 characters)");
    CHECK_STREQ(msgs[2], "a.cfg:6: key 'type': expected \"pv\" or \"hvm\", got \"y\"");
    CHECK_STREQ(sched_param("weight"), "7");
    /* A multi-line list counts lines: the error after it has the right line. */
    CHECK_EQ(parse(BASE "vcpus = 2\ncpus = [\n \"0\",\n \"1\"\n]\ntype = 1\n"), 1);
    CHECK_STREQ(msgs[0], "a.cfg:9: key 'type': expected \"pv\" or \"hvm\", got \"1\"");
    /* A syntax error inside a multi-line list: the rest of the list is skipped. */
    CHECK_EQ(parse(BASE "cpus = [\n \"1\"\n \"2\",\n \"3\"\n]\nvcpus = 2\n"), 1);
    CHECK_STREQ(msgs[0], "a.cfg:6: key 'cpus': expected ',' or ']' in list, got '\"'");
    CHECK_EQ(cfg.vcpus, 2);
    /* A NULL report callback only counts. */
    CHECK_EQ(xlcfg_parse(&cfg, "x", "memory = 1", 10, NULL, NULL), 2);
}

/* Any other key is a scheduler parameter: the parser cannot know the pool's policy,
 * so a misspelt key is kept with its line and refused at create time by name
 * (dom0/sched_params.c, tests/unit/test_dom0_sched.c). */
static void test_sched_keys_kept(void)
{
    CHECK_EQ(parse(BASE "tickets = 300\nhome_nodes = \"0-1\"\nmemroy = 16\n"), 0);
    CHECK_EQ(cfg.sched.nr, 3);
    CHECK_STREQ(sched_param("tickets"), "300");
    CHECK_STREQ(sched_param("home_nodes"), "0-1");
    CHECK_STREQ(sched_param("memroy"), "16");
    CHECK_EQ(cfg.sched.param[2].line, 6);
}

static void test_text_not_nul_terminated(void)
{
    /* The module is not NUL-terminated: the length bounds the parse. */
    char text[] = BASE "vcpus = 2XXXX";
    size_t len = strlen(text) - 4;

    CHECK_EQ(xlcfg_parse(&cfg, "a.cfg", text, len, collect, NULL), 0);
    CHECK_EQ(cfg.vcpus, 2);
}

/* ---- CPU lists against a topology ---- */

/* 8 CPUs: 0-3 on node 0, 4-7 on node 1. */
static const struct cpu_topo topo2 = {
    .nr_cpus = 8, .nr_nodes = 2, .cpu_to_node = { 0, 0, 0, 0, 1, 1, 1, 1 },
};

static uint64_t resolve(const char *s)
{
    struct cpulist l;
    char err[128];

    if (cpulist_parse(s, &l, err, sizeof(err))) {
        printf("  cpulist_parse(\"%s\"): %s\n", s, err);
        return 0xdead;
    }
    return cpulist_resolve(&l, &topo2);
}

static void test_cpulist_resolve(void)
{
    CHECK_EQ(resolve("all"), 0xff);
    CHECK_EQ(resolve("all,^7"), 0x7f);
    CHECK_EQ(resolve("0-3,5,^1"), 0x2d);
    CHECK_EQ(resolve("node:1"), 0xf0);
    CHECK_EQ(resolve("nodes:0-1,^node:0"), 0xf0);
    CHECK_EQ(resolve("1,node:1,^6"), 0xb2);
    CHECK_EQ(resolve("all,^node:1"), 0x0f);
    /* Exclusions win whatever the order. */
    CHECK_EQ(resolve("^1,0-3"), 0x0d);
    /* CPUs beyond the machine are kept for the caller to refuse. */
    CHECK_EQ(resolve("9"), 0x200);
    CHECK_EQ(cpumask_all(&topo2), 0xff);
}

static void test_cpumask_format(void)
{
    char buf[64];

    cpumask_format(buf, sizeof(buf), 0xff, 0xff);
    CHECK_STREQ(buf, "all");
    cpumask_format(buf, sizeof(buf), 0xff, 0);
    CHECK_STREQ(buf, "0-7");
    cpumask_format(buf, sizeof(buf), 0, 0xff);
    CHECK_STREQ(buf, "none");
    cpumask_format(buf, sizeof(buf), 0x2d, 0xff);
    CHECK_STREQ(buf, "0,2-3,5");
    cpumask_format(buf, sizeof(buf), 1ULL << 63 | 1, 0);
    CHECK_STREQ(buf, "0,63");
    CHECK_EQ(cpumask_format(buf, 4, 0x2d, 0xff), 7);
    CHECK_STREQ(buf, "0,2");
}

static void test_vcpu_affinity_and_node(void)
{
    CHECK_EQ(parse(BASE "vcpus = 3\ncpus = [\"1\", \"node:1\"]\n"), 0);
    CHECK_EQ(xlcfg_vcpu_affinity(&cfg.cpus, 0, &topo2), 0x02);
    CHECK_EQ(xlcfg_vcpu_affinity(&cfg.cpus, 1, &topo2), 0xf0);
    CHECK_EQ(xlcfg_vcpu_affinity(&cfg.cpus, 2, &topo2), 0);   /* not in the list */
    CHECK(xlcfg_affinity_given(&cfg.cpus, 1));
    CHECK(!xlcfg_affinity_given(&cfg.cpus, 2));
    CHECK(!xlcfg_affinity_given(&cfg.cpus_soft, 0));
    CHECK_EQ(xlcfg_memory_node(&cfg, &topo2), -1);             /* vCPU 2 anywhere */

    CHECK_EQ(parse(BASE "vcpus = 2\ncpus = \"4-5\"\n"), 0);
    CHECK_EQ(xlcfg_vcpu_affinity(&cfg.cpus, 1, &topo2), 0x30);
    CHECK(xlcfg_affinity_given(&cfg.cpus, 1));
    CHECK_EQ(xlcfg_memory_node(&cfg, &topo2), 1);

    CHECK_EQ(parse(BASE "cpus = \"2-5\"\n"), 0);
    CHECK_EQ(xlcfg_memory_node(&cfg, &topo2), -1);             /* spans both */
    /* Soft affinity narrows hard affinity to one node. */
    CHECK_EQ(parse(BASE "cpus = \"2-5\"\ncpus_soft = \"node:0\"\n"), 0);
    CHECK_EQ(xlcfg_memory_node(&cfg, &topo2), 0);
    CHECK_EQ(parse(BASE "cpus_soft = \"node:1\"\n"), 0);
    CHECK_EQ(xlcfg_memory_node(&cfg, &topo2), 1);
    CHECK_EQ(parse(BASE), 0);
    CHECK_EQ(xlcfg_memory_node(&cfg, &topo2), -1);
}

/* type = "hvm" is built by dom0/xl_hvm.c; the parser only records it. */
static void test_type_hvm(void)
{
    CHECK_EQ(parse(BASE "type = \"hvm\"\n"), 0);
    CHECK_EQ(nr_msgs, 0);
    CHECK_EQ(cfg.type, XLCFG_TYPE_HVM);
    CHECK_EQ(parse(BASE "type = \"pv\"\n"), 0);
    CHECK_EQ(cfg.type, XLCFG_TYPE_PV);
}

/* An HVM Linux guest's keys: ramdisk, and cmdline as xl.cfg's other name for extra
 * (one line: both set is the "set twice" error). */
static void test_hvm_linux_keys(void)
{
    CHECK_EQ(parse(BASE "type = \"hvm\"\nramdisk = \"initrd.gz\"\n"
                   "cmdline = \"console=ttyS0 quiet\"\n"), 0);
    CHECK_EQ(nr_msgs, 0);
    CHECK_STREQ(cfg.ramdisk, "initrd.gz");
    CHECK_STREQ(cfg.extra, "console=ttyS0 quiet");
    CHECK_EQ(parse(BASE "extra = \"a\"\ncmdline = \"b\"\n"), 1);
    CHECK_STREQ(msgs[0], "a.cfg:5: key 'cmdline': set twice (first on line 4)");
    CHECK_EQ(parse(BASE "ramdisk = \"two words\"\n"), 1);
    CHECK_STREQ(msgs[0], "a.cfg:4: key 'ramdisk': \"two words\": a module name has no blanks");
}

/* mmpolicy: memory_policy (with interleave's granularity) and nodes; each bad value
 * named with file, line, key and the numbers. */
static void test_memory_policy_keys(void)
{
    static const struct { const char *text, *msg; } bad[] = {
        { "memory_policy = \"bind:2M\"\n",
          "a.cfg:4: key 'memory_policy': a granularity (\":2M\") goes only with interleave" },
        { "memory_policy = \"interleave:1G\"\n",
          "a.cfg:4: key 'memory_policy': granularity \"1G\": expected 4K or 2M" },
        { "nodes = \"9\"\n", "a.cfg:4: key 'nodes': bad node list \"9\": nodes are 0..7" },
        { "nodes = \"node:1\"\n",
          "a.cfg:4: key 'nodes': bad node list \"node:1\": node numbers only, as \"0-1,3\"" },
        { "nodes = \"3-1\"\n", "a.cfg:4: key 'nodes': bad node list \"3-1\": " },
        { "memory_policy = \"a-name-longer-than-16\"\n", "a.cfg:4: key 'memory_policy': " },
    };

    CHECK_EQ(parse(BASE "memory_policy = \"interleave:2M\"\nnodes = \"0-1,3\"\n"), 0);
    CHECK_EQ(nr_msgs, 0);
    CHECK_STREQ(cfg.memory_policy, "interleave");
    CHECK_EQ(cfg.mm_gran_order, 9);
    CHECK_EQ(cfg.mm_nodes, 0xb);
    CHECK_EQ(cfg.mm_line, 4);
    CHECK_EQ(cfg.mm_nodes_line, 5);
    CHECK_EQ(parse(BASE "memory_policy = \"first-touch\"\n"), 0);
    CHECK_STREQ(cfg.memory_policy, "first-touch");
    CHECK_EQ(cfg.mm_gran_order, 0);
    CHECK_EQ(cfg.mm_nodes, 0);
    CHECK_EQ(parse(BASE "nodes = \"all\"\n"), 0);
    CHECK(cfg.mm_nodes_all);
    CHECK_EQ(parse(BASE), 0);
    CHECK_STREQ(cfg.memory_policy, "");             /* the default: local */
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char text[256];

        snprintf(text, sizeof(text), BASE "%s", bad[i].text);
        CHECK_EQ(parse(text), 1);
        if (strncmp(msgs[0], bad[i].msg, strlen(bad[i].msg)) != 0)
            printf("  got \"%s\"\n  want \"%s...\"\n", msgs[0], bad[i].msg);
        CHECK(strncmp(msgs[0], bad[i].msg, strlen(bad[i].msg)) == 0);
    }
}

static const struct unit_case cases[] = {
    { "memory_policy_keys", test_memory_policy_keys },
    { "type_hvm", test_type_hvm },
    { "hvm_linux_keys", test_hvm_linux_keys },
    { "minimal_defaults", test_minimal_defaults },
    { "every_key", test_every_key },
    { "syntax_variants", test_syntax_variants },
    { "cpus_forms", test_cpus_forms },
    { "error_messages", test_error_messages },
    { "missing_required", test_missing_required },
    { "all_errors_reported", test_all_errors_reported },
    { "sched_keys_kept", test_sched_keys_kept },
    { "text_not_nul_terminated", test_text_not_nul_terminated },
    { "cpulist_resolve", test_cpulist_resolve },
    { "cpumask_format", test_cpumask_format },
    { "vcpu_affinity_and_node", test_vcpu_affinity_and_node },
};
UNIT_MAIN(cases)
