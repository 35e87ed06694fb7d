/* The table of xl commands and the parsing of a command line against it. Pure: the
 * host tests link it with stub handlers to check scenario files.
 * (Xen keeps its table the same way: tools/xl/xl_cmdtable.c.) */
#include <hvlab/errno.h>
#include <balloon.h>
#include "arinc653_args.h"
#include "cpulist.h"
#include "sched_args.h"
#include "strutil.h"
#include "trace_args.h"
#include "xl.h"
#include "xlcfg_disk.h"

static int check_ms(const char *what, const char *s, char *err, size_t errlen)
{
    uint64_t ms;

    if (str_to_dec(s, &ms) || ms > 24ULL * 3600 * 1000) {
        fmt_snprintf(err, errlen, "%s: expected milliseconds, got \"%s\"", what, s);
        return -EINVAL;
    }
    return 0;
}

static int check_sleep(int argc, char *const *argv, char *err, size_t errlen)
{
    return check_ms("sleep", argv[1], err, errlen);
}

static int check_wait(int argc, char *const *argv, char *err, size_t errlen)
{
    return argc > 2 ? check_ms("wait", argv[2], err, errlen) : 0;
}

static int check_store_watch(int argc, char *const *argv, char *err, size_t errlen)
{
    uint64_t n;

    if (argc > 2 && (str_to_dec(argv[2], &n) || n == 0 || n > 1000)) {
        fmt_snprintf(err, errlen, "store-watch: expected a count 1..1000, got \"%s\"", argv[2]);
        return -EINVAL;
    }
    return argc > 3 ? check_ms("store-watch", argv[3], err, errlen) : 0;
}

static int check_list(int argc, char *const *argv, char *err, size_t errlen)
{
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] == '-' && strcmp(argv[i], "-n") != 0 && strcmp(argv[i], "-m") != 0) {
            fmt_snprintf(err, errlen, "%s: unknown option '%s'", argv[0], argv[i]);
            return -EINVAL;
        }
    }
    if (argc == 3 && (argv[1][0] == '-') == (argv[2][0] == '-')) {
        fmt_snprintf(err, errlen, "usage: %s [-n|-m] [<dom>]", argv[0]);
        return -EINVAL;
    }
    return 0;
}

/* mem-set, mem-max: a size as xl's (docs/ballooning.md); mem-set's bound in ms. */
static int check_mem(int argc, char *const *argv, char *err, size_t errlen)
{
    uint64_t kib;

    if (balloon_parse_kib(argv[2], &kib)) {
        fmt_snprintf(err, errlen, "%s: expected a size (a number, suffix b, k, m or g; "
                     "default k), got \"%s\"", argv[0], argv[2]);
        return -EINVAL;
    }
    return argc > 3 ? check_ms(argv[0], argv[3], err, errlen) : 0;
}

static int check_cpus_arg(const char *s, char *err, size_t errlen)
{
    struct cpulist l;
    char why[96];

    if (strcmp(s, "-") == 0)
        return 0;
    if (cpulist_parse(s, &l, why, sizeof(why))) {
        fmt_snprintf(err, errlen, "vcpu-pin: %s", why);
        return -EINVAL;
    }
    return 0;
}

static int check_vcpu_pin(int argc, char *const *argv, char *err, size_t errlen)
{
    uint64_t vcpu;

    if (strcmp(argv[2], "all") != 0 && (str_to_dec(argv[2], &vcpu) || vcpu >= 32)) {
        fmt_snprintf(err, errlen, "vcpu-pin: expected a vCPU number or 'all', got "
                     "\"%s\"", argv[2]);
        return -EINVAL;
    }
    if (check_cpus_arg(argv[3], err, errlen))
        return -EINVAL;
    if (argc > 4 && check_cpus_arg(argv[4], err, errlen))
        return -EINVAL;
    if (argc > 4 && strcmp(argv[3], "-") == 0 && strcmp(argv[4], "-") == 0) {
        fmt_snprintf(err, errlen, "vcpu-pin: nothing to change");
        return -EINVAL;
    }
    return 0;
}

