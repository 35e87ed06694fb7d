/* Domain configuration files: the keys (the syntax and keys are described in
 * xlcfg.h; values are read by xlcfg_value.c).
 *
 * Design: each setting's value is read whole, then the key's setter, found in a
 * table, checks and stores it. Checks that involve several keys (maxmem >= memory,
 * cap <= 100 * vcpus, ...) run once the whole file is read, with the line of the key
 * at fault. After a syntax error the rest of the line is skipped and parsing goes
 * on, so one run reports every problem.
 *
 * Locking: none; the parser keeps all its state on the caller's stack.
 *
 * Limitations: values are atoms or flat lists (xl only nests lists for keys we do
 * not support). */
#include <hvlab/errno.h>
#include "strutil.h"
#include "xlcfg_priv.h"

/* ---- value checks shared by the setters ---- */

/* An integer in [min, max]: a NUMBER, or a string holding one (as xl accepts). */
static int get_uint(struct parser *ps, const struct xlv *v, uint64_t min, uint64_t max,
                    uint64_t *out)
{
    const struct atom *a = &v->atom[0];
    int rc;

    if (v->is_list)
        return key_error(ps, "expected an integer, got a list");
    rc = str_to_u64(a->text, a->len, true, out);
    if (rc == -EINVAL || a->len == 0)
        return key_error(ps, "expected an integer, got \"%s\"", a->text);
    if (rc || *out < min || *out > max)
        return key_error(ps, "%s out of range %llu..%llu", a->text,
                         (unsigned long long)min, (unsigned long long)max);
    return 0;
}

static int get_uint32(struct parser *ps, const struct xlv *v, unsigned min,
                      unsigned max, unsigned *out)
{
    uint64_t x;

    if (get_uint(ps, v, min, max, &x))
        return -EINVAL;
    *out = (unsigned)x;
    return 0;
}

/* A string (a NUMBER is taken as its text, as xl does; a bare word is refused). */
static int get_string(struct parser *ps, const struct xlv *v, const char **out)
{
    if (v->is_list)
        return key_error(ps, "expected a string, got a list");
    if (v->atom[0].kind == ATOM_WORD)
        return key_error(ps, "expected a quoted string, got %s", v->atom[0].text);
    *out = v->atom[0].text;
    return 0;
}

static int set_string(struct parser *ps, const struct xlv *v, char *dst, size_t size)
{
    const char *s = NULL;

    if (get_string(ps, v, &s))
        return -EINVAL;
    if (*s == '\0')
        return key_error(ps, "empty string");
    if (!str_copy(dst, size, s, strlen(s)))
        return key_error(ps, "longer than %zu characters", size - 1);
    return 0;
}

/* ---- setters, one per key ---- */

static int set_name(struct parser *ps, const struct xlv *v)
{
    char *name = ps->cfg->name;
    bool digits_only = true;

    if (set_string(ps, v, name, XLCFG_NAME_MAX))
        return -EINVAL;
    for (const char *c = name; *c; c++) {
        if (!xlp_is_key_char(*c, false) && *c != '-' && *c != '.')
            return key_error(ps, "\"%s\" may contain only letters, digits, '-', '_' "
                             "and '.'", name);
        digits_only &= str_is_digit(*c);
    }
    if (digits_only)
        return key_error(ps, "\"%s\" is a number: it would read as a domain id", name);
    return 0;
}

static int set_kernel(struct parser *ps, const struct xlv *v)
{
    char *kernel = ps->cfg->kernel;

    if (set_string(ps, v, kernel, XLCFG_KERNEL_MAX))
        return -EINVAL;
    for (const char *c = kernel; *c; c++)
        if (str_is_blank(*c))
            return key_error(ps, "\"%s\": a module name has no blanks", kernel);
    return 0;
}

/* A boot module with the HVM kernel's initrd (or, for Multiboot, its one module). */
static int set_ramdisk(struct parser *ps, const struct xlv *v)
{
    char *ramdisk = ps->cfg->ramdisk;

    if (set_string(ps, v, ramdisk, XLCFG_KERNEL_MAX))
        return -EINVAL;
    for (const char *c = ramdisk; *c; c++)
        if (str_is_blank(*c))
            return key_error(ps, "\"%s\": a module name has no blanks", ramdisk);
    return 0;
}

