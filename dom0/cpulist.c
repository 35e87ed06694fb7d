/* CPU lists in xl syntax; see cpulist.h.
 *
 * Design: a list is parsed into four sets (CPUs and nodes named, CPUs and nodes
 * excluded) plus "all"; the result is (named) minus (excluded) whatever the item
 * order, which is what xl computes for every list its manual shows.
 *
 * Limitations: at most 64 CPUs and 8 nodes (the sysctl ABI's limits). */
#include <hvlab/errno.h>
#include "cpulist.h"
#include "strutil.h"

/* One number of an item at s[0..len), below limit; what names it in messages. */
static int item_number(const char *s, size_t len, unsigned limit, const char *what,
                       unsigned *out, char *err, size_t errlen)
{
    uint64_t v;
    int rc = str_to_u64(s, len, false, &v);

    if (rc == -EINVAL) {
        fmt_snprintf(err, errlen, "bad %s number \"%.*s\"", what, (int)len, s);
        return rc;
    }
    if (rc || v >= limit) {
        fmt_snprintf(err, errlen, "%s %.*s out of range 0..%u", what, (int)len, s,
                     limit - 1);
        return -EINVAL;
    }
    *out = (unsigned)v;
    return 0;
}

/* "N" or "N-M" at s[0..len) as a mask of bits below limit. */
static int item_range(const char *s, size_t len, unsigned limit, const char *what,
                      uint64_t *mask, char *err, size_t errlen)
{
    const char *dash = NULL;
    unsigned lo, hi;

    for (size_t i = 0; i < len; i++)
        if (s[i] == '-' && !dash)
            dash = &s[i];
    if (!dash) {
        if (item_number(s, len, limit, what, &lo, err, errlen))
            return -EINVAL;
        hi = lo;
    } else if (item_number(s, (size_t)(dash - s), limit, what, &lo, err, errlen) ||
               item_number(dash + 1, len - (size_t)(dash + 1 - s), limit, what, &hi,
                           err, errlen)) {
        return -EINVAL;
    } else if (lo > hi) {
        fmt_snprintf(err, errlen, "bad %s range \"%.*s\": start above end", what,
                     (int)len, s);
        return -EINVAL;
    }
    *mask = (hi >= 63 ? ~0ULL : (1ULL << (hi + 1)) - 1) & ~((1ULL << lo) - 1);
    return 0;
}

static bool has_prefix(const char *s, size_t len, const char *prefix, size_t *plen)
{
    size_t n = strlen(prefix);

    if (len < n || memcmp(s, prefix, n) != 0)
        return false;
    *plen = n;
    return true;
}

/* One item s[0..len), already trimmed, applied to *l. */
static int item_parse(const char *s, size_t len, struct cpulist *l, char *err,
                      size_t errlen)
{
    bool exclude = len > 0 && s[0] == '^';
    size_t plen;
    uint64_t mask;

    if (exclude) {
        s++;
        len--;
    }
    if (len == 0) {
        fmt_snprintf(err, errlen, "empty item in CPU list");
        return -EINVAL;
    }
    if (len == 3 && memcmp(s, "all", 3) == 0) {
        if (exclude) {
            fmt_snprintf(err, errlen, "\"^all\" excludes every CPU");
            return -EINVAL;
        }
        l->all = true;
        return 0;
    }
    if (has_prefix(s, len, "nodes:", &plen) || has_prefix(s, len, "node:", &plen)) {
        if (item_range(s + plen, len - plen, CPULIST_MAX_NODES, "node", &mask, err,
                       errlen))
            return -EINVAL;
        if (exclude)
            l->not_nodes |= (uint8_t)mask;
        else
            l->nodes |= (uint8_t)mask;
        return 0;
    }
    if (!str_is_digit(s[0])) {
        fmt_snprintf(err, errlen, "bad CPU list item \"%.*s\"", (int)len, s);
        return -EINVAL;
    }
    if (item_range(s, len, CPULIST_MAX_CPUS, "CPU", &mask, err, errlen))
        return -EINVAL;
    if (exclude)
        l->not_cpus |= mask;
    else
        l->cpus |= mask;
    return 0;
}

int cpulist_parse(const char *s, struct cpulist *out, char *err, size_t errlen)
{
    struct cpulist l = { 0 };
    const char *p = s;
    bool any = false;

    while (*p) {
        const char *start, *end;

        while (str_is_blank(*p))
            p++;
        start = p;
        while (*p && *p != ',')
            p++;
        end = p;
        while (end > start && str_is_blank(end[-1]))
            end--;
        if (end == start && !*p && !any)
            break;                          /* blanks only */
        if (item_parse(start, (size_t)(end - start), &l, err, errlen))
            return -EINVAL;
        any = true;
        if (*p == ',')
            p++;
        if (*p == '\0' && p > s && p[-1] == ',') {
            fmt_snprintf(err, errlen, "empty item in CPU list");
            return -EINVAL;
        }
    }
    if (!any) {
        fmt_snprintf(err, errlen, "empty CPU list");
        return -EINVAL;
    }
    if (!l.all && !l.cpus && !l.nodes) {
        fmt_snprintf(err, errlen, "CPU list \"%s\" names no CPU, only exclusions", s);
        return -EINVAL;
    }
    *out = l;
    return 0;
}

static uint64_t node_cpus(uint8_t nodes, const struct cpu_topo *t)
{
    uint64_t mask = 0;

    for (unsigned cpu = 0; cpu < t->nr_cpus && cpu < CPULIST_MAX_CPUS; cpu++)
        if (t->cpu_to_node[cpu] < CPULIST_MAX_NODES &&
            (nodes & (1u << t->cpu_to_node[cpu])))
            mask |= 1ULL << cpu;
    return mask;
}

uint64_t cpumask_all(const struct cpu_topo *t)
{
    return t->nr_cpus >= 64 ? ~0ULL : (1ULL << t->nr_cpus) - 1;
}

uint64_t cpulist_resolve(const struct cpulist *l, const struct cpu_topo *t)
{
    uint64_t mask = l->cpus | node_cpus(l->nodes, t);

    if (l->all)
        mask |= cpumask_all(t);
    return mask & ~(l->not_cpus | node_cpus(l->not_nodes, t));
}

int cpumask_format(char *buf, size_t size, uint64_t mask, uint64_t all)
{
    size_t pos = 0;

    if (size)
        buf[0] = '\0';
    if (mask == 0)
        return fmt_snprintf(buf, size, "none");
    if (all && mask == all)
        return fmt_snprintf(buf, size, "all");
    for (unsigned cpu = 0; cpu < 64; cpu++) {
        unsigned last = cpu;

        if (!(mask & (1ULL << cpu)))
            continue;
        while (last + 1 < 64 && (mask & (1ULL << (last + 1))))
            last++;
        pos += (size_t)fmt_snprintf(buf + MIN(pos, size), size - MIN(pos, size),
                                    last == cpu ? "%s%u" : "%s%u-%u",
                                    pos ? "," : "", cpu, last);
        cpu = last;
    }
    return (int)pos;
}
