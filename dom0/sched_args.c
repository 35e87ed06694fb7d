/* Arguments of the scheduler and CPU pool commands; see sched_args.h.
 *
 * Design: one table names the sched-<policy> commands, their policy and the option
 * letters each takes; one loop reads "-x value" pairs against it. Every message
 * starts with the command's name, as the command table prints it. */
#include <hvlab/errno.h>
#include "sched_args.h"
#include "strutil.h"
#include "xlcfg.h"

#define CPULIST_ARG_MAX 128             /* longest cpus= value */

static const struct sched_cmd_info cmds[] = {
    { "sched-credit", "credit", "dwc" },
    { "sched-credit2", "credit2", "dwc" },
    { "sched-rtds", "rtds", "dvpbe" },
    { "sched-numa", "numa", "dwn" },
};

const struct sched_cmd_info *sched_cmd_info(const char *cmd)
{
    for (size_t i = 0; i < ARRAY_SIZE(cmds); i++)
        if (strcmp(cmds[i].cmd, cmd) == 0)
            return &cmds[i];
    return NULL;
}

/* A decimal number in [min, max] for option -opt, described as what. */
static int opt_uint(const char *cmd, char opt, const char *what, const char *s,
                    uint64_t min, uint64_t max, uint32_t *out, char *err, size_t errlen)
{
    uint64_t v;

    if (str_to_dec(s, &v) || v < min || v > max) {
        fmt_snprintf(err, errlen, "%s: -%c: expected %s %llu..%llu, got \"%s\"", cmd, opt,
                     what, (unsigned long long)min, (unsigned long long)max, s);
        return -EINVAL;
    }
    *out = (uint32_t)v;
    return 0;
}

int sched_nodes_parse(const char *s, uint32_t *nodes, char *err, size_t errlen)
{
    const char *p = s;

    *nodes = 0;
    if (strcmp(s, "auto") == 0)
        return 0;
    for (;;) {
        const char *item = p, *dash = NULL;
        uint64_t lo, hi;

        while (*p && *p != ',') {
            if (*p == '-' && !dash)
                dash = p;
            p++;
        }
        if (dash ? str_to_u64(item, (size_t)(dash - item), false, &lo) ||
                   str_to_u64(dash + 1, (size_t)(p - dash - 1), false, &hi)
                 : str_to_u64(item, (size_t)(p - item), false, &lo)) {
            fmt_snprintf(err, errlen, "bad node list \"%s\": expected \"0\", \"0-1\", "
                         "\"0,2\" or \"auto\"", s);
            return -EINVAL;
        }
        if (!dash)
            hi = lo;
        if (lo > hi || hi >= SCHED_ARGS_MAX_NODES) {
            fmt_snprintf(err, errlen, "bad node list \"%s\": nodes are 0..%u, in order",
                         s, SCHED_ARGS_MAX_NODES - 1);
            return -EINVAL;
        }
        for (uint64_t n = lo; n <= hi; n++)
            *nodes |= 1u << n;
        if (!*p)
            return 0;
        p++;
    }
}

/* The value of option -opt into *a. */
static int sched_opt(struct sched_args *a, char opt, const char *val, char *err,
                     size_t errlen)
{
    const char *cmd = a->info->cmd;
    uint64_t v;
    int rc = 0;

    switch (opt) {
    case 'd':
        a->dom = val;
        return 0;
    case 'w':
        a->given |= SCHED_ARG_WEIGHT;
        return opt_uint(cmd, opt, "a weight", val, 1, 65535, &a->weight, err, errlen);
    case 'c':
        a->given |= SCHED_ARG_CAP;
        return opt_uint(cmd, opt, "a cap in % of one CPU", val, 0,
                        100 * XLCFG_MAX_VCPUS, &a->cap, err, errlen);
    case 'p':
        a->given |= SCHED_ARG_PERIOD;
        return opt_uint(cmd, opt, "a period in us", val, SCHED_ARGS_MIN_US,
                        SCHED_ARGS_MAX_US, &a->period_us, err, errlen);
    case 'b':
        a->given |= SCHED_ARG_BUDGET;
        return opt_uint(cmd, opt, "a budget in us", val, SCHED_ARGS_MIN_US,
                        SCHED_ARGS_MAX_US, &a->budget_us, err, errlen);
    case 'e':
        a->given |= SCHED_ARG_EXTRA;
        return opt_uint(cmd, opt, "extratime", val, 0, 1, &a->extratime, err, errlen);
    case 'v':
        a->given |= SCHED_ARG_VCPU;
        if (strcmp(val, "all") == 0) {
            a->vcpu = RTDS_ALL_VCPUS;
        } else if (str_to_dec(val, &v) || v >= XLCFG_MAX_VCPUS) {
            fmt_snprintf(err, errlen, "%s: -v: expected a vCPU 0..%u or 'all', got "
                         "\"%s\"", cmd, XLCFG_MAX_VCPUS - 1, val);
            rc = -EINVAL;
        } else {
            a->vcpu = (uint32_t)v;
        }
        return rc;
    case 'n': {
        char why[96];
        a->given |= SCHED_ARG_NODES;
        if (sched_nodes_parse(val, &a->nodes, why, sizeof(why))) {
            fmt_snprintf(err, errlen, "%s: -n: %s", cmd, why);
            return -EINVAL;
        }
        return 0;
    }
    }
    return -EINVAL;
}

