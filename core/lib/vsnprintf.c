/* The hypervisor's printf formatter: the integer/string subset of C99 printf, with
 * C99 snprintf semantics (returns the length the full output would have, always
 * NUL-terminates when size > 0, truncates safely).
 *
 * Supported: flags - 0 + space #; width and precision, both also as '*'; length
 * modifiers hh h l ll z t j; conversions d i u x X o c s p %. No floating point:
 * the hypervisor is built with -mgeneral-regs-only.
 *
 * Where C leaves behaviour undefined (NULL for %s, flags on %p, width on %%), we do what glibc does, so host tests can compare byte for byte:
 *   %s of NULL      "(null)", or "" when the precision is below 6
 *   %p              like %#lx (the + and space flags still apply); NULL is "(nil)",
 *                   padded with spaces, precision ignored
 *   %%              always a single '%', flags and width ignored
 * Unknown conversions and a '%' cut short by the end of the format are copied
 * verbatim and consume no argument (glibc rebuilds the former and fails the latter).
 * Wide characters (%lc, %ls) are not supported: 'l' on c and s is ignored. */
#include <hvlab/errno.h>
#include <hvlab/lib.h>

struct fmt_out {
    char *buf;
    size_t size;
    size_t pos;     /* bytes the full output has so far, may exceed size */
};

struct fmt_spec {
    bool left, zero, plus, space, alt;
    int width;      /* 0 = none */
    int prec;       /* -1 = none */
    char conv;
};

enum fmt_len { LEN_NONE, LEN_HH, LEN_H, LEN_L, LEN_LL, LEN_Z, LEN_T, LEN_J };

static void out_char(struct fmt_out *o, char c)
{
    /* Keep the last byte for the terminator. */
    if (o->pos + 1 < o->size)
        o->buf[o->pos] = c;
    o->pos++;
}

static void out_repeat(struct fmt_out *o, char c, int n)
{
    while (n-- > 0)
        out_char(o, c);
}

static void out_mem(struct fmt_out *o, const char *s, size_t n)
{
    while (n--)
        out_char(o, *s++);
}

/* Pads a field of len bytes to the width; call before and after the body. */
static void pad_before(struct fmt_out *o, const struct fmt_spec *sp, size_t len)
{
    if (!sp->left && (size_t)sp->width > len)
        out_repeat(o, ' ', sp->width - (int)len);
}

static void pad_after(struct fmt_out *o, const struct fmt_spec *sp, size_t len)
{
    if (sp->left && (size_t)sp->width > len)
        out_repeat(o, ' ', sp->width - (int)len);
}

static void fmt_str(struct fmt_out *o, const struct fmt_spec *sp, const char *s)
{
    size_t len = 0;

    if (!s)
        s = (sp->prec < 0 || sp->prec >= 6) ? "(null)" : "";
    /* Bounded scan: with a precision the string need not be NUL-terminated. */
    while ((sp->prec < 0 || len < (size_t)sp->prec) && s[len])
        len++;
    pad_before(o, sp, len);
    out_mem(o, s, len);
    pad_after(o, sp, len);
}

/* sign is '-', '+', ' ' or 0; prefix is "0x", "0X" or "". */
static void fmt_num(struct fmt_out *o, const struct fmt_spec *sp, uint64_t v,
                    unsigned base, char sign, const char *prefix)
{
    const char *digits = sp->conv == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[24];   /* 22 octal digits hold 2^64 - 1 */
    int nd = 0, prec = sp->prec, zeros, len;
    size_t plen = strnlen(prefix, 2);

    while (v) {
        tmp[nd++] = digits[v % base];
        v /= base;
    }
    /* Precision 0 with value 0 prints no digits; the default precision is 1. */
    if (prec < 0)
        prec = 1;
    /* '#' on octal forces a leading 0 digit, even where precision 0 dropped it. */
    if (sp->alt && base == 8 && prec <= nd)
        prec = nd + 1;
    zeros = prec > nd ? prec - nd : 0;
    len = (sign ? 1 : 0) + (int)plen + zeros + nd;
    /* The 0 flag pads with zeros after sign and prefix, unless a precision was given. */
    if (sp->zero && !sp->left && sp->prec < 0 && sp->width > len) {
        zeros += sp->width - len;
        len = sp->width;
    }
    pad_before(o, sp, len);
    if (sign)
        out_char(o, sign);
    out_mem(o, prefix, plen);
    out_repeat(o, '0', zeros);
    while (nd)
        out_char(o, tmp[--nd]);
    pad_after(o, sp, len);
}

static const char *parse_flags(const char *f, struct fmt_spec *sp)
{
    for (;; f++) {
        switch (*f) {
        case '-': sp->left = true; break;
        case '0': sp->zero = true; break;
        case '+': sp->plus = true; break;
        case ' ': sp->space = true; break;
        case '#': sp->alt = true; break;
        default: return f;
        }
    }
}

/* Saturates instead of overflowing: absurd widths are the caller's bug, not UB here. */
static const char *parse_int(const char *f, int *out)
{
    int n = 0;

    while (*f >= '0' && *f <= '9') {
        n = n > (0x7fffffff - 9) / 10 ? 0x7fffffff : n * 10 + (*f - '0');
        f++;
    }
    *out = n;
    return f;
}