static int set_extra(struct parser *ps, const struct xlv *v)
{
    const char *s = NULL;

    if (get_string(ps, v, &s))
        return -EINVAL;
    if (!str_copy(ps->cfg->extra, XLCFG_EXTRA_MAX, s, strlen(s)))
        return key_error(ps, "longer than %u characters", XLCFG_EXTRA_MAX - 1);
    return 0;
}

static int set_type(struct parser *ps, const struct xlv *v)
{
    const char *s = NULL;

    if (get_string(ps, v, &s))
        return -EINVAL;
    if (strcmp(s, "pv") == 0) {
        ps->cfg->type = XLCFG_TYPE_PV;
        return 0;
    }
    if (strcmp(s, "hvm") == 0) {
        ps->cfg->type = XLCFG_TYPE_HVM;
        return 0;
    }
    if (strcmp(s, "pvh") == 0)
        return key_error(ps, "PVH guests are not supported yet (only \"pv\" and \"hvm\")");
    return key_error(ps, "expected \"pv\" or \"hvm\", got \"%s\"", s);
}

static int set_memory(struct parser *ps, const struct xlv *v)
{
    return get_uint(ps, v, 1, XLCFG_MAX_MEMORY_MIB, &ps->cfg->memory_mib);
}

static int set_maxmem(struct parser *ps, const struct xlv *v)
{
    return get_uint(ps, v, 1, XLCFG_MAX_MEMORY_MIB, &ps->cfg->maxmem_mib);
}

static int set_vcpus(struct parser *ps, const struct xlv *v)
{
    return get_uint32(ps, v, 1, XLCFG_MAX_VCPUS, &ps->cfg->vcpus);
}

static int set_affinity(struct parser *ps, const struct xlv *v, struct xlcfg_affinity *a)
{
    char err[XLCFG_MSG_MAX];

    if (v->is_list && v->nr == 0)
        return key_error(ps, "empty list");
    for (unsigned i = 0; i < v->nr; i++) {
        const struct atom *at = &v->atom[i];
        if (at->kind == ATOM_WORD) {
            if (v->is_list)
                return key_error(ps, "entry %u: expected a quoted CPU list, got %s",
                                 i, at->text);
            return key_error(ps, "expected a quoted CPU list, got %s", at->text);
        }
        if (cpulist_parse(at->text, &a->set[i], err, sizeof(err))) {
            if (v->is_list)
                return key_error(ps, "entry %u: %s", i, err);
            return key_error(ps, "%s", err);
        }
    }
    a->nr = v->nr;
    a->per_vcpu = v->is_list;
    return 0;
}

static int set_cpus(struct parser *ps, const struct xlv *v)
{
    return set_affinity(ps, v, &ps->cfg->cpus);
}

static int set_cpus_soft(struct parser *ps, const struct xlv *v)
{
    return set_affinity(ps, v, &ps->cfg->cpus_soft);
}

static int get_action(struct parser *ps, const struct xlv *v, enum xlcfg_action *out)
{
    static const char *const later[] = {
        "restart", "rename-restart", "coredump-destroy", "coredump-restart",
        "soft-reset",
    };
    const char *s = NULL;

    if (get_string(ps, v, &s))
        return -EINVAL;
    if (strcmp(s, "destroy") == 0) {
        *out = XLCFG_ACTION_DESTROY;
        return 0;
    }
    if (strcmp(s, "preserve") == 0) {
        *out = XLCFG_ACTION_PRESERVE;
        return 0;
    }
    for (size_t i = 0; i < ARRAY_SIZE(later); i++)
        if (strcmp(s, later[i]) == 0)
            return key_error(ps, "\"%s\" is not supported yet (use \"destroy\" or "
                             "\"preserve\")", s);
    return key_error(ps, "expected \"destroy\" or \"preserve\", got \"%s\"", s);
}

static int set_on_poweroff(struct parser *ps, const struct xlv *v)
{
    return get_action(ps, v, &ps->cfg->on_poweroff);
}

static int set_on_reboot(struct parser *ps, const struct xlv *v)
{
    return get_action(ps, v, &ps->cfg->on_reboot);
}

static int set_on_crash(struct parser *ps, const struct xlv *v)
{
    return get_action(ps, v, &ps->cfg->on_crash);
}

static int set_pool(struct parser *ps, const struct xlv *v)
{
    if (set_string(ps, v, ps->cfg->sched.pool, XLCFG_POOL_MAX))
        return -EINVAL;
    ps->cfg->sched.has_pool = true;
    return 0;
}

