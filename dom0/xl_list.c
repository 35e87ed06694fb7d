/* The read-only commands: list, vcpu-list, info, dmesg. Formats: xl_format.h. */
#include "dom0.h"
#include "strutil.h"
#include "xl.h"
#include "xl_format.h"

#define DMESG_PAGES 16                  /* the log is read whole before printing */

int xl_list(int argc, char **argv)
{
    struct domctl_getdomaininfo di;
    struct cpu_topo t;
    char line[XL_FMT_LINE_MAX];
    const char *dom = NULL;
    bool numa = false, mem = false;
    int rc;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-n") == 0)
            numa = true;
        else if (strcmp(argv[i], "-m") == 0)
            mem = true;
        else
            dom = argv[i];
    }
    if (mem)
        return xl_list_mem(dom);       /* ballooning's view: xl_mem.c */
    if (numa && (rc = xl_topology(&t)) < 0) {
        printf("list: reading the topology failed: %s\n", str_errno(rc));
        return rc;
    }
    if (dom && (rc = xl_lookup("list", dom, &di)) < 0)
        return rc;
    xl_fmt_list_header(line, sizeof(line), numa);
    puts(line);
    if (dom) {
        xl_fmt_list_row(line, sizeof(line), &di, numa, numa ? t.nr_nodes : 0);
        puts(line);
        return 0;
    }
    for (rc = xl_dominfo_next(0, &di); !rc; rc = xl_dominfo_next(di.domain + 1, &di)) {
        xl_fmt_list_row(line, sizeof(line), &di, numa, numa ? t.nr_nodes : 0);
        puts(line);
    }
    return 0;
}

static int vcpu_list_domain(const struct domctl_getdomaininfo *di, uint64_t all)
{
    char line[XL_FMT_LINE_MAX];
    struct domctl op;
    long rc;

    for (unsigned v = 0; v < di->max_vcpus; v++) {
        memset(&op, 0, sizeof(op));
        op.u.getvcpuinfo.vcpu = v;
        if ((rc = xl_domctl(DOMCTL_getvcpuinfo, di->domain, &op)) < 0) {
            printf("vcpu-list: domain %u vCPU %u: %s\n", di->domain, v,
                   str_errno((int)rc));
            return (int)rc;
        }
        xl_fmt_vcpu_row(line, sizeof(line), di->name, di->domain, &op.u.getvcpuinfo, all);
        puts(line);
    }
    return 0;
}

int xl_vcpu_list(int argc, char **argv)
{
    struct domctl_getdomaininfo di;
    struct cpu_topo t;
    char line[XL_FMT_LINE_MAX];
    int rc;

    if ((rc = xl_topology(&t)) < 0) {
        printf("vcpu-list: reading the topology failed: %s\n", str_errno(rc));
        return rc;
    }
    if (argc > 1 && (rc = xl_lookup("vcpu-list", argv[1], &di)) < 0)
        return rc;
    xl_fmt_vcpu_header(line, sizeof(line));
    puts(line);
    if (argc > 1)
        return vcpu_list_domain(&di, cpumask_all(&t));
    for (rc = xl_dominfo_next(0, &di); !rc; rc = xl_dominfo_next(di.domain + 1, &di)) {
        /* A domain destroyed between the two calls is just skipped. */
        int err = vcpu_list_domain(&di, cpumask_all(&t));
        if (err && err != -ESRCH)
            return err;
    }
    return 0;
}

int xl_info(int argc, char **argv)
{
    static struct sysctl pi, ti, ni;
    long rc;

    if ((rc = xl_sysctl(SYSCTL_physinfo, &pi)) < 0 ||
        (rc = xl_sysctl(SYSCTL_topologyinfo, &ti)) < 0 ||
        (rc = xl_sysctl(SYSCTL_numainfo, &ni)) < 0) {
        printf("info: sysctl failed: %s\n", str_errno((int)rc));
        return (int)rc;
    }
    xl_fmt_info(&pi.u.physinfo, &ti.u.topologyinfo, &ni.u.numainfo, xl_out, NULL);
    xl_info_mem(&pi.u.physinfo);
    return 0;
}

int xl_dmesg(int argc, char **argv)
{
    size_t size = DMESG_PAGES * PAGE_SIZE, got = 0;
    struct sysctl op;
    char *buf;
    long rc = 0;

    if (!(buf = xl_scratch(DMESG_PAGES))) {
        puts("dmesg: no memory for the buffer");
        return -ENOMEM;
    }
    /* Read all, then print: what we print goes into the log too. */
    memset(&op, 0, sizeof(op));
    while (got < size) {
        op.u.readconsole.buffer = (uint64_t)(uintptr_t)(buf + got);
        op.u.readconsole.count = (uint32_t)(size - got);
        if ((rc = xl_sysctl(SYSCTL_readconsole, &op)) < 0 || !op.u.readconsole.count)
            break;
        got += op.u.readconsole.count;
    }
    if (rc < 0) {
        printf("dmesg: readconsole failed: %s\n", str_errno((int)rc));
    } else {
        for (size_t off = 0; off < got; off += CONSOLEIO_MAX)
            console_write(buf + off, MIN((size_t)CONSOLEIO_MAX, got - off));
        if (got && buf[got - 1] != '\n')
            console_write("\n", 1);
    }
    return rc < 0 ? (int)rc : 0;
}
