/* Scenario scripts; see scenario.h.
 *
 * Design: each line is copied into the scenario's pool and split in place by the
 * same xl_parse_line the shell uses, so a scenario and the shell accept exactly the
 * same commands. Running is a loop that stops at the first error.
 *
 * Limitations: SCENARIO_MAX_CMDS commands, SCENARIO_POOL bytes of text, lines of
 * at most XL_LINE_MAX - 1 bytes. */
#include <hvlab/errno.h>
#include "scenario.h"
#include "strutil.h"

static __printf(4, 5) void report_at(scenario_report_fn report, void *arg,
                                     const struct scenario *s, const char *fmt, ...)
{
    char detail[SCENARIO_MSG_MAX], msg[SCENARIO_MSG_MAX];
    va_list ap;

    va_start(ap, fmt);
    fmt_vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    fmt_snprintf(msg, sizeof(msg), "%s:%s", s->file, detail);
    if (report)
        report(arg, msg);
}

/* Parses one line (text[0..len), no newline); returns the number of problems. */
static int parse_line(struct scenario *s, unsigned line, const char *text, size_t len,
                      scenario_report_fn report, void *arg)
{
    char err[SCENARIO_MSG_MAX], *buf;
    struct xl_args a;

    if (len >= XL_LINE_MAX) {
        report_at(report, arg, s, "%u: line longer than %u characters", line,
                  XL_LINE_MAX - 1);
        return 1;
    }
    if (s->used + len + 1 > sizeof(s->pool)) {
        report_at(report, arg, s, "%u: scenario longer than %u bytes", line,
                  SCENARIO_POOL);
        return 1;
    }
    buf = &s->pool[s->used];
    str_copy(buf, len + 1, text, len);
    if (xl_parse_line(buf, &a, err, sizeof(err))) {
        report_at(report, arg, s, "%u: %s", line, err);
        return 1;
    }
    if (!a.cmd)
        return 0;                           /* blank or comment */
    if (s->nr == SCENARIO_MAX_CMDS) {
        report_at(report, arg, s, "%u: more than %u commands", line,
                  SCENARIO_MAX_CMDS);
        return 1;
    }
    s->used += len + 1;
    s->cmd[s->nr].line = line;
    s->cmd[s->nr].args = a;
    s->nr++;
    return 0;
}

int scenario_parse(struct scenario *s, const char *file, const char *text,
                   size_t len, scenario_report_fn report, void *arg)
{
    const char *p = text, *end = text + len;
    unsigned line = 1;
    int errors = 0;

    s->file = file;
    s->nr = 0;
    s->used = 0;
    while (p < end) {
        const char *eol = p;
        size_t n;

        while (eol < end && *eol != '\n')
            eol++;
        n = (size_t)(eol - p);
        if (n && p[n - 1] == '\r')
            n--;
        errors += parse_line(s, line, p, n, report, arg);
        p = eol + 1;
        line++;
    }
    return errors;
}

void scenario_cmd_text(const struct xl_args *a, char *buf, size_t size)
{
    size_t pos = 0;

    if (size)
        buf[0] = '\0';
    for (int i = 0; i < a->argc && pos < size; i++)
        pos += (size_t)fmt_snprintf(buf + pos, size - pos, "%s%s", i ? " " : "",
                                    a->argv[i]);
}

int scenario_run(const struct scenario *s,
                 int (*exec)(void *arg, const struct xl_args *a), void *arg,
                 void (*out)(void *arg, const char *line))
{
    char text[XL_LINE_MAX], msg[XL_LINE_MAX + SCENARIO_MSG_MAX];

    for (unsigned i = 0; i < s->nr; i++) {
        const struct scenario_cmd *c = &s->cmd[i];
        int rc;

        scenario_cmd_text(&c->args, text, sizeof(text));
        fmt_snprintf(msg, sizeof(msg), "xl> %s", text);
        out(arg, msg);
        rc = exec(arg, &c->args);
        if (rc) {
            fmt_snprintf(msg, sizeof(msg), "%s:%u: '%s' failed: %s",
                         s->file, c->line, text, str_errno(rc));
            out(arg, msg);
            return rc;
        }
    }
    return 0;
}