static int check_trace(int argc, char *const *argv, char *err, size_t errlen)
{
    struct trace_args a;

    return argc == 1 ? 0 : trace_args_parse(argc, argv, &a, err, errlen);
}

static int check_help(int argc, char *const *argv, char *err, size_t errlen)
{
    if (argc > 1 && !xl_cmd_find(argv[1])) {
        fmt_snprintf(err, errlen, "help: unknown command '%s'", argv[1]);
        return -EINVAL;
    }
    return 0;
}

static int check_sched(int argc, char *const *argv, char *err, size_t errlen)
{
    struct sched_args a;

    return sched_args_parse(argc, argv, &a, err, errlen);
}

static int check_arinc653(int argc, char *const *argv, char *err, size_t errlen)
{
    static struct arinc653_args a;     /* 1.6 KiB: not on the guest's small stack */

    return arinc653_args_parse(argc, argv, &a, err, errlen);
}

static int check_cpupool_create(int argc, char *const *argv, char *err, size_t errlen)
{
    struct cpupool_create_args a;

    return cpupool_create_args_parse(argc, argv, &a, err, errlen);
}

static int check_cpupool_list(int argc, char *const *argv, char *err, size_t errlen)
{
    int pools = 0;

    for (int i = 1; i < argc; i++) {
        if (argv[i][0] == '-' && strcmp(argv[i], "-c") != 0) {
            fmt_snprintf(err, errlen, "%s: unknown option '%s'", argv[0], argv[i]);
            return -EINVAL;
        }
        pools += argv[i][0] != '-';
    }
    if (pools > 1 || argc - 1 - pools > 1) {
        fmt_snprintf(err, errlen, "usage: %s [-c] [<pool>]", argv[0]);
        return -EINVAL;
    }
    return 0;
}

static int check_pool_cpus(int argc, char *const *argv, char *err, size_t errlen)
{
    struct cpulist l;
    char why[96];

    if (cpulist_parse(argv[2], &l, why, sizeof(why))) {
        fmt_snprintf(err, errlen, "%s: %s", argv[0], why);
        return -EINVAL;
    }
    return 0;
}

/* The errno named name (EBUSY), as a positive number; 0 if none. */
static int errno_of_name(const char *name)
{
    for (int e = 1; e < 256; e++)
        if (strcmp(str_errno(e), name) == 0)
            return e;
    return 0;
}

int xl_parse_expect(const char *text, char *buf, size_t size, int *errnum,
                    struct xl_args *a, char *err, size_t errlen)
{
    const char *p = text, *name = text;
    char why[160];

    while (*p && !str_is_blank(*p))
        p++;
    if (p == name || !str_copy(buf, size, name, (size_t)(p - name)) ||
        !(*errnum = errno_of_name(buf))) {
        fmt_snprintf(err, errlen, "expect: expected an errno name (EBUSY, EINVAL, ...), "
                     "got \"%.*s\"", (int)(p - name), name);
        return -EINVAL;
    }
    if (!str_copy(buf, size, p, strlen(p))) {
        fmt_snprintf(err, errlen, "expect: command too long");
        return -EINVAL;
    }
    if (xl_parse_line(buf, a, why, sizeof(why))) {
        fmt_snprintf(err, errlen, "expect: %s", why);
        return -EINVAL;
    }
    if (!a->cmd || a->cmd->run == xl_expect) {
        fmt_snprintf(err, errlen, "expect: %s", a->cmd ? "expect cannot be nested"
                                                       : "missing command");
        return -EINVAL;
    }
    return 0;
}

static int check_expect(int argc, char *const *argv, char *err, size_t errlen)
{
    char buf[XL_LINE_MAX];
    struct xl_args a;
    int e;

    return xl_parse_expect(argc > 1 ? argv[1] : "", buf, sizeof(buf), &e, &a, err,
                           errlen);
}