static const char *parse_len(const char *f, enum fmt_len *len)
{
    switch (*f) {
    case 'h':
        if (f[1] == 'h') { *len = LEN_HH; return f + 2; }
        *len = LEN_H;
        return f + 1;
    case 'l':
        if (f[1] == 'l') { *len = LEN_LL; return f + 2; }
        *len = LEN_L;
        return f + 1;
    case 'z': *len = LEN_Z; return f + 1;
    case 't': *len = LEN_T; return f + 1;
    case 'j': *len = LEN_J; return f + 1;
    default:  *len = LEN_NONE; return f;
    }
}

/* Every modifier but hh, h and none reads a 64-bit value on x86-64; the narrow ones
 * are promoted to int and then converted back to their own width. */
#define FETCH_SIGNED(ap, len)                                                  \
    ((len) == LEN_NONE ? (int64_t)va_arg(ap, int) :                           \
     (len) == LEN_HH ? (int64_t)(signed char)va_arg(ap, int) :                \
     (len) == LEN_H ? (int64_t)(short)va_arg(ap, int) :                       \
     (int64_t)va_arg(ap, long long))

#define FETCH_UNSIGNED(ap, len)                                                \
    ((len) == LEN_NONE ? (uint64_t)va_arg(ap, unsigned int) :                 \
     (len) == LEN_HH ? (uint64_t)(unsigned char)va_arg(ap, unsigned int) :    \
     (len) == LEN_H ? (uint64_t)(unsigned short)va_arg(ap, unsigned int) :    \
     (uint64_t)va_arg(ap, unsigned long long))

_Static_assert(sizeof(long) == 8 && sizeof(long long) == 8 && sizeof(size_t) == 8 &&
               sizeof(ptrdiff_t) == 8 && sizeof(void *) == 8,
               "FETCH_* assume LP64");

int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct fmt_out o = { buf, size, 0 };

    while (*fmt) {
        const char *start = fmt;
        struct fmt_spec sp = { .prec = -1 };
        enum fmt_len len;
        char sign = 0;

        if (*fmt != '%') {
            out_char(&o, *fmt++);
            continue;
        }
        fmt = parse_flags(fmt + 1, &sp);
        if (*fmt == '*') {
            sp.width = va_arg(ap, int);
            /* A negative '*' width is a '-' flag and a positive width. */
            if (sp.width < 0) {
                sp.left = true;
                sp.width = sp.width == -0x7fffffff - 1 ? 0x7fffffff : -sp.width;
            }
            fmt++;
        } else {
            fmt = parse_int(fmt, &sp.width);
        }
        if (*fmt == '.') {
            fmt++;
            if (*fmt == '*') {
                sp.prec = va_arg(ap, int);
                if (sp.prec < 0)    /* a negative '*' precision means none */
                    sp.prec = -1;
                fmt++;
            } else {
                fmt = parse_int(fmt, &sp.prec);
            }
        }
        fmt = parse_len(fmt, &len);
        sp.conv = *fmt;
        if (sp.plus)
            sign = '+';
        else if (sp.space)
            sign = ' ';

        switch (sp.conv) {
        case 'd':
        case 'i': {
            int64_t v = FETCH_SIGNED(ap, len);
            /* Negate in unsigned arithmetic: -INT64_MIN does not fit in int64_t. */
            fmt_num(&o, &sp, v < 0 ? -(uint64_t)v : (uint64_t)v, 10,
                    v < 0 ? '-' : sign, "");
            break;
        }
        case 'u':
            fmt_num(&o, &sp, FETCH_UNSIGNED(ap, len), 10, 0, "");
            break;
        case 'o':
            fmt_num(&o, &sp, FETCH_UNSIGNED(ap, len), 8, 0, "");
            break;
        case 'x':
        case 'X': {
            uint64_t v = FETCH_UNSIGNED(ap, len);
            fmt_num(&o, &sp, v, 16, 0,
                    sp.alt && v ? (sp.conv == 'x' ? "0x" : "0X") : "");
            break;
        }
        case 'p': {
            uint64_t v = (uintptr_t)va_arg(ap, void *);
            if (v) {
                fmt_num(&o, &sp, v, 16, sign, "0x");
            } else {
                sp.prec = -1;
                fmt_str(&o, &sp, "(nil)");
            }
            break;
        }
        case 'c': {
            char c = (char)va_arg(ap, int);
            pad_before(&o, &sp, 1);
            out_char(&o, c);
            pad_after(&o, &sp, 1);
            break;
        }
        case 's':
            fmt_str(&o, &sp, va_arg(ap, const char *));
            break;
        case '%':
            out_char(&o, '%');
            break;
        default:
            /* Unknown or truncated specifier: copy it, consume no argument. A
             * trailing lone '%' must not step past the terminator. */
            if (!sp.conv) {
                out_mem(&o, start, (size_t)(fmt - start));
                continue;
            }
            out_mem(&o, start, (size_t)(fmt + 1 - start));
            break;
        }
        fmt++;
    }
    if (size)
        buf[o.pos < size ? o.pos : size - 1] = '\0';
    /* C99 wants a negative return when the length does not fit in an int. */
    return o.pos > 0x7fffffff ? -EOVERFLOW : (int)o.pos;
}

int fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = fmt_vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
