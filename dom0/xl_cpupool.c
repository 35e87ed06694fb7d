/* The CPU pool commands: cpupool-create, cpupool-list, cpupool-destroy,
 * cpupool-cpu-add, cpupool-cpu-remove, cpupool-migrate (SYSCTL_cpupool_op). A pool
 * is named by its name or its id. Each change prints one line:
 *   "created cpupool <id> (<name>), sched <policy>"
 *   "destroyed cpupool <id> (<name>)"
 *   "added CPU <n> to cpupool <id> (<name>)"
 *   "removed CPU <n> from cpupool <id> (<name>)"
 *   "moved domain <id> (<name>) to cpupool <id> (<name>)"
 * cpupool-list's tables are in sched_format.h. A failure prints what was attempted,
 * the errno name and, where the errno has a usual cause, that cause, e.g.
 *   "cpupool-cpu-remove: removing CPU 0 from cpupool 0 (Pool-0): EBUSY (this
 *    command runs on it: pin Domain-0 to other CPUs first)".
 * CPU lists name several CPUs; they are handled in CPU order and the first failure
 * stops the command (the CPUs before it stay changed, as with xl). */
#include "dom0.h"
#include "modules.h"
#include "sched_args.h"
#include "sched_format.h"
#include "strutil.h"
#include "xl.h"

static long pool_op(uint32_t opcode, struct sysctl_cpupool_op *io)
{
    struct sysctl op;
    long rc;

    memset(&op, 0, sizeof(op));
    op.u.cpupool_op = *io;
    op.u.cpupool_op.op = opcode;
    if ((rc = xl_sysctl(SYSCTL_cpupool_op, &op)) >= 0)
        *io = op.u.cpupool_op;
    return rc;
}

/* The pool arg names (name or id), its info in *p; prints why not. */
static int pool_lookup(const char *who, const char *arg, struct sysctl_cpupool_op *p)
{
    uint32_t id;
    int rc;

    if ((rc = xl_pool_find(who, arg, &id)) < 0)
        return rc;
    if (xl_pool_info(id, p) < 0 || p->cpupool_id != id) {
        printf("%s: cpupool %u went away\n", who, id);
        return -ENOENT;
    }
    return 0;
}

/* The pool holding cpu, in *p: true, or false when it is in none. */
static bool pool_of_cpu(unsigned cpu, struct sysctl_cpupool_op *p)
{
    long rc;

    for (rc = xl_pool_info(0, p); rc >= 0; rc = xl_pool_info(p->cpupool_id + 1, p))
        if (p->cpumap & (1ULL << cpu))
            return true;
    return false;
}

/* ---- CPUs ---- */

static const char *add_hint(unsigned cpu, int rc, char *buf, size_t size)
{
    struct sysctl_cpupool_op owner;

    if (rc != -EBUSY)
        return "";
    if (pool_of_cpu(cpu, &owner))
        fmt_snprintf(buf, size, " (CPU %u is in cpupool %u (%s): remove it there first)",
                     cpu, owner.cpupool_id, owner.name);
    else
        fmt_snprintf(buf, size, " (CPU %u is offline)", cpu);
    return buf;
}

static const char *rm_hint(const struct sysctl_cpupool_op *p, unsigned cpu, int rc,
                           char *buf, size_t size)
{
    if (rc == -EINVAL)
        fmt_snprintf(buf, size, " (CPU %u is not in it)", cpu);
    else if (rc == -EBUSY && xl_mask_count(p->cpumap) == 1 && p->n_dom)
        fmt_snprintf(buf, size, " (its last CPU, and it has %u domains)", p->n_dom);
    else if (rc == -EBUSY)
        fmt_snprintf(buf, size, " (this command runs on it: pin Domain-0 to other CPUs "
                     "first)");
    else if (rc == -EAGAIN)
        fmt_snprintf(buf, size, " (the CPU did not go idle)");
    else
        return "";
    return buf;
}