/* PV block: block-attach's spec (xlcfg_disk.c). */
static int check_block_attach(int argc, char *const *argv, char *err, size_t errlen)
{
    struct xlcfg_disk d = { 0 };
    char why[128];

    if (xlcfg_disk_parse_words(argc - 2, argv + 2, &d, why, sizeof(why))) {
        fmt_snprintf(err, errlen, "block-attach: %s", why);
        return -EINVAL;
    }
    return 0;
}

static int check_block_detach(int argc, char *const *argv, char *err, size_t errlen)
{
    (void)argc;
    if (xlcfg_disk_devid(argv[2]) < 0 || !xlcfg_disk_is_pv(argv[2])) {
        fmt_snprintf(err, errlen, "block-detach: vdev '%s': expected xvd<a-p>", argv[2]);
        return -EINVAL;
    }
    return 0;
}

const struct xl_cmd xl_cmds[] = {
    { "create", xl_create, 1, 1, false, NULL, "create <cfgfile>",
      "create and start a domain from a cfg file (a boot module)" },
    { "hvm-flat", xl_hvm_flat, 3, 4, false, NULL, "hvm-flat <module> <name> <MiB> [<ebx>]",
      "start a flat 32-bit image as an HVM domain at 1 MiB (SVM tests)" },
    { "list", xl_list, 0, 2, false, check_list, "list [-n|-m] [<dom>]",
      "list domains (-n: memory per NUMA node; -m: reservation, target, maximum)" },
    { "destroy", xl_destroy, 1, 1, false, NULL, "destroy <dom>",
      "destroy a domain at once" },
    { "pause", xl_pause, 1, 1, false, NULL, "pause <dom>", "pause a domain" },
    { "console-input", xl_console_input, 2, 2, false, NULL, "console-input <dom> <text>",
      "type a line into an HVM domain's COM1" },
    { "unpause", xl_unpause, 1, 1, false, NULL, "unpause <dom>", "unpause a domain" },
    { "shutdown", xl_shutdown, 1, 1, false, NULL, "shutdown <dom>",
      "ask a domain to shut down" },
    { "vcpu-list", xl_vcpu_list, 0, 1, false, NULL, "vcpu-list [<dom>]",
      "list the vCPUs of one or every domain" },
    { "vcpu-pin", xl_vcpu_pin, 3, 4, false, check_vcpu_pin,
      "vcpu-pin <dom> <vcpu|all> <hard> [<soft>]",
      "set vCPU affinity (CPU lists as in cfg files; '-' keeps one unchanged)" },
    { "info", xl_info, 0, 0, false, NULL, "info",
      "the machine: CPUs, NUMA nodes, memory, scheduler" },
    { "numa-list", xl_numa_list, 0, 0, false, NULL, "numa-list",
      "free frames per NUMA node and each domain's frames on each node, with its memory "
      "policy" },
    { "dmesg", xl_dmesg, 0, 0, false, NULL, "dmesg", "the hypervisor's console log" },
    { "wait", xl_wait, 1, 2, false, check_wait, "wait <dom> [<ms>]",
      "wait until a domain has shut down (at most ms milliseconds)" },
    { "sleep", xl_sleep, 1, 1, false, check_sleep, "sleep <ms>",
      "do nothing for ms milliseconds" },
    { "echo", xl_echo, 0, 1, true, NULL, "echo <text>", "print text" },
    /* pdisk: dom0's physical disks (xl_pdisk.c) */
    { "pdisk-list", xl_pdisk_list, 0, 0, false, NULL, "pdisk-list",
      "dom0's physical disks: size, interrupt, requests and bytes done" },
    { "pdisk-write", xl_pdisk_write, 3, 4, false, NULL,
      "pdisk-write <region> <sector> <text> [<sectors>]",
      "fill sectors of a physical-disk region (vd0, vd0:2048+4096) with text repeated" },
    { "pdisk-read", xl_pdisk_read, 2, 3, false, NULL, "pdisk-read <region> <sector> [<sectors>]",
      "read sectors of a physical-disk region: the first 48 bytes and an FNV-1a hash" },
    { "pdisk-flush", xl_pdisk_flush, 1, 1, false, NULL, "pdisk-flush <region>",
      "flush a physical disk's write cache to the host's storage" },
    { "pdisk-qd", xl_pdisk_qd, 5, 5, false, NULL,
      "pdisk-qd <region> <sector> <requests> <depth> <text>",
      "write then read back 4 KiB requests asynchronously, at most depth in flight" },
    /* iobench: the disk benchmark in dom0 (xl_diskbench.c, docs/io-benchmarks.md) */
    { "disk-bench", xl_disk_bench, 1, 5, false, NULL,
      "disk-bench <region> [ops=..] [qd=Q[,Q2]] [reqs=N] [seed=S]",
      "the disk benchmark (bench/disk_run.c) on a physical-disk region, in dom0" },
    { "pci-list", xl_pci_list, 0, 0, false, NULL, "pci-list",
      "PCI functions as dom0 sees them (the hypervisor's own are absent)" },
    { "pci-read", xl_pci_read, 2, 2, false, NULL, "pci-read <bb:dd.f> <offset>",
      "read a 32-bit PCI configuration register" },
    { "pci-write", xl_pci_write, 3, 3, false, NULL, "pci-write <bb:dd.f> <offset> <value>",
      "write a 32-bit PCI configuration register (chipset bridges are read-only)" },
    { "ioport-read", xl_ioport_read, 1, 3, false, NULL, "ioport-read <port> [b|w|l] [<count>]",
      "read an I/O port from dom0 (the hypervisor's own ports are refused: #GP); with "
      "count, the time per read" },
    { "ioport-permit", xl_ioport_permit, 4, 4, false, NULL,
      "ioport-permit <dom> <first> <count> <allow|revoke>",
      "grant or revoke I/O ports of a PV domU (never the hypervisor's)" },
    { "trace", xl_trace, 0, 4, false, check_trace,
      "trace <start|stop|mask|status> ...",
      "trace the hypervisor into the host's stream ('trace' alone: the details)" },
    { "sched-credit", xl_sched_params, 0, 6, false, check_sched,
      "sched-credit [-d <dom>] [-w <weight>] [-c <cap>]",
      "credit parameters of a domain, or of every domain of credit pools; -w 1..65535, "
      "-c % of one CPU (0: none)" },
    { "sched-credit2", xl_sched_params, 0, 6, false, check_sched,
      "sched-credit2 [-d <dom>] [-w <weight>] [-c <cap>]",
      "credit2 parameters of a domain, or of every domain of credit2 pools" },
    { "sched-rtds", xl_sched_params, 0, 10, false, check_sched,
      "sched-rtds [-d <dom>] [-v <vcpu|all>] [-p <period_us>] [-b <budget_us>] [-e <0|1>]",
      "rtds parameters of a domain's vCPUs (default all), or of every domain of rtds "
      "pools; -e 1: may run past its budget on idle CPUs" },
    { "sched-numa", xl_sched_params, 0, 6, false, check_sched,
      "sched-numa [-d <dom>] [-w <weight>] [-n <nodes|auto>]",
      "numa parameters of a domain (weight, home nodes; auto: from its memory), or of "
      "every domain of numa pools" },
    { "sched-get", xl_sched_get, 1, 3, false, NULL, "sched-get <dom> [-v <vcpu>]",
      "the parameters and counters the domain's pool's policy declares, with values" },
    { "sched-set", xl_sched_set, 2, 12, false, NULL,
      "sched-set <dom> [-v <vcpu|all>] <key>=<value> ...",
      "set parameters the domain's pool's policy declares (see sched-get)" },
    { "arinc653-set", xl_arinc653, 2, XL_MAX_ARGS, false, check_arinc653,
      "arinc653-set [-p <pool>] <major_us> <dom>[:<vcpu>]=<runtime_us>[,...] ...",
      "set the arinc653 timetable of a pool (default 0): windows in order from the "
      "start of the major frame, each for a domain's vCPUs (or one), the rest idle" },
    { "arinc653-get", xl_arinc653, 0, 2, false, check_arinc653,
      "arinc653-get [-p <pool>]", "the arinc653 timetable of a pool (default 0)" },
    { "cpupool-create", xl_cpupool_create, 1, 4, false, check_cpupool_create,
      "cpupool-create [<file>] [name=<name>] [sched=<policy>] [cpus=<cpulist>]",
      "create a CPU pool (policy: the default pool's unless given), and move free CPUs "
      "into it; the file (a boot module) has name=, sched=, cpus= lines" },
    { "cpupool-list", xl_cpupool_list, 0, 2, false, check_cpupool_list,
      "cpupool-list [-c] [<pool>]", "list CPU pools (-c: their CPUs)" },
    { "cpupool-destroy", xl_cpupool_destroy, 1, 1, false, NULL, "cpupool-destroy <pool>",
      "destroy a CPU pool that has no CPUs and no domains left" },
    { "cpupool-cpu-add", xl_cpupool_cpu_add, 2, 2, false, check_pool_cpus,
      "cpupool-cpu-add <pool> <cpulist>", "move free CPUs into a pool" },
    { "cpupool-cpu-remove", xl_cpupool_cpu_remove, 2, 2, false, check_pool_cpus,
      "cpupool-cpu-remove <pool> <cpulist>",
      "take CPUs out of a pool (they idle until added to one)" },
    { "cpupool-migrate", xl_cpupool_migrate, 2, 2, false, NULL,
      "cpupool-migrate <dom> <pool>",
      "move a domain, running or not, to another pool" },
    { "expect", xl_expect, 1, 1, true, check_expect, "expect <ERRNO> <command>",
      "run a command that must fail with that errno (a scenario checks a refusal and "
      "goes on)" },
    /* devmodel (issue 11): the HVM device model (dom0/dm.h) */
    { "dm-attach", xl_dm_attach, 1, 2, false, NULL, "dm-attach <dom> [<target>]",
      "give an HVM domain the device model (PCI host bridge; ATA disk hda on a region)" },
    { "dm-detach", xl_dm_detach, 1, 1, false, NULL, "dm-detach <dom>",
      "take an HVM domain's device model away" },
    { "dm-inject", xl_dm_inject, 2, 2, false, NULL, "dm-inject <dom> bad-state|bad-size|hold",
      "make the device model's next answer malformed, or hold the next request 20 ms" },
    { "dm-list", xl_dm_list, 0, 0, false, NULL, "dm-list",
      "the device model's domains and counters" },
    /* The store (dom0/xl_store.c). */
    { "store-read", xl_store_read, 1, 1, false, NULL, "store-read <path>",
      "print a store key's value" },
    { "store-write", xl_store_write, 2, 2, false, NULL, "store-write <path> <value>",
      "write a store key (creating its parents)" },
    { "store-ls", xl_store_ls, 0, 1, false, NULL, "store-ls [<path>]",
      "list a store subtree with its values" },
    { "store-rm", xl_store_rm, 1, 1, false, NULL, "store-rm <path>",
      "remove a store key and its subtree" },
    { "store-watch", xl_store_watch, 1, 3, false, check_store_watch,
      "store-watch <path> [<n> [<ms>]]",
      "wait until a watch on path fired n times (1: the event at once), at most ms" },
    /* PV network (xl_net.c) */
    { "network-attach", xl_network_attach, 1, 3, false, NULL,
      "network-attach <dom> [mac=<MAC>] [bridge=<name>]",
      "give a domain a new vif on a bridge (default br0, MAC 00:16:3e:<dom>:<n>)" },
    { "network-list", xl_network_list, 1, 1, false, NULL, "network-list <dom>",
      "a domain's vifs: MAC, bridge, state, frame and byte counters" },
    /* PV block: xl_block.c */
    { "block-attach", xl_block_attach, 2, 4, false, check_block_attach,
      "block-attach <dom> <spec>",
      "give a running domain a PV disk: spec as in a cfg's disk = [...], e.g. "
      "target=vd0:0+2048,vdev=xvdb,access=r" },
    { "block-detach", xl_block_detach, 2, 2, false, check_block_detach,
      "block-detach <dom> <vdev>", "take a PV disk away (the frontend closes it first)" },
    { "block-list", xl_block_list, 1, 1, false, NULL, "block-list <dom>",
      "a domain's PV disks: connection, store states, region, counters" },
    /* Ballooning: xl_mem.c (docs/ballooning.md) */
    { "mem-set", xl_mem_set, 2, 3, false, check_mem, "mem-set <dom> <size> [<ms>]",
      "set a domain's memory target (size: b, k, m, g; default KiB); waits up to ms "
      "(default 5000) for its balloon and reports any shortfall" },
    { "mem-max", xl_mem_max, 2, 2, false, check_mem, "mem-max <dom> <size>",
      "set a domain's maximum memory (DOMCTL_max_mem); never below what it holds" },
    /* Moving memory between nodes: xl_migrate_mem.c (docs/memory-policies.md) */
    { "mem-migrate", xl_mem_migrate, 2, 3, false, NULL, "mem-migrate <dom> <nodes> [check]",
      "move a running domain's memory to NUMA nodes (e.g. 2 or 2,3); prints frames "
      "moved and left in place (check: recount a PV domain's references after)" },
    { "help", xl_help, 0, 1, false, check_help, "help [<command>]",
      "list the commands, or describe one" },
};
const size_t xl_nr_cmds = ARRAY_SIZE(xl_cmds);