/* mmpolicy: memory_policy = "name" or "interleave:2M" (stripes of 4K or 2M); which
 * names exist is the hypervisor's to say (DOMCTL_set_memory_policy), at create. */
static int set_memory_policy(struct parser *ps, const struct xlv *v)
{
    struct domain_config *cfg = ps->cfg;
    char *colon;

    if (set_string(ps, v, cfg->memory_policy, sizeof(cfg->memory_policy)))
        return -EINVAL;
    cfg->mm_line = ps->key_line;
    if (!(colon = strchr(cfg->memory_policy, ':')))
        return 0;
    *colon = '\0';
    if (strcmp(cfg->memory_policy, "interleave") != 0)
        return key_error(ps, "a granularity (\":%s\") goes only with interleave", colon + 1);
    if (strcmp(colon + 1, "2M") == 0)
        cfg->mm_gran_order = 9;
    else if (strcmp(colon + 1, "4K") != 0)
        return key_error(ps, "granularity \"%s\": expected 4K or 2M", colon + 1);
    return 0;
}

/* nodes = "0-1,3": NUMA nodes for the memory policy (0..7; whether they exist is
 * checked against the machine at create). */
static int set_nodes(struct parser *ps, const struct xlv *v)
{
    char text[XLCFG_SCHED_VALUE_MAX], err[96];
    const char *s = "";
    struct cpulist l;

    if (get_string(ps, v, &s))
        return -EINVAL;
    str_copy(text, sizeof(text), s, strlen(s));
    if (cpulist_parse(text, &l, err, sizeof(err)))
        return key_error(ps, "bad node list \"%s\": %s", s, err);
    if (l.nodes || l.not_nodes || l.not_cpus)
        return key_error(ps, "bad node list \"%s\": node numbers only, as \"0-1,3\"", s);
    if (l.all)
        l.cpus = (1u << CPULIST_MAX_NODES) - 1;
    if (!l.cpus || (l.cpus >> CPULIST_MAX_NODES))
        return key_error(ps, "bad node list \"%s\": nodes are 0..%u", s, CPULIST_MAX_NODES - 1);
    ps->cfg->mm_nodes = (uint32_t)l.cpus;
    ps->cfg->mm_nodes_all = l.all;
    ps->cfg->mm_nodes_line = ps->key_line;
    return 0;
}

/* A key that is not xl.cfg's own: a parameter of the pool's scheduler, kept as
 * written with its line, for `xl create` to check against the policy's
 * declarations. Its value must be one number or string; cpu_weight is xl's name
 * for weight. */
static void sched_param_add(struct parser *ps, const char *name, const struct xlv *v)
{
    struct xlcfg_sched *s = &ps->cfg->sched;
    const char *key = strcmp(name, "cpu_weight") == 0 ? "weight" : name;

    for (unsigned i = 0; i < s->nr; i++)
        if (strcmp(s->param[i].key, key) == 0) {
            xlp_error_at(ps, ps->key_line, "key '%s': set twice (first on line %u)", name,
                         s->param[i].line);
            return;
        }
    if (strlen(key) >= XLCFG_SCHED_KEY_MAX || s->nr == XLCFG_SCHED_MAX) {
        xlp_error_at(ps, ps->key_line, "unknown key '%s'", name);
        return;
    }
    if (v->is_list || v->nr != 1 || v->atom[0].len >= XLCFG_SCHED_VALUE_MAX) {
        xlp_error_at(ps, ps->key_line, "key '%s': a scheduler parameter takes one number "
                     "or string (at most %u characters)", name, XLCFG_SCHED_VALUE_MAX - 1);
        return;
    }
    str_copy(s->param[s->nr].key, XLCFG_SCHED_KEY_MAX, key, strlen(key));
    str_copy(s->param[s->nr].value, XLCFG_SCHED_VALUE_MAX, v->atom[0].text, v->atom[0].len);
    s->param[s->nr++].line = ps->key_line;
}

