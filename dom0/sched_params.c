/* Scheduler parameters by declaration, dom0's side; see sched_params.h. */
#include <hvlab/errno.h>
#include "cpulist.h"
#include "sched_args.h"
#include "sched_params.h"
#include "strutil.h"

void xl_sched_keys(const struct sysctl_sched_decls *dc, char *buf, size_t size)
{
    size_t n = 0;

    buf[0] = '\0';
    for (unsigned i = 0; i < dc->nr_params && n < size; i++)
        n += (size_t)fmt_snprintf(buf + n, size - n, "%s%.*s", i ? ", " : "",
                                  SCHED_NAME_LEN, dc->param[i].name);
    if (!dc->nr_params)
        fmt_snprintf(buf, size, "none");
}

static int find_param(const struct sysctl_sched_decls *dc, const char *key, size_t klen)
{
    for (unsigned i = 0; i < dc->nr_params && i < SCHED_NR_PARAMS; i++)
        if (strlen(dc->param[i].name) == klen && !memcmp(dc->param[i].name, key, klen))
            return (int)i;
    return -1;
}

static int parse_value(const struct sched_param_info *p, const char *val, uint64_t *out,
                       char *err, size_t errlen)
{
    char why[96];

    if (p->type == SCHED_PARAM_BOOL) {
        if (!strcmp(val, "1") || !strcmp(val, "yes"))
            *out = 1;
        else if (!strcmp(val, "0") || !strcmp(val, "no"))
            *out = 0;
        else
            goto bad;
        return 0;
    }
    if (p->type == SCHED_PARAM_NODES) {
        uint32_t nodes;
        if (sched_nodes_parse(val, &nodes, why, sizeof(why))) {
            fmt_snprintf(err, errlen, "%s", why);
            return -EINVAL;
        }
        *out = nodes;
        if (*out > p->max)
            goto bad;
        return 0;
    }
    if (str_to_dec(val, out) || *out < p->min || *out > p->max)
        goto bad;
    return 0;
bad:
    if (p->type == SCHED_PARAM_BOOL)
        fmt_snprintf(err, errlen, "expected 0 or 1, got \"%s\"", val);
    else
        fmt_snprintf(err, errlen, "expected %llu..%llu%s%s, got \"%s\"",
                     (unsigned long long)p->min, (unsigned long long)p->max,
                     p->unit[0] ? " " : "", p->unit, val);
    return -EINVAL;
}

int xl_sched_kv(const struct sysctl_sched_decls *dc, const char *key, size_t klen,
                const char *val, struct domctl_scheduler_op *op, char *err, size_t errlen)
{
    char keys[SCHED_NR_PARAMS * (SCHED_NAME_LEN + 2) + 8], why[128];
    int i = find_param(dc, key, klen);

    if (i < 0) {
        xl_sched_keys(dc, keys, sizeof(keys));
        fmt_snprintf(err, errlen, "no parameter '%.*s' in policy '%.*s' (it has: %s)",
                     (int)klen, key, SCHED_NAME_LEN, dc->policy, keys);
        return -EINVAL;
    }
    if (op->mask >> i & 1) {
        fmt_snprintf(err, errlen, "'%.*s' given twice", (int)klen, key);
        return -EINVAL;
    }
    if (parse_value(&dc->param[i], val, &op->value[i], why, sizeof(why))) {
        fmt_snprintf(err, errlen, "%.*s: %s", (int)klen, key, why);
        return -EINVAL;
    }
    op->mask |= 1u << i;
    return 0;
}

int xl_sched_cfg(const struct sysctl_sched_decls *dc, const char *file,
                 const struct xlcfg_sched *s, struct domctl_scheduler_op *op,
                 xlcfg_report_fn report, void *arg)
{
    char err[160], msg[XLCFG_MSG_MAX];
    int problems = 0;

    for (unsigned i = 0; i < s->nr; i++) {
        const struct xlcfg_sched_param *p = &s->param[i];
        if (!xl_sched_kv(dc, p->key, strlen(p->key), p->value, op, err, sizeof(err)))
            continue;
        problems++;
        fmt_snprintf(msg, sizeof(msg), "%s:%u: key '%s': %s", file, p->line, p->key, err);
        if (report)
            report(arg, msg);
    }
    return problems;
}

void xl_sched_value(uint32_t type, uint64_t v, char *buf, size_t size)
{
    if (type == SCHED_PARAM_BOOL)
        fmt_snprintf(buf, size, "%s", v ? "yes" : "no");
    else if (type == SCHED_PARAM_NODES && !v)
        fmt_snprintf(buf, size, "auto");
    else if (type == SCHED_PARAM_NODES)
        cpumask_format(buf, size, v, 0);
    else
        fmt_snprintf(buf, size, "%llu", (unsigned long long)v);
}
