/* Boot command line parser; the syntax is described in <hvlab/cmdline.h>.
 *
 * Design: one pass over the string. Each option is copied, quotes removed, into a
 * bounded local buffer and split at its first '='; its descriptor is found by a
 * linear search (a few dozen options, parsed once). Values are validated completely
 * before the variable is written, so a bad value leaves the default in place.
 *
 * Locking: none. Runs once on the boot CPU before anything reads the options.
 *
 * Limitations: an option longer than CMDLINE_TOKEN_MAX-1 bytes is rejected; the
 * first descriptor with a matching name wins if two modules declare the same one. */
#include <hvlab/cmdline.h>
#include <hvlab/errno.h>
#include <hvlab/lib.h>

#define CMDLINE_TOKEN_MAX 256
#define CMDLINE_MSG_MAX   160

struct token {
    char text[CMDLINE_TOKEN_MAX];   /* the key, NUL-terminated */
    const char *value;              /* after the first '=', NULL for a bare key */
    bool too_long;
    bool open_quote;
};

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static const char *skip_blanks(const char *p)
{
    while (is_blank(*p))
        p++;
    return p;
}

static __printf(2, 3) void report_fmt(void (*report)(const char *msg),
                                       const char *fmt, ...)
{
    char msg[CMDLINE_MSG_MAX];
    va_list ap;

    if (!report)
        return;
    va_start(ap, fmt);
    fmt_vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    report(msg);
}

/* Reads one option starting at a non-blank p; returns where the next one may start. */
static const char *token_next(const char *p, struct token *t)
{
    size_t n = 0;
    bool quoted = false;

    t->value = NULL;
    t->too_long = false;
    for (; *p && (quoted || !is_blank(*p)); p++) {
        if (*p == '"') {
            quoted = !quoted;
            continue;
        }
        if (n + 1 >= sizeof(t->text)) {
            t->too_long = true;
            continue;
        }
        if (*p == '=' && !t->value) {
            t->text[n++] = '\0';
            t->value = &t->text[n];
            continue;
        }
        t->text[n++] = *p;
    }
    t->text[n] = '\0';
    t->open_quote = quoted;
    return p;
}

static const struct boot_param *param_find(const struct boot_param *first,
                                           const struct boot_param *end,
                                           const char *name)
{
    for (const struct boot_param *bp = first; bp < end; bp++)
        if (strcmp(bp->name, name) == 0)
            return bp;
    return NULL;
}

/* Leading decimal or 0x-hex number of s; *end is set past it. Returns why it is
 * not a number, or NULL. */
static const char *parse_u64(const char *s, uint64_t *out, const char **end)
{
    unsigned base = 10;
    uint64_t v = 0;
    int d;

    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    d = hex_digit(*s);
    if (d < 0 || (unsigned)d >= base)
        return "not a number";
    while ((d = hex_digit(*s)) >= 0 && (unsigned)d < base) {
        if (v > (UINT64_MAX - (unsigned)d) / base)
            return "out of range";
        v = v * base + (unsigned)d;
        s++;
    }
    *out = v;
    *end = s;
    return NULL;
}

static const char *parse_uint(const char *s, unsigned int *out)
{
    const char *end, *why;
    uint64_t v;

    if ((why = parse_u64(s, &v, &end)))
        return why;
    if (*end)
        return "not a number";
    if (v > 0xffffffffu)
        return "out of range";
    *out = (unsigned int)v;
    return NULL;
}

static const char *parse_size(const char *s, uint64_t *out)
{
    const char *end, *why;
    unsigned shift = 0;
    uint64_t v;

    if ((why = parse_u64(s, &v, &end)))
        return why;
    switch (*end) {
    case '\0':           break;
    case 'K': case 'k': shift = 10; end++; break;
    case 'M': case 'm': shift = 20; end++; break;
    case 'G': case 'g': shift = 30; end++; break;
    default:            return "expected a number with optional K, M or G";
    }
    if (*end)
        return "expected a number with optional K, M or G";
    if (v > (UINT64_MAX >> shift))
        return "out of range";
    *out = v << shift;
    return NULL;
}

static const char *parse_bool(const char *s, bool *out)
{
    static const char *const yes[] = { "1", "yes", "on", "true" };
    static const char *const no[] = { "0", "no", "off", "false" };

    for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
        if (strcmp(s, yes[i]) == 0) {
            *out = true;
            return NULL;
        }
        if (strcmp(s, no[i]) == 0) {
            *out = false;
            return NULL;
        }
    }
    return "expected 0/1, no/yes, off/on or false/true";
}