static const struct key keys[] = {
    { "name",        0,  set_name },
    { "kernel",      1,  set_kernel },
    { "memory",      2,  set_memory },
    { "maxmem",      3,  set_maxmem },
    { "vcpus",       4,  set_vcpus },
    { "cpus",        5,  set_cpus },
    { "cpus_soft",   6,  set_cpus_soft },
    { "type",        7,  set_type },
    { "on_poweroff", 8,  set_on_poweroff },
    { "on_reboot",   9,  set_on_reboot },
    { "on_crash",    10, set_on_crash },
    { "extra",       11, set_extra },
    { "cmdline",     11, set_extra },      /* xl.cfg's newer name for the same line */
    { "pool",        12, set_pool },
    { "ramdisk",     13, set_ramdisk },
    /* PV block: xlcfg_disk.c */
    { "disk",        14, xlcfg_set_disk },
    /* PV network (xlcfg_vif.c) */
    { "vif",         15, xlcfg_set_vif },
    /* Memory placement (mmpolicy, dom0/xl_numa.c) */
    { "memory_policy", 16, set_memory_policy },
    { "nodes",       17, set_nodes },
    /* virtual NUMA (xlcfg_vnuma.c) */
    { "vnuma",       19, xlcfg_set_vnuma },
};
_Static_assert(20 <= NR_SLOTS, "NR_SLOTS too small for the key table");

static const struct key *key_find(const char *name)
{
    for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
        if (strcmp(keys[i].name, name) == 0)
            return &keys[i];
    return NULL;
}

/* ---- settings ---- */

/* After a value: blanks, a comment, then a newline, ';' or the end. */
static int end_of_setting(struct parser *ps)
{
    xlp_skip_space(ps, false);
    if (xlp_at_end(ps) || *ps->p == '\n' || *ps->p == ';')
        return 0;
    return xlp_error_at(ps, ps->line, "unexpected '%c' after the value", *ps->p);
}

static void read_setting(struct parser *ps, struct xlv *v)
{
    char name[32];
    const char *start = ps->p;
    const struct key *k;
    bool in_list;

    while (!xlp_at_end(ps) && xlp_is_key_char(*ps->p, ps->p == start))
        ps->p++;
    if (ps->p == start) {
        xlp_error_at(ps, ps->line, "expected a key, got '%c'", *ps->p);
        xlp_skip_line(ps);
        return;
    }
    if (!str_copy(name, sizeof(name), start, (size_t)(ps->p - start))) {
        xlp_error_at(ps, ps->line, "key '%.*s...' too long", 16, start);
        xlp_skip_line(ps);
        return;
    }
    k = key_find(name);
    xlp_skip_space(ps, false);
    if (xlp_peek(ps) != '=') {
        xlp_error_at(ps, ps->line, "expected '=' after '%s'", name);
        xlp_skip_line(ps);
        return;
    }
    xlp_advance(ps);
    xlp_skip_space(ps, false);
    ps->key_line = ps->line;
    /* Syntax errors in the value name the key when it is one we know. */
    ps->key = k;
    in_list = xlp_peek(ps) == '[';
    if (xlp_read_value(ps, v)) {
        ps->key = NULL;
        /* The rest of a broken list is not a string of settings. */
        while (in_list && !xlp_at_end(ps) && *ps->p != ']')
            xlp_advance(ps);
        xlp_skip_line(ps);
        return;
    }
    if (end_of_setting(ps)) {
        ps->key = NULL;
        xlp_skip_line(ps);
        return;
    }
    ps->key = NULL;
    if (!k) {
        sched_param_add(ps, name, v);
        return;
    }
    ps->key = k;
    if (ps->slot_line[k->slot]) {
        key_error(ps, "set twice (first on line %u)", ps->slot_line[k->slot]);
    } else {
        ps->slot_line[k->slot] = ps->key_line;
        k->set(ps, v);
    }
    ps->key = NULL;
}

/* ---- checks across keys ---- */

static unsigned slot_line(const struct parser *ps, const char *name)
{
    return ps->slot_line[key_find(name)->slot];
}

/* Reports problem about key name (set on its line) from the checks across keys. */
static __printf(3, 4) void check_error(struct parser *ps, const char *name,
                                       const char *fmt, ...)
{
    char detail[XLCFG_MSG_MAX];
    va_list ap;

    va_start(ap, fmt);
    fmt_vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    ps->key = key_find(name);
    xlp_error_at(ps, slot_line(ps, name), "%s", detail);
    ps->key = NULL;
}

static void check_required(struct parser *ps)
{
    static const char *const required[] = { "name", "kernel", "memory" };
    char msg[XLCFG_MSG_MAX];

    for (size_t i = 0; i < ARRAY_SIZE(required); i++) {
        if (slot_line(ps, required[i]))
            continue;
        fmt_snprintf(msg, sizeof(msg), "%s: missing required key '%s'", ps->file,
                     required[i]);
        ps->errors++;
        if (ps->report)
            ps->report(ps->arg, msg);
    }
}