int sched_args_parse(int argc, char *const *argv, struct sched_args *a, char *err,
                     size_t errlen)
{
    unsigned seen = 0;

    memset(a, 0, sizeof(*a));
    a->vcpu = RTDS_ALL_VCPUS;
    if (!(a->info = sched_cmd_info(argv[0]))) {
        fmt_snprintf(err, errlen, "%s: not a scheduler command", argv[0]);
        return -EINVAL;
    }
    for (int i = 1; i < argc; i += 2) {
        const char *o = argv[i], *letter;

        if (o[0] != '-' || !o[1] || o[2] || !(letter = strchr(a->info->opts, o[1]))) {
            fmt_snprintf(err, errlen, "%s: unknown option '%s' (options: -%s)",
                         a->info->cmd, o, a->info->opts);
            return -EINVAL;
        }
        if (seen & (1u << (letter - a->info->opts))) {
            fmt_snprintf(err, errlen, "%s: option %s given twice", a->info->cmd, o);
            return -EINVAL;
        }
        seen |= 1u << (letter - a->info->opts);
        if (i + 1 >= argc) {
            fmt_snprintf(err, errlen, "%s: option %s needs a value", a->info->cmd, o);
            return -EINVAL;
        }
        if (sched_opt(a, o[1], argv[i + 1], err, errlen))
            return -EINVAL;
    }
    if (!a->dom && (a->given & (SCHED_ARG_SETTERS | SCHED_ARG_VCPU))) {
        fmt_snprintf(err, errlen, "%s: setting parameters (or -v) needs -d <dom>",
                     a->info->cmd);
        return -EINVAL;
    }
    if ((a->given & SCHED_ARG_PERIOD) && (a->given & SCHED_ARG_BUDGET) &&
        a->budget_us > a->period_us) {
        fmt_snprintf(err, errlen, "%s: budget %u us exceeds period %u us", a->info->cmd,
                     a->budget_us, a->period_us);
        return -EINVAL;
    }
    return 0;
}

/* ---- cpupool-create ---- */

bool cpupool_name_ok(const char *s, size_t len)
{
    uint64_t v;

    if (len == 0 || len >= CPUPOOL_NAME_MAX || str_to_u64(s, len, false, &v) == 0)
        return false;
    for (size_t i = 0; i < len; i++)
        if (str_is_blank(s[i]) || s[i] == '=' || s[i] == '"' || s[i] == '#')
            return false;
    return true;
}

