/* fmt_snprintf against the host libc's snprintf: every case is formatted into every
 * buffer size from 0 to one past its full length, and the return value and the whole
 * buffer, bytes past the size included, must match byte for byte. Tables hold the
 * formats and values; the cross product of each table is checked. */
#include "unit.h"

#include <limits.h>
#include <stdarg.h>
#include <hvlab/lib.h>

#define BUF 320
#define FILL 0x7e   /* what a byte neither formatter should touch keeps */

static void show(const char *what, const char *buf, size_t n)
{
    printf("    %s \"", what);
    for (size_t i = 0; i < n; i++)
        printf(buf[i] >= 0x20 && buf[i] < 0x7f ? "%c" : "\\x%02x", (unsigned char)buf[i]);
    printf("\"\n");
}

static void vcompare(const char *fmt, va_list ap)
{
    char want[BUF], got[BUF];
    va_list a;
    int full, rw, rg;

    va_copy(a, ap);
    full = vsnprintf(NULL, 0, fmt, a);
    va_end(a);
    if (full < 0 || full + 2 > BUF) {
        printf("  bad test case \"%s\": length %d\n", fmt, full);
        unit_failed_checks++;
        return;
    }
    for (size_t n = 0; n <= (size_t)full + 1; n++) {
        memset(want, FILL, sizeof(want));
        memset(got, FILL, sizeof(got));
        va_copy(a, ap);
        rw = vsnprintf(want, n, fmt, a);
        va_end(a);
        va_copy(a, ap);
        rg = fmt_vsnprintf(got, n, fmt, a);
        va_end(a);
        if (rw != rg || memcmp(want, got, sizeof(want)) != 0) {
            printf("  %s:%d: format \"%s\", size %zu: libc returned %d, we %d\n",
                   __FILE__, __LINE__, fmt, n, rw, rg);
            show("libc", want, (size_t)full + 2);
            show("ours", got, (size_t)full + 2);
            unit_failed_checks++;
            return;     /* one report per case: the other sizes would repeat it */
        }
    }
}

static __printf(1, 2) void compare(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vcompare(fmt, ap);
    va_end(ap);
}

/* Formats go through a variable so that gcc does not refuse, at compile time, the
 * combinations C leaves undefined but glibc defines (flags on %p, %s of NULL). */
static void compare_nonliteral(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vcompare(fmt, ap);
    va_end(ap);
}

static void test_int(void)
{
    static const char *const fmts[] = {
        "%d", "%i", "%5d", "%-5d|", "%05d", "%+d", "% d", "%+05d", "% 05d", "%.3d",
        "%.0d", "%5.0d", "%+.0d", "% .0d", "%-+8.3d|", "%08.3d", "%-05d|", "%+ d",
        "%hhd", "%hd", "%hhi", "%5hhd", "%u", "%hhu", "%hu", "%+u", "% u", "%12u",
        "%x", "%X", "%#x", "%#X", "%#08x", "%#-8x|", "%#.0x", "%#.5x", "%hhx", "% x",
        "%hX", "%o", "%#o", "%#.0o", "%#5.3o", "%#.1o", "%010o", "[%20.15d]", "%-3hhu|",
    };
    static const int vals[] = {
        0, 1, -1, 7, 8, 42, -42, 127, 128, -128, 255, 256, 4095, 32767, -32768, 65535,
        65536, 99999, 0x12345678, INT_MAX, INT_MIN, INT_MIN + 1,
    };

    for (size_t f = 0; f < ARRAY_SIZE(fmts); f++)
        for (size_t v = 0; v < ARRAY_SIZE(vals); v++)
            compare_nonliteral(fmts[f], vals[v]);
}

static void test_int64(void)
{
    static const char *const fmts[] = {
        "%lld", "%lli", "%llu", "%llx", "%llX", "%llo", "%#llx", "%#llo", "%ld", "%li",
        "%lu", "%lx", "%jd", "%ju", "%jx", "%zd", "%zu", "%zx", "%td", "%tx", "%+lld",
        "% lld", "%30lld", "%-30lld|", "%030lld", "%+030lld", "%.25lld", "%#.25llx",
        "%.0lld", "%#30llo", "%-#24llX|", "%.20llu", "%025.22lld",
    };
    static const long long vals[] = {
        0, 1, -1, 10, -10, INT_MIN, (long long)UINT_MAX + 1, 1000000000000000000LL,
        LLONG_MAX, LLONG_MIN, LLONG_MIN + 1, (long long)0xdeadbeefcafebabeULL,
        (long long)0xffff830000000000ULL,
    };

    for (size_t f = 0; f < ARRAY_SIZE(fmts); f++)
        for (size_t v = 0; v < ARRAY_SIZE(vals); v++)
            compare_nonliteral(fmts[f], vals[v]);
}

static void test_str(void)
{
    static const char *const fmts[] = {
        "%s", "%10s", "%-10s|", "%.3s", "%.0s", "%.5s", "%.6s", "%.7s", "%10.3s",
        "%-10.3s|", "%07s", "%-07s|", "%#s", "[%1s]", "[%40s]",
    };
    static const char *const vals[] = {
        "", "a", "hello", "hello world, a somewhat longer string", "tab\there",
        "\xff\x80 high bytes", NULL,
    };

    for (size_t f = 0; f < ARRAY_SIZE(fmts); f++)
        for (size_t v = 0; v < ARRAY_SIZE(vals); v++)
            compare_nonliteral(fmts[f], vals[v]);
}