/* Adds (add) or removes each CPU of mask to or from pool p. */
static int pool_cpus(const char *who, struct sysctl_cpupool_op *p, uint64_t mask,
                     bool add)
{
    struct sysctl_cpupool_op io;
    char hint[96];
    long rc;

    for (unsigned cpu = 0; cpu < 64; cpu++) {
        if (!(mask & (1ULL << cpu)))
            continue;
        memset(&io, 0, sizeof(io));
        io.cpupool_id = p->cpupool_id;
        io.cpu = cpu;
        if ((rc = pool_op(add ? CPUPOOL_OP_addcpu : CPUPOOL_OP_rmcpu, &io)) < 0) {
            printf("%s: %s CPU %u %s cpupool %u (%s): %s%s\n", who,
                   add ? "adding" : "removing", cpu, add ? "to" : "from", p->cpupool_id,
                   p->name, str_errno((int)rc),
                   add ? add_hint(cpu, (int)rc, hint, sizeof(hint))
                       : rm_hint(p, cpu, (int)rc, hint, sizeof(hint)));
            return (int)rc;
        }
        printf("%s CPU %u %s cpupool %u (%s)\n", add ? "added" : "removed", cpu,
               add ? "to" : "from", p->cpupool_id, p->name);
        xl_pool_info(p->cpupool_id, p);     /* for the next CPU's hint */
    }
    return 0;
}

/* A CPU list argument resolved against the machine. */
static int cpus_arg(const char *who, const struct cpulist *l, uint64_t *mask)
{
    struct cpu_topo t;
    int rc;

    if ((rc = xl_topology(&t)) < 0) {
        printf("%s: reading the topology failed: %s\n", who, str_errno(rc));
        return rc;
    }
    *mask = cpulist_resolve(l, &t);
    return xl_cpus_check(who, *mask, &t);
}

static int cpu_add_remove(int argc, char **argv, bool add)
{
    struct sysctl_cpupool_op p;
    struct cpulist l;
    uint64_t mask;
    char err[96];
    int rc;

    if (cpulist_parse(argv[2], &l, err, sizeof(err))) {
        printf("%s: %s\n", argv[0], err);
        return -EINVAL;
    }
    if ((rc = pool_lookup(argv[0], argv[1], &p)) < 0 ||
        (rc = cpus_arg(argv[0], &l, &mask)) < 0)
        return rc;
    return pool_cpus(argv[0], &p, mask, add);
}

int xl_cpupool_cpu_add(int argc, char **argv)
{
    return cpu_add_remove(argc, argv, true);
}

int xl_cpupool_cpu_remove(int argc, char **argv)
{
    return cpu_add_remove(argc, argv, false);
}

/* ---- pools ---- */

/* The file's settings under the command line's. */
static int create_read_file(const char *who, struct cpupool_create_args *a)
{
    const struct start_module *m = module_find(start_info, a->file);
    char err[160];

    if (!m) {
        printf("%s: no boot module named '%s'\n", who, a->file);
        return -ENOENT;
    }
    if (cpupool_file_parse(a, a->file, (const char *)(uintptr_t)m->va, m->len, err,
                           sizeof(err))) {
        printf("%s: %s\n", who, err);
        return -EINVAL;
    }
    return 0;
}

int xl_cpupool_create(int argc, char **argv)
{
    struct cpupool_create_args a;
    struct sysctl_cpupool_op p;
    struct sysctl op;
    uint64_t mask = 0;
    char err[160];
    long rc;

    if (cpupool_create_args_parse(argc, argv, &a, err, sizeof(err))) {
        puts(err);
        return -EINVAL;
    }
    if (a.file && (rc = create_read_file(argv[0], &a)) < 0)
        return (int)rc;
    if (!a.sched[0]) {                  /* the default pool's policy, as xl */
        if ((rc = xl_sysctl(SYSCTL_physinfo, &op)) < 0) {
            printf("%s: physinfo failed: %s\n", argv[0], str_errno((int)rc));
            return (int)rc;
        }
        str_copy(a.sched, sizeof(a.sched), op.u.physinfo.sched_name,
                 strnlen(op.u.physinfo.sched_name, sizeof(op.u.physinfo.sched_name)));
    }
    if (a.has_cpus && (rc = cpus_arg(argv[0], &a.cpus, &mask)) < 0)
        return (int)rc;
    for (rc = xl_pool_info(0, &p); rc >= 0; rc = xl_pool_info(p.cpupool_id + 1, &p)) {
        if (strcmp(p.name, a.name) == 0) {
            printf("%s: cpupool %u is named '%s' already\n", argv[0], p.cpupool_id,
                   a.name);
            return -EEXIST;
        }
    }
    memset(&p, 0, sizeof(p));
    str_copy(p.name, sizeof(p.name), a.name, strlen(a.name));
    str_copy(p.sched_name, sizeof(p.sched_name), a.sched, strlen(a.sched));
    if ((rc = pool_op(CPUPOOL_OP_create, &p)) < 0) {
        printf("%s: creating cpupool '%s' with scheduler '%s': %s%s\n", argv[0], a.name,
               a.sched, str_errno((int)rc),
               rc == -EINVAL ? " (no usable scheduler of that name)" : "");
        return (int)rc;
    }
    p.name[sizeof(p.name) - 1] = p.sched_name[sizeof(p.sched_name) - 1] = '\0';
    printf("created cpupool %u (%s), sched %s\n", p.cpupool_id, p.name, p.sched_name);
    return mask ? pool_cpus(argv[0], &p, mask, true) : 0;
}