const struct xl_cmd *xl_cmd_find(const char *name)
{
    for (size_t i = 0; i < xl_nr_cmds; i++)
        if (strcmp(xl_cmds[i].name, name) == 0)
            return &xl_cmds[i];
    return NULL;
}

/* The next word of *p, NUL-terminated in place; NULL at the end or a comment. */
static char *next_word(char **p)
{
    char *s = *p, *w;

    while (str_is_blank(*s))
        s++;
    if (*s == '\0' || *s == '#') {
        *p = s;
        return NULL;
    }
    w = s;
    while (*s && !str_is_blank(*s))
        s++;
    if (*s)
        *s++ = '\0';
    *p = s;
    return w;
}

/* echo's text: the rest of the line without its surrounding blanks. */
static char *rest_of_line(char *s)
{
    char *end;

    while (str_is_blank(*s))
        s++;
    end = s + strlen(s);
    while (end > s && str_is_blank(end[-1]))
        *--end = '\0';
    return s;
}

int xl_parse_line(char *buf, struct xl_args *a, char *err, size_t errlen)
{
    const struct xl_cmd *cmd;
    char *p = buf, *w, *extra;
    int nargs;

    a->cmd = NULL;
    a->argc = 0;
    a->argv[0] = NULL;
    if (!(w = next_word(&p)))
        return 0;
    if (strcmp(w, "xl") == 0 && !(w = next_word(&p))) {
        fmt_snprintf(err, errlen, "missing command after 'xl'");
        return -EINVAL;
    }
    if (!(cmd = xl_cmd_find(w))) {
        fmt_snprintf(err, errlen, "unknown command '%s' (try 'help')", w);
        return -EINVAL;
    }
    a->argv[a->argc++] = w;
    if (cmd->rest_of_line) {
        a->argv[a->argc++] = rest_of_line(p);
    } else {
        while (a->argc <= cmd->max_args && (w = next_word(&p)))
            a->argv[a->argc++] = w;
        if ((extra = next_word(&p))) {
            fmt_snprintf(err, errlen, "%s: too many arguments (usage: %s)", cmd->name,
                         cmd->usage);
            return -EINVAL;
        }
    }
    a->argv[a->argc] = NULL;
    nargs = a->argc - 1;
    if (nargs < cmd->min_args) {
        fmt_snprintf(err, errlen, "%s: missing argument (usage: %s)", cmd->name,
                     cmd->usage);
        return -EINVAL;
    }
    if (cmd->check && cmd->check(a->argc, a->argv, err, errlen))
        return -EINVAL;
    a->cmd = cmd;
    return 0;
}
