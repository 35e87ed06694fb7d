/* The commands that change a domain: destroy, pause, unpause, shutdown, vcpu-pin.
 * Each prints one line per change, "<verb> domain <id> (<name>)", or for vcpu-pin
 * "vcpu-pin <name> <vcpu>: <hard> / <soft>" read back from the hypervisor. */
#include "dom0.h"
#include "domhooks.h"
#include "strutil.h"
#include "xl.h"
#include "xl_format.h"

/* Looks up argv[1] and makes the domctl cmd on it. */
static int simple_op(int argc, char **argv, uint32_t cmd, const char *done)
{
    struct domctl_getdomaininfo di;
    struct domctl op;
    long rc;

    if ((rc = xl_lookup(argv[0], argv[1], &di)) < 0)
        return (int)rc;
    if (di.flags & DOMINFO_privileged) {
        printf("%s: domain %u (%s) is dom0\n", argv[0], di.domain, di.name);
        return -EPERM;
    }
    memset(&op, 0, sizeof(op));
    if (cmd == DOMCTL_shutdown)
        op.u.shutdown.reason = SHUTDOWN_poweroff;
    rc = cmd == DOMCTL_destroydomain ? dom0_domain_destroy(di.domain)
                                     : xl_domctl(cmd, di.domain, &op);
    if (rc < 0) {
        printf("%s: domain %u (%s): %s\n", argv[0], di.domain, di.name,
               str_errno((int)rc));
        return (int)rc;
    }
    printf("%s domain %u (%s)\n", done, di.domain, di.name);
    return 0;
}

int xl_destroy(int argc, char **argv)
{
    struct domctl_getdomaininfo di;
    struct xl_record *r;
    int rc;

    if ((rc = xl_lookup(argv[0], argv[1], &di)) < 0)
        return rc;
    /* Record it first: a destroyed domain is not reaped as a shutdown. */
    r = xl_record_of(di.domain);
    if ((rc = simple_op(argc, argv, DOMCTL_destroydomain, "destroyed")) < 0)
        return rc;
    if (r) {
        r->state = XL_REC_GONE;
        r->destroyed_by_cmd = true;
    }
    return 0;
}

int xl_pause(int argc, char **argv)
{
    return simple_op(argc, argv, DOMCTL_pausedomain, "paused");
}

int xl_unpause(int argc, char **argv)
{
    return simple_op(argc, argv, DOMCTL_unpausedomain, "unpaused");
}

int xl_shutdown(int argc, char **argv)
{
    return simple_op(argc, argv, DOMCTL_shutdown, "shutdown");
}

/* A line typed into an HVM domain's COM1: the text and a newline, into its receive
 * FIFO (16 bytes: a longer line is cut where the FIFO filled, and the line says so). */
int xl_console_input(int argc, char **argv)
{
    struct domctl_getdomaininfo di;
    struct domctl op;
    size_t n = strlen(argv[2]);
    long rc;

    (void)argc;
    if ((rc = xl_lookup(argv[0], argv[1], &di)) < 0)
        return (int)rc;
    if (n + 1 > CONSOLE_INPUT_MAX) {
        printf("%s: at most %d bytes a line\n", argv[0], CONSOLE_INPUT_MAX - 1);
        return -EINVAL;
    }
    memset(&op, 0, sizeof(op));
    memcpy(op.u.console_input.bytes, argv[2], n);
    op.u.console_input.bytes[n] = '\n';
    op.u.console_input.len = (uint32_t)(n + 1);
    if ((rc = xl_domctl(DOMCTL_console_input, di.domain, &op)) < 0) {
        printf("%s: domain %u (%s): %s\n", argv[0], di.domain, di.name, str_errno((int)rc));
        return (int)rc;
    }
    printf("%s domain %u (%s): %ld of %zu bytes\n", argv[0], di.domain, di.name, rc, n + 1);
    return 0;
}

/* A CPU list argument: "-" leaves it (*set false), else resolved and checked. */
static int pin_arg(const char *arg, const struct cpu_topo *t, uint64_t *mask, bool *set)
{
    struct cpulist l;
    char err[96];

    *set = false;
    if (!arg || strcmp(arg, "-") == 0)
        return 0;
    if (cpulist_parse(arg, &l, err, sizeof(err))) {
        printf("vcpu-pin: %s\n", err);
        return -EINVAL;
    }
    *mask = cpulist_resolve(&l, t);
    *set = true;
    return xl_cpus_check("vcpu-pin", *mask, t);
}

static int pin_one(const struct domctl_getdomaininfo *di, unsigned v, uint64_t hard,
                   bool set_hard, uint64_t soft, bool set_soft, const struct cpu_topo *t)
{
    char h[XL_FMT_LINE_MAX / 2], s[XL_FMT_LINE_MAX / 2];
    struct domctl op;
    long rc;

    memset(&op, 0, sizeof(op));
    op.u.vcpuaffinity.vcpu = v;
    op.u.vcpuaffinity.flags = (set_hard ? 1 : 0) | (set_soft ? 2 : 0);
    op.u.vcpuaffinity.cpumap_hard = hard;
    op.u.vcpuaffinity.cpumap_soft = soft;
    if ((rc = xl_domctl(DOMCTL_setvcpuaffinity, di->domain, &op)) < 0) {
        printf("vcpu-pin: domain %u (%s) vCPU %u: %s\n", di->domain, di->name, v,
               str_errno((int)rc));
        return (int)rc;
    }
    memset(&op, 0, sizeof(op));
    op.u.vcpuaffinity.vcpu = v;
    if ((rc = xl_domctl(DOMCTL_getvcpuaffinity, di->domain, &op)) < 0) {
        printf("vcpu-pin: domain %u (%s) vCPU %u: reading back: %s\n", di->domain,
               di->name, v, str_errno((int)rc));
        return (int)rc;
    }
    cpumask_format(h, sizeof(h), op.u.vcpuaffinity.cpumap_hard, cpumask_all(t));
    cpumask_format(s, sizeof(s), op.u.vcpuaffinity.cpumap_soft, cpumask_all(t));
    printf("vcpu-pin %s %u: %s / %s\n", di->name, v, h, s);
    return 0;
}

int xl_vcpu_pin(int argc, char **argv)
{
    struct domctl_getdomaininfo di;
    struct cpu_topo t;
    uint64_t hard = 0, soft = 0, v;
    bool set_hard, set_soft;
    int rc;

    if ((rc = xl_lookup(argv[0], argv[1], &di)) < 0)
        return rc;
    if ((rc = xl_topology(&t)) < 0) {
        printf("vcpu-pin: reading the topology failed: %s\n", str_errno(rc));
        return rc;
    }
    if ((rc = pin_arg(argv[3], &t, &hard, &set_hard)) < 0 ||
        (rc = pin_arg(argc > 4 ? argv[4] : NULL, &t, &soft, &set_soft)) < 0)
        return rc;
    if (strcmp(argv[2], "all") == 0) {
        for (unsigned i = 0; i < di.max_vcpus; i++)
            if ((rc = pin_one(&di, i, hard, set_hard, soft, set_soft, &t)) < 0)
                return rc;
        return 0;
    }
    if (str_to_dec(argv[2], &v) || v >= di.max_vcpus) {
        printf("vcpu-pin: domain %u (%s) has no vCPU %s\n", di.domain, di.name, argv[2]);
        return -EINVAL;
    }
    return pin_one(&di, (unsigned)v, hard, set_hard, soft, set_soft, &t);
}