/* Validates val for bp and stores it; returns why not, leaving *bp->var alone. */
static const char *param_set(const struct boot_param *bp, const char *val)
{
    const char *why = NULL;

    switch (bp->type) {
    case BP_BOOL: {
        bool b = true;
        if (!val || !(why = parse_bool(val, &b)))
            *(bool *)bp->var = b;
        return why;
    }
    case BP_UINT: {
        unsigned int u;
        if (!(why = parse_uint(val, &u)))
            *(unsigned int *)bp->var = u;
        return why;
    }
    case BP_SIZE: {
        uint64_t sz;
        if (!(why = parse_size(val, &sz)))
            *(uint64_t *)bp->var = sz;
        return why;
    }
    case BP_STR: {
        size_t n = strlen(val);
        if (n >= bp->len)
            return "too long";
        memcpy(bp->var, val, n + 1);
        return NULL;
    }
    case BP_CUSTOM:
        return bp->custom(val) < 0 ? "rejected" : NULL;
    }
    return "unsupported option type";
}

/* Returns 1 if the option was a problem (already reported), 0 otherwise. */
static int option_apply(const struct token *t, const struct boot_param *first,
                        const struct boot_param *end, void (*report)(const char *msg))
{
    const struct boot_param *bp = param_find(first, end, t->text);
    const char *val = t->value, *why;

    if (t->too_long) {
        report_fmt(report, "boot option '%.40s...' longer than %d bytes",
                   t->text, CMDLINE_TOKEN_MAX - 1);
        return 1;
    }
    if (!bp && strncmp(t->text, "no-", 3) == 0) {
        bp = param_find(first, end, t->text + 3);
        if (bp && bp->type == BP_BOOL) {
            if (val) {
                report_fmt(report, "bad value '%s' for boot option '%s': takes no value",
                           val, t->text);
                return 1;
            }
            val = "0";
        } else {
            bp = NULL;
        }
    }
    if (!bp) {
        report_fmt(report, "unknown boot option '%s'", t->text);
        return 1;
    }
    if (t->open_quote) {
        report_fmt(report, "boot option '%s': unterminated quote", t->text);
        return 1;
    }
    if (!val && bp->type != BP_BOOL) {
        if (bp->type != BP_CUSTOM) {
            report_fmt(report, "boot option '%s' needs a value", t->text);
            return 1;
        }
        val = "";
    }
    if ((why = param_set(bp, val))) {
        if (bp->type == BP_STR)
            report_fmt(report, "bad value '%s' for boot option '%s': %s (max %zu bytes)",
                       val, t->text, why, bp->len - 1);
        else
            report_fmt(report, "bad value '%s' for boot option '%s': %s",
                       val, t->text, why);
        return 1;
    }
    return 0;
}

int cmdline_parse(const char *cmdline, const struct boot_param *first,
                  const struct boot_param *end, void (*report)(const char *msg))
{
    struct token tok;
    const char *p = cmdline ? cmdline : "";
    int errors = 0;

    while (*(p = skip_blanks(p))) {
        p = token_next(p, &tok);
        /* A lone pair of quotes is an empty option: nothing to apply. */
        if (!tok.text[0] && !tok.value && !tok.open_quote)
            continue;
        errors += option_apply(&tok, first, end, report);
    }
    return errors;
}

const char *cmdline_skip_image(const char *cmdline)
{
    const char *p, *tok;
    size_t n;

    if (!cmdline)
        return "";
    tok = skip_blanks(cmdline);
    for (p = tok; *p && !is_blank(*p); p++)
        if (*p == '=')
            return cmdline;
    n = (size_t)(p - tok);
    for (const char *q = tok; q < p; q++)
        if (*q == '/')
            return skip_blanks(p);
    if (n >= 4 && strncmp(p - 4, ".elf", 4) == 0)
        return skip_blanks(p);
    return cmdline;
}

static void param_value(const struct boot_param *bp, char *buf, size_t size)
{
    switch (bp->type) {
    case BP_BOOL:
        fmt_snprintf(buf, size, "%s", *(const bool *)bp->var ? "on" : "off");
        break;
    case BP_UINT:
        fmt_snprintf(buf, size, "%u", *(const unsigned int *)bp->var);
        break;
    case BP_SIZE:
        fmt_snprintf(buf, size, "%llu",
                     (unsigned long long)*(const uint64_t *)bp->var);
        break;
    case BP_STR:
        fmt_snprintf(buf, size, "\"%s\"", (const char *)bp->var);
        break;
    default:
        buf[0] = '\0';
        break;
    }
}

void cmdline_print_help(const struct boot_param *first, const struct boot_param *end,
                        void (*out)(const char *line))
{
    static const char *const syntax[] = {
        [BP_BOOL] = "[=bool]", [BP_UINT] = "=<uint>", [BP_SIZE] = "=<size>",
        [BP_STR] = "=<string>", [BP_CUSTOM] = "=<value>",
    };
    char line[CMDLINE_MSG_MAX], left[48], val[64];

    for (const struct boot_param *bp = first; bp < end; bp++) {
        fmt_snprintf(left, sizeof(left), "%s%s", bp->name,
                     (unsigned)bp->type < ARRAY_SIZE(syntax) ? syntax[bp->type] : "");
        param_value(bp, val, sizeof(val));
        fmt_snprintf(line, sizeof(line), "  %-24s %s%s%s%s", left,
                     bp->help ? bp->help : "",
                     val[0] ? " (now " : "", val, val[0] ? ")" : "");
        out(line);
    }
}