int cpupool_setting(struct cpupool_create_args *a, const char *key, size_t klen,
                    const char *val, size_t vlen, char *err, size_t errlen)
{
    char buf[CPULIST_ARG_MAX];

    if (klen == 4 && memcmp(key, "name", 4) == 0) {
        if (!cpupool_name_ok(val, vlen)) {
            fmt_snprintf(err, errlen, "name: \"%.*s\": expected 1..%u characters, not "
                         "a number, no blanks", (int)vlen, val, CPUPOOL_NAME_MAX - 1);
            return -EINVAL;
        }
        str_copy(a->name, sizeof(a->name), val, vlen);
        return 0;
    }
    if (klen == 5 && memcmp(key, "sched", 5) == 0) {
        if (vlen == 0 || vlen >= CPUPOOL_NAME_MAX) {
            fmt_snprintf(err, errlen, "sched: \"%.*s\": expected a scheduler name",
                         (int)vlen, val);
            return -EINVAL;
        }
        str_copy(a->sched, sizeof(a->sched), val, vlen);
        return 0;
    }
    if (klen == 4 && memcmp(key, "cpus", 4) == 0) {
        char why[96];
        if (!str_copy(buf, sizeof(buf), val, vlen) ||
            cpulist_parse(buf, &a->cpus, why, sizeof(why))) {
            fmt_snprintf(err, errlen, "cpus: %s", vlen < sizeof(buf) ? why : "too long");
            return -EINVAL;
        }
        a->has_cpus = true;
        return 0;
    }
    fmt_snprintf(err, errlen, "unknown setting '%.*s' (name, sched, cpus)", (int)klen,
                 key);
    return -EINVAL;
}

int cpupool_create_args_parse(int argc, char *const *argv, struct cpupool_create_args *a,
                              char *err, size_t errlen)
{
    char why[160];

    memset(a, 0, sizeof(*a));
    for (int i = 1; i < argc; i++) {
        const char *eq = strchr(argv[i], '=');

        if (!eq) {
            if (a->file || i > 1) {
                fmt_snprintf(err, errlen, "%s: \"%s\": expected key=value (a file "
                             "comes first, once)", argv[0], argv[i]);
                return -EINVAL;
            }
            a->file = argv[i];
            continue;
        }
        if (cpupool_setting(a, argv[i], (size_t)(eq - argv[i]), eq + 1, strlen(eq + 1),
                            why, sizeof(why))) {
            fmt_snprintf(err, errlen, "%s: %s", argv[0], why);
            return -EINVAL;
        }
    }
    if (!a->file && !a->name[0]) {
        fmt_snprintf(err, errlen, "%s: name=<name> is required", argv[0]);
        return -EINVAL;
    }
    return 0;
}

/* Whether the file may set key: not when the command line did. */
static bool file_may_set(const struct cpupool_create_args *cl, const char *key,
                         size_t klen)
{
    if (klen == 4 && memcmp(key, "name", 4) == 0)
        return !cl->name[0];
    if (klen == 5 && memcmp(key, "sched", 5) == 0)
        return !cl->sched[0];
    if (klen == 4 && memcmp(key, "cpus", 4) == 0)
        return !cl->has_cpus;
    return true;                        /* unknown: let cpupool_setting say so */
}

int cpupool_file_parse(struct cpupool_create_args *a, const char *file,
                       const char *text, size_t len, char *err, size_t errlen)
{
    const struct cpupool_create_args cl = *a;
    const char *p = text, *end = text + len;
    char why[160];

    for (unsigned line = 1; p < end; line++) {
        const char *eol = p, *k, *ke, *v, *ve;

        while (eol < end && *eol != '\n')
            eol++;
        for (ve = p; ve < eol && *ve != '#'; ve++)
            ;
        for (k = p; k < ve && str_is_blank(*k); k++)
            ;
        p = eol + 1;
        if (k == ve)
            continue;                   /* blank or comment */
        for (ke = k; ke < ve && *ke != '=' && !str_is_blank(*ke); ke++)
            ;
        for (v = ke; v < ve && str_is_blank(*v); v++)
            ;
        if (v == ve || *v != '=') {
            fmt_snprintf(err, errlen, "%s:%u: expected key = value", file, line);
            return -EINVAL;
        }
        for (v++; v < ve && str_is_blank(*v); v++)
            ;
        while (ve > v && str_is_blank(ve[-1]))
            ve--;
        if (ve - v >= 2 && (*v == '"' || *v == '\'') && ve[-1] == *v) {
            v++;
            ve--;
        }
        if (!file_may_set(&cl, k, (size_t)(ke - k)))
            continue;
        if (cpupool_setting(a, k, (size_t)(ke - k), v, (size_t)(ve - v), why,
                            sizeof(why))) {
            fmt_snprintf(err, errlen, "%s:%u: %s", file, line, why);
            return -EINVAL;
        }
    }
    if (!a->name[0]) {
        fmt_snprintf(err, errlen, "%s: no name = \"<name>\" setting", file);
        return -EINVAL;
    }
    return 0;
}
