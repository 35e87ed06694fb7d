/* Reading the values of a cfg file: numbers, quoted strings, bare words and flat
 * lists, with line counting and error reporting (the syntax is in xlcfg.h). Values
 * are copied NUL-terminated, strings unescaped, into the value's bounded pool.
 *
 * Locking: none; all state is in the caller's struct parser.
 *
 * Limitations: no nested lists; XLV_MAX_ATOMS entries, XLV_POOL bytes per value. */
#include <hvlab/errno.h>
#include "strutil.h"
#include "xlcfg_priv.h"

/* ---- reporting ---- */

int xlp_error_at(struct parser *ps, unsigned line, const char *fmt, ...)
{
    char detail[XLCFG_MSG_MAX], msg[XLCFG_MSG_MAX];
    va_list ap;

    va_start(ap, fmt);
    fmt_vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    if (ps->key)
        fmt_snprintf(msg, sizeof(msg), "%s:%u: key '%s': %s", ps->file, line,
                     ps->key->name, detail);
    else
        fmt_snprintf(msg, sizeof(msg), "%s:%u: %s", ps->file, line, detail);
    ps->errors++;
    if (ps->report)
        ps->report(ps->arg, msg);
    return -EINVAL;
}

/* ---- lexing ---- */

bool xlp_at_end(const struct parser *ps)
{
    return ps->p >= ps->end;
}

char xlp_peek(const struct parser *ps)
{
    return xlp_at_end(ps) ? '\0' : *ps->p;
}

void xlp_advance(struct parser *ps)
{
    if (*ps->p == '\n')
        ps->line++;
    ps->p++;
}

/* Blanks and comments, and newlines too when in a list. */
void xlp_skip_space(struct parser *ps, bool newlines)
{
    while (!xlp_at_end(ps)) {
        char c = *ps->p;
        if (c == '#') {
            while (!xlp_at_end(ps) && *ps->p != '\n')
                ps->p++;
        } else if (c == ' ' || c == '\t' || c == '\r' || (newlines && c == '\n')) {
            xlp_advance(ps);
        } else {
            break;
        }
    }
}

void xlp_skip_line(struct parser *ps)
{
    while (!xlp_at_end(ps) && *ps->p != '\n')
        ps->p++;
}

bool xlp_is_key_char(char c, bool first)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
           (!first && str_is_digit(c));
}

/* Where a bare word or number ends. */
static bool is_word_end(char c)
{
    return str_is_blank(c) || c == ',' || c == ']' || c == '[' || c == ';' ||
           c == '#' || c == '\0';
}

static char *pool_alloc(struct parser *ps, struct xlv *v, size_t n)
{
    if (v->used + n > sizeof(v->pool)) {
        key_error(ps, "value longer than %u bytes", XLV_POOL);
        return NULL;
    }
    v->used += n;
    return &v->pool[v->used - n];
}

static int read_string(struct parser *ps, struct xlv *v, struct atom *a)
{
    char quote = *ps->p, *out;
    const char *start;
    size_t n = 0;

    xlp_advance(ps);
    start = ps->p;
    /* Unescaping only shrinks: the raw length bounds the output. */
    while (!xlp_at_end(ps) && *ps->p != quote && *ps->p != '\n') {
        if (*ps->p == '\\' && ps->p + 1 < ps->end)
            ps->p++;
        ps->p++;
    }
    if (xlp_at_end(ps) || *ps->p != quote)
        return xlp_error_at(ps, ps->line, "unterminated string");
    if (!(out = pool_alloc(ps, v, (size_t)(ps->p - start) + 1)))
        return -EINVAL;
    for (const char *s = start; s < ps->p; s++) {
        char c = *s;
        if (c == '\\') {
            switch (*++s) {
            case '\\': case '"': case '\'': c = *s; break;
            case 'n': c = '\n'; break;
            case 't': c = '\t'; break;
            default:
                return xlp_error_at(ps, ps->line, "unknown escape '\\%c' in string", *s);
            }
        }
        out[n++] = c;
    }
    out[n] = '\0';
    xlp_advance(ps);                    /* the closing quote */
    a->kind = ATOM_STRING;
    a->text = out;
    a->len = n;
    return 0;
}

static int read_word(struct parser *ps, struct xlv *v, struct atom *a)
{
    const char *start = ps->p;
    uint64_t num;
    char *out;

    while (!xlp_at_end(ps) && !is_word_end(*ps->p))
        ps->p++;
    if (ps->p == start)
        return xlp_error_at(ps, ps->line, "missing value");
    if (!(out = pool_alloc(ps, v, (size_t)(ps->p - start) + 1)))
        return -EINVAL;
    memcpy(out, start, (size_t)(ps->p - start));
    out[ps->p - start] = '\0';
    a->len = (size_t)(ps->p - start);
    a->text = out;
    a->kind = str_to_u64(out, a->len, true, &num) == -EINVAL ? ATOM_WORD : ATOM_NUMBER;
    return 0;
}

static int read_atom(struct parser *ps, struct xlv *v, struct atom *a)
{
    char c = xlp_peek(ps);

    a->line = ps->line;                 /* list entries may be on lines of their own */

    if (c == '"' || c == '\'')
        return read_string(ps, v, a);
    if (c == '[')
        return xlp_error_at(ps, ps->line, "nested lists are not supported");
    return read_word(ps, v, a);
}

static int read_list(struct parser *ps, struct xlv *v)
{
    xlp_advance(ps);                    /* '[' */
    v->is_list = true;
    for (;;) {
        xlp_skip_space(ps, true);
        if (xlp_at_end(ps))
            return key_error(ps, "list not closed with ']'");
        if (*ps->p == ']')
            break;
        if (v->nr == XLV_MAX_ATOMS)
            return xlp_error_at(ps, ps->line, "list longer than %u entries",
                                XLV_MAX_ATOMS);
        if (read_atom(ps, v, &v->atom[v->nr]))
            return -EINVAL;
        v->nr++;
        xlp_skip_space(ps, true);
        if (xlp_peek(ps) == ',') {
            xlp_advance(ps);
        } else if (xlp_peek(ps) != ']') {
            if (xlp_at_end(ps))
                return key_error(ps, "list not closed with ']'");
            return xlp_error_at(ps, ps->line, "expected ',' or ']' in list, got '%c'",
                            *ps->p);
        }
    }
    xlp_advance(ps);                    /* ']' */
    return 0;
}

int xlp_read_value(struct parser *ps, struct xlv *v)
{
    v->is_list = false;
    v->nr = 0;
    v->used = 0;
    if (xlp_peek(ps) == '[')
        return read_list(ps, v);
    if (read_atom(ps, v, &v->atom[0]))
        return -EINVAL;
    v->nr = 1;
    return 0;
}