static void test_char(void)
{
    static const char *const fmts[] = { "%c", "%5c", "%-5c|", "%05c", "%.3c", "%#c", "%+c" };
    static const int vals[] = { 'a', 'Z', ' ', '%', 0, 200, -1, 0x141 };

    for (size_t f = 0; f < ARRAY_SIZE(fmts); f++)
        for (size_t v = 0; v < ARRAY_SIZE(vals); v++)
            compare_nonliteral(fmts[f], vals[v]);
}

static void test_ptr(void)
{
    static const char *const fmts[] = {
        "%p", "%20p", "%-20p|", "%020p", "%.20p", "%.5p", "%.0p", "%+p", "% p", "%10.2p",
        "%#p", "%-020p|", "%+020p", "%3p",
    };
    static const uintptr_t vals[] = {
        0, 1, 0x1234, 0xffff830000000000UL, 0xffffffff80001000UL, UINTPTR_MAX,
    };

    for (size_t f = 0; f < ARRAY_SIZE(fmts); f++)
        for (size_t v = 0; v < ARRAY_SIZE(vals); v++)
            compare_nonliteral(fmts[f], (void *)vals[v]);
}

static void test_star(void)
{
    compare("%*d", 5, 42);
    compare("%*d", -5, 42);
    compare("%-*d|", -5, 42);
    compare("%*d", 0, 42);
    compare("%0*d", 8, -42);
    compare("%.*d", 3, 7);
    compare("%.*d", -1, 7);
    compare("%.*d", 0, 0);
    compare("%.*d", -1, 0);
    compare("%*.*s|", 10, 3, "abcdef");
    compare("%*.*s|", -10, -3, "abcdef");
    compare("%.*s", 2, "abc");
    compare("%*.*llx", 20, 18, 0xabcdefULL);
    compare("%*c|", -3, 'x');
}

static void test_misc(void)
{
    compare("%s", "");
    compare("plain text without conversions");
    compare("100%% sure, %%d");
    compare("[%s|%d|%c|%5.2s|%-4x|%p]", "str", -7, 'q', "abc", 0xab, (void *)0x10);
    /* More arguments than fit in registers: the rest come from the stack. */
    compare("%d %u %x %s %c %lld %p %d %s %d", 1, 2u, 3u, "four", '5', 6LL,
            (void *)7, 8, "nine", 10);
    compare("%lld%llu%lld", LLONG_MIN, ULLONG_MAX, LLONG_MAX);
    compare("%hhd %hd %d", 0x1ff, 0x1ffff, -1);
    compare("%zu %zd %td", (size_t)-1, (ssize_t)-1, (ptrdiff_t)-1);
    compare("%200d|", 1);
    compare("%-200d|", -1);
}

/* Without a format attribute: the malformed formats below are the point. */
static int unchecked(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = fmt_vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

/* What C leaves undefined and glibc does differently: our documented behaviour. */
static void test_own_behaviour(void)
{
    char buf[32];
    char abc[3] = { 'a', 'b', 'c' };    /* no terminator: ASan catches an overread */

    CHECK_EQ(fmt_snprintf(NULL, 0, "%d", 12345), 5);
    CHECK_EQ(fmt_snprintf(buf, sizeof(buf), "%.3s", abc), 3);
    CHECK_STREQ(buf, "abc");
    CHECK_EQ(fmt_snprintf(buf, sizeof(buf), "%.*s|", 2, abc), 3);
    CHECK_STREQ(buf, "ab|");
    /* Unknown conversions are copied verbatim and consume no argument. */
    CHECK_EQ(unchecked(buf, sizeof(buf), "%y %ly %d", 9), 8);
    CHECK_STREQ(buf, "%y %ly 9");
    /* As glibc, but its ASan interceptor complains about the format: not compared. */
    CHECK_EQ(unchecked(buf, sizeof(buf), "[%5%][%-5%][%05%]"), 9);
    CHECK_STREQ(buf, "[%][%][%]");
    /* A '%' cut short by the end of the format is copied too (glibc fails). */
    CHECK_EQ(unchecked(buf, sizeof(buf), "abc%"), 4);
    CHECK_STREQ(buf, "abc%");
    CHECK_EQ(unchecked(buf, sizeof(buf), "abc%-5l"), 7);
    CHECK_STREQ(buf, "abc%-5l");
    /* Truncation keeps the return value and terminates at size - 1. */
    CHECK_EQ(fmt_snprintf(buf, 4, "%s", "truncated"), 9);
    CHECK_STREQ(buf, "tru");
    CHECK_EQ(fmt_snprintf(buf, 1, "%d", 42), 2);
    CHECK_EQ(buf[0], '\0');
}

static const struct unit_case cases[] = {
    { "int conversions x flags x values", test_int },
    { "64-bit modifiers x values (INT64_MIN...)", test_int64 },
    { "%s: width, precision, NULL", test_str },
    { "%c: width, NUL and high bytes", test_char },
    { "%p: flags, NULL as (nil)", test_ptr },
    { "'*' width and precision, negative too", test_star },
    { "literals, %%, mixed and many arguments", test_misc },
    { "documented non-glibc behaviour", test_own_behaviour },
};
UNIT_MAIN(cases)