int xl_cpupool_destroy(int argc, char **argv)
{
    struct sysctl_cpupool_op p, io;
    char hint[96] = "";
    long rc;

    if ((rc = pool_lookup(argv[0], argv[1], &p)) < 0)
        return (int)rc;
    memset(&io, 0, sizeof(io));
    io.cpupool_id = p.cpupool_id;
    if ((rc = pool_op(CPUPOOL_OP_destroy, &io)) < 0) {
        if (rc == -EBUSY && p.cpupool_id == 0)
            fmt_snprintf(hint, sizeof(hint), " (pool 0 is never destroyed)");
        else if (rc == -EBUSY)
            fmt_snprintf(hint, sizeof(hint), " (it has %u CPUs and %u domains)",
                         xl_mask_count(p.cpumap), p.n_dom);
        printf("%s: destroying cpupool %u (%s): %s%s\n", argv[0], p.cpupool_id, p.name,
               str_errno((int)rc), hint);
        return (int)rc;
    }
    printf("destroyed cpupool %u (%s)\n", p.cpupool_id, p.name);
    return 0;
}

int xl_cpupool_list(int argc, char **argv)
{
    struct sysctl_cpupool_op p;
    char line[XL_FMT_LINE_MAX];
    const char *pool = NULL;
    bool cpu_list = false;
    long rc;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-c") == 0)
            cpu_list = true;
        else
            pool = argv[i];
    }
    if (pool && (rc = pool_lookup(argv[0], pool, &p)) < 0)
        return (int)rc;
    xl_fmt_pool_header(line, sizeof(line), cpu_list);
    puts(line);
    if (pool) {
        xl_fmt_pool_row(line, sizeof(line), &p, cpu_list);
        puts(line);
        return 0;
    }
    for (rc = xl_pool_info(0, &p); rc >= 0; rc = xl_pool_info(p.cpupool_id + 1, &p)) {
        xl_fmt_pool_row(line, sizeof(line), &p, cpu_list);
        puts(line);
    }
    return 0;
}

int xl_cpupool_migrate(int argc, char **argv)
{
    struct domctl_getdomaininfo di;
    struct sysctl_cpupool_op p, io;
    const char *hint = "";
    long rc;

    if ((rc = xl_lookup(argv[0], argv[1], &di)) < 0 ||
        (rc = pool_lookup(argv[0], argv[2], &p)) < 0)
        return (int)rc;
    memset(&io, 0, sizeof(io));
    io.cpupool_id = p.cpupool_id;
    io.domid = di.domain;
    if ((rc = pool_op(CPUPOOL_OP_movedomain, &io)) < 0) {
        if (rc == -EBUSY && (di.flags & DOMINFO_privileged))
            hint = " (dom0 cannot leave its pool)";
        else if (rc == -ENODEV)
            hint = " (the pool has no CPU)";
        printf("%s: moving domain %u (%s) to cpupool %u (%s): %s%s\n", argv[0],
               di.domain, di.name, p.cpupool_id, p.name, str_errno((int)rc), hint);
        return (int)rc;
    }
    printf("moved domain %u (%s) to cpupool %u (%s)\n", di.domain, di.name, p.cpupool_id,
           p.name);
    return 0;
}