static void check_affinity_len(struct parser *ps, const char *name,
                               const struct xlcfg_affinity *a)
{
    if (a->per_vcpu && a->nr > ps->cfg->vcpus)
        check_error(ps, name, "%u entries for %u vCPUs", a->nr, ps->cfg->vcpus);
}

static void check_across(struct parser *ps)
{
    struct domain_config *cfg = ps->cfg;

    if (!slot_line(ps, "maxmem"))
        cfg->maxmem_mib = cfg->memory_mib;
    else if (slot_line(ps, "memory") && cfg->maxmem_mib < cfg->memory_mib)
        check_error(ps, "maxmem", "%llu below memory (%llu)",
                    (unsigned long long)cfg->maxmem_mib,
                    (unsigned long long)cfg->memory_mib);
    check_affinity_len(ps, "cpus", &cfg->cpus);
    check_affinity_len(ps, "cpus_soft", &cfg->cpus_soft);
    xlcfg_disk_check(ps);           /* PV block: xlcfg_disk.c */
    xlcfg_vnuma_check(ps);          /* virtual NUMA: xlcfg_vnuma.c */
}

void xlcfg_defaults(struct domain_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->type = XLCFG_TYPE_PV;
    cfg->vcpus = 1;
    cfg->on_poweroff = XLCFG_ACTION_DESTROY;
    cfg->on_reboot = XLCFG_ACTION_DESTROY;
    cfg->on_crash = XLCFG_ACTION_DESTROY;
}

int xlcfg_parse(struct domain_config *cfg, const char *file, const char *text,
                size_t len, xlcfg_report_fn report, void *arg)
{
    struct parser ps = {
        .cfg = cfg, .file = file, .p = text, .end = text + len, .line = 1,
        .report = report, .arg = arg,
    };
    struct xlv v;

    xlcfg_defaults(cfg);
    str_copy(cfg->file, sizeof(cfg->file), file, strlen(file));
    for (;;) {
        xlp_skip_space(&ps, false);
        if (xlp_at_end(&ps))
            break;
        if (*ps.p == '\n' || *ps.p == ';') {
            xlp_advance(&ps);
            continue;
        }
        read_setting(&ps, &v);
    }
    check_required(&ps);
    if (!ps.errors)
        check_across(&ps);
    return ps.errors;
}

/* ---- using a configuration ---- */

bool xlcfg_affinity_given(const struct xlcfg_affinity *a, unsigned vcpu)
{
    return a->per_vcpu ? vcpu < a->nr : a->nr > 0;
}

uint64_t xlcfg_vcpu_affinity(const struct xlcfg_affinity *a, unsigned vcpu,
                             const struct cpu_topo *t)
{
    if (!xlcfg_affinity_given(a, vcpu))
        return 0;
    return cpulist_resolve(&a->set[a->per_vcpu ? vcpu : 0], t);
}

int xlcfg_memory_node(const struct domain_config *cfg, const struct cpu_topo *t)
{
    uint64_t all = cpumask_all(t), cpus = 0;
    int node = -1;

    for (unsigned i = 0; i < cfg->vcpus; i++) {
        uint64_t hard = xlcfg_vcpu_affinity(&cfg->cpus, i, t);
        uint64_t soft = xlcfg_vcpu_affinity(&cfg->cpus_soft, i, t);
        uint64_t mask = (hard ? hard : all) & (soft ? soft : all) & all;

        /* A vCPU with no preference may run anywhere: no single node. */
        if (!hard && !soft)
            return -1;
        /* Hard and soft disjoint: the scheduler goes by hard affinity. */
        cpus |= mask ? mask : (hard & all);
    }
    for (unsigned cpu = 0; cpu < t->nr_cpus && cpu < CPULIST_MAX_CPUS; cpu++) {
        if (!(cpus & (1ULL << cpu)))
            continue;
        if (node >= 0 && node != t->cpu_to_node[cpu])
            return -1;
        node = t->cpu_to_node[cpu];
    }
    return node;
}

const char *xlcfg_action_name(enum xlcfg_action a)
{
    return a == XLCFG_ACTION_PRESERVE ? "preserve" : "destroy";
}
