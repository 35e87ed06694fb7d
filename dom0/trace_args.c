/* The trace command's arguments and class masks; see trace_args.h. */
#include <hvlab/errno.h>
#include "strutil.h"
#include "trace_args.h"

static const char *const class_names[] = {
    [TRC_CLS_META] = "meta", [TRC_CLS_SCHED] = "sched", [TRC_CLS_HCALL] = "hcall",
    [TRC_CLS_PV] = "pv", [TRC_CLS_EVTCHN] = "evtchn", [TRC_CLS_TIMER] = "timer",
    [TRC_CLS_DOM] = "dom", [TRC_CLS_MEM] = "mem", [TRC_CLS_POLICY] = "policy",
    [TRC_CLS_HVM] = "hvm", [TRC_CLS_GNTTAB] = "gnttab", [TRC_CLS_IO] = "io",
};
_Static_assert(ARRAY_SIZE(class_names) == TRC_NR_CLASSES, "a name for every class");

const char *trace_class_name(unsigned cls)
{
    return cls < TRC_NR_CLASSES ? class_names[cls] : NULL;
}

static int parse_hex(const char *s, uint32_t *mask, char *err, size_t errlen)
{
    uint64_t v = 0;
    const char *p = s;

    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
        p += 2;
    if (!*p)
        goto bad;
    for (; *p; p++) {
        unsigned d;
        if (str_is_digit(*p))
            d = (unsigned)(*p - '0');
        else if ((*p | 0x20) >= 'a' && (*p | 0x20) <= 'f')
            d = (unsigned)((*p | 0x20) - 'a' + 10);
        else
            goto bad;
        v = v << 4 | d;
        if (v > 0xffffffffULL)
            goto bad;
    }
    if (v & ~(uint64_t)TRC_MASK_ALL) {
        fmt_snprintf(err, errlen, "trace: mask %s has bits beyond the %u classes "
                     "(all: %#x)", s, TRC_NR_CLASSES, TRC_MASK_ALL);
        return -EINVAL;
    }
    *mask = (uint32_t)v;
    return 0;
bad:
    fmt_snprintf(err, errlen, "trace: expected a hex mask or class names, got \"%s\"", s);
    return -EINVAL;
}

static int parse_names(const char *s, uint32_t *mask, char *err, size_t errlen)
{
    uint32_t m = 0;

    while (*s) {
        const char *end = s;
        unsigned c;

        while (*end && *end != ',')
            end++;
        size_t len = (size_t)(end - s);
        if (len == 3 && strncmp(s, "all", 3) == 0) {
            m |= TRC_MASK_ALL;
        } else {
            for (c = 0; c < TRC_NR_CLASSES; c++)
                if (strlen(class_names[c]) == len && strncmp(s, class_names[c], len) == 0)
                    break;
            if (c == TRC_NR_CLASSES) {
                fmt_snprintf(err, errlen, "trace: unknown class '%.*s' (classes: meta "
                             "sched hcall pv evtchn timer dom mem policy, all)",
                             (int)len, s);
                return -EINVAL;
            }
            m |= 1u << c;
        }
        s = *end ? end + 1 : end;
    }
    *mask = m;
    return 0;
}

int trace_mask_parse(const char *s, uint32_t *mask, char *err, size_t errlen)
{
    if (!*s) {
        fmt_snprintf(err, errlen, "trace: empty mask");
        return -EINVAL;
    }
    return str_is_digit(s[0]) ? parse_hex(s, mask, err, errlen)
                              : parse_names(s, mask, err, errlen);
}

void trace_mask_format(uint32_t mask, char *buf, size_t size)
{
    size_t pos = 0;

    if (size)
        buf[0] = '\0';
    if (!mask) {
        fmt_snprintf(buf, size, "none");
        return;
    }
    for (unsigned c = 0; c < TRC_NR_CLASSES && pos < size; c++)
        if (mask & (1u << c))
            pos += (size_t)fmt_snprintf(buf + pos, size - pos, "%s%s", pos ? "," : "",
                                        class_names[c]);
    if (mask & ~(uint32_t)TRC_MASK_ALL && pos < size)
        fmt_snprintf(buf + pos, size - pos, "%s+%#x", pos ? "," : "",
                     mask & ~(uint32_t)TRC_MASK_ALL);
}

static int parse_period(const char *s, unsigned *ms, char *err, size_t errlen)
{
    uint64_t v;

    if (str_to_dec(s, &v) || v < 1 || v > TRACE_PERIOD_MAX_MS) {
        fmt_snprintf(err, errlen, "trace start: -p: expected 1..%u ms, got \"%s\"",
                     TRACE_PERIOD_MAX_MS, s);
        return -EINVAL;
    }
    *ms = (unsigned)v;
    return 0;
}

int trace_args_parse(int argc, char *const *argv, struct trace_args *a, char *err,
                     size_t errlen)
{
    static const char *const subs[] = { "start", "stop", "mask", "status" };
    unsigned s;

    memset(a, 0, sizeof(*a));
    a->period_ms = TRACE_PERIOD_DEFAULT_MS;
    for (s = 0; s < ARRAY_SIZE(subs); s++)
        if (argc > 1 && strcmp(argv[1], subs[s]) == 0)
            break;
    if (s == ARRAY_SIZE(subs)) {
        fmt_snprintf(err, errlen, "trace: expected start, stop, mask or status, got "
                     "\"%s\"", argc > 1 ? argv[1] : "");
        return -EINVAL;
    }
    a->sub = (enum trace_sub)s;
    switch (a->sub) {
    case TRACE_SUB_START:
        for (int i = 2; i < argc; i++) {
            if (strcmp(argv[i], "-p") == 0) {
                if (++i == argc) {
                    fmt_snprintf(err, errlen, "trace start: -p needs milliseconds");
                    return -EINVAL;
                }
                if (parse_period(argv[i], &a->period_ms, err, errlen))
                    return -EINVAL;
            } else if (argv[i][0] == '-') {
                fmt_snprintf(err, errlen, "trace start: unknown option '%s'", argv[i]);
                return -EINVAL;
            } else if (a->has_mask) {
                fmt_snprintf(err, errlen, "trace start: one mask only, got \"%s\" too",
                             argv[i]);
                return -EINVAL;
            } else {
                if (trace_mask_parse(argv[i], &a->mask, err, errlen))
                    return -EINVAL;
                a->has_mask = true;
            }
        }
        return 0;
    case TRACE_SUB_MASK:
        if (argc != 3) {
            fmt_snprintf(err, errlen, "usage: trace mask <hex|class,class,...>");
            return -EINVAL;
        }
        a->has_mask = true;
        return trace_mask_parse(argv[2], &a->mask, err, errlen);
    case TRACE_SUB_STOP:
    case TRACE_SUB_STATUS:
        if (argc > 2) {
            fmt_snprintf(err, errlen, "trace %s: takes no arguments", argv[1]);
            return -EINVAL;
        }
        return 0;
    }
    return -EINVAL;
}
